// palign test: a model's own personality — it answers a questionnaire; domain and facet scores, next to a person's
// (-a answers file, or the steering file's person) and the steered model's (-s); --html draws them as radar charts.
#include "cli/commands.h"
#include "cli/options.h"
#include "data/prompts.h"
#include "eval/profile.h"
#include "eval/report.h"
#include "report/profile_report.h"
#include "util/error.h"
#include "util/paths.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace palign {

static const profile_row * row_of(const std::vector<profile_row> & rows, const std::string & key) {
    for (const auto & r : rows) if (r.key == key) return &r;
    return nullptr;
}

// trait | plain | [steered | diff] | [person], domains each followed by their facets
static std::string side_by_side(const personality_profile & plain, const personality_profile * steered, const personality_profile * person) {
    std::string t = strfmt("%-32s %7s", "trait", "plain");
    if (steered) t += strfmt(" %8s %7s", "steered", "diff");
    if (person) t += strfmt(" %7s", "person");
    t += "\n";
    auto cell = [](const profile_row * r, int w) { return r && std::isfinite(r->mean) ? strfmt(" %*.2f", w, r->mean) : strfmt(" %*s", w, ""); };
    auto row = [&](const profile_row & a, bool facet) {
        const bool dom = !facet;
        t += strfmt("%s%-*s", facet ? "  " : "", facet ? 30 : 32, (a.key + " " + a.name).c_str()) + cell(&a, 7);
        if (steered) {
            const profile_row * b = row_of(dom ? steered->domains : steered->facets, a.key);
            t += cell(b, 8) + (b && std::isfinite(b->mean) && std::isfinite(a.mean) ? strfmt(" %+7.2f", b->mean - a.mean) : strfmt(" %7s", ""));
        }
        if (person) t += cell(row_of(dom ? person->domains : person->facets, a.key), 7);
        t += "\n";
    };
    for (const auto & d : plain.domains) {
        row(d, false);
        for (const auto & f : plain.facets) if (f.key.rfind(d.key, 0) == 0) row(f, true);
    }
    return t;
}

void add_test_options(CLI::App * cmd, test_cmd & o) {
    add_model_options(cmd, o.mo);
    cmd->add_option("-s,--steer", o.steer, "also answer steered by this file, side by side with the plain model");
    cmd->add_option("--alpha", o.alpha, "steering strength (default: the file's alpha)");
    cmd->add_option("-a,--answers", o.answers, "a person's answers file (palign quiz -o): their profile next to the model's");
    cmd->add_option("-q,--questionnaire", o.questionnaire, "ipip-neo-120, ipip-neo-300 or sd3");
    cmd->add_option("--system", o.system, "system prompt");
    cmd->add_option("--json", o.json_out, "also write the profile as JSON to this file");
    cmd->add_option("--html", o.html_out, "also write the profiles as an HTML page (radar charts: person, plain, steered) to this file");
    cmd->add_flag("--quiet", o.quiet, "no progress (items asked) on stderr");
    add_ask_options(cmd, o.ao);
}

void run_test(const test_cmd & o) {
    const ask_params ap = o.ao.params();
    const inventory_kind kind = inventory_kind_for_set(o.questionnaire);
    const inventory inv = load_inventory(kind, data_dir(o.mo.data_dir));
    const std::vector<const item *> items = item_set(inv, o.questionnaire);
    std::unique_ptr<personality_profile> person;
    std::string person_label;
    if (!o.answers.empty()) {
        person = std::make_unique<personality_profile>(compute_profile(inv, items, load_answer_file(o.answers, inv).answers, o.questionnaire));
        person_label = "person (" + std::filesystem::path(o.answers).filename().string() + ")";
    }
    model m(o.mo.params());
    auto ls = load_steer_for(m, o.steer, o.alpha);
    if (!person && ls) {
        person = std::make_unique<personality_profile>(domain_profile(inv, ls->file.traits, o.questionnaire));
        person_label = "person " + ls->file.person + " (steering file)";
    }
    context ctx(m, o.mo.ctx);
    const model_profiles mp = ask_profiles(ctx, inv, items, o.questionnaire, o.system, ls ? &ls->st : nullptr, ap, !o.quiet);
    const personality_profile & prof = mp.plain;
    const double used_alpha = ls ? (std::isnan(o.alpha) ? ls->file.alpha : o.alpha) : NAN;
    printf("%s on %s (%s mode%s)\n", m.info().path.c_str(), o.questionnaire.c_str(), answer_mode_name(ap.mode),
           ap.mode == answer_mode::option ? (std::string(", ") + answer_rule_name(ap.rule)).c_str() : "");
    std::vector<std::pair<std::string, std::string>> files;
    if (!o.html_out.empty()) {
        std::vector<profile_entry> entries;
        if (person) entries.push_back({person_label, *person});
        entries.push_back({"plain model", prof});
        if (ls) entries.push_back({strfmt("steered (alpha %g)", used_alpha), mp.steered});
        files.emplace_back(o.html_out, profile_report_html("Personality profile: " + std::filesystem::path(m.info().path).filename().string(), entries,
                                                         strfmt("%s on %s", m.info().path.c_str(), o.questionnaire.c_str()) +
                                                         (ls ? ", steered by " + o.steer : std::string()) + "."));
    }
    if (!ls && !person) {
        fputs(profile_table(prof).c_str(), stdout);
        if (!o.json_out.empty()) files.emplace_back(o.json_out, profile_json(prof));
        if (!files.empty()) write_files_atomic(files);
        return;
    }
    if (ls) {
        printf("steered by %s (person %s, alpha %g); means of keyed answers (1..5)\n", o.steer.c_str(), ls->file.person.c_str(), used_alpha);
    } else {
        printf("means of keyed answers (1..5); person: %s\n", o.answers.c_str());
    }
    fputs(side_by_side(prof, ls ? &mp.steered : nullptr, person.get()).c_str(), stdout);
    if (!o.json_out.empty()) {
        std::string j = "{\"plain\": " + profile_json(prof);
        if (ls) j += ", \"steered\": " + profile_json(mp.steered);
        if (person) j += ", \"person\": " + profile_json(*person);
        files.emplace_back(o.json_out, j + "}\n");
    }
    if (!files.empty()) write_files_atomic(files);
}

void register_test(CLI::App & app) {
    auto * cmd = app.add_subcommand("test", "a model's own personality: it answers IPIP-NEO-120/-300 or SD-3");
    auto o = std::make_shared<test_cmd>();
    add_test_options(cmd, *o);
    cmd->callback([o] { run_test(*o); });
}

} // namespace palign
