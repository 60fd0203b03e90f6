// Reference predictors: answers that need no model, computed from exactly what the LLM methods see (the subject's
// answers to the align items), to put beside every evaluation.
//
//   constant          3 ("Neither Accurate Nor Inaccurate") for every item
//   subject-median    the median of all the subject's align answers
//   trait-key-median  the median of the align answers of the item's trait and key direction (+/-)
//   facet-key-median  the median of the align answers of the item's facet and key direction; inventories without
//                     facets (SD-3) have none, so there it equals trait-key-median
// Only answered align items (1..5) count. A group without any answer falls back, in this order:
//   facet + key -> trait + key -> trait -> all align answers -> 3
// (each predictor starts at its own level: trait-key-median at trait + key, subject-median at all).
// Median of an even count: the LOWER middle value by default (median_middle::lower); median_middle::upper takes
// the upper one. Answers carry answer_rule::given and no probabilities.
#pragma once

#include "data/inventory.h"
#include "data/subjects.h"
#include "eval/answer.h"
#include "eval/scores.h"

#include <string>
#include <vector>

namespace palign {

enum class predictor { constant, subject_median, trait_key_median, facet_key_median };

const char * predictor_name(predictor p);                 // "constant", "subject-median", "trait-key-median", "facet-key-median"
predictor predictor_from_name(const std::string & name);  // throws palign::error with the list of names
bool is_predictor_name(const std::string & name);
const std::vector<predictor> & all_predictors();          // in the order above

enum class median_middle { lower, upper };                // which middle value an even count takes

// median of values (any order; must not be empty) with the given even-count rule
int median_value(std::vector<int> values, median_middle mid = median_middle::lower);

// one answer per eval item (same order), from the subject's answers to the align items
std::vector<answer> predict_items(predictor p, const inventory & inv, const subject & s,
                                  const std::vector<const item *> & align, const std::vector<const item *> & eval,
                                  median_middle mid = median_middle::lower);

// predict and score every subject on the eval items; label defaults to the predictor's name
scores predict_scores(predictor p, const inventory & inv, const std::vector<subject> & subjects,
                      const std::vector<const item *> & align, const std::vector<const item *> & eval,
                      median_middle mid = median_middle::lower, const std::string & label = "");

} // namespace palign
