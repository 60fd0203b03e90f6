// Tests: alignment metrics on a hand-computed example (SD-3 eval items), missing answers, the run summary,
// and the model-personality profile.
#include "eval/profile.h"
#include "eval/scores.h"
#include "util/error.h"
#include "util/paths.h"

#include "inventories.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace palign;

// eval items M7 M8 M9 N7 N8 N9 P7 P8 P9; N8 and P7 are reverse-keyed.
//   item  subject  model   error  keyed(model)
//   M7    4        A=5     1      5
//   M8    2        D=2     0      2
//   M9    0        C=3     -      -      (subject did not answer: left out, n_missing)
//   N7    5        UNK     -      -      (model UNK: left out, n_unk)
//   N8-   1        B=4     3      6-4=2
//   N9    3        E=1     2      1
//   P7-   2        A=5     3      6-5=1
//   P8    1        A=5     4      5
//   P9    4        C=3     1      3
// M: errors {1,0}: mean .5, std .5;   keyed {5,2}: mean 3.5, std 1.5
// N: errors {3,2}: mean 2.5, std .5;  keyed {2,1}: mean 1.5, std .5
// P: errors {3,4,1}: mean 8/3, std sqrt(((1/3)^2 + (4/3)^2 + (5/3)^2) / 3) = sqrt(14)/3
//    keyed {1,5,3}: mean 3, std sqrt((4 + 4 + 0) / 3) = sqrt(8/3)
// composite = .5 + 2.5 + 8/3 = 17/3
static subject_scores example_subject() {
    subject s;
    s.id = "s1";
    s.answers = { { "M7", 4 }, { "M8", 2 }, { "M9", 0 }, { "N7", 5 }, { "N8", 1 }, { "N9", 3 }, { "P7", 2 }, { "P8", 1 }, { "P9", 4 } };
    std::vector<answer> model = {
        answer_from_value(5), answer_from_value(2), answer_from_value(3),
        read_answer_text("I think"), answer_from_value(4), answer_from_value(1),
        answer_from_value(5), answer_from_value(5), answer_from_value(3) };
    return score_subject(sd3(), s, item_set(sd3(), "eval"), model);
}

TEST(EvalScores, ItemRecords) {
    const auto ss = example_subject();
    ASSERT_EQ(ss.items.size(), 9u);
    EXPECT_EQ(ss.items[0].id, "M7");
    EXPECT_EQ(ss.items[0].error(), 1);
    EXPECT_EQ(ss.items[0].keyed(), 5);
    EXPECT_FALSE(ss.items[2].used());      // M9: subject 0
    EXPECT_EQ(ss.items[2].error(), -1);
    EXPECT_EQ(ss.items[2].subject, 0);
    EXPECT_FALSE(ss.items[3].used());      // N7: model UNK
    EXPECT_EQ(ss.items[3].keyed(), 0);
    EXPECT_TRUE(ss.items[4].reverse);      // N8
    EXPECT_EQ(ss.items[4].error(), 3);
    EXPECT_EQ(ss.items[4].keyed(), 2);
    EXPECT_EQ(ss.items[6].keyed(), 1);     // P7 reverse, model 5
}

TEST(EvalScores, HandComputedSubject) {
    const auto ss = example_subject();
    EXPECT_EQ(ss.subject, "s1");
    ASSERT_EQ(ss.traits.size(), 3u);
    const trait_stats & m = *ss.trait("M");
    EXPECT_EQ(m.n_items, 3);
    EXPECT_EQ(m.n, 2);
    EXPECT_EQ(m.n_missing, 1);
    EXPECT_EQ(m.n_unk, 0);
    EXPECT_DOUBLE_EQ(m.mean_abs, 0.5);
    EXPECT_DOUBLE_EQ(m.std_abs, 0.5);
    EXPECT_DOUBLE_EQ(m.mean, 3.5);
    EXPECT_DOUBLE_EQ(m.std, 1.5);
    EXPECT_EQ(m.counts, (std::array<int, 6>{ 1, 0, 1, 1, 0, 0 }));   // A, C, D
    const trait_stats & n = *ss.trait("N");
    EXPECT_EQ(n.n, 2);
    EXPECT_EQ(n.n_unk, 1);
    EXPECT_EQ(n.n_missing, 0);
    EXPECT_DOUBLE_EQ(n.mean_abs, 2.5);
    EXPECT_DOUBLE_EQ(n.std_abs, 0.5);
    EXPECT_DOUBLE_EQ(n.mean, 1.5);
    EXPECT_DOUBLE_EQ(n.std, 0.5);
    EXPECT_EQ(n.counts, (std::array<int, 6>{ 0, 1, 0, 0, 1, 1 }));   // B, E, UNK
    const trait_stats & p = *ss.trait("P");
    EXPECT_EQ(p.n, 3);
    EXPECT_NEAR(p.mean_abs, 2.6666666666666667, 1e-12);
    EXPECT_NEAR(p.std_abs, 1.2472191289246472, 1e-12);   // sqrt(14)/3
    EXPECT_NEAR(p.mean, 3.0, 1e-12);
    EXPECT_NEAR(p.std, 1.6329931618554521, 1e-12);        // sqrt(8/3)
    EXPECT_EQ(p.counts, (std::array<int, 6>{ 2, 0, 1, 0, 0, 0 }));
    EXPECT_NEAR(ss.composite, 5.6666666666666667, 1e-12);
    EXPECT_EQ(ss.n_unk, 1);
    EXPECT_EQ(ss.n_missing, 1);
    EXPECT_DOUBLE_EQ(subject_field(ss, "mean_M_abs"), 0.5);
    EXPECT_DOUBLE_EQ(subject_field(ss, "std_M"), 1.5);
    EXPECT_TRUE(std::isnan(subject_field(ss, "mean_X")));
}

