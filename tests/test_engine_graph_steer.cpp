// In-graph steering (patched llama.cpp): agrees with the eval-callback path, installs no callback unless
// a decode needs one, uploads tables only when they change, and the C API checks its arguments.
#include "engine/context.h"
#include "engine/graph_steer.h"
#include "engine/model.h"
#include "engine/steering.h"
#include "util/rng.h"
#include "testlib.h"

#include "engine/steer_api.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>

using namespace palign;
using palign_test::max_abs_diff;
using palign_test::model_path;
using palign_test::random_steering;

#define NEED_PATCH() \
    if (!graph_steer_available()) GTEST_SKIP() << "palign was built against a llama.cpp without patches/llama-attn-steer.patch"

static context_params f32_params(steer_path path) {
    context_params cp;
    cp.n_ctx = 1024;
    cp.type_k = cp.type_v = "f32";
    cp.steer = path;
    cp.flash_attn = "off";   // the non-flash kernels (flash attention: test_engine_flash)
    return cp;
}

class graph_vs_callback : public ::testing::TestWithParam<const char *> {};   // param: test model preset

// the same batch (three sequences: two steerings and none, shared prefix off and on, greedy continuation)
// through both paths: logits and captured heads agree to 1e-5
TEST_P(graph_vs_callback, agree) {
    NEED_PATCH();
    model m({model_path(GetParam())});
    const auto & info = m.info();
    steering s1 = random_steering(info, {0, 1}, 11);
    steering s2 = random_steering(info, {1}, 22, 3.0f);
    std::vector<std::vector<int>> prompts = {
        m.tokenize("You worry about things and often feel blue.", true),
        m.tokenize("You worry about things, make friends easily.", true),
        m.tokenize("Have a vivid imagination, love to read challenging material and to think about things.", true),
    };
    context g(m, f32_params(steer_path::graph));
    context c(m, f32_params(steer_path::callback));
    ASSERT_TRUE(g.steers_in_graph());
    ASSERT_FALSE(c.steers_in_graph());
    float worst = 0;
    for (bool share : {false, true}) {
        run_options o;
        o.capture_heads = true;
        o.share_prefix = share;
        o.n_generate = 4;
        const std::vector<const steering *> st = share ? std::vector<const steering *>{&s1, &s1, &s1}
                                                       : std::vector<const steering *>{&s1, nullptr, &s2};
        auto a = g.run(prompts, st, o);
        auto b = c.run(prompts, st, o);
        for (size_t i = 0; i < prompts.size(); i++) {
            worst = std::max({worst, max_abs_diff(a[i].logits, b[i].logits), max_abs_diff(a[i].heads, b[i].heads)});
            EXPECT_EQ(a[i].generated, b[i].generated) << "prompt " << i;
        }
        // not vacuous: the steered prompt differs from the unsteered one
        auto plain = g.run({prompts[0]}, {nullptr}, o);
        EXPECT_GT(max_abs_diff(plain[0].logits, a[0].logits), 1e-2f);
    }
    printf("%s: in-graph vs callback steering: max |diff| %.3g (logits and heads)\n", GetParam(), worst);
    // on a GPU the callback splits the graph at every kqv_out, which changes CUDA's kernel fusion and so the
    // rounding: there the paths agree to float noise (relative 1e-2 of the largest logit), bit for bit on the CPU
    float scale = 0;
    const auto ref = c.run({prompts[0]}, {nullptr});   // a local: the loop must not outlive a temporary
    for (float x : ref[0].logits) scale = std::max(scale, std::fabs(x));
    EXPECT_LE(worst, palign_test::test_ngl() != 0 ? 1e-2f * scale : 1e-5f);
}

INSTANTIATE_TEST_SUITE_P(models, graph_vs_callback, ::testing::Values("llama3", "qwen3"));

