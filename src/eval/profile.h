// Profile: a model's own personality from its answers to a questionnaire (IPIP-NEO-120/-300 or SD-3):
// domain (trait) and facet raw scores and means of the keyed answers.
//
//   raw  = sum of keyed answers (answer, or 6 - answer for reverse-keyed items) over the ANSWERED items
//   mean = raw / n_answered (NaN if none); UNK / 0 answers are left out and counted (n_items - n_answered).
// With unanswered items raw sums are not comparable to complete ones; compare means then.
// Facets exist for the Big Five only (30 facets: O1..O6, C1..C6, E1..E6, A1..A6, N1..N6).
#pragma once

#include "data/inventory.h"
#include "eval/answer.h"
#include "eval/ask.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace palign {

struct profile_row {
    std::string key;         // "O" or facet "O1" / "M"
    std::string name;        // "Openness", "Imagination", "Machiavellianism"
    int n_items    = 0;      // items of the set in this row
    int n_answered = 0;      // of them, answered (1..5)
    int raw        = 0;      // sum of keyed answers over answered items
    double mean    = NAN;    // raw / n_answered
};

struct personality_profile {
    inventory_kind kind = inventory_kind::big5;
    std::string set;                       // "ipip-neo-120", "ipip-neo-300", "sd3", ...
    int n_items = 0, n_answered = 0, n_unk = 0;
    std::vector<profile_row> domains;      // inventory trait order
    std::vector<profile_row> facets;       // Big Five: by domain order then facet number; SD-3: empty
};

// values: item id -> answer value 1..5 (0 or absent = UNK); items: the questionnaire asked
personality_profile compute_profile(const inventory & inv, const std::vector<const item *> & items,
                                    const std::map<std::string, int> & values, const std::string & set_label);

// the same with answers parallel to items (sizes must match)
personality_profile compute_profile(const inventory & inv, const std::vector<const item *> & items,
                                    const std::vector<answer> & answers, const std::string & set_label);

// a profile with only domain rows, their means from `means` (trait key -> mean; absent = NaN): e.g. a steering
// file's person, whose keyed means over the align answers are all it keeps
personality_profile domain_profile(const inventory & inv, const std::map<std::string, double> & means, const std::string & set_label);

// a model's own profile on a questionnaire, plain and, with `st`, steered (palign test, palign serve users)
struct model_profiles {
    personality_profile plain, steered;
    bool has_steered = false;
};
// show_progress: a progress bar per pass on stderr ("test plain", "test steered"; util/progress.h)
model_profiles ask_profiles(context & ctx, const inventory & inv, const std::vector<const item *> & items,
                            const std::string & set_label, const std::string & system, const steering * st, const ask_params & ap,
                            bool show_progress = false);

} // namespace palign
