// Ask: a model answers questionnaire items (batched, prefix-shared), in option mode (one forward pass, the
// next-token distribution over the five option letters) or the paper's generation mode (greedy text, parsed).
#pragma once

#include "data/inventory.h"
#include "engine/chat_template.h"
#include "eval/answer.h"

#include <array>
#include <string>
#include <vector>

namespace palign {

class context;
class model;
struct steering;

enum class answer_mode { option, generate };
const char * answer_mode_name(answer_mode m);   // "option", "generate"

struct ask_params {
    answer_mode  mode       = answer_mode::option;
    answer_rule  rule       = answer_rule::option_argmax;   // option mode: option_argmax or option_median
    int          n_generate = 15;                           // generation mode: greedy tokens per item (paper: 15)
    chat_options chat;                                      // thinking off, fixed date
};

// Token ids of the option letters A..E as this model writes them as the first token of its answer after
// this system prompt and question (e.g. "A", " A" or "▁A"): the last token of the prompt ending in each
// letter. Throws if the letters do not share the same prompt before them (a tokenizer that merges the
// letter with what precedes it).
std::array<int, 5> option_token_ids(const model & m, const std::vector<chat_msg> & msgs, const chat_options & opts = {});

// Ask every item with the same system prompt and steering (nullptr = none); answers in item order.
std::vector<answer> ask_items(context & ctx, inventory_kind kind, const std::vector<const item *> & items,
                              const std::string & system, const steering * steer, const ask_params & p = {});

} // namespace palign
