// Quiz: item order, inputs, moves, and the answers file.
#include "quiz/quiz.h"

#include "data/prompts.h"
#include "util/error.h"
#include "util/rng.h"

#include <algorithm>

namespace palign {

quiz_inventory quiz_inventory_for(const std::string & name) {
    if (name == "big5") return {inventory_kind::big5, "ipip-neo-120"};
    if (name == "big5-300") return {inventory_kind::big5, "ipip-neo-300"};
    if (name == "sd3") return {inventory_kind::sd3, "sd3"};
    fail(strfmt("--inventory: unknown '%s'", name.c_str()), "use big5 (IPIP-NEO-120), big5-300 (IPIP-NEO-300) or sd3 (SD-3, 27 items)");
}

std::vector<const item *> quiz_items(const inventory & inv, const quiz_inventory & qi, bool shuffle, uint64_t seed) {
    std::vector<const item *> items = item_set(inv, qi.set);
    if (shuffle) {
        rng g(seed);
        for (size_t i = items.size(); i > 1; i--) std::swap(items[i - 1], items[g.below(i)]);
    }
    return items;
}

quiz_input parse_quiz_input(const std::string & text) {
    const size_t a = text.find_first_not_of(" \t\r\n");
    const std::string t = a == std::string::npos ? "" : text.substr(a, text.find_last_not_of(" \t\r\n") - a + 1);
    quiz_input in;
    if (t.empty()) { in.action = quiz_action::keep; return in; }
    if (t.size() == 1 && t[0] >= '1' && t[0] <= '5') { in.action = quiz_action::answer; in.value = t[0] - '0'; return in; }
    if (t.size() == 1 && t[0] >= 'A' && t[0] <= 'E') { in.action = quiz_action::answer; in.value = letter_value(t[0]); return in; }
    if (t == "b" || t == "back") in.action = quiz_action::back;
    else if (t == "s" || t == "skip") in.action = quiz_action::skip;
    else if (t == "q" || t == "quit") in.action = quiz_action::stop;
    return in;
}

int quiz_state::n_recorded() const {
    int n = 0;
    for (size_t i = 0; i < items.size(); i++) n += recorded(i);
    return n;
}

int quiz_state::n_skipped() const {
    int n = 0;
    for (const item * it : items) {
        auto f = answers.find(it->id);
        n += f != answers.end() && f->second == 0;
    }
    return n;
}

size_t quiz_next_open(const quiz_state & s, size_t from) {
    for (size_t i = from; i < s.items.size(); i++) if (!s.recorded(i)) return i;
    for (size_t i = 0; i < std::min(from, s.items.size()); i++) if (!s.recorded(i)) return i;
    return s.items.size();
}

quiz_state quiz_start(std::vector<const item *> items, std::map<std::string, int> answers) {
    quiz_state s;
    s.items = std::move(items);
    s.answers = std::move(answers);
    s.pos = quiz_next_open(s, 0);
    return s;
}

quiz_step quiz_apply(quiz_state & s, const quiz_input & in, std::string * why) {
    auto reject = [&](const char * w) {
        if (why) *why = w;
        return quiz_step::rejected;
    };
    if (s.done()) return reject("the quiz is over");
    const std::string & id = s.items[s.pos]->id;
    switch (in.action) {
        case quiz_action::answer:
        case quiz_action::skip:
            s.answers[id] = in.action == quiz_action::answer ? in.value : 0;
            s.pos = quiz_next_open(s, s.pos + 1);
            return quiz_step::saved;
        case quiz_action::back:
            if (s.pos == 0) return reject("this is the first item");
            s.pos--;
            return quiz_step::moved;
        case quiz_action::keep:
            if (!s.recorded(s.pos)) return reject("no answer yet: type 1-5 or A-E (s = skip)");
            s.pos = quiz_next_open(s, s.pos + 1);
            return quiz_step::moved;
        case quiz_action::stop:
            return quiz_step::stopped;
        case quiz_action::invalid:
            break;
    }
    return reject("not an answer: 1-5 or A-E (upper case), b = back, s = skip, q = stop");
}

std::string quiz_answers_json(const inventory & inv, const std::map<std::string, int> & answers) {
    std::string out = "{";
    bool first = true;
    for (const item & it : inv.items) {
        auto f = answers.find(it.id);
        if (f == answers.end()) continue;
        out += strfmt("%s\n  \"%s\": %d", first ? "" : ",", it.id.c_str(), f->second);
        first = false;
    }
    return out + (first ? "}\n" : "\n}\n");
}

} // namespace palign
