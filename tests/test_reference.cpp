// Paper fidelity and failure accounting (issue 12): --protocol reference's prompts equal an independent rebuild of
// the reference code's (tests/scripts/reference_prompts.py) for every template family and both inventories; its
// scoring of unanswered items (--missing reference) gives the published constant-predictor figure; the reference's
// sample split; --unk-as worst; every failed subject counted with its cause and the means taken over the same
// subjects; a run where every subject fails still writes its reports and exits 0.
#include "data/prompts.h"
#include "engine/chat_template.h"
#include "engine/model.h"
#include "eval/scores.h"
#include "pas/head_select.h"
#include "util/error.h"
#include "util/paths.h"
#include "testlib.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

using namespace palign;
using palign_test::run_cmd;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string bin = std::string(PALIGN_BIN_DIR) + "/palign";
const std::string src = PALIGN_SOURCE_DIR;

std::string q(const std::string & s) { return "'" + s + "'"; }

json run_json(const std::string & cmd) {
    std::string out;
    EXPECT_EQ(run_cmd(cmd, &out), 0) << cmd << "\n" << out;
    try {
        return json::parse(out.substr(0, out.find('\n')));
    } catch (...) {
        ADD_FAILURE() << cmd << "\n" << out;
        return json();
    }
}

bool have_jinja2() { return run_cmd("/usr/bin/python3 -c 'import jinja2'") == 0; }

} // namespace

TEST(reference, prompts_equal_an_independent_rebuild_of_the_reference_code) {
    if (!have_jinja2()) GTEST_SKIP() << "SKIPPED: /usr/bin/python3 with jinja2 not found (apt-get install python3-jinja2)";
    struct family { const char * preset, * family, * bos; };
    const family families[] = {{"llama3", "llama3", "<|begin_of_text|>"}, {"llama2", "inst", "<s>"}, {"mistral", "inst", "<s>"},
                               {"qwen3", "inst", ""}};
    struct c { const char * inventory, * item, * kind, * system; int subject; };
    const c cases[] = {
        {"big5", "i9", "eval", "default", 0},        {"big5", "i10", "eval", "few-shot", 16},   // subject 16 skipped an item
        {"big5", "i1", "contrast-A", "default", 0},  {"big5", "i2", "contrast-E", "default", 0},
        {"big5", "i300", "eval", "few-shot", 3},     {"sd3", "M7", "eval", "default", 0},
        {"sd3", "M1", "contrast-A", "default", 0},   {"sd3", "P9", "eval", "few-shot", 293},    // 293 skipped 12 items
    };
    int n = 0;
    std::set<std::string> texts;
    for (const auto & f : families) {
        const std::string model = palign_test::model_path(f.preset);
        for (const auto & k : cases) {
            const std::string args = std::string(" --inventory ") + k.inventory + " --item " + k.item + " --kind " + k.kind +
                                     " --system " + k.system + " --subject " + std::to_string(k.subject);
            const json got = run_json(bin + " prompt -m " + model + " --protocol reference --answer-mode generate --missing-unknown" +
                                      args + " --json");
            const json want = run_json("/usr/bin/python3 " + src + "/tests/scripts/reference_prompts.py --data " + q(data_dir()) +
                                       args + " --family " + f.family + " --template " + src + "/data/templates/" + f.preset +
                                       ".jinja --bos " + q(f.bos));
            EXPECT_EQ(got.value("text", "?"), want.value("text", "!")) << f.preset << args;
            texts.insert(got.value("text", ""));
            n++;
        }
    }
    EXPECT_EQ(n, 32);
    EXPECT_EQ(texts.size(), 24u) << "every case is a different prompt, but Llama-2 and Mistral get the same [INST] text";
    // the reference wording itself: lower-cased with a doubled period for questions, as in the file for contrasts
    const std::string e = run_json(bin + " prompt -m " + palign_test::model_path("llama2") + " --protocol reference --answer-mode "
                                   "generate --item i1 --json").value("text", "");
    EXPECT_NE(e.find("\"You worry about things..\""), std::string::npos) << e;
    EXPECT_NE(e.find("(E). Very Inaccurate [/INST] Option"), std::string::npos) << e;   // the trailing newline, stripped there
    const std::string a = run_json(bin + " prompt -m " + palign_test::model_path("llama3") + " --protocol reference --kind contrast-A "
                                   "--item i1 --json").value("text", "");
    EXPECT_NE(a.find("\"You Worry about things..\""), std::string::npos) << a;
    const std::string tail = "assistant<|end_header_id|>\n\nA";
    EXPECT_EQ(a.substr(a.size() - tail.size()), tail);
    EXPECT_EQ(a.rfind("<|begin_of_text|>", 0), 0u) << "one BOS, as apply_chat_template writes it";
    EXPECT_EQ(a.find("<|begin_of_text|>", 1), std::string::npos);
}

