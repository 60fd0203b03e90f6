// Quiz: a person takes a questionnaire (palign quiz) - the items to ask, what an input means, where the quiz goes next,
// and the answers file it keeps. No terminal code here (quiz/terminal.h), so every rule is testable on its own.
//
// Inventories: big5 = the IPIP-NEO-120 (the items palign align fits on), in the short form's order; big5-300 = all 300
// IPIP-NEO items in their order (align uses the 120 among them); sd3 = all 27 SD-3 items in the file's order (align
// uses M1-6, N1-6, P1-6; the full 27 score the person's profile). --shuffle --seed N: a seeded Fisher-Yates order.
//
// Inputs (one line, or one key on a terminal): 1..5 = the answer value (1 = Very Inaccurate .. 5 = Very Accurate);
// A..E = the option letters as the questionnaire prints them (A = Very Accurate = 5 .. E = Very Inaccurate = 1;
// upper case only, since b is "back"); b / back = the previous item; s / skip = record the item as not answered;
// q / quit = stop (the file keeps every answer so far); "" = keep the item's recorded answer (when it has one).
//
// State: recorded answers, item id -> 1..5 or 0 (skipped); items not in the map are not asked yet. The quiz asks the
// first item (in its order) that is not recorded; after an answer or a skip it goes on to the next one not recorded
// after it (then from the start), so going back and answering again returns to where the person was. The quiz is done
// when every item is recorded. A resumed quiz starts from the answers file (quiz_answers_json), so skipped items are
// not asked again.
#pragma once

#include "data/inventory.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace palign {

struct quiz_inventory {
    inventory_kind kind = inventory_kind::big5;
    std::string set;     // the item set (data/inventory.h): "ipip-neo-120", "ipip-neo-300", "sd3"
};

// "big5" | "big5-300" | "sd3"; throws naming --inventory
quiz_inventory quiz_inventory_for(const std::string & name);

// the items in asking order
std::vector<const item *> quiz_items(const inventory & inv, const quiz_inventory & qi, bool shuffle, uint64_t seed);

enum class quiz_action { answer, back, skip, stop, keep, invalid };

struct quiz_input {
    quiz_action action = quiz_action::invalid;
    int value = 0;       // answer: 1..5
};

// one input (surrounding blanks ignored)
quiz_input parse_quiz_input(const std::string & text);

struct quiz_state {
    std::vector<const item *> items;     // asking order
    std::map<std::string, int> answers;  // recorded: 1..5, or 0 = skipped (items of other sets may be there too)
    size_t pos = 0;                      // the item asked now; items.size() = done

    bool done() const { return pos >= items.size(); }
    bool recorded(size_t i) const { return answers.count(items[i]->id) > 0; }
    int  n_recorded() const;             // of the quiz's items
    int  n_skipped() const;              // of the quiz's items, recorded as 0
};

// the first unrecorded item at or after `from`, else the first unrecorded one, else items.size()
size_t quiz_next_open(const quiz_state & s, size_t from);

// start (or resume) with these recorded answers: pos = the first unrecorded item
quiz_state quiz_start(std::vector<const item *> items, std::map<std::string, int> answers);

enum class quiz_step { saved, moved, stopped, rejected };

// apply one input: saved (an answer or skip was recorded: write the file), moved (back, keep), stopped (q), rejected
// (invalid, back at the first item, keep on an item with no answer); *why receives the reason for a rejection
quiz_step quiz_apply(quiz_state & s, const quiz_input & in, std::string * why = nullptr);

// the answers file: {"<id>": value, ...} one per line, in the inventory's item order (what palign align -a, palign test
// -a and POST /v1/profiles read; 0 = skipped)
std::string quiz_answers_json(const inventory & inv, const std::map<std::string, int> & answers);

} // namespace palign
