// A KV stream per sequence (--no-kv-unified): the same logits, captured heads, steering and greedy
// continuations as the unified cache, on both steering paths, whatever order a batch's rows come in.
#include "engine/context.h"
#include "engine/model.h"
#include "engine/steering.h"
#include "util/error.h"
#include "testlib.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace palign;
using palign_test::max_abs_diff;
using palign_test::model_path;
using palign_test::random_steering;

static context_params f32_params(bool unified, steer_path path, int n_ubatch) {
    context_params cp;
    cp.type_k = cp.type_v = "f32";
    cp.flash_attn = "off";   // the non-flash kernels (flash attention: test_engine_flash)
    cp.steer = path;
    cp.n_batch = 512;
    cp.n_ubatch = n_ubatch;
    cp.n_seq_max = 8;
    cp.kv_unified = unified;
    cp.n_ctx = unified ? 1024 : 8 * 256;   // 256 cells a sequence
    return cp;
}

struct kv_case {
    const char * preset;
    steer_path path;
    int n_ubatch;   // small: a wave's rows split over many chunks
};

class kv_streams : public ::testing::TestWithParam<kv_case> {};

// prompts of unequal lengths with a shared prefix, two steerings and none, shared prefix on and off, heads
// captured and 4 tokens generated: a stream per sequence gives what the unified cache gives
TEST_P(kv_streams, run_equals_unified) {
    const kv_case & kc = GetParam();
    if (kc.path == steer_path::graph && !graph_steer_available()) GTEST_SKIP() << "no in-graph steering in this llama.cpp";
    model m({model_path(kc.preset)});
    const auto & info = m.info();
    steering s1 = random_steering(info, {0, 1}, 11);
    steering s2 = random_steering(info, {1}, 22, 3.0f);
    const std::string sys = "Answer as yourself. Statement:";
    std::vector<std::vector<int>> prompts;
    for (const char * q : {" You worry about things.", " Make friends easily and often feel blue about it.", " Love to read.",
                           " Have a vivid imagination, love to read challenging material and to think about things.",
                           " Believe that others have good intentions.", " Get angry easily."}) {
        prompts.push_back(m.tokenize(sys + q, true));
    }
    context u(m, f32_params(true, kc.path, kc.n_ubatch));
    context s(m, f32_params(false, kc.path, kc.n_ubatch));
    ASSERT_EQ(s.seq_cells(), 256);
    float worst = 0;
    for (bool share : {true, false}) {
        run_options o;
        o.capture_heads = true;
        o.share_prefix = share;
        o.n_generate = 4;
        const std::vector<const steering *> st = {&s1, nullptr, &s1, &s2, nullptr, &s1};
        const auto a = u.run(prompts, st, o);
        const uint64_t d0 = s.decodes();
        const auto b = s.run(prompts, st, o);
        const uint64_t nd = s.decodes() - d0;
        for (size_t i = 0; i < prompts.size(); i++) {
            ASSERT_EQ(b[i].logits.size(), (size_t) info.n_vocab);
            worst = std::max({worst, max_abs_diff(a[i].logits, b[i].logits), max_abs_diff(a[i].heads, b[i].heads)});
            EXPECT_EQ(a[i].generated, b[i].generated) << "prompt " << i << (share ? ", shared prefix" : "");
        }
        // not vacuous: steering changed the logits, and the streams batched several sequences per decode
        const auto plain = s.run({prompts[0]}, {nullptr}, o);
        EXPECT_GT(max_abs_diff(plain[0].logits, b[0].logits), 1e-2f);
        // one ubatch per length in a wave, then one per generated step: with shared prefixes 3 groups (3, 2 and 1
        // prompts) of 1 + lengths + 3 decodes at most, 18; without, one wave of 6 lengths + 3 steps, 9. A decode
        // per sequence would be 27 and 24.
        if (kc.n_ubatch >= 64) EXPECT_LE(nd, share ? 18u : 9u);
    }
    printf("%s, %s path, ubatch %d: stream per sequence vs unified: max |diff| %.3g (logits and heads)\n", kc.preset,
           kc.path == steer_path::graph ? "in-graph" : "callback", kc.n_ubatch, worst);
    EXPECT_LE(worst, palign_test::test_ngl() != 0 ? 1e-3f : 1e-5f);
}

INSTANTIATE_TEST_SUITE_P(models, kv_streams, ::testing::Values(
    kv_case{"llama3", steer_path::graph, 512}, kv_case{"qwen3", steer_path::graph, 512},
    kv_case{"qwen3", steer_path::callback, 512}, kv_case{"llama3", steer_path::callback, 7},
    kv_case{"qwen3", steer_path::graph, 5}));

