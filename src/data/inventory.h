// Inventories: the questionnaire items (IPIP-NEO Big Five, SD-3 Dark Triad), their keys, traits and named item sets.
//
// Files (under <data_dir>/papi/, see its README.md):
//   big5: ipip_neo_300_items.tsv + ipip_neo_item_split.json   (300 items; align = the 120 short-form items, eval = 180)
//   sd3:  sd3_items.tsv + sd3_item_split.json                 (27 items; align = 18, eval = 9)
// Item ids are "i<full number>" for the Big Five ("i17") and the SD-3 ids ("M3") for the Dark Triad.
// Any defect in these files throws palign::error "<file>:<line>: field '<name>': <problem>[; HINT: ...]".
#pragma once

#include <map>
#include <string>
#include <vector>

namespace palign {

enum class inventory_kind { big5, sd3 };

const char * inventory_kind_name(inventory_kind kind);   // "big5", "sd3"
// the reverse; throws "<what>: unknown '<name>'; HINT: use big5 or sd3" (what: the flag or field, e.g. "--inventory")
inventory_kind inventory_kind_from_name(const std::string & name, const std::string & what = "--inventory");

struct item {
    std::string id;          // "i17" (Big Five) or "M3" (SD-3)
    int  full_id  = 0;       // Big Five: 1..300 (number in the 300-item form); SD-3: 1..27 (file order)
    int  short_id = 0;       // Big Five: 1..120 in the IPIP-NEO-120, 0 if not in it; SD-3: 0
    bool reverse  = false;   // key '-': keyed score = 6 - answer
    std::string trait;       // O C E A N / M N P
    std::string facet;       // Big Five: "N1"; SD-3: ""
    std::string facet_name;  // Big Five: "Anxiety"; SD-3: ""
    std::string text;        // as in the file: "Worry about things." / "I like to use clever manipulation to get my way."
};

struct inventory {
    inventory_kind kind = inventory_kind::big5;
    std::string name;                      // "IPIP-NEO" or "SD-3"
    std::vector<item> items;               // file order (Big Five: by full number)
    std::vector<std::string> traits;       // display order: O C E A N / M N P
    std::vector<std::string> align_ids;    // the split's align items, in the split file's order
    std::vector<std::string> eval_ids;     // the split's eval items, in the split file's order
    std::map<std::string, size_t> index;   // item id -> position in items

    const item * find(const std::string & id) const;   // nullptr if unknown
    const item & at(const std::string & id) const;     // throws palign::error if unknown
};

// long name of a trait letter: big5 "O" -> "Openness", sd3 "M" -> "Machiavellianism"
std::string trait_name(inventory_kind kind, const std::string & trait);

// load and validate; data_dir is the palign data directory (palign::data_dir()), files are under data_dir/papi/
inventory load_inventory(inventory_kind kind, const std::string & data_dir);

// named item sets, in their canonical order:
//   big5: "ipip-neo-120" (short form, by short number), "ipip-neo-300" (by full number),
//         "align" (= the 120, split order), "eval" (the other 180, split order)
//   sd3:  "sd3" (all 27), "align" (18), "eval" (9)
// unknown name -> palign::error with a HINT listing the names
std::vector<const item *> item_set(const inventory & inv, const std::string & name);
std::vector<std::string>  item_set_names(inventory_kind kind);

// the inventory a questionnaire name belongs to: "ipip-neo-120"/"ipip-neo-300" -> big5, "sd3" -> sd3; else throws
inventory_kind inventory_kind_for_set(const std::string & set_name);

// keyed score of an answer 1..5: answer, or 6 - answer for reverse-keyed items; 0 (not answered / UNK) stays 0
int keyed_value(const item & it, int answer);

} // namespace palign
