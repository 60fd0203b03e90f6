// palign export-cvec: the file stock llama.cpp reads with --control-vector (loaded here with llama.cpp's own
// common_control_vector_load and applied with llama_set_adapter_cvec), and how far that approximation is from
// palign's exact steering on a test model (reported; it must be closer than no steering at all).
#include "engine/context.h"
#include "engine/gguf_util.h"
#include "engine/model.h"
#include "engine/steering.h"
#include "pas/cvec.h"
#include "util/error.h"
#include "util/paths.h"
#include "testlib.h"

#include "common.h"
#include "llama.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace palign;
using palign_test::max_abs_diff;

namespace {

// stock llama.cpp: the prompt's last logits, with the control vector file applied (or none)
std::vector<float> llama_cpp_logits(const std::string & model_path, const std::vector<int> & prompt, const std::string & cvec) {
    backend_init();
    llama_model_params mp = llama_model_default_params();
    llama_model * m = llama_model_load_from_file(model_path.c_str(), mp);
    EXPECT_NE(m, nullptr);
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 256;
    cp.n_batch = 256;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    llama_context * c = llama_init_from_model(m, cp);
    if (!cvec.empty()) {
        const common_control_vector_data d = common_control_vector_load({{1.0f, cvec}});
        EXPECT_EQ(d.n_embd, llama_model_n_embd(m)) << "llama.cpp loads the file";
        EXPECT_EQ(llama_set_adapter_cvec(c, d.data.data(), d.data.size(), d.n_embd, 1, llama_model_n_layer(m) - 1), 0);
    }
    std::vector<llama_token> toks(prompt.begin(), prompt.end());
    EXPECT_EQ(llama_decode(c, llama_batch_get_one(toks.data(), (int) toks.size())), 0);
    const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(m));
    const float * lg = llama_get_logits_ith(c, -1);
    std::vector<float> out(lg, lg + n_vocab);
    llama_free(c);
    llama_model_free(m);
    return out;
}

} // namespace

TEST(cvec, llama_cpp_reads_it_and_it_approximates_pas) {
    const std::string path = palign_test::model_path("qwen3");
    model m({path});
    const model_info & info = m.info();
    ASSERT_GE(info.n_layer, 2);
    // heads of the last layer (a control vector cannot reach layer 0), strong enough to move the logits
    steering st = palign_test::random_steering(info, {info.n_layer - 1}, 17, 4.0f);
    const std::string out = palign_test::scratch_dir() + "/p.cvec.gguf";
    const cvec_result r = export_cvec(path, info, st, out);
    EXPECT_EQ(r.n_layers, 1);
    EXPECT_EQ(r.n_dropped_heads, 0);
    const gguf_tensor_f32 d = gguf_read_tensor(out, "direction." + std::to_string(info.n_layer - 1));
    EXPECT_EQ(d.data.size(), (size_t) info.n_embd);

    const std::vector<int> prompt = m.tokenize("Tell me about yourself, please.", true);
    context_params cp;
    cp.flash_attn = "off";
    context ctx(m, cp);
    const std::vector<float> exact = ctx.run({prompt}, {&st})[0].logits;
    const std::vector<float> plain = ctx.run({prompt}, {nullptr})[0].logits;
    const std::vector<float> approx = llama_cpp_logits(path, prompt, out);
    const std::vector<float> stock = llama_cpp_logits(path, prompt, "");
    EXPECT_LE(max_abs_diff(plain, stock), 1e-3f) << "palign unsteered == stock llama.cpp";
    const float d_cvec = max_abs_diff(approx, exact), d_plain = max_abs_diff(plain, exact);
    printf("control vector vs exact PAS steering: max |logit diff| %.4g (no steering: %.4g; logits span %.3g)\n", d_cvec, d_plain,
           *std::max_element(exact.begin(), exact.end()) - *std::min_element(exact.begin(), exact.end()));
    EXPECT_GT(d_plain, 1e-2f) << "the steering moves the logits";
    EXPECT_LT(d_cvec, d_plain) << "the approximation is closer to PAS than the plain model";
    EXPECT_GT(d_cvec, 0.0f) << "an approximation: the layer's feed-forward does not see it";

    // layer 0's heads are counted as dropped; a steering only there is refused
    steering st0 = palign_test::random_steering(info, {0}, 5, 1.0f);
    EXPECT_THROW(export_cvec(path, info, st0, out + ".0"), palign::error);
    EXPECT_FALSE(file_exists(out + ".0"));
    steering both = palign_test::random_steering(info, {0, info.n_layer - 1}, 5, 1.0f);
    const cvec_result rb = export_cvec(path, info, both, out + ".b");
    EXPECT_EQ(rb.n_layers, 1);
    EXPECT_GT(rb.n_dropped_heads, 0);
}
