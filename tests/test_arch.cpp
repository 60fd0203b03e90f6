// Architecture matrix: for each llama.cpp architecture of the matrix (a generated random-weight model each),
// capture of every layer's kqv_out, steering exactness after the first steered attention (W_o's output changes
// by W_o * delta; the residual by what the graph makes of it), per-sequence steering in one batch, in-graph vs
// callback steering, and palign bake (baked == steered, or a refusal naming the run-time routes); and the
// refusals of architectures palign cannot steer. With PALIGN_ARCH_MATRIX=FILE the results are also written as
// the README's markdown table (scripts/arch-matrix.sh).
#include "engine/context.h"
#include "engine/gguf_util.h"
#include "engine/graph_steer.h"
#include "engine/head_hook.h"
#include "engine/model.h"
#include "engine/steering.h"
#include "pas/bake.h"
#include "util/error.h"
#include "util/paths.h"
#include "testlib.h"

#include "llama.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

using namespace palign;
using palign_test::max_abs_diff;
using palign_test::model_path;
using palign_test::random_steering;

namespace {

// how the residual stream after layer 0's attention depends on W_o's output y
enum class residual_kind {
    none,        // no named tensor holds it (phi3: an unnamed add): W_o's output is checked alone
    linear,      // residual = x + scale * y
    post_norm,   // residual = x + rmsnorm(y) * blk.0.post_attention_norm.weight (gemma2/3, olmo2)
};

struct arch_case {
    const char * preset;
    const char * residual;       // graph tensor of layer 0 that holds the residual, e.g. "ffn_inp-0"
    residual_kind kind;
    float scale;                 // linear: the residual multiplier (granite 0.22)
    int n_swa;                   // sliding window of the preset's SWA layers (0 = none)
};

const arch_case k_cases[] = {
    {"llama3",   "ffn_inp-0", residual_kind::linear,    1.0f, 0},
    {"qwen3",    "ffn_inp-0", residual_kind::linear,    1.0f, 0},
    {"qwen2",    "ffn_inp-0", residual_kind::linear,    1.0f, 0},
    {"qwen3moe", "ffn_inp-0", residual_kind::linear,    1.0f, 0},
    {"gemma2",   "sa_out-0",  residual_kind::post_norm, 1.0f, 4},
    {"gemma3",   "sa_out-0",  residual_kind::post_norm, 1.0f, 4},
    {"phi3",     nullptr,     residual_kind::none,      1.0f, 0},
    {"mistral3", "ffn_inp-0", residual_kind::linear,    1.0f, 0},
    {"granite",  "ffn_inp-0", residual_kind::linear,    0.22f, 0},
    {"olmo2",    "ffn_inp-0", residual_kind::post_norm, 1.0f, 0},
};

// the matrix: one row per preset, filled by the tests as they pass or fail
struct matrix_row {
    std::string arch, geometry, capture, steer, batch, paths, bake;
};
std::map<std::string, matrix_row> & matrix() {
    static std::map<std::string, matrix_row> m;
    return m;
}
std::vector<std::string> & refusals() {   // "preset|arch|message"
    static std::vector<std::string> r;
    return r;
}

std::string verdict(const std::string & ok) {
    return ::testing::Test::HasFailure() ? "**FAIL**" : ok;
}

context_params f32_params(steer_path path = steer_path::automatic) {
    context_params cp;
    cp.n_ctx = 512;
    cp.type_k = cp.type_v = "f32";   // exactness without f16 cache rounding
    cp.flash_attn = "off";           // the non-flash kernels (flash attention: test_engine_flash)
    cp.steer = path;
    return cp;
}

std::vector<int> prompt_tokens(const model & m) {
    return m.tokenize("Given a statement of you: \"You worry about things.\" Please choose an option.", true);
}

std::string fmt_err(float e) { return strfmt("%.1e", e); }

class arch : public ::testing::TestWithParam<arch_case> {};

std::string case_name(const ::testing::TestParamInfo<arch_case> & i) { return i.param.preset; }

} // namespace

