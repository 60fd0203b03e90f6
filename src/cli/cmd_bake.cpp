// palign bake: write a model with a person's steering built in as attn_output biases, usable by any
// llama.cpp program — for architectures whose llama.cpp loader reads blk.N.attn_output.bias.
#include "cli/commands.h"
#include "cli/options.h"
#include "pas/bake.h"
#include "util/error.h"
#include "util/fs_util.h"

#include <algorithm>
#include <cstdio>

namespace palign {

void register_bake(CLI::App & app) {
    auto * cmd = app.add_subcommand("bake", "write a model with the steering built in (attn_output.bias), for any llama.cpp program");
    static std::string model_path, steer_path, out;
    static double alpha = NAN;
    cmd->add_option("-m,--model", model_path, "model GGUF")->required();
    cmd->add_option("-s,--steer", steer_path, "steering file from palign align")->required();
    cmd->add_option("-o,--out", out, "output model GGUF")->required();
    cmd->add_option("--alpha", alpha, "steering strength (default: the file's alpha)");
    cmd->callback([] {
        check_output_file(out, "baked model");   // before any work
        model m({model_path});
        const model_info & info = m.info();
        if (!bake_supported(info.arch)) {   // before reading the steering file: the clearer error first
            bake_steering(model_path, info, steering(info), out, {});
        }
        auto ls = load_steer_for(m, steer_path, alpha);
        const double a = std::isnan(alpha) ? ls->file.alpha : alpha;
        const size_t n_layers = bake_steering(model_path, info, ls->st, out,
                                              {{"palign.baked.steering", steer_path}, {"palign.baked.person", ls->file.person},
                                               {"palign.baked.alpha", strfmt("%g", a)}});
        printf("wrote %s: %s steered by %s (%zu heads in %zu layers, alpha %g) as attn_output biases\n", out.c_str(),
               model_path.c_str(), ls->file.person.c_str(), ls->file.heads.size(), n_layers, a);
    });
}

} // namespace palign
