// Reports: JSON / CSV for scores, table / JSON for profiles, atomic file writes.
#include "eval/report.h"

#include "util/error.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unistd.h>

using ojson = nlohmann::ordered_json;

namespace palign {

static const char * COUNT_KEYS[6] = { "A", "B", "C", "D", "E", "UNK" };

static ojson num(double x) {
    return std::isfinite(x) ? ojson(x) : ojson(nullptr);
}

static ojson counts_json(const std::array<int, 6> & c) {
    ojson j = ojson::object();
    for (int i = 0; i < 6; i++) j[COUNT_KEYS[i]] = c[i];
    return j;
}

static std::string dump(const ojson & j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string scores_json(const scores & sc, int indent) {
    ojson j;
    j["inventory"] = inventory_kind_name(sc.kind);
    j["label"]     = sc.label;
    j["traits"]    = sc.traits;
    ojson summary = ojson::object(), summary_n = ojson::object();
    for (const auto & f : sc.fields) {
        auto it = sc.summary.find(f);
        summary[f] = num(it == sc.summary.end() ? NAN : it->second);
        auto itn = sc.summary_n.find(f);
        summary_n[f] = itn == sc.summary_n.end() ? 0 : itn->second;
    }
    j["summary"]    = summary;
    j["summary_n"]  = summary_n;
    if (!sc.alpha_select.empty()) j["alpha_select"] = sc.alpha_select;
    j["n"]          = sc.n;
    j["n_ok"]       = sc.n_ok;
    ojson fails = ojson::array();
    for (const auto & f : sc.failures) fails.push_back(ojson{{"subject", f.first}, {"cause", f.second}});
    j["failures"]   = fails;
    j["n_subjects"] = sc.subjects.size();
    j["n_items"]    = sc.n_items;
    j["n_used"]     = sc.n_used;
    j["n_unk"]      = sc.n_unk;
    j["n_missing"]  = sc.n_missing;
    j["counts"]     = counts_json(sc.counts);
    ojson subjects = ojson::array();
    for (const auto & s : sc.subjects) {
        ojson js;
        js["subject"] = s.subject;
        for (const auto & f : sc.fields) js[f] = num(subject_field(s, f));
        if (std::isfinite(s.alpha)) js["alpha"] = s.alpha;
        js["n_unk"]     = s.n_unk;
        js["n_missing"] = s.n_missing;
        ojson traits = ojson::object();
        for (const auto & t : s.traits) {
            ojson jt;
            jt["n_items"]   = t.n_items;
            jt["n"]         = t.n;
            jt["n_unk"]     = t.n_unk;
            jt["n_missing"] = t.n_missing;
            jt["counts"]    = counts_json(t.counts);
            traits[t.trait] = jt;
        }
        js["traits"] = traits;
        ojson items = ojson::array();
        for (const auto & r : s.items) {
            ojson ji;
            ji["id"]          = r.id;
            ji["trait"]       = r.trait;
            ji["key"]         = r.reverse ? "-" : "+";
            ji["model"]       = r.model.unk() ? std::string("UNK") : std::string(1, r.model.letter());
            ji["model_value"] = r.model.value;
            ji["subject"]     = r.subject;
            ji["error"]       = r.used() ? ojson(r.error()) : ojson(nullptr);
            ji["keyed"]       = r.keyed();
            ji["rule"]        = answer_rule_name(r.model.rule);
            if (r.model.has_probs) {
                ji["probs"]    = r.model.probs;
                ji["expected"] = num(r.model.expected);
                ji["entropy"]  = num(r.model.entropy);
            }
            items.push_back(ji);
        }
        js["items"] = items;
        subjects.push_back(js);
    }
    j["subjects"] = subjects;
    return dump(j, indent);
}

static std::string csv_num(double x) {
    if (!std::isfinite(x)) return "";
    return strfmt("%.10g", x);
}

static std::string csv_field(const std::string & s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string scores_subjects_csv(const scores & sc) {
    std::string out = "subject";
    for (const auto & f : sc.fields) out += "," + f;
    out += ",n_used,n_unk,n_missing\n";
    for (const auto & s : sc.subjects) {
        out += csv_field(s.subject);
        for (const auto & f : sc.fields) out += "," + csv_num(subject_field(s, f));
        int n_used = 0;
        for (const auto & r : s.items) n_used += r.used();
        out += strfmt(",%d,%d,%d\n", n_used, s.n_unk, s.n_missing);
    }
    out += "mean";
    for (const auto & f : sc.fields) {
        auto it = sc.summary.find(f);
        out += "," + csv_num(it == sc.summary.end() ? NAN : it->second);
    }
    out += strfmt(",%d,%d,%d\n", sc.n_used, sc.n_unk, sc.n_missing);
    return out;
}

std::string scores_items_csv(const scores & sc) {
    std::string out = "subject,item,trait,key,model,model_value,subject_value,error,keyed,rule,p_A,p_B,p_C,p_D,p_E\n";
    for (const auto & s : sc.subjects) {
        for (const auto & r : s.items) {
            out += csv_field(s.subject) + "," + r.id + "," + r.trait + "," + (r.reverse ? "-" : "+") + ",";
            out += r.model.unk() ? std::string("UNK") : std::string(1, r.model.letter());
            out += strfmt(",%d,%d,", r.model.value, r.subject);
            out += r.used() ? std::to_string(r.error()) : std::string();
            out += strfmt(",%d,%s", r.keyed(), answer_rule_name(r.model.rule));
            for (int i = 0; i < 5; i++) out += "," + (r.model.has_probs ? csv_num(r.model.probs[i]) : std::string());
            out += "\n";
        }
    }
    return out;
}

std::vector<std::string> write_scores(const scores & sc, const std::string & prefix) {
    std::vector<std::pair<std::string, std::string>> files = {
        { prefix + ".json",      scores_json(sc) },
        { prefix + ".csv",       scores_subjects_csv(sc) },
        { prefix + ".items.csv", scores_items_csv(sc) },
    };
    write_files_atomic(files);
    return { files[0].first, files[1].first, files[2].first };
}

static std::string table_row(const profile_row & r, bool facet) {
    const std::string label = (facet ? "  " : "") + r.key + " " + r.name;
    const std::string mean  = std::isfinite(r.mean) ? strfmt("%6.2f", r.mean) : std::string("     -");
    return strfmt("%-32s %5d %8d %5d %s\n", label.c_str(), r.n_items, r.n_answered, r.raw, mean.c_str());
}

std::string profile_table(const personality_profile & p) {
    std::string out = strfmt("%s profile (%s): %d items, %d answered, %d UNK\n",
                             p.kind == inventory_kind::big5 ? "Big Five" : "Dark Triad", p.set.c_str(),
                             p.n_items, p.n_answered, p.n_unk);
    out += strfmt("%-32s %5s %8s %5s %6s\n", "trait", "items", "answered", "raw", "mean");
    for (const auto & d : p.domains) {
        out += table_row(d, false);
        for (const auto & f : p.facets) if (f.key.compare(0, d.key.size(), d.key) == 0) out += table_row(f, true);
    }
    return out;
}

static ojson row_json(const profile_row & r) {
    ojson j;
    j["name"]       = r.name;
    j["n_items"]    = r.n_items;
    j["n_answered"] = r.n_answered;
    j["raw"]        = r.raw;
    j["mean"]       = num(r.mean);
    return j;
}

std::string profile_json(const personality_profile & p, int indent) {
    ojson j;
    j["inventory"]  = inventory_kind_name(p.kind);
    j["set"]        = p.set;
    j["n_items"]    = p.n_items;
    j["n_answered"] = p.n_answered;
    j["n_unk"]      = p.n_unk;
    ojson d = ojson::object(), f = ojson::object();
    for (const auto & r : p.domains) d[r.key] = row_json(r);
    for (const auto & r : p.facets)  f[r.key] = row_json(r);
    j["domains"] = d;
    j["facets"]  = f;
    return dump(j, indent);
}

} // namespace palign
