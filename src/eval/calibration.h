// Calibration: how well the model's option distributions (option mode) predict the subject's actual answers,
// as the mean log-loss (cross-entropy), reported beside the errors.
//
//   item log-loss = -ln max(p[subject's option], 1e-12)    natural log (nats); option A = 5 .. E = 1, so the
//                   subject's answer v is option index 5 - v; p is clipped at 1e-12 so a zero stays finite (27.6)
//   an item counts when it is used (the model answered and the subject answered 1..5, see eval/scores.h) AND the
//   model's answer has probabilities (option mode); others are left out (paper mode, predictors: no items, NaN)
//   per subject: per trait = mean over the trait's counted items; overall = mean over all counted items (pooled)
//   per run: each value = the mean over subjects of the per-subject values, skipping NaN (n = subjects averaged),
//            as the run summary of the errors does
// Reference points: a uniform distribution scores ln 5 = 1.609; always the right answer with certainty, 0.
//
// Reliability (the reliability diagram of palign report): every counted item gives five (probability, outcome) pairs,
// p[k] for option k and outcome 1 if the subject's answer is option k, else 0. The pairs are binned by probability
// into n equal bins over [0, 1] (bin b = [b/n, (b+1)/n), the last one closed); per bin: the pairs, their mean
// probability and the observed frequency of outcome 1. A calibrated model has frequency = probability in every bin.
#pragma once

#include "eval/scores.h"

#include <map>
#include <string>
#include <vector>

namespace palign {

struct calibration {
    std::vector<std::string> traits;   // trait order
    std::vector<double> trait_loss;    // mean log-loss per trait (NaN: nothing counted)
    std::vector<int>    trait_n;       // items counted (subject) / subjects averaged (run), per trait
    double overall = NAN;              // overall mean log-loss
    int    n = 0;                      // items counted (subject) / subjects averaged (run)
};

constexpr double LOG_LOSS_CLIP = 1e-12;

// one item's log-loss; NaN when the item does not count (see above)
double item_log_loss(const item_record & r);

// one subject, over its item records (traits: the order of the result)
calibration subject_calibration(const std::vector<item_record> & items, const std::vector<std::string> & traits);
calibration subject_calibration(const subject_scores & ss, const std::vector<std::string> & traits);

// a run: mean over subjects
calibration run_calibration(const scores & sc);

struct reliability_bin {
    double lo = 0, hi = 0;     // the bin's probability range
    long   n = 0;              // (item, option) pairs in it
    double mean_p = NAN;       // their mean probability (NaN when empty)
    double freq = NAN;         // the fraction that were the subject's answer (NaN when empty)
};

// the bins over the counted items of these records (see above); n_bins >= 1
std::vector<reliability_bin> reliability_bins(const std::vector<item_record> & items, int n_bins = 10);

// report fields: "log_loss_<T>" per trait and "log_loss" overall (NaN where undefined), and their names in order
std::vector<std::string> calibration_fields(const std::vector<std::string> & traits);
std::map<std::string, double> calibration_values(const calibration & c);

} // namespace palign