// the eval callback is installed only for decodes that capture (or watch)
TEST(graph_steer, callback_only_when_needed) {
    NEED_PATCH();
    model m({model_path("qwen3")});
    steering s = random_steering(m.info(), {0, 1}, 5);
    context ctx(m);
    const std::vector<int> p = m.tokenize("You worry about things.", true);
    EXPECT_FALSE(ctx.callback_installed()) << "after the probe decode";
    ctx.run({p}, {nullptr});
    EXPECT_FALSE(ctx.callback_installed()) << "plain run";
    ctx.run({p}, {&s});
    EXPECT_FALSE(ctx.callback_installed()) << "steered run";
    run_options cap;
    cap.capture_heads = true;
    ctx.run({p}, {&s}, cap);
    EXPECT_TRUE(ctx.callback_installed()) << "capture";
    ctx.run({p}, {nullptr});
    EXPECT_FALSE(ctx.callback_installed()) << "plain run after capture";

    context cb(m, [] { context_params c; c.steer = steer_path::callback; return c; }());
    cb.run({p}, {nullptr});
    EXPECT_FALSE(cb.callback_installed()) << "callback path, nothing steered";
    cb.run({p}, {&s});
    EXPECT_TRUE(cb.callback_installed()) << "callback path, steered";
}

// tables are uploaded when their contents change, not per decode; a steering changed in place is seen
TEST(graph_steer, uploads_follow_contents) {
    NEED_PATCH();
    model m({model_path("llama3")});
    steering s1 = random_steering(m.info(), {0}, 1);
    steering s2 = random_steering(m.info(), {1}, 2);
    context ctx(m, f32_params(steer_path::graph));
    const std::vector<int> p = m.tokenize("Make friends easily.", true);
    ctx.run({p}, {&s1});
    const uint64_t u0 = ctx.table_uploads();
    EXPECT_GE(u0, 1u);
    EXPECT_EQ(ctx.table_layers(), 1) << "a table only for the layer steered";
    ctx.run({p, p}, {&s1, &s1});
    EXPECT_EQ(ctx.table_uploads(), u0) << "same steering again";
    ctx.run({p, p}, {&s1, &s2});
    const uint64_t u1 = ctx.table_uploads();
    EXPECT_EQ(u1, u0 + 1) << "a second steering";
    EXPECT_EQ(ctx.table_layers(), 2) << "its layer gets a table";
    ctx.run({p}, {&s2});
    ctx.run({p}, {nullptr});
    EXPECT_EQ(ctx.table_uploads(), u1) << "steerings already held";
    EXPECT_EQ(ctx.table_layers(), 2) << "the set of tabled layers only grows (a new shape rebuilds the graph)";

    // scale s1 in place (as chat's /alpha does): the next run sees the new contents
    auto before = ctx.run({p}, {&s1});
    for (auto & d : s1.delta) for (auto & x : d) x *= 2.0f;
    auto after = ctx.run({p}, {&s1});
    context fresh(m, f32_params(steer_path::graph));
    auto want = fresh.run({p}, {&s1});
    EXPECT_GT(max_abs_diff(before[0].logits, after[0].logits), 1e-3f);
    EXPECT_LE(max_abs_diff(after[0].logits, want[0].logits), 1e-6f);
}

// in the graph, steering belongs to a sequence: two steerings for one sequence in one decode are refused
TEST(graph_steer, one_steering_per_sequence) {
    NEED_PATCH();
    model m({model_path("llama3")});
    steering s1 = random_steering(m.info(), {0}, 1);
    steering s2 = random_steering(m.info(), {0}, 2);
    context ctx(m, f32_params(steer_path::graph));
    std::vector<batch_row> rows(2);
    rows[0].token = 1; rows[0].pos = 0; rows[0].steer = &s1;
    rows[1].token = 2; rows[1].pos = 1; rows[1].steer = &s2; rows[1].logits = true;
    EXPECT_THROW(ctx.decode(rows), std::exception);
}

