// Run report: compare_runs' statistics and the run files' extras as charts and tables in one HTML page.
#include "report/run_report.h"

#include "data/inventory.h"
#include "eval/calibration.h"
#include "eval/predictors.h"
#include "report/charts.h"
#include "report/html.h"
#include "report/run_data.h"
#include "report/svg.h"
#include "util/error.h"
#include "util/paths.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace palign {

using json = nlohmann::json;

static std::string safe_id(const std::string & s) {
    std::string o;
    for (char ch : s) o += (isalnum((unsigned char) ch) || ch == '-' || ch == '_') ? ch : '_';
    return o;
}

static bar_value bar_of(const interval & iv) {
    bar_value b;
    b.value = iv.mean;
    b.lo = iv.lo;
    b.hi = iv.hi;
    b.n = iv.n;
    return b;
}

// one line per run directory: what its config.json says
static std::string runs_overview(const std::vector<method_run> & runs) {
    std::vector<std::vector<std::string>> rows;
    std::set<std::string> seen;
    for (const auto & r : runs) {
        if (!seen.insert(r.dir).second) continue;
        std::string model = "-", mode = "-", select = "-", grid = "-", methods;
        for (const auto & o : runs) if (o.dir == r.dir) methods += (methods.empty() ? "" : ", ") + o.method;
        const std::string cfg = (std::filesystem::path(r.dir) / "config.json").string();
        if (file_exists(cfg)) {
            try {
                const json c = json::parse(read_file(cfg));
                if (c.contains("model") && c["model"].is_string()) model = c["model"].get<std::string>();
                if (c.contains("answer_mode") && c["answer_mode"].is_string()) mode = c["answer_mode"].get<std::string>();
                if (c.contains("answer_rule") && c["answer_rule"].is_string()) mode += " (" + c["answer_rule"].get<std::string>() + ")";
                if (c.contains("alpha_select") && c["alpha_select"].is_string()) select = c["alpha_select"].get<std::string>();
                if (c.contains("alpha_grid") && c["alpha_grid"].is_array()) {
                    grid.clear();
                    for (const auto & a : c["alpha_grid"]) grid += (grid.empty() ? "" : ",") + strfmt("%g", a.get<double>());
                }
            } catch (const std::exception &) {
                model = "(config.json unreadable)";
            }
        }
        rows.push_back({r.dir, methods, model, mode, select, grid});
    }
    return html_table({"run", "methods", "model", "answers", "alpha selection", "alpha grid"}, rows);
}

