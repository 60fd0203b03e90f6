// Compare: load run reports, bootstrap intervals per method and per pair of methods, table and JSON.
#include "eval/compare.h"

#include "eval/calibration.h"
#include "eval/predictors.h"
#include "eval/protocol.h"
#include "eval/run_store.h"
#include "util/error.h"
#include "util/paths.h"
#include "util/rng.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

namespace palign {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;
namespace fs = std::filesystem;

// ---- bootstrap ----

static double quantile_sorted(const std::vector<double> & x, double q) {
    const double h = q * (double) (x.size() - 1);
    const size_t i = (size_t) std::floor(h);
    if (i + 1 >= x.size()) return x.back();
    return x[i] + (h - (double) i) * (x[i + 1] - x[i]);
}

interval bootstrap_mean(const std::vector<double> & values, const compare_params & p) {
    if (p.n_boot < 1) fail(strfmt("bootstrap: n_boot must be at least 1 (got %d)", p.n_boot));
    if (!(p.level > 0.0 && p.level < 1.0)) fail(strfmt("bootstrap: level must be in (0, 1) (got %g)", p.level));
    interval r;
    r.n = (int) values.size();
    if (values.empty()) return r;
    r.mean = mean_of(values);
    const size_t n = values.size();
    rng g(p.seed);
    std::vector<double> means((size_t) p.n_boot);
    for (int b = 0; b < p.n_boot; b++) {
        double s = 0.0;
        for (size_t k = 0; k < n; k++) s += values[g.below(n)];
        means[b] = s / (double) n;
    }
    std::sort(means.begin(), means.end());
    r.lo = quantile_sorted(means, (1.0 - p.level) / 2.0);
    r.hi = quantile_sorted(means, (1.0 + p.level) / 2.0);
    return r;
}

// ---- loading ----

static std::string base_name(const std::string & path) {
    std::string p = path;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    const size_t s = p.rfind('/');
    return s == std::string::npos ? p : p.substr(s + 1);
}

static std::string trim_slashes(std::string p) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
}

static inventory_kind kind_from_name(const std::string & name, const std::string & where) {
    for (inventory_kind k : {inventory_kind::big5, inventory_kind::sd3}) if (name == inventory_kind_name(k)) return k;
    fail(strfmt("%s: field 'inventory': unknown inventory '%s'", where.c_str(), name.c_str()), "big5 or sd3");
}

static std::string select_from_text(const std::string & s) {
    if (s.find("alpha selection: eval") != std::string::npos || s.rfind("eval", 0) == 0 || s.find("oracle") != std::string::npos) return "oracle";
    if (s.find("alpha selection: cv") != std::string::npos || s == "cv") return "cv";
    return "";
}

static std::string decorate(const std::string & base, const std::string & select) {
    return select.empty() ? base : base + " [" + select + "]";
}

static bool is_scores_report(const json & j) {
    return j.is_object() && j.contains("inventory") && j.contains("summary") && j.contains("subjects");
}

static double num_field(const json & obj, const std::string & key, const std::string & path, const std::string & field) {
    if (!obj.contains(key) || obj[key].is_null()) return NAN;
    if (!obj[key].is_number()) fail(strfmt("%s: field '%s': expected a number or null", path.c_str(), field.c_str()));
    return obj[key].get<double>();
}

// PAS extras from DIR/<method>.jsonl: alpha per subject and the alpha selection
static void read_checkpoints(const std::string & path, std::map<std::string, double> & alphas, std::string & select) {
    read_jsonl(path, [&](int, const json & j) {
        if (!j.is_object() || j.contains("error")) return;
        if (j.contains("alpha_select") && j["alpha_select"].is_string() && select.empty()) {
            select = select_from_text(j["alpha_select"].get<std::string>());
        }
        if (j.contains("subject") && j["subject"].is_string() && j.contains("alpha") && j["alpha"].is_number()) {
            alphas[j["subject"].get<std::string>()] = j["alpha"].get<double>();
        }
    });
}

static method_run method_from_report(const std::string & json_path, const json & j);

method_run load_method_report(const std::string & json_path) {
    json j;
    try {
        j = json::parse(read_file(json_path));
    } catch (const palign::error &) {
        throw;
    } catch (const std::exception & e) {
        fail(strfmt("%s: malformed JSON (%s)", json_path.c_str(), e.what()));
    }
    return method_from_report(json_path, j);
}

