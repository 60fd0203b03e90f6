// Answer readers: turn a model's output for one item question into an answer value (pure functions, no model).
//
// Values: A = 5 (Very Accurate), B = 4, C = 3, D = 2, E = 1 (Very Inaccurate); 0 = UNK (no answer: counted, left out).
//
// Text mode, read_answer_text(text) - palign's rule; text is the model's generated continuation (up to 15 tokens):
//   the answer is the first letter A-E (either case) at byte position 0..11 of the text that stands alone, i.e.
//   - the byte before it (if any) is not a word character, and
//   - the byte after it (if any; it may be byte 12) is not a word character,
//   where word characters are ASCII letters A-Z a-z and the apostrophe '. Anything else (space, punctuation, digits,
//   newline, bytes >= 0x80, start/end of text) separates. No such letter -> UNK.
//   Examples: "A" "(A)." "a." " B: Moderately" "Answer: B" -> B (the 'A' and 'e' of "Answer" are inside a word);
//   "Based on" "I think" "I'd say" "" -> UNK; "I am (C)" -> C.
//
// Reference mode, read_answer_reference(text) - the reference code's rule, Python's
//   re.search("[abcdeABCDE][^a-zA-Z]", text[:12]): the first letter A-E (either case) among the first 12
//   characters (Unicode code points, as Python slices a str) that is followed, inside those 12, by a character
//   that is not an ASCII letter. A letter in the 12th place, or at the end of the text, never counts.
//   text is what the reference parses: the decoded prompt-and-continuation after the last assistant marker,
//   i.e. the assistant prefill ("\n\nOption" for Llama-3, " Option" for the [INST] format) + the continuation.
//   Examples: "\n\nOption (A). Very" -> A; "Based on" -> D ("d" then " "); "A" -> UNK; "A." -> A.
//   Bytes that are not valid UTF-8 count as one character each (Python would see U+FFFD: also not a letter).
//
// Option mode, read_answer_options(logits) - the 5 option logits in the fixed order A..E:
//   probs = softmax(logits); expected = sum p * value; entropy = -sum p ln p (nats);
//   answer by rule option_argmax: the most probable option, ties -> the earlier letter;
//   or option_median: the weighted median of the value distribution, which minimises the expected absolute error
//   E|v - V|: the first option in order A..E whose cumulative probability (from A) reaches 0.5 (tolerance 1e-12,
//   so an exact 50/50 split between B and D gives B - the earlier letter, as for argmax).
//   Any NaN or +inf logit, or all logits -inf -> UNK without probabilities.
#pragma once

#include <array>
#include <string>

namespace palign {

enum class answer_rule {
    none,           // no answer read (default-constructed / UNK from nothing)
    paper_text,     // read_answer_text (palign's text rule; the name is historical)
    reference_text, // read_answer_reference
    option_argmax,  // most probable option
    option_median,  // weighted median (min expected absolute error)
    given,          // set directly from a value (a person's answer, a test)
};

const char * answer_rule_name(answer_rule rule);   // "none", "paper_text", "reference_text", "option_argmax", ...

struct answer {
    int         value = 0;                 // 5 (A) .. 1 (E); 0 = UNK
    answer_rule rule  = answer_rule::none; // which rule produced value
    bool        has_probs = false;         // option mode: probs/expected/entropy are set
    std::array<double, 5> probs = {};      // P(A) .. P(E)
    double      expected = 0.0;            // sum p * value, 1..5
    double      entropy  = 0.0;            // nats, 0 .. ln 5

    bool unk() const { return value == 0; }
    char letter() const;                   // 'A'..'E', '?' for UNK
};

// palign's text rule (see above); its rule name "paper_text" is kept for older run files
answer read_answer_text(const std::string & text);

// reference mode (see above)
answer read_answer_reference(const std::string & text);

// option mode from logits A..E (see above); rule must be option_argmax or option_median
answer read_answer_options(const std::array<float, 5> & logits, answer_rule rule = answer_rule::option_argmax);

// option mode from a probability distribution A..E (sums to 1); fills expected/entropy and applies the rule
answer answer_from_probs(const std::array<double, 5> & probs, answer_rule rule = answer_rule::option_argmax);

// an answer with a given value 0..5 (rule = given)
answer answer_from_value(int value);

// the two option rules on a distribution A..E, returning the value 5..1
int option_argmax(const std::array<double, 5> & probs);
int option_weighted_median(const std::array<double, 5> & probs);

} // namespace palign
