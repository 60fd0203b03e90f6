// palign test: a model's own personality — it answers a questionnaire; domain and facet scores.
#include "cli/commands.h"
#include "cli/options.h"
#include "data/prompts.h"
#include "eval/profile.h"
#include "eval/report.h"
#include "util/paths.h"

#include <cstdio>

namespace palign {

void register_test(CLI::App & app) {
    auto * cmd = app.add_subcommand("test", "a model's own personality: it answers IPIP-NEO-120/-300 or SD-3");
    static model_opts mo;
    static ask_opts ao;
    static std::string questionnaire = "ipip-neo-120", system = PROMPT_SYSTEM_DEFAULT, json_out;
    add_model_options(cmd, mo);
    cmd->add_option("-q,--questionnaire", questionnaire, "ipip-neo-120, ipip-neo-300 or sd3");
    cmd->add_option("--system", system, "system prompt");
    cmd->add_option("--json", json_out, "also write the profile as JSON to this file");
    add_ask_options(cmd, ao);
    cmd->callback([] {
        const ask_params ap = ao.params();
        const inventory_kind kind = inventory_kind_for_set(questionnaire);
        const inventory inv = load_inventory(kind, data_dir(mo.data_dir));
        const std::vector<const item *> items = item_set(inv, questionnaire);
        model m(mo.model);
        context ctx(m, mo.ctx);
        std::vector<answer> answers = ask_items(ctx, kind, items, system, nullptr, ap);
        personality_profile prof = compute_profile(inv, items, answers, questionnaire);
        printf("%s on %s (%s mode%s)\n", m.info().path.c_str(), questionnaire.c_str(), answer_mode_name(ap.mode),
               ap.mode == answer_mode::option ? (std::string(", ") + answer_rule_name(ap.rule)).c_str() : "");
        fputs(profile_table(prof).c_str(), stdout);
        if (!json_out.empty()) write_file_atomic(json_out, profile_json(prof));
    });
}

} // namespace palign
