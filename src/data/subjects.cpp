// Subjects: load PAPI test subjects (JSONL), one person's answer file (JSON object) and the personality texts.
#include "data/subjects.h"

#include "data/file_util.h"
#include "util/error.h"
#include "util/paths.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <unordered_map>

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

// position of an item id in inv.items, -1 if unknown (Big Five "i<n>" directly: items are sorted by full number)
static int item_pos(const inventory & inv, const std::string & key) {
    if (inv.kind == inventory_kind::big5 && key.size() >= 2 && key.size() <= 4 && key[0] == 'i' && key[1] != '0') {
        int n = 0;
        for (size_t i = 1; i < key.size(); i++) n = (key[i] >= '0' && key[i] <= '9') ? n * 10 + (key[i] - '0') : -1000;
        if (n >= 1 && n <= (int) inv.items.size() && inv.items[n - 1].full_id == n) return n - 1;
    }
    auto it = inv.index.find(key);
    return it == inv.index.end() ? -1 : (int) it->second;
}

// check one answer value and store it by item position (a repeated key keeps its last value, as JSON parsers do)
static void check_answer(const inventory & inv, const std::string & path, int ln, const std::string & key, const json & v,
                         std::vector<int> & values) {
    const int pos = item_pos(inv, key);
    if (pos < 0) fail_at(path, ln, key, "unknown item id", item_id_hint(inv));
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
        // never dump a structure: it may be nested 1e5 deep (recursion) or megabytes long
        const std::string what = v.is_array() ? "an array" : v.is_object() ? "an object" : v.dump().substr(0, 40);
        fail_at(path, ln, key, "answer " + what + " is not a number 0..5", ANSWER_HINT);
    }
    values[pos] = a;
}

// build the answer map from values by item position (-1 = absent); inv.index is sorted by id, so the map is built
// in order (linear time: 300 subjects x 300 items load in a few ms)
static void set_answers(subject & s, const inventory & inv, std::vector<int> & values) {
    for (const auto & kv : inv.index) {
        if (values[kv.second] >= 0) s.answers.emplace_hint(s.answers.end(), kv.first, values[kv.second]);
    }
    std::fill(values.begin(), values.end(), -1);
}

static std::string scalar_string(const json & v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<long long>());
    return v.dump();
}

// fast reader for one flat JSON object ({"key": scalar, ...}: no escapes, no nesting) - the PAPI layout.
// Returns false for anything else; the caller then uses the full JSON parser (which also reports errors).
static bool parse_flat_object(const std::string & line, std::vector<std::pair<std::string, json>> & out) {
    const char * p = line.c_str();
    const char * end = p + line.size();
    auto ws = [&]() { while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) p++; };
    ws();
    if (p == end || *p != '{') return false;
    p++;
    ws();
    if (p < end && *p == '}') { p++; ws(); return p == end; }
    while (true) {
        ws();
        if (p == end || *p != '"') return false;
        const char * k0 = ++p;
        while (p < end && *p != '"' && *p != '\\' && (unsigned char) *p >= 0x20 && (unsigned char) *p < 0x80) p++;
        if (p == end || *p != '"') return false;
        std::string key(k0, p - k0);
        p++;
        ws();
        if (p == end || *p != ':') return false;
        p++;
        ws();
        if (p == end) return false;
        json v;
        if (*p == '"') {
            const char * v0 = ++p;
            while (p < end && *p != '"' && *p != '\\' && (unsigned char) *p >= 0x20 && (unsigned char) *p < 0x80) p++;
            if (p == end || *p != '"') return false;
            v = std::string(v0, p - v0);
            p++;
        } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
            const char * v0 = p;
            if (*p == '-') p++;
            const char * d0 = p;
            while (p < end && *p >= '0' && *p <= '9') p++;
            if (p == d0 || p - d0 > 15 || (*d0 == '0' && p - d0 > 1)) return false;
            if (p < end && (*p == '.' || *p == 'e' || *p == 'E')) return false;   // not an integer: full parser
            long long x = 0;
            for (const char * d = d0; d < p; d++) x = x * 10 + (*d - '0');
            v = *v0 == '-' ? -x : x;
        } else if (line.compare(p - line.c_str(), 4, "null") == 0) {
            p += 4;
        } else {
            return false;
        }
        out.emplace_back(std::move(key), std::move(v));
        ws();
        if (p == end) return false;
        if (*p == ',') { p++; continue; }
        if (*p != '}') return false;
        p++;
        ws();
        return p == end;
    }
}

// one line of a subjects file after the other: each is validated, every id is remembered (each once per
// file), and only the subjects the filter keeps are stored
struct subjects_reader {
    const inventory & inv;
    const std::string & path;
    const subject_filter & keep;
    subjects_slice out;
    const char * id_key;
    std::vector<std::pair<std::string, json>> fields;
    std::vector<int> values;
    std::vector<int> line_of;                       // file index -> line (for the error naming the first one)

    subjects_reader(const inventory & inv_, const std::string & path_, const subject_filter & keep_)
        : inv(inv_), path(path_), keep(keep_), id_key(inv_.kind == inventory_kind::big5 ? "case" : "index"),
          values(inv_.items.size(), -1) {}

