// Profile pages (palign test --html, palign quiz --score --html): personality profiles side by side as radar charts
// (domains; for the Big Five also the 30 facets) with a table of every mean, raw score and count.
// Series = the profiles given (the person, the plain model, the steered model); values = profile means (eval/profile.h:
// keyed answers averaged over the answered items, 1..5); a profile without facets (a steering file's person) draws none.
#pragma once

#include "eval/profile.h"

#include <string>
#include <vector>

namespace palign {

struct profile_entry {
    std::string label;          // "you (me.json)", "plain model", "steered (alpha 4)"
    personality_profile p;
};

std::string profile_report_html(const std::string & title, const std::vector<profile_entry> & entries, const std::string & note);

} // namespace palign
