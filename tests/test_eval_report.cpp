// Tests: scores as JSON / CSV (recomputable item records), all-or-nothing writes, profile table and JSON.
#include "eval/report.h"
#include "util/error.h"
#include "util/paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

using namespace palign;
namespace fs = std::filesystem;

static const inventory & sd3() {
    static const inventory inv = load_inventory(inventory_kind::sd3, data_dir());
    return inv;
}

struct temp_dir {
    std::string path;
    temp_dir() {
        char tmpl[] = "/tmp/palign_test_eval_XXXXXX";
        const char * d = mkdtemp(tmpl);
        if (!d) throw std::runtime_error("mkdtemp failed");
        path = d;
    }
    ~temp_dir() { fs::remove_all(path); }
};

// two subjects on the SD-3 eval items; subject a in option mode (with probabilities), subject b all UNK but one
static scores example_scores() {
    auto items = item_set(sd3(), "eval");   // M7 M8 M9 N7 N8 N9 P7 P8 P9
    subject a, b;
    a.id = "a";
    b.id = "b,1";   // needs CSV quoting
    std::vector<answer> ma, mb;
    for (const item * it : items) {
        a.answers[it->id] = 4;
        b.answers[it->id] = it->id == "M9" ? 0 : 2;
        // P(A) .. P(E) = .1 .6 .1 .1 .1 -> B (4): error 0 against 4
        ma.push_back(answer_from_probs({ 0.1, 0.6, 0.1, 0.1, 0.1 }, answer_rule::option_argmax));
        mb.push_back(it->id == "M7" ? read_answer_text("(E).") : read_answer_text("Sure"));
    }
    return aggregate_scores(sd3(), { score_subject(sd3(), a, items, ma), score_subject(sd3(), b, items, mb) }, "unit");
}

TEST(EvalReport, ScoresJson) {
    const scores sc = example_scores();
    const auto j = nlohmann::json::parse(scores_json(sc));
    EXPECT_EQ(j["inventory"], "sd3");
    EXPECT_EQ(j["label"], "unit");
    EXPECT_EQ(j["n_subjects"], 2);
    EXPECT_EQ(j["n_items"], 18);
    EXPECT_EQ(j["n_unk"], 8);
    // subject a: every error 0; keyed: B=4, or 6-4=2 for N8 and P7 (reverse) -> M {4,4,4}, N {4,2,4}, P {2,4,4}
    // subject b: only M7 used: model E=1 vs 2 -> error 1, keyed 1; N and P undefined
    // every mean over the same subjects, those with every trait scored: a alone (b's M values are left out too)
    EXPECT_DOUBLE_EQ(j["summary"]["mean_M_abs"].get<double>(), 0.0);
    EXPECT_DOUBLE_EQ(j["summary"]["mean_M"].get<double>(), 4.0);
    EXPECT_DOUBLE_EQ(j["summary"]["mean_N"].get<double>(), 10.0 / 3);
    EXPECT_NEAR(j["summary"]["std_N"].get<double>(), std::sqrt(8.0 / 9), 1e-12);   // {4,2,4}: mean 10/3, var 8/9
    EXPECT_DOUBLE_EQ(j["summary"]["composite"].get<double>(), 0.0);                // b's composite is undefined
    EXPECT_EQ(j["summary_n"]["composite"], 1);
    EXPECT_EQ(j["summary_n"]["mean_M"], 1);
    EXPECT_EQ(j["n"], 2);
    EXPECT_EQ(j["n_ok"], 1);
    ASSERT_EQ(j["failures"].size(), 1u);
    EXPECT_EQ(j["failures"][0]["subject"], "b,1");
    EXPECT_EQ(j["failures"][0]["cause"], "trait N: no scored item (3 items: 3 model UNK, 0 not answered by the subject)");
    EXPECT_EQ(j["counts"]["B"], 9);
    EXPECT_EQ(j["counts"]["E"], 1);
    EXPECT_EQ(j["counts"]["UNK"], 8);
    const auto & sb = j["subjects"][1];
    EXPECT_EQ(sb["subject"], "b,1");
    EXPECT_TRUE(sb["composite"].is_null());
    EXPECT_TRUE(sb["mean_N_abs"].is_null());
    EXPECT_EQ(sb["n_unk"], 8);
    EXPECT_EQ(sb["n_missing"], 1);
    EXPECT_EQ(sb["traits"]["M"]["n"], 1);
    EXPECT_EQ(sb["traits"]["M"]["counts"]["UNK"], 2);
    // item records carry everything needed to recompute
    const auto & ia = j["subjects"][0]["items"][4];   // N8, reverse-keyed
    EXPECT_EQ(ia["id"], "N8");
    EXPECT_EQ(ia["trait"], "N");
    EXPECT_EQ(ia["key"], "-");
    EXPECT_EQ(ia["model"], "B");
    EXPECT_EQ(ia["model_value"], 4);
    EXPECT_EQ(ia["subject"], 4);
    EXPECT_EQ(ia["error"], 0);
    EXPECT_EQ(ia["keyed"], 2);
    EXPECT_EQ(ia["rule"], "option_argmax");
    ASSERT_EQ(ia["probs"].size(), 5u);
    EXPECT_DOUBLE_EQ(ia["probs"][1].get<double>(), 0.6);
    EXPECT_NEAR(ia["expected"].get<double>(), 0.5 + 2.4 + 0.3 + 0.2 + 0.1, 1e-12);
    const auto & ib = sb["items"][2];   // M9: model UNK, subject 0
    EXPECT_EQ(ib["model"], "UNK");
    EXPECT_EQ(ib["model_value"], 0);
    EXPECT_EQ(ib["subject"], 0);
    EXPECT_TRUE(ib["error"].is_null());
    EXPECT_EQ(ib["rule"], "paper_text");
    EXPECT_FALSE(ib.contains("probs"));
}

