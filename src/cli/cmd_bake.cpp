// palign bake: write a model with a person's steering built in as attn_output biases, usable by any
// llama.cpp program — for architectures whose llama.cpp loader reads blk.N.attn_output.bias.
#include "cli/commands.h"
#include "cli/options.h"
#include "engine/gguf_util.h"
#include "util/error.h"

#include <algorithm>
#include <cstdio>

namespace palign {

// llama.cpp v0.4.0 loaders that read blk.N.attn_output.bias (optional or required) for decoder models
static const char * k_bias_archs[] = {
    "llama", "mistral3", "granite", "minicpm", "deci", "phi2", "phimoe", "starcoder", "starcoder2", "gpt2",
    "gptneox", "mpt", "bloom", "refact", "codeshell", "apertus", "nemotron", "jais",
};

void register_bake(CLI::App & app) {
    auto * cmd = app.add_subcommand("bake", "write a model with the steering built in (attn_output.bias), for any llama.cpp program");
    static std::string model_path, steer_path, out;
    static double alpha = NAN;
    cmd->add_option("-m,--model", model_path, "model GGUF")->required();
    cmd->add_option("-s,--steer", steer_path, "steering file from palign align")->required();
    cmd->add_option("-o,--out", out, "output model GGUF")->required();
    cmd->add_option("--alpha", alpha, "steering strength (default: the file's alpha)");
    cmd->callback([] {
        model m({model_path});
        const model_info & info = m.info();
        if (std::find_if(std::begin(k_bias_archs), std::end(k_bias_archs), [&](const char * a) { return info.arch == a; }) == std::end(k_bias_archs)) {
            fail(strfmt("%s: architecture '%s': llama.cpp's loader for it does not read blk.N.attn_output.bias, so a baked "
                        "steering would be ignored", model_path.c_str(), info.arch.c_str()),
                 "use palign chat --steer (the engine steers any attention architecture at run time)");
        }
        auto ls = load_steer_for(m, steer_path, alpha);
        std::vector<std::string> names;
        for (int il = 0; il < info.n_layer; il++) {
            if (!ls->st.active(il)) continue;
            names.push_back("blk." + std::to_string(il) + ".attn_output.weight");
            names.push_back("blk." + std::to_string(il) + ".attn_output.bias");
        }
        auto w = gguf_read_tensors(model_path, names);
        std::vector<gguf_tensor_f32> bias;
        for (int il = 0; il < info.n_layer; il++) {
            if (!ls->st.active(il)) continue;
            const std::string b = "blk." + std::to_string(il) + ".attn_output.bias";
            auto wo = w.find("blk." + std::to_string(il) + ".attn_output.weight");
            if (wo == w.end()) fail(strfmt("%s: tensor 'blk.%d.attn_output.weight' not found", model_path.c_str(), il));
            std::vector<float> add = matvec(wo->second, ls->st.delta[il]);   // W_o * delta
            auto old = w.find(b);
            if (old != w.end()) for (size_t i = 0; i < add.size(); i++) add[i] += old->second.data[i];   // adds to an existing bias
            bias.push_back({b, {(int64_t) add.size()}, add});
        }
        const double a = std::isnan(alpha) ? ls->file.alpha : alpha;
        gguf_copy_with(model_path, out, bias,
                       {{"palign.baked.steering", steer_path}, {"palign.baked.person", ls->file.person},
                        {"palign.baked.alpha", strfmt("%g", a)}});
        printf("wrote %s: %s steered by %s (%zu heads in %zu layers, alpha %g) as attn_output biases\n", out.c_str(),
               model_path.c_str(), ls->file.person.c_str(), ls->file.heads.size(), bias.size(), a);
    });
}

} // namespace palign