// a second subject: everyone answers C=3 -> errors 0, keyed 3 (also for the reverse-keyed: 6-3)
static subject_scores flat_subject(const std::string & id, bool model_unk) {
    subject s;
    s.id = id;
    std::vector<answer> model;
    for (const item * it : item_set(sd3(), "eval")) {
        s.answers[it->id] = 3;
        model.push_back(model_unk ? answer() : answer_from_value(3));
    }
    return score_subject(sd3(), s, item_set(sd3(), "eval"), model);
}

TEST(EvalScores, SummaryOverSubjects) {
    const auto flat = flat_subject("s2", false);
    EXPECT_DOUBLE_EQ(flat.composite, 0.0);
    EXPECT_DOUBLE_EQ(flat.trait("N")->mean, 3.0);
    EXPECT_DOUBLE_EQ(flat.trait("N")->std, 0.0);
    const auto none = flat_subject("s3", true);   // all UNK: every statistic undefined
    EXPECT_EQ(none.trait("M")->n, 0);
    EXPECT_TRUE(std::isnan(none.trait("M")->mean_abs));
    EXPECT_TRUE(std::isnan(none.composite));
    EXPECT_EQ(none.n_unk, 9);

    const scores sc = aggregate_scores(sd3(), { example_subject(), flat, none }, "test");
    EXPECT_EQ(sc.label, "test");
    EXPECT_EQ(sc.fields, (std::vector<std::string>{ "mean_M", "std_M", "mean_M_abs", "std_M_abs", "mean_N", "std_N", "mean_N_abs",
                                                    "std_N_abs", "mean_P", "std_P", "mean_P_abs", "std_P_abs", "composite" }));
    // means over the two subjects with defined values
    EXPECT_DOUBLE_EQ(sc.summary.at("mean_M_abs"), (0.5 + 0.0) / 2);
    EXPECT_DOUBLE_EQ(sc.summary.at("std_M_abs"), (0.5 + 0.0) / 2);
    EXPECT_DOUBLE_EQ(sc.summary.at("mean_M"), (3.5 + 3.0) / 2);
    EXPECT_DOUBLE_EQ(sc.summary.at("std_M"), (1.5 + 0.0) / 2);
    EXPECT_DOUBLE_EQ(sc.summary.at("mean_N_abs"), 1.25);
    EXPECT_DOUBLE_EQ(sc.summary.at("mean_N"), 2.25);
    EXPECT_NEAR(sc.summary.at("mean_P_abs"), 4.0 / 3.0, 1e-12);
    EXPECT_NEAR(sc.summary.at("std_P_abs"), 1.2472191289246472 / 2, 1e-12);
    EXPECT_NEAR(sc.summary.at("composite"), 17.0 / 6.0, 1e-12);
    EXPECT_EQ(sc.summary_n.at("composite"), 2);
    EXPECT_EQ(sc.summary_n.at("mean_M"), 2);
    EXPECT_EQ(sc.subjects.size(), 3u);
    EXPECT_EQ(sc.n_items, 27);
    EXPECT_EQ(sc.n_used, 7 + 9);
    EXPECT_EQ(sc.n_unk, 1 + 9);
    EXPECT_EQ(sc.n_missing, 1);
    EXPECT_EQ(sc.counts, (std::array<int, 6>{ 3, 1, 2 + 9, 1, 1, 10 }));
}

TEST(EvalScores, PopulationStd) {
    EXPECT_DOUBLE_EQ(std_of({ 1.0, 3.0 }), 1.0);       // ddof = 0 (sample std would be 1.414)
    EXPECT_DOUBLE_EQ(std_of({ 2.0 }), 0.0);
    EXPECT_TRUE(std::isnan(std_of({})));
    EXPECT_DOUBLE_EQ(mean_of({ 1.0, 2.0, 6.0 }), 3.0);
}

TEST(EvalScores, SizeMismatch) {
    subject s;
    EXPECT_THROW(score_subject(sd3(), s, item_set(sd3(), "eval"), { answer_from_value(3) }), palign::error);
}

