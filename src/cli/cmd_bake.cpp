// palign bake: write a model with a person's steering built in as attn_output biases, usable by any
// llama.cpp program — for architectures whose llama.cpp loader reads blk.N.attn_output.bias.
#include "cli/commands.h"
#include "cli/options.h"
#include "pas/bake.h"
#include "util/error.h"
#include "util/fs_util.h"

#include <algorithm>
#include <cstdio>
#include <memory>

namespace palign {

void add_bake_options(CLI::App * cmd, bake_cmd & o) {
    cmd->add_option("-m,--model", o.model, "model GGUF")->required();
    cmd->add_option("-s,--steer", o.steer, "steering file from palign align")->required();
    cmd->add_option("-o,--out", o.out, "output model GGUF")->required();
    cmd->add_option("--alpha", o.alpha, "steering strength (default: the file's alpha)");
}

void run_bake(const bake_cmd & o) {
    check_output_file(o.out, "baked model");   // before any work
    model m({o.model});
    const model_info & info = m.info();
    if (!bake_supported(info.arch)) {   // before reading the steering file: the clearer error first
        bake_steering(o.model, info, steering(info), o.out, {});
    }
    auto ls = load_steer_for(m, o.steer, o.alpha);
    const double a = std::isnan(o.alpha) ? ls->file.alpha : o.alpha;
    const size_t n_layers = bake_steering(o.model, info, ls->st, o.out,
                                          {{"palign.baked.steering", o.steer}, {"palign.baked.person", ls->file.person},
                                           {"palign.baked.alpha", strfmt("%g", a)}});
    printf("wrote %s: %s steered by %s (%zu heads in %zu layers, alpha %g) as attn_output biases\n", o.out.c_str(),
           o.model.c_str(), ls->file.person.c_str(), ls->file.heads.size(), n_layers, a);
}

void register_bake(CLI::App & app) {
    auto * cmd = app.add_subcommand("bake", "write a model with the steering built in (attn_output.bias), for any llama.cpp program");
    auto o = std::make_shared<bake_cmd>();
    add_bake_options(cmd, *o);
    cmd->callback([o] { run_bake(*o); });
}

} // namespace palign
