// Prompts: the paper's item question, option labels and system prompts (the only place with this wording).
#include "data/prompts.h"

#include "util/error.h"

#include <cctype>

namespace palign {

const char * const PROMPT_SYSTEM_DEFAULT  = "You are a helpful, honest and concise assistant.";
const char * const PROMPT_FEW_SHOT_HEADER = "Here are some of your behaviors and your level of recognition towards them;";

static const char * QUESTION_HEAD = "Given a statement of you: ";
static const char * QUESTION_TAIL =
    "\nPlease choose from the following options to identify how accurately this statement describes you."
    "\nOptions:"
    "\n(A). Very Accurate"
    "\n(B). Moderately Accurate"
    "\n(C). Neither Accurate Nor Inaccurate"
    "\n(D). Moderately Inaccurate"
    "\n(E). Very Inaccurate";

// the reference code's TEMPLATE (main.py), with its doubled period and trailing newline
static const char * REFERENCE_HEAD = "Given a statement of you: \"You ";
static const char * REFERENCE_TAIL =
    ".\"\nPlease choose from the following options to identify how accurately this statement describes you."
    "\nOptions:"
    "\n(A). Very Accurate"
    "\n(B). Moderately Accurate"
    "\n(C). Neither Accurate Nor Inaccurate"
    "\n(D). Moderately Inaccurate"
    "\n(E). Very Inaccurate"
    "\n";

const char * prompt_style_name(prompt_style s) { return s == prompt_style::reference ? "reference" : "palign"; }

const std::vector<std::string> & option_labels() {
    static const std::vector<std::string> labels = {
        "Very Accurate", "Moderately Accurate", "Neither Accurate Nor Inaccurate", "Moderately Inaccurate", "Very Inaccurate" };
    return labels;
}

std::string answer_label(int value) {
    if (value < 1 || value > 5) return "";
    return option_labels()[5 - value];
}

int letter_value(char letter) {
    const char c = (char) toupper((unsigned char) letter);
    return c >= 'A' && c <= 'E' ? 5 - (c - 'A') : 0;
}

char value_letter(int value) {
    return value >= 1 && value <= 5 ? (char) ('A' + 5 - value) : '?';
}

// does the text end a sentence already (".", "!", "?", possibly followed by closing quotes/brackets)?
static bool ends_sentence(const std::string & s) {
    size_t n = s.size();
    while (n > 0 && (s[n - 1] == '"' || s[n - 1] == '\'' || s[n - 1] == ')' || s[n - 1] == ' ')) n--;
    return n > 0 && (s[n - 1] == '.' || s[n - 1] == '!' || s[n - 1] == '?');
}

std::string item_statement(inventory_kind kind, const item & it) {
    if (kind == inventory_kind::sd3) return it.text;
    std::string t = it.text;
    while (!t.empty() && t.back() == ' ') t.pop_back();
    if (!t.empty()) t[0] = (char) tolower((unsigned char) t[0]);
    if (!ends_sentence(t)) t += '.';
    return "You " + t;
}

std::string item_question(inventory_kind kind, const item & it, prompt_style style, bool contrast) {
    if (style == prompt_style::reference) {
        std::string t = it.text;
        // Python's str.lower() on these ASCII texts
        if (!contrast) for (char & c : t) c = (char) tolower((unsigned char) c);
        return std::string(REFERENCE_HEAD) + t + REFERENCE_TAIL;
    }
    return std::string(QUESTION_HEAD) + "\"" + item_statement(kind, it) + "\"" + QUESTION_TAIL;
}

std::string system_prompt_few_shot(const std::vector<const item *> & items, const subject & s, int * n_skipped,
                                   bool unknown_label) {
    std::string out = PROMPT_FEW_SHOT_HEADER;
    bool first = true;
    int skipped = 0;
    for (const item * it : items) {
        std::string label = answer_label(s.answer(it->id));
        if (label.empty()) {
            skipped++;
            if (!unknown_label) continue;
            label = "Unknown";   // the reference's SCORES_BACK[0]
        }
        if (!first) out += ';';
        out += it->text + ":" + label;
        first = false;
    }
    if (n_skipped) *n_skipped = skipped;
    return out;
}

std::string system_prompt_personality(const std::map<std::string, std::string> & descriptions, const subject & s) {
    auto it = descriptions.find(s.id);
    if (it == descriptions.end()) {
        fail("no personality description for subject '" + s.id + "'",
             "papi/personality_prompts.jsonl has descriptions for the 300 PAPI Big Five test subjects only (by \"case\")");
    }
    return it->second;
}

} // namespace palign
