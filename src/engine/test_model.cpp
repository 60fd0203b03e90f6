// Test models: GGUF writer for random-weight llama/qwen3 models with a real vocabulary.
#include "engine/test_model.h"

#include "engine/gguf_util.h"
#include "util/error.h"
#include "util/rng.h"

#include "ggml.h"
#include "gguf.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <memory>
#include <vector>

namespace palign {

void write_test_model(const test_model_params & p, const std::string & out) {
    if (p.arch != "llama" && p.arch != "qwen3") fail(strfmt("test model: unknown arch '%s'", p.arch.c_str()), "use llama or qwen3");
    const int hd = p.head_dim > 0 ? p.head_dim : p.n_embd / p.n_head;
    if (p.n_layer <= 0 || p.n_embd <= 0 || p.n_head <= 0 || p.n_head_kv <= 0 || p.n_head % p.n_head_kv != 0 || hd <= 0 || p.n_ff <= 0) {
        fail(strfmt("test model: bad shape (n_layer=%d n_embd=%d n_head=%d n_head_kv=%d head_dim=%d n_ff=%d)",
                    p.n_layer, p.n_embd, p.n_head, p.n_head_kv, hd, p.n_ff), "n_head must be a multiple of n_head_kv");
    }
    ggml_type wtype;
    if (p.type == "f32") wtype = GGML_TYPE_F32;
    else if (p.type == "f16") wtype = GGML_TYPE_F16;
    else if (p.type == "q8_0") wtype = GGML_TYPE_Q8_0;
    else fail(strfmt("test model: unknown weight type '%s'", p.type.c_str()), "use f32, f16 or q8_0");

    // tokenizer from the vocabulary file
    gguf_init_params vp = { /*no_alloc=*/ true, /*ctx=*/ nullptr };
    gguf_context * voc = gguf_init_from_file(p.vocab_path.c_str(), vp);
    if (!voc) fail(strfmt("%s: cannot read vocabulary GGUF", p.vocab_path.c_str()), "point to llama.cpp's models/ggml-vocab-*.gguf");
    std::unique_ptr<gguf_context, void (*)(gguf_context *)> voc_guard(voc, gguf_free);
    const int64_t tok_key = gguf_find_key(voc, "tokenizer.ggml.tokens");
    if (tok_key < 0) fail(strfmt("%s: no tokenizer.ggml.tokens", p.vocab_path.c_str()));
    const int n_vocab = (int) gguf_get_arr_n(voc, tok_key);

    gguf_context * g = gguf_init_empty();
    std::unique_ptr<gguf_context, void (*)(gguf_context *)> g_guard(g, gguf_free);
    gguf_set_kv(g, voc);
    for (int64_t i = gguf_get_n_kv(g) - 1; i >= 0; i--) {   // keep only tokenizer.*
        std::string key = gguf_get_key(g, i);
        if (key.rfind("tokenizer.", 0) != 0) gguf_remove_key(g, key.c_str());
    }
    const std::string a = p.arch;
    gguf_set_val_str(g, "general.architecture", a.c_str());
    gguf_set_val_str(g, "general.name", p.name.c_str());
    gguf_set_val_str(g, "general.description", "palign test model: RANDOM WEIGHTS, not a language model");
    gguf_set_val_u32(g, (a + ".context_length").c_str(), p.n_ctx);
    gguf_set_val_u32(g, (a + ".embedding_length").c_str(), p.n_embd);
    gguf_set_val_u32(g, (a + ".block_count").c_str(), p.n_layer);
    gguf_set_val_u32(g, (a + ".feed_forward_length").c_str(), p.n_ff);
    gguf_set_val_u32(g, (a + ".attention.head_count").c_str(), p.n_head);
    gguf_set_val_u32(g, (a + ".attention.head_count_kv").c_str(), p.n_head_kv);
    gguf_set_val_u32(g, (a + ".attention.key_length").c_str(), hd);
    gguf_set_val_u32(g, (a + ".attention.value_length").c_str(), hd);
    gguf_set_val_f32(g, (a + ".attention.layer_norm_rms_epsilon").c_str(), 1e-6f);
    gguf_set_val_f32(g, (a + ".rope.freq_base").c_str(), 10000.0f);
    gguf_set_val_u32(g, (a + ".rope.dimension_count").c_str(), hd);
    if (!p.chat_template.empty()) gguf_set_val_str(g, "tokenizer.chat_template", p.chat_template.c_str());

    // tensor list
    struct tdef { std::string name; int64_t ne0, ne1; bool norm; };
    std::vector<tdef> defs;
    defs.push_back({"token_embd.weight", p.n_embd, n_vocab, false});
    defs.push_back({"output_norm.weight", p.n_embd, 1, true});
    for (int il = 0; il < p.n_layer; il++) {
        const std::string b = "blk." + std::to_string(il) + ".";
        defs.push_back({b + "attn_norm.weight", p.n_embd, 1, true});
        defs.push_back({b + "attn_q.weight", p.n_embd, (int64_t) p.n_head * hd, false});
        defs.push_back({b + "attn_k.weight", p.n_embd, (int64_t) p.n_head_kv * hd, false});
        defs.push_back({b + "attn_v.weight", p.n_embd, (int64_t) p.n_head_kv * hd, false});
        defs.push_back({b + "attn_output.weight", (int64_t) p.n_head * hd, p.n_embd, false});
        if (a == "qwen3") {
            defs.push_back({b + "attn_q_norm.weight", hd, 1, true});
            defs.push_back({b + "attn_k_norm.weight", hd, 1, true});
        }
        defs.push_back({b + "ffn_norm.weight", p.n_embd, 1, true});
        defs.push_back({b + "ffn_gate.weight", p.n_embd, p.n_ff, false});
        defs.push_back({b + "ffn_up.weight", p.n_embd, p.n_ff, false});
        defs.push_back({b + "ffn_down.weight", p.n_ff, p.n_embd, false});
    }
    size_t mem = ggml_tensor_overhead() * (defs.size() + 1);
    for (const auto & d : defs) {
        ggml_type t = d.norm ? GGML_TYPE_F32 : wtype;
        if (ggml_blck_size(t) > 1 && d.ne0 % ggml_blck_size(t) != 0) {
            fail(strfmt("test model: %s row size %lld is not a multiple of %s's block %lld", d.name.c_str(),
                        (long long) d.ne0, ggml_type_name(t), (long long) ggml_blck_size(t)));
        }
        mem += ggml_row_size(t, d.ne0) * d.ne1 + 64;
    }
    ggml_init_params ip = { mem, nullptr, false };
    ggml_context * ctx = ggml_init(ip);
    if (!ctx) fail(strfmt("test model: cannot allocate %zu bytes", mem));
    std::unique_ptr<ggml_context, void (*)(ggml_context *)> ctx_guard(ctx, ggml_free);

    rng r(p.seed);
    std::vector<float> row;
    // row pool (benchmarks): per (type, width), row_pool rows quantized once, then copied
    struct pool { ggml_type t; int64_t ne0; std::vector<char> rows; size_t row_size; };
    std::vector<pool> pools;
    auto pool_for = [&](ggml_type t, int64_t ne0) -> pool & {
        for (auto & pl : pools) if (pl.t == t && pl.ne0 == ne0) return pl;
        pools.push_back({t, ne0, {}, ggml_row_size(t, ne0)});
        pool & pl = pools.back();
        pl.rows.resize(pl.row_size * p.row_pool);
        std::vector<float> v(ne0);
        const double sd = 1.0 / std::sqrt((double) ne0);
        for (int k = 0; k < p.row_pool; k++) {
            for (auto & x : v) x = (float) (sd * r.normal());
            char * dst = pl.rows.data() + k * pl.row_size;
            if (t == GGML_TYPE_F32) memcpy(dst, v.data(), ne0 * sizeof(float));
            else ggml_quantize_chunk(t, v.data(), dst, 0, 1, ne0, nullptr);
        }
        return pl;
    };
    for (const auto & d : defs) {
        const ggml_type t = d.norm ? GGML_TYPE_F32 : wtype;
        ggml_tensor * gt = d.ne1 == 1 && d.norm ? ggml_new_tensor_1d(ctx, t, d.ne0) : ggml_new_tensor_2d(ctx, t, d.ne0, d.ne1);
        ggml_set_name(gt, d.name.c_str());
        // embeddings ~ N(0, 1); matrices ~ N(0, 1/fan_in); norm weights ~ 1 + N(0, 0.1^2)
        const double sd = d.name == "token_embd.weight" ? 1.0 : 1.0 / std::sqrt((double) d.ne0);
        row.resize(d.ne0);
        if (p.row_pool > 0 && !d.norm) {
            const pool & pl = pool_for(t, d.ne0);
            for (int64_t i1 = 0; i1 < d.ne1; i1++) {
                const uint64_t k = r.next() % (uint64_t) p.row_pool;
                memcpy((char *) gt->data + i1 * gt->nb[1], pl.rows.data() + k * pl.row_size, pl.row_size);
            }
            gguf_add_tensor(g, gt);
            continue;
        }
        for (int64_t i1 = 0; i1 < d.ne1; i1++) {
            for (int64_t i0 = 0; i0 < d.ne0; i0++) row[i0] = (float) (d.norm ? 1.0 + 0.1 * r.normal() : sd * r.normal());
            char * dst = (char *) gt->data + i1 * gt->nb[1];
            if (t == GGML_TYPE_F32) memcpy(dst, row.data(), d.ne0 * sizeof(float));
            else ggml_quantize_chunk(t, row.data(), dst, 0, 1, d.ne0, nullptr);
        }
        gguf_add_tensor(g, gt);
    }
    gguf_set_val_u32(g, "general.file_type", wtype == GGML_TYPE_F32 ? 0 : wtype == GGML_TYPE_F16 ? 1 : 7);

    gguf_write_atomic(g, out, "test model");
}

} // namespace palign
