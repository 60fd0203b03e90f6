// palign-bench-engine: throughput of the PAS protocol's workload (ask_items: one subject's few-shot system
// prompt, then the evaluation items, option mode) under several engine configurations, steered and not,
// next to llama.cpp's own prefill at the same depth, all interleaved in one run. Prints ratios against the
// baseline (palign before in-graph steering: eval callback, flash attention off, wave cap on).
// A benchmark, not a test: it prints numbers next to their targets and exits 0 when it ran.
#include "data/inventory.h"
#include "data/prompts.h"
#include "data/subjects.h"
#include "engine/chat_template.h"
#include "engine/context.h"
#include "engine/model.h"
#include "engine/steering.h"
#include "engine/test_model.h"
#include "engine/test_model_presets.h"
#include "eval/ask.h"
#include "util/error.h"
#include "util/log.h"
#include "util/paths.h"
#include "util/rng.h"

#include "llama.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace palign;

namespace {

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

struct config {
    std::string name;
    steer_path path = steer_path::graph;
    bool flash = false;
    bool wave_cap = true;
    int n_batch = 512;     // n_batch = n_ubatch
    bool streams = false;  // a KV stream per sequence (--no-kv-unified)
};

// "<graph|callback|baseline>[+fa][+kvs][-nocap][@bN]"; baseline = callback, no flash attention, wave cap, b512
config parse_config(const std::string & name) {
    config c;
    c.name = name;
    std::string s = name;
    const size_t at = s.find("@b");
    if (at != std::string::npos) {
        c.n_batch = atoi(s.c_str() + at + 2);
        if (c.n_batch < 1) fail(strfmt("--configs: '%s': bad batch size", name.c_str()));
        s = s.substr(0, at);
    }
    auto eat = [&](const std::string & suffix) {
        if (s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0) {
            s.resize(s.size() - suffix.size());
            return true;
        }
        return false;
    };
    for (bool more = true; more;) {   // the suffixes in any order
        more = false;
        if (eat("-nocap")) { c.wave_cap = false; more = true; }
        if (eat("+fa")) { c.flash = true; more = true; }
        if (eat("+kvs")) { c.streams = true; more = true; }
    }
    if (s == "baseline" && name == "baseline") c.path = steer_path::callback;
    else if (s == "graph") c.path = steer_path::graph;
    else if (s == "callback") c.path = steer_path::callback;
    else fail(strfmt("--configs: unknown '%s'", name.c_str()), "use <graph|callback>[+fa][+kvs][-nocap][@bN], or baseline");
    return c;
}

// one configuration's context and its measurements
struct measured {
    config cfg;
    std::unique_ptr<context> ctx;
    double t_plain = 0, t_steer = 0;
    uint64_t n_plain = 0, n_steer = 0;
    std::vector<double> rep_plain, rep_steer;
    double tps_plain() const { return n_plain / t_plain; }
    double tps_steer() const { return n_steer / t_steer; }
};

// K random heads with random directions of the size PAS gives (alpha * sigma ~ a few units)
steering random_heads(const model_info & info, int k, uint64_t seed) {
    steering s(info);
    rng r(seed);
    std::vector<float> v(info.head_dim);
    for (int i = 0; i < k; i++) {
        const int il = (int) r.below(info.n_layer), h = (int) r.below(info.n_head);
        double n2 = 0;
        for (auto & x : v) { x = (float) r.normal(); n2 += x * x; }
        for (auto & x : v) x = (float) (x * 4.0 / std::sqrt(n2));
        s.add_head(il, h, v.data());
    }
    return s;
}

// llama.cpp's own prefill: n_pp tokens in one sequence after `depth` tokens already in the cache, as
// llama-bench -p n_pp -d depth times it (the depth is decoded first, untimed); plain libllama, no callback
struct llama_pp {
    llama_context * c = nullptr;
    int n_vocab = 0;
    ~llama_pp() { if (c) llama_free(c); }
};

double llama_pp_tps(llama_pp & lp, const std::vector<int> & depth_tokens, int n_pp, int n_batch) {
    llama_memory_clear(llama_get_memory(lp.c), true);
    llama_batch b = llama_batch_init(n_batch, 0, 1);
    auto run = [&](int pos0, int n, int tok0) {
        for (int i0 = 0; i0 < n; i0 += n_batch) {
            const int m = std::min(n_batch, n - i0);
            b.n_tokens = m;
            for (int i = 0; i < m; i++) {
                const int p = i0 + i;
                b.token[i] = tok0 >= 0 ? (tok0 + p * 7919) % lp.n_vocab : depth_tokens[p];
                b.pos[i] = pos0 + p; b.n_seq_id[i] = 1; b.seq_id[i][0] = 0; b.logits[i] = i == m - 1;
            }
            if (llama_decode(lp.c, b) != 0) fail("llama prefill: llama_decode failed");
        }
        llama_synchronize(lp.c);
    };
    run(0, (int) depth_tokens.size(), -1);
    const double t0 = now_s();
    run((int) depth_tokens.size(), n_pp, 1000);
    const double dt = now_s() - t0;
    llama_batch_free(b);
    return n_pp / dt;
}

const char * verdict(bool ok) { return ok ? "MET" : "NOT MET"; }

// median and range of per-rep values
struct spread3 {
    double med = NAN, lo = NAN, hi = NAN;
    explicit spread3(std::vector<double> v = {}) {
        if (v.empty()) return;
        std::sort(v.begin(), v.end());
        const size_t n = v.size();
        med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
        lo = v.front();
        hi = v.back();
    }
    std::string str(const char * fmt) const {
        return strfmt(fmt, med) + " [" + strfmt(fmt, lo) + ".." + strfmt(fmt, hi) + "]";
    }
    nlohmann::json json() const { return {{"median", med}, {"min", lo}, {"max", hi}}; }
};

// one configuration's ratios taken inside each rep: steered tok/s vs the baseline's steered pass and vs
// llama.cpp's prefill of the same rep, and steered vs plain time per token
struct paired {
    spread3 vs_base, overhead, vs_llama;
};

paired pair_reps(const measured & r, const measured & base, const std::vector<double> & pp_rep) {
    const size_t n = r.rep_steer.size();
    const double per_pass_steer = (double) r.n_steer / n, per_pass_plain = (double) r.n_plain / n;
    const double base_per_pass = (double) base.n_steer / base.rep_steer.size();
    std::vector<double> vb, ov, vl;
    for (size_t i = 0; i < n; i++) {
        const double tps = per_pass_steer / r.rep_steer[i];
        vb.push_back(tps / (base_per_pass / base.rep_steer[i]));
        ov.push_back((r.rep_steer[i] / per_pass_steer) / (r.rep_plain[i] / per_pass_plain) * 100.0 - 100.0);
        if (i < pp_rep.size()) vl.push_back(tps / pp_rep[i]);
    }
    paired p;
    p.vs_base = spread3(vb);
    p.overhead = spread3(ov);
    p.vs_llama = spread3(vl);
    return p;
}

} // namespace

