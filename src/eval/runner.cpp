// Runner: subjects x methods with checkpoints, progress and final reports.
#include "eval/runner.h"

#include "data/prompts.h"
#include "engine/context.h"
#include "engine/fingerprint.h"
#include "eval/calibration.h"
#include "eval/report.h"
#include "eval/run_store.h"
#include "pas/contrast.h"
#include "util/error.h"
#include "util/paths.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

namespace palign {

using json = nlohmann::json;

static json run_config(context * ctx, const runner_params & p) {
    const eval_params & e = p.eval;
    json j{
        {"inventory", inventory_kind_name(p.kind)},
        {"answer_mode", answer_mode_name(e.ask.mode)},
        {"answer_rule", answer_rule_name(e.ask.rule)},
        {"n_generate", e.ask.n_generate},
        {"date", e.ask.chat.date},
        {"alpha_grid", e.alpha_grid},
        {"alpha_select", alpha_select_name(e.select)},
        {"cv_folds", e.cv_folds},
        {"pas_system", e.pas_few_shot ? "few-shot" : "default"},
        {"k", e.pas.k},
        {"rank", pas_rank_name(e.pas.rank)},
        {"direction", pas_dir_name(e.pas.dir)},
        {"pas_seed", e.pas.seed},
        {"seed", e.seed},
    };
    if (ctx) j["model"] = model_file_id(ctx->mdl().info());   // predictors alone need no model
    return j;
}

static std::string fmt_duration(double s) {
    if (!std::isfinite(s) || s < 0) return "?";
    const long t = (long) (s + 0.5);
    if (t >= 3600) return strfmt("%ldh%02ldm", t / 3600, (t % 3600) / 60);
    if (t >= 60) return strfmt("%ldm%02lds", t / 60, t % 60);
    return strfmt("%lds", t);
}

static void progress_line(const char * method, int done, int total, double elapsed, int fresh) {
    const int width = 28;
    const int fill = total ? done * width / total : width;
    const double per = fresh ? elapsed / fresh : NAN;
    fprintf(stderr, "\r%-18s [%.*s%*s] %d/%d  %s/subject  ETA %s   ", method, fill,
            "############################", width - fill, "", done, total,
            fresh ? strfmt("%.1fs", per).c_str() : "?", fmt_duration(per * (total - done)).c_str());
    fflush(stderr);
}

std::vector<method_summary> run_eval(context * ctx, const runner_params & p) {
    const std::string ddir = data_dir(p.data_dir);
    const inventory inv = load_inventory(p.kind, ddir);
    std::vector<subject> all = load_subjects(inv, ddir);
    if (p.first < 0 || p.last > (int) all.size() || p.first >= p.last) {
        fail(strfmt("--subjects %d:%d: outside the %zu %s test subjects", p.first, p.last, all.size(), inventory_kind_name(p.kind)),
             strfmt("use a range inside 0:%zu", all.size()));
    }
    std::vector<subject> subjects(all.begin() + p.first, all.begin() + p.last);

    eval_env env;
    env.ctx = ctx;
    for (eval_method m : p.methods) {
        if (eval_method_needs_model(m) && !ctx) fail(strfmt("method %s needs a model", eval_method_name(m)), "pass --model or --hf");
    }
    env.inv = &inv;
    env.align = item_set(inv, "align");
    env.eval = item_set(inv, "eval");
    std::map<std::string, std::string> descriptions;
    contrast_set cs;
    for (eval_method m : p.methods) {
        if (m == eval_method::personality_prompt) {
            if (p.kind != inventory_kind::big5) fail("method personality-prompt: descriptions exist for the Big Five subjects only", "drop it for --inventory sd3");
            descriptions = load_personality_prompts(ddir);
            env.descriptions = &descriptions;
        }
    }

    run_store store(p.out_dir, run_config(ctx, p));
    int budget = p.stop_after;
    std::vector<method_summary> out;
    for (eval_method m : p.methods) {
        if (m == eval_method::pas && !env.contrast) {
            contrast_params cp;
            cp.system = PROMPT_SYSTEM_DEFAULT;
            cp.chat = p.eval.ask.chat;
            cp.cache_dir = p.contrast_cache;
            bool cached = false;
            if (p.progress) fprintf(stderr, "pas: contrast set (%zu items x A/E) ...", env.align.size());
            cs = contrast_capture(*ctx, p.kind, env.align, cp, &cached);
            if (p.progress) fprintf(stderr, " %s\n", cached ? "from cache" : "captured");
            env.contrast = &cs;
        }
        const std::set<std::string> done = store.done(m);
        int n_done = 0;
        for (const subject & s : subjects) n_done += done.count(s.id) ? 1 : 0;
        const auto t0 = std::chrono::steady_clock::now();
        int fresh = 0;
        if (p.progress) progress_line(eval_method_name(m), n_done, (int) subjects.size(), 0, 0);
        for (const subject & s : subjects) {
            if (done.count(s.id)) continue;
            if (budget == 0) break;
            stored_result r;
            r.result.method = m;
            try {
                r.result = eval_subject(env, s, m, p.eval);
            } catch (const palign::error & e) {
                // a subject the method cannot handle (e.g. PAS when all answers agree) is recorded, not fatal
                if (m != eval_method::pas) throw;
                r.error = e.what();
            }
            store.append(inv, s, r);
            n_done++;
            fresh++;
            if (budget > 0) budget--;
            if (p.progress) {
                const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                progress_line(eval_method_name(m), n_done, (int) subjects.size(), el, fresh);
            }
        }
        if (p.progress) fprintf(stderr, "\n");

        // aggregate the finished subjects of this range, in subject order
        std::map<std::string, stored_result> by_id;
        for (auto & r : store.load(inv, m)) by_id[r.result.scores.subject] = std::move(r);
        method_summary ms;
        ms.method = m;
        std::vector<subject_scores> ss;
        for (const subject & s : subjects) {
            auto it = by_id.find(s.id);
            if (it == by_id.end()) continue;
            if (!it->second.error.empty()) { ms.n_failed++; continue; }
            ss.push_back(it->second.result.scores);
            if (m == eval_method::pas) ms.alphas.push_back(it->second.result.alpha);
        }
        std::string label = eval_method_name(m);
        if (m == eval_method::pas) label += std::string(" (alpha selection: ") + alpha_select_name(p.eval.select) + ")";
        ms.sc = aggregate_scores(inv, ss, label);
        write_scores(ms.sc, p.out_dir + "/" + eval_method_name(m));
        out.push_back(std::move(ms));
        if (budget == 0) break;
    }
    return out;
}

std::string summary_table(const inventory & inv, const std::vector<method_summary> & ms, const eval_params & p) {
    std::string t = strfmt("%-22s %4s", "method", "n");
    for (const auto & tr : inv.traits) t += strfmt(" %6s", tr.c_str());
    t += strfmt(" %9s %8s  %-14s %-24s %s\n", "composite", "log-loss", "answer rule", "answers A/B/C/D/E/UNK", "alpha");
    for (const auto & m : ms) {
        std::string name = eval_method_name(m.method);
        if (m.method == eval_method::pas) name += p.select == alpha_select::eval ? " [oracle]" : " [cv]";
        t += strfmt("%-22s %4zu", name.c_str(), m.sc.subjects.size());
        for (const auto & tr : inv.traits) {
            auto it = m.sc.summary.find("mean_" + tr + "_abs");
            t += it == m.sc.summary.end() || std::isnan(it->second) ? strfmt(" %6s", "-") : strfmt(" %6.3f", it->second);
        }
        auto c = m.sc.summary.find("composite");
        t += c == m.sc.summary.end() || std::isnan(c->second) ? strfmt(" %9s", "-") : strfmt(" %9.3f", c->second);
        const calibration cal = run_calibration(m.sc);
        t += std::isnan(cal.overall) ? strfmt(" %8s", "-") : strfmt(" %8.3f", cal.overall);
        std::string rule = "-";
        if (!m.sc.subjects.empty() && !m.sc.subjects[0].items.empty()) rule = answer_rule_name(m.sc.subjects[0].items[0].model.rule);
        t += strfmt("  %-14s", rule.c_str());
        t += strfmt(" %-24s", strfmt("%d/%d/%d/%d/%d/%d", m.sc.counts[0], m.sc.counts[1], m.sc.counts[2], m.sc.counts[3],
                                      m.sc.counts[4], m.sc.counts[5]).c_str());
        if (m.method == eval_method::pas) {
            std::map<double, int> hist;
            for (double a : m.alphas) hist[a]++;
            std::string h;
            for (auto & kv : hist) h += strfmt("%s%g:%d", h.empty() ? "" : " ", kv.first, kv.second);
            t += " " + h;
        }
        if (m.n_failed) t += strfmt("  (%d failed)", m.n_failed);
        t += "\n";
    }
    t += "errors: mean |model - subject| on the 1..5 scale over the evaluation items; composite = sum over traits;\n"
         "log-loss: mean -ln p(subject's answer) of the option distribution (option mode); given = reference predictor\n";
    if (p.select == alpha_select::eval) {
        t += "[oracle]: PAS alpha chosen on the evaluation items themselves (the paper's protocol), not a fair estimate\n";
    }
    return t;
}

} // namespace palign
