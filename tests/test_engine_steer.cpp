// Engine exactness: steering equals an attn_output bias baked into the GGUF (llama), equals W_o*delta on the
// residual stream (qwen3), is per-sequence inside one batch, and is a no-op when off.
#include "engine/chat_template.h"
#include "engine/context.h"
#include "engine/gguf_util.h"
#include "engine/model.h"
#include "engine/steering.h"
#include "util/rng.h"
#include "testlib.h"

#include "llama.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace palign;
using palign_test::max_abs_diff;
using palign_test::model_path;
using palign_test::random_steering;

// W_o,l * delta_l from the GGUF's own weights
static std::vector<float> attn_out_bias(const std::string & path, const steering & s, int il) {
    gguf_tensor_f32 wo = gguf_read_tensor(path, "blk." + std::to_string(il) + ".attn_output.weight");
    return matvec(wo, s.delta[il]);
}

// plain llama.cpp (no callback at all): prefill with all logits, then n_gen greedy steps
struct plain_out { std::vector<std::vector<float>> logits; std::vector<int> gen; };
static plain_out plain_run(const std::string & path, const std::vector<int> & prompt, int n_gen, bool flash) {
    backend_init();
    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = palign_test::test_ngl() < 0 ? 999 : palign_test::test_ngl();   // where palign's context runs
    llama_model * m = llama_model_load_from_file(path.c_str(), mp);
    EXPECT_NE(m, nullptr);
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 512;
    cp.n_batch = 512;
    cp.flash_attn_type = flash ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.type_k = GGML_TYPE_F32;   // exactness is measured without f16 cache rounding
    cp.type_v = GGML_TYPE_F32;
    llama_context * c = llama_init_from_model(m, cp);
    EXPECT_NE(c, nullptr);
    const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(m));
    plain_out out;
    llama_batch b = llama_batch_init(512, 0, 1);
    b.n_tokens = (int) prompt.size();
    for (size_t i = 0; i < prompt.size(); i++) {
        b.token[i] = prompt[i]; b.pos[i] = (int) i; b.n_seq_id[i] = 1; b.seq_id[i][0] = 0; b.logits[i] = true;
    }
    EXPECT_EQ(llama_decode(c, b), 0);
    for (size_t i = 0; i < prompt.size(); i++) {
        const float * lg = llama_get_logits_ith(c, (int) i);
        out.logits.emplace_back(lg, lg + n_vocab);
    }
    int pos = (int) prompt.size();
    for (int g = 0; g < n_gen; g++) {
        const auto & last = out.logits.back();
        int tok = (int) (std::max_element(last.begin(), last.end()) - last.begin());
        out.gen.push_back(tok);
        b.n_tokens = 1;
        b.token[0] = tok; b.pos[0] = pos++; b.n_seq_id[0] = 1; b.seq_id[0][0] = 0; b.logits[0] = true;
        EXPECT_EQ(llama_decode(c, b), 0);
        const float * lg = llama_get_logits_ith(c, 0);
        out.logits.emplace_back(lg, lg + n_vocab);
    }
    llama_batch_free(b);
    llama_free(c);
    llama_model_free(m);
    return out;
}

// the same through palign's context: prefill (all logits) then the given tokens one by one
static std::vector<std::vector<float>> hooked_run(context & ctx, const std::vector<int> & prompt,
                                                  const std::vector<int> & gen, const steering * s) {
    ctx.clear();
    auto out = ctx.decode_seq(prompt, 0, 0, s, true);
    int pos = (int) prompt.size();
    for (int tok : gen) {
        auto l = ctx.decode_seq({tok}, 0, pos++, s, false);
        out.push_back(l[0]);
    }
    return out;
}

static std::vector<int> prompt_tokens(const model & m) {
    return m.tokenize("Given a statement of you: \"You worry about things.\" Please choose an option.", true);
}

class steer_vs_bias : public ::testing::TestWithParam<bool> {};   // param: flash attention

