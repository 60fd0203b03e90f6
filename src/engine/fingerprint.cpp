// Fingerprint: cheap content identity of a GGUF file.
#include "engine/fingerprint.h"

#include "engine/model.h"
#include "util/error.h"

#include <cstdio>
#include <cstring>
#include <vector>

namespace palign {

uint64_t fnv1a64(const void * data, size_t n, uint64_t h) {
    const unsigned char * p = (const unsigned char *) data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

std::string hex64(uint64_t v) { return strfmt("%016llx", (unsigned long long) v); }

std::string model_file_id(const model_info & info) {
    FILE * f = fopen(info.path.c_str(), "rb");
    if (!f) fail(strfmt("%s: cannot open to fingerprint", info.path.c_str()));
    fseek(f, 0, SEEK_END);
    const long long size = ftell(f);
    const size_t chunk = 8u << 20;
    std::vector<unsigned char> buf(chunk);
    uint64_t h = fnv1a64(&size, sizeof(size));
    fseek(f, 0, SEEK_SET);
    size_t n = fread(buf.data(), 1, chunk, f);
    h = fnv1a64(buf.data(), n, h);
    if (size > (long long) chunk) {
        fseek(f, (long) std::max<long long>(size - (long long) chunk, (long long) chunk), SEEK_SET);
        n = fread(buf.data(), 1, chunk, f);
        h = fnv1a64(buf.data(), n, h);
    }
    fclose(f);
    return strfmt("%s-L%dH%dD%d-%s", info.arch.c_str(), info.n_layer, info.n_head, info.head_dim, hex64(h).c_str());
}

} // namespace palign

#include "gguf.h"

#include <memory>

namespace palign {

std::string model_fingerprint::diff(const model_fingerprint & o) const {
    if (arch != o.arch) return "architecture: " + arch + " vs " + o.arch;
    if (n_layer != o.n_layer) return strfmt("n_layer: %d vs %d", n_layer, o.n_layer);
    if (n_head != o.n_head) return strfmt("n_head: %d vs %d", n_head, o.n_head);
    if (n_head_kv != o.n_head_kv) return strfmt("n_head_kv: %d vs %d", n_head_kv, o.n_head_kv);
    if (head_dim != o.head_dim) return strfmt("head_dim: %d vs %d", head_dim, o.head_dim);
    if (n_embd != o.n_embd) return strfmt("n_embd: %d vs %d", n_embd, o.n_embd);
    if (tokenizer_hash != o.tokenizer_hash) return "tokenizer hash: " + tokenizer_hash + " vs " + o.tokenizer_hash;
    if (attn_output_hash != o.attn_output_hash) return "attn_output weights hash: " + attn_output_hash + " vs " + o.attn_output_hash;
    return "";
}

// byte size of a scalar GGUF type (gguf.h has no public getter)
static size_t gguf_scalar_size(gguf_type t) {
    switch (t) {
        case GGUF_TYPE_UINT8: case GGUF_TYPE_INT8: case GGUF_TYPE_BOOL: return 1;
        case GGUF_TYPE_UINT16: case GGUF_TYPE_INT16: return 2;
        case GGUF_TYPE_UINT32: case GGUF_TYPE_INT32: case GGUF_TYPE_FLOAT32: return 4;
        case GGUF_TYPE_UINT64: case GGUF_TYPE_INT64: case GGUF_TYPE_FLOAT64: return 8;
        default: return 0;
    }
}

static uint64_t hash_kv(const gguf_context * g, int64_t i, uint64_t h) {
    const gguf_type t = gguf_get_kv_type(g, i);
    if (t == GGUF_TYPE_STRING) {
        const char * s = gguf_get_val_str(g, i);
        return fnv1a64(s, strlen(s), h);
    }
    if (t == GGUF_TYPE_ARRAY) {
        const gguf_type at = gguf_get_arr_type(g, i);
        const size_t n = gguf_get_arr_n(g, i);
        if (at == GGUF_TYPE_STRING) {
            for (size_t k = 0; k < n; k++) {
                const char * s = gguf_get_arr_str(g, i, k);
                h = fnv1a64(s, strlen(s) + 1, h);
            }
            return h;
        }
        return fnv1a64(gguf_get_arr_data(g, i), n * gguf_scalar_size(at), h);
    }
    return fnv1a64(gguf_get_val_data(g, i), gguf_scalar_size(t), h);
}

model_fingerprint compute_fingerprint(const model_info & info) {
    model_fingerprint fp;
    fp.arch = info.arch;
    fp.n_layer = info.n_layer;
    fp.n_head = info.n_head;
    fp.n_head_kv = info.n_head_kv;
    fp.head_dim = info.head_dim;
    fp.n_embd = info.n_embd;
    gguf_init_params ip = { /*no_alloc=*/ true, /*ctx=*/ nullptr };
    gguf_context * g = gguf_init_from_file(info.path.c_str(), ip);
    if (!g) fail(strfmt("%s: cannot read GGUF metadata to fingerprint the model", info.path.c_str()));
    std::unique_ptr<gguf_context, void (*)(gguf_context *)> guard(g, gguf_free);
    uint64_t h = fnv1a64("tok", 3);
    for (int64_t i = 0; i < gguf_get_n_kv(g); i++) {
        const std::string key = gguf_get_key(g, i);
        if (key.rfind("tokenizer.", 0) == 0 && key != "tokenizer.chat_template") {
            h = fnv1a64(key.data(), key.size(), h);
            h = hash_kv(g, i, h);
        }
    }
    fp.tokenizer_hash = hex64(h);
    FILE * f = fopen(info.path.c_str(), "rb");
    if (!f) fail(strfmt("%s: cannot open to fingerprint", info.path.c_str()));
    uint64_t hw = fnv1a64("wo", 2);
    std::vector<unsigned char> buf;
    for (int il = 0; il < info.n_layer; il++) {
        const std::string name = "blk." + std::to_string(il) + ".attn_output.weight";
        const int64_t id = gguf_find_tensor(g, name.c_str());
        if (id < 0) continue;
        const size_t off = gguf_get_data_offset(g) + gguf_get_tensor_offset(g, id);
        buf.resize(gguf_get_tensor_size(g, id));
        if (fseek(f, (long) off, SEEK_SET) != 0 || fread(buf.data(), 1, buf.size(), f) != buf.size()) {
            fclose(f);
            fail(strfmt("%s: tensor '%s' is truncated", info.path.c_str(), name.c_str()));
        }
        hw = fnv1a64(buf.data(), buf.size(), hw);
    }
    fclose(f);
    fp.attn_output_hash = hex64(hw);
    return fp;
}

} // namespace palign
