// palign quiz: the quiz's rules (inputs, moves, order, the answers file) and scripted sessions of the command -
// back, skip, stop and resume give the expected file; the file is what align, test and the server read; --score.
#include "data/inventory.h"
#include "data/subjects.h"
#include "quiz/quiz.h"
#include "util/error.h"
#include "util/paths.h"
#include "testlib.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace palign;
using palign_test::run_cmd;
using json = nlohmann::json;

namespace {

const std::string bin = std::string(PALIGN_BIN_DIR) + "/palign";

std::string write_text(const std::string & name, const std::string & text) {
    const std::string path = palign_test::scratch_dir() + "/" + name;
    std::ofstream(path) << text;
    return path;
}

// the quiz command with this stdin; output (stdout + stderr) into *out
int quiz(const std::string & args, const std::string & input, std::string * out) {
    static int n = 0;
    const std::string in = write_text("stdin-" + std::to_string(n++) + ".txt", input);
    return run_cmd(bin + " quiz " + args + " < " + in, out);
}

// item ids and keys straight from the data files (not through palign's inventory code)
struct tsv_item { std::string id, trait; bool reverse; int short_id; };
std::vector<tsv_item> read_tsv(bool big5) {
    std::ifstream f(data_dir() + (big5 ? "/papi/ipip_neo_300_items.tsv" : "/papi/sd3_items.tsv"));
    std::string line;
    std::getline(f, line);   // header
    std::vector<tsv_item> out;
    while (std::getline(f, line)) {
        std::vector<std::string> c;
        std::stringstream ss(line);
        std::string x;
        while (std::getline(ss, x, '\t')) c.push_back(x);
        if (big5) out.push_back({"i" + c[0], c[3], c[2] == "-", c[1].empty() ? 0 : std::stoi(c[1])});
        else out.push_back({c[0], c[1], c[2] == "-", 0});
    }
    return out;
}

// {"id": v, ...} as the quiz writes it: one per line, in the file order of the items
std::string expected_file(const std::vector<tsv_item> & items, const std::map<std::string, int> & v) {
    std::string s = "{";
    bool first = true;
    for (const auto & it : items) {
        auto f = v.find(it.id);
        if (f == v.end()) continue;
        s += std::string(first ? "" : ",") + "\n  \"" + it.id + "\": " + std::to_string(f->second);
        first = false;
    }
    return s + "\n}\n";
}

// the IPIP-NEO-120 in its short-form order
std::vector<std::string> short_form_order() {
    std::vector<std::pair<int, std::string>> v;
    for (const auto & it : read_tsv(true)) if (it.short_id) v.emplace_back(it.short_id, it.id);
    std::sort(v.begin(), v.end());
    std::vector<std::string> ids;
    for (auto & p : v) ids.push_back(p.second);
    return ids;
}

} // namespace

TEST(quiz, inputs) {
    EXPECT_EQ(parse_quiz_input("4").action, quiz_action::answer);
    EXPECT_EQ(parse_quiz_input(" 4 ").value, 4);
    EXPECT_EQ(parse_quiz_input("A").value, 5);   // A = Very Accurate = 5
    EXPECT_EQ(parse_quiz_input("E").value, 1);
    EXPECT_EQ(parse_quiz_input("B").value, 4);
    EXPECT_EQ(parse_quiz_input("b").action, quiz_action::back);   // lower-case b is back, not option B
    EXPECT_EQ(parse_quiz_input("back").action, quiz_action::back);
    EXPECT_EQ(parse_quiz_input("s").action, quiz_action::skip);
    EXPECT_EQ(parse_quiz_input("q").action, quiz_action::stop);
    EXPECT_EQ(parse_quiz_input("").action, quiz_action::keep);
    for (const char * bad : {"0", "6", "a", "F", "44", "x", "4.5"}) EXPECT_EQ(parse_quiz_input(bad).action, quiz_action::invalid) << bad;
}