TEST(reference, one_bos_in_the_token_sequence) {
    for (const char * preset : {"llama3", "llama2"}) {
        model m({palign_test::model_path(preset)});
        const std::vector<int> t = reference_tokens(m, PROMPT_SYSTEM_DEFAULT, "Hello", "Option");
        ASSERT_GE(t.size(), 2u);
        EXPECT_EQ(t[0], m.bos()) << preset;
        EXPECT_NE(t[1], m.bos()) << preset;
    }
}

TEST(reference, missing_answers_scored_as_the_reference_gives_its_constant_predictor_figure) {
    // all 300 Big Five subjects, the constant predictor (answers C): palign skips unanswered items, the reference
    // scores them |3 - 0|
    const std::string s = palign_test::scratch_dir() + "/missing";
    std::string out;
    ASSERT_EQ(run_cmd(bin + " eval --method constant -q -o " + s + "/skip", &out), 0) << out;
    ASSERT_EQ(run_cmd(bin + " eval --method constant -q --missing reference -o " + s + "/ref", &out), 0) << out;
    const json a = json::parse(read_file(s + "/skip/constant.json")), b = json::parse(read_file(s + "/ref/constant.json"));
    EXPECT_NEAR(a["summary"]["composite"].get<double>(), 3.7922, 5e-5);
    EXPECT_NEAR(b["summary"]["composite"].get<double>(), 3.7994, 5e-5);
    EXPECT_EQ(json::parse(read_file(s + "/ref/config.json")).value("missing", ""), "reference");
    EXPECT_FALSE(json::parse(read_file(s + "/skip/config.json")).contains("missing")) << "palign's defaults add no config field";
    // --protocol reference implies it
    ASSERT_EQ(run_cmd(bin + " eval --method constant -q --protocol reference -o " + s + "/proto", &out), 0) << out;
    EXPECT_EQ(read_file(s + "/proto/constant.json"), read_file(s + "/ref/constant.json"));
    const json cfg = json::parse(read_file(s + "/proto/config.json"));
    EXPECT_EQ(cfg.value("protocol", ""), "reference");
    EXPECT_EQ(cfg.value("answer_mode", ""), "generate");
    EXPECT_EQ(cfg.value("alpha_select", ""), "eval (oracle)");
    EXPECT_EQ(cfg.value("rank", ""), "mean_acc");
    EXPECT_EQ(cfg.value("pas_split", ""), "sample");
    // few-shot prompts write "Unknown" for the unanswered item (subject 16)
    const std::string fs = run_json(bin + " prompt -m " + palign_test::model_path("llama3") + " --system few-shot --subject 16 "
                                    "--missing-unknown --json").value("text", "");
    EXPECT_NE(fs.find(":Unknown;"), std::string::npos);
}