// every layer's kqv_out is found by the probe and captured, n_head * head_dim values per token, head by head
TEST_P(arch, capture) {
    const arch_case & c = GetParam();
    model m({model_path(c.preset)});
    const auto & info = m.info();
    EXPECT_EQ(llama_model_n_swa(m.raw()), c.n_swa) << "the sliding window is in effect";
    context ctx(m, f32_params());
    ASSERT_EQ((int) ctx.hook().probe().size(), info.n_layer);
    for (int il = 0; il < info.n_layer; il++) {
        const layer_probe & l = ctx.hook().probe()[il];
        EXPECT_TRUE(l.kqv) << "layer " << il;
        EXPECT_EQ(l.width, (int64_t) info.n_embd_v()) << "layer " << il;
        EXPECT_EQ(l.wo_input, "kqv_out-" + std::to_string(il)) << "layer " << il;
        EXPECT_TRUE(ctx.hook().layers_seen()[il]) << "layer " << il;
    }
    // the watched kqv_out of a whole prompt: n_tokens rows of n_embd_v
    const std::vector<int> p = prompt_tokens(m);
    std::vector<float> rows;
    ctx.hook().watch("kqv_out-0", &rows);
    ctx.decode_seq(p, 0, 0, nullptr, false);
    ctx.hook().unwatch_all();
    ctx.clear();
    EXPECT_EQ(rows.size(), p.size() * info.n_embd_v());

    run_options o;
    o.capture_heads = true;
    steering s = random_steering(info, {0}, 5);
    auto a = ctx.run({p}, {nullptr}, o);
    auto b = ctx.run({p}, {&s}, o);
    ASSERT_EQ(a[0].heads.size(), (size_t) info.n_layer * info.n_embd_v());
    // the last token's row of the watched kqv_out-0 is the captured layer 0
    const size_t w = info.n_embd_v();
    std::vector<float> last(rows.end() - w, rows.end()), cap0(a[0].heads.begin(), a[0].heads.begin() + w);
    EXPECT_LE(max_abs_diff(last, cap0), 1e-6f);
    for (int il = 0; il < info.n_layer; il++) {   // every layer holds a real, finite attention output
        double ss = 0;
        bool finite = true;
        for (size_t i = 0; i < w; i++) {
            const float x = a[0].heads[il * w + i];
            finite &= std::isfinite(x);
            ss += (double) x * x;
        }
        EXPECT_TRUE(finite) << "layer " << il;
        EXPECT_GT(ss, 1e-6) << "layer " << il;
    }
    // steering at layer 0 shows in the capture as exactly the delta (layer 0's input is unchanged)
    float worst = 0;
    for (size_t i = 0; i < w; i++) worst = std::max(worst, std::fabs(b[0].heads[i] - a[0].heads[i] - s.delta[0][i]));
    EXPECT_LE(worst, 1e-5f);
    EXPECT_GT(max_abs_diff(a[0].heads, b[0].heads), 1e-2f);
    printf("%s: capture of %d layers x %d heads x %d, steered layer 0 vs plain + delta: %.3g\n", c.preset, info.n_layer,
           info.n_head, info.head_dim, worst);
    matrix_row & r = matrix()[c.preset];
    r.arch = info.arch;
    r.geometry = strfmt("%d x %d x %d%s", info.n_layer, info.n_head, info.head_dim,
                        c.n_swa ? strfmt(", sliding window %d on layer 0", c.n_swa).c_str() : "");
    r.capture = verdict(strfmt("%d of %d layers; steered - plain = delta %s", info.n_layer, info.n_layer, fmt_err(worst).c_str()));
}

