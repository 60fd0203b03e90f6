// CLI commands: each file registers one subcommand on the palign app.
#pragma once

#include <CLI/CLI.hpp>

namespace palign {

void register_info(CLI::App & app);
void register_demo(CLI::App & app);
void register_test(CLI::App & app);
void register_eval(CLI::App & app);

} // namespace palign