static std::vector<std::string> lines_of(const std::string & s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

TEST(EvalReport, ScoresCsv) {
    const scores sc = example_scores();
    const auto rows = lines_of(scores_subjects_csv(sc));
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[0], "subject,mean_M,std_M,mean_M_abs,std_M_abs,mean_N,std_N,mean_N_abs,std_N_abs,"
                       "mean_P,std_P,mean_P_abs,std_P_abs,composite,n_used,n_unk,n_missing");
    EXPECT_EQ(rows[1], "a,4,0,0,0,3.333333333,0.9428090416,0,0,3.333333333,0.9428090416,0,0,0,9,0,0");
    EXPECT_EQ(rows[2], "\"b,1\",1,0,1,0,,,,,,,,,,1,8,1");
    EXPECT_EQ(rows[3], "mean,4,0,0,0,3.333333333,0.9428090416,0,0,3.333333333,0.9428090416,0,0,0,10,8,1");
    const auto items = lines_of(scores_items_csv(sc));
    ASSERT_EQ(items.size(), 19u);
    EXPECT_EQ(items[0], "subject,item,trait,key,model,model_value,subject_value,error,keyed,rule,p_A,p_B,p_C,p_D,p_E");
    EXPECT_EQ(items[5], "a,N8,N,-,B,4,4,0,2,option_argmax,0.1,0.6,0.1,0.1,0.1");
    EXPECT_EQ(items[10], "\"b,1\",M7,M,+,E,1,2,1,1,paper_text,,,,,");
    EXPECT_EQ(items[12], "\"b,1\",M9,M,+,UNK,0,0,,0,paper_text,,,,,");
}

