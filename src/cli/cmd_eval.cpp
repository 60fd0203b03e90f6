// palign eval: the paper's experiment — align on each subject's 120 (or 18) answers, evaluate on the rest.
#include "cli/commands.h"
#include "cli/options.h"
#include "dist/mpi_eval.h"
#include "eval/align.h"
#include "eval/compare.h"
#include "eval/runner.h"
#include "util/error.h"
#include "util/log.h"
#include "util/paths.h"

#include <algorithm>
#include <cmath>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>

namespace palign {

static std::vector<std::string> split_commas(const std::string & s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string part;
    while (std::getline(ss, part, ',')) if (!part.empty()) out.push_back(part);
    return out;
}

void add_eval_options(CLI::App * cmd, eval_cmd & o) {
    add_model_options(cmd, o.mo);
    std::string method_help = "comma list of methods (one model load for all):";
    for (const auto & d : method_defs()) method_help += std::string("\n  ") + d.name + ": " + d.help;
    cmd->add_option("--method", o.methods, method_help + "\n(predictor medians: an even count takes the lower middle value)");
    cmd->add_option("--inventory", o.inventory, "big5 (IPIP-NEO: align 120, evaluate 180) or sd3 (align 18, evaluate 9)");
    cmd->add_option("--subjects", o.subjects, "test subjects as a range FIRST:END (file order, END excluded) or one index");
    cmd->add_option("-o,--out", o.out, "output directory (rerun the same command to resume)")->required();
    cmd->add_option("--alpha-select", o.select, "PAS: cv (k-fold on the align items, honest) or eval (the paper's: best alpha on the evaluation items, ORACLE)");
    cmd->add_option("--pas-system", o.pas_system, "PAS system prompt: few-shot (reference) or default (steering alone)");
    add_pas_options(cmd, o.po);
    cmd->add_option("--contrast-cache", o.contrast_cache, "directory caching the contrast activations per model (\"\" = off)");
    cmd->add_flag("-q,--quiet", o.quiet, "no progress line");
    cmd->add_option("--shard", o.shard, "I/N: evaluate only the subjects whose index mod N == I, into this -o folder (a job "
                    "array: one task per shard, then palign merge OUT SHARD_DIR...)");
    cmd->add_flag("--mpi", o.use_mpi, std::string("spread the run over the ranks of mpirun -np N (rank 0 hands out subjects "
                  "and writes the reports; rerun to resume)") + (mpi_built() ? "" : " [this build has no MPI]"));
    add_ask_options(cmd, o.ao);
    add_protocol_options(cmd, o.pro);
}

void run_eval(const eval_cmd & o) {
    runner_params rp;
    if (o.out.empty()) fail("-o: empty output folder name", "give the run a folder, e.g. -o runs/qwen3");
    rp.out_dir = o.out;
    rp.methods.clear();
    for (const auto & name : split_commas(o.methods)) rp.methods.push_back(eval_method_from_name(name));
    check_method_list(rp.methods);
    rp.kind = inventory_kind_from_name(o.inventory);
    parse_subject_range(o.subjects, rp.first, rp.last);
    if (!o.shard.empty()) parse_shard(o.shard, rp.shard, rp.n_shards);
    if (o.use_mpi && !o.shard.empty()) fail("--mpi and --shard: choose one", "--shard splits a run over separate jobs, --mpi over the ranks of one");
    rp.data_dir = o.mo.data_dir;
    rp.contrast_cache = o.contrast_cache;
    rp.progress = !o.quiet;
    eval_params & e = rp.eval;
    e.ask = o.ao.params();
    o.po.apply(e);
    std::string sel_name = o.select;
    apply_protocol_options(o.given, o.pro, e, sel_name);
    if (sel_name == "cv") e.select = alpha_select::cv;
    else if (sel_name == "eval") e.select = alpha_select::eval;
    else fail(strfmt("--alpha-select: unknown '%s'", sel_name.c_str()), "use cv or eval");
    if (o.pas_system == "few-shot") e.pas_few_shot = true;
    else if (o.pas_system == "default") e.pas_few_shot = false;
    else fail(strfmt("--pas-system: unknown '%s'", o.pas_system.c_str()), "use few-shot or default");

    // --mpi: every rank loads the model (its local rank's GPU when there are several) and works
    std::unique_ptr<mpi_session> mpi;
    if (o.use_mpi) mpi = std::make_unique<mpi_session>();
    const int rank = mpi ? mpi->world().rank : 0;
    std::vector<method_summary> ms;
    std::unique_ptr<model> m;
    try {
        bool need_model = false;
        for (eval_method mth : rp.methods) need_model |= eval_method_needs_model(mth);
        std::unique_ptr<context> ctx;
        if (need_model) {
            model_params mp = o.mo.params();
            if (mpi && mp.n_gpu_layers != 0 && mp.main_gpu < 0 && gpu_device_count() > 1) {
                mp.main_gpu = mpi->world().local_rank % gpu_device_count();
            }
            m = std::make_unique<model>(mp);
            bool pas = false;
            for (eval_method mth : rp.methods) pas |= method_def_of(mth).needs_contrast;
            if (pas && rank == 0) warn_if_k_beyond_heads(e.pas.k, m->info());
            ctx = std::make_unique<context>(*m, o.mo.ctx);
        }
        ms = mpi ? run_eval_mpi(ctx.get(), rp, *mpi) : run_eval(ctx.get(), rp);
    } catch (const mpi_peer_failed &) {
        mpi.reset();
        std::exit(1);
    } catch (const mpi_refused &) {
        mpi.reset();
        throw;
    } catch (const std::exception & ex) {
        if (!mpi) throw;
        fprintf(stderr, "palign: error: rank %d: %s\n", rank, ex.what());
        mpi->abort(1);
    }
    if (rank != 0) return;   // rank 0 prints for all
    const inventory inv = load_inventory(rp.kind, data_dir(o.mo.data_dir));
    printf("%s, %s subjects %d:%d, %s mode\n", m ? m->info().path.c_str() : "(no model)", o.inventory.c_str(), rp.first,
           rp.last, answer_mode_name(e.ask.mode));
    fputs(summary_table(inv, ms, e).c_str(), stdout);
    bool all_scored = true;
    for (const auto & x : ms) all_scored &= x.sc.n_ok > 0;
    if (!all_scored) {
        log_warn("no subject has every trait scored for some method (the failed: lines above say why); its means are "
                 "undefined and no comparison is made; reports written");
    } else if (ms.size() > 1) {
        // several methods: their means with bootstrap intervals and the paired differences
        std::vector<method_run> runs;
        for (const auto & x : ms) {
            std::string sel = method_def_of(x.method).steered ? (e.select == alpha_select::eval ? "oracle" : "cv") : "";
            runs.push_back(method_run_from_scores(x.sc, eval_method_name(x.method), sel, x.alphas));
        }
        try {
            fputs(comparison_table(compare_runs(runs)).c_str(), stdout);
        } catch (const palign::error & err) {   // e.g. no subject scored by every method: the reports still stand
            log_warn("no comparison: %s", err.what());
        }
    }
    printf("reports: %s/<method>.json, .csv, .items.csv\n", o.out.c_str());
}

void register_eval(CLI::App & app) {
    auto * cmd = app.add_subcommand("eval", "align on each subject's align items, evaluate on the rest (the paper's experiment)");
    auto o = std::make_shared<eval_cmd>();
    add_eval_options(cmd, *o);
    cmd->callback([cmd, o] { o->given = flags_given(cmd); run_eval(*o); });
}

} // namespace palign
