// Compare, reading: run folders and scores reports into method runs (labels, alpha selection, alphas, rules).
#include "eval/compare.h"

#include "eval/calibration.h"
#include "eval/protocol.h"
#include "eval/run_store.h"
#include "util/error.h"
#include "util/paths.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

namespace palign {

using json = nlohmann::json;
namespace fs = std::filesystem;

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
            s.alpha = num_field(js, "alpha", json_path, at + ".alpha");
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

    // steered methods: the alpha selection and the alpha per subject are fields of the report; reports written before
    // palign had them take them from the run's checkpoints and config (never from the label's text)
    if (j.contains("alpha_select")) {
        if (!j["alpha_select"].is_string()) fail(strfmt("%s: field 'alpha_select': expected a string", json_path.c_str()));
        m.select = j["alpha_select"].get<std::string>();
        if (m.select != "cv" && m.select != "oracle") {
            fail(strfmt("%s: field 'alpha_select': '%s' is not cv or oracle", json_path.c_str(), m.select.c_str()));
        }
    }
    const method_def * def = method_def_named(m.method);
    const bool steered = def && def->steered;
    bool have_alpha = false;
    for (const auto & s : m.subjects) have_alpha |= std::isfinite(s.alpha);
    if (steered && !have_alpha) {
        std::map<std::string, double> alphas;
        std::string jsonl_select;
        read_checkpoints((fs::path(m.dir) / (m.method + ".jsonl")).string(), alphas, jsonl_select);
        for (auto & s : m.subjects) {
            auto it = alphas.find(s.id);
            if (it != alphas.end()) s.alpha = it->second;
        }
        if (m.select.empty()) m.select = jsonl_select;
    }
    if (m.select.empty() && steered) {
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
    const method_def * d = method_def_named(method);
    return d ? d->report_order : (int) method_defs().size();
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

} // namespace palign
