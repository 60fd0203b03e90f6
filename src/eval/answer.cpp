// Answer readers: the paper's text rule and the option-logit rules (argmax, weighted median).
#include "eval/answer.h"

#include "util/error.h"

#include <cmath>
#include <vector>

namespace palign {

const char * answer_rule_name(answer_rule rule) {
    switch (rule) {
        case answer_rule::none:          return "none";
        case answer_rule::paper_text:    return "paper_text";
        case answer_rule::reference_text: return "reference_text";
        case answer_rule::option_argmax: return "option_argmax";
        case answer_rule::option_median: return "option_median";
        case answer_rule::given:         return "given";
    }
    return "none";
}

char answer::letter() const {
    return value >= 1 && value <= 5 ? (char) ('A' + 5 - value) : '?';
}

static bool is_word_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '\'';
}

answer read_answer_text(const std::string & text) {
    answer a;
    a.rule = answer_rule::paper_text;
    const size_t n = text.size() < 12 ? text.size() : 12;
    for (size_t i = 0; i < n; i++) {
        const char c = text[i];
        const char u = (c >= 'a' && c <= 'z') ? (char) (c - 'a' + 'A') : c;
        if (u < 'A' || u > 'E') continue;
        if (i > 0 && is_word_char(text[i - 1])) continue;
        if (i + 1 < text.size() && is_word_char(text[i + 1])) continue;
        a.value = 5 - (u - 'A');
        return a;
    }
    return a;
}

answer read_answer_reference(const std::string & text) {
    answer a;
    a.rule = answer_rule::reference_text;
    // the first 12 characters as Python decodes them (errors="replace": an incomplete sequence is one U+FFFD)
    std::vector<unsigned> cp;
    for (size_t i = 0; i < text.size() && cp.size() < 12;) {
        const unsigned char c = (unsigned char) text[i];
        const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        size_t k = 1;
        while (len > 1 && k < len && i + k < text.size() && ((unsigned char) text[i + k] >> 6) == 0x2) k++;
        cp.push_back(len == 1 ? c : len > 1 && k == len ? 0x80u : 0xfffdu);   // only ASCII matters to the rule
        i += len ? k : 1;
    }
    auto ascii_letter = [](unsigned c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    for (size_t i = 0; i + 1 < cp.size(); i++) {
        const unsigned c = cp[i];
        const unsigned u = c >= 'a' && c <= 'e' ? c - 'a' + 'A' : c;
        if (u >= 'A' && u <= 'E' && !ascii_letter(cp[i + 1])) {
            a.value = 5 - (int) (u - 'A');
            return a;
        }
    }
    return a;
}

int option_argmax(const std::array<double, 5> & probs) {
    int best = 0;
    for (int i = 1; i < 5; i++) if (probs[i] > probs[best]) best = i;
    return 5 - best;
}

int option_weighted_median(const std::array<double, 5> & probs) {
    double total = 0.0;
    for (double p : probs) total += p;
    double cum = 0.0;
    for (int i = 0; i < 5; i++) {
        cum += probs[i];
        if (cum >= 0.5 * total - 1e-12) return 5 - i;
    }
    return 1;
}

answer answer_from_probs(const std::array<double, 5> & probs, answer_rule rule) {
    if (rule != answer_rule::option_argmax && rule != answer_rule::option_median) {
        fail(strfmt("answer rule '%s' does not read option probabilities", answer_rule_name(rule)), "use option_argmax or option_median");
    }
    answer a;
    a.rule = rule;
    a.has_probs = true;
    a.probs = probs;
    for (int i = 0; i < 5; i++) {
        const double p = probs[i];
        a.expected += p * (5 - i);
        if (p > 0.0) a.entropy -= p * std::log(p);
    }
    a.value = rule == answer_rule::option_argmax ? option_argmax(probs) : option_weighted_median(probs);
    return a;
}

answer read_answer_options(const std::array<float, 5> & logits, answer_rule rule) {
    if (rule != answer_rule::option_argmax && rule != answer_rule::option_median) {
        fail(strfmt("answer rule '%s' does not read option logits", answer_rule_name(rule)), "use option_argmax or option_median");
    }
    double mx = -INFINITY;
    for (float l : logits) {
        if (std::isnan(l) || l == INFINITY) {
            answer a;
            a.rule = rule;
            return a;
        }
        if (l > mx) mx = l;
    }
    if (mx == -INFINITY) {
        answer a;
        a.rule = rule;
        return a;
    }
    std::array<double, 5> p;
    double sum = 0.0;
    for (int i = 0; i < 5; i++) {
        p[i] = std::exp((double) logits[i] - mx);
        sum += p[i];
    }
    for (double & x : p) x /= sum;
    return answer_from_probs(p, rule);
}

answer answer_from_value(int value) {
    answer a;
    a.rule = answer_rule::given;
    a.value = value >= 1 && value <= 5 ? value : 0;
    return a;
}

} // namespace palign
