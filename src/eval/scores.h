// Scores: alignment error between a model's answers and a subject's answers, per item, trait, subject and run.
//
// Definitions (values on the raw 1..5 scale, A = 5 .. E = 1):
//   item error      = |model value - subject value| (raw answers, NOT reverse-keyed)
//   keyed score     = value, or 6 - value for reverse-keyed items
//   an item is used = the model answered (not UNK) and the subject answered (1..5); other items are left out of all
//                     statistics and counted (n_unk: model UNK; n_missing: subject answer 0; an item can be both)
//   score_rules change that (both off by default):
//     missing_as_zero (--missing reference, the reference code): an unanswered subject item (0) is used, with the
//                     subject value 0: its error is the model's value |m - 0|
//     unk_as_worst    (--unk-as worst): a model UNK is used in the errors with the largest error the subject's answer
//                     allows, max(s - 1, 5 - s) (5 for an unanswered item under missing_as_zero); it adds no keyed
//                     score, so a method that fails to answer cannot look better than one that answers
//   per subject and trait X, over the used items of X (population std, ddof = 0):
//     mean_X / std_X         = mean / std of the MODEL's keyed scores
//     mean_X_abs / std_X_abs = mean / std of the item errors
//     counts                 = the model's answers A, B, C, D, E, UNK over all of X's items
//   composite (per subject) = sum over traits of mean_X_abs (NaN if some trait has no used item: the subject failed)
//   run summary: each field (mean_X, std_X, mean_X_abs, std_X_abs, composite) = the mean over the SAME subjects, those
//     with a full set of traits (a finite composite), so that the composite is the sum of the trait means; n counts
//     the subjects attempted, n_ok those averaged, and every other one is in `failures` with its cause.
//     Field names follow the reference log (mean_A .. mean_O, std_A .. std_O, mean_A_abs .. std_O_abs); the Dark
//     Triad uses trait letters M, N, P.
// Undefined statistics are NaN in memory and null in JSON / empty in CSV.
#pragma once

#include "data/inventory.h"
#include "data/subjects.h"
#include "eval/answer.h"

#include <array>
#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace palign {

struct score_rules {
    bool missing_as_zero = false;   // --missing reference (see above)
    bool unk_as_worst    = false;   // --unk-as worst (see above)
};

struct item_record {
    std::string id;          // item id
    std::string trait;       // trait letter
    bool   reverse = false;  // reverse-keyed
    answer model;            // the model's answer (value 0 = UNK), with probabilities in option mode
    int    subject = 0;      // the subject's answer 0..5 (0 = not answered)
    score_rules rules;       // how UNK and unanswered items are scored

    bool used() const;       // in the error statistics (see above)
    int  error() const;      // |model - subject| if used (the worst error for a used UNK), else -1
    int  keyed() const;      // the model's keyed score, 0 if UNK
};

struct trait_stats {
    std::string trait;
    int n_items   = 0;                     // this trait's items in the records
    int n         = 0;                     // used items
    int n_unk     = 0;                     // model answer UNK
    int n_missing = 0;                     // subject answer 0
    std::array<int, 6> counts = {};        // model answers A, B, C, D, E, UNK
    double mean     = NAN, std     = NAN;  // model keyed scores over used items
    double mean_abs = NAN, std_abs = NAN;  // item errors over used items
};

struct subject_scores {
    std::string subject;                   // subject id
    std::vector<item_record> items;        // in question order
    std::vector<trait_stats> traits;       // inventory trait order
    double composite = NAN;                // sum of the traits' mean_abs
    int n_unk = 0, n_missing = 0;
    std::string failure;                   // why composite is NaN ("" when it is finite)
    double alpha = NAN;                    // steered methods (PAS): the alpha this subject was evaluated at

    const trait_stats * trait(const std::string & t) const;   // nullptr if not a trait
};

struct scores {
    inventory_kind kind = inventory_kind::big5;
    std::string label;                            // free text: method / model, copied into the reports
    std::string alpha_select;                     // steered methods: "cv" or "oracle" (chosen on the evaluation items); ""
    std::vector<std::string> traits;              // inventory trait order
    std::vector<std::string> fields;              // summary field names, in report order (see summary_fields)
    std::map<std::string, double> summary;        // field -> mean over subjects
    std::map<std::string, int>    summary_n;      // field -> number of subjects averaged
    int n_items = 0, n_used = 0, n_unk = 0, n_missing = 0;   // totals over all subjects' records
    std::array<int, 6> counts = {};               // model answers A..E, UNK over all records
    std::vector<subject_scores> subjects;
    int n = 0;                                    // subjects attempted (those below plus the failed fits)
    int n_ok = 0;                                 // subjects with a full set of traits: the summary's subjects
    std::vector<std::pair<std::string, std::string>> failures;   // (subject, cause), subject order
};

// per-trait field names in report order: for each trait X: mean_X, std_X, mean_X_abs, std_X_abs; then composite
std::vector<std::string> summary_fields(const std::vector<std::string> & traits);

// the value of a summary field in one subject's scores (NaN if undefined or unknown field)
double subject_field(const subject_scores & s, const std::string & field);

// score one subject: items[i] was asked and the model answered model[i] (sizes must match)
subject_scores score_subject(const inventory & inv, const subject & s, const std::vector<const item *> & items,
                             const std::vector<answer> & model, const score_rules & rules = {});

// recompute a subject's statistics from its item records (score_subject calls this)
void compute_subject_stats(const inventory & inv, subject_scores & ss);

// run summary over subjects; failed: subjects that have no scores at all (e.g. a PAS fit that threw), with the cause
scores aggregate_scores(const inventory & inv, std::vector<subject_scores> subjects, const std::string & label = "",
                        const std::vector<std::pair<std::string, std::string>> & failed = {});

// population mean / std (ddof = 0) of values; NaN for an empty list
double mean_of(const std::vector<double> & v);
double std_of(const std::vector<double> & v);

} // namespace palign