TEST(EvalScores, Big5AllItemsUsed) {
    // Big Five eval set, model answers = subject answers: zero error; composite 0; 180 used items
    subject s;
    std::vector<answer> model;
    auto items = item_set(big5(), "eval");
    for (size_t i = 0; i < items.size(); i++) {
        const int v = 1 + (int) (i % 5);
        s.answers[items[i]->id] = v;
        model.push_back(answer_from_value(v));
    }
    const auto ss = score_subject(big5(), s, items, model);
    EXPECT_DOUBLE_EQ(ss.composite, 0.0);
    int used = 0;
    for (const auto & t : ss.traits) { used += t.n; EXPECT_EQ(t.n_items, 36) << t.trait; }
    EXPECT_EQ(used, 180);
}

TEST(EvalScores, ProfileSd3) {
    // M1..M9 answered 4 (all +): raw 36, mean 4. N1 = 5 (+), N2 = 5 (-: 1): raw 6, 2 answered, mean 3.
    // P: nothing answered: raw 0, mean undefined. 27 items, 11 answered, 16 UNK.
    std::map<std::string, int> v;
    for (int i = 1; i <= 9; i++) v["M" + std::to_string(i)] = 4;
    v["N1"] = 5;
    v["N2"] = 5;
    v["P1"] = 0;
    const auto p = compute_profile(sd3(), item_set(sd3(), "sd3"), v, "sd3");
    EXPECT_EQ(p.n_items, 27);
    EXPECT_EQ(p.n_answered, 11);
    EXPECT_EQ(p.n_unk, 16);
    ASSERT_EQ(p.domains.size(), 3u);
    EXPECT_TRUE(p.facets.empty());
    EXPECT_EQ(p.domains[0].key, "M");
    EXPECT_EQ(p.domains[0].name, "Machiavellianism");
    EXPECT_EQ(p.domains[0].raw, 36);
    EXPECT_DOUBLE_EQ(p.domains[0].mean, 4.0);
    EXPECT_EQ(p.domains[1].raw, 6);
    EXPECT_EQ(p.domains[1].n_answered, 2);
    EXPECT_DOUBLE_EQ(p.domains[1].mean, 3.0);
    EXPECT_EQ(p.domains[2].raw, 0);
    EXPECT_EQ(p.domains[2].n_items, 9);
    EXPECT_TRUE(std::isnan(p.domains[2].mean));
}

TEST(EvalScores, ProfileBig5) {
    // IPIP-NEO-120, every answer 3: keyed 3 for + and - items; domains 24 items raw 72; facets 4 items raw 12
    auto items = item_set(big5(), "ipip-neo-120");
    std::vector<answer> answers(items.size(), answer_from_value(3));
    auto p = compute_profile(big5(), items, answers, "ipip-neo-120");
    EXPECT_EQ(p.n_answered, 120);
    ASSERT_EQ(p.domains.size(), 5u);
    ASSERT_EQ(p.facets.size(), 30u);
    for (const auto & d : p.domains) { EXPECT_EQ(d.n_items, 24); EXPECT_EQ(d.raw, 72); EXPECT_DOUBLE_EQ(d.mean, 3.0); }
    for (const auto & f : p.facets) { EXPECT_EQ(f.n_items, 4); EXPECT_EQ(f.raw, 12); }
    EXPECT_EQ(p.facets[0].key, "O1");
    EXPECT_EQ(p.facets[0].name, "Imagination");
    EXPECT_EQ(p.domains[4].key, "N");

    // only i1 (N1 Anxiety, +) = 5 and i156 (N2 Anger, -) = 5 -> N raw 5 + 1 = 6, mean 3; N1 raw 5; N2 raw 1
    std::map<std::string, int> v = { { "i1", 5 }, { "i156", 5 } };
    p = compute_profile(big5(), item_set(big5(), "ipip-neo-300"), v, "ipip-neo-300");
    EXPECT_EQ(p.n_items, 300);
    EXPECT_EQ(p.n_answered, 2);
    EXPECT_EQ(p.domains[4].raw, 6);
    EXPECT_DOUBLE_EQ(p.domains[4].mean, 3.0);
    EXPECT_EQ(p.domains[4].n_items, 60);
    EXPECT_EQ(p.facets[24].key, "N1");
    EXPECT_EQ(p.facets[24].raw, 5);
    EXPECT_EQ(p.facets[24].n_items, 10);
    EXPECT_EQ(p.facets[25].key, "N2");
    EXPECT_EQ(p.facets[25].name, "Anger");
    EXPECT_EQ(p.facets[25].raw, 1);
    EXPECT_EQ(p.domains[0].raw, 0);
    EXPECT_TRUE(std::isnan(p.domains[0].mean));
    EXPECT_THROW(compute_profile(big5(), items, std::vector<answer>(3), "x"), palign::error);
}
