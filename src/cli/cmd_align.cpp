// palign align: fit PAS for one person from their questionnaire answers and write a steering file.
#include "cli/commands.h"
#include "cli/options.h"
#include "data/prompts.h"
#include "eval/align.h"
#include "eval/protocol.h"
#include "pas/pas.h"
#include "pas/steer_file.h"
#include "util/error.h"
#include "util/fs_util.h"
#include "util/log.h"
#include "util/paths.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>

namespace palign {

void add_align_options(CLI::App * cmd, align_cmd & o) {
    add_model_options(cmd, o.mo);
    cmd->add_option("-a,--answers", o.answers, "the person's answers: JSON object {\"<item id>\": 1..5} (i1..i300 or M1..P9)")->required();
    cmd->add_option("-o,--out", o.out, "steering file to write (GGUF)")->required();
    cmd->add_option("--inventory", o.inventory, "big5 (IPIP-NEO-120 items) or sd3 (SD-3 align items)");
    cmd->add_option("--alpha", o.alpha, "use this alpha instead of choosing it by cross-validation");
    cmd->add_option("--system", o.system, "system prompt while choosing alpha: default (steering alone, as the file is used) or few-shot");
    add_pas_options(cmd, o.po);
    cmd->add_option("--contrast-cache", o.contrast_cache, "directory caching the contrast activations per model (\"\" = off)");
    add_ask_options(cmd, o.ao);
    cmd->add_flag("-q,--quiet", o.quiet, "no progress (contrast capture, probes, alpha cross-validation) on stderr");
}

void run_align(const align_cmd & o) {
    check_output_file(o.out, "steering file");   // before any work
    const inventory_kind kind = inventory_kind_from_name(o.inventory);
    const std::string ddir = data_dir(o.mo.data_dir);
    const inventory inv = load_inventory(kind, ddir);
    const subject person = load_answer_file(o.answers, inv);

    align_params ap;
    ap.e.ask = o.ao.params();
    o.po.apply(ap.e);
    if (o.system != "default" && o.system != "few-shot") fail(strfmt("--system: unknown '%s'", o.system.c_str()), "use default or few-shot");
    ap.e.pas_few_shot = o.system == "few-shot";
    ap.alpha = o.alpha;
    ap.contrast_cache = o.contrast_cache;
    ap.progress = !o.quiet;

    model m(o.mo.params());
    context ctx(m, o.mo.ctx);
    const align_result r = align_person(ctx, inv, person, ap, o.answers);
    if (r.n_unused) log_note("%d answered items outside the align set are not used", r.n_unused);
    const steer_file & sf = r.file;
    if (sf.alpha_select == "cv") {
        printf("alpha by %d-fold cross-validation on %d answers (composite error on held-out answers):\n", ap.e.cv_folds, sf.n_answers);
        for (const auto & pt : r.cv.curve) printf("  alpha %-5g %.3f%s\n", pt.alpha, pt.composite, pt.alpha == r.cv.alpha ? "  <- chosen" : "");
    }
    for (const auto & w : r.warnings) log_warn("%s", w.c_str());
    steer_file_write(sf, o.out);
    fputs(steer_file_describe(sf).c_str(), stdout);
    printf("wrote %s\n", o.out.c_str());
}

void register_align(CLI::App & app) {
    auto * cmd = app.add_subcommand("align", "fit PAS for one person from their answers; write a steering file");
    auto o = std::make_shared<align_cmd>();
    add_align_options(cmd, *o);
    cmd->callback([o] { run_align(*o); });
}

void add_inspect_options(CLI::App * cmd, inspect_cmd & o) {
    cmd->add_option("file", o.file, "steering file (.steer.gguf)")->required();
}

void run_inspect(const inspect_cmd & o) { fputs(steer_file_describe(steer_file_read(o.file)).c_str(), stdout); }

void register_inspect(CLI::App & app) {
    auto * cmd = app.add_subcommand("inspect", "print everything a steering file holds");
    auto o = std::make_shared<inspect_cmd>();
    add_inspect_options(cmd, *o);
    cmd->callback([o] { run_inspect(*o); });
}

} // namespace palign
