// palign align: fit PAS for one person from their questionnaire answers and write a steering file.
#include "cli/commands.h"
#include "cli/options.h"
#include "data/prompts.h"
#include "eval/protocol.h"
#include "pas/pas.h"
#include "pas/steer_file.h"
#include "util/error.h"
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
    static std::string cache = std::string(getenv("HOME") ? getenv("HOME") : ".") + "/.cache/palign/contrast";
    static double alpha = NAN;
    add_model_options(cmd, mo);
    cmd->add_option("-a,--answers", answers, "the person's answers: JSON object {\"<item id>\": 1..5} (i1..i300 or M1..P9)")->required();
    cmd->add_option("-o,--out", out, "steering file to write (GGUF)")->required();
    cmd->add_option("--inventory", inventory_name, "big5 (IPIP-NEO-120 items) or sd3 (SD-3 align items)");
    cmd->add_option("--alpha", alpha, "use this alpha instead of choosing it by cross-validation");
    cmd->add_option("--system", system, "system prompt while choosing alpha: default (steering alone, as the file is used) or few-shot");
    add_pas_options(cmd, po);
    cmd->add_option("--contrast-cache", cache, "directory caching the contrast activations per model (\"\" = off)");
    add_ask_options(cmd, ao);
    cmd->callback([] {
        inventory_kind kind;
        if (inventory_name == "big5") kind = inventory_kind::big5;
        else if (inventory_name == "sd3") kind = inventory_kind::sd3;
        else fail(strfmt("--inventory: unknown '%s'", inventory_name.c_str()), "use big5 or sd3");
        const std::string ddir = data_dir(mo.data_dir);
        const inventory inv = load_inventory(kind, ddir);
        const subject person = load_answer_file(answers, inv);

        eval_params e;
        e.ask = ao.params();
        po.apply(e);
        if (system != "default" && system != "few-shot") fail(strfmt("--system: unknown '%s'", system.c_str()), "use default or few-shot");
        e.pas_few_shot = system == "few-shot";

        // the person's answered align items
        eval_env env;
        int n_other = 0;
        for (const item * it : item_set(inv, "align")) if (person.answer(it->id) > 0) env.align.push_back(it);
        for (const auto & kv : person.answers) if (kv.second > 0 && std::find_if(env.align.begin(), env.align.end(), [&](const item * it) { return it->id == kv.first; }) == env.align.end()) n_other++;
        if (env.align.size() < 8) {
            fail(strfmt("%s: only %zu answered %s align items; PAS needs at least 8", answers.c_str(), env.align.size(), inv.name.c_str()),
                 kind == inventory_kind::big5 ? "answer more of the IPIP-NEO-120 items (ids i<n> of the 120)" : "answer more of M1-6, N1-6, P1-6");
        }
        if (n_other) fprintf(stderr, "align: %d answered items outside the align set are not used\n", n_other);

        model m(mo.params());
        context ctx(m, mo.ctx);
        env.ctx = &ctx;
        env.inv = &inv;
        contrast_params cp;
        cp.system = PROMPT_SYSTEM_DEFAULT;
        cp.chat = e.ask.chat;
        cp.cache_dir = cache;
        contrast_set cs = contrast_capture(ctx, kind, env.align, cp);
        env.contrast = &cs;

        std::vector<int> all(env.align.size());
        for (size_t i = 0; i < all.size(); i++) all[i] = (int) i;
        pas_fit fit = pas_fit_items(cs, person, all, e.pas);

        steer_file sf;
        sf.version = PALIGN_VERSION;
        sf.params = fit.params;
        sf.person = person.id;
        sf.inventory = inventory_kind_name(kind);
        sf.n_answers = (int) env.align.size();
        sf.model = compute_fingerprint(m.info());
        sf.head_dim = m.info().head_dim;
        sf.heads = fit.heads;
        for (const auto & t : inv.traits) {
            double sum = 0;
            int n = 0;
            for (const item * it : env.align) if (it->trait == t) { sum += keyed_value(*it, person.answer(it->id)); n++; }
            if (n) sf.traits[t] = sum / n;
        }
        if (std::isnan(alpha)) {
            cv_result cv = pas_cv_select(env, person, e);
            sf.alpha = cv.alpha;
            sf.alpha_select = "cv";
            sf.cv_error = cv.error;
            printf("alpha by %d-fold cross-validation on %zu answers (composite error on held-out answers):\n", e.cv_folds, env.align.size());
            for (const auto & pt : cv.curve) printf("  alpha %-5g %.3f%s\n", pt.alpha, pt.composite, pt.alpha == cv.alpha ? "  <- chosen" : "");
        } else {
            sf.alpha = alpha;
            sf.alpha_select = "given";
        }
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
