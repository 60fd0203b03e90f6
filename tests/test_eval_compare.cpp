// Tests: bootstrap intervals (determinism, degenerate cases), comparing a method with itself, and a comparison over
// two small run directories written with palign's own report writer and run store.
#include "data/prompts.h"
#include "eval/compare.h"
#include "eval/predictors.h"
#include "eval/report.h"
#include "eval/run_store.h"
#include "util/error.h"
#include "util/paths.h"
#include "util/rng.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

using namespace palign;
namespace fs = std::filesystem;

static const inventory & sd3() {
    static const inventory inv = load_inventory(inventory_kind::sd3, data_dir());
    return inv;
}

struct temp_dir {
    std::string path;
    temp_dir() {
        char tmpl[] = "/tmp/palign_test_compare_XXXXXX";
        const char * d = mkdtemp(tmpl);
        if (!d) throw std::runtime_error("mkdtemp failed");
        path = d;
    }
    ~temp_dir() { fs::remove_all(path); }
};

static std::vector<double> random_values(size_t n, uint64_t seed) {
    rng g(seed);
    std::vector<double> v(n);
    for (auto & x : v) x = 2.0 + g.normal();
    return v;
}

TEST(Bootstrap, SameSeedSameInterval) {
    const auto v = random_values(300, 7);
    compare_params p;
    const interval a = bootstrap_mean(v, p), b = bootstrap_mean(v, p);
    EXPECT_EQ(a.lo, b.lo);
    EXPECT_EQ(a.hi, b.hi);
    EXPECT_EQ(a.n, 300);
    EXPECT_DOUBLE_EQ(a.mean, mean_of(v));
    EXPECT_LT(a.lo, a.mean);
    EXPECT_GT(a.hi, a.mean);
    // about mean +- 1.96 sd / sqrt(n)
    const double se = std_of(v) / std::sqrt(300.0);
    EXPECT_NEAR(a.hi - a.lo, 2 * 1.96 * se, 0.25 * 2 * 1.96 * se);
    compare_params q = p;
    q.seed = 8;
    const interval c = bootstrap_mean(v, q);
    EXPECT_EQ(c.mean, a.mean);
    EXPECT_NE(c.lo, a.lo);
    EXPECT_NE(c.hi, a.hi);
    q = p;
    q.level = 0.5;
    const interval d = bootstrap_mean(v, q);
    EXPECT_GT(d.lo, a.lo);
    EXPECT_LT(d.hi, a.hi);
}

TEST(Bootstrap, Degenerate) {
    const interval e = bootstrap_mean({});
    EXPECT_EQ(e.n, 0);
    EXPECT_TRUE(std::isnan(e.mean) && std::isnan(e.lo) && std::isnan(e.hi));
    const interval one = bootstrap_mean({1.5});
    EXPECT_EQ(one.lo, 1.5);
    EXPECT_EQ(one.hi, 1.5);
    const interval flat = bootstrap_mean(std::vector<double>(50, 0.25));
    EXPECT_DOUBLE_EQ(flat.lo, 0.25);
    EXPECT_DOUBLE_EQ(flat.hi, 0.25);
    compare_params bad;
    bad.n_boot = 0;
    EXPECT_THROW(bootstrap_mean({1.0}, bad), palign::error);
}

// ---- synthetic runs: SD-3 eval items, every subject answered 4 (B) everywhere ----

static std::vector<subject> hand_subjects(int n) {
    std::vector<subject> out;
    for (int i = 1; i <= n; i++) {
        subject s;
        s.id = "s" + std::to_string(i);
        for (const item & it : sd3().items) s.answers[it.id] = 4;
        out.push_back(s);
    }
    return out;
}

static std::array<double, 5> peaked(int value) {   // 0.6 on value, 0.1 elsewhere
    std::array<double, 5> p = {0.1, 0.1, 0.1, 0.1, 0.1};
    p[5 - value] = 0.6;
    return p;
}

// one answer value per subject for every eval item; option mode (peaked distributions) or plain values
static scores constant_answers(const std::vector<subject> & subjects, const std::vector<int> & v, bool option, const std::string & label) {
    const auto eval = item_set(sd3(), "eval");
    std::vector<subject_scores> ss;
    for (size_t i = 0; i < subjects.size(); i++) {
        std::vector<answer> a;
        for (size_t k = 0; k < eval.size(); k++) {
            a.push_back(option ? answer_from_probs(peaked(v[i]), answer_rule::option_median) : read_answer_text(std::string(1, value_letter(v[i]))));
        }
        ss.push_back(score_subject(sd3(), subjects[i], eval, a));
    }
    return aggregate_scores(sd3(), ss, label);
}

