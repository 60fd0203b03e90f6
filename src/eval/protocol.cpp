// Protocol: one subject, one method: system prompt, steering, alpha selection, scores.
#include "eval/protocol.h"

#include "data/prompts.h"
#include "engine/context.h"
#include "engine/fingerprint.h"
#include "eval/predictors.h"
#include "pas/pas.h"
#include "util/error.h"
#include "util/progress.h"
#include "util/rng.h"

#include <algorithm>
#include <cmath>

namespace palign {

// the subjects' system prompt per prompted method
static std::string system_for(const eval_env & env, const subject & s, eval_method m, const eval_params & p);

static subject_result run_prompted(const eval_env & env, const subject & s, const method_def & d, const eval_params & p);
static subject_result run_pas(const eval_env & env, const subject & s, const method_def & d, const eval_params & p);
static subject_result run_predictor(const eval_env & env, const subject & s, const method_def & d, const eval_params & p);

const std::vector<method_def> & method_defs() {
    static const std::vector<method_def> defs = {
        {eval_method::none, "none", "the default system prompt", true, false, false, false, 4, run_prompted},
        {eval_method::few_shot, "few-shot", "the subject's align answers in the system prompt", true, false, false, false, 5, run_prompted},
        {eval_method::personality_prompt, "personality-prompt", "the subject's LLM-written description as the system prompt "
         "(Big Five)", true, false, true, false, 6, run_prompted},
        {eval_method::pas, "pas", "PAS steering fitted on the align answers, alpha searched", true, true, false, true, 7, run_pas},
        {eval_method::constant, "constant", "predictor: 3 for every item", false, false, false, false, 0, run_predictor},
        {eval_method::subject_median, "subject-median", "predictor: the median of the subject's align answers", false, false,
         false, false, 1, run_predictor},
        {eval_method::trait_key_median, "trait-key-median", "predictor: the median of the align answers of the same trait and "
         "key", false, false, false, false, 2, run_predictor},
        {eval_method::facet_key_median, "facet-key-median", "predictor: the median of the align answers of the same facet and "
         "key", false, false, false, false, 3, run_predictor},
    };
    return defs;
}

const method_def & method_def_of(eval_method m) {
    for (const auto & d : method_defs()) if (d.id == m) return d;
    fail("unknown method id");
}

const method_def * method_def_named(const std::string & name) {
    for (const auto & d : method_defs()) if (name == d.name) return &d;
    return nullptr;
}

bool eval_method_needs_model(eval_method m) { return method_def_of(m).needs_model; }

const char * eval_method_name(eval_method m) { return method_def_of(m).name; }

eval_method eval_method_from_name(const std::string & name) {
    if (const method_def * d = method_def_named(name)) return d->id;
    std::string names;
    for (const auto & d : method_defs()) names += std::string(names.empty() ? "" : ", ") + d.name;
    fail(strfmt("unknown method '%s'", name.c_str()), "use one of " + names);
}

const char * alpha_select_name(alpha_select a) { return a == alpha_select::eval ? "eval (oracle)" : "cv"; }

// composite error of answers to items against the subject
static double composite_of(const inventory & inv, const subject & s, const std::vector<const item *> & items,
                           const std::vector<answer> & answers, const eval_params & p) {
    return score_subject(inv, s, items, answers, p.scoring).composite;
}

static std::string few_shot(const std::vector<const item *> & align_items, const subject & s, const eval_params & p) {
    return system_prompt_few_shot(align_items, s, nullptr, p.scoring.missing_as_zero);
}

static std::string pas_system(const subject & s, const std::vector<const item *> & align_items,
                              const eval_params & p) {
    return p.pas_few_shot ? few_shot(align_items, s, p) : std::string(PROMPT_SYSTEM_DEFAULT);
}

// the alpha with the lowest composite; NaN composites lose; ties -> smaller alpha (grid order is sorted)
static double best_alpha(const std::vector<alpha_point> & curve) {
    double best = NAN, best_c = INFINITY;
    for (const auto & pt : curve) {
        if (std::isnan(pt.composite)) continue;
        if (pt.composite < best_c || (pt.composite == best_c && pt.alpha < best)) {
            best_c = pt.composite;
            best = pt.alpha;
        }
    }
    if (std::isnan(best) && !curve.empty()) best = curve.front().alpha;
    return best;
}

std::vector<cv_fold> cv_make_folds(int n, int cv_folds, uint64_t seed, const std::string & subject_id) {
    const int k = std::max(2, std::min(cv_folds, n));
    std::vector<int> order(n);
    for (int i = 0; i < n; i++) order[i] = i;
    rng g(seed ^ fnv1a64(subject_id.data(), subject_id.size()));
    for (int i = n - 1; i > 0; i--) std::swap(order[i], order[g.below(i + 1)]);
    std::vector<cv_fold> folds(k);
    for (int i = 0; i < n; i++) {
        for (int f = 0; f < k; f++) (i % k == f ? folds[f].test : folds[f].train).push_back(order[i]);
    }
    for (auto & f : folds) {
        std::sort(f.train.begin(), f.train.end());
        std::sort(f.test.begin(), f.test.end());
    }
    return folds;
}

cv_result pas_cv_select(const eval_env & env, const subject & s, const eval_params & p, progress * bar) {
    const inventory & inv = *env.inv;
    const model_info & info = env.ctx->mdl().info();
    if (!env.contrast) fail("pas: no contrast set");
    std::vector<double> grid = p.alpha_grid;
    std::sort(grid.begin(), grid.end());
    const int n = (int) env.align.size();
    std::vector<answer> held(n * grid.size());   // [alpha][align item]
    for (const cv_fold & fold : cv_make_folds(n, p.cv_folds, p.seed, s.id)) {
        const std::vector<int> & train = fold.train;
        const std::vector<int> & test = fold.test;
        std::vector<const item *> train_items, test_items;
        for (int i : train) train_items.push_back(env.align[i]);
        for (int i : test) test_items.push_back(env.align[i]);
        pas_fit fit = pas_fit_items(*env.contrast, s, train, p.pas);
        const std::string sys = pas_system(s, train_items, p);   // no held-out answers in the prompt
        for (size_t ai = 0; ai < grid.size(); ai++) {
            steering st = pas_make_steering(fit, grid[ai], info);
            std::vector<answer> ans = ask_items(*env.ctx, inv.kind, test_items, sys, &st, p.ask);
            for (size_t t = 0; t < test.size(); t++) held[ai * n + test[t]] = ans[t];
            if (bar) bar->step();
        }
    }
    cv_result out;
    for (size_t ai = 0; ai < grid.size(); ai++) {
        std::vector<answer> ans(held.begin() + ai * n, held.begin() + (ai + 1) * n);
        out.curve.push_back({grid[ai], composite_of(inv, s, env.align, ans, p)});
    }
    out.alpha = best_alpha(out.curve);
    for (const auto & pt : out.curve) if (pt.alpha == out.alpha) out.error = pt.composite;
    return out;
}

static subject_result run_pas(const eval_env & env, const subject & s, const method_def & d, const eval_params & p) {
    const inventory & inv = *env.inv;
    const model_info & info = env.ctx->mdl().info();
    if (!env.contrast) fail("pas: no contrast set");
    subject_result r;
    r.method = d.id;
    r.select = p.select;
    std::vector<double> grid = p.alpha_grid;
    std::sort(grid.begin(), grid.end());

    std::vector<int> all_idx(env.align.size());
    for (size_t i = 0; i < all_idx.size(); i++) all_idx[i] = (int) i;
    r.fit = pas_fit_items(*env.contrast, s, all_idx, p.pas);
    const std::string system = pas_system(s, env.align, p);

    if (p.select == alpha_select::eval) {
        // the paper's protocol: try every alpha on the evaluation items, keep the best (oracle)
        std::vector<std::vector<answer>> per_alpha;
        for (double a : grid) {
            steering st = pas_make_steering(r.fit, a, info);
            per_alpha.push_back(ask_items(*env.ctx, inv.kind, env.eval, system, &st, p.ask));
            r.curve.push_back({a, composite_of(inv, s, env.eval, per_alpha.back(), p)});
        }
        r.alpha = best_alpha(r.curve);
        const size_t k = std::find(grid.begin(), grid.end(), r.alpha) - grid.begin();
        r.scores = score_subject(inv, s, env.eval, per_alpha[k], p.scoring);
        return r;
    }

    const cv_result cv = pas_cv_select(env, s, p);
    r.curve = cv.curve;
    r.alpha = best_alpha(r.curve);
    steering st = pas_make_steering(r.fit, r.alpha, info);
    r.scores = score_subject(inv, s, env.eval, ask_items(*env.ctx, inv.kind, env.eval, system, &st, p.ask), p.scoring);
    return r;
}

static subject_result run_predictor(const eval_env & env, const subject & s, const method_def & d, const eval_params & p) {
    subject_result r;
    r.method = d.id;
    r.scores = score_subject(*env.inv, s, env.eval, predict_items(predictor_from_name(eval_method_name(d.id)), *env.inv, s, env.align, env.eval), p.scoring);
    return r;
}

static std::string system_for(const eval_env & env, const subject & s, eval_method m, const eval_params & p) {
    switch (m) {
        case eval_method::few_shot: return few_shot(env.align, s, p);
        case eval_method::personality_prompt:
            if (!env.descriptions) fail("personality-prompt: no personality descriptions loaded");
            return system_prompt_personality(*env.descriptions, s);
        default: return PROMPT_SYSTEM_DEFAULT;
    }
}

static subject_result run_prompted(const eval_env & env, const subject & s, const method_def & d, const eval_params & p) {
    subject_result r;
    r.method = d.id;
    const std::string system = system_for(env, s, d.id, p);
    r.scores = score_subject(*env.inv, s, env.eval, ask_items(*env.ctx, env.inv->kind, env.eval, system, nullptr, p.ask), p.scoring);
    return r;
}

subject_result eval_subject(const eval_env & env, const subject & s, eval_method m, const eval_params & p) {
    const method_def & d = method_def_of(m);
    return d.run(env, s, d, p);
}

} // namespace palign