TEST(reference, score_rules) {
    const inventory inv = load_inventory(inventory_kind::sd3, data_dir());
    const std::vector<const item *> items = item_set(inv, "eval");   // M7 M8 M9 N7 N8 N9 P7 P8 P9
    subject s;
    s.id = "x";
    for (const item * it : items) s.answers[it->id] = 4;
    s.answers["M9"] = 0;                                              // not answered
    std::vector<answer> m(items.size(), answer_from_value(2));
    m[3] = answer();                                                  // N7: model UNK
    const subject_scores plain = score_subject(inv, s, items, m);
    EXPECT_FALSE(plain.items[2].used());
    EXPECT_FALSE(plain.items[3].used());
    EXPECT_DOUBLE_EQ(plain.trait("M")->mean_abs, 2.0);
    score_rules zero;
    zero.missing_as_zero = true;
    const subject_scores z = score_subject(inv, s, items, m, zero);
    EXPECT_TRUE(z.items[2].used());
    EXPECT_EQ(z.items[2].error(), 2);                                 // |2 - 0|
    EXPECT_DOUBLE_EQ(z.trait("M")->mean_abs, 2.0);
    EXPECT_DOUBLE_EQ(z.trait("M")->mean, 2.0);                        // the keyed score counts too, as in the reference
    EXPECT_EQ(z.trait("M")->n, 3);
    score_rules worst;
    worst.unk_as_worst = true;
    const subject_scores w = score_subject(inv, s, items, m, worst);
    EXPECT_TRUE(w.items[3].used());
    EXPECT_EQ(w.items[3].error(), 3);                                 // max(4 - 1, 5 - 4)
    EXPECT_DOUBLE_EQ(w.trait("N")->mean_abs, (3 + 2 + 2) / 3.0);
    EXPECT_DOUBLE_EQ(w.trait("N")->mean, (4 + 2) / 2.0);              // N8 reverse-keyed; no keyed score for the UNK
    EXPECT_GT(w.composite, plain.composite) << "failing to answer cannot look better";

    // a trait with nothing scored: the subject fails with the cause, and every mean is over the others
    std::vector<answer> unk_n = std::vector<answer>(items.size(), answer_from_value(4));
    for (int i = 3; i < 6; i++) unk_n[i] = answer();
    subject t = s;
    t.id = "y";
    t.answers["M9"] = 4;
    const subject_scores bad = score_subject(inv, t, items, unk_n);
    EXPECT_TRUE(std::isnan(bad.composite));
    EXPECT_NE(bad.failure.find("trait N: no scored item (3 items: 3 model UNK"), std::string::npos) << bad.failure;
    const scores sc = aggregate_scores(inv, {plain, bad}, "t", {{"z", "pas: too few contrast pairs"}});
    EXPECT_EQ(sc.n, 3);
    EXPECT_EQ(sc.n_ok, 1);
    ASSERT_EQ(sc.failures.size(), 2u);
    EXPECT_EQ(sc.failures[0].first, "z");
    EXPECT_EQ(sc.failures[1].first, "y");
    // the M trait mean is the plain subject's alone (the failed one has a finite M mean, left out)
    EXPECT_DOUBLE_EQ(sc.summary.at("mean_M_abs"), plain.trait("M")->mean_abs);
    EXPECT_EQ(sc.summary_n.at("mean_M_abs"), 1);
    double sum = 0;
    for (const auto & tr : inv.traits) sum += sc.summary.at("mean_" + tr + "_abs");
    EXPECT_NEAR(sc.summary.at("composite"), sum, 1e-12);
}

TEST(reference, sample_split_as_the_reference) {
    // int(n * (1 - 0.4)) samples train, drawn over samples: pairs can straddle the two sides
    for (int n : {8, 10, 15, 16, 41 * 2}) {
        const pas_split sp = pas_split_samples(n, 42);
        EXPECT_TRUE(sp.by_sample);
        EXPECT_EQ((int) sp.train.size(), (int) (n * (1 - 0.4))) << n;
        EXPECT_EQ((int) (sp.train.size() + sp.val.size()), n);
    }
    const pas_split sp = pas_split_samples(80, 7);
    std::set<int> tr(sp.train.begin(), sp.train.end());
    int straddle = 0;
    for (int p = 0; p < 40; p++) straddle += tr.count(2 * p) != tr.count(2 * p + 1);
    EXPECT_GT(straddle, 0) << "the reference's leak: an item's A and E prompts on different sides";
    EXPECT_EQ(pas_split_samples(80, 7).train, sp.train) << "seeded";
    EXPECT_NE(pas_split_samples(80, 8).train, sp.train);
}

