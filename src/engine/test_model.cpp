// Test models: GGUF writer for random-weight models of several llama.cpp architectures with a real vocabulary.
// Per architecture, the metadata keys and tensors (names, shapes) that its loader in the pinned llama.cpp
// (src/models/<arch>.cpp) requires; llama and qwen3 are written exactly as before (their files are pinned).
#include "engine/test_model.h"

#include "engine/gguf_util.h"
#include "util/error.h"
#include "util/rng.h"

#include "ggml.h"
#include "gguf.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <memory>
#include <vector>

namespace palign {

const std::vector<std::string> & test_model_archs() {
    static const std::vector<std::string> a = {"llama", "qwen3", "qwen2", "qwen3moe", "gemma2", "gemma3", "phi3",
                                               "mistral3", "granite", "olmo2", "bitnet", "mamba", "deepseek2"};
    return a;
}

namespace {

enum class tkind {
    mat,       // weight matrix (the model's type): N(0, 1/fan_in); token_embd N(0, 1)
    mat_f32,   // small matrix kept f32 (rows too short for a quantization block): N(0, 1/fan_in)
    norm,      // norm weight: 1 + N(0, 0.1^2)
    bias,      // bias: N(0, 0.1^2)
    neg,       // mamba's A (= -exp(A_log)): -(1 + N(0, 0.1^2))
};

struct tdef {
    std::string name;
    int64_t ne0, ne1;
    tkind kind;
    int64_t ne2 = 1;   // experts, or heads of deepseek2's k_b / v_b
};

// architectures whose loader sizes wo and the q projection by n_embd, so the head size is n_embd / n_head
bool head_dim_fixed(const std::string & a) {
    return a == "qwen2" || a == "phi3" || a == "olmo2" || a == "bitnet";
}

} // namespace

void write_test_model(const test_model_params & p, const std::string & out) {
    const std::string & a = p.arch;
    if (std::find(test_model_archs().begin(), test_model_archs().end(), a) == test_model_archs().end()) {
        std::string names;
        for (const auto & x : test_model_archs()) names += (names.empty() ? "" : ", ") + x;
        fail(strfmt("test model: unknown arch '%s'", a.c_str()), "use one of: " + names);
    }
    const bool attn = a != "mamba";
    const int hd = p.head_dim > 0 ? p.head_dim : p.n_embd / p.n_head;
    if (p.n_layer <= 0 || p.n_embd <= 0 || p.n_head <= 0 || p.n_head_kv <= 0 || p.n_head % p.n_head_kv != 0 || hd <= 0 || p.n_ff <= 0) {
        fail(strfmt("test model: bad shape (n_layer=%d n_embd=%d n_head=%d n_head_kv=%d head_dim=%d n_ff=%d)",
                    p.n_layer, p.n_embd, p.n_head, p.n_head_kv, hd, p.n_ff), "n_head must be a multiple of n_head_kv");
    }
    if (head_dim_fixed(a) && hd * p.n_head != p.n_embd) {
        fail(strfmt("test model: arch %s needs head_dim * n_head == n_embd (%d * %d != %d)", a.c_str(), hd, p.n_head, p.n_embd),
             "leave head_dim at 0");
    }
    const bool moe = a == "qwen3moe";
    if (moe && (p.n_expert < 1 || p.n_expert_used < 1 || p.n_expert_used > p.n_expert)) {
        fail(strfmt("test model: qwen3moe needs 1 <= n_expert_used <= n_expert (%d of %d)", p.n_expert_used, p.n_expert));
    }
    const int n_ff_exp = p.n_ff_exp > 0 ? p.n_ff_exp : (moe ? p.n_ff / p.n_expert_used : 0);
    ggml_type wtype;
    if (p.type == "f32") wtype = GGML_TYPE_F32;
    else if (p.type == "f16") wtype = GGML_TYPE_F16;
    else if (p.type == "q8_0") wtype = GGML_TYPE_Q8_0;
    else fail(strfmt("test model: unknown weight type '%s'", p.type.c_str()), "use f32, f16 or q8_0");

    // deepseek2 (multi-head latent attention, MQA form as converted by llama.cpp): K/V are one latent of
    // kv_lora values (+ a rope part) per token; key/value_length describe that latent, *_mla the real heads
    const int mla_rope = 8, mla_kv_lora = 2 * hd;
    // mamba: d_inner = 2 n_embd (the only expansion llama.cpp supports)
    const int ssm_conv = 4, ssm_inner = 2 * p.n_embd, ssm_state = 16, ssm_dt_rank = 4;

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
    auto u32 = [&](const std::string & k, uint32_t v) { gguf_set_val_u32(g, (a + "." + k).c_str(), v); };
    auto f32 = [&](const std::string & k, float v) { gguf_set_val_f32(g, (a + "." + k).c_str(), v); };
    gguf_set_val_str(g, "general.architecture", a.c_str());
    gguf_set_val_str(g, "general.name", p.name.c_str());
    gguf_set_val_str(g, "general.description", "palign test model: RANDOM WEIGHTS, not a language model");
    u32("context_length", p.n_ctx);
    u32("embedding_length", p.n_embd);
    u32("block_count", p.n_layer);
    if (attn) {
        const bool mla = a == "deepseek2";
        u32("feed_forward_length", p.n_ff);
        u32("attention.head_count", p.n_head);
        u32("attention.head_count_kv", mla ? 1 : p.n_head_kv);
        u32("attention.key_length", mla ? mla_kv_lora + mla_rope : hd);
        u32("attention.value_length", mla ? mla_kv_lora : hd);
        f32("attention.layer_norm_rms_epsilon", 1e-6f);
        f32("rope.freq_base", 10000.0f);
        u32("rope.dimension_count", mla ? mla_rope : hd);
    } else {
        f32("attention.layer_norm_rms_epsilon", 1e-6f);
    }
    // architecture extras (none for llama and qwen3)
    if (moe) {
        u32("expert_count", p.n_expert);
        u32("expert_used_count", p.n_expert_used);
        u32("expert_feed_forward_length", n_ff_exp);
    }
    if (a == "gemma2") {
        u32("attention.sliding_window", p.n_swa > 0 ? p.n_swa : 4096);
        if (p.swa_pattern > 0) u32("attention.sliding_window_pattern", p.swa_pattern);
        f32("attn_logit_softcapping", 50.0f);
        f32("final_logit_softcapping", 30.0f);
    }
    if ((a == "gemma3" || a == "olmo2") && p.n_swa > 0) {
        u32("attention.sliding_window", p.n_swa);
        if (p.swa_pattern > 0) u32("attention.sliding_window_pattern", p.swa_pattern);
        f32("rope.freq_base_swa", 10000.0f);
    }
    if (a == "granite") {   // Granite 3.x multipliers (attention_multiplier = 1/head_dim)
        f32("logit_scale", 8.0f);
        f32("residual_scale", 0.22f);
        f32("embedding_scale", 12.0f);
        f32("attention.scale", 1.0f / (float) hd);
    }
    if (a == "deepseek2") {
        u32("attention.q_lora_rank", 0);
        u32("attention.kv_lora_rank", mla_kv_lora);
        u32("attention.key_length_mla", hd + mla_rope);
        u32("attention.value_length_mla", hd);
        u32("leading_dense_block_count", p.n_layer);   // dense feed-forward everywhere: no experts
        u32("expert_feed_forward_length", p.n_ff);
        u32("expert_shared_count", 0);
    }
    if (a == "mamba") {
        u32("ssm.conv_kernel", ssm_conv);
        u32("ssm.inner_size", ssm_inner);
        u32("ssm.state_size", ssm_state);
        u32("ssm.time_step_rank", ssm_dt_rank);
    }
    if (!p.chat_template.empty()) gguf_set_val_str(g, "tokenizer.chat_template", p.chat_template.c_str());

    // tensor list
    const int64_t nq = (int64_t) p.n_head * hd, nkv = (int64_t) p.n_head_kv * hd;
    std::vector<tdef> defs;
    auto mat  = [&](const std::string & n, int64_t ne0, int64_t ne1, int64_t ne2 = 1) { defs.push_back({n, ne0, ne1, tkind::mat, ne2}); };
    auto norm = [&](const std::string & n, int64_t ne0) { defs.push_back({n, ne0, 1, tkind::norm}); };
    defs.push_back({"token_embd.weight", p.n_embd, n_vocab, tkind::mat});
    norm("output_norm.weight", p.n_embd);
    if (a == "olmo2") mat("output.weight", p.n_embd, n_vocab);   // required there (no tied embeddings)
    for (int il = 0; il < p.n_layer; il++) {
        const std::string b = "blk." + std::to_string(il) + ".";
        if (a == "mamba") {
            norm(b + "attn_norm.weight", p.n_embd);
            mat(b + "ssm_in.weight", p.n_embd, 2 * ssm_inner);
            defs.push_back({b + "ssm_conv1d.weight", ssm_conv, ssm_inner, tkind::mat_f32});
            defs.push_back({b + "ssm_conv1d.bias", ssm_inner, 1, tkind::bias});
            mat(b + "ssm_x.weight", ssm_inner, ssm_dt_rank + 2 * ssm_state);
            defs.push_back({b + "ssm_dt.weight", ssm_dt_rank, ssm_inner, tkind::mat_f32});
            defs.push_back({b + "ssm_dt.bias", ssm_inner, 1, tkind::bias});
            defs.push_back({b + "ssm_a", ssm_state, ssm_inner, tkind::neg});
            norm(b + "ssm_d", ssm_inner);
            mat(b + "ssm_out.weight", ssm_inner, p.n_embd);
            continue;
        }
        if (a == "deepseek2") {
            norm(b + "attn_norm.weight", p.n_embd);
            norm(b + "attn_kv_a_norm.weight", mla_kv_lora);
            mat(b + "attn_q.weight", p.n_embd, (int64_t) p.n_head * (hd + mla_rope));
            mat(b + "attn_kv_a_mqa.weight", p.n_embd, mla_kv_lora + mla_rope);
            defs.push_back({b + "attn_k_b.weight", hd, mla_kv_lora, tkind::mat_f32, p.n_head});
            defs.push_back({b + "attn_v_b.weight", mla_kv_lora, hd, tkind::mat_f32, p.n_head});
            mat(b + "attn_output.weight", nq, p.n_embd);
            norm(b + "ffn_norm.weight", p.n_embd);
            mat(b + "ffn_gate.weight", p.n_embd, p.n_ff);
            mat(b + "ffn_down.weight", p.n_ff, p.n_embd);
            mat(b + "ffn_up.weight", p.n_embd, p.n_ff);
            continue;
        }
        if (a != "olmo2") norm(b + "attn_norm.weight", p.n_embd);
        if (a == "bitnet") norm(b + "attn_sub_norm.weight", p.n_embd);
        if (a == "phi3") {
            mat(b + "attn_qkv.weight", p.n_embd, nq + 2 * nkv);   // Phi-3 GGUFs have the fused projection
        } else {
            mat(b + "attn_q.weight", p.n_embd, nq);
            mat(b + "attn_k.weight", p.n_embd, nkv);
            mat(b + "attn_v.weight", p.n_embd, nkv);
        }
        if (a == "qwen2") {
            defs.push_back({b + "attn_q.bias", nq, 1, tkind::bias});
            defs.push_back({b + "attn_k.bias", nkv, 1, tkind::bias});
            defs.push_back({b + "attn_v.bias", nkv, 1, tkind::bias});
        }
        mat(b + "attn_output.weight", nq, p.n_embd);
        if (a == "qwen3" || moe) {
            norm(b + "attn_q_norm.weight", hd);
            norm(b + "attn_k_norm.weight", hd);
        }
        if (a == "gemma2" || a == "gemma3") norm(b + "post_attention_norm.weight", p.n_embd);
        if (a == "gemma3") {
            norm(b + "attn_k_norm.weight", hd);
            norm(b + "attn_q_norm.weight", hd);
        }
        if (a == "olmo2") {   // q/k norms over all heads at once
            norm(b + "attn_q_norm.weight", nq);
            norm(b + "attn_k_norm.weight", nkv);
            norm(b + "post_attention_norm.weight", p.n_embd);
        }
        if (a != "olmo2") norm(b + "ffn_norm.weight", p.n_embd);
        if (moe) {
            mat(b + "ffn_gate_inp.weight", p.n_embd, p.n_expert);
            mat(b + "ffn_gate_exps.weight", p.n_embd, n_ff_exp, p.n_expert);
            mat(b + "ffn_down_exps.weight", n_ff_exp, p.n_embd, p.n_expert);
            mat(b + "ffn_up_exps.weight", p.n_embd, n_ff_exp, p.n_expert);
        } else if (a == "phi3") {
            mat(b + "ffn_down.weight", p.n_ff, p.n_embd);
            mat(b + "ffn_up.weight", p.n_embd, 2 * p.n_ff);         // gate and up, fused
        } else {
            if (a == "bitnet") norm(b + "ffn_sub_norm.weight", p.n_ff);
            mat(b + "ffn_gate.weight", p.n_embd, p.n_ff);
            mat(b + "ffn_up.weight", p.n_embd, p.n_ff);
            mat(b + "ffn_down.weight", p.n_ff, p.n_embd);
        }
        if (a == "gemma2" || a == "gemma3" || a == "olmo2") norm(b + "post_ffw_norm.weight", p.n_embd);
    }
    auto type_of = [&](const tdef & d) { return d.kind == tkind::mat ? wtype : GGML_TYPE_F32; };
    size_t mem = ggml_tensor_overhead() * (defs.size() + 1);
    for (const auto & d : defs) {
        ggml_type t = type_of(d);
        if (ggml_blck_size(t) > 1 && d.ne0 % ggml_blck_size(t) != 0) {
            fail(strfmt("test model: %s row size %lld is not a multiple of %s's block %lld", d.name.c_str(),
                        (long long) d.ne0, ggml_type_name(t), (long long) ggml_blck_size(t)));
        }
        mem += ggml_row_size(t, d.ne0) * d.ne1 * d.ne2 + 64;
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
        const ggml_type t = type_of(d);
        const bool vec = d.kind == tkind::norm || d.kind == tkind::bias;
        ggml_tensor * gt = d.ne2 > 1 ? ggml_new_tensor_3d(ctx, t, d.ne0, d.ne1, d.ne2)
                         : vec       ? ggml_new_tensor_1d(ctx, t, d.ne0)
                                     : ggml_new_tensor_2d(ctx, t, d.ne0, d.ne1);
        ggml_set_name(gt, d.name.c_str());
        // embeddings ~ N(0, 1); matrices ~ N(0, 1/fan_in); norm weights ~ 1 + N(0, 0.1^2)
        const double sd = d.name == "token_embd.weight" ? 1.0 : 1.0 / std::sqrt((double) d.ne0);
        const int64_t n_rows = d.ne1 * d.ne2;
        row.resize(d.ne0);
        if (p.row_pool > 0 && d.kind == tkind::mat) {
            const pool & pl = pool_for(t, d.ne0);
            for (int64_t i1 = 0; i1 < n_rows; i1++) {
                const uint64_t k = r.next() % (uint64_t) p.row_pool;
                memcpy((char *) gt->data + i1 * gt->nb[1], pl.rows.data() + k * pl.row_size, pl.row_size);
            }
            gguf_add_tensor(g, gt);
            continue;
        }
        for (int64_t i1 = 0; i1 < n_rows; i1++) {
            for (int64_t i0 = 0; i0 < d.ne0; i0++) {
                switch (d.kind) {
                    case tkind::norm: row[i0] = (float) (1.0 + 0.1 * r.normal()); break;
                    case tkind::bias: row[i0] = (float) (0.1 * r.normal()); break;
                    case tkind::neg:  row[i0] = (float) -(1.0 + 0.1 * r.normal()); break;
                    default:          row[i0] = (float) (sd * r.normal()); break;
                }
            }
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