static std::string methods_section(const comparison & c, const std::vector<std::string> & colors) {
    const std::string ci = strfmt("%.0f%% bootstrap interval (percentile, B = %d, seed %llu)", 100 * c.params.level, c.params.n_boot,
                                  (unsigned long long) c.params.seed);
    bar_chart comp;
    comp.id = "composite";
    comp.title = "Composite error: sum over traits of mean |model - subject| (lower is better)";
    comp.y_label = "composite error";
    comp.groups = {"composite"};
    for (size_t i = 0; i < c.methods.size(); i++) {
        const method_stats & m = c.methods[i];
        if (is_predictor_name(m.method)) {
            comp.floors.push_back({m.label, bar_of(m.composite)});
        } else {
            comp.series.push_back(m.label);
            comp.values.push_back({bar_of(m.composite)});
            comp.colors.push_back(colors[i]);
        }
    }
    bar_chart tr;
    tr.id = "traits";
    tr.title = "Error per trait: mean |model - subject| on the 1..5 scale";
    tr.y_label = "mean absolute error";
    for (const auto & t : c.traits) {
        tr.groups.push_back(t + " " + trait_name(c.kind, t));
        tr.group_keys.push_back(t);
    }
    for (size_t i = 0; i < c.methods.size(); i++) {
        tr.series.push_back(c.methods[i].label);
        std::vector<bar_value> row;
        for (const auto & iv : c.methods[i].traits) row.push_back(bar_of(iv));
        tr.values.push_back(row);
        tr.colors.push_back(colors[i]);
    }
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < c.methods.size(); i++) {
        const method_stats & m = c.methods[i];
        std::string rules, alphas;
        for (const auto & r : m.rules) rules += (rules.empty() ? "" : ", ") + r;
        for (const auto & kv : m.alphas) alphas += (alphas.empty() ? "" : " ") + strfmt("%g:%d", kv.first, kv.second);
        const std::string ll = std::isfinite(m.log_loss.mean) ? strfmt("%.3f [%.3f, %.3f], n = %d", m.log_loss.mean, m.log_loss.lo,
                                                                      m.log_loss.hi, m.log_loss.n) : "-";
        const std::string comp_s = std::isfinite(m.composite.mean) ? strfmt("%.3f [%.3f, %.3f]", m.composite.mean, m.composite.lo,
                                                                            m.composite.hi) : "-";
        rows.push_back({m.label, is_predictor_name(m.method) ? "reference predictor" : "model", std::to_string(m.n_subjects),
                        comp_s, ll, rules.empty() ? "-" : rules, alphas.empty() ? "-" : alphas});
    }
    std::string body = html_p(strfmt("%zu subjects shared by all %zu methods; every mean is over them, with its ", c.shared.size(),
                                     c.methods.size()) + ci + ". Reference predictors need no model: an LLM method must beat these floors "
                              "to show that it learned anything about the person.", "note");
    body += html_figure(draw_bars(comp), "Bars: methods that ask the model, with their interval; dashed lines: the reference "
                                         "predictors (floors), their interval in the tooltip and the table.");
    body += html_figure(draw_bars(tr), "Grouped by trait; error bars: the interval.");
    body += html_table({"method", "kind", "subjects in its report", "composite [interval]", "log-loss [interval]", "answer rules",
                        "chosen alphas (alpha:subjects)"}, rows);
    return html_section("methods", "Methods side by side", body);
}

static std::string subjects_section(const comparison & c, const std::vector<method_data> & data, const std::vector<std::string> & ids,
                                    const std::vector<std::string> & colors) {
    std::string body = html_p("Each subject's own keyed trait means over the evaluation items they answered (reverse-keyed items as "
                              "6 - answer), against the keyed means of each method's answers to the same items (1..5).", "note");
    for (const auto & id : ids) {
        radar_chart r;
        r.id = "radar-" + safe_id(id);
        r.title = "Subject " + id + ": trait means, the subject's and each method's";
        for (const auto & t : c.traits) {
            r.axes.push_back(t + " " + trait_name(c.kind, t));
            r.axis_keys.push_back(t);
        }
        const run_subject * first = nullptr;
        for (const auto & s : data[0].subjects) if (s.id == id) first = &s;
        r.series.push_back("subject " + id);
        r.values.push_back(first ? first->subject_mean : std::vector<double>(c.traits.size(), NAN));
        r.colors.push_back("#222222");
        for (size_t i = 0; i < c.methods.size(); i++) {
            const run_subject * s = nullptr;
            for (const auto & x : data[i].subjects) if (x.id == id) s = &x;
            r.series.push_back(c.methods[i].label);
            r.values.push_back(s ? s->model_mean : std::vector<double>(c.traits.size(), NAN));
            r.colors.push_back(colors[i]);
        }
        body += html_figure(draw_radar(r), "Subject " + id + " (black) and each method's answers for them.");
    }
    return html_section("subjects", "Subjects", body);
}