// PAS checkpoints: DIR/pas.jsonl through run_store (alpha and its selection per subject)
static void write_pas_jsonl(const std::string & dir, const scores & sc, const std::vector<subject> & subjects,
                            const std::vector<double> & alphas, alpha_select sel) {
    run_store store(dir, nlohmann::json{{"inventory", "sd3"}, {"alpha_select", alpha_select_name(sel)}});
    for (size_t i = 0; i < sc.subjects.size(); i++) {
        stored_result r;
        r.result.method = eval_method::pas;
        r.result.scores = sc.subjects[i];
        r.result.alpha = alphas[i];
        r.result.select = sel;
        r.result.curve = {{0.0, 1.0}, {alphas[i], 0.5}};
        store.append(sd3(), subjects[i], r);
    }
}

struct two_runs {
    temp_dir tmp;
    std::string a, b;
    std::vector<subject> subjects = hand_subjects(4);
    two_runs() {
        a = tmp.path + "/runA";
        b = tmp.path + "/runB/";   // a trailing slash must not matter
        // runA: few-shot (paper mode) and PAS with the oracle alpha, 4 subjects
        const scores fs_a = constant_answers(subjects, {4, 3, 2, 5}, false, "few-shot");          // composites 0 3 6 3
        const scores pas_a = constant_answers(subjects, {4, 4, 3, 4}, true, "pas (alpha selection: eval (oracle))");   // 0 0 3 0
        write_pas_jsonl(a, pas_a, subjects, {2, 4, 2, 0}, alpha_select::eval);
        write_scores(fs_a, a + "/few-shot");
        write_scores(pas_a, a + "/pas");
        // runB: the constant predictor and PAS with the cross-validated alpha; PAS failed on s4
        std::vector<subject> three(subjects.begin(), subjects.begin() + 3);
        const scores pas_b = constant_answers(three, {3, 4, 2}, true, "pas (alpha selection: cv)");   // 3 0 6
        write_pas_jsonl(b, pas_b, three, {1, 1, 8}, alpha_select::cv);
        write_scores(pas_b, b + "pas");
        write_scores(predict_scores(predictor::constant, sd3(), subjects, item_set(sd3(), "align"), item_set(sd3(), "eval")),
                     b + "constant");   // 3 3 3 3
        std::ofstream(b + "notes.json") << "{\"not\": \"a report\"}\n";
    }
};

TEST(Compare, LoadRunDirs) {
    two_runs r;
    const auto runs = load_runs({r.a, r.b});
    ASSERT_EQ(runs.size(), 4u);
    EXPECT_EQ(runs[0].label, "runA/few-shot");
    EXPECT_EQ(runs[1].label, "runA/pas [oracle]");
    EXPECT_EQ(runs[2].label, "runB/constant");
    EXPECT_EQ(runs[3].label, "runB/pas [cv]");
    EXPECT_EQ(runs[1].select, "oracle");
    EXPECT_EQ(runs[3].select, "cv");
    EXPECT_EQ(runs[0].rules, std::vector<std::string>({"paper_text"}));
    EXPECT_EQ(runs[1].rules, std::vector<std::string>({"option_median"}));
    EXPECT_EQ(runs[2].rules, std::vector<std::string>({"given"}));
    EXPECT_EQ(runs[0].subjects.size(), 4u);
    EXPECT_EQ(runs[3].subjects.size(), 3u);
    EXPECT_DOUBLE_EQ(runs[0].subjects[2].composite, 6.0);
    EXPECT_DOUBLE_EQ(runs[0].subjects[2].trait_abs[1], 2.0);
    EXPECT_DOUBLE_EQ(runs[1].subjects[1].alpha, 4.0);
    EXPECT_TRUE(std::isnan(runs[0].subjects[0].alpha));
    EXPECT_TRUE(std::isnan(runs[0].subjects[0].log_loss));
    EXPECT_NEAR(runs[1].subjects[0].log_loss, -std::log(0.6), 1e-12);
    EXPECT_NEAR(runs[1].subjects[2].log_loss, -std::log(0.1), 1e-12);

    // the same directory twice: labels stay distinct
    const auto twice = load_runs({r.a, r.a});
    ASSERT_EQ(twice.size(), 4u);
    std::set<std::string> labels;
    for (const auto & m : twice) labels.insert(m.label);
    EXPECT_EQ(labels.size(), 4u);
    EXPECT_NO_THROW(compare_runs(twice));
    // a report file by name
    const auto one = load_runs({r.a + "/pas.json"});
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].label, "runA/pas [oracle]");
}

