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
    cp.n_ctx = 4096;
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
            EXPECT_LE(d, 1e-4f) << what << ", prompt " << first + i;
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

// one-token decodes over 512 cells or more take ggml's split-KV kernel (the cells divided among the threads):
// a long prompt's greedy continuation and its logits after a further step are those of the prompt decoded whole
TEST(flash_cpu, long_context_decode_steps) {
    if (palign_test::test_ngl() != 0) GTEST_SKIP() << "CPU kernels";
    if (!cpu_flash_attn_f32()) GTEST_SKIP() << "this llama.cpp's CPU flash attention rounds to f16 (no palign patch)";
    model m({model_path("qwen3")});
    steering s = random_steering(m.info(), {0, 1}, 5, 2.0f);
    std::string text;
    for (int i = 0; i < 60; i++) text += " I see myself as someone who is talkative, reserved, full of energy.";
    std::vector<int> prompt = m.tokenize(text, true);
    ASSERT_GT(prompt.size(), 600u);
    context big(m, flash_params(512, steer_path::automatic));
    run_options o;
    o.n_generate = 3;
    const auto a = big.run({prompt}, {&s}, o);
    ASSERT_EQ(a[0].generated.size(), 3u);
    // the prompt plus its first two generated tokens, decoded as one prompt: its logits are those the third
    // step was chosen from, computed this time by the tiled kernel, not by one-token decodes
    std::vector<int> longer = prompt;
    longer.insert(longer.end(), a[0].generated.begin(), a[0].generated.begin() + 2);
    run_options once;
    const auto b = big.run({longer}, {&s}, once);
    int best = 0;
    for (int t = 1; t < (int) b[0].logits.size(); t++) if (b[0].logits[t] > b[0].logits[best]) best = t;
    EXPECT_EQ(best, a[0].generated[2]);
    // and the one-token steps agree with small ubatches of the same prompt
    context small(m, flash_params(7, steer_path::automatic));
    const auto c = small.run({prompt}, {&s}, o);
    EXPECT_EQ(c[0].generated, a[0].generated);
    EXPECT_LE(max_abs_diff(c[0].logits, a[0].logits), 1e-4f);
    printf("long prompt (%zu tokens): ubatch 7 vs 512 max |dlogit| %.3g\n", prompt.size(), max_abs_diff(c[0].logits, a[0].logits));
}
