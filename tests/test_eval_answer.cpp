// Tests: reading the model's answer - the paper's text rule and the option-logit rules (argmax, weighted median).
#include "eval/answer.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#ifndef PALIGN_SOURCE_DIR
#define PALIGN_SOURCE_DIR "."
#endif

using namespace palign;

TEST(EvalAnswer, PaperTextRule) {
    struct tc { const char * text; char letter; };
    const tc cases[] = {
        { "A", 'A' },
        { "(A).", 'A' },
        { "(A). Very Accurate", 'A' },
        { "a.", 'A' },
        { "B", 'B' },
        { "b) Moderately", 'B' },
        { " C", 'C' },
        { "\n\nD. Moderately Inaccurate", 'D' },
        { "e", 'E' },
        { "E:", 'E' },
        { "Answer: B", 'B' },           // 'A' and 'e' of "Answer" are inside a word; then " B" stands alone
        { "Option (C)", 'C' },
        { "I am (C)", 'C' },
        { "My answer: D", 'D' },        // 'D' at byte 11, end of text after it
        { "1. E", 'E' },
        { "A1", 'A' },                  // digits are not letters
        { "Based on", '?' },            // 'B' starts a word
        { "I think", '?' },
        { "I'd say", '?' },             // the apostrophe joins "I'd": 'd' is inside a word
        { "", '?' },
        { "   ", '?' },
        { "Answer", '?' },
        { "Accurate", '?' },
        { "The statement (B)", '?' },   // "(B)" starts at byte 14: outside the first 12
        { "My answer is: B", '?' },     // 'B' at byte 14
        { "F", '?' },
    };
    for (const auto & c : cases) {
        const answer a = read_answer_text(c.text);
        EXPECT_EQ(a.letter(), c.letter) << "text: \"" << c.text << "\"";
        EXPECT_EQ(a.rule, answer_rule::paper_text);
        EXPECT_FALSE(a.has_probs);
        EXPECT_EQ(a.unk(), c.letter == '?');
    }
    EXPECT_EQ(read_answer_text("(A).").value, 5);
    EXPECT_EQ(read_answer_text("B").value, 4);
    EXPECT_EQ(read_answer_text("c").value, 3);
    EXPECT_EQ(read_answer_text("D").value, 2);
    EXPECT_EQ(read_answer_text("E").value, 1);
    EXPECT_EQ(read_answer_text("I think").value, 0);
    // the letter may stand at byte 11 with its right neighbour at byte 12
    EXPECT_EQ(read_answer_text("xxxxxxxxx (Cx").letter(), '?');
    EXPECT_EQ(read_answer_text("xxxxxxxxx (C)").letter(), 'C');
    EXPECT_EQ(read_answer_text("xxxxxxxxxxx C").letter(), '?');   // byte 12
}

TEST(EvalAnswer, OptionArgmaxAndStats) {
    // probs 0.1, 0.2, 0.3, 0.2, 0.2 from logits log(1), log(2), log(3), log(2), log(2)
    const std::array<float, 5> logits = { 0.0f, (float) std::log(2.0), (float) std::log(3.0), (float) std::log(2.0), (float) std::log(2.0) };
    const answer a = read_answer_options(logits);
    EXPECT_EQ(a.rule, answer_rule::option_argmax);
    ASSERT_TRUE(a.has_probs);
    EXPECT_NEAR(a.probs[0], 0.1, 1e-6);
    EXPECT_NEAR(a.probs[1], 0.2, 1e-6);
    EXPECT_NEAR(a.probs[2], 0.3, 1e-6);
    EXPECT_NEAR(a.probs[3], 0.2, 1e-6);
    EXPECT_NEAR(a.probs[4], 0.2, 1e-6);
    EXPECT_EQ(a.letter(), 'C');
    EXPECT_EQ(a.value, 3);
    // expected = .1*5 + .2*4 + .3*3 + .2*2 + .2*1 = 2.8
    EXPECT_NEAR(a.expected, 2.8, 1e-6);
    // entropy = -(.1 ln .1 + 3 * .2 ln .2 + .3 ln .3) = 0.230259 + 0.965663 + 0.361192 = 1.557113
    EXPECT_NEAR(a.entropy, 1.5571131, 1e-5);
    // median: cumulative .1, .3, .6 -> C
    EXPECT_EQ(read_answer_options(logits, answer_rule::option_median).letter(), 'C');
}

