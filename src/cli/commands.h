// CLI commands: each command's flags as a plain struct (its defaults are the flags' defaults), add_X_options to bind
// them to a CLI11 command, run_X to do the work (throws palign::error), and register_X to add the subcommand to
// palign's app. run_X reads no CLI11 object, so that commands can also run in process (tests).
#pragma once

#include "cli/options.h"
#include "data/prompts.h"
#include "engine/sampling.h"
#include "eval/compare.h"
#include "report/run_report.h"
#include "server/http_server.h"
#include "util/paths.h"

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

namespace palign {

// demo's -o: beside the palign binary when it runs from a build directory (build/palign-demo), else under $TMPDIR
std::string default_demo_dir();

struct info_cmd {
    model_params model;
    std::string hf, hf_endpoint;
};

struct test_cmd {
    model_opts mo;
    ask_opts ao;
    std::string questionnaire = "ipip-neo-120", system = PROMPT_SYSTEM_DEFAULT, json_out, steer, answers, html_out;
    double alpha = NAN;
    bool quiet = false;
};

struct eval_cmd {
    model_opts mo;
    ask_opts ao;
    pas_opts po;
    protocol_opts pro;
    std::string methods = "pas", inventory = "big5", subjects = "0:300", out, select = "cv", pas_system = "few-shot";
    std::string contrast_cache = cache_dir() + "/contrast";   // as align and capture: $PALIGN_CACHE honoured
    std::string shard;
    bool quiet = false, use_mpi = false;
    std::set<std::string> given;   // flags given (flags_given; in process, list the ones set, as the CLI would): --protocol
                                   // reference changes only the defaults of the flags not in it
};

struct compare_cmd {
    std::vector<std::string> runs;
    compare_params cp;
    std::string json_out;
};

struct report_cmd {
    std::vector<std::string> runs;
    report_params rp;
    std::string out = "report.html", subjects, model;
};

struct quiz_cmd {
    std::string inventory = "big5", out = "me.json", score, html, json_out, data_dir;
    bool shuffle = false;
    uint64_t seed = 42;
    std::set<std::string> given;   // flags given (flags_given): without --inventory, an existing file's own is used
};

struct merge_cmd {
    std::string out, data_dir;
    std::vector<std::string> shards;
};

struct capture_cmd {
    model_opts mo;
    ask_opts ao;   // --date only
    std::string inventory = "big5", protocol = "palign";
    std::string out = cache_dir() + "/contrast";
};

struct prompt_cmd {
    std::string model, inventory = "big5", item, system = "default", protocol = "palign", kind = "eval", mode = "option";
    std::string date = "2024-07-26";
    int subject = 0;
    bool missing_unknown = false, json = false;
    std::string data_dir;
};

struct export_cvec_cmd {
    std::string model, steer, out;
    double alpha = NAN;
};

struct align_cmd {
    model_opts mo;
    ask_opts ao;
    pas_opts po;
    std::string answers, out, inventory = "big5", system = "default";
    std::string contrast_cache = cache_dir() + "/contrast";
    double alpha = NAN;
    bool quiet = false;
};

struct inspect_cmd {
    std::string file;
};

struct chat_cmd {
    model_opts mo;
    std::vector<std::string> steer;
    std::string system, prompt, date = "2024-07-26";
    double alpha = NAN;
    int n_predict = 256;
    sampling smp = [] { sampling s; s.seed = 42; return s; }();
};

struct bake_cmd {
    std::string model, steer, out;
    double alpha = NAN;
};

struct demo_cmd {
    std::string preset = "qwen3", out = default_demo_dir(), data_dir, subjects = "0:2";
    std::string model_dir = cache_dir() + "/models";
    int threads = 0;
};

struct serve_cmd {   // run_serve is built with cpp-httplib (PALIGN_HAVE_SERVER)
    model_opts mo;
    serve_params sp;
    ask_opts ao;
    pas_opts po;
    std::string contrast_cache = cache_dir() + "/contrast";
};

void add_info_options(CLI::App * cmd, info_cmd & o);
void add_test_options(CLI::App * cmd, test_cmd & o);
void add_eval_options(CLI::App * cmd, eval_cmd & o);
void add_compare_options(CLI::App * cmd, compare_cmd & o);
void add_report_options(CLI::App * cmd, report_cmd & o);
void add_quiz_options(CLI::App * cmd, quiz_cmd & o);
void add_merge_options(CLI::App * cmd, merge_cmd & o);
void add_capture_options(CLI::App * cmd, capture_cmd & o);
void add_prompt_options(CLI::App * cmd, prompt_cmd & o);
void add_export_cvec_options(CLI::App * cmd, export_cvec_cmd & o);
void add_align_options(CLI::App * cmd, align_cmd & o);
void add_inspect_options(CLI::App * cmd, inspect_cmd & o);
void add_chat_options(CLI::App * cmd, chat_cmd & o);
void add_bake_options(CLI::App * cmd, bake_cmd & o);
void add_demo_options(CLI::App * cmd, demo_cmd & o);
void add_serve_options(CLI::App * cmd, serve_cmd & o);

// the commands' work: output on stdout, progress and notes on stderr; errors thrown as palign::error
void run_info(const info_cmd & o);
void run_test(const test_cmd & o);
void run_eval(const eval_cmd & o);
void run_compare(const compare_cmd & o);
void run_report(const report_cmd & o);
void run_quiz(const quiz_cmd & o);
void run_merge(const merge_cmd & o);
void run_capture(const capture_cmd & o);
void run_prompt(const prompt_cmd & o);
void run_export_cvec(const export_cvec_cmd & o);
void run_align(const align_cmd & o);
void run_inspect(const inspect_cmd & o);
void run_chat(const chat_cmd & o);
void run_bake(const bake_cmd & o);
void run_demo(const demo_cmd & o);
void run_serve(const serve_cmd & o);

void register_info(CLI::App & app);
void register_demo(CLI::App & app);
void register_test(CLI::App & app);
void register_eval(CLI::App & app);
void register_align(CLI::App & app);
void register_inspect(CLI::App & app);
void register_chat(CLI::App & app);
void register_bake(CLI::App & app);
void register_compare(CLI::App & app);
void register_merge(CLI::App & app);
void register_capture(CLI::App & app);
void register_prompt(CLI::App & app);
void register_export_cvec(CLI::App & app);
void register_quiz(CLI::App & app);
void register_report(CLI::App & app);
void register_serve(CLI::App & app);     // built with cpp-httplib (PALIGN_HAVE_SERVER)

} // namespace palign