TEST(Compare, TwoRuns) {
    two_runs r;
    compare_params p;
    p.n_boot = 500;
    const comparison c = compare_runs(load_runs({r.a, r.b}), p);
    EXPECT_EQ(c.shared, std::vector<std::string>({"s1", "s2", "s3"}));
    ASSERT_EQ(c.methods.size(), 4u);
    ASSERT_EQ(c.pairs.size(), 6u);
    EXPECT_EQ(c.methods[0].n_subjects, 4);
    EXPECT_EQ(c.methods[3].n_subjects, 3);
    // composites on s1..s3: few-shot 0 3 6, oracle 0 0 3, constant 3 3 3, cv 3 0 6
    EXPECT_DOUBLE_EQ(c.methods[0].composite.mean, 3.0);
    EXPECT_DOUBLE_EQ(c.methods[1].composite.mean, 1.0);
    EXPECT_DOUBLE_EQ(c.methods[2].composite.mean, 3.0);
    EXPECT_DOUBLE_EQ(c.methods[3].composite.mean, 3.0);
    EXPECT_EQ(c.methods[0].composite.n, 3);
    EXPECT_DOUBLE_EQ(c.methods[1].traits[0].mean, 1.0 / 3);
    EXPECT_DOUBLE_EQ(c.methods[2].composite.lo, 3.0);   // constant over subjects: a point interval
    EXPECT_DOUBLE_EQ(c.methods[2].composite.hi, 3.0);
    EXPECT_GE(c.methods[0].composite.lo, 0.0);
    EXPECT_LE(c.methods[0].composite.hi, 6.0);
    EXPECT_LT(c.methods[0].composite.lo, c.methods[0].composite.hi);
    // log-loss: option mode only; oracle on s1..s3: B B C against B
    EXPECT_EQ(c.methods[0].log_loss.n, 0);
    EXPECT_EQ(c.methods[1].log_loss.n, 3);
    EXPECT_NEAR(c.methods[1].log_loss.mean, (-2 * std::log(0.6) - std::log(0.1)) / 3, 1e-12);
    // alphas on the shared subjects
    EXPECT_EQ(c.methods[1].alphas, (std::map<double, int>{{2.0, 2}, {4.0, 1}}));
    EXPECT_EQ(c.methods[3].alphas, (std::map<double, int>{{1.0, 2}, {8.0, 1}}));
    EXPECT_TRUE(c.methods[0].alphas.empty());
    // pairs: (few-shot, oracle) = 0 3 3 -> 2; (oracle, cv) = -3 0 -3 -> -2, per trait a third
    EXPECT_EQ(c.pairs[0].a, "runA/few-shot");
    EXPECT_EQ(c.pairs[0].b, "runA/pas [oracle]");
    EXPECT_DOUBLE_EQ(c.pairs[0].composite.mean, 2.0);
    EXPECT_EQ(c.pairs[4].a, "runA/pas [oracle]");
    EXPECT_EQ(c.pairs[4].b, "runB/pas [cv]");
    EXPECT_DOUBLE_EQ(c.pairs[4].composite.mean, -2.0);
    EXPECT_DOUBLE_EQ(c.pairs[4].traits[2].mean, -2.0 / 3);
    EXPECT_LE(c.pairs[4].composite.hi, 0.0);
    EXPECT_GE(c.pairs[4].composite.lo, -3.0);

    // the same seed gives the same comparison, JSON and table included
    const comparison c2 = compare_runs(load_runs({r.a, r.b}), p);
    EXPECT_EQ(comparison_json(c), comparison_json(c2));
    EXPECT_EQ(comparison_table(c), comparison_table(c2));

    const auto j = nlohmann::json::parse(comparison_json(c));
    EXPECT_EQ(j["inventory"], "sd3");
    EXPECT_EQ(j["n_shared"], 3);
    EXPECT_EQ(j["bootstrap"]["n_boot"], 500);
    EXPECT_EQ(j["methods"].size(), 4u);
    EXPECT_EQ(j["methods"][1]["alpha_select"], "oracle");
    EXPECT_TRUE(j["methods"][0]["alpha_select"].is_null());
    EXPECT_TRUE(j["methods"][0]["log_loss"]["mean"].is_null());
    EXPECT_DOUBLE_EQ(j["methods"][1]["composite"]["mean"].get<double>(), 1.0);
    EXPECT_EQ(j["methods"][1]["rules"][0], "option_median");
    EXPECT_DOUBLE_EQ(j["pairs"][4]["composite"]["mean"].get<double>(), -2.0);
    EXPECT_EQ(j["pairs"][4]["traits"].size(), 3u);

    const std::string t = comparison_table(c);
    EXPECT_NE(t.find("runA/pas [oracle]"), std::string::npos) << t;
    EXPECT_NE(t.find("runB/pas [cv]"), std::string::npos) << t;
    EXPECT_NE(t.find("3 subjects shared"), std::string::npos) << t;
    EXPECT_NE(t.find("[oracle]: PAS alpha chosen on the evaluation items"), std::string::npos) << t;
    EXPECT_NE(t.find("alpha 2:2 4:1"), std::string::npos) << t;
    EXPECT_NE(t.find("option_median"), std::string::npos) << t;
}

