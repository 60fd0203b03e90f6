// Tests: PAPI test subjects, one person's answer file, personality descriptions, missing answers.
#include "data/subjects.h"
#include "util/error.h"
#include "util/paths.h"

#include "inventories.h"

#include <gtest/gtest.h>

#include <chrono>

using namespace palign;

TEST(DataSubjects, Big5TestSubjects) {
    const auto t0 = std::chrono::steady_clock::now();
    auto subjects = load_subjects(big5(), data_dir());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    printf("loaded %zu Big Five subjects in %.1f ms\n", subjects.size(), ms);
    EXPECT_LT(ms, 1000.0);
    ASSERT_EQ(subjects.size(), 300u);
    const subject & s0 = subjects[0];
    EXPECT_EQ(s0.id, "172481");
    EXPECT_EQ(s0.country, "USA");
    EXPECT_EQ(s0.answer("i1"), 3);
    EXPECT_EQ(s0.answer("i2"), 4);
    EXPECT_EQ(s0.answer("i7"), 5);
    EXPECT_EQ(s0.answers.size(), 300u);   // metadata (sex, age, ...) is not an answer
    EXPECT_EQ(subjects.back().id, "277815");
    // not answered: 0, counted
    const subject & s4 = subjects[4];
    EXPECT_EQ(s4.id, "223548");
    EXPECT_EQ(s4.answer("i156"), 0);
    auto all = item_set(big5(), "ipip-neo-300");
    EXPECT_EQ(s4.n_answered(all), 299);
    int zeros = 0, complete = 0;
    for (const auto & s : subjects) {
        const int n = s.n_answered(all);
        zeros += 300 - n;
        complete += n == 300;
    }
    EXPECT_EQ(zeros, 52);
    EXPECT_EQ(complete, 259);
    EXPECT_EQ(find_subject(subjects, "223548"), 4);
    EXPECT_EQ(find_subject(subjects, "nobody"), -1);
}

TEST(DataSubjects, Sd3TestSubjects) {
    auto subjects = load_subjects(sd3(), data_dir());
    ASSERT_EQ(subjects.size(), 300u);
    EXPECT_EQ(subjects[0].id, "0");
    EXPECT_EQ(subjects[0].country, "CN");
    EXPECT_EQ(subjects[0].answer("M1"), 4);
    EXPECT_EQ(subjects[0].answer("M8"), 1);
    EXPECT_EQ(subjects[0].answer("P7"), 5);
    EXPECT_EQ(subjects[0].answers.size(), 27u);
    EXPECT_EQ(subjects[299].id, "299");
    auto all = item_set(sd3(), "sd3");
    int zeros = 0;
    for (const auto & s : subjects) zeros += 27 - s.n_answered(all);
    EXPECT_EQ(zeros, 17);
}

TEST(DataSubjects, AnswerFile) {
    subject s = load_answer_file(PALIGN_TEST_FIXTURES_DIR "/answers_big5.json", big5());
    EXPECT_EQ(s.id, "answers_big5");
    EXPECT_EQ(s.answer("i1"), 5);
    EXPECT_EQ(s.answer("i2"), 1);
    EXPECT_EQ(s.answer("i99"), 2);
    EXPECT_EQ(s.answer("i156"), 0);   // 0 = not answered
    EXPECT_EQ(s.answer("i3"), 0);     // missing = not answered
    EXPECT_EQ(s.n_answered(item_set(big5(), "ipip-neo-300")), 4);
    EXPECT_EQ(s.n_answered(item_set(big5(), "align")), 3);   // i1, i2, i99 (i300 is an eval item)

    subject d = load_answer_file(PALIGN_TEST_FIXTURES_DIR "/answers_sd3.json", sd3());
    EXPECT_EQ(d.id, "answers_sd3");
    EXPECT_EQ(d.answer("M1"), 4);
    EXPECT_EQ(d.answer("N2"), 5);
    EXPECT_EQ(d.answer("P7"), 0);     // null = not answered
    EXPECT_EQ(d.n_answered(item_set(sd3(), "sd3")), 2);
}

TEST(DataSubjects, PersonalityPrompts) {
    auto p = load_personality_prompts(data_dir());
    EXPECT_EQ(p.size(), 300u);
    ASSERT_TRUE(p.count("172481"));
    EXPECT_EQ(p["172481"].rfind("You are a complex individual with a mix of traits", 0), 0u);
    auto subjects = load_subjects(big5(), data_dir());
    for (const auto & s : subjects) EXPECT_TRUE(p.count(s.id)) << s.id;
}
