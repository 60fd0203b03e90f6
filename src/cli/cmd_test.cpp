// palign test: a model's own personality — it answers a questionnaire; domain and facet scores.
#include "cli/commands.h"
#include "cli/options.h"
#include "data/prompts.h"
#include "eval/profile.h"
#include "eval/report.h"
#include "util/error.h"
#include "util/paths.h"

#include <cmath>

#include <cstdio>

namespace palign {

void register_test(CLI::App & app) {
    auto * cmd = app.add_subcommand("test", "a model's own personality: it answers IPIP-NEO-120/-300 or SD-3");
    static model_opts mo;
    static ask_opts ao;
    static std::string questionnaire = "ipip-neo-120", system = PROMPT_SYSTEM_DEFAULT, json_out, steer_path;
    static double alpha = NAN;
    add_model_options(cmd, mo);
    cmd->add_option("-s,--steer", steer_path, "also answer steered by this file, side by side with the plain model");
    cmd->add_option("--alpha", alpha, "steering strength (default: the file's alpha)");
    cmd->add_option("-q,--questionnaire", questionnaire, "ipip-neo-120, ipip-neo-300 or sd3");
    cmd->add_option("--system", system, "system prompt");
    cmd->add_option("--json", json_out, "also write the profile as JSON to this file");
    add_ask_options(cmd, ao);
    cmd->callback([] {
        const ask_params ap = ao.params();
        const inventory_kind kind = inventory_kind_for_set(questionnaire);
        const inventory inv = load_inventory(kind, data_dir(mo.data_dir));
        const std::vector<const item *> items = item_set(inv, questionnaire);
        model m(mo.params());
        auto ls = load_steer_for(m, steer_path, alpha);
        context ctx(m, mo.ctx);
        const model_profiles mp = ask_profiles(ctx, inv, items, questionnaire, system, ls ? &ls->st : nullptr, ap);
        const personality_profile & prof = mp.plain;
        printf("%s on %s (%s mode%s)\n", m.info().path.c_str(), questionnaire.c_str(), answer_mode_name(ap.mode),
               ap.mode == answer_mode::option ? (std::string(", ") + answer_rule_name(ap.rule)).c_str() : "");
        if (!ls) {
            fputs(profile_table(prof).c_str(), stdout);
            if (!json_out.empty()) write_file_atomic(json_out, profile_json(prof));
            return;
        }
        const personality_profile & steered = mp.steered;
        printf("steered by %s (person %s, alpha %g); means of keyed answers (1..5)\n", steer_path.c_str(),
               ls->file.person.c_str(), std::isnan(alpha) ? ls->file.alpha : alpha);
        printf("%-32s %7s %8s %7s %7s\n", "trait", "plain", "steered", "diff", "person");
        auto row = [&](const profile_row & a, const profile_row & b, bool facet) {
            auto it = ls->file.traits.find(a.key);
            printf("%s%-*s %7.2f %8.2f %+7.2f %7s\n", facet ? "  " : "", facet ? 30 : 32, (a.key + " " + a.name).c_str(), a.mean, b.mean,
                   b.mean - a.mean, it == ls->file.traits.end() ? "" : strfmt("%.2f", it->second).c_str());
        };
        for (size_t d = 0; d < prof.domains.size(); d++) {
            row(prof.domains[d], steered.domains[d], false);
            for (size_t f = 0; f < prof.facets.size(); f++) {
                if (prof.facets[f].key.rfind(prof.domains[d].key, 0) == 0) row(prof.facets[f], steered.facets[f], true);
            }
        }
        if (!json_out.empty()) {
            write_file_atomic(json_out, "{\"plain\": " + profile_json(prof) + ", \"steered\": " + profile_json(steered) + "}\n");
        }
    });
}

} // namespace palign