TEST(Compare, MethodAgainstItself) {
    const auto subjects = load_subjects(sd3(), data_dir());
    const scores sc = predict_scores(predictor::trait_key_median, sd3(), subjects, item_set(sd3(), "align"), item_set(sd3(), "eval"));
    const comparison c = compare_runs({method_run_from_scores(sc, "x"), method_run_from_scores(sc, "y")});
    EXPECT_EQ(c.shared.size(), 300u);
    ASSERT_EQ(c.pairs.size(), 1u);
    for (const interval & iv : c.pairs[0].traits) {
        EXPECT_EQ(iv.mean, 0.0);
        EXPECT_EQ(iv.lo, 0.0);
        EXPECT_EQ(iv.hi, 0.0);
    }
    EXPECT_EQ(c.pairs[0].composite.mean, 0.0);
    EXPECT_EQ(c.pairs[0].composite.lo, 0.0);
    EXPECT_EQ(c.pairs[0].composite.hi, 0.0);
    // both methods get the same (paired) resamples: identical intervals
    EXPECT_EQ(c.methods[0].composite.lo, c.methods[1].composite.lo);
    EXPECT_EQ(c.methods[0].composite.hi, c.methods[1].composite.hi);
    EXPECT_NEAR(c.methods[0].composite.mean, sc.summary.at("composite"), 1e-12);
    EXPECT_LT(c.methods[0].composite.lo, c.methods[0].composite.mean);
    EXPECT_EQ(c.methods[0].rules, std::vector<std::string>({"given"}));
}

TEST(Compare, Errors) {
    temp_dir tmp;
    try {
        load_runs({tmp.path});
        FAIL() << "no error";
    } catch (const palign::error & e) {
        EXPECT_NE(std::string(e.what()).find("no method reports"), std::string::npos) << e.what();
    }
    EXPECT_THROW(load_runs({tmp.path + "/missing"}), palign::error);
    // a report with a bad field: the file and the field are named
    const auto subjects = hand_subjects(2);
    const scores sc = constant_answers(subjects, {4, 3}, false, "few-shot");
    auto j = nlohmann::json::parse(scores_json(sc));
    j["subjects"][1]["composite"] = "three";
    std::ofstream(tmp.path + "/few-shot.json") << j.dump();
    try {
        load_runs({tmp.path});
        FAIL() << "no error";
    } catch (const palign::error & e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("few-shot.json"), std::string::npos) << m;
        EXPECT_NE(m.find("subjects[1].composite"), std::string::npos) << m;
    }
    // different inventories
    const auto b5 = load_inventory(inventory_kind::big5, data_dir());
    const auto b5s = load_subjects(b5, data_dir());
    const scores big = predict_scores(predictor::constant, b5, {b5s[0]}, item_set(b5, "align"), item_set(b5, "eval"));
    EXPECT_THROW(compare_runs({method_run_from_scores(sc, "sd3"), method_run_from_scores(big, "big5")}), palign::error);
    // no shared subject
    const scores other = constant_answers({hand_subjects(3)[2]}, {4}, false, "x");
    EXPECT_THROW(compare_runs({method_run_from_scores(sc, "a"), method_run_from_scores(other, "b")}), palign::error);
    // a label twice
    EXPECT_THROW(compare_runs({method_run_from_scores(sc, "a"), method_run_from_scores(sc, "a")}), palign::error);
}
