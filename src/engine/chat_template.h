// Chat prompts: renders system/user/assistant turns with the model's own Jinja chat template.
#pragma once

#include <map>
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

// a --date value: YYYY-MM-DD (month 1..12, day 1..31), else an error naming the flag
void check_chat_date(const std::string & date);

// Render `msgs` for generation. With an empty assistant_prefix this is the usual generation prompt.
// With a prefix (e.g. the answer letter "A"), the text is what the template writes before an
// assistant message's content, followed by the prefix, with no end-of-turn after it: the prefix's
// tokens are the last tokens of the prompt.
std::string chat_render(const model & m, const std::vector<chat_msg> & msgs,
                        const std::string & assistant_prefix = "", const chat_options & opts = {});

// chat_render + tokenize the way llama.cpp's tools do (BOS as the vocab asks, special tokens parsed)
std::vector<int> chat_tokens(const model & m, const std::vector<chat_msg> & msgs,
                             const std::string & assistant_prefix = "", const chat_options & opts = {});

// The reference code's prompt format (PAS's Python, prompt_to_tokens), for --protocol reference:
//   Llama-3 models (a chat template with <|start_header_id|>; the reference tests 'llama-3' in the model name) get
//   their chat template, the assistant turn prefilled with `prefill` (apply_chat_template(...)[:-1]: no end of
//   turn), with the BOS first (the text HF renders starts with it; llama.cpp's render leaves it to the tokenizer);
//   every other model gets Llama-2 text, whatever its own template:
//     "[INST] " + strip("<<SYS>>\n" + system + "\n<</SYS>>\n\n" + strip(user)) + " [/INST] " + strip(prefill)
//   tokenized with the vocabulary's BOS (tokenizer(text).input_ids).
// The reference then parses the decoded prompt and continuation after the last "<|end_header_id|>" (Llama-3) or
// "[/INST]" (the others): reference_answer_marker.
bool reference_uses_chat_template(const model & m);
std::string reference_render(const model & m, const std::string & system, const std::string & user, const std::string & prefill,
                             const chat_options & opts = {});
std::vector<int> reference_tokens(const model & m, const std::string & system, const std::string & user, const std::string & prefill,
                                  const chat_options & opts = {});
const char * reference_answer_marker(const model & m);

} // namespace palign

namespace palign {

// Many prompts that differ only in the user message (questionnaire items under one system prompt):
// renders the template once around a placeholder and tokenizes the shared head once. The fast path is
// checked against a full render + tokenization on the first prompt of each assistant prefix and used only
// if it gives the very same tokens (templates that change the content, or tokenizers that merge across the
// boundary, fall back to the full path).
class prompt_builder {
public:
    prompt_builder(const model & m, std::string system, chat_options opts = {});

    // tokens of chat(system, user) followed by assistant_prefix (as chat_tokens)
    std::vector<int> tokens(const std::string & user, const std::string & assistant_prefix);

    bool fast() const { return fast_; }   // last call used the fast path

private:
    struct parts {
        bool checked = false, ok = false;
        std::string tail;                 // text after the user content (includes the assistant prefix)
    };
    const model & m_;
    std::string system_;
    chat_options opts_;
    bool head_ready_ = false, head_ok_ = false;
    std::vector<int> head_tokens_;        // tokens of the text before the user content
    std::map<std::string, parts> parts_;  // per assistant prefix
    bool fast_ = false;
};

} // namespace palign
