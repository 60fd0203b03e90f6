// Runner: `palign eval` — several methods over a range of subjects with one model load, progress with ETA,
// a checkpoint per finished subject (resume by rerunning), and the final tables and reports.
#pragma once

#include "eval/protocol.h"

#include <string>
#include <vector>

namespace palign {

class context;

struct runner_params {
    std::string out_dir;
    std::vector<eval_method> methods = {eval_method::pas};
    inventory_kind kind = inventory_kind::big5;
    int first = 0, last = 300;          // subjects [first, last) in file order
    std::string data_dir;
    std::string contrast_cache;         // "" = no disk cache for the contrast set
    eval_params eval;
    bool progress = true;               // progress line on stderr
    int stop_after = -1;                // testing: stop (as if interrupted) after this many new subjects
};

struct method_summary {
    eval_method method;
    scores sc;                          // aggregated over the finished subjects of the range
    int n_failed = 0;                   // subjects where the method could not run (reason in the .jsonl)
    std::vector<double> alphas;         // PAS: the chosen alpha per subject
};

// runs (or resumes) and writes DIR/<method>.{json,csv,items.csv}; returns the summaries
// ctx may be null when every method is a predictor
std::vector<method_summary> run_eval(context * ctx, const runner_params & p);

// the table printed at the end (per trait mean error, composite, answer counts, chosen alphas)
std::string summary_table(const inventory & inv, const std::vector<method_summary> & ms, const eval_params & p);

} // namespace palign