TEST(EvalReport, WriteScoresAtomically) {
    temp_dir t;
    const scores sc = example_scores();
    const auto paths = write_scores(sc, t.path + "/run");
    ASSERT_EQ(paths.size(), 3u);
    EXPECT_EQ(paths[0], t.path + "/run.json");
    EXPECT_EQ(paths[1], t.path + "/run.csv");
    EXPECT_EQ(paths[2], t.path + "/run.items.csv");
    EXPECT_EQ(read_file(paths[0]), scores_json(sc));
    EXPECT_EQ(read_file(paths[1]), scores_subjects_csv(sc));
    EXPECT_EQ(read_file(paths[2]), scores_items_csv(sc));
    int n = 0;
    for (const auto & e : fs::directory_iterator(t.path)) { n++; (void) e; }
    EXPECT_EQ(n, 3);   // no temporaries left

    // unwritable target: error names the path, nothing is left behind
    try {
        write_scores(sc, t.path + "/no/such/dir/run");
        FAIL() << "no throw";
    } catch (const palign::error & e) {
        EXPECT_NE(std::string(e.what()).find(t.path + "/no/such/dir/run.json: cannot write"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("HINT:"), std::string::npos);
    }
    // the second file's directory is missing: the first one must not appear either
    fs::create_directory(t.path + "/d");
    try {
        write_files_atomic({ { t.path + "/d/one.txt", "1" }, { t.path + "/missing/two.txt", "2" } });
        FAIL() << "no throw";
    } catch (const palign::error & e) {
        EXPECT_NE(std::string(e.what()).find("/missing/two.txt"), std::string::npos);
    }
    EXPECT_TRUE(fs::is_empty(t.path + "/d"));
    // overwrite in place
    write_file_atomic(t.path + "/d/x.txt", "old");
    write_file_atomic(t.path + "/d/x.txt", "new");
    EXPECT_EQ(read_file(t.path + "/d/x.txt"), "new");
}

TEST(EvalReport, ProfileTableAndJson) {
    std::map<std::string, int> v;
    for (int i = 1; i <= 9; i++) v["M" + std::to_string(i)] = 4;
    v["N1"] = 5;
    v["N2"] = 5;
    const auto p = compute_profile(sd3(), item_set(sd3(), "sd3"), v, "sd3");
    const std::string table = profile_table(p);
    const auto rows = lines_of(table);
    ASSERT_EQ(rows.size(), 5u);
    EXPECT_EQ(rows[0], "Dark Triad profile (sd3): 27 items, 11 answered, 16 UNK");
    EXPECT_EQ(rows[1], "trait                            items answered   raw   mean");
    EXPECT_EQ(rows[2], "M Machiavellianism                   9        9    36   4.00");
    EXPECT_EQ(rows[3], "N Narcissism                         9        2     6   3.00");
    EXPECT_EQ(rows[4], "P Psychopathy                        9        0     0      -");

    const auto j = nlohmann::json::parse(profile_json(p));
    EXPECT_EQ(j["inventory"], "sd3");
    EXPECT_EQ(j["n_answered"], 11);
    EXPECT_EQ(j["domains"]["M"]["raw"], 36);
    EXPECT_DOUBLE_EQ(j["domains"]["N"]["mean"].get<double>(), 3.0);
    EXPECT_TRUE(j["domains"]["P"]["mean"].is_null());
    EXPECT_TRUE(j["facets"].empty());

    static const inventory big5 = load_inventory(inventory_kind::big5, data_dir());
    auto items = item_set(big5, "ipip-neo-120");
    const auto q = compute_profile(big5, items, std::vector<answer>(items.size(), answer_from_value(3)), "ipip-neo-120");
    const auto brows = lines_of(profile_table(q));
    ASSERT_EQ(brows.size(), 2u + 5 + 30);
    EXPECT_EQ(brows[0], "Big Five profile (ipip-neo-120): 120 items, 120 answered, 0 UNK");
    EXPECT_EQ(brows[2], "O Openness                          24       24    72   3.00");
    EXPECT_EQ(brows[3], "  O1 Imagination                     4        4    12   3.00");
    EXPECT_EQ(brows[9], "C Conscientiousness                 24       24    72   3.00");
    const auto jb = nlohmann::json::parse(profile_json(q));
    EXPECT_EQ(jb["facets"].size(), 30u);
    EXPECT_EQ(jb["facets"]["N6"]["raw"], 12);
}
