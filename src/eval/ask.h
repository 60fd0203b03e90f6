// Ask: a model answers questionnaire items (batched, prefix-shared), in option mode (one forward pass, the
// next-token distribution over the five option letters) or generation mode (greedy text as the paper, parsed).
#pragma once

#include "data/inventory.h"
#include "data/prompts.h"
#include "engine/chat_template.h"
#include "eval/answer.h"

#include <array>
#include <string>
#include <vector>

namespace palign {

class context;
class model;
class progress;
struct steering;

enum class answer_mode { option, generate };
const char * answer_mode_name(answer_mode m);   // "option", "generate"

struct ask_params {
    answer_mode  mode       = answer_mode::option;
    answer_rule  rule       = answer_rule::option_argmax;   // option mode: option_argmax or option_median
    int          n_generate = 15;                           // generation mode: greedy tokens per item (paper: 15)
    chat_options chat;                                      // thinking off, fixed date
    // reference (--protocol reference): the reference code's item template and prompt format (data/prompts.h,
    // engine/chat_template.h); in generation mode the assistant turn is prefilled with "Option" and the answer is
    // read with the reference's rule (eval/answer.h: read_answer_reference) from what the reference parses
    prompt_style style = prompt_style::palign;
};

// the reference's generation prefill
extern const char * const REFERENCE_PREFILL;   // "Option"

// what the reference parses for one generated answer: the decoded prompt + continuation after the last assistant
// marker (the prefill, e.g. "\n\nOption", then the continuation, with the end-of-turn token written out)
std::string reference_answer_text(const model & m, const std::string & prompt_text, const std::vector<int> & generated, int stop_token);

// Token ids of the option letters A..E as this model writes them as the first token of its answer after
// this system prompt and question (e.g. "A", " A" or "▁A"): the last token of the prompt ending in each
// letter. Throws if the letters do not share the same prompt before them (a tokenizer that merges the
// letter with what precedes it).
std::array<int, 5> option_token_ids(const model & m, const std::vector<chat_msg> & msgs, const chat_options & opts = {},
                                    prompt_style style = prompt_style::palign);

// Ask every item with the same system prompt and steering (nullptr = none); answers in item order.
// bar (optional): stepped by the items answered, as each batch finishes
std::vector<answer> ask_items(context & ctx, inventory_kind kind, const std::vector<const item *> & items,
                              const std::string & system, const steering * steer, const ask_params & p = {},
                              progress * bar = nullptr);

} // namespace palign
