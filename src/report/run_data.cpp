// Run data: per-subject trait means and item probabilities from <method>.json, PAS curves and heads from <method>.jsonl.
#include "report/run_data.h"

#include "eval/run_store.h"
#include "util/error.h"
#include "util/paths.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace palign {

using json = nlohmann::json;

static double num_or_nan(const json & j, const char * key) {
    if (!j.contains(key) || !j[key].is_number()) return NAN;
    return j[key].get<double>();
}

method_data load_method_data(const method_run & m) {
    method_data d;
    const std::string path = (std::filesystem::path(m.dir) / (m.method + ".json")).string();
    json j;
    try {
        j = json::parse(read_file(path));
    } catch (const palign::error &) {
        throw;
    } catch (const std::exception & e) {
        fail(strfmt("%s: malformed JSON (%s)", path.c_str(), e.what()));
    }
    if (!j.contains("subjects") || !j["subjects"].is_array()) fail(strfmt("%s: field 'subjects': expected an array", path.c_str()));
    size_t si = 0;
    for (const json & js : j["subjects"]) {
        const std::string at = strfmt("subjects[%zu]", si++);
        try {
            if (!js.is_object() || !js.contains("subject") || !js["subject"].is_string()) {
                fail(strfmt("%s: field '%s.subject': expected a string", path.c_str(), at.c_str()));
            }
            run_subject s;
            s.id = js["subject"].get<std::string>();
            std::vector<double> sum(m.traits.size(), 0.0);
            std::vector<int> n(m.traits.size(), 0);
            if (js.contains("items") && js["items"].is_array()) {
                size_t ii = 0;
                for (const json & ji : js["items"]) {
                    const std::string iat = strfmt("%s.items[%zu]", at.c_str(), ii++);
                    if (!ji.is_object()) fail(strfmt("%s: field '%s': expected an object", path.c_str(), iat.c_str()));
                    const std::string trait = ji.value("trait", std::string());
                    const int subj = ji.value("subject", 0);
                    const bool reverse = ji.value("key", std::string("+")) == "-";
                    for (size_t t = 0; t < m.traits.size(); t++) {
                        if (m.traits[t] == trait && subj >= 1 && subj <= 5) { sum[t] += reverse ? 6 - subj : subj; n[t]++; }
                    }
                    if (!ji.contains("probs")) continue;
                    if (!ji["probs"].is_array() || ji["probs"].size() != 5) {
                        fail(strfmt("%s: field '%s.probs': expected 5 numbers", path.c_str(), iat.c_str()));
                    }
                    item_record r;
                    r.id = ji.value("id", std::string());
                    r.trait = trait;
                    r.reverse = reverse;
                    r.subject = subj;
                    r.model.value = ji.value("model_value", 0);
                    r.model.has_probs = true;
                    for (int k = 0; k < 5; k++) r.model.probs[k] = ji["probs"][k].is_number() ? ji["probs"][k].get<double>() : NAN;
                    s.items.push_back(r);
                }
            }
            for (size_t t = 0; t < m.traits.size(); t++) {
                s.model_mean.push_back(num_or_nan(js, ("mean_" + m.traits[t]).c_str()));
                s.subject_mean.push_back(n[t] ? sum[t] / n[t] : NAN);
            }
            d.subjects.push_back(std::move(s));
        } catch (const json::exception & e) {   // a field of the wrong type (e.g. "subject": "x" in an item)
            fail(strfmt("%s: field '%s': %s", path.c_str(), at.c_str(), e.what()), "the file is not as palign eval writes it");
        }
    }

    const std::string jsonl = (std::filesystem::path(m.dir) / (m.method + ".jsonl")).string();
    read_jsonl(jsonl, [&](int ln, const json & line) {
        if (!line.is_object() || line.contains("error") || !line.contains("alpha_curve")) return;
        const std::string where = strfmt("%s:%d", jsonl.c_str(), ln);
        try {
            pas_subject p;
            p.id = line.at("subject").get<std::string>();
            p.alpha = line.at("alpha").get<double>();
            for (const json & pt : line.at("alpha_curve")) {
                p.curve.emplace_back(pt.at(0).get<double>(), pt.at(1).is_null() ? NAN : pt.at(1).get<double>());
            }
            if (line.contains("steering")) {
                for (const json & h : line.at("steering").at("heads")) p.heads.emplace_back(h.at("layer").get<int>(), h.at("head").get<int>());
            }
            d.pas.push_back(std::move(p));
        } catch (const json::exception & e) {
            fail(strfmt("%s: field 'alpha_curve'/'steering': malformed PAS line (%s)", where.c_str(), e.what()),
                 "the line is not as palign eval writes it");
        }
    });
    return d;
}

} // namespace palign