// the C API: each sequence gets its own row of the table (row 0 = none, which equals no table at all);
// a table of the wrong width and an out-of-range profile or sequence are refused
TEST(graph_steer, c_api_rows_and_checks) {
    NEED_PATCH();
#ifdef PALIGN_GRAPH_STEER
    model m({model_path("qwen3")});
    const auto & info = m.info();
    steering s1 = random_steering(info, {0, 1}, 9);
    steering s2 = random_steering(info, {0, 1}, 10);
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 256;
    cp.type_k = cp.type_v = GGML_TYPE_F32;
    llama_context * c = llama_init_from_model(m.raw(), cp);
    ASSERT_NE(c, nullptr);
    const std::vector<int> p = m.tokenize("You worry about things.", true);
    // rows: the profiles' deltas in table order (none: no table); the logits of sequence 0 on profile prof
    auto logits_with = [&](const std::vector<const steering *> & rows, int prof) {
        std::vector<std::vector<float>> tab(info.n_layer);
        std::vector<const float *> data(info.n_layer, nullptr);
        for (int il = 0; il < info.n_layer && !rows.empty(); il++) {
            if (!rows[0]->active(il)) continue;
            for (const steering * s : rows) tab[il].insert(tab[il].end(), s->delta[il].begin(), s->delta[il].end());
            data[il] = tab[il].data();
        }
        EXPECT_EQ(llama_set_attn_steer(c, rows.empty() ? nullptr : data.data(), info.n_layer, info.n_embd_v(), (int) rows.size()), 0);
        EXPECT_EQ(llama_set_attn_steer_seq(c, 0, prof), 0);
        llama_memory_clear(llama_get_memory(c), true);
        llama_batch b = llama_batch_get_one(const_cast<int *>(p.data()), (int) p.size());
        EXPECT_EQ(llama_decode(c, b), 0);
        const float * lg = llama_get_logits_ith(c, -1);
        return std::vector<float>(lg, lg + info.n_vocab);
    };
    const auto plain = logits_with({}, 0);
    const auto second_of_two = logits_with({&s1, &s2}, 2);
    const auto alone = logits_with({&s2}, 1);
    const auto none_of_two = logits_with({&s1, &s2}, 0);
    EXPECT_LE(max_abs_diff(second_of_two, alone), 1e-6f) << "row 2 of a table = the same vector as row 1 of its own";
    EXPECT_GT(max_abs_diff(second_of_two, plain), 1e-2f) << "the steering changes the logits";
    EXPECT_LE(max_abs_diff(none_of_two, plain), 1e-6f) << "profile 0 adds nothing";
    EXPECT_GT(max_abs_diff(logits_with({&s1, &s2}, 1), alone), 1e-2f) << "row 1 is the other vector";

    std::vector<float> wrong(info.n_embd_v() + 1, 0.0f);
    std::vector<const float *> data(info.n_layer, nullptr);
    data[0] = wrong.data();
    EXPECT_EQ(llama_set_attn_steer(c, data.data(), info.n_layer, info.n_embd_v() + 1, 1), -1);
    EXPECT_EQ(llama_set_attn_steer_seq(c, 0, 1), -1) << "the refused table cleared all steering: no profile 1";
    EXPECT_EQ(llama_set_attn_steer_seq(c, 0, 0), 0);
    EXPECT_EQ(llama_set_attn_steer_seq(c, -1, 0), -1);
    EXPECT_EQ(llama_set_attn_steer_seq(c, 1 << 20, 0), -1);
    llama_free(c);
#endif
}

