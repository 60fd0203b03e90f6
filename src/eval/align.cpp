// Align: contrast capture (cached), probes on all answered align items, alpha by cross-validation.
#include "eval/align.h"

#include "data/prompts.h"
#include "engine/context.h"
#include "engine/fingerprint.h"
#include "pas/pas.h"
#include "util/error.h"
#include "util/log.h"
#include "util/progress.h"

#include <algorithm>

namespace palign {

void warn_if_k_beyond_heads(int k, const model_info & info) {
    const int n_heads = info.n_layer * info.n_head;
    if (k > n_heads) {
        log_warn("--k %d: %s has only %d heads (%d layers x %d): PAS keeps all of them", k, info.path.c_str(), n_heads, info.n_layer,
                 info.n_head);
    }
}

align_result align_person(context & ctx, const inventory & inv, const subject & person, const align_params & p,
                          const std::string & source) {
    align_result r;
    eval_env env;
    for (const item * it : item_set(inv, "align")) if (person.answer(it->id) > 0) env.align.push_back(it);
    for (const auto & kv : person.answers) {
        if (kv.second > 0 && std::find_if(env.align.begin(), env.align.end(), [&](const item * it) { return it->id == kv.first; }) == env.align.end()) {
            r.n_unused++;
        }
    }
    if (env.align.size() < 8) {
        fail(strfmt("%s: only %zu answered %s align items; PAS needs at least 8", source.c_str(), env.align.size(), inv.name.c_str()),
             inv.kind == inventory_kind::big5 ? "answer more of the IPIP-NEO-120 items (ids i<n> of the 120)" : "answer more of M1-6, N1-6, P1-6");
    }
    const model & m = ctx.mdl();
    const int n_heads = m.info().n_layer * m.info().n_head;
    warn_if_k_beyond_heads(p.e.pas.k, m.info());
    env.ctx = &ctx;
    env.inv = &inv;
    contrast_params cp;
    cp.system = PROMPT_SYSTEM_DEFAULT;
    cp.chat = p.e.ask.chat;
    cp.cache_dir = p.contrast_cache;
    bool cached = false;
    contrast_set cs;
    {
        progress bar("align: contrast", 2 * (int) env.align.size(), 0, p.progress, "prompt");
        cs = contrast_capture(ctx, inv.kind, env.align, cp, &cached, &bar);
    }
    if (p.progress && cached) fprintf(stderr, "align: contrast set from the cache (%s)\n", p.contrast_cache.c_str());
    env.contrast = &cs;

    std::vector<int> all(env.align.size());
    for (size_t i = 0; i < all.size(); i++) all[i] = (int) i;
    if (p.progress) {
        fprintf(stderr, "align: probes on %d heads (%zu answered items), keeping %d\n", n_heads, env.align.size(), std::min(p.e.pas.k, n_heads));
    }
    const pas_fit fit = pas_fit_items(cs, person, all, p.e.pas);

    steer_file & sf = r.file;
    sf.version = PALIGN_VERSION;
    sf.params = fit.params;
    sf.person = person.id;
    sf.inventory = inventory_kind_name(inv.kind);
    sf.n_answers = (int) env.align.size();
    sf.model = compute_fingerprint(m.info());
    sf.head_dim = m.info().head_dim;
    sf.heads = fit.heads;
    for (const auto & t : inv.traits) {
        double sum = 0;
        int n = 0;
        for (const item * it : env.align) if (it->trait == t) { sum += keyed_value(*it, person.answer(it->id)); n++; }
        if (n) sf.traits[t] = sum / n;
    }
    if (std::isnan(p.alpha)) {
        const int n_folds = std::max(2, std::min(p.e.cv_folds, (int) env.align.size()));   // as cv_make_folds
        progress bar("align: alpha cv", n_folds * (int) p.e.alpha_grid.size(), 0, p.progress, "ask");
        r.cv = pas_cv_select(env, person, p.e, &bar);
        sf.alpha = r.cv.alpha;
        sf.alpha_select = "cv";
        sf.cv_error = r.cv.error;
    } else {
        sf.alpha = p.alpha;
        sf.alpha_select = "given";
    }
    r.n_probes = fit.n_probes;
    r.n_not_converged = fit.n_not_converged;
    r.n_tied_at_cut = fit.n_tied_at_cut;
    if (sf.alpha_select == "cv" && !p.e.alpha_grid.empty()) {
        const double top = *std::max_element(p.e.alpha_grid.begin(), p.e.alpha_grid.end());
        if (sf.alpha == 0) {
            r.warnings.push_back("alpha 0 was chosen: this steering file changes nothing (the plain model fitted the held-out "
                                 "answers best); HINT: try a finer grid near 0 (--alpha-grid 0,0.25,0.5,1,2), or more answers");
        } else if (sf.alpha == top && top > 0) {
            r.warnings.push_back(strfmt("alpha %g, the largest in --alpha-grid, was chosen: a larger one may fit better; HINT: "
                                        "extend the grid, e.g. --alpha-grid 0,2,4,8,12,16", top));
        }
    }
    if (fit.n_not_converged) {
        r.warnings.push_back(strfmt("%d of %d probes did not converge (their accuracies still rank the heads); HINT: the person's "
                                    "answers may separate some heads perfectly", fit.n_not_converged, fit.n_probes));
    }
    if (fit.n_tied_at_cut) {
        r.warnings.push_back(strfmt("%d heads past the K-th rank equal to it: the cut at K = %d was made by layer order; HINT: more "
                                    "answers, or another --k", fit.n_tied_at_cut, p.e.pas.k));
    }
    return r;
}

} // namespace palign