// after the first steered attention: W_o's output changes by exactly W_o * delta at every token, and the
// residual stream by what the graph does with it (x + scale * y, or x + rmsnorm(y) * g after a post-norm)
TEST_P(arch, steer_exact) {
    const arch_case & c = GetParam();
    const std::string path = model_path(c.preset);
    model m({path});
    const auto & info = m.info();
    steering s = random_steering(info, {0, 1}, 99);
    const std::vector<float> wd = matvec(gguf_read_tensor(path, "blk.0.attn_output.weight"), s.delta[0]);
    const std::vector<int> p = prompt_tokens(m);
    const size_t n = p.size(), E = info.n_embd;

    context ctx(m, f32_params());
    std::vector<float> y0, y1, res0, res1;
    for (int k = 0; k < 2; k++) {
        ctx.hook().watch_product("blk.0.attn_output.weight", k ? &y1 : &y0);
        if (c.residual) ctx.hook().watch(c.residual, k ? &res1 : &res0);
        ctx.decode_seq(p, 0, 0, k ? &s : nullptr, false);
        ctx.hook().unwatch_all();
        ctx.clear();
    }
    ASSERT_EQ(y0.size(), n * E);
    ASSERT_EQ(y1.size(), n * E);
    float err_wo = 0, norm = 0;
    for (size_t t = 0; t < n; t++) {
        for (size_t i = 0; i < E; i++) {
            err_wo = std::max(err_wo, std::fabs(y1[t * E + i] - y0[t * E + i] - wd[i]));
            norm = std::max(norm, std::fabs(wd[i]));
        }
    }
    EXPECT_GT(norm, 0.1f);
    EXPECT_LE(err_wo, 1e-4f);
    std::string res_txt = "residual: an unnamed add (not checked)";
    if (c.residual) {
        ASSERT_EQ(res0.size(), n * E);
        ASSERT_EQ(res1.size(), n * E);
        // the expected residual change from the watched W_o outputs
        std::vector<float> g;
        if (c.kind == residual_kind::post_norm) g = gguf_read_tensor(path, "blk.0.post_attention_norm.weight").data;
        const double eps = std::atof(m.meta(info.arch + ".attention.layer_norm_rms_epsilon").c_str());
        auto post = [&](const std::vector<float> & y, size_t t, std::vector<double> & out) {
            out.resize(E);
            if (c.kind == residual_kind::linear) {
                for (size_t i = 0; i < E; i++) out[i] = c.scale * (double) y[t * E + i];
                return;
            }
            double ss = 0;
            for (size_t i = 0; i < E; i++) ss += (double) y[t * E + i] * y[t * E + i];
            const double inv = 1.0 / std::sqrt(ss / E + eps);
            for (size_t i = 0; i < E; i++) out[i] = y[t * E + i] * inv * g[i];
        };
        float err_res = 0, moved = 0;
        std::vector<double> q0, q1;
        for (size_t t = 0; t < n; t++) {
            post(y0, t, q0);
            post(y1, t, q1);
            for (size_t i = 0; i < E; i++) {
                const double d = (double) res1[t * E + i] - res0[t * E + i];
                err_res = std::max(err_res, (float) std::fabs(d - (q1[i] - q0[i])));
                moved = std::max(moved, (float) std::fabs(d));
            }
        }
        EXPECT_GT(moved, 1e-2f);
        EXPECT_LE(err_res, 1e-4f);
        res_txt = strfmt("residual%s (%.*s) %s", c.kind == residual_kind::post_norm ? " after the post-norm" :
                         c.scale != 1.0f ? strfmt(" x %g", c.scale).c_str() : "", (int) (strlen(c.residual) - 2), c.residual,
                         fmt_err(err_res).c_str());
        printf("%s: residual %s change vs the graph's function of W_o's output: max err %.3g\n", c.preset, c.residual, err_res);
    }
    printf("%s: W_o output change vs W_o*delta: max err %.3g (|W_o*delta| max %.3g) over %zu tokens\n", c.preset, err_wo,
           norm, n);
    matrix()[c.preset].steer = verdict(strfmt("W_o output vs W_o·δ %s; %s", fmt_err(err_wo).c_str(), res_txt.c_str()));
}

