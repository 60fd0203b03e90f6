// palign export-cvec: a person's steering file as llama.cpp's control vector (an approximation of PAS, for stock
// llama.cpp's --control-vector; see pas/cvec.h for what it cannot express).
#include "cli/commands.h"
#include "cli/options.h"
#include "pas/cvec.h"
#include "util/error.h"
#include "util/fs_util.h"
#include "util/log.h"

#include <cstdio>

namespace palign {

void register_export_cvec(CLI::App & app) {
    auto * cmd = app.add_subcommand("export-cvec", "write a steering file as llama.cpp's control vector (--control-vector): "
                                                   "an approximation of PAS");
    static std::string model_path, steer_path, out;
    static double alpha = NAN;
    cmd->add_option("-m,--model", model_path, "the model GGUF the steering file was fitted on (its W_o)")->required();
    cmd->add_option("-s,--steer", steer_path, "steering file from palign align")->required();
    cmd->add_option("-o,--out", out, "control vector GGUF to write")->required();
    cmd->add_option("--alpha", alpha, "steering strength (default: the file's alpha)");
    cmd->callback([] {
        check_output_file(out, "control vector");   // before any work
        model m({model_path});
        auto ls = load_steer_for(m, steer_path, alpha);
        const cvec_result r = export_cvec(model_path, m.info(), ls->st, out);
        printf("wrote %s: control vector of %s (alpha %g) for %s, %d layers\n", out.c_str(), ls->file.person.c_str(),
               std::isnan(alpha) ? ls->file.alpha : alpha, model_path.c_str(), r.n_layers);
        printf("use: llama-cli -m %s --control-vector %s\n", model_path.c_str(), out.c_str());
        log_note("a control vector is an APPROXIMATION of PAS: llama.cpp adds it after each layer's feed-forward block, "
                 "which therefore does not see it%s; for exact steering use palign chat -s, palign serve or palign bake",
                r.n_dropped_heads ? strfmt(", and never to layer 0 (%d steered heads there are dropped)", r.n_dropped_heads).c_str() : "");
    });
}

} // namespace palign