TEST(reference, failures_are_counted_and_a_run_where_all_fail_exits_0) {
    // a data dir whose subject 0 answered every align item 3 (no contrast pair: the PAS fit fails) and whose subject 1
    // answered no evaluation item of trait O (nothing to score there)
    const std::string s = palign_test::scratch_dir() + "/fail";
    fs::create_directories(s + "/data");
    fs::copy(data_dir(), s + "/data", fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    const inventory inv = load_inventory(inventory_kind::big5, data_dir());
    const std::string subj = s + "/data/papi/ipip_neo_test_subjects.jsonl";
    std::vector<std::string> lines;
    {
        std::ifstream f(subj);
        for (std::string l; std::getline(f, l);) lines.push_back(l);
    }
    json s0 = json::parse(lines[0]), s1 = json::parse(lines[1]);
    for (const item * it : item_set(inv, "align")) s0[it->id] = 3;
    for (const item * it : item_set(inv, "eval")) if (it->trait == "O") s1[it->id] = 0;
    lines[0] = s0.dump();
    lines[1] = s1.dump();
    {
        std::ofstream f(subj, std::ios::trunc);
        for (const auto & l : lines) f << l << "\n";
    }
    const std::string args = " -m " + palign_test::model_path("llama3") + " --data-dir " + q(s + "/data") +
                             " --alpha-grid 0,3 --cv-folds 2 --k 8 -q --contrast-cache ''";
    std::string out;
    ASSERT_EQ(run_cmd(bin + " eval" + args + " --method pas,constant --subjects 0:3 -o " + s + "/run", &out), 0) << out;
    const std::string id0 = s0["case"].is_string() ? s0["case"].get<std::string>() : s0["case"].dump();
    EXPECT_NE(out.find("failed: pas, subject " + id0 + ": pas: subject"), std::string::npos) << out;
    int n_o = 0;
    for (const item * it : item_set(inv, "eval")) n_o += it->trait == "O";
    EXPECT_NE(out.find(strfmt("trait O: no scored item (%d items: 0 model UNK, %d not answered by the subject)", n_o, n_o)),
              std::string::npos) << out;
    for (const char * m : {"pas", "constant"}) {
        const json j = json::parse(read_file(s + "/run/" + std::string(m) + ".json"));
        EXPECT_EQ(j["n"], 3) << m;
        const int n_fail = std::string(m) == "pas" ? 2 : 1;
        EXPECT_EQ(j["n_ok"], 3 - n_fail) << m;
        ASSERT_EQ(j["failures"].size(), (size_t) n_fail) << m;
        double sum = 0;
        for (const auto & tr : inv.traits) sum += j["summary"]["mean_" + tr + "_abs"].get<double>();
        EXPECT_NEAR(j["summary"]["composite"].get<double>(), sum, 1e-9) << m << ": composite = sum of the trait means";
        EXPECT_EQ(j["summary_n"]["composite"], 3 - n_fail);
        EXPECT_EQ(j["summary_n"]["mean_C_abs"], 3 - n_fail) << "the same subjects for every field";
    }
    // every subject fails: reports written, a warning, exit 0
    ASSERT_EQ(run_cmd(bin + " eval" + args + " --method none,constant --subjects 1:2 -o " + s + "/allfail", &out), 0) << out;
    EXPECT_NE(out.find("warning: no subject has every trait scored"), std::string::npos) << out;
    EXPECT_TRUE(file_exists(s + "/allfail/none.json"));
    EXPECT_EQ(json::parse(read_file(s + "/allfail/none.json"))["n_ok"], 0);
}

TEST(reference, align_warns_when_alpha_is_zero_or_at_the_grid_edge) {
    const std::string s = palign_test::scratch_dir() + "/alignwarn";
    std::filesystem::create_directories(s);
    // a person: PAPI subject 0's answers to the IPIP-NEO-120
    const inventory inv = load_inventory(inventory_kind::big5, data_dir());
    const std::vector<subject> subjects = load_subjects(inv, data_dir());
    json me = json::object();
    for (const item * it : item_set(inv, "align")) me[it->id] = subjects[0].answer(it->id);
    { std::ofstream f(s + "/me.json"); f << me.dump(); }
    const std::string base = bin + " align -m " + palign_test::model_path("llama3") + " -a " + s + "/me.json --cv-folds 2 --k 4 -q "
                             "--contrast-cache '' -o " + s + "/me.steer.gguf";
    std::string out;
    const std::string zero = "palign: warning: alpha 0 was chosen: this steering file changes nothing";
    const std::string largest = "palign: warning: alpha 100000, the largest in --alpha-grid, was chosen";
    ASSERT_EQ(run_cmd(base + " --alpha-grid 0", &out), 0) << out;
    EXPECT_NE(out.find(zero), std::string::npos) << out;
    EXPECT_EQ(out.find("the largest in"), std::string::npos) << "0 is the grid's largest too, but the zero warning says more: " << out;
    ASSERT_EQ(run_cmd(base + " --alpha-grid 1e5", &out), 0) << out;
    EXPECT_NE(out.find(largest), std::string::npos) << out;
    EXPECT_EQ(out.find(zero), std::string::npos) << out;
    // a grid with a middle: the warnings follow the alpha cross-validation chose (its "<- chosen" line)
    ASSERT_EQ(run_cmd(base + " --alpha-grid 0,1,1e5", &out), 0) << out;
    const size_t at = out.find("<- chosen");
    ASSERT_NE(at, std::string::npos) << out;
    const size_t line = out.rfind("alpha ", at);
    ASSERT_NE(line, std::string::npos) << out;
    const double chosen = std::stod(out.substr(line + 6));
    EXPECT_EQ(out.find(zero) != std::string::npos, chosen == 0) << out;
    EXPECT_EQ(out.find(largest) != std::string::npos, chosen == 1e5) << out;
    EXPECT_EQ(out.find("palign: warning: alpha") == std::string::npos, chosen == 1) << out;
    ASSERT_EQ(run_cmd(base + " --alpha 2", &out), 0) << out;
    EXPECT_EQ(out.find("palign: warning: alpha"), std::string::npos) << "a given alpha is not questioned: " << out;
}
