// CLI commands: each file registers one subcommand on the palign app.
#pragma once

#include <CLI/CLI.hpp>

namespace palign {

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
