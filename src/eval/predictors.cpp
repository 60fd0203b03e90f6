// Reference predictors: constant and median answers from the subject's align answers (no model).
#include "eval/predictors.h"

#include "util/error.h"

#include <algorithm>

namespace palign {

const std::vector<predictor> & all_predictors() {
    static const std::vector<predictor> all = {predictor::constant, predictor::subject_median,
                                               predictor::trait_key_median, predictor::facet_key_median};
    return all;
}

const char * predictor_name(predictor p) {
    switch (p) {
        case predictor::constant:         return "constant";
        case predictor::subject_median:   return "subject-median";
        case predictor::trait_key_median: return "trait-key-median";
        case predictor::facet_key_median: return "facet-key-median";
    }
    return "?";
}

bool is_predictor_name(const std::string & name) {
    for (predictor p : all_predictors()) if (name == predictor_name(p)) return true;
    return false;
}

predictor predictor_from_name(const std::string & name) {
    std::string names;
    for (predictor p : all_predictors()) {
        if (name == predictor_name(p)) return p;
        names += std::string(names.empty() ? "" : ", ") + predictor_name(p);
    }
    fail(strfmt("unknown reference predictor '%s'", name.c_str()), "one of " + names);
}

int median_value(std::vector<int> values, median_middle mid) {
    if (values.empty()) fail("median of no values");
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return mid == median_middle::upper ? values[n / 2] : values[(n - 1) / 2];
}

std::vector<answer> predict_items(predictor p, const inventory & inv, const subject & s,
                                  const std::vector<const item *> & align, const std::vector<const item *> & eval,
                                  median_middle mid) {
    (void) inv;
    // the subject's answered align items
    std::vector<std::pair<const item *, int>> known;
    for (const item * it : align) {
        const int v = s.answer(it->id);
        if (v >= 1 && v <= 5) known.push_back({it, v});
    }
    auto group = [&](auto keep) {
        std::vector<int> v;
        for (const auto & kv : known) if (keep(*kv.first)) v.push_back(kv.second);
        return v;
    };
    std::vector<answer> out;
    out.reserve(eval.size());
    for (const item * e : eval) {
        int value = 3;
        if (p != predictor::constant) {
            std::vector<int> g;
            if (p == predictor::facet_key_median && !e->facet.empty()) {
                g = group([&](const item & a) { return a.facet == e->facet && a.reverse == e->reverse; });
            }
            if (g.empty() && (p == predictor::facet_key_median || p == predictor::trait_key_median)) {
                g = group([&](const item & a) { return a.trait == e->trait && a.reverse == e->reverse; });
                if (g.empty()) g = group([&](const item & a) { return a.trait == e->trait; });
            }
            if (g.empty()) g = group([](const item &) { return true; });
            if (!g.empty()) value = median_value(std::move(g), mid);
        }
        out.push_back(answer_from_value(value));
    }
    return out;
}

scores predict_scores(predictor p, const inventory & inv, const std::vector<subject> & subjects,
                      const std::vector<const item *> & align, const std::vector<const item *> & eval,
                      median_middle mid, const std::string & label) {
    std::vector<subject_scores> ss;
    ss.reserve(subjects.size());
    for (const subject & s : subjects) ss.push_back(score_subject(inv, s, eval, predict_items(p, inv, s, align, eval, mid)));
    return aggregate_scores(inv, std::move(ss), label.empty() ? predictor_name(p) : label);
}

} // namespace palign