TEST(quiz, moves) {
    const inventory inv = load_inventory(inventory_kind::sd3, data_dir());
    quiz_state s = quiz_start(quiz_items(inv, quiz_inventory_for("sd3"), false, 0), {});
    std::string why;
    EXPECT_EQ(quiz_apply(s, parse_quiz_input("b"), &why), quiz_step::rejected);   // nothing before the first item
    EXPECT_EQ(quiz_apply(s, parse_quiz_input(""), &why), quiz_step::rejected);    // nothing to keep
    EXPECT_EQ(quiz_apply(s, parse_quiz_input("5"), &why), quiz_step::saved);
    EXPECT_EQ(quiz_apply(s, parse_quiz_input("s"), &why), quiz_step::saved);
    EXPECT_EQ(quiz_apply(s, parse_quiz_input("3"), &why), quiz_step::saved);
    EXPECT_EQ(s.pos, 3u);
    // two back, a new answer there: on to the first item not recorded (where the person was)
    EXPECT_EQ(quiz_apply(s, parse_quiz_input("b"), &why), quiz_step::moved);
    EXPECT_EQ(quiz_apply(s, parse_quiz_input("b"), &why), quiz_step::moved);
    EXPECT_EQ(s.pos, 1u);
    EXPECT_EQ(quiz_apply(s, parse_quiz_input("D"), &why), quiz_step::saved);
    EXPECT_EQ(s.pos, 3u);
    EXPECT_EQ(s.answers.at("M1"), 5);
    EXPECT_EQ(s.answers.at("M2"), 2);
    EXPECT_EQ(s.answers.at("M3"), 3);
    EXPECT_EQ(s.n_skipped(), 0);
    // back and Enter keeps the answer
    EXPECT_EQ(quiz_apply(s, parse_quiz_input("b"), &why), quiz_step::moved);
    EXPECT_EQ(quiz_apply(s, parse_quiz_input(""), &why), quiz_step::moved);
    EXPECT_EQ(s.pos, 3u);
    EXPECT_EQ(quiz_apply(s, parse_quiz_input("q"), &why), quiz_step::stopped);
    // a resume starts at the first item not recorded; skipped ones (0) are recorded
    quiz_state r = quiz_start(s.items, {{"M1", 4}, {"M2", 0}});
    EXPECT_EQ(r.pos, 2u);
    EXPECT_EQ(r.n_skipped(), 1);
}

TEST(quiz, shuffle_is_seeded) {
    const inventory inv = load_inventory(inventory_kind::big5, data_dir());
    const quiz_inventory qi = quiz_inventory_for("big5");
    const auto plain = quiz_items(inv, qi, false, 0), a = quiz_items(inv, qi, true, 7), b = quiz_items(inv, qi, true, 7),
               c = quiz_items(inv, qi, true, 8);
    ASSERT_EQ(plain.size(), 120u);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    EXPECT_NE(a, plain);
    auto sorted = [](std::vector<const item *> v) { std::sort(v.begin(), v.end()); return v; };
    EXPECT_EQ(sorted(a), sorted(plain));   // a permutation of the same items
    // the inventories: the 120 in short-form order, the 300, the 27 SD-3 items
    const std::vector<std::string> order = short_form_order();
    for (size_t i = 0; i < 120; i++) EXPECT_EQ(plain[i]->id, order[i]) << i;
    EXPECT_EQ(quiz_items(inv, quiz_inventory_for("big5-300"), false, 0).size(), 300u);
    const inventory sd3 = load_inventory(inventory_kind::sd3, data_dir());
    EXPECT_EQ(quiz_items(sd3, quiz_inventory_for("sd3"), false, 0).size(), 27u);
    EXPECT_THROW(quiz_inventory_for("big6"), palign::error);
}

TEST(quiz, answers_file_round_trip) {
    const inventory inv = load_inventory(inventory_kind::big5, data_dir());
    const std::map<std::string, int> a = {{"i1", 4}, {"i2", 0}, {"i300", 5}, {"i17", 1}};
    const std::string text = quiz_answers_json(inv, a);
    EXPECT_EQ(text, "{\n  \"i1\": 4,\n  \"i2\": 0,\n  \"i17\": 1,\n  \"i300\": 5\n}\n");   // inventory order
    // what palign align -a / test -a (load_answer_file) and POST /v1/profiles (answers_from_json) read
    EXPECT_EQ(answers_from_json(text, inv, "x").answers, a);
    EXPECT_EQ(load_answer_file(write_text("rt.json", text), inv).answers, a);
    EXPECT_EQ(quiz_answers_json(inv, {}), "{}\n");
    EXPECT_TRUE(answers_from_json(quiz_answers_json(inv, {}), inv, "x").answers.empty());
}