// several sequences with different steering in one batch equal each alone (also split into ubatches of 4, and with
// a shared prefix); the in-graph and the callback path agree
TEST_P(arch, batch_vs_alone) {
    const arch_case & c = GetParam();
    model m({model_path(c.preset)});
    const auto & info = m.info();
    steering s1 = random_steering(info, {0, 1}, 11);
    steering s2 = random_steering(info, {1}, 22, 3.0f);
    std::vector<std::vector<int>> prompts = {
        m.tokenize("You worry about things and often feel blue.", true),
        m.tokenize("Make friends easily.", true),
        m.tokenize("Have a vivid imagination, love to read challenging material and to think about things.", true),
    };
    const std::vector<const steering *> st = {&s1, nullptr, &s2};
    run_options o;
    o.capture_heads = true;
    o.share_prefix = false;
    float worst = 0;
    for (int ub : {512, 4}) {
        context_params cp = f32_params();
        cp.n_ubatch = ub;
        context ctx(m, cp);
        auto batched = ctx.run(prompts, st, o);
        for (size_t i = 0; i < prompts.size(); i++) {
            auto alone = ctx.run({prompts[i]}, {st[i]}, o);
            const float dl = max_abs_diff(batched[i].logits, alone[0].logits), dh = max_abs_diff(batched[i].heads, alone[0].heads);
            EXPECT_LE(dl, 1e-4f) << "n_ubatch " << ub << " prompt " << i;
            EXPECT_LE(dh, 1e-4f) << "n_ubatch " << ub << " prompt " << i;
            worst = std::max({worst, dl, dh});
        }
        auto unsteered = ctx.run({prompts[0]}, {nullptr}, o);
        EXPECT_GT(max_abs_diff(batched[0].logits, unsteered[0].logits), 1e-2f) << "steering changes the logits";
    }
    // a shared prefix (decoded once, its KV cells copied to each sequence) changes nothing
    {
        context ctx(m, f32_params());
        std::vector<std::vector<int>> same = prompts;
        for (auto & q : same) q.insert(q.begin() + 1, prompts[2].begin() + 1, prompts[2].end());   // a long common prefix
        const std::vector<const steering *> one(same.size(), &s1);
        run_options sh = o;
        sh.share_prefix = true;
        auto a = ctx.run(same, one, sh);
        auto b = ctx.run(same, one, o);
        for (size_t i = 0; i < same.size(); i++) {
            const float d = std::max(max_abs_diff(a[i].logits, b[i].logits), max_abs_diff(a[i].heads, b[i].heads));
            EXPECT_LE(d, 1e-4f) << "shared prefix, prompt " << i;
            worst = std::max(worst, d);
        }
    }
    std::string paths = "callback only (no patch)";
    if (graph_steer_available()) {
        context g(m, f32_params(steer_path::graph)), cb(m, f32_params(steer_path::callback));
        run_options gen = o;
        gen.n_generate = 3;
        auto a = g.run(prompts, st, gen);
        auto b = cb.run(prompts, st, gen);
        float d = 0;
        for (size_t i = 0; i < prompts.size(); i++) {
            d = std::max({d, max_abs_diff(a[i].logits, b[i].logits), max_abs_diff(a[i].heads, b[i].heads)});
            EXPECT_EQ(a[i].generated, b[i].generated) << "prompt " << i;
        }
        EXPECT_LE(d, 1e-5f);
        paths = d == 0 ? "0 (bit-equal)" : fmt_err(d);
        printf("%s: in-graph vs callback: max |diff| %.3g\n", c.preset, d);
    }
    printf("%s: batch vs alone (n_ubatch 512, 4; shared prefix): max |diff| %.3g\n", c.preset, worst);
    matrix()[c.preset].batch = verdict(fmt_err(worst));
    matrix()[c.preset].paths = verdict(paths);
}