TEST_P(steer_vs_bias, llama_hooked_equals_baked_bias) {
    const bool flash = GetParam();
    const std::string path = model_path("llama3");
    model m({path});
    steering s = random_steering(m.info(), {0, 1}, 1234);
    std::vector<gguf_tensor_f32> bias;
    for (int il = 0; il < m.info().n_layer; il++) {
        bias.push_back({"blk." + std::to_string(il) + ".attn_output.bias", {m.info().n_embd}, attn_out_bias(path, s, il)});
    }
    const std::string baked = palign_test::scratch_dir() + "/baked-" + std::to_string(flash) + ".gguf";
    gguf_copy_with(path, baked, bias);

    const std::vector<int> prompt = prompt_tokens(m);
    ASSERT_GE(prompt.size(), 10u);
    plain_out ref = plain_run(baked, prompt, 4, flash);

    context_params cp;
    cp.n_ctx = 512;
    cp.flash_attn = flash ? "on" : "off";
    cp.type_k = cp.type_v = "f32";
    context ctx(m, cp);
    auto got = hooked_run(ctx, prompt, ref.gen, &s);
    ASSERT_EQ(got.size(), ref.logits.size());
    float worst = 0;
    for (size_t i = 0; i < got.size(); i++) worst = std::max(worst, max_abs_diff(got[i], ref.logits[i]));
    printf("llama hooked vs baked bias (flash %d): max |dlogit| = %.3g over %zu positions\n", flash, worst, got.size());
    // ggml's CPU flash attention without palign's patch rounds Q and its running sum to f16, so the two runs
    // (whose inputs differ in the last float bits) can round apart: 1e-3 there; with the patch it computes in
    // f32: 1e-4 as without flash attention. CUDA's flash attention kernels compute in f16: 1e-2 there
    const float tol_flash = palign_test::test_ngl() != 0 ? 1e-2f : cpu_flash_attn_f32() ? 1e-4f : 1e-3f;
    EXPECT_LE(worst, flash ? tol_flash : 1e-4f);

    // the steering really changes the output (the comparison is not vacuous)
    plain_out unsteered = plain_run(path, prompt, 0, flash);
    EXPECT_GT(max_abs_diff(unsteered.logits.back(), ref.logits[prompt.size() - 1]), 1e-2f);
}

INSTANTIATE_TEST_SUITE_P(flash, steer_vs_bias, ::testing::Values(false, true));

TEST(engine_steer, off_is_exactly_plain_llama_cpp) {
    const std::string path = model_path("llama3");
    model m({path});
    const std::vector<int> prompt = prompt_tokens(m);
    plain_out ref = plain_run(path, prompt, 3, false);
    context_params cp;
    cp.n_ctx = 512;
    cp.type_k = cp.type_v = "f32";
    cp.flash_attn = "off";   // as plain_run
    context ctx(m, cp);
    steering none(m.info());   // empty steering object
    auto a = hooked_run(ctx, prompt, ref.gen, nullptr);
    auto b = hooked_run(ctx, prompt, ref.gen, &none);
    ASSERT_EQ(a.size(), ref.logits.size());
    for (size_t i = 0; i < a.size(); i++) {
        EXPECT_EQ(max_abs_diff(a[i], ref.logits[i]), 0.0f) << "position " << i;
        EXPECT_EQ(max_abs_diff(b[i], ref.logits[i]), 0.0f) << "position " << i;
    }
}

TEST(engine_steer, qwen3_residual_change_is_wo_delta) {
    const std::string path = model_path("qwen3");
    model m({path});
    const auto & info = m.info();
    steering s = random_steering(info, {0, 1}, 99);
    const std::vector<float> b0 = attn_out_bias(path, s, 0);
    const std::vector<int> prompt = prompt_tokens(m);

    context ctx(m);
    std::vector<float> plain, steered;
    ctx.hook().watch("ffn_inp-0", &plain);
    ctx.decode_seq(prompt, 0, 0, nullptr, false);
    ctx.hook().unwatch_all();
    ctx.clear();
    ctx.hook().watch("ffn_inp-0", &steered);
    ctx.decode_seq(prompt, 0, 0, &s, false);
    ctx.hook().unwatch_all();
    ASSERT_EQ(plain.size(), prompt.size() * info.n_embd);
    ASSERT_EQ(steered.size(), plain.size());
    float worst = 0, norm = 0;
    for (size_t t = 0; t < prompt.size(); t++) {
        for (int i = 0; i < info.n_embd; i++) {
            const float d = steered[t * info.n_embd + i] - plain[t * info.n_embd + i];
            worst = std::max(worst, std::fabs(d - b0[i]));
            norm = std::max(norm, std::fabs(b0[i]));
        }
    }
    printf("qwen3 residual change vs W_o*delta: max err %.3g (|W_o*delta| max %.3g) over %zu tokens\n", worst, norm, prompt.size());
    EXPECT_GT(norm, 0.1f);
    EXPECT_LE(worst, 1e-4f);
}

