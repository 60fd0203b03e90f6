// Quiz score: a person's profile from their answers file (palign quiz at the end, palign quiz --score FILE): per domain
// and facet (IPIP-NEO) or trait (SD-3) the raw score and the mean on the 1..5 scale with reverse keying (eval/profile.h).
// Percentiles: palign ships no norms whose source and licence are stated (data/papi/README.md), so none are shown.
#pragma once

#include "eval/profile.h"
#include "quiz/quiz.h"

#include <map>
#include <string>

namespace palign {

// said wherever percentiles would be
extern const char * const QUIZ_NO_NORMS;

// the profile over the quiz's item set (inventory order)
personality_profile quiz_profile(const inventory & inv, const quiz_inventory & qi, const std::map<std::string, int> & answers);

// the printed score: a heading naming `source`, the profile table, what the numbers mean, the norms line, and the next step
std::string quiz_score_text(const personality_profile & p, const quiz_inventory & qi, const std::string & source);

// the inventory an answers file is for, from its keys: SD-3 ids -> sd3; a recorded Big Five item outside the
// IPIP-NEO-120 -> big5-300; else big5. Throws (naming the file) when it is not a JSON object.
std::string quiz_inventory_of_file(const std::string & path, const std::string & data_dir);

} // namespace palign
