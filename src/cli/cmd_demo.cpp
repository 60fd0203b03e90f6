// palign demo: the whole evaluation on a generated RANDOM-WEIGHT model — shows the pipeline, not PAS's merit.
#include "cli/commands.h"
#include "cli/options.h"
#include "engine/test_model.h"
#include "engine/test_model_presets.h"
#include "eval/report.h"
#include "eval/runner.h"
#include "report/run_report.h"
#include "util/error.h"
#include "util/fs_util.h"
#include "util/paths.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

namespace palign {

// beside the palign binary when it runs from a build directory (build/palign-demo), else under the temp directory:
// never the current directory, which is often the source tree
std::string default_demo_dir() {
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec && std::filesystem::exists(exe.parent_path() / "CMakeCache.txt")) return (exe.parent_path() / "palign-demo").string();
    const char * tmp = getenv("TMPDIR");
    return std::string(tmp && *tmp ? tmp : "/tmp") + "/palign-demo";
}

static void random_weights_banner(const char * arch) {
    printf("!! RANDOM WEIGHTS: a generated %s-architecture test model with a real tokenizer and chat template.\n"
           "!! The numbers show that capture, probing, steering and scoring run end to end; they say nothing\n"
           "!! about how well PAS aligns a real model. Use `palign eval -m <real model>.gguf` for that.\n\n", arch);
    fflush(stdout);
}

void add_demo_options(CLI::App * cmd, demo_cmd & o) {
    cmd->add_option("--preset", o.preset, "test model preset (llama3, llama2, mistral, qwen3)");
    cmd->add_option("--model-dir", o.model_dir, "where the generated test model is kept");
    cmd->add_option("-o,--out", o.out, "output directory of the evaluation (rerun resumes)");
    cmd->add_option("--subjects", o.subjects, "PAPI Big Five test subjects FIRST:END");
    cmd->add_option("-t,--threads", o.threads, "CPU threads (0 = all cores)");
    cmd->add_option("--data-dir", o.data_dir, "palign data dir (default: the build's or install's data/)");
}

void run_demo(const demo_cmd & o) {
    printf("palign demo: the evaluation on a generated %s test model with RANDOM weights (no download); output in %s\n",
           o.preset.c_str(), o.out.c_str());
    fflush(stdout);   // before anything else is said on stderr
    const std::string ddir = data_dir(o.data_dir);
    make_dirs(o.model_dir);   // $PALIGN_CACHE/models may not exist yet on a fresh machine
    const std::string path = o.model_dir + "/palign-test-" + o.preset + ".gguf";
    if (!file_exists(path)) {
        test_model_params tp = test_model_preset_params(o.preset, vocab_dir(), ddir);
        write_test_model(tp, path);
        fprintf(stderr, "demo: wrote the test model %s\n", path.c_str());
    }
    model m({path});
    random_weights_banner(m.info().arch.c_str());
    context_params cp;
    cp.n_ctx = 8192;
    cp.n_threads = o.threads;
    context ctx(m, cp);

    runner_params rp;
    rp.out_dir = o.out;
    rp.methods = {eval_method::none, eval_method::few_shot, eval_method::personality_prompt, eval_method::pas,
                  eval_method::trait_key_median};   // the floor an LLM method must beat
    rp.data_dir = o.data_dir;
    parse_subject_range(o.subjects, rp.first, rp.last);
    rp.contrast_cache = "";
    rp.eval.alpha_grid = {0, 2, 4};
    rp.eval.cv_folds = 3;
    const auto ms = run_eval(&ctx, rp);
    printf("\npalign demo — model: %s (RANDOM weights: the pipeline, not what PAS achieves)\n", path.c_str());
    const inventory inv = load_inventory(inventory_kind::big5, ddir);
    fputs(summary_table(inv, ms, rp.eval).c_str(), stdout);
    write_file_atomic(o.out + "/report.html", run_report_html({o.out}, report_params{}));
    printf("reports: %s/<method>.json, .csv, .items.csv; charts: %s/report.html (palign report)\n", o.out.c_str(), o.out.c_str());
}

void register_demo(CLI::App & app) {
    auto * cmd = app.add_subcommand("demo", "run the evaluation (none, few-shot, personality-prompt, PAS, trait-key-median) on a generated "
                                            "random-weight test model: the pipeline end to end, no download");
    auto o = std::make_shared<demo_cmd>();
    add_demo_options(cmd, *o);
    cmd->callback([o] { run_demo(*o); });
}

} // namespace palign
