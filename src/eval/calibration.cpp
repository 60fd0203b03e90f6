// Calibration: mean log-loss of option distributions against the subject's answers.
#include "eval/calibration.h"

#include <algorithm>
#include <cmath>

namespace palign {

double item_log_loss(const item_record & r) {
    if (!r.used() || !r.model.has_probs) return NAN;
    const double p = r.model.probs[5 - r.subject];
    return -std::log(std::max(std::isfinite(p) ? p : 0.0, LOG_LOSS_CLIP));
}

calibration subject_calibration(const std::vector<item_record> & items, const std::vector<std::string> & traits) {
    calibration c;
    c.traits = traits;
    double total = 0.0;
    for (const std::string & t : traits) {
        double sum = 0.0;
        int n = 0;
        for (const item_record & r : items) {
            if (r.trait != t) continue;
            const double l = item_log_loss(r);
            if (std::isnan(l)) continue;
            sum += l;
            n++;
        }
        c.trait_loss.push_back(n ? sum / n : NAN);
        c.trait_n.push_back(n);
        total += sum;
        c.n += n;
    }
    c.overall = c.n ? total / c.n : NAN;
    return c;
}

calibration subject_calibration(const subject_scores & ss, const std::vector<std::string> & traits) {
    return subject_calibration(ss.items, traits);
}

calibration run_calibration(const scores & sc) {
    calibration c;
    c.traits = sc.traits;
    std::vector<std::vector<double>> per_trait(sc.traits.size());
    std::vector<double> overall;
    for (const subject_scores & ss : sc.subjects) {
        const calibration s = subject_calibration(ss, sc.traits);
        for (size_t i = 0; i < sc.traits.size(); i++) if (!std::isnan(s.trait_loss[i])) per_trait[i].push_back(s.trait_loss[i]);
        if (!std::isnan(s.overall)) overall.push_back(s.overall);
    }
    for (const auto & v : per_trait) {
        c.trait_loss.push_back(mean_of(v));
        c.trait_n.push_back((int) v.size());
    }
    c.overall = mean_of(overall);
    c.n = (int) overall.size();
    return c;
}

std::vector<reliability_bin> reliability_bins(const std::vector<item_record> & items, int n_bins) {
    n_bins = std::max(1, n_bins);
    std::vector<reliability_bin> bins((size_t) n_bins);
    std::vector<double> sum_p((size_t) n_bins, 0.0), hits((size_t) n_bins, 0.0);
    for (int b = 0; b < n_bins; b++) {
        bins[b].lo = (double) b / n_bins;
        bins[b].hi = (double) (b + 1) / n_bins;
    }
    for (const item_record & r : items) {
        if (std::isnan(item_log_loss(r))) continue;   // the same items the log-loss counts
        for (int k = 0; k < 5; k++) {
            const double p = std::isfinite(r.model.probs[k]) ? std::min(1.0, std::max(0.0, (double) r.model.probs[k])) : 0.0;
            const int b = std::min(n_bins - 1, (int) (p * n_bins));
            bins[b].n++;
            sum_p[b] += p;
            hits[b] += (5 - r.subject) == k ? 1.0 : 0.0;
        }
    }
    for (int b = 0; b < n_bins; b++) {
        if (!bins[b].n) continue;
        bins[b].mean_p = sum_p[b] / (double) bins[b].n;
        bins[b].freq = hits[b] / (double) bins[b].n;
    }
    return bins;
}

std::vector<std::string> calibration_fields(const std::vector<std::string> & traits) {
    std::vector<std::string> f;
    for (const auto & t : traits) f.push_back("log_loss_" + t);
    f.push_back("log_loss");
    return f;
}

std::map<std::string, double> calibration_values(const calibration & c) {
    std::map<std::string, double> m;
    for (size_t i = 0; i < c.traits.size(); i++) m["log_loss_" + c.traits[i]] = i < c.trait_loss.size() ? c.trait_loss[i] : NAN;
    m["log_loss"] = c.overall;
    return m;
}

} // namespace palign
