// Runner: subjects x methods with checkpoints, progress and final reports.
#include "eval/runner.h"

#include "data/prompts.h"
#include "engine/context.h"
#include "engine/fingerprint.h"
#include "eval/calibration.h"
#include "eval/report.h"
#include "eval/run_store.h"
#include "util/error.h"
#include "util/paths.h"
#include "util/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

namespace palign {

using json = nlohmann::json;

void check_method_list(const std::vector<eval_method> & methods) {
    if (methods.empty()) fail("--method: no method given", "use e.g. --method none,few-shot,pas");
    for (size_t i = 0; i < methods.size(); i++) {
        for (size_t k = 0; k < i; k++) {
            if (methods[k] == methods[i]) fail(strfmt("--method: %s is given twice", eval_method_name(methods[i])), "name each method once");
        }
    }
}

eval_job::eval_job(context * ctx, const runner_params & p) : ctx_(ctx), p_(p) {
    const std::string ddir = data_dir(p.data_dir);
    inv_ = load_inventory(p.kind, ddir);
    if (p.n_shards < 0 || (p.n_shards > 0 && (p.shard < 0 || p.shard >= p.n_shards))) {
        fail(strfmt("--shard %d/%d: expected I/N with 0 <= I < N", p.shard, p.n_shards), "use e.g. --shard 0/4 .. --shard 3/4");
    }
    check_method_list(p.methods);
    // the file is read line by line: only this range (and shard) is kept, every id is known (file_index)
    subject_filter keep;
    keep.first = p.first;
    keep.last = p.last;
    keep.shard = p.shard;
    keep.n_shards = p.n_shards;
    subjects_slice slice = load_subjects_slice(inv_, subjects_path(inv_, ddir), keep);
    if (p.first < 0 || p.last > slice.n_total || p.first >= p.last) {
        fail(strfmt("--subjects %d:%d: outside the %d %s test subjects", p.first, p.last, slice.n_total, inventory_kind_name(p.kind)),
             strfmt("use a range inside 0:%d", slice.n_total));
    }
    subjects_ = std::move(slice.subjects);
    index_of_ = std::move(slice.index_of);
    for (eval_method m : p.methods) {
        if (eval_method_needs_model(m) && !ctx) fail(strfmt("method %s needs a model", eval_method_name(m)), "pass --model or --hf");
        if (method_def_of(m).needs_descriptions) {
            if (p.kind != inventory_kind::big5) fail("method personality-prompt: descriptions exist for the Big Five subjects only", "drop it for --inventory sd3");
            descriptions_ = load_personality_prompts(ddir);
            env_.descriptions = &descriptions_;
        }
    }
    env_.ctx = ctx;
    env_.inv = &inv_;
    env_.align = item_set(inv_, "align");
    env_.eval = item_set(inv_, "eval");
}

int eval_job::file_index(const std::string & id) const {
    auto it = index_of_.find(id);
    return it == index_of_.end() ? -1 : it->second;
}

json eval_job::config() const {
    const eval_params & e = p_.eval;
    json j{
        {"inventory", inventory_kind_name(p_.kind)},
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
    if (ctx_) j["model"] = model_file_id(ctx_->mdl().info());   // predictors alone need no model
    // written only when not palign's defaults, so that runs of earlier palign versions resume
    if (e.reference) j["protocol"] = "reference";
    if (e.scoring.missing_as_zero) j["missing"] = "reference";
    if (e.scoring.unk_as_worst) j["unk_as"] = "worst";
    if (e.pas.split_by_sample) j["pas_split"] = "sample";
    if (p_.n_shards > 0) {   // palign merge checks that shards agree and cover the range (dist/merge.h)
        j["shard"] = {{"index", p_.shard}, {"count", p_.n_shards}, {"subjects", strfmt("%d:%d", p_.first, p_.last)}};
    }
    return j;
}

void eval_job::prepare(eval_method m) {
    if (method_def_of(m).needs_contrast && !env_.contrast) {
        contrast_params cp;
        cp.system = PROMPT_SYSTEM_DEFAULT;
        cp.chat = p_.eval.ask.chat;
        cp.cache_dir = p_.contrast_cache;
        cp.style = p_.eval.ask.style;
        bool cached = false;
        if (p_.progress) fprintf(stderr, "pas: contrast set (%zu items x A/E) ...", env_.align.size());
        contrast_ = contrast_capture(*ctx_, p_.kind, env_.align, cp, &cached);
        if (p_.progress) fprintf(stderr, " %s\n", cached ? "from cache" : "captured");
        env_.contrast = &contrast_;
    }
}

stored_result eval_job::evaluate(eval_method m, const subject & s) {
    prepare(m);
    stored_result r;
    r.result.method = m;
    try {
        r.result = eval_subject(env_, s, m, p_.eval);
    } catch (const palign::error & e) {
        // a subject the method cannot handle (e.g. PAS when all answers agree) is recorded, not fatal
        if (!method_def_of(m).steered) throw;
        r.error = e.what();
    }
    return r;
}

std::string method_label(eval_method m, alpha_select select) {
    std::string label = eval_method_name(m);
    if (method_def_of(m).steered) label += std::string(" (alpha selection: ") + alpha_select_name(select) + ")";
    return label;
}

method_summary summarize_method(const run_store & store, const inventory & inv, const std::vector<subject> & subjects,
                                eval_method m, alpha_select select, bool write) {
    std::map<std::string, stored_result> by_id;
    for (auto & r : store.load(inv, m)) by_id[r.result.scores.subject] = std::move(r);
    method_summary ms;
    ms.method = m;
    const bool steered = method_def_of(m).steered;
    std::vector<subject_scores> ss;
    std::vector<std::pair<std::string, std::string>> failed;
    std::map<std::string, size_t> order;
    for (const subject & s : subjects) {
        auto it = by_id.find(s.id);
        if (it == by_id.end()) continue;
        order[s.id] = order.size();
        if (!it->second.error.empty()) {
            ms.n_failed++;
            failed.emplace_back(s.id, it->second.error);
            continue;
        }
        ss.push_back(it->second.result.scores);
        if (steered) {
            ss.back().alpha = it->second.result.alpha;
            ms.alphas.push_back(it->second.result.alpha);
            ms.n_not_converged += it->second.result.fit.n_not_converged > 0;
            ms.n_tied_at_cut += it->second.result.fit.n_tied_at_cut > 0;
        }
    }
    ms.sc = aggregate_scores(inv, ss, method_label(m, select), failed);
    if (steered) ms.sc.alpha_select = select == alpha_select::eval ? "oracle" : "cv";
    std::stable_sort(ms.sc.failures.begin(), ms.sc.failures.end(),
                     [&](const auto & a, const auto & b) { return order[a.first] < order[b.first]; });
    if (write) write_scores(ms.sc, store.dir() + "/" + eval_method_name(m));
    return ms;
}

std::vector<method_summary> run_eval(context * ctx, const runner_params & p) {
    eval_job job(ctx, p);
    const std::vector<subject> & subjects = job.subjects();
    if (std::filesystem::exists(p.out_dir + "/.ranks")) {
        fail(strfmt("%s: holds the unmerged results of an MPI run (%s/.ranks)", p.out_dir.c_str(), p.out_dir.c_str()),
             "finish it with the same command under mpirun ... --mpi, or use another -o");
    }
    run_store store(p.out_dir, job.config());
    // every line of every method's checkpoint file is read and validated before anything is computed or appended
    std::vector<std::set<std::string>> done;
    for (eval_method m : p.methods) {
        done.emplace_back();
        for (const stored_result & r : store.load(job.inv(), m)) done.back().insert(r.result.scores.subject);
    }
    int budget = p.stop_after;
    std::vector<method_summary> out;
    for (size_t mi = 0; mi < p.methods.size(); mi++) {
        const eval_method m = p.methods[mi];
        int n_done = 0;
        for (const subject & s : subjects) n_done += done[mi].count(s.id) ? 1 : 0;
        if (n_done < (int) subjects.size() && budget != 0) job.prepare(m);
        {
            progress bar(eval_method_name(m), (int) subjects.size(), n_done, p.progress);
            for (const subject & s : subjects) {
                if (done[mi].count(s.id)) continue;
                if (budget == 0) break;
                store.append(job.inv(), s, job.evaluate(m, s));
                if (budget > 0) budget--;
                bar.step();
            }
        }
        store.mark_written();
        out.push_back(summarize_method(store, job.inv(), subjects, m, p.eval.select));
        if (budget == 0) break;
    }
    return out;
}

std::string summary_table(const inventory & inv, const std::vector<method_summary> & ms, const eval_params & p) {
    std::string t = strfmt("%-22s %4s %4s", "method", "n", "ok");
    for (const auto & tr : inv.traits) t += strfmt(" %6s", tr.c_str());
    t += strfmt(" %9s %8s  %-14s %-24s %s\n", "composite", "log-loss", "answer rule", "answers A/B/C/D/E/UNK", "alpha");
    for (const auto & m : ms) {
        std::string name = eval_method_name(m.method);
        const bool steered = method_def_of(m.method).steered;
        if (steered) name += p.select == alpha_select::eval ? " [oracle]" : " [cv]";
        t += strfmt("%-22s %4d %4d", name.c_str(), m.sc.n, m.sc.n_ok);
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
        if (steered) {
            std::map<double, int> hist;
            for (double a : m.alphas) hist[a]++;
            std::string h;
            for (auto & kv : hist) h += strfmt("%s%g:%d", h.empty() ? "" : " ", kv.first, kv.second);
            t += " " + h;
        }
        t += "\n";
    }
    int n_fail = 0;
    for (const auto & m : ms) {
        for (const auto & f : m.sc.failures) {
            if (n_fail++ < 20) t += strfmt("failed: %s, subject %s: %s\n", eval_method_name(m.method), f.first.c_str(), f.second.c_str());
        }
    }
    for (const auto & m : ms) {
        if (m.n_not_converged) t += strfmt("note: %s: probes that did not converge in %d subjects' fits (counted in <method>.jsonl)\n",
                                           eval_method_name(m.method), m.n_not_converged);
        if (m.n_tied_at_cut) t += strfmt("note: %s: in %d subjects' fits heads past the K-th tie with it; the cut went by layer order\n",
                                         eval_method_name(m.method), m.n_tied_at_cut);
    }
    if (n_fail > 20) t += strfmt("failed: ... %d more (every one in <method>.json \"failures\")\n", n_fail - 20);
    t += "n: subjects attempted; ok: those with every trait scored, over which every mean is taken (the others failed, listed above)\n"
         "errors: mean |model - subject| on the 1..5 scale over the evaluation items; composite = sum over traits;\n"
         "log-loss: mean -ln p(subject's answer) of the option distribution (option mode); given = reference predictor\n";
    if (p.select == alpha_select::eval) {
        t += "[oracle]: PAS alpha chosen on the evaluation items themselves (the paper's protocol), not a fair estimate\n";
    }
    return t;
}

} // namespace palign