// palign bake: the architectures whose loader reads attn_output.bias (bake_supported) are exactly those that load
// a model with the extra tensor; there the baked model equals the steered one, elsewhere bake refuses and names
// the run-time routes
TEST_P(arch, bake) {
    const arch_case & c = GetParam();
    const std::string path = model_path(c.preset);
    model m({path});
    const auto & info = m.info();
    steering s = random_steering(info, {0, 1}, 1234, 0.5f);
    const std::string dir = palign_test::scratch_dir();
    const std::string out = dir + "/" + c.preset + "-baked.gguf";
    if (!bake_supported(info.arch)) {
        // llama.cpp's loader does not take blk.N.attn_output.bias for this architecture: an unread tensor fails the load
        const std::string probe = dir + "/" + c.preset + "-bias-probe.gguf";
        gguf_copy_with(path, probe, {{"blk.0.attn_output.bias", {info.n_embd}, std::vector<float>(info.n_embd, 0.0f)}});
        std::string why;
        try { model pm({probe}); } catch (const error & e) { why = e.what(); }
        EXPECT_NE(why.find("wrong number of tensors"), std::string::npos) << "bake_supported('" << info.arch
            << "') is false, but llama.cpp's loader takes attn_output.bias: " << why;
        std::string msg;
        try { bake_steering(path, info, s, out, {}); } catch (const error & e) { msg = e.what(); }
        EXPECT_NE(msg.find("architecture '" + info.arch + "'"), std::string::npos) << msg;
        EXPECT_NE(msg.find("palign chat -s"), std::string::npos) << msg;
        EXPECT_NE(msg.find("palign serve"), std::string::npos) << msg;
        EXPECT_FALSE(file_exists(out));
        matrix()[c.preset].bake = verdict("refused (the loader reads no attn_output.bias): use chat -s / serve");
        return;
    }
    // the baked model loads (its loader takes the biases) and answers as the steered one
    EXPECT_EQ(bake_steering(path, info, s, out, {{"palign.baked.person", "test"}}), 2u);
    model mb({out});
    context cb(mb, f32_params()), cs(m, f32_params());
    const std::vector<int> p = prompt_tokens(m);
    auto lb = cb.decode_seq(p, 0, 0, nullptr, true);
    auto ls = cs.decode_seq(p, 0, 0, &s, true);
    cs.clear();
    auto l0 = cs.decode_seq(p, 0, 0, nullptr, true);
    ASSERT_EQ(lb.size(), ls.size());
    float worst = 0;
    for (size_t i = 0; i < lb.size(); i++) worst = std::max(worst, max_abs_diff(lb[i], ls[i]));
    EXPECT_LE(worst, 1e-4f);
    EXPECT_GT(max_abs_diff(l0.back(), ls.back()), 1e-2f) << "the steering changes the logits";
    printf("%s: baked vs steered: max |dlogit| %.3g over %zu tokens\n", c.preset, worst, lb.size());
    matrix()[c.preset].bake = verdict("baked == steered, logits " + fmt_err(worst));
}

INSTANTIATE_TEST_SUITE_P(matrix, arch, ::testing::ValuesIn(k_cases), case_name);

// architectures palign cannot steer: one line naming the file and the architecture, when the model or the
// context is created; nothing is steered silently
struct refusal_case { const char * preset, * arch, * why; };

class arch_refused : public ::testing::TestWithParam<refusal_case> {};

TEST_P(arch_refused, clear_message) {
    const refusal_case & c = GetParam();
    const std::string path = model_path(c.preset);
    std::string msg;
    try {
        model m({path});
        context ctx(m, f32_params());
    } catch (const error & e) {
        msg = e.what();
    }
    EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(std::string("architecture '") + c.arch + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.why), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    printf("%s: %s\n", c.preset, msg.c_str());
    const size_t at = msg.find("architecture '");
    std::string shown = msg.substr(at == std::string::npos ? 0 : at);
    shown = shown.substr(0, shown.find("; HINT"));
    refusals().push_back(std::string(c.preset) + "|" + c.arch + "|" + (::testing::Test::HasFailure() ? "**FAIL**" : shown));
}

INSTANTIATE_TEST_SUITE_P(matrix, arch_refused, ::testing::Values(
    refusal_case{"mamba", "mamba", "no attention heads"},                       // state space: no attention at all
    refusal_case{"bitnet", "bitnet", "through 'attn_sub_norm-0', not directly"},  // a norm between kqv_out and W_o
    refusal_case{"deepseek2", "deepseek2", "64 values per token"}),              // MLA: heads of 16 where value_length says 32
    [](const ::testing::TestParamInfo<refusal_case> & i) { return std::string(i.param.preset); });

