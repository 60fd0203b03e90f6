// PAS for one subject: the subject's labelled contrast samples, the fit, and the engine steering it gives.
#pragma once

#include "data/subjects.h"
#include "engine/steering.h"
#include "pas/contrast.h"
#include "pas/direction.h"

#include <vector>

namespace palign {

struct model_info;

// A subject's samples over some contrast items: answer 4-5 -> (A=1, E=0); 1-2 -> (A=0, E=1);
// 3 or unanswered -> the pair is left out (counted).
struct pas_samples {
    std::vector<float> x;          // [2*n_pairs][n_layer][n_head][head_dim]
    std::vector<int> y;            // [2*n_pairs]
    std::vector<std::string> item_ids;   // the pairs' items
    int n_neutral = 0, n_missing = 0;
    pas_data view(const contrast_set & cs, const std::string & subject) const;
};

// items: indices into cs.item_ids (all of them if empty)
pas_samples pas_subject_samples(const contrast_set & cs, const subject & s, const std::vector<int> & items = {});

// fit PAS for a subject over those contrast items
pas_fit pas_fit_items(const contrast_set & cs, const subject & s, const std::vector<int> & items, const pas_params & p);

// engine steering for a fit at this alpha (kept heads get alpha * sigma * direction)
steering pas_make_steering(const pas_fit & fit, double alpha, const model_info & info);

} // namespace palign