static std::string pas_section(const comparison & c, const std::vector<method_data> & data, const std::vector<std::string> & colors,
                               const report_params & p) {
    std::vector<size_t> pas;
    for (size_t i = 0; i < c.methods.size(); i++) if (!data[i].pas.empty()) pas.push_back(i);
    if (pas.empty()) return "";
    const std::set<std::string> shared(c.shared.begin(), c.shared.end());
    std::string body = html_p("Alpha curves: the composite error at each alpha of the grid on the items alpha is chosen on. [cv]: "
                              "the held-out align answers (k-fold cross-validation, honest); [oracle]: the evaluation items "
                              "themselves (the paper's protocol, which looks at the answers it is scored on). Over the shared "
                              "subjects with a PAS fit.", "note");
    line_chart lc;
    lc.id = "alpha-curves";
    lc.title = "PAS: composite error per alpha on the selection items";
    lc.x_label = "alpha";
    lc.y_label = "composite (selection items)";
    lc.highlight_note = "the lowest mean composite";
    std::vector<std::vector<std::string>> subject_rows;
    std::set<double> grid;
    for (size_t i : pas) {
        std::map<double, std::pair<double, int>> acc;   // alpha -> (sum, n)
        for (const auto & ps : data[i].pas) {
            if (!shared.count(ps.id)) continue;
            line_series thin;
            thin.label = c.methods[i].label + ", subject " + ps.id;
            thin.thin = true;
            thin.color = colors[i];
            std::string curve;
            for (const auto & pt : ps.curve) {
                thin.x.push_back(pt.first);
                thin.y.push_back(pt.second);
                grid.insert(pt.first);
                if (std::isfinite(pt.second)) { acc[pt.first].first += pt.second; acc[pt.first].second++; }
                curve += (curve.empty() ? "" : "  ") + strfmt("%g: ", pt.first) + num_text(pt.second, 3);
            }
            subject_rows.push_back({c.methods[i].label, ps.id, strfmt("%g", ps.alpha), curve});
            lc.series.push_back(thin);
        }
        line_series mean;
        mean.label = c.methods[i].label;
        mean.color = colors[i];
        double best = INFINITY;
        for (const auto & kv : acc) {
            const double m = kv.second.first / kv.second.second;
            if (m < best) { best = m; mean.highlight = (int) mean.x.size(); }
            mean.x.push_back(kv.first);
            mean.y.push_back(m);
        }
        lc.series.push_back(mean);
    }
    body += html_figure(draw_lines(lc), "Thick: the mean over subjects (ringed: its lowest point); thin: each subject's curve.");
    body += html_details("each subject's alpha curve and chosen alpha",
                         html_table({"method", "subject", "chosen alpha", "composite per alpha"}, subject_rows));

    bar_chart hist;
    hist.id = "alpha-hist";
    hist.title = "PAS: chosen alpha per subject";
    hist.y_label = "subjects";
    hist.decimals = 0;
    for (size_t i : pas) for (const auto & kv : c.methods[i].alphas) grid.insert(kv.first);
    for (double a : grid) {
        hist.groups.push_back(strfmt("%g", a));
        hist.group_keys.push_back(strfmt("alpha:%g", a));
    }
    for (size_t i : pas) {
        hist.series.push_back(c.methods[i].label);
        hist.colors.push_back(colors[i]);
        std::vector<bar_value> row;
        for (double a : grid) {
            bar_value b;
            auto it = c.methods[i].alphas.find(a);
            b.value = it == c.methods[i].alphas.end() ? 0 : it->second;
            row.push_back(b);
        }
        hist.values.push_back(row);
    }
    body += html_figure(draw_bars(hist), "Subjects per chosen alpha (the shared subjects with a PAS fit).");

    for (size_t k = 0; k < pas.size(); k++) {
        const size_t i = pas[k];
        int max_l = -1, max_h = -1, n_fit = 0;
        for (const auto & ps : data[i].pas) {
            if (!shared.count(ps.id)) continue;
            n_fit++;
            for (const auto & h : ps.heads) { max_l = std::max(max_l, h.first); max_h = std::max(max_h, h.second); }
        }
        heat_map hm;
        hm.id = k == 0 ? "heads" : strfmt("heads-%zu", k + 1);
        hm.series = c.methods[i].label;
        hm.title = "PAS heads selected, " + c.methods[i].label;
        hm.n_rows = p.n_layer > 0 ? p.n_layer : max_l + 1;
        hm.n_cols = p.n_head > 0 ? p.n_head : max_h + 1;
        hm.n_total = n_fit;
        hm.counts.assign((size_t) std::max(0, hm.n_rows) * std::max(0, hm.n_cols), 0);
        for (const auto & ps : data[i].pas) {
            if (!shared.count(ps.id)) continue;
            for (const auto & h : ps.heads) {
                if (h.first < 0 || h.second < 0 || h.first >= hm.n_rows || h.second >= hm.n_cols) {
                    fail(strfmt("report: %s: subject %s: head (layer %d, head %d) outside --model's %d layers x %d heads",
                                c.methods[i].label.c_str(), ps.id.c_str(), h.first, h.second, hm.n_rows, hm.n_cols),
                         "give the model the run was made with, or no --model");
                }
                hm.counts[(size_t) h.first * hm.n_cols + h.second]++;
            }
        }
        const std::string geom = p.n_layer > 0 ? strfmt("the model's %d layers x %d heads", hm.n_rows, hm.n_cols)
                                               : strfmt("layers 0..%d and heads 0..%d, as far as any was selected (--model gives the "
                                                        "whole model)", hm.n_rows - 1, hm.n_cols - 1);
        body += html_figure(draw_heat_map(hm), strfmt("Share of the %d subjects whose fit selected each head; ", n_fit) + geom + ".");
    }
    return html_section("pas", "PAS", body);
}

