// palign quiz: a person takes the questionnaire in the terminal (or from a script) and gets their profile; the answers
// file it writes (after every item, so a stopped quiz resumes) is what palign align -a, palign test -a and the server read.
#include "cli/commands.h"
#include "data/prompts.h"
#include "data/subjects.h"
#include "eval/report.h"
#include "quiz/quiz.h"
#include "quiz/score.h"
#include "quiz/terminal.h"
#include "report/profile_report.h"
#include "util/error.h"
#include "util/paths.h"

#include <cstdio>
#include <filesystem>
#include <memory>

namespace palign {

static void show_item(const quiz_state & s, inventory_kind kind) {
    const item & it = *s.items[s.pos];
    printf("\n%zu/%zu", s.pos + 1, s.items.size());
    const int skipped = s.n_skipped();
    if (skipped) printf("  (%d skipped)", skipped);
    printf("\nGiven a statement of you: \"%s\"\n", item_statement(kind, it).c_str());
    printf("Please choose from the following options to identify how accurately this statement describes you.\n");
    const auto & labels = option_labels();
    for (int k = 0; k < 5; k++) printf("  %c  %d  %s\n", 'A' + k, 5 - k, labels[k].c_str());
    auto rec = s.answers.find(it.id);
    if (rec != s.answers.end()) {
        printf("  now: %s  (Enter keeps it)\n", rec->second ? strfmt("%d %s", rec->second, answer_label(rec->second).c_str()).c_str() : "skipped");
    }
    printf("1-5 or A-E, b back, s skip, q stop > ");
    fflush(stdout);
}

static std::string resume_command(const std::string & inv_name, const std::string & out, bool shuffle, uint64_t seed) {
    std::string c = "palign quiz --inventory " + inv_name + " -o " + out;
    if (shuffle) c += strfmt(" --shuffle --seed %llu", (unsigned long long) seed);
    return c;
}

static void write_profile_files(const personality_profile & p, const std::string & source, const std::string & html, const std::string & json) {
    std::vector<std::pair<std::string, std::string>> files;
    if (!html.empty()) {
        const std::string name = std::filesystem::path(source).filename().string();
        files.emplace_back(html, profile_report_html("Personality profile: " + name, {{"you (" + name + ")", p}},
                                                     std::string(QUIZ_NO_NORMS) + "."));
    }
    if (!json.empty()) files.emplace_back(json, profile_json(p));
    if (!files.empty()) write_files_atomic(files);
}

void add_quiz_options(CLI::App * cmd, quiz_cmd & o) {
    cmd->add_option("--inventory", o.inventory, "big5 (IPIP-NEO-120), big5-300 (IPIP-NEO-300) or sd3 (SD-3, 27 items); "
                                                   "default for an existing file: what it holds");
    cmd->add_option("-o,--out", o.out, "answers file: written after every item; an existing one is resumed");
    cmd->add_flag("--shuffle", o.shuffle, "ask the items in a seeded random order instead of the inventory's");
    cmd->add_option("--seed", o.seed, "seed of --shuffle (resume with the same one)");
    cmd->add_option("--score", o.score, "do not ask: print the profile of this answers file");
    cmd->add_option("--html", o.html, "also write the profile as an HTML page (radar charts) to this file");
    cmd->add_option("--json", o.json_out, "also write the profile as JSON to this file");
    cmd->add_option("--data-dir", o.data_dir, "palign data dir (default: the build's or install's data/)");
}

void run_quiz(const quiz_cmd & o) {
    const std::string ddir = data_dir(o.data_dir);
    const bool inv_given = o.given.count("--inventory") > 0;
    if (!o.score.empty()) {
        const std::string name = inv_given ? o.inventory : quiz_inventory_of_file(o.score, ddir);
        const quiz_inventory qi = quiz_inventory_for(name);
        const inventory inv = load_inventory(qi.kind, ddir);
        const personality_profile p = quiz_profile(inv, qi, load_answer_file(o.score, inv).answers);
        fputs(quiz_score_text(p, qi, o.score).c_str(), stdout);
        write_profile_files(p, o.score, o.html, o.json_out);
        return;
    }
    const bool resume = file_exists(o.out);
    std::string name = o.inventory;
    if (resume && !inv_given) name = quiz_inventory_of_file(o.out, ddir);
    const quiz_inventory qi = quiz_inventory_for(name);
    const inventory inv = load_inventory(qi.kind, ddir);
    std::map<std::string, int> answers;
    if (resume) answers = load_answer_file(o.out, inv).answers;
    quiz_state s = quiz_start(quiz_items(inv, qi, o.shuffle, o.seed), answers);
    quiz_reader in;
    const char * what = qi.set == "sd3" ? "the SD-3 (Dark Triad), 27 items" : qi.set == "ipip-neo-300" ? "the IPIP-NEO-300, 300 items"
                                                                                                    : "the IPIP-NEO-120, 120 items";
    if (resume) {
        fprintf(stderr, "quiz: resuming %s (%s): %d of %zu recorded, %d of them skipped\n", o.out.c_str(), what, s.n_recorded(),
                s.items.size(), s.n_skipped());
    } else if (in.tty()) {
        printf("palign quiz: %s. How accurately does each statement describe you, as you are now?\n"
               "Press 1-5 or A-E (A = 5 = Very Accurate .. E = 1 = Very Inaccurate), b to go back, s to skip, q to stop.\n"
               "Every answer is saved to %s at once; run the same command again to go on later.\n", what, o.out.c_str());
    }
    bool stopped = false;
    while (!s.done()) {
        if (in.tty()) show_item(s, qi.kind);
        std::string text, why;
        if (!in.next(text)) { stopped = true; break; }
        if (in.tty()) printf("%s\n", text.empty() ? "(keep)" : text.c_str());
        const quiz_step st = quiz_apply(s, parse_quiz_input(text), &why);
        if (st == quiz_step::saved) {
            write_file_atomic(o.out, quiz_answers_json(inv, s.answers));
        } else if (st == quiz_step::stopped) {
            stopped = true;
            break;
        } else if (st == quiz_step::rejected) {
            if (in.tty()) { printf("  %s\n", why.c_str()); continue; }
            fail(strfmt("<stdin>:%d: '%s': %s", in.line(), text.c_str(), why.c_str()),
                 strfmt("one answer per line; the %d answers before it are saved in %s", s.n_recorded(), o.out.c_str()));
        }
    }
    if (in.tty()) printf("\n");
    if (stopped) {
        fprintf(stderr, "quiz: stopped at %zu/%zu; %d recorded in %s. To go on: %s\n", s.pos + 1, s.items.size(), s.n_recorded(),
                o.out.c_str(), resume_command(name, o.out, o.shuffle, o.seed).c_str());
        return;
    }
    fprintf(stderr, "quiz: all %zu items recorded in %s (%d skipped)\n", s.items.size(), o.out.c_str(), s.n_skipped());
    const personality_profile p = quiz_profile(inv, qi, s.answers);
    fputs(quiz_score_text(p, qi, o.out).c_str(), stdout);
    write_profile_files(p, o.out, o.html, o.json_out);
}

void register_quiz(CLI::App & app) {
    auto * cmd = app.add_subcommand("quiz", "take the questionnaire (one item at a time, saved after each: a stopped quiz resumes) "
                                            "and see your profile; --score FILE: the profile of an answers file");
    auto o = std::make_shared<quiz_cmd>();
    add_quiz_options(cmd, *o);
    cmd->callback([cmd, o] { o->given = flags_given(cmd); run_quiz(*o); });
}

} // namespace palign