// capture: the steered kqv_out at layer 0 is the unsteered one plus delta (layer 0's input is unchanged)
TEST(engine_steer, capture_sees_delta_at_first_layer) {
    model m({model_path("qwen3")});
    const auto & info = m.info();
    steering s = random_steering(info, {0}, 5);
    context ctx(m);
    run_options o;
    o.capture_heads = true;
    std::vector<int> p = prompt_tokens(m);
    auto a = ctx.run({p}, {nullptr}, o);
    auto b = ctx.run({p}, {&s}, o);
    const size_t w = info.n_embd_v();
    float worst = 0;
    for (size_t i = 0; i < w; i++) worst = std::max(worst, std::fabs(b[0].heads[i] - a[0].heads[i] - s.delta[0][i]));
    EXPECT_LE(worst, 1e-5f);
    EXPECT_GT(max_abs_diff(a[0].heads, b[0].heads), 1e-2f);
}

// several sequences with different steering in one batch == each alone, also when the batch is split into ubatches
class batch_vs_alone : public ::testing::TestWithParam<int> {};   // param: n_ubatch

TEST_P(batch_vs_alone, per_sequence_steering) {
    const std::string path = model_path("llama3");
    model m({path});
    const auto & info = m.info();
    steering s1 = random_steering(info, {0, 1}, 11);
    steering s2 = random_steering(info, {1}, 22, 3.0f);
    std::vector<std::vector<int>> prompts = {
        m.tokenize("You worry about things and often feel blue.", true),
        m.tokenize("Make friends easily.", true),
        m.tokenize("Have a vivid imagination, love to read challenging material and to think about things.", true),
    };
    std::vector<const steering *> st = {&s1, nullptr, &s2};
    context_params cp;
    cp.n_ctx = 512;
    cp.n_ubatch = GetParam();
    cp.flash_attn = "off";   // the non-flash kernels (flash attention: test_engine_flash)
    context ctx(m, cp);
    run_options o;
    o.capture_heads = true;
    o.share_prefix = false;
    // on a GPU the kernels (and their rounding) depend on the batch shape, steered or not: steering may add
    // nothing beyond twice that noise, measured on the same prompts unsteered (on the CPU the noise is 0)
    float tol_l = 1e-4f, tol_h = 1e-4f;
    if (palign_test::test_ngl() != 0) {
        auto plain = ctx.run(prompts, {}, o);
        float nl = 0, nh = 0;
        for (size_t i = 0; i < prompts.size(); i++) {
            auto alone = ctx.run({prompts[i]}, {nullptr}, o);
            nl = std::max(nl, max_abs_diff(plain[i].logits, alone[0].logits));
            nh = std::max(nh, max_abs_diff(plain[i].heads, alone[0].heads));
        }
        tol_l = std::max(tol_l, 2 * nl);
        tol_h = std::max(tol_h, 2 * nh);
        printf("GPU batch-shape noise without steering: logits %.3g, heads %.3g\n", nl, nh);
    }
    auto batched = ctx.run(prompts, st, o);
    float worst = 0;
    for (size_t i = 0; i < prompts.size(); i++) {
        auto alone = ctx.run({prompts[i]}, {st[i]}, o);
        worst = std::max(worst, max_abs_diff(batched[i].logits, alone[0].logits));
        EXPECT_LE(max_abs_diff(batched[i].logits, alone[0].logits), tol_l) << "prompt " << i;
        EXPECT_LE(max_abs_diff(batched[i].heads, alone[0].heads), tol_h) << "prompt " << i;
    }
    printf("batch vs alone (n_ubatch %d): max |dlogit| %.3g (tolerance %.3g)\n", GetParam(), worst, tol_l);
    // different steering gives different results (the test can fail)
    auto unsteered = ctx.run({prompts[0]}, {nullptr}, o);
    EXPECT_GT(max_abs_diff(batched[0].logits, unsteered[0].logits), 1e-2f);
}

