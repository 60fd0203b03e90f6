// palign compare: methods of one or more eval runs side by side, with bootstrap intervals over subjects.
#include "cli/commands.h"
#include "eval/compare.h"
#include "eval/report.h"

#include <cstdio>
#include <memory>

namespace palign {

void add_compare_options(CLI::App * cmd, compare_cmd & o) {
    cmd->add_option("runs", o.runs, "eval output directories (palign eval -o DIR)")->required();
    cmd->add_option("--boot", o.cp.n_boot, "bootstrap resamples");
    cmd->add_option("--seed", o.cp.seed, "bootstrap seed");
    cmd->add_option("--level", o.cp.level, "interval level");
    cmd->add_option("--json", o.json_out, "also write the comparison as JSON to this file");
}

void run_compare(const compare_cmd & o) {
    const comparison c = compare_runs(load_runs(o.runs), o.cp);
    fputs(comparison_table(c).c_str(), stdout);
    if (!o.json_out.empty()) write_file_atomic(o.json_out, comparison_json(c));
}

void register_compare(CLI::App & app) {
    auto * cmd = app.add_subcommand("compare", "compare the methods of eval runs: means with 95% bootstrap intervals over "
                                               "subjects, and paired differences on the subjects all runs share");
    auto o = std::make_shared<compare_cmd>();
    add_compare_options(cmd, *o);
    cmd->callback([o] { run_compare(*o); });
}

} // namespace palign
