// Reports: scores and personality profiles as JSON, CSV and printable tables; all-or-nothing file writes.
//
// Scores JSON (keys in this order):
//   { "inventory": "big5"|"sd3", "label": ..., "traits": [...],
//     "summary": { "mean_O", "std_O", "mean_O_abs", "std_O_abs", ..., "composite" },   (see eval/scores.h)
//     "summary_n": { same keys: number of subjects averaged },
//     "alpha_select": "cv" | "oracle" (steered methods only: how each subject's alpha was chosen),
//     "n": subjects attempted, "n_ok": subjects with a full set of traits (the summary's subjects),
//     "failures": [ { "subject", "cause" } ] (every attempted subject not in the summary: a fit that failed, a trait
//                 with no scored item), "n_subjects": subjects with item records (below),
//     "n_subjects", "n_items", "n_used", "n_unk", "n_missing", "counts": { "A".."E", "UNK" },
//     "subjects": [ { "subject", "composite", "mean_O", ... (the summary fields for this subject), ["alpha"] (steered),
//                     "n_unk", "n_missing",
//                     "traits": { "O": { "n_items", "n", "n_unk", "n_missing", "counts": {...} }, ... },
//                     "items": [ { "id", "trait", "key": "+"|"-", "model": "A".."E"|"UNK", "model_value": 5..1|0,
//                                  "subject": 0..5, "error": 0..4|null, "keyed": 1..5|0, "rule",
//                                  ["probs": [pA..pE], "expected", "entropy"] (option mode only) } ] } ] }
// Subjects CSV: subject,<summary fields...>,n_used,n_unk,n_missing - one row per subject, then a row "mean".
// Items CSV:    subject,item,trait,key,model,model_value,subject_value,error,keyed,rule,p_A,p_B,p_C,p_D,p_E
// Undefined numbers: JSON null, CSV empty.
#pragma once

#include "eval/profile.h"
#include "eval/scores.h"
#include "util/fs_util.h"   // write_files_atomic, write_file_atomic (reports are written with them)

#include <string>
#include <vector>

namespace palign {

std::string scores_json(const scores & sc, int indent = 1);
std::string scores_subjects_csv(const scores & sc);
std::string scores_items_csv(const scores & sc);

// write <prefix>.json, <prefix>.csv (subjects) and <prefix>.items.csv; all three are written to temporary files
// first and renamed into place only when all were written, so a failure leaves none of them half-written.
// Returns the three paths.
std::vector<std::string> write_scores(const scores & sc, const std::string & prefix);

// a printable table of a personality profile (domains, each followed by its facets)
std::string profile_table(const personality_profile & p);
std::string profile_json(const personality_profile & p, int indent = 1);

} // namespace palign