// the layout check itself, on probe results no generated model has
TEST(arch_check, layout_problems) {
    model_info info;
    info.arch = "x";
    info.n_layer = 2;
    info.n_head = 4;
    info.head_dim = 8;
    auto ok = [](int il) { layer_probe l; l.kqv = true; l.width = 32; l.type = 0; l.wo = true; l.wo_input = "kqv_out-" + std::to_string(il); return l; };
    std::vector<layer_probe> layers = {ok(0), ok(1)};
    EXPECT_EQ(attention_layout_problem(info, layers), "");
    layers[1] = layer_probe();   // a layer without attention (hybrid models): fine
    EXPECT_EQ(attention_layout_problem(info, layers), "");
    layers[0] = layer_probe();
    EXPECT_NE(attention_layout_problem(info, layers).find("no kqv_out"), std::string::npos);
    layers = {ok(0), ok(1)};
    layers[1].wo_input = "an unnamed MUL";   // a gate between attention and W_o (qwen3next-style)
    EXPECT_NE(attention_layout_problem(info, layers).find("layer 1's kqv_out reaches the output projection through 'an unnamed MUL'"),
              std::string::npos);
    layers[1].wo_input = "an unnamed MUL_MAT";   // llama.cpp's Hadamard rotation of kqv_out (quantized caches)
    EXPECT_NE(attention_layout_problem(info, layers).find("through 'an unnamed MUL_MAT', not directly"), std::string::npos);
    layers[1].wo_input = "kqv_out-1 (reshaped)";   // a reshape keeps the values and their order
    EXPECT_EQ(attention_layout_problem(info, layers), "");
    layers[1] = ok(1);
    layers[1].wo = false;
    EXPECT_NE(attention_layout_problem(info, layers).find("layer 1: no product with blk.1.attn_output.weight"), std::string::npos);
    layers[1] = ok(1);
    layers[1].width = 40;
    EXPECT_NE(attention_layout_problem(info, layers).find("40 values per token"), std::string::npos);
    layers[1] = ok(1);
    layers[1].type = 1;   // f16
    EXPECT_NE(attention_layout_problem(info, layers).find("is f16"), std::string::npos);
}

// PALIGN_ARCH_MATRIX=FILE: the results as the README's table
class matrix_writer : public ::testing::Environment {
public:
    void TearDown() override {
        const char * out = getenv("PALIGN_ARCH_MATRIX");
        if (!out || !*out) return;
        std::string md = "| preset | llama.cpp arch | layers x heads x head size | capture | steering exact (layer 0, every token) | "
                         "batch vs alone | in-graph vs callback | bake |\n"
                         "|---|---|---|---|---|---|---|---|\n";
        for (const auto & c : k_cases) {
            auto it = matrix().find(c.preset);
            if (it == matrix().end()) continue;
            const matrix_row & r = it->second;
            auto cell = [](const std::string & s) { return s.empty() ? std::string("not run") : s; };
            md += "| `" + std::string(c.preset) + "` | " + cell(r.arch) + " | " + cell(r.geometry) + " | " + cell(r.capture) + " | " +
                  cell(r.steer) + " | " + cell(r.batch) + " | " + cell(r.paths) + " | " + cell(r.bake) + " |\n";
        }
        for (const auto & line : refusals()) {
            const size_t a = line.find('|'), b = line.find('|', a + 1);
            md += "| `" + line.substr(0, a) + "` | " + line.substr(a + 1, b - a - 1) + " | | refused: " + line.substr(b + 1) +
                  " | | | | |\n";
        }
        FILE * f = fopen(out, "w");
        if (!f) { fprintf(stderr, "%s: cannot write the matrix\n", out); return; }
        fputs(md.c_str(), f);
        fclose(f);
    }
};

static ::testing::Environment * const k_matrix_env = ::testing::AddGlobalTestEnvironment(new matrix_writer);
