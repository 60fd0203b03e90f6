// Compare, output: the comparison as a table and as JSON.
#include "eval/compare.h"

#include "util/error.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace palign {

using ojson = nlohmann::ordered_json;

static std::string cell(const interval & iv) {
    if (!std::isfinite(iv.mean)) return "-";
    return strfmt("%.3f [%.3f,%.3f]", iv.mean, iv.lo, iv.hi);
}

static std::string diff_cell(const interval & iv) {
    if (!std::isfinite(iv.mean)) return "-";
    const bool sig = iv.lo > 0.0 || iv.hi < 0.0;
    return strfmt("%+.3f [%+.3f,%+.3f]%s", iv.mean, iv.lo, iv.hi, sig ? "*" : " ");
}

static std::string alpha_hist(const std::map<double, int> & h) {
    std::string s;
    for (const auto & kv : h) s += strfmt("%s%g:%d", s.empty() ? "" : " ", kv.first, kv.second);
    return s;
}

std::string comparison_table(const comparison & c) {
    size_t w = 6;
    for (const auto & m : c.methods) w = std::max(w, m.label.size());
    size_t pw = 5;
    for (const auto & pr : c.pairs) pw = std::max(pw, pr.a.size() + pr.b.size() + 3);
    const int lw = (int) w, plw = (int) pw;
    const int cw = 20;
    std::string t = strfmt("%s, %zu subjects shared by all %zu methods; mean [%g%% bootstrap interval over subjects, B = %d, seed %llu]\n",
                           c.kind == inventory_kind::big5 ? "Big Five" : "Dark Triad", c.shared.size(), c.methods.size(),
                           c.params.level * 100.0, c.params.n_boot, (unsigned long long) c.params.seed);
    t += strfmt("%-*s %4s", lw, "method", "n");
    for (const auto & tr : c.traits) t += strfmt(" %-*s", cw, tr.c_str());
    t += strfmt(" %-*s %-*s %s\n", cw, "composite", cw, "log-loss", "rule / alpha");
    for (const auto & m : c.methods) {
        t += strfmt("%-*s %4d", lw, m.label.c_str(), m.n_subjects);
        for (const auto & iv : m.traits) t += strfmt(" %-*s", cw, cell(iv).c_str());
        t += strfmt(" %-*s %-*s", cw, cell(m.composite).c_str(), cw, cell(m.log_loss).c_str());
        std::string r;
        for (const auto & x : m.rules) r += (r.empty() ? "" : ",") + x;
        if (!m.alphas.empty()) r += (r.empty() ? "" : "  ") + std::string("alpha ") + alpha_hist(m.alphas);
        t += " " + r + "\n";
    }
    if (!c.pairs.empty()) {
        t += strfmt("\npaired differences A - B on the shared subjects (negative: A has the smaller error; * the interval excludes 0)\n");
        t += strfmt("%-*s", plw, "A - B");
        for (const auto & tr : c.traits) t += strfmt(" %-*s", cw + 3, tr.c_str());
        t += " composite\n";
        for (const auto & pr : c.pairs) {
            t += strfmt("%-*s", plw, (pr.a + " - " + pr.b).c_str());
            for (const auto & iv : pr.traits) t += strfmt(" %-*s", cw + 3, diff_cell(iv).c_str());
            t += " " + diff_cell(pr.composite) + "\n";
        }
    }
    t += "errors: mean |answer - subject| on the 1..5 scale over the evaluation items, per trait (lower is better); composite = sum over traits\n";
    t += "n: subjects in the method's report; every mean and interval is over the shared subjects only\n";
    t += "log-loss: mean -ln p(subject's answer) of the option distribution (option mode only); rule: how answers were chosen\n";
    bool oracle = false;
    for (const auto & m : c.methods) oracle = oracle || m.select == "oracle";
    if (oracle) t += "[oracle]: PAS alpha chosen on the evaluation items themselves (the paper's protocol), not a fair estimate; [cv]: chosen on the align items\n";
    return t;
}

static ojson num(double x) { return std::isfinite(x) ? ojson(x) : ojson(nullptr); }

static ojson interval_json(const interval & iv) {
    ojson j;
    j["mean"] = num(iv.mean);
    j["lo"] = num(iv.lo);
    j["hi"] = num(iv.hi);
    j["n"] = iv.n;
    return j;
}

// {trait: interval} in the comparison's trait order (methods and pairs alike)
static ojson traits_json(const std::vector<std::string> & traits, const std::vector<interval> & ivs) {
    ojson tr = ojson::object();
    for (size_t i = 0; i < traits.size(); i++) tr[traits[i]] = interval_json(ivs[i]);
    return tr;
}

std::string comparison_json(const comparison & c, int indent) {
    ojson j;
    j["inventory"] = inventory_kind_name(c.kind);
    j["traits"] = c.traits;
    j["n_shared"] = c.shared.size();
    j["shared_subjects"] = c.shared;
    j["bootstrap"] = {{"method", "percentile"}, {"n_boot", c.params.n_boot}, {"seed", c.params.seed}, {"level", c.params.level}};
    ojson ms = ojson::array();
    for (const auto & m : c.methods) {
        ojson jm;
        jm["label"] = m.label;
        jm["method"] = m.method;
        jm["alpha_select"] = m.select.empty() ? ojson(nullptr) : ojson(m.select);
        jm["rules"] = m.rules;
        jm["n_subjects"] = m.n_subjects;
        jm["traits"] = traits_json(c.traits, m.traits);
        jm["composite"] = interval_json(m.composite);
        jm["log_loss"] = interval_json(m.log_loss);
        ojson al = ojson::array();
        for (const auto & kv : m.alphas) al.push_back({kv.first, kv.second});
        jm["alphas"] = al;
        ms.push_back(jm);
    }
    j["methods"] = ms;
    ojson ps = ojson::array();
    for (const auto & pr : c.pairs) {
        ojson jp;
        jp["a"] = pr.a;
        jp["b"] = pr.b;
        jp["traits"] = traits_json(c.traits, pr.traits);
        jp["composite"] = interval_json(pr.composite);
        ps.push_back(jp);
    }
    j["pairs"] = ps;
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

} // namespace palign