TEST(EvalAnswer, OptionUniformAndTies) {
    const answer u = read_answer_options({ 1.0f, 1.0f, 1.0f, 1.0f, 1.0f });
    EXPECT_EQ(u.letter(), 'A');                          // tie -> the earlier letter
    EXPECT_NEAR(u.expected, 3.0, 1e-9);
    EXPECT_NEAR(u.entropy, std::log(5.0), 1e-9);
    EXPECT_EQ(read_answer_options({ 1, 1, 1, 1, 1 }, answer_rule::option_median).letter(), 'C');   // cum .2 .4 .6

    // two options equally likely, the rest impossible
    const std::array<float, 5> half = { 0.0f, -INFINITY, -INFINITY, -INFINITY, 0.0f };
    const answer h = read_answer_options(half);
    EXPECT_EQ(h.letter(), 'A');
    EXPECT_NEAR(h.probs[4], 0.5, 1e-12);
    EXPECT_NEAR(h.expected, 3.0, 1e-12);
    EXPECT_NEAR(h.entropy, std::log(2.0), 1e-12);
    EXPECT_EQ(read_answer_options(half, answer_rule::option_median).letter(), 'A');   // cum(A) = .5 exactly
    EXPECT_EQ(read_answer_options({ -1, 0, -1, -1, 0 }).letter(), 'B');
}

TEST(EvalAnswer, WeightedMedianDiffersFromArgmax) {
    // P = .45, 0, 0, .10, .45: argmax -> A (tie with E, earlier letter);
    // weighted median: cumulative .45 .45 .45 .55 -> D. Expected |error|: D = .45*3 + .45*1 = 1.8 < A = .1*3 + .45*4 = 2.1
    const std::array<double, 5> p = { 0.45, 0.0, 0.0, 0.10, 0.45 };
    EXPECT_EQ(option_argmax(p), 5);
    EXPECT_EQ(option_weighted_median(p), 2);
    const answer m = answer_from_probs(p, answer_rule::option_median);
    EXPECT_EQ(m.letter(), 'D');
    EXPECT_EQ(m.rule, answer_rule::option_median);
    EXPECT_NEAR(m.expected, 0.45 * 5 + 0.10 * 2 + 0.45 * 1, 1e-12);
    const answer a = answer_from_probs(p, answer_rule::option_argmax);
    EXPECT_EQ(a.letter(), 'A');
    EXPECT_EQ(a.rule, answer_rule::option_argmax);
    EXPECT_EQ(option_weighted_median({ 0.0, 0.0, 0.0, 0.0, 1.0 }), 1);
    EXPECT_EQ(option_weighted_median({ 0.2, 0.2, 0.05, 0.3, 0.25 }), 2);   // cum .2 .4 .45 .75
}

TEST(EvalAnswer, OptionBadInput) {
    EXPECT_TRUE(read_answer_options({ NAN, 0, 0, 0, 0 }).unk());
    EXPECT_FALSE(read_answer_options({ NAN, 0, 0, 0, 0 }).has_probs);
    EXPECT_TRUE(read_answer_options({ INFINITY, 0, 0, 0, 0 }).unk());
    EXPECT_TRUE(read_answer_options({ -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY }).unk());
    EXPECT_THROW(read_answer_options({ 0, 0, 0, 0, 0 }, answer_rule::paper_text), palign::error);
    EXPECT_THROW(answer_from_probs({ 0.2, 0.2, 0.2, 0.2, 0.2 }, answer_rule::none), palign::error);
    // large logits do not overflow
    const answer big = read_answer_options({ 1000.0f, 999.0f, 0.0f, 0.0f, 0.0f });
    EXPECT_EQ(big.letter(), 'A');
    EXPECT_NEAR(big.probs[0], 1.0 / (1.0 + std::exp(-1.0)), 1e-6);
}