// the steering is one ggml_add_id per tabled layer and nothing else: the graph's operations, counted through
// the eval callback's ask phase, are the plain graph's plus one ADD_ID per steered layer (no GET_ROWS, no ADD)
TEST(graph_steer, one_add_id_per_steered_layer) {
    NEED_PATCH();
#ifdef PALIGN_GRAPH_STEER
    model m({model_path("qwen3")});
    const auto & info = m.info();
    ASSERT_GE(info.n_layer, 2);
    steering s = random_steering(info, {0, 1}, 12);
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 256;
    cp.n_seq_max = 2;
    llama_context_ptr guard(llama_init_from_model(m.raw(), cp));   // freed on every way out, failed assertions too
    llama_context * c = guard.get();
    ASSERT_NE(c, nullptr);
    std::map<int, int> ops;   // ggml_op -> nodes of the last decode
    llama_set_eval_cb(c, [](ggml_tensor * t, bool ask, void * ud) {
        if (ask) (*(std::map<int, int> *) ud)[(int) t->op]++;
        return false;
    }, &ops);
    const std::vector<int> p = m.tokenize("You worry about things.", true);
    // the ops of a decode of p (two sequences: 1 steered, 0 not) with tables on these layers
    auto count = [&](const std::vector<int> & layers) {
        std::vector<const float *> data(info.n_layer, nullptr);
        for (int il : layers) data[il] = s.delta[il].data();
        EXPECT_EQ(llama_set_attn_steer(c, layers.empty() ? nullptr : data.data(), info.n_layer, info.n_embd_v(), 1), 0);
        if (!layers.empty()) EXPECT_EQ(llama_set_attn_steer_seq(c, 1, 1), 0);
        llama_memory_clear(llama_get_memory(c), true);
        llama_batch b = llama_batch_init((int) p.size() * 2, 0, 1);
        for (int k = 0; k < 2 * (int) p.size(); k++) {
            b.token[k] = p[k % p.size()]; b.pos[k] = k % (int) p.size(); b.n_seq_id[k] = 1; b.seq_id[k][0] = k / (int) p.size();
            b.logits[k] = (k + 1) % p.size() == 0;
        }
        b.n_tokens = 2 * (int) p.size();
        ops.clear();
        EXPECT_EQ(llama_decode(c, b), 0);
        llama_batch_free(b);
        return ops;
    };
    const auto plain = count({});
    ASSERT_FALSE(plain.empty()) << "the ask phase saw the graph";
    EXPECT_EQ(plain.count(GGML_OP_ADD_ID), 0u);
    for (const std::vector<int> & layers : {std::vector<int>{1}, std::vector<int>{0, 1}}) {
        auto st = count(layers);
        EXPECT_EQ(st[GGML_OP_ADD_ID], (int) layers.size()) << layers.size() << " steered layers";
        for (int op : {(int) GGML_OP_GET_ROWS, (int) GGML_OP_ADD, (int) GGML_OP_MUL, (int) GGML_OP_MUL_MAT})
            EXPECT_EQ(st[op], plain.count(op) ? plain.at(op) : 0) << ggml_op_name((ggml_op) op) << ", " << layers.size() << " steered layers";
    }
#endif
}

// on a GPU build with $PALIGN_NGL set (bench/gpu.sh): heads captured with every layer on the GPU, steered
// in the graph, equal the CPU's (different kernels: agreement to float rounding, not bits)
TEST(graph_steer, gpu_capture_equals_cpu) {
    if (!llama_supports_gpu_offload() || palign_test::test_ngl() == 0) {
        GTEST_SKIP() << "needs a GPU build and PALIGN_NGL (bench/gpu.sh sets it)";
    }
    const std::string path = model_path("qwen3");
    model_params gp{path}, cp{path};
    gp.n_gpu_layers = -1;
    cp.n_gpu_layers = 0;
    setenv("PALIGN_NGL", "0", 1);   // cp must stay on the CPU
    model mg(gp), mc(cp);
    setenv("PALIGN_NGL", "-1", 1);
    steering s = random_steering(mg.info(), {0, 1}, 3);
    std::vector<std::vector<int>> prompts = {mg.tokenize("You worry about things.", true),
                                             mg.tokenize("Make friends easily, and love to read.", true)};
    run_options o;
    o.capture_heads = true;
    context g(mg, f32_params(steer_path::automatic)), c(mc, f32_params(steer_path::automatic));
    auto a = g.run(prompts, {&s, nullptr}, o);
    auto b = c.run(prompts, {&s, nullptr}, o);
    float dh = 0, dl = 0;
    for (size_t i = 0; i < prompts.size(); i++) {
        dh = std::max(dh, max_abs_diff(a[i].heads, b[i].heads));
        dl = std::max(dl, max_abs_diff(a[i].logits, b[i].logits));
    }
    float sh = 0, sl = 0;   // relative to the largest value: other kernels, other rounding, amplified by random weights
    for (const auto & r : b) {
        for (float x : r.heads) sh = std::max(sh, std::fabs(x));
        for (float x : r.logits) sl = std::max(sl, std::fabs(x));
    }
    printf("GPU (all layers, %s) vs CPU: heads max |diff| %.3g (max |head| %.3g), logits %.3g (max |logit| %.3g)\n",
           g.steer_path_name(), dh, sh, dl, sl);
    EXPECT_LE(dh, 1e-2f * sh);
    EXPECT_LE(dl, 1e-2f * sl);
}