// decode(): rows of non-consecutive sequences, interleaved, some steered, some captured, go to llama.cpp in
// chunks it does not regroup; every row's logits and heads are those of the unified cache
TEST(kv_streams_decode, interleaved_rows) {
    model m({model_path("qwen3")});
    const auto & info = m.info();
    steering st = random_steering(info, {0, 1}, 5, 2.0f);
    const size_t nh = (size_t) info.n_layer * info.n_embd_v();
    for (steer_path path : {steer_path::callback, steer_path::graph}) {
        if (path == steer_path::graph && !graph_steer_available()) continue;
        context u(m, f32_params(true, path, 512));
        context s(m, f32_params(false, path, 512));
        const std::vector<int> seqs = {5, 1, 3, 1, 5, 5, 2, 3, 1, 5, 2};   // sequence of each row, in batch order
        std::vector<batch_row> rows(seqs.size());
        std::vector<int> n_of(8, 0);
        std::vector<std::vector<float>> cap_u(seqs.size()), cap_s(seqs.size());
        for (size_t i = 0; i < seqs.size(); i++) {
            rows[i].seq = seqs[i];
            rows[i].pos = n_of[seqs[i]]++;
            rows[i].token = 100 + (int) (i * 37 % 900);
            rows[i].logits = i % 3 != 1;
            rows[i].steer = seqs[i] == 3 || seqs[i] == 5 ? &st : nullptr;
        }
        auto go = [&](context & c, std::vector<std::vector<float>> & cap) {
            std::vector<std::vector<float>> lg(rows.size());
            std::vector<batch_row> r = rows;
            for (size_t i = 0; i < r.size(); i++) {
                if (i % 2 == 0) { cap[i].assign(nh, 0.0f); r[i].capture = cap[i].data(); }
            }
            c.decode(r, [&](size_t ri, const float * l) { lg[ri].assign(l, l + info.n_vocab); });
            return lg;
        };
        const auto a = go(u, cap_u);
        const auto b = go(s, cap_s);
        float worst = 0;
        for (size_t i = 0; i < rows.size(); i++) {
            ASSERT_EQ(a[i].size(), rows[i].logits ? (size_t) info.n_vocab : 0u) << "row " << i;
            ASSERT_EQ(b[i].size(), a[i].size()) << "row " << i;
            worst = std::max({worst, max_abs_diff(a[i], b[i]), max_abs_diff(cap_u[i], cap_s[i])});
        }
        EXPECT_LE(worst, 1e-5f) << (path == steer_path::graph ? "in-graph" : "callback");
        EXPECT_GT(max_abs_diff(cap_s[0], cap_s[2]), 1e-3f) << "the captures are of different rows";
    }
}

// a prompt that does not fit a sequence's cells, and a partial copy between streams, fail with the flag to change
TEST(kv_streams_decode, errors_name_the_fix) {
    model m({model_path("llama3")});
    context s(m, f32_params(false, steer_path::automatic, 512));
    std::vector<int> longp(300, 100);
    try {
        s.run({longp}, {nullptr});
        FAIL() << "a 300-token prompt in 256 cells";
    } catch (const error & e) {
        const std::string w = e.what();
        EXPECT_NE(w.find("more than a sequence's 256"), std::string::npos) << w;
        EXPECT_NE(w.find("HINT: without a unified KV cache"), std::string::npos) << w;
        EXPECT_NE(w.find("--ctx-size to at least 2400"), std::string::npos) << w;
    }
    EXPECT_THROW(s.seq_cp(0, 1, 0, 10), error);
    EXPECT_NO_THROW(s.seq_cp(0, 1));

    context_params one = f32_params(false, steer_path::automatic, 512);
    one.n_seq_max = 1;   // no sequence left for a prompt beside the prefix's
    EXPECT_THROW(context(m, one), error);
    // -c smaller than a batch: llama.cpp caps its batch at 16 but pads each sequence to 256 cells; a 100-token
    // prompt fits those cells and is decoded in batches llama.cpp accepts (it aborted before)
    context_params small = f32_params(false, steer_path::automatic, 512);
    small.n_ctx = 16;
    small.n_seq_max = 2;
    context c16(m, small);
    EXPECT_EQ(c16.seq_cells(), 256);
    EXPECT_EQ(c16.params().n_batch, 16);
    const auto r = c16.run({std::vector<int>(100, 100), std::vector<int>(90, 100)}, {nullptr, nullptr});
    EXPECT_EQ(r[1].logits.size(), (size_t) m.info().n_vocab);
}