TEST(EvalAnswer, GivenValuesAndNames) {
    EXPECT_EQ(answer_from_value(4).letter(), 'B');
    EXPECT_EQ(answer_from_value(4).rule, answer_rule::given);
    EXPECT_TRUE(answer_from_value(0).unk());
    EXPECT_TRUE(answer_from_value(9).unk());
    EXPECT_TRUE(answer().unk());
    EXPECT_EQ(answer().letter(), '?');
    EXPECT_STREQ(answer_rule_name(answer_rule::paper_text), "paper_text");
    EXPECT_STREQ(answer_rule_name(answer_rule::option_argmax), "option_argmax");
    EXPECT_STREQ(answer_rule_name(answer_rule::option_median), "option_median");
}

// --protocol reference: the reference's re.search("[abcdeABCDE][^a-zA-Z]", text[:12]), checked against Python's re
TEST(EvalAnswer, ReferenceRuleAgreesWithPythonRe) {
    const std::vector<std::string> cases = {
        "\n\nOption (A). Very Accurate", "\n\nOption A", "\n\nOption: A", "\n\nOption: A.", "\n\nOption (E)", " Option (B). Mod",
        " Option B", " Option: C)", "\n\nOption", "A", "A.", "(A).", "a.", "B", "b) Moderately", " C", "\n\nD. Moderately",
        "e", "E:", "Answer: B", "Option (C)", "I am (C)", "My answer: D", "1. E", "A1", "Based on", "I think", "I'd say", "",
        "   ", "Answer", "Accurate", "The statement (B)", "My answer is: B", "F", "bad", "Bad.", "ace", "Ace!", "cab ", "dB",
        "xxxxxxxxx (C)", "xxxxxxxxx (Cx", "xxxxxxxxxx C", "xxxxxxxxxxxC ", "xxxxxxxxxC d", "\n\nOption\n(D)", "\tE\t", "e\u00e9",
        "caf\u00e9 A)", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9 A.", "\u4f60\u597d\u4f60\u597d\u4f60\u597d\u4f60\u597d\u4f60 B)",
        "\xff\xfe A.", "ok\xe2\x82 C.", "\xe2\x82\xe2\x82\xe2\x82\xe2\x82\xe2\x82 A.", "Z E", "<|eot_id|>", "A<|eot_id|>",
        "\n\nOption\n\nA", "d\n", "Cc", "C c", "12345678901A ", "1234567890A ",
    };
    ASSERT_GE(cases.size(), 50u);
    const std::string dir = "/tmp/palign-test-answer-" + std::to_string(getpid());
    const std::string in = dir + ".hex";
    {
        std::ofstream f(in);
        for (const auto & c : cases) {
            for (unsigned char ch : c) { char h[3]; snprintf(h, sizeof(h), "%02x", ch); f << h; }
            f << "\n";
        }
    }
    FILE * p = popen(("/usr/bin/python3 " PALIGN_SOURCE_DIR "/tests/scripts/reference_parse.py " + in + " 2>/dev/null").c_str(), "r");
    std::vector<std::string> want;
    char buf[64];
    while (p && fgets(buf, sizeof(buf), p)) { std::string l = buf; while (!l.empty() && l.back() == '\n') l.pop_back(); want.push_back(l); }
    const int rc = p ? pclose(p) : -1;
    std::remove(in.c_str());
    if (rc != 0 || want.size() != cases.size()) GTEST_SKIP() << "/usr/bin/python3 missing or the reference script failed";
    int n_unk = 0, n_diff_from_palign = 0;
    for (size_t i = 0; i < cases.size(); i++) {
        const answer a = read_answer_reference(cases[i]);
        EXPECT_EQ(a.rule, answer_rule::reference_text);
        const std::string got = a.unk() ? "UNK" : std::string(1, a.letter());
        EXPECT_EQ(got, want[i]) << "text: \"" << cases[i] << "\"";
        n_unk += a.unk();
        n_diff_from_palign += read_answer_text(cases[i]).value != a.value;
    }
    // the table holds both outcomes and strings where the two rules disagree ("Based on", "A")
    EXPECT_GT(n_unk, 5);
    EXPECT_LT(n_unk, (int) cases.size() - 5);
    EXPECT_GT(n_diff_from_palign, 5);
    EXPECT_EQ(read_answer_reference("Based on").letter(), 'D');
    EXPECT_EQ(read_answer_text("Based on").letter(), '?');
    EXPECT_TRUE(read_answer_reference("A").unk());
    EXPECT_EQ(read_answer_text("A").letter(), 'A');
}
