// Scores: item errors, keyed scores, per-trait and per-subject statistics, and the mean over subjects.
#include "eval/scores.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>

namespace palign {

bool item_record::used() const {
    const bool subject_ok = rules.missing_as_zero ? subject >= 0 && subject <= 5 : subject >= 1 && subject <= 5;
    return subject_ok && (!model.unk() || rules.unk_as_worst);
}

int item_record::error() const {
    if (!used()) return -1;
    if (model.unk()) return std::max(subject - 1, 5 - subject);
    return std::abs(model.value - subject);
}

int item_record::keyed() const {
    if (model.unk()) return 0;
    return reverse ? 6 - model.value : model.value;
}

const trait_stats * subject_scores::trait(const std::string & t) const {
    for (const auto & ts : traits) if (ts.trait == t) return &ts;
    return nullptr;
}

double mean_of(const std::vector<double> & v) {
    if (v.empty()) return NAN;
    double s = 0.0;
    for (double x : v) s += x;
    return s / v.size();
}

double std_of(const std::vector<double> & v) {
    if (v.empty()) return NAN;
    const double m = mean_of(v);
    double s = 0.0;
    for (double x : v) s += (x - m) * (x - m);
    return std::sqrt(s / v.size());
}

std::vector<std::string> summary_fields(const std::vector<std::string> & traits) {
    std::vector<std::string> f;
    for (const auto & t : traits) {
        f.push_back("mean_" + t);
        f.push_back("std_" + t);
        f.push_back("mean_" + t + "_abs");
        f.push_back("std_" + t + "_abs");
    }
    f.push_back("composite");
    return f;
}

double subject_field(const subject_scores & s, const std::string & field) {
    if (field == "composite") return s.composite;
    for (const auto & ts : s.traits) {
        const std::string & t = ts.trait;
        if (field == "mean_" + t)          return ts.mean;
        if (field == "std_" + t)           return ts.std;
        if (field == "mean_" + t + "_abs") return ts.mean_abs;
        if (field == "std_" + t + "_abs")  return ts.std_abs;
    }
    return NAN;
}

void compute_subject_stats(const inventory & inv, subject_scores & ss) {
    ss.traits.clear();
    ss.n_unk = ss.n_missing = 0;
    ss.composite = 0.0;
    ss.failure.clear();
    for (const auto & t : inv.traits) {
        trait_stats ts;
        ts.trait = t;
        std::vector<double> keyed, errors;
        for (const auto & r : ss.items) {
            if (r.trait != t) continue;
            ts.n_items++;
            ts.counts[r.model.unk() ? 5 : 5 - r.model.value]++;
            if (r.model.unk()) ts.n_unk++;
            if (r.subject < 1 || r.subject > 5) ts.n_missing++;
            if (!r.used()) continue;
            if (!r.model.unk()) keyed.push_back(r.keyed());
            errors.push_back(r.error());
        }
        ts.n        = (int) errors.size();
        ts.mean     = mean_of(keyed);
        ts.std      = std_of(keyed);
        ts.mean_abs = mean_of(errors);
        ts.std_abs  = std_of(errors);
        ss.n_unk     += ts.n_unk;
        ss.n_missing += ts.n_missing;
        ss.composite += ts.mean_abs;   // NaN propagates
        if (ts.n == 0 && ss.failure.empty()) {
            ss.failure = ts.n_items == 0 ? strfmt("trait %s: no evaluation item", t.c_str())
                       : strfmt("trait %s: no scored item (%d items: %d model UNK, %d not answered by the subject)", t.c_str(),
                                ts.n_items, ts.n_unk, ts.n_missing);
        }
        ss.traits.push_back(ts);
    }
}

subject_scores score_subject(const inventory & inv, const subject & s, const std::vector<const item *> & items,
                             const std::vector<answer> & model, const score_rules & rules) {
    if (items.size() != model.size()) {
        fail(strfmt("subject %s: %zu items but %zu model answers", s.id.c_str(), items.size(), model.size()));
    }
    subject_scores ss;
    ss.subject = s.id;
    ss.items.reserve(items.size());
    for (size_t i = 0; i < items.size(); i++) {
        item_record r;
        r.id      = items[i]->id;
        r.trait   = items[i]->trait;
        r.reverse = items[i]->reverse;
        r.model   = model[i];
        const int a = s.answer(r.id);
        r.subject = a >= 1 && a <= 5 ? a : 0;
        r.rules   = rules;
        ss.items.push_back(std::move(r));
    }
    compute_subject_stats(inv, ss);
    return ss;
}

scores aggregate_scores(const inventory & inv, std::vector<subject_scores> subjects, const std::string & label,
                        const std::vector<std::pair<std::string, std::string>> & failed) {
    scores sc;
    sc.kind   = inv.kind;
    sc.label  = label;
    sc.traits = inv.traits;
    sc.fields = summary_fields(inv.traits);
    sc.n      = (int) (subjects.size() + failed.size());
    sc.failures = failed;
    for (const auto & s : subjects) {
        if (std::isfinite(s.composite)) sc.n_ok++;
        else sc.failures.emplace_back(s.subject, s.failure.empty() ? std::string("no composite") : s.failure);
    }
    // every field over the same subjects, those with a full set of traits
    for (const auto & f : sc.fields) {
        std::vector<double> v;
        for (const auto & s : subjects) {
            if (!std::isfinite(s.composite)) continue;
            const double x = subject_field(s, f);
            if (std::isfinite(x)) v.push_back(x);
        }
        sc.summary[f]   = mean_of(v);
        sc.summary_n[f] = (int) v.size();
    }
    for (const auto & s : subjects) {
        for (const auto & r : s.items) {
            sc.n_items++;
            if (r.used()) sc.n_used++;
            if (r.model.unk()) sc.n_unk++;
            if (r.subject == 0) sc.n_missing++;
            sc.counts[r.model.unk() ? 5 : 5 - r.model.value]++;
        }
    }
    sc.subjects = std::move(subjects);
    return sc;
}

} // namespace palign