// single-token decodes reuse llama.cpp's graph with steering as without (a rebuild per token would cost more
// than the steering itself: the server's decode loop depends on it), also with two profiles in one decode and
// when the sequences swap profiles between steps; the reused graph's logits equal the callback path's
TEST(graph_steer, single_token_decodes_reuse_the_graph) {
    NEED_PATCH();
    model m({model_path("qwen3")});
    steering s1 = random_steering(m.info(), {0, 1}, 31);
    steering s2 = random_steering(m.info(), {1}, 32);
    // steer(step, seq): the steering of a sequence at a step (-1 = the prompt); returns the graphs reused over
    // the single-token steps, and the last step's logits
    auto run = [&](steer_path path, const std::function<const steering *(int, int)> & steer, std::vector<float> & last) {
        context_params cp = f32_params(path);
        cp.n_seq_max = 2;
        context ctx(m, cp);
        std::vector<batch_row> rows;
        for (int s = 0; s < 2; s++) {
            for (int i = 0; i < 4; i++) {
                batch_row r; r.token = 10 + i; r.pos = i; r.seq = s; r.steer = steer(-1, s); r.logits = i == 3;
                rows.push_back(r);
            }
        }
        ctx.decode(rows);
        const int before = llama_perf_context(ctx.raw()).n_reused;
        for (int t = 0; t < 6; t++) {
            std::vector<batch_row> step(2);
            for (int s = 0; s < 2; s++) { step[s].token = 20 + t; step[s].pos = 4 + t; step[s].seq = s; step[s].steer = steer(t, s); step[s].logits = true; }
            ctx.decode(step);
        }
        const float * lg = llama_get_logits_ith(ctx.raw(), 0);
        last.assign(lg, lg + m.info().n_vocab);
        return llama_perf_context(ctx.raw()).n_reused - before;
    };
    std::vector<float> ignored;
    const int plain = run(steer_path::graph, [](int, int) -> const steering * { return nullptr; }, ignored);
    EXPECT_GE(plain, 5) << "llama.cpp reuses the graph of same-shaped decodes";
    const std::vector<std::function<const steering *(int, int)>> cases = {
        [&](int, int s) -> const steering * { return s == 0 ? &s1 : &s2; },                 // two profiles
        [&](int, int s) -> const steering * { return s == 0 ? &s1 : nullptr; },             // one and none
        [&](int t, int s) -> const steering * { return (t >= 3) == (s == 0) ? &s2 : &s1; },  // swapped at step 3
    };
    for (size_t c = 0; c < cases.size(); c++) {
        std::vector<float> in_graph, by_callback;
        EXPECT_EQ(run(steer_path::graph, cases[c], in_graph), plain) << "case " << c << ": steered decodes reuse it as often";
        run(steer_path::callback, cases[c], by_callback);
        EXPECT_LE(max_abs_diff(in_graph, by_callback), 1e-5f) << "case " << c << ": the reused graph steers as the callback does";
    }
}
