// Flash attention on the CPU with palign's ggml patch (patches/ggml-cpu-fa-f32.patch): a prompt's logits, heads and
// greedy continuation do not depend on the batch shape (ubatch size, shared prefix, other sequences), steered or
// not, on the f16 KV cache palign uses by default; without the patch they differ by ~1e-2.
#include "engine/context.h"
#include "engine/model.h"
#include "engine/steering.h"
#include "testlib.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace palign;
using palign_test::max_abs_diff;
using palign_test::model_path;
using palign_test::random_steering;

static context_params flash_params(int n_ubatch, steer_path path) {
    context_params cp;   // the default KV cache (f16): flash attention's own types
    cp.flash_attn = "on";
    cp.n_batch = 512;
    cp.n_ubatch = n_ubatch;
    cp.n_seq_max = 8;
    cp.steer = path;
    return cp;
}

// the build made by scripts/llama.sh carries both of palign's patches; an installed llama.cpp may have neither
TEST(flash_cpu, patch_detected_with_the_steering_patch) {
    if (!graph_steer_available()) GTEST_SKIP() << "a llama.cpp without palign's patches";
    EXPECT_TRUE(cpu_flash_attn_f32()) << "patches/ggml-cpu-fa-f32.patch is missing from this llama.cpp build";
}

// --fa auto: on with GPU layers, and on the CPU exactly when its kernel is the patched one
TEST(flash_cpu, auto_follows_the_patch) {
    model_info cpu, gpu;
    cpu.n_gpu_layers = 0;
    gpu.n_gpu_layers = -1;
    context_params cp;
    ASSERT_EQ(cp.flash_attn, "auto");
    EXPECT_EQ(cp.flash_on(cpu), cpu_flash_attn_f32());
    EXPECT_TRUE(cp.flash_on(gpu));
    cp.flash_attn = "off";
    EXPECT_FALSE(cp.flash_on(cpu));
    EXPECT_FALSE(cp.flash_on(gpu));
}

struct flash_case {
    const char * preset;
    steer_path path;
};

class flash_cpu_shapes : public ::testing::TestWithParam<flash_case> {};

// ubatch 512 (ggml's tiled kernel: 64 query rows a tile) vs ubatch 5 (its one-row kernel), shared prefix vs
// separate, batched vs each alone: every prompt gives the same logits and heads to f32 rounding
TEST_P(flash_cpu_shapes, batch_shape_exact) {
    if (palign_test::test_ngl() != 0) GTEST_SKIP() << "CPU kernels (GPU flash attention computes in f16)";
    if (!cpu_flash_attn_f32()) GTEST_SKIP() << "this llama.cpp's CPU flash attention rounds to f16 (no palign patch)";
    const flash_case & fc = GetParam();
    if (fc.path == steer_path::graph && !graph_steer_available()) GTEST_SKIP() << "no in-graph steering";
    model m({model_path(fc.preset)});
    const auto & info = m.info();
    steering s1 = random_steering(info, {0, 1}, 11);
    steering s2 = random_steering(info, {1}, 22, 3.0f);
    // a shared prefix of over 64 tokens: the prefix alone fills more than one 64-row tile
    std::string sys = "You answer questionnaires about yourself, one statement at a time, with a letter from A to E.";
    sys += " A means very accurate, B moderately accurate, C neither, D moderately inaccurate, E very inaccurate.";
    sys += " Answer with one letter only, and answer as the person you are, not as you would like to be seen.";
    sys += " Statement:";
    std::vector<std::vector<int>> prompts;
    for (const char * q : {" You worry about things.", " Make friends easily and often feel blue about it.", " Love to read.",
                           " Have a vivid imagination, love to read challenging material and to think about things.",
                           " Believe that others have good intentions.", " Get angry easily."}) {
        prompts.push_back(m.tokenize(sys + q, true));
    }
    ASSERT_GT(prompts[0].size(), 64u);
    const std::vector<const steering *> st = {&s1, nullptr, &s1, &s2, nullptr, &s1};
    context big(m, flash_params(512, fc.path));
    context small(m, flash_params(5, fc.path));
    
    run_options o;
    o.capture_heads = true;
    o.n_generate = 4;
    const auto ref = big.run(prompts, st, o);   // shared prefix, one wave
    float worst = 0;
    auto check = [&](const std::vector<prompt_result> & got, size_t first, const char * what) {
        for (size_t i = 0; i < got.size(); i++) {
            const prompt_result & r = ref[first + i];
            const float d = std::max(max_abs_diff(r.logits, got[i].logits), max_abs_diff(r.heads, got[i].heads));
            worst = std::max(worst, d);
            // f32 rounding: 1.5e-5 / 5.2e-5 measured with llama.cpp's llamafile kernels, ~1e-4 with ggml's own
            // matrix products (GGML_LLAMAFILE=OFF); the f16 kernel gives 2e-2
            EXPECT_LE(d, 2e-4f) << what << ", prompt " << first + i;
            EXPECT_EQ(r.generated, got[i].generated) << what << ", prompt " << first + i;
        }
    };
    run_options sep = o;
    sep.share_prefix = false;
    check(big.run(prompts, st, sep), 0, "ubatch 512, prefix not shared");
    check(small.run(prompts, st, o), 0, "ubatch 5, shared prefix");
    check(small.run(prompts, st, sep), 0, "ubatch 5, prefix not shared");
    for (size_t i = 0; i < prompts.size(); i++) check(big.run({prompts[i]}, {st[i]}, sep), i, "alone, ubatch 512");
    printf("%s, %s path: flash attention on the CPU, batch shapes: max |diff| %.3g (logits and heads)\n", fc.preset,
           fc.path == steer_path::graph ? "in-graph" : "callback", worst);
    // not vacuous: steering changes the logits
    const auto plain = big.run({prompts[0]}, {nullptr}, sep);
    EXPECT_GT(max_abs_diff(plain[0].logits, ref[0].logits), 1e-2f);
}

