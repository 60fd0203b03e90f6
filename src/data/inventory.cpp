// Inventories: load and validate the IPIP-NEO and SD-3 item tables and their align/eval splits; named item sets.
#include "data/inventory.h"

#include "data/file_util.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

using json = nlohmann::json;

namespace palign {

static const char * BIG5_HEADER[] = { "full_id", "short_id", "key", "domain", "facet", "facet_name", "text" };
static const char * SD3_HEADER[]  = { "id", "trait", "key", "text" };

const char * inventory_kind_name(inventory_kind kind) {
    return kind == inventory_kind::big5 ? "big5" : "sd3";
}

const item * inventory::find(const std::string & id) const {
    auto it = index.find(id);
    return it == index.end() ? nullptr : &items[it->second];
}

const item & inventory::at(const std::string & id) const {
    const item * it = find(id);
    if (!it) {
        fail(strfmt("unknown %s item id '%s'", name.c_str(), id.c_str()),
             kind == inventory_kind::big5 ? "Big Five item ids are i1..i300" : "SD-3 item ids are M1..M9, N1..N9, P1..P9");
    }
    return *it;
}

std::string trait_name(inventory_kind kind, const std::string & trait) {
    static const std::map<std::string, std::string> big5 = {
        {"O", "Openness"}, {"C", "Conscientiousness"}, {"E", "Extraversion"}, {"A", "Agreeableness"}, {"N", "Neuroticism"} };
    static const std::map<std::string, std::string> sd3 = {
        {"M", "Machiavellianism"}, {"N", "Narcissism"}, {"P", "Psychopathy"} };
    const auto & m = kind == inventory_kind::big5 ? big5 : sd3;
    auto it = m.find(trait);
    return it == m.end() ? trait : it->second;
}

int keyed_value(const item & it, int answer) {
    if (answer < 1 || answer > 5) return 0;
    return it.reverse ? 6 - answer : answer;
}

// header line must match exactly
template <size_t N>
static void check_header(const std::string & path, const std::vector<std::string> & lines, const char * const (&cols)[N]) {
    std::vector<std::string> expected(cols, cols + N);
    const std::string hint = "the header must be: " + join(expected, "<TAB>");
    if (lines.empty()) fail_at(path, 1, "", "empty file", hint);
    auto got = split_tabs(lines[0]);
    for (size_t c = 0; c < N; c++) {
        if (c >= got.size()) fail_at(path, 1, cols[c], "column " + std::to_string(c + 1) + " is missing", hint);
        if (got[c] != cols[c]) {
            fail_at(path, 1, got[c], "column " + std::to_string(c + 1) + " is '" + got[c] + "', expected '" + cols[c] + "'", hint);
        }
    }
    if (got.size() > N) fail_at(path, 1, got[N], "unexpected column " + std::to_string(N + 1), hint);
}

static void check_key(const std::string & path, int ln, const std::string & key) {
    if (key != "+" && key != "-") fail_at(path, ln, "key", "'" + key + "' is not + or -");
}

static void load_big5_items(inventory & inv, const std::string & path) {
    const std::string text = read_data_file(path);
    const auto lines = split_lines(text);
    check_header(path, lines, BIG5_HEADER);
    std::set<int> seen_full, seen_short;
    for (size_t i = 1; i < lines.size(); i++) {
        const int ln = (int) i + 1;
        if (lines[i].empty()) continue;
        auto f = split_tabs(lines[i]);
        if (f.size() != 7) fail_at(path, ln, "", strfmt("%zu columns, expected 7", f.size()), "columns are tab-separated");
        item it;
        if (!parse_int(f[0], it.full_id) || it.full_id < 1 || it.full_id > 300) {
            fail_at(path, ln, "full_id", "'" + f[0] + "' is not a number 1..300");
        }
        if (!seen_full.insert(it.full_id).second) fail_at(path, ln, "full_id", strfmt("duplicate item %d", it.full_id));
        if (!f[1].empty()) {
            if (!parse_int(f[1], it.short_id) || it.short_id < 1 || it.short_id > 120) {
                fail_at(path, ln, "short_id", "'" + f[1] + "' is not empty or a number 1..120");
            }
            if (!seen_short.insert(it.short_id).second) fail_at(path, ln, "short_id", strfmt("duplicate short number %d", it.short_id));
        }
        check_key(path, ln, f[2]);
        it.reverse = f[2] == "-";
        if (f[3].size() != 1 || std::string("OCEAN").find(f[3]) == std::string::npos) {
            fail_at(path, ln, "domain", "'" + f[3] + "' is not one of O C E A N");
        }
        it.trait = f[3];
        if (f[4].size() != 2 || f[4][0] != f[3][0] || f[4][1] < '1' || f[4][1] > '6') {
            fail_at(path, ln, "facet", "'" + f[4] + "' is not " + f[3] + "1.." + f[3] + "6");
        }
        it.facet = f[4];
        if (f[5].empty()) fail_at(path, ln, "facet_name", "empty");
        it.facet_name = f[5];
        if (f[6].empty()) fail_at(path, ln, "text", "empty");
        it.text = f[6];
        it.id = "i" + std::to_string(it.full_id);
        inv.items.push_back(std::move(it));
    }
    if (inv.items.size() != 300 || seen_short.size() != 120) {
        fail(strfmt("%s: %zu items (%zu in the short form), expected 300 (120)", path.c_str(), inv.items.size(), seen_short.size()),
             "use the ipip_neo_300_items.tsv that comes with palign");
    }
    std::sort(inv.items.begin(), inv.items.end(), [](const item & a, const item & b) { return a.full_id < b.full_id; });
}

static void load_sd3_items(inventory & inv, const std::string & path) {
    const std::string text = read_data_file(path);
    const auto lines = split_lines(text);
    check_header(path, lines, SD3_HEADER);
    for (size_t i = 1; i < lines.size(); i++) {
        const int ln = (int) i + 1;
        if (lines[i].empty()) continue;
        auto f = split_tabs(lines[i]);
        if (f.size() != 4) fail_at(path, ln, "", strfmt("%zu columns, expected 4", f.size()), "columns are tab-separated");
        item it;
        const std::string & id = f[0];
        if (id.size() != 2 || std::string("MNP").find(id[0]) == std::string::npos || id[1] < '1' || id[1] > '9') {
            fail_at(path, ln, "id", "'" + id + "' is not M1..M9, N1..N9 or P1..P9");
        }
        if (inv.index.count(id)) fail_at(path, ln, "id", "duplicate item " + id);
        if (f[1] != id.substr(0, 1)) fail_at(path, ln, "trait", "'" + f[1] + "' does not match item " + id);
        check_key(path, ln, f[2]);
        if (f[3].empty()) fail_at(path, ln, "text", "empty");
        it.id = id;
        it.full_id = (int) inv.items.size() + 1;
        it.reverse = f[2] == "-";
        it.trait = f[1];
        it.text = f[3];
        inv.index[id] = inv.items.size();
        inv.items.push_back(std::move(it));
    }
    if (inv.items.size() != 27) {
        fail(strfmt("%s: %zu items, expected 27", path.c_str(), inv.items.size()), "use the sd3_items.tsv that comes with palign");
    }
}

static json parse_json_file(const std::string & path, const std::string & text) {
    try {
        return json::parse(text);
    } catch (const json::parse_error & e) {
        fail_at(path, line_of_offset(text, e.byte > 0 ? e.byte - 1 : 0), "", std::string("malformed JSON (") + e.what() + ")");
    }
}

// read one id list of a split file; big5 lists hold full numbers, sd3 lists hold ids
static std::vector<std::string> split_list(const inventory & inv, const std::string & path, const std::string & text,
                                           const json & j, const std::string & key, std::set<std::string> & seen) {
    const int ln = json_key_line(text, key);
    if (!j.is_object() || !j.contains(key)) fail_at(path, ln, key, "missing");
    const json & arr = j[key];
    if (!arr.is_array()) fail_at(path, ln, key, "not a list");
    std::vector<std::string> ids;
    for (const auto & v : arr) {
        std::string id;
        if (inv.kind == inventory_kind::big5) {
            if (!v.is_number_integer()) fail_at(path, ln, key, "entry " + v.dump() + " is not an item number");
            id = "i" + std::to_string(v.get<long long>());
        } else {
            if (!v.is_string()) fail_at(path, ln, key, "entry " + v.dump() + " is not an item id");
            id = v.get<std::string>();
        }
        if (!inv.find(id)) fail_at(path, ln, key, "unknown item " + v.dump());
        if (!seen.insert(id).second) fail_at(path, ln, key, "item " + v.dump() + " listed twice");
        ids.push_back(id);
    }
    return ids;
}

inventory load_inventory(inventory_kind kind, const std::string & data_dir) {
    inventory inv;
    inv.kind = kind;
    const std::string dir = data_dir + "/papi/";
    std::string split_path, align_key, eval_key;
    if (kind == inventory_kind::big5) {
        inv.name   = "IPIP-NEO";
        inv.traits = { "O", "C", "E", "A", "N" };
        load_big5_items(inv, dir + "ipip_neo_300_items.tsv");
        for (size_t i = 0; i < inv.items.size(); i++) inv.index[inv.items[i].id] = i;
        split_path = dir + "ipip_neo_item_split.json";
        align_key  = "align_items_full_ids";
        eval_key   = "eval_items_full_ids";
    } else {
        inv.name   = "SD-3";
        inv.traits = { "M", "N", "P" };
        load_sd3_items(inv, dir + "sd3_items.tsv");
        split_path = dir + "sd3_item_split.json";
        align_key  = "align_items";
        eval_key   = "eval_items";
    }
    const std::string text = read_data_file(split_path);
    const json j = parse_json_file(split_path, text);
    std::set<std::string> seen;
    inv.align_ids = split_list(inv, split_path, text, j, align_key, seen);
    inv.eval_ids  = split_list(inv, split_path, text, j, eval_key, seen);
    return inv;
}

std::vector<std::string> item_set_names(inventory_kind kind) {
    if (kind == inventory_kind::big5) return { "ipip-neo-120", "ipip-neo-300", "align", "eval" };
    return { "sd3", "align", "eval" };
}

inventory_kind inventory_kind_from_name(const std::string & name, const std::string & what) {
    if (name == "big5") return inventory_kind::big5;
    if (name == "sd3") return inventory_kind::sd3;
    fail(what + ": unknown '" + name + "'", "use big5 or sd3");
}

inventory_kind inventory_kind_for_set(const std::string & set_name) {
    if (set_name == "ipip-neo-120" || set_name == "ipip-neo-300") return inventory_kind::big5;
    if (set_name == "sd3") return inventory_kind::sd3;
    fail("unknown questionnaire '" + set_name + "'", "use ipip-neo-120, ipip-neo-300 or sd3");
}

std::vector<const item *> item_set(const inventory & inv, const std::string & name) {
    std::vector<const item *> out;
    auto from_ids = [&](const std::vector<std::string> & ids) {
        for (const auto & id : ids) out.push_back(&inv.at(id));
    };
    if (name == "align") {
        from_ids(inv.align_ids);
    } else if (name == "eval") {
        from_ids(inv.eval_ids);
    } else if (inv.kind == inventory_kind::big5 && name == "ipip-neo-300") {
        for (const auto & it : inv.items) out.push_back(&it);
    } else if (inv.kind == inventory_kind::big5 && name == "ipip-neo-120") {
        for (const auto & it : inv.items) if (it.short_id > 0) out.push_back(&it);
        std::sort(out.begin(), out.end(), [](const item * a, const item * b) { return a->short_id < b->short_id; });
    } else if (inv.kind == inventory_kind::sd3 && name == "sd3") {
        for (const auto & it : inv.items) out.push_back(&it);
    } else {
        fail(strfmt("unknown %s item set '%s'", inv.name.c_str(), name.c_str()),
             "item sets are: " + join(item_set_names(inv.kind), ", "));
    }
    return out;
}

} // namespace palign
