// palign export-cvec: a person's steering file as llama.cpp's control vector (an approximation of PAS, for stock
// llama.cpp's --control-vector; see pas/cvec.h for what it cannot express).
#include "cli/commands.h"
#include "cli/options.h"
#include "pas/cvec.h"
#include "util/error.h"
#include "util/fs_util.h"
#include "util/log.h"

#include <cstdio>
#include <memory>

namespace palign {

void add_export_cvec_options(CLI::App * cmd, export_cvec_cmd & o) {
    cmd->add_option("-m,--model", o.model, "the model GGUF the steering file was fitted on (its W_o)")->required();
    cmd->add_option("-s,--steer", o.steer, "steering file from palign align")->required();
    cmd->add_option("-o,--out", o.out, "control vector GGUF to write")->required();
    cmd->add_option("--alpha", o.alpha, "steering strength (default: the file's alpha)");
}

void run_export_cvec(const export_cvec_cmd & o) {
    check_output_file(o.out, "control vector");   // before any work
    model m({o.model});
    auto ls = load_steer_for(m, o.steer, o.alpha);
    const cvec_result r = export_cvec(o.model, m.info(), ls->st, o.out);
    printf("wrote %s: control vector of %s (alpha %g) for %s, %d layers\n", o.out.c_str(), ls->file.person.c_str(),
           std::isnan(o.alpha) ? ls->file.alpha : o.alpha, o.model.c_str(), r.n_layers);
    printf("use: llama-cli -m %s --control-vector %s\n", o.model.c_str(), o.out.c_str());
    log_note("a control vector is an APPROXIMATION of PAS: llama.cpp adds it after each layer's feed-forward block, "
             "which therefore does not see it%s; for exact steering use palign chat -s, palign serve or palign bake",
            r.n_dropped_heads ? strfmt(", and never to layer 0 (%d steered heads there are dropped)", r.n_dropped_heads).c_str() : "");
}

void register_export_cvec(CLI::App & app) {
    auto * cmd = app.add_subcommand("export-cvec", "write a steering file as llama.cpp's control vector (--control-vector): "
                                                   "an approximation of PAS");
    auto o = std::make_shared<export_cvec_cmd>();
    add_export_cvec_options(cmd, *o);
    cmd->callback([o] { run_export_cvec(*o); });
}

} // namespace palign