static method_run method_from_report(const std::string & json_path, const json & j) {
    if (!is_scores_report(j)) {
        fail(strfmt("%s: not a scores report (needs fields 'inventory', 'summary', 'subjects')", json_path.c_str()));
    }
    method_run m;
    const fs::path p(json_path);
    m.dir = p.has_parent_path() ? p.parent_path().string() : ".";
    m.method = p.stem().string();
    try {
        if (!j.at("inventory").is_string()) fail(strfmt("%s: field 'inventory': expected a string", json_path.c_str()));
        m.kind = kind_from_name(j["inventory"].get<std::string>(), json_path);
        if (j.contains("label") && j["label"].is_string()) m.report_label = j["label"].get<std::string>();
        if (!j.contains("traits") || !j["traits"].is_array()) fail(strfmt("%s: field 'traits': expected an array", json_path.c_str()));
        for (const json & t : j["traits"]) {
            if (!t.is_string()) fail(strfmt("%s: field 'traits': expected strings", json_path.c_str()));
            m.traits.push_back(t.get<std::string>());
        }
        if (!j["subjects"].is_array()) fail(strfmt("%s: field 'subjects': expected an array", json_path.c_str()));
        std::set<std::string> rules, seen;
        size_t si = 0;
        for (const json & js : j["subjects"]) {
            const std::string at = strfmt("subjects[%zu]", si++);
            if (!js.is_object() || !js.contains("subject") || !js["subject"].is_string()) {
                fail(strfmt("%s: field '%s.subject': expected a string", json_path.c_str(), at.c_str()));
            }
            method_subject s;
            s.id = js["subject"].get<std::string>();
            if (!seen.insert(s.id).second) fail(strfmt("%s: field '%s.subject': subject '%s' appears twice", json_path.c_str(), at.c_str(), s.id.c_str()));
            for (const auto & t : m.traits) s.trait_abs.push_back(num_field(js, "mean_" + t + "_abs", json_path, at + ".mean_" + t + "_abs"));
            s.composite = num_field(js, "composite", json_path, at + ".composite");
            std::vector<item_record> recs;
            if (js.contains("items")) {
                if (!js["items"].is_array()) fail(strfmt("%s: field '%s.items': expected an array", json_path.c_str(), at.c_str()));
                size_t ii = 0;
                for (const json & ji : js["items"]) {
                    const std::string iat = strfmt("%s.items[%zu]", at.c_str(), ii++);
                    if (!ji.is_object()) fail(strfmt("%s: field '%s': expected an object", json_path.c_str(), iat.c_str()));
                    if (ji.contains("rule") && ji["rule"].is_string()) rules.insert(ji["rule"].get<std::string>());
                    if (!ji.contains("probs")) continue;
                    item_record r;
                    r.trait = ji.value("trait", std::string());
                    r.model.value = ji.value("model_value", 0);
                    r.subject = ji.value("subject", 0);
                    r.model.has_probs = true;
                    if (!ji["probs"].is_array() || ji["probs"].size() != 5) {
                        fail(strfmt("%s: field '%s.probs': expected 5 numbers", json_path.c_str(), iat.c_str()));
                    }
                    for (int k = 0; k < 5; k++) r.model.probs[k] = ji["probs"][k].is_number() ? ji["probs"][k].get<double>() : NAN;
                    recs.push_back(r);
                }
            }
            s.log_loss = subject_calibration(recs, m.traits).overall;
            m.subjects.push_back(std::move(s));
        }
        m.rules.assign(rules.begin(), rules.end());
    } catch (const palign::error &) {
        throw;
    } catch (const std::exception & e) {
        fail(strfmt("%s: malformed scores report (%s)", json_path.c_str(), e.what()));
    }

    // PAS: alpha per subject, alpha selection
    std::map<std::string, double> alphas;
    std::string jsonl_select;
    read_checkpoints((fs::path(m.dir) / (m.method + ".jsonl")).string(), alphas, jsonl_select);
    for (auto & s : m.subjects) {
        auto it = alphas.find(s.id);
        if (it != alphas.end()) s.alpha = it->second;
    }
    m.select = select_from_text(m.report_label.find("alpha selection") != std::string::npos ? m.report_label : "");
    if (m.select.empty()) m.select = jsonl_select;
    if (m.select.empty() && m.method == eval_method_name(eval_method::pas)) {
        const std::string cfg = (fs::path(m.dir) / "config.json").string();
        if (file_exists(cfg)) {
            try {
                const json c = json::parse(read_file(cfg));
                if (c.contains("alpha_select") && c["alpha_select"].is_string()) m.select = select_from_text(c["alpha_select"].get<std::string>());
            } catch (const std::exception &) {
                // the selection stays unknown
            }
        }
    }
    m.label = decorate(base_name(fs::absolute(m.dir).lexically_normal().string()) + "/" + m.method, m.select);
    return m;
}

