// Compare, pairing: the shared subjects of several method runs, each method's intervals and every pair's
// paired differences (compare.h).
#include "eval/compare.h"

#include "util/error.h"

#include <map>
#include <set>

namespace palign {

static std::string join_traits(const std::vector<std::string> & traits) {
    std::string s;
    for (const auto & t : traits) s += (s.empty() ? "" : " ") + t;
    return s;
}

comparison compare_runs(const std::vector<method_run> & runs, const compare_params & p) {
    if (runs.empty()) fail("compare: no methods to compare");
    comparison c;
    c.kind = runs[0].kind;
    c.traits = runs[0].traits;
    c.params = p;
    std::set<std::string> labels;
    for (const auto & r : runs) {
        if (r.kind != c.kind || r.traits != c.traits) {
            fail(strfmt("compare: %s is %s (traits %s) but %s is %s (traits %s)", r.label.c_str(), inventory_kind_name(r.kind),
                        join_traits(r.traits).c_str(), runs[0].label.c_str(), inventory_kind_name(c.kind), join_traits(c.traits).c_str()),
                 "compare runs of one inventory");
        }
        if (!labels.insert(r.label).second) fail(strfmt("compare: method label '%s' appears twice", r.label.c_str()));
    }
    // shared subjects: finite composite in every run; order of the first run
    std::vector<std::map<std::string, const method_subject *>> by_id(runs.size());
    for (size_t i = 0; i < runs.size(); i++) {
        for (const auto & s : runs[i].subjects) if (std::isfinite(s.composite)) by_id[i][s.id] = &s;
    }
    for (const auto & s : runs[0].subjects) {
        bool all = true;
        for (const auto & m : by_id) all = all && m.count(s.id);
        if (all) c.shared.push_back(s.id);
    }
    if (c.shared.empty()) fail("compare: no subject has a finite composite in every run", "compare runs over the same subjects");

    const size_t nt = c.traits.size();
    auto column = [&](size_t i, auto get) {
        std::vector<double> v;
        v.reserve(c.shared.size());
        for (const auto & id : c.shared) v.push_back(get(*by_id[i].at(id)));
        return v;
    };
    std::vector<std::vector<std::vector<double>>> vals(runs.size());   // run -> trait (nt = composite) -> subject
    for (size_t i = 0; i < runs.size(); i++) {
        method_stats ms;
        ms.label = runs[i].label;
        ms.method = runs[i].method;
        ms.select = runs[i].select;
        ms.rules = runs[i].rules;
        ms.n_subjects = (int) runs[i].subjects.size();
        for (size_t t = 0; t <= nt; t++) {
            vals[i].push_back(column(i, [&](const method_subject & s) { return t < nt ? s.trait_abs[t] : s.composite; }));
            const interval iv = bootstrap_mean(vals[i].back(), p);
            if (t < nt) ms.traits.push_back(iv); else ms.composite = iv;
        }
        std::vector<double> ll;
        for (const auto & id : c.shared) {
            const method_subject & s = *by_id[i].at(id);
            if (std::isfinite(s.log_loss)) ll.push_back(s.log_loss);
            if (std::isfinite(s.alpha)) ms.alphas[s.alpha]++;
        }
        ms.log_loss = bootstrap_mean(ll, p);
        c.methods.push_back(std::move(ms));
    }
    for (size_t a = 0; a < runs.size(); a++) {
        for (size_t b = a + 1; b < runs.size(); b++) {
            pair_stats ps;
            ps.a = runs[a].label;
            ps.b = runs[b].label;
            for (size_t t = 0; t <= nt; t++) {
                std::vector<double> d(c.shared.size());
                for (size_t k = 0; k < d.size(); k++) d[k] = vals[a][t][k] - vals[b][t][k];
                const interval iv = bootstrap_mean(d, p);
                if (t < nt) ps.traits.push_back(iv); else ps.composite = iv;
            }
            c.pairs.push_back(std::move(ps));
        }
    }
    return c;
}

} // namespace palign