INSTANTIATE_TEST_SUITE_P(ubatch, batch_vs_alone, ::testing::Values(512, 4));

// prefix sharing (the common chat prefix decoded once, copied to each sequence) changes nothing
TEST(engine_steer, shared_prefix_equals_separate) {
    model m({model_path("qwen3")});
    steering s = random_steering(m.info(), {0, 1}, 3);
    std::vector<std::vector<int>> prompts;
    for (const char * letter : {"A", "B", "C", "D", "E"}) {
        prompts.push_back(chat_tokens(m, {{"system", "You are a helpful, honest and concise assistant."},
                                          {"user", "Given a statement of you: \"You love to read.\""}}, letter));
    }
    context_params cp;
    cp.type_k = cp.type_v = "f32";
    cp.flash_attn = "off";   // the non-flash kernels (flash attention: test_engine_flash)
    context ctx(m, cp);
    float tol_l = 1e-4f, tol_h = 1e-4f;   // on a GPU: twice the unsteered run's batch-shape noise (see batch_vs_alone)
    const bool gpu = palign_test::test_ngl() != 0;
    for (const steering * sp : {(const steering *) nullptr, (const steering *) &s}) {
        run_options shared, separate;
        shared.capture_heads = separate.capture_heads = true;
        separate.share_prefix = false;
        std::vector<const steering *> st(prompts.size(), sp);
        const uint64_t t0 = ctx.tokens_computed();
        auto a = ctx.run(prompts, st, shared);
        const uint64_t t1 = ctx.tokens_computed();
        auto b = ctx.run(prompts, st, separate);
        const uint64_t t2 = ctx.tokens_computed();
        EXPECT_LT(t1 - t0, (t2 - t1) / 3) << "the prefix is decoded once";
        float dl = 0, dh = 0;
        for (size_t i = 0; i < prompts.size(); i++) {
            dl = std::max(dl, max_abs_diff(a[i].logits, b[i].logits));
            dh = std::max(dh, max_abs_diff(a[i].heads, b[i].heads));
        }
        printf("shared prefix vs separate (%s): max |dlogit| %.3g, heads %.3g\n", sp ? "steered" : "unsteered", dl, dh);
        if (gpu && !sp) {   // the GPU's own noise: the reference for the steered run
            tol_l = std::max(tol_l, 2 * dl);
            tol_h = std::max(tol_h, 2 * dh);
            continue;
        }
        EXPECT_LE(dl, tol_l);
        EXPECT_LE(dh, tol_h);
    }
}

// greedy generation: batched and prefix-shared continuations equal plain llama.cpp's, steered ones each alone
TEST(engine_steer, batched_generation) {
    const std::string path = model_path("llama3");
    model m({path});
    std::vector<std::vector<int>> prompts = {
        m.tokenize("You worry about things.", true),
        m.tokenize("You worry about nothing at all, ever.", true),
        m.tokenize("You make friends easily.", true),
    };
    context_params cp;
    cp.type_k = cp.type_v = "f32";
    cp.flash_attn = "off";   // as plain_run
    context ctx(m, cp);
    run_options o;
    o.n_generate = 6;
    auto got = ctx.run(prompts, {}, o);
    for (size_t i = 0; i < prompts.size(); i++) {
        plain_out ref = plain_run(path, prompts[i], 6, false);
        std::vector<int> want;
        for (int t : ref.gen) { if (m.is_eog(t)) break; want.push_back(t); }
        EXPECT_EQ(got[i].generated, want) << "prompt " << i;
    }
    steering s = random_steering(m.info(), {0, 1}, 77, 2.0f);
    std::vector<const steering *> st = {&s, nullptr, &s};
    auto both = ctx.run(prompts, st, o);
    for (size_t i = 0; i < prompts.size(); i++) {
        auto alone = ctx.run({prompts[i]}, {st[i]}, o);
        EXPECT_EQ(both[i].generated, alone[0].generated) << "prompt " << i;
    }
    EXPECT_NE(both[0].generated, got[0].generated) << "steering changes the continuation";
}
