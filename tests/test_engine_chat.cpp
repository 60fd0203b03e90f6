// Engine: chat prompts from each template family end in the answer letter (A and E differ in their last token).
#include "engine/chat_template.h"
#include "engine/model.h"
#include "testlib.h"

#include <gtest/gtest.h>

using namespace palign;

static const std::vector<chat_msg> k_msgs = {
    {"system", "You are a helpful, honest and concise assistant."},
    {"user", "Given a statement of you: \"You worry about things.\"\nOptions:\n(A). Very Accurate\n(E). Very Inaccurate"},
};

class chat_family : public ::testing::TestWithParam<std::string> {};

TEST_P(chat_family, answer_letter_is_the_last_token) {
    model m({palign_test::model_path(GetParam())});
    std::vector<int> a = chat_tokens(m, k_msgs, "A");
    std::vector<int> e = chat_tokens(m, k_msgs, "E");
    ASSERT_EQ(a.size(), e.size());
    ASSERT_GT(a.size(), 10u);
    EXPECT_NE(a.back(), e.back()) << "positive and negative prompts must differ in their last token";
    EXPECT_TRUE(std::equal(a.begin(), a.end() - 1, e.begin())) << "everything before the answer is shared";
    // the last token is the letter itself (possibly with the space the template puts before content)
    std::string last = m.token_to_piece(a.back());
    EXPECT_NE(last.find('A'), std::string::npos) << "last piece '" << last << "'";
    // no end-of-turn after the letter
    EXPECT_FALSE(m.is_eog(a.back()));
    // the generation prompt is a prefix of the answer prompt (up to the template's space before content)
    std::string gen = chat_render(m, k_msgs);
    std::string ans = chat_render(m, k_msgs, "A");
    EXPECT_EQ(ans.substr(0, gen.size()), gen) << "gen:\n" << gen << "\nans:\n" << ans;
}

INSTANTIATE_TEST_SUITE_P(families, chat_family, ::testing::Values("llama3", "llama2", "mistral", "qwen3"));

TEST(engine_chat, qwen3_thinking_off) {
    model m({palign_test::model_path("qwen3")});
    std::string p = chat_render(m, k_msgs, "A");
    EXPECT_NE(p.find("<|im_start|>assistant\n<think>\n\n</think>\n\nA"), std::string::npos) << p;
    EXPECT_EQ(p.substr(p.size() - 1), "A");
}

TEST(engine_chat, llama2_space_before_answer) {
    model m({palign_test::model_path("llama2")});
    std::string p = chat_render(m, k_msgs, "A");
    EXPECT_NE(p.find("<<SYS>>\nYou are a helpful, honest and concise assistant.\n<</SYS>>"), std::string::npos) << p;
    EXPECT_EQ(p.substr(p.size() - 9), "[/INST] A") << p;
}

TEST(engine_chat, mistral_inst) {
    model m({palign_test::model_path("mistral")});
    std::string p = chat_render(m, k_msgs, "E");
    EXPECT_EQ(p.substr(p.size() - 9), "[/INST] E") << p;
    EXPECT_NE(p.find("You are a helpful, honest and concise assistant.\n\nGiven"), std::string::npos) << p;
}

TEST(engine_chat, llama3_date_is_fixed) {
    model m({palign_test::model_path("llama3")});
    chat_options o;
    std::string p = chat_render(m, k_msgs, "A", o);
    EXPECT_NE(p.find("Today Date: 26 Jul 2024"), std::string::npos) << p;
    o.date = "2025-03-01";
    EXPECT_NE(chat_render(m, k_msgs, "A", o).find("Today Date: 01 Mar 2025"), std::string::npos);
    EXPECT_EQ(p.substr(p.size() - 1), "A");
    EXPECT_NE(p.find("<|start_header_id|>assistant<|end_header_id|>\n\nA"), std::string::npos) << p;
}
