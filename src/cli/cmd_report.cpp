// palign report: eval runs as pictures - one self-contained HTML file (inline SVG and CSS) with the methods side by side,
// chosen subjects' radar charts, PAS's alpha curves, alphas and heads, and calibration; every number also as text.
#include "cli/commands.h"
#include "engine/gguf_util.h"
#include "eval/report.h"
#include "report/run_report.h"
#include "util/error.h"
#include "util/fs_util.h"

#include <cstdio>

namespace palign {

void register_report(CLI::App & app) {
    auto * cmd = app.add_subcommand("report", "eval runs as one self-contained HTML page of charts (methods with bootstrap "
                                              "intervals, subjects' radars, PAS alpha curves and heads, calibration)");
    static std::vector<std::string> dirs;
    static report_params rp;
    static std::string out = "report.html", subjects, model;
    cmd->add_option("runs", dirs, "eval output directories (palign eval -o DIR) or <method>.json reports")->required();
    cmd->add_option("-o,--out", out, "HTML file to write");
    cmd->add_option("--subjects", subjects, "subject ids for radar charts, comma-separated (\"\" = the first shared subject)");
    cmd->add_option("--boot", rp.cmp.n_boot, "bootstrap resamples (as palign compare)");
    cmd->add_option("--seed", rp.cmp.seed, "bootstrap seed");
    cmd->add_option("--level", rp.cmp.level, "interval level");
    cmd->add_option("--bins", rp.bins, "probability bins of the reliability diagram");
    cmd->add_option("-m,--model", model, "the runs' model (GGUF): the heat map spans all its layers and heads");
    cmd->add_option("--title", rp.title, "page title");
    cmd->callback([] {
        check_output_file(out, "report");   // before any work
        rp.subjects.clear();
        size_t pos = 0;
        while (!subjects.empty() && pos <= subjects.size()) {
            const size_t comma = subjects.find(',', pos);
            const std::string id = subjects.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
            if (id.empty()) fail(strfmt("--subjects: empty id in '%s'", subjects.c_str()), "comma-separated subject ids, e.g. 1,17");
            rp.subjects.push_back(id);
            if (comma == std::string::npos) break;
            pos = comma + 1;
        }
        if (!model.empty()) gguf_attention_geometry(model, rp.n_layer, rp.n_head);
        write_file_atomic(out, run_report_html(dirs, rp));
        printf("wrote %s\n", out.c_str());
    });
}

} // namespace palign