// 27 SD-3 answers as digits and letters, with comments and blank lines; the file and the printed profile
TEST(quiz_cli, scripted_session_gives_the_expected_file) {
    const auto items = read_tsv(false);
    ASSERT_EQ(items.size(), 27u);
    const char * inputs[] = {"1", "2", "3", "4", "5", "A", "B", "C", "D", "E"};
    std::string script = "# my answers\n\n";
    std::map<std::string, int> want;
    for (size_t i = 0; i < items.size(); i++) {
        const std::string in = inputs[i % 10];
        script += in + "\n";
        want[items[i].id] = in[0] <= '9' ? in[0] - '0' : 5 - (in[0] - 'A');
    }
    const std::string out = palign_test::scratch_dir() + "/sd3.json", pj = palign_test::scratch_dir() + "/sd3.profile.json";
    std::string text;
    ASSERT_EQ(quiz("--inventory sd3 -o " + out + " --json " + pj, script, &text), 0) << text;
    EXPECT_EQ(read_file(out), expected_file(items, want));
    // the profile: raw = sum of keyed answers (reverse-keyed: 6 - answer), mean = raw / answered, per trait
    const json prof = json::parse(read_file(pj));
    for (const char * t : {"M", "N", "P"}) {
        int raw = 0, n = 0;
        for (const auto & it : items) if (it.trait == t) { raw += it.reverse ? 6 - want[it.id] : want[it.id]; n++; }
        EXPECT_EQ(prof["domains"][t]["raw"].get<int>(), raw) << t;
        EXPECT_EQ(prof["domains"][t]["n_answered"].get<int>(), n) << t;
        EXPECT_NEAR(prof["domains"][t]["mean"].get<double>(), (double) raw / n, 1e-12) << t;
        char row[64];
        snprintf(row, sizeof row, " %5d %8d %5d %6.2f", n, n, raw, (double) raw / n);
        EXPECT_NE(text.find(row), std::string::npos) << row << "\n" << text;
    }
    EXPECT_NE(text.find("percentiles: none"), std::string::npos) << text;
    EXPECT_NE(text.find("palign align -m MODEL.gguf -a " + out + " --inventory sd3"), std::string::npos) << text;
    // a finished file asks nothing more and prints the same profile
    std::string again;
    ASSERT_EQ(quiz("-o " + out, "", &again), 0) << again;   // the inventory from the file
    EXPECT_NE(again.find("all 27 items recorded"), std::string::npos) << again;
    EXPECT_EQ(read_file(out), expected_file(items, want));
}

// the IPIP-NEO-120: back, skip and stop; two resumes; skipped items are not asked again
TEST(quiz_cli, back_skip_stop_and_resume) {
    const auto items = read_tsv(true);
    const std::vector<std::string> order = short_form_order();
    const std::string out = palign_test::scratch_dir() + "/me.json";
    std::string text;
    // 5, 4, back, 2 (replaces the 4), skip, stop
    ASSERT_EQ(quiz("-o " + out, "5\n4\nb\n2\ns\nq\n4\n", &text), 0) << text;
    std::map<std::string, int> want = {{order[0], 5}, {order[1], 2}, {order[2], 0}};
    EXPECT_EQ(read_file(out), expected_file(items, want));
    EXPECT_NE(text.find("stopped at 4/120; 3 recorded in " + out), std::string::npos) << text;
    EXPECT_NE(text.find("To go on: palign quiz --inventory big5 -o " + out), std::string::npos) << text;
    // resume: goes on at the 4th item (the skipped 3rd is not asked again); the end of the input stops too
    ASSERT_EQ(quiz("-o " + out, "3\n", &text), 0) << text;
    EXPECT_NE(text.find("resuming " + out), std::string::npos) << text;
    EXPECT_NE(text.find("3 of 120 recorded, 1 of them skipped"), std::string::npos) << text;
    want[order[3]] = 3;
    EXPECT_EQ(read_file(out), expected_file(items, want));
    // resume to the end
    std::string rest;
    for (size_t i = 4; i < 120; i++) {
        rest += std::to_string(1 + i % 5) + "\n";
        want[order[i]] = (int) (1 + i % 5);
    }
    ASSERT_EQ(quiz("--inventory big5 -o " + out, rest, &text), 0) << text;
    EXPECT_EQ(read_file(out), expected_file(items, want));
    EXPECT_NE(text.find("all 120 items recorded in " + out + " (1 skipped)"), std::string::npos) << text;
    EXPECT_NE(text.find("119 of 120 items answered, 1 not answered"), std::string::npos) << text;
    const inventory inv = load_inventory(inventory_kind::big5, data_dir());
    EXPECT_EQ(load_answer_file(out, inv).answers, want);
}

