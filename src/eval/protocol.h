// Protocol: the paper's experiment for one subject and one method — align on the subject's align-item
// answers, answer the evaluation items, score them against the subject's real answers.
//
// Methods:
//   none                the default system prompt, no steering
//   few-shot            the subject's align answers in the system prompt
//   personality-prompt  the subject's LLM-written description as the system prompt (Big Five only)
//   pas                 PAS steering; system prompt few-shot (as the reference code) or default (--pas-system)
//   constant, subject-median, trait-key-median, facet-key-median
//                       reference predictors without a model, from the same align answers (eval/predictors.h)
// PAS alpha selection:
//   eval  the paper's protocol: the alpha with the lowest composite error ON THE EVALUATION ITEMS themselves
//         (ORACLE selection: it looks at the answers it is scored on; labelled so in every output)
//   cv    honest: k-fold over the align items — heads and directions fitted on the other folds (and the
//         few-shot prompt built from them only), alpha chosen by the composite error on the held-out align
//         items; then one fit on all align items and one evaluation at that alpha
// Ties between alphas go to the smaller alpha.
#pragma once

#include "data/inventory.h"
#include "data/subjects.h"
#include "eval/ask.h"
#include "eval/scores.h"
#include "pas/contrast.h"
#include "pas/direction.h"

#include <map>
#include <string>
#include <vector>

namespace palign {

class context;
class progress;

// The methods' ids; what each one is and does is its record in the method table (method_defs below), the one
// place a new method is added (an id here, a record and its run function in protocol.cpp).
enum class eval_method { none, few_shot, personality_prompt, pas, constant, subject_median, trait_key_median, facet_key_median };
const char * eval_method_name(eval_method m);      // "none", "few-shot", "personality-prompt", "pas", "constant", ...
bool eval_method_needs_model(eval_method m);
eval_method eval_method_from_name(const std::string & name);   // throws with the list of names

enum class alpha_select { eval, cv };
const char * alpha_select_name(alpha_select a);    // "eval (oracle)", "cv"

struct eval_params {
    ask_params ask;
    pas_params pas;
    std::vector<double> alpha_grid = {0, 1, 2, 4, 6, 8};
    alpha_select select   = alpha_select::cv;
    int  cv_folds         = 5;
    bool pas_few_shot     = true;     // PAS system prompt: few-shot (reference) or default
    uint64_t seed         = 42;       // cv folds (PAS's own 60/40 split uses pas.seed)
    bool reference        = false;    // --protocol reference: the reference code's protocol (README: "Reference protocol")
    score_rules scoring;              // --missing, --unk-as (eval/scores.h); the few-shot prompt writes "Unknown" for
                                      // unanswered items when scoring.missing_as_zero, as the reference
};

// everything a method needs besides the subject
struct eval_env {
    context * ctx = nullptr;
    const inventory * inv = nullptr;
    std::vector<const item *> align, eval;          // the split
    const contrast_set * contrast = nullptr;        // PAS: contrast set over `align` (same order)
    const std::map<std::string, std::string> * descriptions = nullptr;   // personality-prompt
};

struct alpha_point {
    double alpha = 0;
    double composite = 0;   // on the selection items (eval items for eval, held-out align items for cv)
};

struct subject_result {
    eval_method method = eval_method::none;
    subject_scores scores;                 // on the evaluation items
    // PAS only
    double alpha = NAN;
    alpha_select select = alpha_select::cv;
    std::vector<alpha_point> curve;        // composite per alpha on the selection items
    pas_fit fit;                           // the final fit (all align items)
};

subject_result eval_subject(const eval_env & env, const subject & s, eval_method m, const eval_params & p);

// One evaluation method: its name, what it needs, and how it answers a subject's evaluation items.
struct method_def {
    eval_method id;
    const char * name;               // as --method spells it and the run folder's <name>.jsonl
    const char * help;
    bool needs_model = false;        // asks the LLM (else a reference predictor, eval/predictors.h)
    bool needs_contrast = false;     // the run's contrast set (captured once per model, pas/contrast.h)
    bool needs_descriptions = false; // the subjects' personality descriptions (Big Five only)
    bool steered = false;            // fitted per subject with an alpha: its results carry the alpha, its curve and the
                                     // steering, and a subject it cannot fit is recorded as failed, not fatal
    int  report_order = 0;           // where palign compare lists it (reference predictors first)
    subject_result (*run)(const eval_env & env, const subject & s, const method_def & d, const eval_params & p) = nullptr;
};
const std::vector<method_def> & method_defs();     // every method, in --method help order
const method_def & method_def_of(eval_method m);
const method_def * method_def_named(const std::string & name);   // nullptr if no method has this name

// PAS alpha by k-fold cross-validation over env.align (the subject's answers there are the truth);
// bar (optional): one step per fold and alpha asked (folds x grid in all)
struct cv_result {
    double alpha = NAN;
    double error = NAN;                    // composite on the held-out align items at that alpha
    std::vector<alpha_point> curve;
};
cv_result pas_cv_select(const eval_env & env, const subject & s, const eval_params & p, progress * bar = nullptr);

// the cross-validation folds of n align items: per fold its train and held-out (test) indices, ascending;
// k = cv_folds clamped to [2, n]; a deterministic shuffle from the seed and the subject id
struct cv_fold {
    std::vector<int> train, test;
};
std::vector<cv_fold> cv_make_folds(int n, int cv_folds, uint64_t seed, const std::string & subject_id);

} // namespace palign
