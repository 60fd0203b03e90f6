// GGUF utilities over ggml's gguf API (read tensors, write modified copies atomically).
#include "engine/gguf_util.h"

#include "util/error.h"

#include "ggml.h"
#include "gguf.h"

#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <memory>

namespace palign {

namespace {
struct gguf_file {
    gguf_context * g = nullptr;
    ggml_context * c = nullptr;
    gguf_file(const std::string & path, bool load_data) {
        gguf_init_params p = { /*no_alloc=*/ !load_data, /*ctx=*/ &c };
        g = gguf_init_from_file(path.c_str(), p);
        if (!g) fail(strfmt("%s: cannot read GGUF (missing, truncated or corrupt)", path.c_str()));
    }
    ~gguf_file() {
        if (g) gguf_free(g);
        if (c) ggml_free(c);
    }
};
} // namespace

void gguf_attention_geometry(const std::string & path, int & n_layer, int & n_head) {
    gguf_file f(path, false);
    const int64_t ka = gguf_find_key(f.g, "general.architecture");
    if (ka < 0 || gguf_get_kv_type(f.g, ka) != GGUF_TYPE_STRING) fail(path + ": no general.architecture in the GGUF metadata", "is it a model file?");
    const std::string arch = gguf_get_val_str(f.g, ka);
    auto get = [&](const std::string & key) {
        const int64_t k = gguf_find_key(f.g, key.c_str());
        if (k < 0) fail(path + ": no " + key + " in the GGUF metadata", "is it a model of a llama.cpp attention architecture?");
        switch (gguf_get_kv_type(f.g, k)) {
            case GGUF_TYPE_UINT32: return (int) gguf_get_val_u32(f.g, k);
            case GGUF_TYPE_INT32:  return (int) gguf_get_val_i32(f.g, k);
            case GGUF_TYPE_UINT64: return (int) gguf_get_val_u64(f.g, k);
            case GGUF_TYPE_ARRAY:  // per-layer head counts: the first layer's
                if (gguf_get_arr_type(f.g, k) == GGUF_TYPE_INT32 && gguf_get_arr_n(f.g, k) > 0) return ((const int32_t *) gguf_get_arr_data(f.g, k))[0];
                [[fallthrough]];
            default: fail(path + ": " + key + " is not an integer");
        }
    };
    n_layer = get(arch + ".block_count");
    n_head = get(arch + ".attention.head_count");
}

static gguf_tensor_f32 to_f32(const std::string & path, const ggml_tensor * t) {
    gguf_tensor_f32 r;
    r.name = t->name;
    for (int i = 0; i < ggml_n_dims(t); i++) r.ne.push_back(t->ne[i]);
    const int64_t n = ggml_nelements(t);
    r.data.resize(n);
    if (t->type == GGML_TYPE_F32) {
        memcpy(r.data.data(), t->data, n * sizeof(float));
    } else {
        const auto * tr = ggml_get_type_traits(t->type);
        if (!tr->to_float) fail(strfmt("%s: tensor '%s' has type %s that cannot be read as f32", path.c_str(), t->name, ggml_type_name(t->type)));
        const int64_t nrow = n / t->ne[0];
        for (int64_t r0 = 0; r0 < nrow; r0++) {
            tr->to_float((const char *) t->data + r0 * t->nb[1], r.data.data() + r0 * t->ne[0], t->ne[0]);
        }
    }
    return r;
}

gguf_tensor_f32 gguf_read_tensor(const std::string & path, const std::string & name) {
    auto m = gguf_read_tensors(path, {name});
    if (m.empty()) fail(strfmt("%s: tensor '%s' not found", path.c_str(), name.c_str()));
    return m.begin()->second;
}

std::map<std::string, gguf_tensor_f32> gguf_read_tensors(const std::string & path, const std::vector<std::string> & names) {
    gguf_file f(path, true);
    std::map<std::string, gguf_tensor_f32> out;
    for (const auto & name : names) {
        const ggml_tensor * t = ggml_get_tensor(f.c, name.c_str());
        if (t) out[name] = to_f32(path, t);
    }
    return out;
}

// f32 tensors added to a GGUF being written, their data in a ggml context that the caller keeps alive until written
static std::unique_ptr<ggml_context, void (*)(ggml_context *)> add_f32_tensors(gguf_context * dst, const std::vector<gguf_tensor_f32> & tensors) {
    size_t size = ggml_tensor_overhead() * (tensors.size() + 1);
    for (const auto & t : tensors) size += t.data.size() * sizeof(float) + 64;
    ggml_init_params ip = { size, nullptr, false };
    std::unique_ptr<ggml_context, void (*)(ggml_context *)> c(ggml_init(ip), ggml_free);
    for (const auto & t : tensors) {
        int64_t ne[4] = {1, 1, 1, 1};
        for (size_t d = 0; d < t.ne.size() && d < 4; d++) ne[d] = t.ne[d];
        ggml_tensor * gt = ggml_new_tensor(c.get(), GGML_TYPE_F32, (int) t.ne.size(), ne);
        ggml_set_name(gt, t.name.c_str());
        memcpy(gt->data, t.data.data(), t.data.size() * sizeof(float));
        gguf_add_tensor(dst, gt);
    }
    return c;
}

void gguf_copy_with(const std::string & in, const std::string & out,
                    const std::vector<gguf_tensor_f32> & tensors,
                    const std::map<std::string, std::string> & meta_str) {
    gguf_file src(in, true);
    gguf_context * dst = gguf_init_empty();
    std::unique_ptr<gguf_context, void (*)(gguf_context *)> dst_guard(dst, gguf_free);
    gguf_set_kv(dst, src.g);
    for (const auto & kv : meta_str) gguf_set_val_str(dst, kv.first.c_str(), kv.second.c_str());

    auto replaced = [&](const char * name) {
        for (const auto & t : tensors) if (t.name == name) return true;
        return false;
    };
    const int64_t n = gguf_get_n_tensors(src.g);
    for (int64_t i = 0; i < n; i++) {
        const char * name = gguf_get_tensor_name(src.g, i);
        if (replaced(name)) continue;
        gguf_add_tensor(dst, ggml_get_tensor(src.c, name));
    }
    auto data = add_f32_tensors(dst, tensors);
    gguf_write_atomic(dst, out, "GGUF");
}

void gguf_write_new(const std::string & out, const std::vector<gguf_tensor_f32> & tensors,
                    const std::map<std::string, std::string> & meta_str, const std::map<std::string, int32_t> & meta_i32,
                    const char * what) {
    gguf_context * dst = gguf_init_empty();
    std::unique_ptr<gguf_context, void (*)(gguf_context *)> dst_guard(dst, gguf_free);
    for (const auto & kv : meta_str) gguf_set_val_str(dst, kv.first.c_str(), kv.second.c_str());
    for (const auto & kv : meta_i32) gguf_set_val_i32(dst, kv.first.c_str(), kv.second);
    auto data = add_f32_tensors(dst, tensors);
    gguf_write_atomic(dst, out, what);
}

void gguf_write_atomic(const gguf_context * g, const std::string & path, const char * what) {
    const std::string tmp = path + ".tmp." + std::to_string(getpid());
    if (!gguf_write_to_file(g, tmp.c_str(), false)) {
        remove(tmp.c_str());
        fail(strfmt("%s: cannot write the %s", path.c_str(), what), "check that the directory exists and is writable");
    }
    if (rename(tmp.c_str(), path.c_str()) != 0) {
        remove(tmp.c_str());
        fail(strfmt("%s: cannot move the %s into place", path.c_str(), what));
    }
}

std::vector<float> matvec(const gguf_tensor_f32 & w, const std::vector<float> & x) {
    if (w.ne.size() != 2 || (int64_t) x.size() != w.ne[0]) {
        fail(strfmt("matvec: tensor '%s' is not [%zu x n]", w.name.c_str(), x.size()));
    }
    const int64_t n_in = w.ne[0], n_out = w.ne[1];
    std::vector<float> y(n_out, 0.0f);
    for (int64_t o = 0; o < n_out; o++) {
        double acc = 0;
        const float * row = w.data.data() + o * n_in;
        for (int64_t i = 0; i < n_in; i++) acc += (double) row[i] * x[i];
        y[o] = (float) acc;
    }
    return y;
}

} // namespace palign