TEST(quiz_cli, a_bad_line_is_an_error_and_keeps_the_answers) {
    const auto items = read_tsv(false);
    const std::string out = palign_test::scratch_dir() + "/bad.json";
    std::string text;
    EXPECT_EQ(quiz("--inventory sd3 -o " + out, "4\n\n7\n5\n", &text), 1) << text;
    EXPECT_NE(text.find("palign: error: <stdin>:3: '7': not an answer"), std::string::npos) << text;
    EXPECT_NE(text.find("HINT"), std::string::npos) << text;
    EXPECT_EQ(read_file(out), expected_file(items, {{"M1", 4}}));
    EXPECT_EQ(quiz("--inventory sd3 -o " + out, "a\n", &text), 1) << text;   // lower case: not an option
    EXPECT_NE(text.find("upper case"), std::string::npos) << text;
    const std::string fresh = palign_test::scratch_dir() + "/bad2.json";
    EXPECT_EQ(quiz("--inventory sd3 -o " + fresh, "b\n", &text), 1) << text;
    EXPECT_NE(text.find("first item"), std::string::npos) << text;
    EXPECT_FALSE(file_exists(fresh));   // nothing recorded, nothing written
    // a file of another inventory is refused, naming it
    EXPECT_EQ(quiz("--inventory big5 -o " + out, "4\n", &text), 1) << text;
    EXPECT_NE(text.find(out), std::string::npos) << text;
}

TEST(quiz_cli, shuffled_order_is_seeded_and_resumes) {
    const inventory inv = load_inventory(inventory_kind::sd3, data_dir());
    const auto order = quiz_items(inv, quiz_inventory_for("sd3"), true, 7);
    std::string all;
    std::map<std::string, int> want;
    for (size_t i = 0; i < order.size(); i++) {
        all += std::to_string(1 + i % 5) + "\n";
        want[order[i]->id] = (int) (1 + i % 5);
    }
    const std::string a = palign_test::scratch_dir() + "/shuf-a.json", b = palign_test::scratch_dir() + "/shuf-b.json",
                      plain = palign_test::scratch_dir() + "/shuf-plain.json";
    std::string text;
    ASSERT_EQ(quiz("--inventory sd3 --shuffle --seed 7 -o " + a, all, &text), 0) << text;
    EXPECT_EQ(read_file(a), expected_file(read_tsv(false), want));
    // in two sittings with the same seed: the same file
    const size_t cut = all.find('\n', 10) + 1;
    ASSERT_EQ(quiz("--inventory sd3 --shuffle --seed 7 -o " + b, all.substr(0, cut) + "q\n", &text), 0) << text;
    EXPECT_NE(text.find("--shuffle --seed 7"), std::string::npos) << text;
    ASSERT_EQ(quiz("--inventory sd3 --shuffle --seed 7 -o " + b, all.substr(cut), &text), 0) << text;
    EXPECT_EQ(read_file(b), read_file(a));
    ASSERT_EQ(quiz("--inventory sd3 -o " + plain, all, &text), 0) << text;
    EXPECT_NE(read_file(plain), read_file(a));
}

TEST(quiz_cli, score_an_existing_file) {
    const auto items = read_tsv(false);
    std::map<std::string, int> v;
    for (size_t i = 0; i < items.size(); i++) if (i % 4) v[items[i].id] = (int) (1 + i % 5);   // every 4th left out
    const std::string f = write_text("scored.json", expected_file(items, v)), pj = palign_test::scratch_dir() + "/scored.profile.json",
                      html = palign_test::scratch_dir() + "/scored.html";
    std::string text;
    ASSERT_EQ(run_cmd(bin + " quiz --score " + f + " --json " + pj + " --html " + html, &text), 0) << text;   // sd3 from the ids
    EXPECT_NE(text.find("Your profile (" + f + "): 20 of 27 items answered, 7 not answered"), std::string::npos) << text;
    EXPECT_NE(text.find("percentiles: none"), std::string::npos) << text;
    const json prof = json::parse(read_file(pj));
    const std::string page = read_file(html);
    for (const char * t : {"M", "N", "P"}) {
        int raw = 0, n = 0;
        for (const auto & it : items) if (it.trait == t && v.count(it.id)) { raw += it.reverse ? 6 - v[it.id] : v[it.id]; n++; }
        EXPECT_EQ(prof["domains"][t]["raw"].get<int>(), raw) << t;
        EXPECT_NEAR(prof["domains"][t]["mean"].get<double>(), (double) raw / n, 1e-12) << t;
        // the radar's mark for the person carries the same mean
        const std::string mark = "data-chart=\"domains\" data-series=\"you (scored.json)\" data-key=\"" + std::string(t) + "\" data-value=\"";
        const size_t at = page.find(mark);
        ASSERT_NE(at, std::string::npos) << mark;
        EXPECT_NEAR(std::stod(page.substr(at + mark.size())), (double) raw / n, 1e-12) << t;
    }
    EXPECT_EQ(page.find("http"), std::string::npos);   // self-contained
}

