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
#include <sstream>

namespace palign {

void register_align(CLI::App & app) {
    auto * cmd = app.add_subcommand("align", "fit PAS for one person from their answers; write a steering file");
    static model_opts mo;
    static ask_opts ao;
    static pas_opts po;
    static std::string answers, out, inventory_name = "big5", system = "default";
    static std::string cache = cache_dir() + "/contrast";
    static double alpha = NAN;
    static bool quiet = false;
    add_model_options(cmd, mo);
    cmd->add_option("-a,--answers", answers, "the person's answers: JSON object {\"<item id>\": 1..5} (i1..i300 or M1..P9)")->required();
    cmd->add_option("-o,--out", out, "steering file to write (GGUF)")->required();
    cmd->add_option("--inventory", inventory_name, "big5 (IPIP-NEO-120 items) or sd3 (SD-3 align items)");
    cmd->add_option("--alpha", alpha, "use this alpha instead of choosing it by cross-validation");
    cmd->add_option("--system", system, "system prompt while choosing alpha: default (steering alone, as the file is used) or few-shot");
    add_pas_options(cmd, po);
    cmd->add_option("--contrast-cache", cache, "directory caching the contrast activations per model (\"\" = off)");
    add_ask_options(cmd, ao);
    cmd->add_flag("-q,--quiet", quiet, "no progress (contrast capture, probes, alpha cross-validation) on stderr");
    cmd->callback([] {
        check_output_file(out, "steering file");   // before any work
        inventory_kind kind;
        if (inventory_name == "big5") kind = inventory_kind::big5;
        else if (inventory_name == "sd3") kind = inventory_kind::sd3;
        else fail(strfmt("--inventory: unknown '%s'", inventory_name.c_str()), "use big5 or sd3");
        const std::string ddir = data_dir(mo.data_dir);
        const inventory inv = load_inventory(kind, ddir);
        const subject person = load_answer_file(answers, inv);

        align_params ap;
        ap.e.ask = ao.params();
        po.apply(ap.e);
        if (system != "default" && system != "few-shot") fail(strfmt("--system: unknown '%s'", system.c_str()), "use default or few-shot");
        ap.e.pas_few_shot = system == "few-shot";
        ap.alpha = alpha;
        ap.contrast_cache = cache;
        ap.progress = !quiet;

        model m(mo.params());
        context ctx(m, mo.ctx);
        const align_result r = align_person(ctx, inv, person, ap, answers);
        if (r.n_unused) log_note("%d answered items outside the align set are not used", r.n_unused);
        const steer_file & sf = r.file;
        if (sf.alpha_select == "cv") {
            printf("alpha by %d-fold cross-validation on %d answers (composite error on held-out answers):\n", ap.e.cv_folds, sf.n_answers);
            for (const auto & pt : r.cv.curve) printf("  alpha %-5g %.3f%s\n", pt.alpha, pt.composite, pt.alpha == r.cv.alpha ? "  <- chosen" : "");
        }
        for (const auto & w : r.warnings) log_warn("%s", w.c_str());
        steer_file_write(sf, out);
        fputs(steer_file_describe(sf).c_str(), stdout);
        printf("wrote %s\n", out.c_str());
    });
}

void register_inspect(CLI::App & app) {
    auto * cmd = app.add_subcommand("inspect", "print everything a steering file holds");
    static std::string path;
    cmd->add_option("file", path, "steering file (.steer.gguf)")->required();
    cmd->callback([] { fputs(steer_file_describe(steer_file_read(path)).c_str(), stdout); });
}

} // namespace palign
