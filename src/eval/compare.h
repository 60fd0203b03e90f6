// Compare: methods side by side with bootstrap confidence intervals — `palign compare RUN_DIR...` and the end of a
// multi-method `palign eval`.
//
// Input: the final scores reports DIR/<method>.json (format in eval/report.h) of one or more run directories (a
// path may also name one report file). Every *.json in a directory that is a scores report (has "inventory",
// "summary" and "subjects") is a method; config.json and other JSON files are skipped. The per-subject values are
// read as written (mean_<T>_abs per trait, composite), the answer rules and option probabilities from the item
// records (for the log-loss, eval/calibration.h). PAS: the chosen alpha per subject is read from DIR/pas.jsonl when it
// is there, the alpha selection from the report label ("... (alpha selection: eval (oracle))" / "(... cv)"), else from
// the jsonl's "alpha_select", else from DIR/config.json.
// Labels: "<dir basename>/<method>", plus " [oracle]" or " [cv]" for PAS, so that the paper's alpha (chosen on the
// evaluation items) and the honest one (cross-validated on the align items) stand side by side; labels that would
// collide use the path as given instead of the basename, then "#2", "#3".
//
// Statistics, all on the SHARED subjects (in every method's report with a finite composite; the order of the first
// method's report):
//   per method, per trait (mean_<T>_abs) and composite: the mean over subjects and a percentile bootstrap interval
//   per pair (A, B), A before B: the paired difference A - B per subject, its mean and bootstrap interval
//   (negative = A has the smaller error); '*' in the table when the interval excludes 0
//   log-loss (option mode only): mean and interval over the shared subjects where it is defined
// Bootstrap: n_boot resamples of the subjects with replacement; resample b draws n indices with palign::rng(seed)
// (rng::below(n)), row after row, so every statistic over the same n subjects uses the same resamples (paired).
// Interval = the (1-level)/2 and (1+level)/2 quantiles of the n_boot resample means, linear interpolation between
// order statistics (numpy's default). Same seed -> same interval; a method against itself -> 0 [0, 0].
#pragma once

#include "data/inventory.h"
#include "eval/scores.h"

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace palign {

struct interval {
    double mean = NAN;   // the mean over subjects
    double lo = NAN;     // bootstrap interval
    double hi = NAN;
    int    n = 0;        // subjects
};

struct compare_params {
    int      n_boot = 2000;
    uint64_t seed   = 42;
    double   level  = 0.95;
};

// percentile bootstrap interval of the mean (see above); values must be finite; empty -> all NaN, n = 0
interval bootstrap_mean(const std::vector<double> & values, const compare_params & p = {});

// one subject of one method
struct method_subject {
    std::string id;
    std::vector<double> trait_abs;   // mean |error| per trait (the run's trait order), NaN if undefined
    double composite = NAN;
    double log_loss  = NAN;          // overall mean log-loss (NaN without option probabilities)
    double alpha     = NAN;          // PAS: the chosen alpha, NaN otherwise / unknown
};

// one method of one run
struct method_run {
    std::string label;               // "<dir basename>/<method>[ [oracle]| [cv]]"
    std::string dir;                 // the run directory ("" in memory)
    std::string method;              // the report's file stem: "pas", "few-shot", "constant", ...
    std::string report_label;        // the report's own label
    std::string select;              // PAS alpha selection: "oracle" (on the eval items) or "cv"; "" otherwise
    inventory_kind kind = inventory_kind::big5;
    std::vector<std::string> traits;
    std::vector<std::string> rules;  // answer rules of its item records, sorted ("option_median", "given", ...)
    std::vector<method_subject> subjects;
};

// one scores report file (DIR/<method>.json); label = "<dir basename>/<method>[ [select]]"
method_run load_method_report(const std::string & json_path);
// every method of a run directory (or the one report a .json path names), in method order: the reference
// predictors, then none, few-shot, personality-prompt, pas, then others by name
std::vector<method_run> load_run_dir(const std::string & path);
// several run directories / report files; labels made unique (see above)
std::vector<method_run> load_runs(const std::vector<std::string> & paths);

// from scores in memory (the end of `palign eval`); alphas: per subject of sc.subjects (PAS) or empty;
// select: "oracle", "cv" or ""; the label is used as given
method_run method_run_from_scores(const scores & sc, const std::string & label, const std::string & select = "",
                                  const std::vector<double> & alphas = {});

struct method_stats {
    std::string label, method, select;
    std::vector<std::string> rules;
    int n_subjects = 0;                // subjects in its report (before sharing)
    std::vector<interval> traits;      // per trait, on the shared subjects
    interval composite;
    interval log_loss;                 // n = shared subjects where defined
    std::map<double, int> alphas;      // PAS: chosen alpha -> subjects (shared subjects with a known alpha)
};

struct pair_stats {
    std::string a, b;                  // labels; the difference is a - b
    std::vector<interval> traits;
    interval composite;
};

struct comparison {
    inventory_kind kind = inventory_kind::big5;
    std::vector<std::string> traits;
    std::vector<std::string> shared;   // the shared subject ids
    compare_params params;
    std::vector<method_stats> methods; // input order
    std::vector<pair_stats> pairs;     // (0,1), (0,2), ..., (1,2), ...
};

// throws palign::error when the runs are of different inventories / traits, a label repeats, or no subject is shared
comparison compare_runs(const std::vector<method_run> & runs, const compare_params & p = {});

std::string comparison_table(const comparison & c);
std::string comparison_json(const comparison & c, int indent = 1);

} // namespace palign