// the file is what palign align -a and palign test -a read (POST /v1/profiles: answers_from_json, above); both show
// their progress in a log as lines, not a carriage-return stream
TEST(quiz_cli, align_and_test_read_the_file) {
    const std::string out = palign_test::scratch_dir() + "/person.json", pj = palign_test::scratch_dir() + "/person.profile.json";
    std::string script, text;
    for (int i = 0; i < 120; i++) script += std::to_string(1 + (i * 7) % 5) + "\n";
    ASSERT_EQ(quiz("-o " + out + " --json " + pj, script, &text), 0) << text;
    const std::string model = palign_test::model_path("llama3"), steer = palign_test::scratch_dir() + "/person.steer.gguf";
    ASSERT_EQ(run_cmd(bin + " align -m " + model + " -a " + out + " -o " + steer + " --alpha-grid 0,4 --cv-folds 2 --k 6 --contrast-cache ''",
                      &text), 0) << text;
    EXPECT_NE(text.find("person (big5, 120 answers)"), std::string::npos) << text;
    for (const char * stage : {"align: contrast ", "align: probes on ", "align: alpha cv "}) EXPECT_NE(text.find(stage), std::string::npos) << stage << text;
    EXPECT_NE(text.find("4/4  "), std::string::npos) << text;   // 2 folds x 2 alphas
    EXPECT_EQ(text.find('\r'), std::string::npos);
    ASSERT_EQ(run_cmd(bin + " align -q -m " + model + " -a " + out + " -o " + steer + " --alpha 2 --k 6 --contrast-cache ''", &text), 0) << text;
    EXPECT_EQ(text.find("align: "), std::string::npos) << text;

    const std::string tj = palign_test::scratch_dir() + "/person.test.json", th = palign_test::scratch_dir() + "/person.test.html";
    ASSERT_EQ(run_cmd(bin + " test -m " + model + " -a " + out + " -s " + steer + " --json " + tj + " --html " + th, &text), 0) << text;
    EXPECT_NE(text.find("test plain "), std::string::npos) << text;
    EXPECT_NE(text.find("test steered "), std::string::npos) << text;
    EXPECT_NE(text.find("120/120"), std::string::npos) << text;
    EXPECT_EQ(text.find('\r'), std::string::npos);
    EXPECT_NE(text.find("plain  steered    diff  person"), std::string::npos) << text;
    const json t = json::parse(read_file(tj)), q = json::parse(read_file(pj));
    for (const char * d : {"O", "C", "E", "A", "N"}) {
        EXPECT_DOUBLE_EQ(t["person"]["domains"][d]["mean"].get<double>(), q["domains"][d]["mean"].get<double>()) << d;
    }
    const std::string page = read_file(th);
    for (const char * series : {"plain model", "steered (alpha 2)", "person (person.json)"}) {
        EXPECT_NE(page.find(std::string("data-chart=\"domains\" data-series=\"") + series), std::string::npos) << series;
        EXPECT_NE(page.find(std::string("data-chart=\"facets\" data-series=\"") + series), std::string::npos) << series;
    }
    const std::string mark = "data-chart=\"domains\" data-series=\"plain model\" data-key=\"N\" data-value=\"";
    ASSERT_NE(page.find(mark), std::string::npos);
    EXPECT_NEAR(std::stod(page.substr(page.find(mark) + mark.size())), t["plain"]["domains"]["N"]["mean"].get<double>(), 1e-12);
    std::string quiet;
    ASSERT_EQ(run_cmd(bin + " test --quiet -m " + model, &quiet), 0) << quiet;
    EXPECT_EQ(quiet.find("120/120"), std::string::npos) << quiet;
    EXPECT_NE(quiet.find("N Neuroticism"), std::string::npos) << quiet;
}

// on a terminal: one key at a time (no Enter), through a pseudo-terminal (util-linux script)
TEST(quiz_cli, keys_on_a_terminal) {
    if (run_cmd("command -v script") != 0) GTEST_SKIP() << "no 'script' (util-linux) to make a pseudo-terminal";
    const std::string out = palign_test::scratch_dir() + "/tty.json";
    std::string text;
    const int rc = run_cmd("(sleep 1; printf '5A'; sleep 0.3; printf 'bD'; sleep 0.3; printf 'sq'; sleep 1) | script -qec '" + bin +
                           " quiz --inventory sd3 -o " + out + "' /dev/null", &text);
    EXPECT_EQ(rc, 0) << text;
    EXPECT_NE(text.find("Given a statement of you: \"I like to use clever manipulation to get my way.\""), std::string::npos) << text;
    EXPECT_NE(text.find("1/27"), std::string::npos) << text;
    EXPECT_EQ(read_file(out), expected_file(read_tsv(false), {{"M1", 5}, {"M2", 2}, {"M3", 0}}));
}
