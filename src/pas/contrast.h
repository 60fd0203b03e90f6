// Contrast set: every head's output at the answer token of each align item's "A" and "E" prompts.
// It does not depend on the subject: computed once per model and prompt settings, cached on disk.
#pragma once

#include "data/inventory.h"
#include "data/prompts.h"
#include "engine/chat_template.h"

#include <string>
#include <vector>

namespace palign {

class context;
class progress;

struct contrast_params {
    std::string system;            // system prompt of the contrast prompts (the paper: the default one)
    chat_options chat;
    std::string cache_dir;         // "" = no disk cache
    prompt_style style = prompt_style::palign;   // reference: the reference code's template and prompt format
};

struct contrast_set {
    std::vector<std::string> item_ids;   // align items, in order
    int n_layer = 0, n_head = 0, head_dim = 0;
    std::vector<float> pos;              // [item][layer][head][dim] at the "A" token
    std::vector<float> neg;              // same at the "E" token
    size_t stride() const { return (size_t) n_layer * n_head * head_dim; }
    const float * at(bool positive, size_t item) const { return (positive ? pos : neg).data() + item * stride(); }
};

// capture (or load from the cache) the contrast set of these items; bar (optional): stepped by the prompts captured
// (2 per item; all at once from the cache)
contrast_set contrast_capture(context & ctx, inventory_kind kind, const std::vector<const item *> & items,
                              const contrast_params & p, bool * from_cache = nullptr, progress * bar = nullptr);

// the cache file for these settings: <cache_dir>/contrast-<key>.bin
std::string contrast_cache_path(context & ctx, inventory_kind kind, const std::vector<const item *> & items,
                                const contrast_params & p);

// the cache file name for these settings (model identity + prompt settings + items)
std::string contrast_cache_key(context & ctx, inventory_kind kind, const std::vector<const item *> & items,
                               const contrast_params & p);

} // namespace palign
