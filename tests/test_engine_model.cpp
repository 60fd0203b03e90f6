// Engine: model loading, geometry from metadata, and the errors for missing, broken or unsupported models.
#include "engine/context.h"
#include "engine/model.h"
#include "engine/gguf_util.h"
#include "engine/test_model.h"
#include "engine/test_model_presets.h"
#include "util/error.h"
#include "util/paths.h"
#include "testlib.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace palign;
using palign_test::model_path;

static std::string error_of(const std::function<void()> & f) {
    try {
        f();
    } catch (const palign::error & e) {
        return e.what();
    }
    return "";
}

TEST(engine_model, llama_geometry) {
    model m({model_path("llama3")});
    const auto & i = m.info();
    EXPECT_EQ(i.arch, "llama");
    EXPECT_EQ(i.n_layer, 2);
    EXPECT_EQ(i.n_head, 4);
    EXPECT_EQ(i.n_head_kv, 2);
    EXPECT_EQ(i.head_dim, 16);
    EXPECT_EQ(i.n_embd, 64);
    EXPECT_EQ(i.n_vocab, 128256);   // the real Llama-3 vocabulary
}

TEST(engine_model, qwen3_head_dim_is_read_not_assumed) {
    model m({model_path("qwen3")});
    const auto & i = m.info();
    EXPECT_EQ(i.arch, "qwen3");
    EXPECT_EQ(i.n_head, 4);
    EXPECT_EQ(i.head_dim, 32);           // n_embd / n_head would be 16
    EXPECT_NE(i.head_dim, i.n_embd / i.n_head);
    EXPECT_EQ(i.n_embd_v(), 128);
    context ctx(m);
    EXPECT_TRUE(ctx.hook().layers_seen()[0]);
    EXPECT_TRUE(ctx.hook().layers_seen()[1]);
}

TEST(engine_model, test_models_are_deterministic) {
    const std::string dir = palign_test::scratch_dir();
    test_model_params p = test_model_preset_params("llama2", vocab_dir(), data_dir());
    p.seed = 7;
    write_test_model(p, dir + "/a.gguf");
    write_test_model(p, dir + "/b.gguf");
    p.seed = 8;
    write_test_model(p, dir + "/c.gguf");
    EXPECT_EQ(read_file(dir + "/a.gguf"), read_file(dir + "/b.gguf"));
    EXPECT_NE(read_file(dir + "/a.gguf"), read_file(dir + "/c.gguf"));
}

TEST(engine_model, missing_file_names_the_file) {
    std::string e = error_of([] { model m({"/nonexistent/dir/x.gguf"}); });
    EXPECT_NE(e.find("/nonexistent/dir/x.gguf"), std::string::npos) << e;
    EXPECT_NE(e.find("cannot open"), std::string::npos) << e;
}

TEST(engine_model, not_a_gguf) {
    const std::string path = palign_test::scratch_dir() + "/not-a-model.gguf";
    std::ofstream(path) << "this is not a model";
    std::string e = error_of([&] { model m({path}); });
    EXPECT_NE(e.find(path), std::string::npos) << e;
    EXPECT_NE(e.find("not a GGUF"), std::string::npos) << e;
}

TEST(engine_model, truncated_gguf) {
    const std::string src = read_file(model_path("llama3"));
    const std::string path = palign_test::scratch_dir() + "/truncated.gguf";
    std::ofstream(path, std::ios::binary) << src.substr(0, src.size() / 3);
    std::string e = error_of([&] { model m({path}); });
    EXPECT_NE(e.find(path), std::string::npos) << e;
    EXPECT_NE(e.find("truncated"), std::string::npos) << e;   // found before llama.cpp reads it (gguf_check_model)
}

TEST(engine_model, unknown_architecture) {
    const std::string dir = palign_test::scratch_dir();
    test_model_params p = test_model_preset_params("llama3", vocab_dir(), data_dir());
    write_test_model(p, dir + "/arch.gguf");
    // the same model with general.architecture renamed to one llama.cpp does not know
    gguf_copy_with(dir + "/arch.gguf", dir + "/arch2.gguf", {}, {{"general.architecture", "nosuch"}});
    std::string e = error_of([&] { model m({dir + "/arch2.gguf"}); });
    EXPECT_NE(e.find("arch2.gguf"), std::string::npos) << e;
    EXPECT_NE(e.find("nosuch"), std::string::npos) << e;
}

TEST(engine_model, quantized_v_cache_is_refused) {
    model m({model_path("llama3")});
    context_params cp;
    cp.type_v = "q8_0";
    std::string e = error_of([&] { context c(m, cp); });
    EXPECT_NE(e.find("V cache"), std::string::npos) << e;
    EXPECT_NE(e.find("HINT"), std::string::npos) << e;
}