    void line(const std::string & text, int ln) {
        if (text.find_first_not_of(" \t") == std::string::npos) return;
        fields.clear();
        if (!parse_flat_object(text, fields)) {
            fields.clear();
            json j;
            try {
                j = json::parse(text);
            } catch (const json::exception & e) {   // syntax, bad UTF-8, or a number too large for a double (1e400)
                fail_at(path, ln, "", std::string("malformed JSON (") + e.what() + ")", "each line must be one JSON object");
            }
            if (!j.is_object()) fail_at(path, ln, "", "not a JSON object", "each line must be one JSON object");
            for (auto it = j.begin(); it != j.end(); ++it) fields.emplace_back(it.key(), it.value());
        }
        const int index = out.n_total;
        const bool kept = keep.keeps(index);
        subject s;
        bool has_id = false;
        for (const auto & f : fields) {
            const std::string & key = f.first;
            if (looks_like_item(inv, key)) {
                check_answer(inv, path, ln, key, f.second, values);
            } else if (key == id_key) {
                const json & v = f.second;
                if (!(v.is_number_integer() || (v.is_string() && !v.get<std::string>().empty()))) {
                    fail_at(path, ln, id_key, "the subject id must be a whole number or a non-empty string, not " +
                            v.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 60),
                            "each line names its subject once, e.g. \"" + std::string(id_key) + "\": 17");
                }
                s.id = scalar_string(v);
                has_id = true;
            } else if (key == "country" && f.second.is_string()) {
                s.country = f.second.get<std::string>();
            }
        }
        if (kept) set_answers(s, inv, values);
        else std::fill(values.begin(), values.end(), -1);
        if (!has_id) {
            fail_at(path, ln, id_key, "missing: every subject needs an id", "add e.g. \"" + std::string(id_key) + "\": 17 to the line");
        }
        auto seen = out.index_of.emplace(s.id, index);
        if (!seen.second) {
            fail_at(path, ln, id_key, strfmt("subject id '%s' is already on line %d", s.id.c_str(), line_of[seen.first->second]),
                    "each subject once per file: results are keyed by the id");
        }
        line_of.push_back(ln);
        out.n_total++;
        if (kept) {
            out.subjects.push_back(std::move(s));
            out.file_index.push_back(index);
        }
    }
};

bool subject_filter::keeps(int index) const {
    return index >= first && index < last && (n_shards <= 0 || index % n_shards == shard);
}

subjects_slice load_subjects_slice(const inventory & inv, const std::string & path, const subject_filter & keep) {
    if (!file_exists(path)) {
        fail(path + ": file not found", "point --data-dir or PALIGN_DATA_DIR at palign's data directory (it has papi/)");
    }
    FILE * f = fopen(path.c_str(), "rb");
    if (!f) fail(strfmt("%s: cannot read (%s)", path.c_str(), strerror(errno)));
    std::unique_ptr<FILE, int (*)(FILE *)> guard(f, fclose);
    subjects_reader rd(inv, path, keep);
    // one line at a time (a line is one subject: kilobytes), so memory follows the kept range, not the file
    struct line_buf { char * p = nullptr; size_t cap = 0; ~line_buf() { free(p); } } buf;   // getline's buffer
    int ln = 0;
    std::string text;
    for (ssize_t n; (n = getline(&buf.p, &buf.cap, f)) >= 0;) {
        ln++;
        size_t len = (size_t) n;
        if (len > 0 && buf.p[len - 1] == '\n') len--;
        if (len > 0 && buf.p[len - 1] == '\r') len--;
        text.assign(buf.p, len);
        rd.line(text, ln);
    }
    if (ferror(f)) fail(strfmt("%s: cannot read (%s)", path.c_str(), strerror(errno)));
    return std::move(rd.out);
}

subjects_slice subjects_from_text(const inventory & inv, const std::string & text, const std::string & path, const subject_filter & keep) {
    subjects_reader rd(inv, path, keep);
    const auto lines = split_lines(text);
    for (size_t i = 0; i < lines.size(); i++) rd.line(lines[i], (int) i + 1);
    return std::move(rd.out);
}

std::vector<subject> load_subjects_file(const inventory & inv, const std::string & path) {
    return load_subjects_slice(inv, path, subject_filter{}).subjects;
}

std::string subjects_path(const inventory & inv, const std::string & data_dir) {
    const std::string name = inv.kind == inventory_kind::big5 ? "ipip_neo_test_subjects.jsonl" : "sd3_test_subjects.jsonl";
    return data_dir + "/papi/" + name;
}

std::vector<subject> load_subjects(const inventory & inv, const std::string & data_dir) {
    return load_subjects_file(inv, subjects_path(inv, data_dir));
}

subject load_answer_file(const std::string & path, const inventory & inv) {
    // a person's answers are a few kilobytes: anything far larger is not an answer file (and is not read)
    check_input_file(path, 1 << 20, "answer file");
    subject s = answers_from_json(read_data_file(path), inv, path);
    size_t slash = path.find_last_of('/');
    s.id = slash == std::string::npos ? path : path.substr(slash + 1);
    if (s.id.size() > 5 && s.id.compare(s.id.size() - 5, 5, ".json") == 0) s.id.resize(s.id.size() - 5);
    return s;
}

subject answers_from_json(const std::string & text, const inventory & inv, const std::string & path) {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::parse_error & e) {
        fail_at(path, line_of_offset(text, e.byte > 0 ? e.byte - 1 : 0), "", std::string("malformed JSON (") + e.what() + ")",
                "an answer file is one JSON object: {\"" + inv.items.front().id + "\": 4, ...}");
    } catch (const json::exception & e) {   // e.g. a number too large for a double (1e400)
        fail_at(path, 1, "", std::string("unreadable JSON (") + e.what() + ")", "answers are whole numbers 0..5");
    }
    if (!j.is_object()) {
        fail_at(path, 1, "", "not a JSON object", "an answer file is one JSON object: {\"" + inv.items.front().id + "\": 4, ...}");
    }
    subject s;
    s.id = path;
    std::vector<int> values(inv.items.size(), -1);
    for (auto it = j.begin(); it != j.end(); ++it) {
        check_answer(inv, path, json_key_line(text, it.key()), it.key(), it.value(), values);
    }
    set_answers(s, inv, values);
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
