// Subjects: load PAPI test subjects (JSONL), one person's answer file (JSON object) and the personality texts.
#include "data/subjects.h"

#include "data/file_util.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

using json = nlohmann::json;

namespace palign {

static const char * ANSWER_HINT = "answers are 1 (Very Inaccurate) .. 5 (Very Accurate), 0 = not answered";

int subject::answer(const std::string & item_id) const {
    auto it = answers.find(item_id);
    return it == answers.end() ? 0 : it->second;
}

int subject::n_answered(const std::vector<const item *> & items) const {
    int n = 0;
    for (const item * it : items) {
        const int a = answer(it->id);
        if (a >= 1 && a <= 5) n++;
    }
    return n;
}

int find_subject(const std::vector<subject> & subjects, const std::string & id) {
    for (size_t i = 0; i < subjects.size(); i++) if (subjects[i].id == id) return (int) i;
    return -1;
}

static const char * item_id_hint(const inventory & inv) {
    return inv.kind == inventory_kind::big5 ? "Big Five item ids are i1..i300" : "SD-3 item ids are M1..M9, N1..N9, P1..P9";
}

// does a key look like an item id of this inventory (whether or not it is a known one)?
static bool looks_like_item(const inventory & inv, const std::string & key) {
    if (key.size() < 2) return false;
    if (inv.kind == inventory_kind::big5 ? key[0] != 'i' : (key[0] != 'M' && key[0] != 'N' && key[0] != 'P')) return false;
    for (size_t i = 1; i < key.size(); i++) if (key[i] < '0' || key[i] > '9') return false;
    return true;
}

// check and store one answer
static void put_answer(subject & s, const inventory & inv, const std::string & path, int ln,
                       const std::string & key, const json & v) {
    if (!inv.find(key)) fail_at(path, ln, key, "unknown item id", item_id_hint(inv));
    int a = 0;
    if (v.is_null()) {
        a = 0;
    } else if (v.is_number_integer()) {
        const long long x = v.get<long long>();
        if (x < 0 || x > 5) fail_at(path, ln, key, strfmt("answer %lld outside 0..5", x), ANSWER_HINT);
        a = (int) x;
    } else if (v.is_number_float()) {
        fail_at(path, ln, key, "answer " + v.dump() + " is not a whole number 0..5", ANSWER_HINT);
    } else {
        fail_at(path, ln, key, "answer " + v.dump() + " is not a number 0..5", ANSWER_HINT);
    }
    s.answers[key] = a;
}

static std::string scalar_string(const json & v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<long long>());
    return v.dump();
}

std::vector<subject> load_subjects_file(const inventory & inv, const std::string & path) {
    const std::string text = read_data_file(path);
    const auto lines = split_lines(text);
    const char * id_key = inv.kind == inventory_kind::big5 ? "case" : "index";
    std::vector<subject> out;
    out.reserve(lines.size());
    for (size_t i = 0; i < lines.size(); i++) {
        const int ln = (int) i + 1;
        if (lines[i].find_first_not_of(" \t") == std::string::npos) continue;
        json j;
        try {
            j = json::parse(lines[i]);
        } catch (const json::parse_error & e) {
            fail_at(path, ln, "", std::string("malformed JSON (") + e.what() + ")", "each line must be one JSON object");
        }
        if (!j.is_object()) fail_at(path, ln, "", "not a JSON object", "each line must be one JSON object");
        subject s;
        for (auto it = j.begin(); it != j.end(); ++it) {
            const std::string & key = it.key();
            if (looks_like_item(inv, key)) {
                put_answer(s, inv, path, ln, key, it.value());
            } else if (key == id_key) {
                s.id = scalar_string(it.value());
            } else if (key == "country" && it.value().is_string()) {
                s.country = it.value().get<std::string>();
            }
        }
        if (s.id.empty()) s.id = "line" + std::to_string(ln);
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<subject> load_subjects(const inventory & inv, const std::string & data_dir) {
    const std::string name = inv.kind == inventory_kind::big5 ? "ipip_neo_test_subjects.jsonl" : "sd3_test_subjects.jsonl";
    return load_subjects_file(inv, data_dir + "/papi/" + name);
}

subject load_answer_file(const std::string & path, const inventory & inv) {
    const std::string text = read_data_file(path);
    json j;
    try {
        j = json::parse(text);
    } catch (const json::parse_error & e) {
        fail_at(path, line_of_offset(text, e.byte > 0 ? e.byte - 1 : 0), "", std::string("malformed JSON (") + e.what() + ")",
                "an answer file is one JSON object: {\"" + inv.items.front().id + "\": 4, ...}");
    }
    if (!j.is_object()) {
        fail_at(path, 1, "", "not a JSON object", "an answer file is one JSON object: {\"" + inv.items.front().id + "\": 4, ...}");
    }
    subject s;
    size_t slash = path.find_last_of('/');
    s.id = slash == std::string::npos ? path : path.substr(slash + 1);
    if (s.id.size() > 5 && s.id.compare(s.id.size() - 5, 5, ".json") == 0) s.id.resize(s.id.size() - 5);
    for (auto it = j.begin(); it != j.end(); ++it) {
        put_answer(s, inv, path, json_key_line(text, it.key()), it.key(), it.value());
    }
    return s;
}

std::map<std::string, std::string> load_personality_prompts(const std::string & data_dir) {
    const std::string path = data_dir + "/papi/personality_prompts.jsonl";
    const std::string text = read_data_file(path);
    const auto lines = split_lines(text);
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < lines.size(); i++) {
        const int ln = (int) i + 1;
        if (lines[i].find_first_not_of(" \t") == std::string::npos) continue;
        json j;
        try {
            j = json::parse(lines[i]);
        } catch (const json::parse_error & e) {
            fail_at(path, ln, "", std::string("malformed JSON (") + e.what() + ")", "each line must be one JSON object");
        }
        if (!j.is_object() || !j.contains("case")) fail_at(path, ln, "case", "missing");
        if (!j.contains("output") || !j["output"].is_string()) fail_at(path, ln, "output", "missing or not a string");
        out[scalar_string(j["case"])] = j["output"].get<std::string>();
    }
    return out;
}

} // namespace palign
