// palign report: eval runs as pictures - one self-contained HTML file (inline SVG and CSS) with the methods side by side,
// chosen subjects' radar charts, PAS's alpha curves, alphas and heads, and calibration; every number also as text.
#include "cli/commands.h"
#include "engine/gguf_util.h"
#include "report/run_report.h"
#include "util/error.h"
#include "util/fs_util.h"

#include <cstdio>
#include <memory>

namespace palign {

void add_report_options(CLI::App * cmd, report_cmd & o) {
    cmd->add_option("runs", o.runs, "eval output directories (palign eval -o DIR) or <method>.json reports")->required();
    cmd->add_option("-o,--out", o.out, "HTML file to write");
    cmd->add_option("--subjects", o.subjects, "subject ids for radar charts, comma-separated (\"\" = the first shared subject)");
    cmd->add_option("--boot", o.rp.cmp.n_boot, "bootstrap resamples (as palign compare)");
    cmd->add_option("--seed", o.rp.cmp.seed, "bootstrap seed");
    cmd->add_option("--level", o.rp.cmp.level, "interval level");
    cmd->add_option("--bins", o.rp.bins, "probability bins of the reliability diagram");
    cmd->add_option("-m,--model", o.model, "the runs' model (GGUF): the heat map spans all its layers and heads");
    cmd->add_option("--title", o.rp.title, "page title");
}

void run_report(const report_cmd & o) {
    check_output_file(o.out, "report");   // before any work
    report_params rp = o.rp;
    rp.subjects.clear();
    size_t pos = 0;
    while (!o.subjects.empty() && pos <= o.subjects.size()) {
        const size_t comma = o.subjects.find(',', pos);
        const std::string id = o.subjects.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (id.empty()) fail(strfmt("--subjects: empty id in '%s'", o.subjects.c_str()), "comma-separated subject ids, e.g. 1,17");
        rp.subjects.push_back(id);
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    if (!o.model.empty()) gguf_attention_geometry(o.model, rp.n_layer, rp.n_head);
    write_file_atomic(o.out, run_report_html(o.runs, rp));
    printf("wrote %s\n", o.out.c_str());
}

void register_report(CLI::App & app) {
    auto * cmd = app.add_subcommand("report", "eval runs as one self-contained HTML page of charts (methods with bootstrap "
                                              "intervals, subjects' radars, PAS alpha curves and heads, calibration)");
    auto o = std::make_shared<report_cmd>();
    add_report_options(cmd, *o);
    cmd->callback([o] { run_report(*o); });
}

} // namespace palign
