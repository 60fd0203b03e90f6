// Charts: bars (grouped, with interval error bars and floor lines), radar, lines, heat map and reliability diagram as
// inline SVG, each with the same numbers as an HTML table. Specs are plain data; drawing is deterministic text.
// Every drawn number is a mark (report/svg.h) with its value in data-value and in a <title> tooltip.
#pragma once

#include "eval/calibration.h"
#include "report/html.h"

#include <cmath>
#include <string>
#include <vector>

namespace palign {

struct bar_value {
    double value = NAN;
    double lo = NAN, hi = NAN;   // interval (error bar); NaN = none
    int    n = 0;                // subjects (shown in the tooltip; 0 = not shown)
};

// a horizontal reference line across the plot (a reference predictor's composite)
struct floor_line {
    std::string label;
    bar_value v;
};

struct bar_chart {
    std::string id, title, y_label;
    std::vector<std::string> groups;       // positions along x (traits, "composite", alpha values)
    std::vector<std::string> group_keys;   // data-key per group ("O", "composite", "alpha:4"); empty = groups
    std::vector<std::string> series;       // bars within each group (methods)
    std::vector<std::vector<bar_value>> values;   // [series][group]
    std::vector<std::string> colors;       // CSS colour per series; empty = the palette by position
    std::vector<floor_line> floors;
    std::string row_name = "method";       // the table's first header (its rows are the series)
    int decimals = 3;                      // tooltips and table
};
figure draw_bars(const bar_chart & c);

struct radar_chart {
    std::string id, title;
    std::vector<std::string> axes;         // labels ("O Openness")
    std::vector<std::string> axis_keys;    // data-key per axis ("O"); empty = axes
    double lo = 1, hi = 5;                 // the centre and the rim
    std::vector<std::string> series;
    std::vector<std::vector<double>> values;   // [series][axis]; NaN = not drawn
    std::vector<std::string> colors;       // CSS colour per series; empty = the palette by position
    int decimals = 2;
};
figure draw_radar(const radar_chart & c);

struct line_series {
    std::string label;
    std::vector<double> x, y;
    bool thin = false;             // background line (one subject): a polyline with a tooltip, no marks, not in the table
    std::string color = "#0072b2"; // CSS colour
    int highlight = -1;            // index of a point drawn ringed (e.g. the minimum), -1 = none
};

struct line_chart {
    std::string id, title, x_label, y_label;
    std::string key_prefix = "alpha:";   // data-key of a point: prefix + x
    std::string highlight_note;          // what a ring means ("lowest mean composite")
    std::vector<line_series> series;
    int decimals = 3;
};
figure draw_lines(const line_chart & c);

struct heat_map {
    std::string id, title, series;       // series: the data-series of every cell (the method label)
    std::string row_label = "layer", col_label = "head";
    int n_rows = 0, n_cols = 0;
    std::vector<int> counts;             // [row * n_cols + col]
    int n_total = 0;                     // value of a cell = count / n_total
};
figure draw_heat_map(const heat_map & h);

struct reliability_series {
    std::string label;
    std::vector<reliability_bin> bins;
    double log_loss = NAN;
    std::string color = "#0072b2";
};

struct reliability_chart {
    std::string id, title;
    std::vector<reliability_series> series;
};
figure draw_reliability(const reliability_chart & c);

} // namespace palign
