// Run data for palign report: what eval/compare.h does not keep, read from the same files.
//
// From DIR/<method>.json (eval/report.h): per subject the model's keyed trait means (mean_<T>) and the subject's own
// keyed trait means over the evaluation items they answered (1..5; reverse-keyed items as 6 - answer), and every item
// record with option probabilities (for the reliability diagram, eval/calibration.h).
// From DIR/<method>.jsonl (PAS; eval/run_store.h): per subject with a fit (no "error") the chosen alpha, the alpha
// curve [[alpha, composite], ...] (composite on the selection items: the held-out align answers for cv, the
// evaluation items for the oracle) and the selected heads (steering.heads[].layer/.head).
#pragma once

#include "eval/compare.h"
#include "eval/scores.h"

#include <string>
#include <utility>
#include <vector>

namespace palign {

struct run_subject {
    std::string id;
    std::vector<double> model_mean;     // per trait (the run's order): mean_<T> of the report, NaN if null
    std::vector<double> subject_mean;   // per trait: the subject's keyed mean over the evaluation items, NaN if none
    std::vector<item_record> items;     // the item records with option probabilities (none without them)
};

struct pas_subject {
    std::string id;
    double alpha = NAN;
    std::vector<std::pair<double, double>> curve;   // (alpha, composite), composite NaN where undefined
    std::vector<std::pair<int, int>> heads;          // (layer, head)
};

struct method_data {
    std::vector<run_subject> subjects;   // report order
    std::vector<pas_subject> pas;        // PAS fits in file order (empty for other methods)
};

// the extras of one method of a run (load_runs gives its dir and method); throws palign::error naming file and field
method_data load_method_data(const method_run & m);

} // namespace palign