INSTANTIATE_TEST_SUITE_P(models, flash_cpu_shapes, ::testing::Values(
    flash_case{"llama3", steer_path::graph}, flash_case{"qwen3", steer_path::graph}, flash_case{"qwen3", steer_path::callback}));

// one-token decodes over 512 cells or more take ggml's split-KV kernel (the cells divided among the threads, the
// partial sums combined): their logits equal those of the same tokens decoded as part of one long prompt (tiled
// kernel), steered, with 2 threads whatever $PALIGN_THREADS says
TEST(flash_cpu, long_context_decode_steps) {
    if (palign_test::test_ngl() != 0) GTEST_SKIP() << "CPU kernels";
    if (!cpu_flash_attn_f32()) GTEST_SKIP() << "this llama.cpp's CPU flash attention rounds to f16 (no palign patch)";
    model m({model_path("qwen3")});
    const auto & info = m.info();
    steering s = random_steering(info, {0, 1}, 5, 2.0f);
    std::string text;
    for (int i = 0; i < 60; i++) text += " I see myself as someone who is talkative, reserved, full of energy.";
    std::vector<int> tokens = m.tokenize(text, true);
    ASSERT_GT(tokens.size(), 700u);
    const size_t n_prompt = tokens.size() - 3;   // then 3 one-token decodes: logits at 4 positions
    context_params cp = flash_params(512, steer_path::automatic);
    cp.n_threads = 2;
    auto rows_of = [&](size_t from, size_t to, size_t logits_from) {
        std::vector<batch_row> r;
        for (size_t i = from; i < to; i++) {
            batch_row b;
            b.token = tokens[i]; b.pos = (int) i; b.seq = 0; b.logits = i >= logits_from; b.steer = &s;
            r.push_back(b);
        }
        return r;
    };
    // all tokens as one prompt (ubatches of 512: tiled), logits at the prompt's last position and the 3 after it
    context whole(m, cp);
    std::vector<std::vector<float>> want;
    whole.decode(rows_of(0, tokens.size(), n_prompt - 1), [&](size_t, const float * l) { want.emplace_back(l, l + info.n_vocab); });
    // the prompt, then the 3 tokens after it one at a time (ggml's split-KV kernel over > 512 cells)
    context steps(m, cp);
    std::vector<std::vector<float>> got;
    steps.decode(rows_of(0, n_prompt, n_prompt - 1), [&](size_t, const float * l) { got.emplace_back(l, l + info.n_vocab); });
    for (size_t i = n_prompt; i < tokens.size(); i++) {
        steps.decode(rows_of(i, i + 1, i), [&](size_t, const float * l) { got.emplace_back(l, l + info.n_vocab); });
    }
    ASSERT_EQ(want.size(), 4u);
    ASSERT_EQ(got.size(), 4u);
    float worst = 0;
    for (size_t i = 0; i < 4; i++) worst = std::max(worst, max_abs_diff(want[i], got[i]));
    printf("long prompt (%zu tokens): one-token decodes vs one prompt: max |dlogit| %.3g\n", tokens.size(), worst);
    EXPECT_LE(worst, 1e-4f);
    EXPECT_GT(max_abs_diff(got[1], got[2]), 1e-3f) << "the steps are of different tokens";
}