static std::string calibration_section(const comparison & c, const std::vector<method_data> & data, const std::vector<std::string> & colors,
                                       const report_params & p) {
    const std::set<std::string> shared(c.shared.begin(), c.shared.end());
    reliability_chart rc;
    rc.id = "reliability";
    rc.title = "Calibration of the option probabilities (reliability diagram)";
    for (size_t i = 0; i < c.methods.size(); i++) {
        std::vector<item_record> items;
        for (const auto & s : data[i].subjects) {
            if (shared.count(s.id)) items.insert(items.end(), s.items.begin(), s.items.end());
        }
        if (items.empty()) continue;
        reliability_series rs;
        rs.label = c.methods[i].label;
        rs.bins = reliability_bins(items, p.bins);
        rs.log_loss = c.methods[i].log_loss.mean;
        rs.color = colors[i];
        rc.series.push_back(rs);
    }
    std::string body;
    if (rc.series.empty()) {
        body = html_p("No method of these runs has option probabilities (generation mode, or reference predictors only): nothing "
                      "to calibrate.", "note");
    } else {
        body = html_p(strfmt("Every option of every scored item of the shared subjects is one point: the model's probability for it, "
                             "and whether it was the subject's answer; %d equal bins over [0, 1]. On the diagonal the probabilities "
                             "are calibrated. Log-loss: mean -ln p(subject's answer), as palign compare.", p.bins), "note");
        body += html_figure(draw_reliability(rc), "Point size: options in the bin.");
    }
    return html_section("calibration", "Calibration", body);
}

std::string run_report_html(const std::vector<std::string> & run_dirs, const report_params & p) {
    if (p.bins < 1 || p.bins > 100) fail(strfmt("--bins: %d is outside 1..100", p.bins));
    const std::vector<method_run> runs = load_runs(run_dirs);
    const comparison c = compare_runs(runs, p.cmp);
    std::vector<method_data> data;
    for (const auto & r : runs) data.push_back(load_method_data(r));
    std::vector<std::string> colors;
    for (size_t i = 0; i < runs.size(); i++) colors.push_back(series_color(i));

    std::vector<std::string> ids = p.subjects;
    if (ids.empty()) ids.push_back(c.shared.front());
    for (const auto & id : ids) {
        if (std::find(c.shared.begin(), c.shared.end(), id) == c.shared.end()) {
            std::string some;
            for (size_t k = 0; k < c.shared.size() && k < 5; k++) some += (some.empty() ? "" : ", ") + c.shared[k];
            fail(strfmt("--subjects: subject '%s' is not among the %zu subjects these runs share", id.c_str(), c.shared.size()),
                 "use the ids of the reports' \"subject\" fields, e.g. " + some);
        }
    }

    std::string body = html_p(strfmt("%s, %zu methods from %zu run folder(s); written by palign %s.",
                                     c.kind == inventory_kind::big5 ? "Big Five (IPIP-NEO)" : "Dark Triad (SD-3)", runs.size(),
                                     run_dirs.size(), PALIGN_VERSION), "note");
    body += runs_overview(runs);
    body += methods_section(c, colors);
    body += subjects_section(c, data, ids, colors);
    body += pas_section(c, data, colors, p);
    body += calibration_section(c, data, colors, p);
    return html_document(p.title, body);
}

} // namespace palign
