// palign-mkmodel: writes a small random-weight GGUF test model (real tokenizer and chat template).
#include "engine/test_model.h"
#include "engine/test_model_presets.h"
#include "util/error.h"
#include "util/paths.h"

#include <CLI/CLI.hpp>

#include <cstdio>

int main(int argc, char ** argv) {
    using namespace palign;
    CLI::App app{"palign-mkmodel: write a small RANDOM-WEIGHT GGUF model for tests and benchmarks"};
    app.option_defaults()->always_capture_default();
    std::string preset = "llama3", out, vocab_dir_opt, data_dir_opt, type, arch;
    uint64_t seed = 42;
    int n_layer = 0, n_embd = 0, n_head = 0, n_head_kv = 0, head_dim = 0, n_ff = 0;
    std::string preset_help = "model preset:";
    for (const auto & p : test_model_presets()) preset_help += std::string("\n  ") + p.name + ": " + p.desc;
    app.add_option("--preset", preset, preset_help);
    app.add_option("-o,--out", out, "output GGUF path")->required();
    app.add_option("--seed", seed, "random seed (same seed, same file)");
    app.add_option("--type", type, "weight type f32|f16|q8_0 (default: the preset's)");
    app.add_option("--n-layer", n_layer, "override layers (0 = preset)");
    app.add_option("--n-embd", n_embd, "override embedding width (0 = preset)");
    app.add_option("--n-head", n_head, "override query heads (0 = preset)");
    app.add_option("--n-head-kv", n_head_kv, "override kv heads (0 = preset)");
    app.add_option("--head-dim", head_dim, "override head size (0 = preset)");
    app.add_option("--n-ff", n_ff, "override feed-forward width (0 = preset)");
    app.add_option("--vocab-dir", vocab_dir_opt, "llama.cpp models/ dir with ggml-vocab-*.gguf (default: $PALIGN_VOCAB_DIR or the build's)");
    app.add_option("--data-dir", data_dir_opt, "palign data dir with templates/ (default: $PALIGN_DATA_DIR or the install's)");
    CLI11_PARSE(app, argc, argv);
    try {
        test_model_params p = test_model_preset_params(preset, vocab_dir(vocab_dir_opt), data_dir(data_dir_opt));
        p.seed = seed;
        if (!type.empty()) p.type = type;
        if (n_layer) p.n_layer = n_layer;
        if (n_embd) p.n_embd = n_embd;
        if (n_head) p.n_head = n_head;
        if (n_head_kv) p.n_head_kv = n_head_kv;
        if (head_dim) p.head_dim = head_dim;
        if (n_ff) p.n_ff = n_ff;
        write_test_model(p, out);
        fprintf(stderr, "palign-mkmodel: wrote %s (preset %s, %s, seed %llu, random weights)\n", out.c_str(),
                preset.c_str(), p.type.c_str(), (unsigned long long) seed);
    } catch (const std::exception & e) {
        fprintf(stderr, "palign-mkmodel: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
