// Align: fit PAS for one person from their answers and make their steering file (alpha by cross-validation
// over their own answers, or given). Used by palign align and palign serve's POST /v1/profiles.
#pragma once

#include "data/inventory.h"
#include "data/subjects.h"
#include "eval/protocol.h"
#include "pas/steer_file.h"

#include <cmath>
#include <string>

namespace palign {

class context;

struct align_params {
    eval_params e;                     // ask, PAS parameters, alpha grid, folds, seed
    double alpha = NAN;                // NaN: chosen by cross-validation
    std::string contrast_cache;        // folder caching contrast activations per model ("" = off)
    bool progress = false;             // stages and progress bars on stderr (util/progress.h): contrast, probes, alpha cv
};

struct align_result {
    steer_file file;
    cv_result cv;                      // alpha_select == "cv" only
    int n_unused = 0;                  // answered items outside the align set
    int n_probes = 0, n_not_converged = 0, n_tied_at_cut = 0;   // the final fit's probes (pas/direction.h)
    std::vector<std::string> warnings; // one line each: alpha 0 or at the grid's edge, probes, ties (with what to do)
};

// the warning when --k asks for more heads than the model has (PAS then keeps all of them)
void warn_if_k_beyond_heads(int k, const model_info & info);

// throws (naming `source`) when fewer than 8 align items are answered
align_result align_person(context & ctx, const inventory & inv, const subject & person, const align_params & p,
                          const std::string & source);

} // namespace palign
