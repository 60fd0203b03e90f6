// palign compare: methods of one or more eval runs side by side, with bootstrap intervals over subjects.
#include "cli/commands.h"
#include "eval/compare.h"
#include "eval/report.h"

#include <cstdio>

namespace palign {

void register_compare(CLI::App & app) {
    auto * cmd = app.add_subcommand("compare", "compare the methods of eval runs: means with 95% bootstrap intervals over "
                                               "subjects, and paired differences on the subjects all runs share");
    static std::vector<std::string> dirs;
    static compare_params cp;
    static std::string json_out;
    cmd->add_option("runs", dirs, "eval output directories (palign eval -o DIR)")->required();
    cmd->add_option("--boot", cp.n_boot, "bootstrap resamples");
    cmd->add_option("--seed", cp.seed, "bootstrap seed");
    cmd->add_option("--level", cp.level, "interval level");
    cmd->add_option("--json", json_out, "also write the comparison as JSON to this file");
    cmd->callback([] {
        const comparison c = compare_runs(load_runs(dirs), cp);
        fputs(comparison_table(c).c_str(), stdout);
        if (!json_out.empty()) write_file_atomic(json_out, comparison_json(c));
    });
}

} // namespace palign
