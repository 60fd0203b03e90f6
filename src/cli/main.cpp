// palign: command-line front end (one subcommand per job); errors are one line and exit 1.
#include "cli/commands.h"
#include "engine/llama_log.h"
#include "util/error.h"
#include "util/log.h"


#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char ** argv) {
    // llama.cpp's tools spell some long flags with one dash (-ngl); CLI11 reads those as short-flag
    // bundles, so they are rewritten to their two-dash forms first
    std::vector<std::string> args(argv, argv + argc);
    for (auto & a : args) {
        if (a == "-ngl" || a == "-np" || a == "-fa") a = "-" + a;
        else if (a == "-mg") a = "--main-gpu";
    }
    std::vector<char *> argp;
    for (auto & a : args) argp.push_back(a.data());
    argc = (int) argp.size();
    argv = argp.data();
    palign::log_capture_llama();   // llama.cpp/ggml messages go through palign's filter (errors become one line)
    CLI::App app{"palign " PALIGN_VERSION ": align an LLM to one person's personality (PAS) and measure it"};
    app.option_defaults()->always_capture_default();
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("palign ") + PALIGN_VERSION);
    int verbose = 0;
    app.add_flag("-v,--verbose", verbose, "more output (-v: info, -vv: llama.cpp's debug log)");
    app.parse_complete_callback([&] {
        palign::log_set_level(verbose >= 2 ? palign::log_level::debug
                              : verbose == 1 ? palign::log_level::info : palign::log_level::warn);
    });
    palign::register_info(app);
    palign::register_test(app);
    palign::register_eval(app);
    palign::register_compare(app);
    palign::register_report(app);
    palign::register_quiz(app);
    palign::register_merge(app);
    palign::register_capture(app);
    palign::register_prompt(app);
    palign::register_export_cvec(app);
    palign::register_align(app);
    palign::register_inspect(app);
    palign::register_chat(app);
    palign::register_bake(app);
    palign::register_demo(app);
#ifdef PALIGN_HAVE_SERVER
    palign::register_serve(app);
#endif
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError & e) {
        return app.exit(e);
    } catch (const std::exception & e) {
        fprintf(stderr, "palign: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