static int method_rank(const std::string & method) {
    int r = 0;
    for (predictor p : all_predictors()) {
        if (method == predictor_name(p)) return r;
        r++;
    }
    for (eval_method e : {eval_method::none, eval_method::few_shot, eval_method::personality_prompt, eval_method::pas}) {
        if (method == eval_method_name(e)) return r;
        r++;
    }
    return r;
}

std::vector<method_run> load_run_dir(const std::string & path) {
    if (!fs::is_directory(path)) {
        if (file_exists(path)) return {load_method_report(path)};
        fail(strfmt("%s: no such run directory or report", path.c_str()), "give palign eval's --out directory or a <method>.json in it");
    }
    std::vector<std::string> files;
    for (const auto & e : fs::directory_iterator(path)) {
        if (!e.is_regular_file() || e.path().extension() != ".json" || e.path().filename() == "config.json") continue;
        files.push_back(e.path().string());
    }
    std::vector<method_run> out;
    for (const auto & f : files) {
        json j;
        try {
            j = json::parse(read_file(f));
        } catch (const std::exception &) {
            continue;   // not a report of ours
        }
        if (!is_scores_report(j)) continue;
        out.push_back(method_from_report(f, j));
    }
    if (out.empty()) fail(strfmt("%s: no method reports (<method>.json) in this directory", path.c_str()),
                          "a run writes them when it ends; rerun palign eval with the same --out to finish it");
    std::sort(out.begin(), out.end(), [](const method_run & a, const method_run & b) {
        const int ra = method_rank(a.method), rb = method_rank(b.method);
        return ra != rb ? ra < rb : a.method < b.method;
    });
    return out;
}

std::vector<method_run> load_runs(const std::vector<std::string> & paths) {
    std::vector<method_run> out;
    for (const auto & p : paths) {
        for (auto & m : load_run_dir(p)) {
            // labels from the path as given when basenames collide
            const std::string given = (fs::is_directory(p) ? trim_slashes(p) : m.dir) + "/" + m.method;
            bool clash = false;
            for (const auto & o : out) clash = clash || o.label == m.label;
            if (clash) m.label = decorate(given, m.select);
            std::string lab = m.label;
            for (int k = 2;; k++) {
                bool again = false;
                for (const auto & o : out) again = again || o.label == lab;
                if (!again) break;
                lab = m.label + strfmt(" #%d", k);
            }
            m.label = lab;
            out.push_back(std::move(m));
        }
    }
    return out;
}

method_run method_run_from_scores(const scores & sc, const std::string & label, const std::string & select,
                                  const std::vector<double> & alphas) {
    if (!alphas.empty() && alphas.size() != sc.subjects.size()) {
        fail(strfmt("%s: %zu alphas for %zu subjects", label.c_str(), alphas.size(), sc.subjects.size()));
    }
    method_run m;
    m.label = label;
    m.method = label;
    m.report_label = sc.label;
    m.select = select;
    m.kind = sc.kind;
    m.traits = sc.traits;
    std::set<std::string> rules;
    for (size_t i = 0; i < sc.subjects.size(); i++) {
        const subject_scores & ss = sc.subjects[i];
        method_subject s;
        s.id = ss.subject;
        for (const auto & t : sc.traits) s.trait_abs.push_back(subject_field(ss, "mean_" + t + "_abs"));
        s.composite = ss.composite;
        s.log_loss = subject_calibration(ss, sc.traits).overall;
        if (!alphas.empty()) s.alpha = alphas[i];
        for (const auto & r : ss.items) rules.insert(answer_rule_name(r.model.rule));
        m.subjects.push_back(std::move(s));
    }
    m.rules.assign(rules.begin(), rules.end());
    return m;
}

// ---- comparison ----

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

// ---- output ----

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
        ojson tr = ojson::object();
        for (size_t i = 0; i < c.traits.size(); i++) tr[c.traits[i]] = interval_json(m.traits[i]);
        jm["traits"] = tr;
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
        ojson tr = ojson::object();
        for (size_t i = 0; i < c.traits.size(); i++) tr[c.traits[i]] = interval_json(pr.traits[i]);
        jp["traits"] = tr;
        jp["composite"] = interval_json(pr.composite);
        ps.push_back(jp);
    }
    j["pairs"] = ps;
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

} // namespace palign
