// Run report (palign report RUN_DIR... -o report.html): the methods of eval runs as pictures, in one HTML file.
//
// Every statistic is eval/compare.h's (compare_runs on the subjects all methods share: means and bootstrap
// intervals, chosen alphas) or read from the run files (report/run_data.h); nothing is estimated differently.
//   composite     LLM methods as bars with their interval as error bars; reference predictors as dashed floor lines
//   traits        every method's mean error per trait, grouped by trait, with intervals
//   subjects      per chosen subject, a radar of the subject's keyed trait means (evaluation items) and each method's
//   PAS           the mean alpha curve of each PAS run over the shared subjects (thin: each subject's), its lowest
//                 point ringed, labelled [oracle] / [cv]; the histogram of chosen alphas; per PAS run a layer x head
//                 heat map of the share of subjects whose fit selected each head
//   calibration   the reliability diagram of each method with option probabilities (eval/calibration.h)
// Every chart is followed by a table of the numbers it draws; every mark carries them (report/svg.h).
#pragma once

#include "eval/compare.h"

#include <string>
#include <vector>

namespace palign {

struct report_params {
    compare_params cmp;                  // bootstrap, as palign compare
    std::vector<std::string> subjects;   // radar subjects (ids); empty = the first shared subject
    int bins = 10;                       // reliability bins
    int n_layer = 0, n_head = 0;         // heat map geometry (0 = up to the last selected layer / head)
    std::string title = "palign report";
};

// throws palign::error (naming the file or flag) before anything is written
std::string run_report_html(const std::vector<std::string> & run_dirs, const report_params & p);

} // namespace palign