int main(int argc, char ** argv) {
    std::string preset = "qwen3-0.6b", model_path, model_dir = PALIGN_BENCH_MODELS_DIR, data_dir_opt, json_out, workload = "few-shot",
                configs_s = "baseline,graph,graph+fa,graph+fa-nocap";
    int n_items = 16, reps = 2, threads = 0, ngl = 0, k = 24, subject_idx = 0, n_pp = 512, n_ctx = 4096, n_seq = 64;
    std::string pp_batches_s = "512";
    double target_overhead = -1;

    CLI::App app{"palign-bench-engine: the PAS protocol's ask workload under engine configurations, steered and not,\n"
                 "next to llama.cpp's own prefill at the same depth; ratios against the pre-in-graph baseline"};
    app.option_defaults()->always_capture_default();
    app.add_option("--preset", preset, "generated benchmark model (qwen3-0.6b, llama3-8b), written once into --model-dir");
    app.add_option("-m,--model", model_path, "a GGUF instead of the preset");
    app.add_option("--model-dir", model_dir, "directory of the generated benchmark models");
    app.add_option("--items", n_items, "evaluation items asked per pass (180 = all)");
    app.add_option("--reps", reps, "repetitions; each runs every configuration unsteered and steered, order alternating");
    app.add_option("-t,--threads", threads, "CPU threads (0 = all cores)");
    app.add_option("--ngl", ngl, "layers on the GPU (-1 = all)");
    app.add_option("--k", k, "steered heads (random heads and directions of PAS's size: costs only)");
    app.add_option("--subject", subject_idx, "PAPI Big Five subject whose few-shot prompt is the shared prefix");
    app.add_option("--workload", workload, "system prompt of the asks: few-shot (the subject's 120 answers, ~1,500 tokens: "
                   "palign eval's PAS default, --pas-system few-shot) or default (palign's short one: --pas-system default, align, serve)");
    app.add_option("--configs", configs_s, "comma list of <graph|callback>[+fa][+kvs][-nocap][@bN] (in-graph or callback steering, "
                   "flash attention, a KV stream per sequence, no wave cap, n_batch = n_ubatch = N, default 512), or baseline "
                   "(palign before in-graph steering: callback, no flash attention, wave cap, b512)");
    app.add_option("-c,--ctx-size", n_ctx, "KV cells of each configuration's context (+kvs: each sequence gets the prefix + 200, "
                   "for min(--np, --items + 1) sequences)");
    app.add_option("--np,--parallel", n_seq, "parallel sequences of each configuration's context");
    app.add_option("--pp", n_pp, "llama.cpp prefill tokens timed after the prefix (llama-bench -p N -d <prefix>); 0 = skip");
    app.add_option("--pp-batches", pp_batches_s, "comma list of n_batch = n_ubatch for llama.cpp's prefill (-b/-ub); the best is the reference");
    app.add_option("--overhead-target", target_overhead, "steering overhead target in % (default: 3 on CPU, 5 with --ngl)");
    bool no_repack = false;
    app.add_flag("--no-repack", no_repack, "no repacked CPU weight layouts (as palign's --no-repack; where llama.cpp's AMX kernels fault)");
    app.add_option("--json", json_out, "also write the results as JSON to this file");
    CLI11_PARSE(app, argc, argv);

    try {
        log_set_level(log_level::warn);
        if (reps < 1 || n_items < 1) fail("--reps and --items must be at least 1");
        if (workload != "few-shot" && workload != "default") fail(strfmt("--workload '%s': expected few-shot or default", workload.c_str()));
        if (target_overhead < 0) target_overhead = ngl != 0 ? 5.0 : 3.0;
        const std::string ddir = data_dir(data_dir_opt);
        if (model_path.empty()) model_path = test_model_cached(preset, model_dir, ddir);
        model_params mp;
        mp.path = model_path;
        mp.n_gpu_layers = ngl;
        mp.repack = !no_repack;
        model m(mp);
        const model_info & info = m.info();
        const int n_threads = threads > 0 ? threads : (int) std::max(1u, std::thread::hardware_concurrency());

        const inventory inv = load_inventory(inventory_kind::big5, ddir);
        const std::vector<subject> subjects = load_subjects(inv, ddir);
        if (subject_idx < 0 || subject_idx >= (int) subjects.size()) fail(strfmt("--subject %d: out of range", subject_idx));
        std::vector<const item *> items = item_set(inv, "eval");
        if ((size_t) n_items < items.size()) items.resize(n_items);
        const std::string system = workload == "few-shot" ? system_prompt_few_shot(item_set(inv, "align"), subjects[subject_idx])
                                                          : std::string(PROMPT_SYSTEM_DEFAULT);
        const steering st = random_heads(info, k, 7);
        ask_params ap;

        std::vector<measured> runs;
        std::stringstream ss(configs_s);
        for (std::string name; std::getline(ss, name, ',');) {
            const config c = parse_config(name);
            if (c.path == steer_path::graph && !graph_steer_available()) {
                fprintf(stderr, "skipping %s: this llama.cpp lacks palign's patch\n", name.c_str());
                continue;
            }
            measured r;
            r.cfg = c;
            runs.push_back(std::move(r));
        }
        if (runs.empty()) fail("--configs: nothing to run");
        const std::vector<int> prefix = chat_tokens(m, {{"system", system}, {"user", "x"}}, "");
        for (auto & r : runs) {
            context_params cp;
            cp.n_threads = threads;
            cp.n_batch = cp.n_ubatch = r.cfg.n_batch;
            cp.n_ctx = n_ctx;
            cp.n_seq_max = n_seq;
            cp.flash_attn = r.cfg.flash ? "on" : "off";
            cp.wave_cap = r.cfg.wave_cap ? "on" : "off";
            cp.steer = r.cfg.path;
            if (r.cfg.streams) {   // every sequence holds the prefix and one item (~70 tokens)
                cp.kv_unified = false;
                cp.n_seq_max = std::min(n_seq, (int) items.size() + 1);
                cp.n_ctx = cp.n_seq_max * ((int) prefix.size() + 200);
            }
            r.ctx = std::make_unique<context>(m, cp);
        }

        // llama.cpp's own prefill at the depth of the shared prefix, with the fastest flash setting of the runs
        std::vector<std::unique_ptr<llama_pp>> lps;
        std::vector<int> pp_batches;
        if (n_pp > 0) {
            std::stringstream pb(pp_batches_s);
            for (std::string x; std::getline(pb, x, ',');) pp_batches.push_back(std::max(1, atoi(x.c_str())));
            for (int b : pp_batches) {
                auto lp = std::make_unique<llama_pp>();
                llama_context_params lcp = llama_context_default_params();
                lcp.n_ctx = (uint32_t) (prefix.size() + std::max(n_pp, b) + 16);
                lcp.n_batch = lcp.n_ubatch = (uint32_t) b;
                lcp.n_threads = lcp.n_threads_batch = n_threads;
                lcp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_AUTO;
                lcp.no_perf = true;
                lp->c = llama_init_from_model(m.raw(), lcp);
                if (!lp->c) fail("cannot create the llama.cpp context for the prefill reference");
                lp->n_vocab = info.n_vocab;
                lps.push_back(std::move(lp));
            }
        }
        std::vector<std::string> pp_desc(pp_batches.size());
        std::vector<double> pp_best_b(pp_batches.size(), 0);
        std::vector<double> pp_rep;   // per rep: the best of the batch sizes

        printf("palign-bench-engine: ask_items workload (random-weight model: costs, not alignment quality)\n");
        printf("model       %s (%s; %d layers x %d heads x %d), %s, threads %d\n", model_path.c_str(), info.desc.c_str(),
               info.n_layer, info.n_head, info.head_dim, ngl != 0 ? strfmt("--ngl %d", ngl).c_str() : "CPU", n_threads);
        printf("workload    %zu evaluation items, %s (%zu tokens), option mode; steered: %d random heads\n",
               items.size(), workload == "few-shot" ? strfmt("subject #%d's few-shot prefix", subject_idx).c_str() : "the default system prompt",
               prefix.size(), k);

        // warm-up: one unsteered pass per configuration (first-touch of weights, graph allocation)
        for (auto & r : runs) ask_items(*r.ctx, inv.kind, items, system, nullptr, ap);
        for (size_t b = 0; b < lps.size(); b++) llama_pp_tps(*lps[b], prefix, std::min(n_pp, 64), pp_batches[b]);

        for (int rep = 0; rep < reps; rep++) {
            for (size_t ci = 0; ci < runs.size(); ci++) {
                auto & r = runs[rep % 2 ? runs.size() - 1 - ci : ci];
                for (int pass = 0; pass < 2; pass++) {
                    const bool steered = (pass == 0) == (rep % 2 == 1);
                    const uint64_t a0 = r.ctx->tokens_computed();
                    const double t0 = now_s();
                    ask_items(*r.ctx, inv.kind, items, system, steered ? &st : nullptr, ap);
                    const double dt = now_s() - t0;
                    const uint64_t dn = r.ctx->tokens_computed() - a0;
                    (steered ? r.t_steer : r.t_plain) += dt;
                    (steered ? r.n_steer : r.n_plain) += dn;
                    (steered ? r.rep_steer : r.rep_plain).push_back(dt);
                }
            }
            double pp_this = 0;
            for (size_t b = 0; b < lps.size(); b++) {
                const double t = llama_pp_tps(*lps[b], prefix, std::max(n_pp, pp_batches[b]), pp_batches[b]);
                pp_best_b[b] = std::max(pp_best_b[b], t);
                pp_desc[b] += strfmt(" %.1f", t);
                pp_this = std::max(pp_this, t);
            }
            if (!lps.empty()) pp_rep.push_back(pp_this);
        }

        const measured & base = runs[0];
        const measured * best = &runs[0];
        for (const auto & r : runs) if (r.tps_steer() > best->tps_steer()) best = &r;
        const double pp_best = pp_best_b.empty() ? 0 : *std::max_element(pp_best_b.begin(), pp_best_b.end());

        printf("\n%-18s %12s %12s %10s %10s %11s %9s\n", "config", "plain tok/s", "steer tok/s", "overhead", "vs base",
               "questions/s", "vs llama");
        for (const auto & r : runs) {
            const double ovh = (r.t_steer / r.n_steer) / (r.t_plain / r.n_plain) * 100.0 - 100.0;
            const double qps = (double) items.size() * reps / r.t_steer;
            printf("%-18s %12.1f %12.1f %+9.2f%% %9.3fx %11.1f %8.3fx\n", r.cfg.name.c_str(), r.tps_plain(), r.tps_steer(), ovh,
                   r.tps_steer() / base.tps_steer(), qps, pp_best > 0 ? r.tps_steer() / pp_best : NAN);
        }
        for (size_t b = 0; b < pp_batches.size(); b++) {
            printf("%-18s %12.1f  (llama.cpp prefill, %d tokens at depth %zu, -b/-ub %d, flash auto; per rep:%s)\n",
                   strfmt("llama.cpp pp@b%d", pp_batches[b]).c_str(), pp_best_b[b], std::max(n_pp, pp_batches[b]), prefix.size(),
                   pp_batches[b], pp_desc[b].c_str());
        }
        const double ovh_best = (best->t_steer / best->n_steer) / (best->t_plain / best->n_plain) * 100.0 - 100.0;
        printf("\nfastest steered: %s, %.3fx the baseline (target >= 1.1: %s)", best->cfg.name.c_str(),
               best->tps_steer() / base.tps_steer(), verdict(best->tps_steer() / base.tps_steer() >= 1.1));
        if (pp_best > 0) printf(", %.3fx llama.cpp's prefill (target >= 0.95: %s)", best->tps_steer() / pp_best,
                                verdict(best->tps_steer() / pp_best >= 0.95));
        printf("\nsteering overhead of %s: %+.2f %% (target <= %g %%: %s)\n", best->cfg.name.c_str(), ovh_best, target_overhead,
               verdict(ovh_best <= target_overhead));

        // Paired ratios: within one rep every configuration, its two passes and llama.cpp's prefill run back to
        // back, so a ratio of two of them taken inside a rep cancels the machine's slow drifts (a shared VM's
        // neighbours), which the totals above do not. Median over the reps, with their range.
        std::vector<paired> pr;
        for (const auto & r : runs) pr.push_back(pair_reps(r, base, pp_rep));
        if (reps > 1) {
            printf("\npaired, per rep (median [min..max] over %d reps):\n%-18s %22s %22s %22s\n", reps, "config",
                   "steered vs base", "overhead %", "steered vs llama");
            for (size_t i = 0; i < runs.size(); i++) {
                printf("%-18s %22s %22s %22s\n", runs[i].cfg.name.c_str(), pr[i].vs_base.str("%.3fx").c_str(),
                       pr[i].overhead.str("%+.1f").c_str(), pp_rep.empty() ? "-" : pr[i].vs_llama.str("%.3fx").c_str());
            }
            size_t bi = 0;
            for (size_t i = 0; i < runs.size(); i++) if (pr[i].vs_base.med > pr[bi].vs_base.med) bi = i;
            printf("paired fastest steered: %s, %.3fx the baseline (target >= 1.1: %s)", runs[bi].cfg.name.c_str(),
                   pr[bi].vs_base.med, verdict(pr[bi].vs_base.med >= 1.1));
            if (!pp_rep.empty()) printf(", %.3fx llama.cpp's prefill (target >= 0.95: %s)", pr[bi].vs_llama.med,
                                        verdict(pr[bi].vs_llama.med >= 0.95));
            printf("; its steering overhead %+.2f %% (target <= %g %%: %s)\n", pr[bi].overhead.med, target_overhead,
                   verdict(pr[bi].overhead.med <= target_overhead));
        }
        double spread = 0;
        for (const auto & r : runs) {
            for (const auto * v : {&r.rep_plain, &r.rep_steer}) {
                if (v->size() > 1) spread = std::max(spread, *std::max_element(v->begin(), v->end()) / *std::min_element(v->begin(), v->end()) * 100 - 100);
            }
        }
        printf("noise: reps of the same pass differ by up to %.1f %%\n", spread);

        if (!json_out.empty()) {
            nlohmann::json j;
            j["model"] = info.desc;
            j["path"] = model_path;
            j["ngl"] = ngl;
            j["threads"] = n_threads;
            j["items"] = items.size();
            j["reps"] = reps;
            j["prefix_tokens"] = prefix.size();
            j["workload"] = workload;
            j["steered_heads"] = k;
            j["llama_pp_tps"] = pp_best;
            j["noise_pct"] = spread;
            for (const auto & r : runs) {
                j["configs"][r.cfg.name] = {
                    {"plain_tps", r.tps_plain()}, {"steer_tps", r.tps_steer()},
                    {"overhead_pct", (r.t_steer / r.n_steer) / (r.t_plain / r.n_plain) * 100.0 - 100.0},
                    {"questions_per_s", (double) items.size() * reps / r.t_steer},
                    {"vs_baseline", r.tps_steer() / base.tps_steer()},
                    {"steer_path", r.ctx->steer_path_name()}, {"n_batch", r.cfg.n_batch},
                    {"flash_attn", r.cfg.flash}, {"wave_cap", r.cfg.wave_cap}, {"kv_unified", !r.cfg.streams},
                };
            }
            for (size_t i = 0; i < runs.size(); i++) {
                auto & c = j["configs"][runs[i].cfg.name];
                c["paired_vs_baseline"] = pr[i].vs_base.json();
                c["paired_overhead_pct"] = pr[i].overhead.json();
                if (!pp_rep.empty()) c["paired_vs_llama"] = pr[i].vs_llama.json();
            }
            j["llama_pp_tps_per_rep"] = pp_rep;
            j["fastest"] = best->cfg.name;
            std::ofstream(json_out) << j.dump(2) << "\n";
        }
    } catch (const std::exception & e) {
        fprintf(stderr, "palign-bench-engine: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
