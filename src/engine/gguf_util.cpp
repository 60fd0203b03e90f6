// GGUF utilities over ggml's gguf API (checked metadata, model pre-check, read tensors, write copies atomically).
#include "engine/gguf_util.h"

#include "engine/llama_log.h"
#include "util/error.h"
#include "util/fs_util.h"
#include "util/log.h"

#include "ggml.h"
#include "gguf.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>

namespace palign {

// llama.cpp's reason for a refused GGUF, without its function-name prefix ("" if it gave none)
static std::string gguf_reason() {
    std::string why = log_last_llama_error();
    const size_t colon = why.find(": ");
    if (colon != std::string::npos && why.compare(0, 5, "gguf_") == 0) why = why.substr(colon + 2);
    if (why.size() > 200) why = why.substr(0, 200) + "...";
    return why;
}

gguf_meta::gguf_meta(const std::string & path, const char * what) : path_(path), what_(what) {
    struct stat st{};
    if (stat(path.c_str(), &st) != 0) fail(strfmt("%s: cannot open the %s (%s)", path.c_str(), what, strerror(errno)), "check the path");
    if (!S_ISREG(st.st_mode)) fail(strfmt("%s: not a regular file (a %s must be a file)", path.c_str(), what));
    size_ = (uint64_t) st.st_size;
    log_clear_llama_error();
    gguf_init_params ip = { /*no_alloc=*/ true, /*ctx=*/ nullptr };
    g_ = gguf_init_from_file(path.c_str(), ip);
    if (!g_) {
        const std::string why = gguf_reason();
        fail(strfmt("%s: not a readable GGUF %s (truncated or corrupt%s%s)", path.c_str(), what, why.empty() ? "" : ": ", why.c_str()));
    }
    // ggml allocates the whole data section when asked to load it: a size from a corrupt header would make it
    // assert; so every tensor must lie inside the file before any data is read
    const uint64_t off = gguf_get_data_offset(g_);
    for (int64_t i = 0; i < gguf_get_n_tensors(g_); i++) {
        const uint64_t o = gguf_get_tensor_offset(g_, i), n = gguf_get_tensor_size(g_, i);
        if (off > size_ || o > size_ - off || n > size_ - off - o) {
            const std::string name = gguf_get_tensor_name(g_, i);
            gguf_free(g_);
            g_ = nullptr;
            fail(strfmt("%s: tensor '%s' (%llu bytes at %llu) lies outside the file (%llu bytes): truncated or corrupt %s",
                        path.c_str(), name.c_str(), (unsigned long long) n, (unsigned long long) (off + o),
                        (unsigned long long) size_, what));
        }
    }
}

gguf_meta::~gguf_meta() {
    if (g_) gguf_free(g_);
}

static const char * type_name(int t) { return t >= 0 && t < GGUF_TYPE_COUNT ? gguf_type_name((gguf_type) t) : "?"; }

int64_t gguf_meta::find(const char * key, int t, bool required) const {
    const int64_t id = gguf_find_key(g_, key);
    if (id < 0) {
        if (!required) return -1;
        fail(strfmt("%s: field '%s' is missing", path_.c_str(), key),
             what_ == "steering file" ? "is this a palign steering file? (palign align writes them)" : "");
    }
    const int kt = gguf_get_kv_type(g_, id);
    if (kt != t) fail(strfmt("%s: field '%s' is %s, not %s", path_.c_str(), key, type_name(kt), type_name(t)), "the file is corrupt or not a " + what_);
    return id;
}

int64_t gguf_meta::find_arr(const char * key, int elem, long long n, bool required) const {
    const int64_t id = find(key, GGUF_TYPE_ARRAY, required);
    if (id < 0) return id;
    const int at = gguf_get_arr_type(g_, id);
    if (at != elem) fail(strfmt("%s: field '%s' is an array of %s, not of %s", path_.c_str(), key, type_name(at), type_name(elem)),
                         "the file is corrupt or not a " + what_);
    if (n >= 0 && (long long) gguf_get_arr_n(g_, id) != n) {
        fail(strfmt("%s: field '%s' holds %zu values, expected %lld", path_.c_str(), key, gguf_get_arr_n(g_, id), n),
             "the file is corrupt or not a " + what_);
    }
    return id;
}

std::string gguf_meta::str(const char * key) const { return gguf_get_val_str(g_, find(key, GGUF_TYPE_STRING)); }
int32_t gguf_meta::i32(const char * key) const { return gguf_get_val_i32(g_, find(key, GGUF_TYPE_INT32)); }
uint64_t gguf_meta::u64(const char * key) const { return gguf_get_val_u64(g_, find(key, GGUF_TYPE_UINT64)); }
double gguf_meta::f64(const char * key) const { return gguf_get_val_f64(g_, find(key, GGUF_TYPE_FLOAT64)); }

std::vector<std::string> gguf_meta::arr_str(const char * key) const {
    const int64_t id = find_arr(key, GGUF_TYPE_STRING);
    std::vector<std::string> out;
    for (size_t i = 0; i < gguf_get_arr_n(g_, id); i++) out.emplace_back(gguf_get_arr_str(g_, id, i));
    return out;
}

std::vector<int32_t> gguf_meta::arr_i32(const char * key, long long n) const {
    const int64_t id = find_arr(key, GGUF_TYPE_INT32, n);
    const int32_t * p = (const int32_t *) gguf_get_arr_data(g_, id);
    return std::vector<int32_t>(p, p + gguf_get_arr_n(g_, id));
}

std::vector<float> gguf_meta::arr_f32(const char * key, long long n) const {
    const int64_t id = find_arr(key, GGUF_TYPE_FLOAT32, n);
    const float * p = (const float *) gguf_get_arr_data(g_, id);
    return std::vector<float>(p, p + gguf_get_arr_n(g_, id));
}

std::vector<char> gguf_meta::tensor_bytes(const char * name) const {
    const int64_t id = gguf_find_tensor(g_, name);
    if (id < 0) fail(strfmt("%s: tensor '%s' is missing", path_.c_str(), name), "the file is corrupt or not a " + what_);
    std::vector<char> buf(gguf_get_tensor_size(g_, id));   // inside the file: checked when opened
    const int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    const off_t at = (off_t) (gguf_get_data_offset(g_) + gguf_get_tensor_offset(g_, id));
    size_t got = 0;
    while (fd >= 0 && got < buf.size()) {
        const ssize_t r = pread(fd, buf.data() + got, buf.size() - got, at + (off_t) got);
        if (r <= 0) break;
        got += (size_t) r;
    }
    if (fd >= 0) close(fd);
    if (got != buf.size()) fail(strfmt("%s: tensor '%s' cannot be read (truncated?)", path_.c_str(), name));
    return buf;
}

static std::unique_ptr<ggml_context, void (*)(ggml_context *)> add_f32_tensors(gguf_context * dst, const std::vector<gguf_tensor_f32> & tensors);

std::vector<int64_t> gguf_meta::tensor_shape_f32(const char * name) const {
    const int64_t id = gguf_find_tensor(g_, name);
    if (id < 0 || gguf_get_tensor_type(g_, id) != GGML_TYPE_F32) {
        fail(strfmt("%s: tensor '%s' (f32) is missing", path_.c_str(), name), "the file is corrupt or not a " + what_);
    }
    const int64_t * ne = gguf_get_tensor_ne(g_, id);
    return {ne[0], ne[1], ne[2], ne[3]};
}

size_t gguf_meta::arr_len_i32(const char * key) const { return gguf_get_arr_n(g_, find_arr(key, GGUF_TYPE_INT32)); }

gguf_builder::gguf_builder() : g_(gguf_init_empty()) {}
gguf_builder::~gguf_builder() { gguf_free(g_); }
void gguf_builder::set_str(const char * key, const std::string & v) { gguf_set_val_str(g_, key, v.c_str()); }
void gguf_builder::set_i32(const char * key, int32_t v) { gguf_set_val_i32(g_, key, v); }
void gguf_builder::set_u64(const char * key, uint64_t v) { gguf_set_val_u64(g_, key, v); }
void gguf_builder::set_f64(const char * key, double v) { gguf_set_val_f64(g_, key, v); }
void gguf_builder::set_arr_str(const char * key, const std::vector<std::string> & v) {
    std::vector<const char *> p;
    for (const auto & x : v) p.push_back(x.c_str());
    gguf_set_arr_str(g_, key, p.data(), p.size());
}
void gguf_builder::set_arr_i32(const char * key, const std::vector<int32_t> & v) { gguf_set_arr_data(g_, key, GGUF_TYPE_INT32, v.data(), v.size()); }
void gguf_builder::set_arr_f32(const char * key, const std::vector<float> & v) { gguf_set_arr_data(g_, key, GGUF_TYPE_FLOAT32, v.data(), v.size()); }
void gguf_builder::add_f32(gguf_tensor_f32 t) { tensors_.push_back(std::move(t)); }
void gguf_builder::write(const std::string & path, const char * what) {
    if (written_) fail(strfmt("%s: gguf_builder::write called twice for the %s", path.c_str(), what));
    written_ = true;
    auto data = add_f32_tensors(g_, tensors_);
    gguf_write_atomic(g_, path, what);
}

void gguf_check_model(const std::string & path) {
    gguf_meta m(path, "model");
    gguf_context * g = m.get();
    const char * hint = "the model file is corrupt: download or convert it again";
    // tokenizer.ggml.tokens: llama.cpp maps every token to its id and asserts that no two are equal
    const int64_t tok = m.find("tokenizer.ggml.tokens", GGUF_TYPE_ARRAY, false);
    size_t n_tokens = 0;
    if (tok >= 0) {
        m.find_arr("tokenizer.ggml.tokens", GGUF_TYPE_STRING);
        n_tokens = gguf_get_arr_n(g, tok);
        std::unordered_set<std::string> seen;
        seen.reserve(n_tokens * 2);
        for (size_t i = 0; i < n_tokens; i++) {
            std::string w = gguf_get_arr_str(g, tok, i);
            if (w.empty()) w = "[EMPTY_" + std::to_string(i) + "]";   // as llama.cpp names an empty token
            if (!seen.insert(w).second) {
                size_t first = 0;
                for (size_t k = 0; k < i; k++) {
                    std::string o = gguf_get_arr_str(g, tok, k);
                    if (o.empty()) o = "[EMPTY_" + std::to_string(k) + "]";
                    if (o == w) { first = k; break; }
                }
                std::string shown;
                for (unsigned char c : w.substr(0, 40)) shown += c >= 0x20 && c < 0x7f ? std::string(1, (char) c) : strfmt("\\x%02x", c);
                fail(strfmt("%s: field 'tokenizer.ggml.tokens': token %zu ('%s') is the same as token %zu", path.c_str(), i,
                            shown.c_str(), first), hint);
            }
        }
        for (const char * k : {"tokenizer.ggml.scores", "tokenizer.ggml.token_type"}) {
            const int64_t id = m.find(k, GGUF_TYPE_ARRAY, false);
            if (id < 0) continue;
            const int at = gguf_get_arr_type(g, id);
            const bool ok_type = std::string(k) == "tokenizer.ggml.scores" ? (at == GGUF_TYPE_FLOAT32 || at == GGUF_TYPE_INT32)
                                                                           : at == GGUF_TYPE_INT32;
            if (!ok_type) fail(strfmt("%s: field '%s' is an array of %s", path.c_str(), k, type_name(at)), hint);
            if (gguf_get_arr_n(g, id) < n_tokens) {
                fail(strfmt("%s: field '%s' has %zu values for %zu tokens", path.c_str(), k, gguf_get_arr_n(g, id), n_tokens), hint);
            }
        }
        if (m.find("tokenizer.ggml.merges", GGUF_TYPE_ARRAY, false) >= 0) m.find_arr("tokenizer.ggml.merges", GGUF_TYPE_STRING);
    }
    // the geometry llama.cpp divides by
    const int64_t arch_id = m.find("general.architecture", GGUF_TYPE_STRING, false);
    if (arch_id < 0) return;   // llama.cpp says what is missing
    const std::string arch = gguf_get_val_str(g, arch_id);
    // scalar integer keys and the ranges llama.cpp assumes (it asserts or divides by them); per-layer arrays
    // are llama.cpp's to check
    struct range { const char * suffix; long long lo, hi; };
    long long n_layer = -1;
    for (const range & r : {range{".block_count", 1, 512}, range{".embedding_length", 1, 1 << 24},
                            range{".attention.head_count", 0, 1 << 20}, range{".attention.head_count_kv", 0, 1 << 20},
                            range{".nextn_predict_layers", 0, 512}}) {
        const std::string key = arch + r.suffix;
        const int64_t id = gguf_find_key(g, key.c_str());
        if (id < 0) continue;
        const int t = gguf_get_kv_type(g, id);
        long long v = 0;
        if (t == GGUF_TYPE_UINT32) v = gguf_get_val_u32(g, id);
        else if (t == GGUF_TYPE_INT32) v = gguf_get_val_i32(g, id);
        else if (t == GGUF_TYPE_UINT64) v = (long long) std::min<uint64_t>(gguf_get_val_u64(g, id), 1ull << 40);
        else if (t == GGUF_TYPE_ARRAY) continue;
        else fail(strfmt("%s: field '%s' is %s, not an integer", path.c_str(), key.c_str(), type_name(t)), hint);
        const long long hi = std::string(r.suffix) == ".nextn_predict_layers" && n_layer > 0 ? n_layer : r.hi;
        if (v < r.lo || v > hi) fail(strfmt("%s: field '%s' is %lld, outside %lld..%lld", path.c_str(), key.c_str(), v, r.lo, hi), hint);
        if (std::string(r.suffix) == ".block_count") n_layer = v;
    }
    const std::string rope_key = arch + ".rope.scaling.type";
    const int64_t rope = m.find(rope_key.c_str(), GGUF_TYPE_STRING, false);
    if (rope >= 0) {
        const std::string v = gguf_get_val_str(g, rope);
        if (v != "none" && v != "linear" && v != "yarn" && v != "longrope") {
            fail(strfmt("%s: field '%s' is '%s' (llama.cpp knows none, linear, yarn, longrope)", path.c_str(), rope_key.c_str(),
                        v.substr(0, 40).c_str()), hint);
        }
    }
}

namespace {
struct gguf_file {
    gguf_context * g = nullptr;
    ggml_context * c = nullptr;
    gguf_file(const std::string & path, bool load_data) {
        gguf_meta check(path, "GGUF");   // bounds before ggml allocates the data section
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

void gguf_write_atomic(const gguf_context * g, const std::string & path, const char * what) {
    atomic_file f(path, what);
    if (!gguf_write_to_file_ptr(g, f.stream(), false)) {
        fail(strfmt("%s: cannot write the %s", path.c_str(), what), "check that the directory exists and is writable");
    }
    f.commit();
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
