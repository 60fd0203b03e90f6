// Chat prompts: renders system/user/assistant turns with the model's own Jinja chat template.
#pragma once

#include <string>
#include <vector>

namespace palign {

class model;

struct chat_msg {
    std::string role;     // "system", "user", "assistant"
    std::string content;
};

struct chat_options {
    bool enable_thinking = false;          // Qwen3 & co: thinking turned off (an empty think block)
    std::string date     = "2024-07-26";   // fixed date for templates that print today's date (Llama-3.x)
};

// Render `msgs` for generation. With an empty assistant_prefix this is the usual generation prompt.
// With a prefix (e.g. the answer letter "A"), the text is what the template writes before an
// assistant message's content, followed by the prefix, with no end-of-turn after it: the prefix's
// tokens are the last tokens of the prompt.
std::string chat_render(const model & m, const std::vector<chat_msg> & msgs,
                        const std::string & assistant_prefix = "", const chat_options & opts = {});

// chat_render + tokenize the way llama.cpp's tools do (BOS as the vocab asks, special tokens parsed)
std::vector<int> chat_tokens(const model & m, const std::vector<chat_msg> & msgs,
                             const std::string & assistant_prefix = "", const chat_options & opts = {});

} // namespace palign
