// Charts: SVG drawing of bars, radar, lines, heat maps and reliability diagrams, with their tables.
#include "report/charts.h"

#include "report/svg.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>

namespace palign {

static const double PI = 3.14159265358979323846;

// ---- shared pieces ----

static double legend_width(const std::vector<std::string> & labels) {
    size_t m = 0;
    for (const auto & l : labels) m = std::max(m, l.size());
    return labels.empty() ? 16.0 : 36.0 + 6.6 * (double) std::min<size_t>(m, 45);
}

// legend entries from (x, y) downwards: a swatch (a filled square, or a dashed line) and the label
static std::string legend(double x, double y, const std::vector<std::string> & labels, const std::vector<std::string> & colors,
                          const std::vector<bool> & dashed = {}) {
    std::string s;
    for (size_t i = 0; i < labels.size(); i++) {
        const double yy = y + 18.0 * (double) i;
        const bool d = i < dashed.size() && dashed[i];
        if (d) {
            s += "<line x1=\"" + coord(x) + "\" y1=\"" + coord(yy - 4) + "\" x2=\"" + coord(x + 14) + "\" y2=\"" + coord(yy - 4) +
                 "\" stroke=\"" + colors[i] + "\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>\n";
        } else {
            s += "<rect x=\"" + coord(x) + "\" y=\"" + coord(yy - 10) + "\" width=\"12\" height=\"12\" fill=\"" + colors[i] + "\"/>\n";
        }
        if (labels[i].size() <= 44) {
            s += svg_text(x + 20, yy, labels[i]);
        } else {   // cut to the legend's width; the whole label in the tooltip (and in the table)
            s += "<text x=\"" + coord(x + 20) + "\" y=\"" + coord(yy) + "\">" + xml_escape(labels[i].substr(0, 42)) + "...<title>" +
                 xml_escape(labels[i]) + "</title></text>\n";
        }
    }
    return s;
}

// room for a chart's title line
static double title_width(const std::string & title) { return 80.0 + 8.0 * (double) title.size(); }

struct linear_scale {
    double d0 = 0, d1 = 1, r0 = 0, r1 = 1;
    double operator()(double v) const { return d1 == d0 ? r0 : r0 + (v - d0) * (r1 - r0) / (d1 - d0); }
};

static std::string hline(double x0, double x1, double y, const std::string & cls) {
    return "<line class=\"" + cls + "\" x1=\"" + coord(x0) + "\" y1=\"" + coord(y) + "\" x2=\"" + coord(x1) + "\" y2=\"" + coord(y) + "\"/>\n";
}

static std::string vline(double x, double y0, double y1, const std::string & cls) {
    return "<line class=\"" + cls + "\" x1=\"" + coord(x) + "\" y1=\"" + coord(y0) + "\" x2=\"" + coord(x) + "\" y2=\"" + coord(y1) + "\"/>\n";
}

static std::string interval_text(const bar_value & v, int dec) {
    std::string s = num_text(v.value, dec);
    if (std::isfinite(v.lo) && std::isfinite(v.hi)) s += " [" + num_text(v.lo, dec) + ", " + num_text(v.hi, dec) + "]";
    if (v.n > 0) s += strfmt(", n = %d", v.n);
    return s;
}

static std::string interval_attrs(const bar_value & v) {
    std::string s;
    if (std::isfinite(v.lo)) s += " data-lo=\"" + num_exact(v.lo) + "\"";
    if (std::isfinite(v.hi)) s += " data-hi=\"" + num_exact(v.hi) + "\"";
    if (v.n > 0) s += strfmt(" data-n=\"%d\"", v.n);
    return s;
}

// ---- bars ----

figure draw_bars(const bar_chart & c) {
    const size_t ng = c.groups.size(), ns = c.series.size();
    const std::vector<std::string> & keys = c.group_keys.empty() ? c.groups : c.group_keys;
    if (keys.size() != ng) fail(strfmt("chart %s: %zu group keys for %zu groups", c.id.c_str(), keys.size(), ng));
    if (c.values.size() != ns) fail(strfmt("chart %s: %zu value rows for %zu series", c.id.c_str(), c.values.size(), ns));
    for (const auto & row : c.values) if (row.size() != ng) fail(strfmt("chart %s: a value row has %zu groups, not %zu", c.id.c_str(), row.size(), ng));

    if (!c.colors.empty() && c.colors.size() != ns) fail(strfmt("chart %s: %zu colours for %zu series", c.id.c_str(), c.colors.size(), ns));
    auto col = [&](size_t k) { return c.colors.empty() ? std::string(series_color(k)) : c.colors[k]; };
    std::vector<std::string> leg = c.series, colors;
    std::vector<bool> dashed(ns, false);
    for (size_t s = 0; s < ns; s++) colors.push_back(col(s));
    for (size_t f = 0; f < c.floors.size(); f++) {
        leg.push_back(c.floors[f].label + " " + num_text(c.floors[f].v.value, c.decimals));
        colors.push_back("#555");
        dashed.push_back(true);
    }
    const double left = 64, top = 36, bottom = 44;
    size_t longest = 0;
    for (const auto & g : c.groups) longest = std::max(longest, g.size());
    const double gw = std::max({64.0, 18.0 * (double) ns + 24.0, std::min(150.0, 6.8 * (double) longest + 12.0)});
    const double plot_w = std::min(760.0, std::max(260.0, gw * (double) std::max<size_t>(1, ng)));
    const double lw = legend_width(leg);
    const double plot_h = std::max(236.0, 18.0 * (double) leg.size() + 10.0);
    const int W = (int) std::ceil(std::max(left + plot_w + 16 + lw, title_width(c.title))), H = (int) std::ceil(top + plot_h + bottom);

    double ymax = 0;
    for (const auto & row : c.values) {
        for (const auto & v : row) for (double x : {v.value, v.hi}) if (std::isfinite(x)) ymax = std::max(ymax, x);
    }
    for (const auto & f : c.floors) for (double x : {f.v.value, f.v.hi}) if (std::isfinite(x)) ymax = std::max(ymax, x);
    if (ymax <= 0) ymax = 1;
    const std::vector<double> ticks = nice_ticks(0, ymax * 1.05, 5);
    linear_scale Y{0, ticks.back(), top + plot_h, top};

    std::string s = svg_open(c.id, "bars", W, H, c.title);
    s += svg_text(left, 20, c.title, "start", "title");
    for (double t : ticks) {
        s += hline(left, left + plot_w, Y(t), "grid");
        s += svg_text(left - 6, Y(t) + 4, num_text(t, t == std::floor(t) && ticks.back() >= 5 ? 0 : (ticks.back() < 1 ? 2 : 1)), "end", "small");
    }
    s += svg_text(16, top + plot_h / 2, c.y_label, "middle", "", -90);
    s += hline(left, left + plot_w, Y(0), "axis");
    s += vline(left, top, top + plot_h, "axis");
    const double gstep = plot_w / (double) std::max<size_t>(1, ng);
    const double bw = std::min(28.0, (gstep - 16.0) / (double) std::max<size_t>(1, ns));
    // the whole labels where all fit, else the keys (the table has both)
    bool fits = true;
    for (const auto & g : c.groups) fits = fits && 6.8 * (double) g.size() < gstep - 4;
    for (size_t g = 0; g < ng; g++) {
        const double gx = left + gstep * (double) g + (gstep - bw * (double) ns) / 2;
        s += svg_text(left + gstep * ((double) g + 0.5), top + plot_h + 18, fits ? c.groups[g] : keys[g], "middle");
        for (size_t k = 0; k < ns; k++) {
            const bar_value & v = c.values[k][g];
            const double x = gx + bw * (double) k;
            const std::string tip = c.series[k] + ", " + c.groups[g] + ": " + interval_text(v, c.decimals);
            if (!std::isfinite(v.value)) {
                s += svg_mark("rect", "x=\"" + coord(x) + "\" y=\"" + coord(Y(0) - 1) + "\" width=\"" + coord(bw - 2) +
                              "\" height=\"1\" fill=\"#ccc\"", c.id, c.series[k], keys[g], v.value, tip + " (undefined)", " class=\"mark\"");
                continue;
            }
            const double y = Y(std::max(0.0, v.value));
            s += svg_mark("rect", "x=\"" + coord(x) + "\" y=\"" + coord(y) + "\" width=\"" + coord(bw - 2) + "\" height=\"" +
                          coord(std::max(0.5, Y(0) - y)) + "\" fill=\"" + col(k) + "\"",
                          c.id, c.series[k], keys[g], v.value, tip, " class=\"mark\"" + interval_attrs(v));
            if (std::isfinite(v.lo) && std::isfinite(v.hi)) {
                const double xm = x + (bw - 2) / 2, y0 = Y(v.lo), y1 = Y(v.hi);
                s += "<path class=\"errbar\" d=\"M" + coord(xm) + " " + coord(y0) + "V" + coord(y1) + "M" + coord(xm - 4) + " " +
                     coord(y0) + "H" + coord(xm + 4) + "M" + coord(xm - 4) + " " + coord(y1) + "H" + coord(xm + 4) +
                     "\" stroke=\"#222\" stroke-width=\"1.2\" fill=\"none\"/>\n";
            }
        }
    }
    for (size_t f = 0; f < c.floors.size(); f++) {
        const floor_line & fl = c.floors[f];
        if (!std::isfinite(fl.v.value)) continue;
        const double y = Y(fl.v.value);
        s += svg_mark("line", "x1=\"" + coord(left) + "\" y1=\"" + coord(y) + "\" x2=\"" + coord(left + plot_w) + "\" y2=\"" + coord(y) +
                      "\" stroke=\"#555\" stroke-width=\"2\" stroke-dasharray=\"6 4\"",
                      c.id, fl.label, keys.empty() ? "" : keys[0], fl.v.value, fl.label + " (floor): " + interval_text(fl.v, c.decimals),
                      " class=\"mark floor\"" + interval_attrs(fl.v));
        s += svg_text(left + plot_w - 4, y - 4, fl.label, "end", "small");
    }
    s += legend(left + plot_w + 16, top + 10, leg, colors, dashed);
    s += "</svg>\n";

    std::vector<std::string> header = {c.row_name};
    for (const auto & g : c.groups) header.push_back(g);
    std::vector<std::vector<std::string>> rows;
    for (size_t k = 0; k < ns; k++) {
        std::vector<std::string> r = {c.series[k]};
        for (size_t g = 0; g < ng; g++) r.push_back(interval_text(c.values[k][g], c.decimals));
        rows.push_back(r);
    }
    for (const auto & fl : c.floors) {
        std::vector<std::string> r = {fl.label + " (floor)", interval_text(fl.v, c.decimals)};
        r.resize(header.size());
        rows.push_back(r);
    }
    return {s, html_table(header, rows)};
}

// ---- radar ----

figure draw_radar(const radar_chart & c) {
    const size_t na = c.axes.size(), ns = c.series.size();
    const std::vector<std::string> & keys = c.axis_keys.empty() ? c.axes : c.axis_keys;
    if (keys.size() != na) fail(strfmt("chart %s: %zu axis keys for %zu axes", c.id.c_str(), keys.size(), na));
    if (c.values.size() != ns) fail(strfmt("chart %s: %zu value rows for %zu series", c.id.c_str(), c.values.size(), ns));
    for (const auto & row : c.values) if (row.size() != na) fail(strfmt("chart %s: a series has %zu values for %zu axes", c.id.c_str(), row.size(), na));
    if (!c.colors.empty() && c.colors.size() != ns) fail(strfmt("chart %s: %zu colours for %zu series", c.id.c_str(), c.colors.size(), ns));
    auto col = [&](size_t k) { return c.colors.empty() ? std::string(series_color(k)) : c.colors[k]; };
    size_t longest = 0;
    for (const auto & a : c.axes) longest = std::max(longest, a.size());
    const double R = na > 12 ? 190 : 160;
    const double pad = std::min(150.0, 12.0 + 6.2 * (double) longest);
    const double cx = pad + R + 10, cy = 44 + R + 16;
    const double lw = legend_width(c.series);
    const int W = (int) std::ceil(std::max(cx + R + pad + 16 + lw, title_width(c.title))), H = (int) std::ceil(cy + R + 40);
    auto angle = [&](size_t i) { return -PI / 2 + 2 * PI * (double) i / (double) std::max<size_t>(1, na); };
    linear_scale rad{c.lo, c.hi, 0, R};
    auto px = [&](size_t i, double v) { return cx + rad(std::min(c.hi, std::max(c.lo, v))) * std::cos(angle(i)); };
    auto py = [&](size_t i, double v) { return cy + rad(std::min(c.hi, std::max(c.lo, v))) * std::sin(angle(i)); };

    std::string s = svg_open(c.id, "radar", W, H, c.title);
    s += svg_text(16, 20, c.title, "start", "title");
    const int nring = std::max(1, (int) std::lround(c.hi - c.lo));
    for (int k = 0; k <= nring; k++) {
        const double v = c.lo + (c.hi - c.lo) * k / nring;
        if (k > 0) {
            std::string pts;
            for (size_t i = 0; i < na; i++) pts += coord(px(i, v)) + "," + coord(py(i, v)) + " ";
            s += "<polygon class=\"grid\" points=\"" + pts + "\" fill=\"none\"/>\n";
        }
        s += svg_text(cx + 3, cy - rad(v) - 2, num_text(v, v == std::floor(v) ? 0 : 1), "start", "small");
    }
    for (size_t i = 0; i < na; i++) {
        s += "<line class=\"grid\" x1=\"" + coord(cx) + "\" y1=\"" + coord(cy) + "\" x2=\"" + coord(px(i, c.hi)) + "\" y2=\"" +
             coord(py(i, c.hi)) + "\"/>\n";
        const double ca = std::cos(angle(i)), sa = std::sin(angle(i));
        const char * anchor = ca > 0.2 ? "start" : ca < -0.2 ? "end" : "middle";
        s += svg_text(cx + (R + 10) * ca, cy + (R + 10) * sa + 4 + (sa > 0.9 ? 8 : 0), c.axes[i], anchor, na > 12 ? "small" : "");
    }
    for (size_t k = 0; k < ns; k++) {
        std::string pts;
        for (size_t i = 0; i < na; i++) if (std::isfinite(c.values[k][i])) pts += coord(px(i, c.values[k][i])) + "," + coord(py(i, c.values[k][i])) + " ";
        s += "<polygon points=\"" + pts + "\" fill=\"" + col(k) + "\" fill-opacity=\"0.08\" stroke=\"" + col(k) +
             "\" stroke-width=\"2\"" + (k > 0 && ns > 1 ? std::string(" stroke-dasharray=\"") + (k % 2 ? "6 3" : "2 2") + "\"" : "") + "/>\n";
        for (size_t i = 0; i < na; i++) {
            const double v = c.values[k][i];
            if (!std::isfinite(v)) continue;
            s += svg_mark("circle", "cx=\"" + coord(px(i, v)) + "\" cy=\"" + coord(py(i, v)) + "\" r=\"4\" fill=\"" + col(k) + "\"",
                          c.id, c.series[k], keys[i], v, c.series[k] + ", " + c.axes[i] + ": " + num_text(v, c.decimals), " class=\"mark\"");
        }
    }
    std::vector<std::string> colors;
    for (size_t k = 0; k < ns; k++) colors.push_back(col(k));
    s += legend(cx + R + pad + 16, 54, c.series, colors);
    s += "</svg>\n";

    std::vector<std::string> header = {"trait"};
    for (const auto & l : c.series) header.push_back(l);
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < na; i++) {
        std::vector<std::string> r = {c.axes[i]};
        for (size_t k = 0; k < ns; k++) r.push_back(num_text(c.values[k][i], c.decimals));
        rows.push_back(r);
    }
    return {s, html_table(header, rows)};
}

// ---- lines ----

static std::string x_key(double x) { return strfmt("%g", x); }

figure draw_lines(const line_chart & c) {
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    std::vector<double> xs;
    std::vector<std::string> leg, colors;
    for (const auto & ls : c.series) {
        if (ls.x.size() != ls.y.size()) fail(strfmt("chart %s: series %s has %zu x and %zu y", c.id.c_str(), ls.label.c_str(), ls.x.size(), ls.y.size()));
        for (size_t i = 0; i < ls.x.size(); i++) {
            if (!std::isfinite(ls.x[i]) || !std::isfinite(ls.y[i])) continue;
            x0 = std::min(x0, ls.x[i]); x1 = std::max(x1, ls.x[i]);
            y0 = std::min(y0, ls.y[i]); y1 = std::max(y1, ls.y[i]);
            if (std::find(xs.begin(), xs.end(), ls.x[i]) == xs.end()) xs.push_back(ls.x[i]);
        }
        if (!ls.thin) { leg.push_back(ls.label); colors.push_back(ls.color); }
    }
    if (!std::isfinite(x0)) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
    if (x1 == x0) { x0 -= 1; x1 += 1; }
    if (y1 == y0) { y0 -= 0.5; y1 += 0.5; }
    std::sort(xs.begin(), xs.end());
    const std::vector<double> yt = nice_ticks(y0 - (y1 - y0) * 0.05, y1 + (y1 - y0) * 0.05, 5);
    const std::vector<double> xt = xs.size() <= 12 && !xs.empty() ? xs : nice_ticks(x0, x1, 6);
    const double left = 64, top = 36, bottom = 48;
    const double plot_w = 520, lw = legend_width(leg);
    const double plot_h = std::max(240.0, 18.0 * (double) leg.size() + 10.0);
    const int W = (int) std::ceil(std::max(left + plot_w + 16 + lw, title_width(c.title))), H = (int) std::ceil(top + plot_h + bottom);
    linear_scale X{xt.front() < x0 ? xt.front() : x0, xt.back() > x1 ? xt.back() : x1, left + 10, left + plot_w - 10};
    linear_scale Y{yt.front(), yt.back(), top + plot_h, top};

    std::string s = svg_open(c.id, "lines", W, H, c.title);
    s += svg_text(left, 20, c.title, "start", "title");
    for (double t : yt) {
        s += hline(left, left + plot_w, Y(t), "grid");
        s += svg_text(left - 6, Y(t) + 4, num_text(t, 2), "end", "small");
    }
    for (double t : xt) s += svg_text(X(t), top + plot_h + 16, x_key(t), "middle", "small");
    s += hline(left, left + plot_w, top + plot_h, "axis");
    s += vline(left, top, top + plot_h, "axis");
    s += svg_text(left + plot_w / 2, top + plot_h + 38, c.x_label, "middle");
    s += svg_text(16, top + plot_h / 2, c.y_label, "middle", "", -90);
    for (int pass = 0; pass < 2; pass++) {   // background lines first
        for (const auto & ls : c.series) {
            if (ls.thin != (pass == 0)) continue;
            std::string pts, tip = ls.label + ":";
            for (size_t i = 0; i < ls.x.size(); i++) {
                if (!std::isfinite(ls.x[i]) || !std::isfinite(ls.y[i])) continue;
                pts += coord(X(ls.x[i])) + "," + coord(Y(ls.y[i])) + " ";
                tip += " " + c.key_prefix + x_key(ls.x[i]) + " = " + num_text(ls.y[i], c.decimals);
            }
            s += "<polyline points=\"" + pts + "\" fill=\"none\" stroke=\"" + ls.color + "\" stroke-width=\"" +
                 (ls.thin ? "1\" stroke-opacity=\"0.3\"" : "2.5\"") + "><title>" + xml_escape(tip) + "</title></polyline>\n";
            if (ls.thin) continue;
            for (size_t i = 0; i < ls.x.size(); i++) {
                if (!std::isfinite(ls.x[i]) || !std::isfinite(ls.y[i])) continue;
                if ((int) i == ls.highlight) {
                    s += "<circle cx=\"" + coord(X(ls.x[i])) + "\" cy=\"" + coord(Y(ls.y[i])) + "\" r=\"9\" fill=\"none\" stroke=\"" +
                         ls.color + "\" stroke-width=\"2\"/>\n";
                }
                const std::string tip_i = ls.label + ", " + c.key_prefix + x_key(ls.x[i]) + ": " + num_text(ls.y[i], c.decimals) +
                                          ((int) i == ls.highlight && !c.highlight_note.empty() ? " (" + c.highlight_note + ")" : "");
                s += svg_mark("circle", "cx=\"" + coord(X(ls.x[i])) + "\" cy=\"" + coord(Y(ls.y[i])) + "\" r=\"4\" fill=\"" +
                              ls.color + "\"", c.id, ls.label, c.key_prefix + x_key(ls.x[i]), ls.y[i], tip_i, " class=\"mark\"");
            }
        }
    }
    s += legend(left + plot_w + 16, top + 10, leg, colors);
    s += "</svg>\n";

    std::vector<std::string> header = {c.x_label};
    std::vector<const line_series *> main;
    for (const auto & ls : c.series) if (!ls.thin) { main.push_back(&ls); header.push_back(ls.label); }
    std::vector<std::vector<std::string>> rows;
    for (double x : xs) {
        std::vector<std::string> r = {x_key(x)};
        for (const line_series * ls : main) {
            std::string cell = "-";
            for (size_t i = 0; i < ls->x.size(); i++) {
                if (ls->x[i] == x) cell = num_text(ls->y[i], c.decimals) + ((int) i == ls->highlight ? " *" : "");
            }
            r.push_back(cell);
        }
        rows.push_back(r);
    }
    std::string table = html_table(header, rows);
    if (!c.highlight_note.empty()) table += html_p("* " + c.highlight_note, "note");
    return {s, table};
}

// ---- heat map ----

static std::string heat_color(double v) {
    // white (0) -> dark blue (1)
    const double t = std::min(1.0, std::max(0.0, v));
    const int r = (int) std::lround(247 + (8 - 247) * t), g = (int) std::lround(251 + (48 - 251) * t), b = (int) std::lround(255 + (107 - 255) * t);
    return strfmt("#%02x%02x%02x", r, g, b);
}

figure draw_heat_map(const heat_map & h) {
    if ((int) h.counts.size() != h.n_rows * h.n_cols) {
        fail(strfmt("chart %s: %zu cells for %d x %d", h.id.c_str(), h.counts.size(), h.n_rows, h.n_cols));
    }
    const double cw = std::min(28.0, std::max(7.0, 560.0 / std::max(1, h.n_cols)));
    const double ch = std::min(22.0, std::max(6.0, 480.0 / std::max(1, h.n_rows)));
    const double left = 64, top = 40;
    const double gw = cw * h.n_cols, gh = ch * h.n_rows;
    const int W = (int) std::ceil(std::max(left + gw + 110, title_width(h.title))), H = (int) std::ceil(top + std::max(gh, 120.0) + 44);
    std::string s = svg_open(h.id, "heatmap", W, H, h.title);
    s += svg_text(16, 20, h.title, "start", "title");
    const int rstep = std::max(1, (int) std::ceil(12.0 / ch)), cstep = std::max(1, (int) std::ceil(18.0 / cw));
    for (int r = 0; r < h.n_rows; r += rstep) s += svg_text(left - 6, top + ch * (r + 0.5) + 4, std::to_string(r), "end", "small");
    for (int c = 0; c < h.n_cols; c += cstep) s += svg_text(left + cw * (c + 0.5), top + gh + 14, std::to_string(c), "middle", "small");
    s += svg_text(left + gw / 2, top + gh + 34, h.col_label, "middle");
    s += svg_text(18, top + gh / 2, h.row_label, "middle", "", -90);
    const int n = std::max(1, h.n_total);
    for (int r = 0; r < h.n_rows; r++) {
        for (int c = 0; c < h.n_cols; c++) {
            const int k = h.counts[(size_t) r * h.n_cols + c];
            const double v = (double) k / n;
            s += svg_mark("rect", "x=\"" + coord(left + cw * c) + "\" y=\"" + coord(top + ch * r) + "\" width=\"" + coord(cw - 1) +
                          "\" height=\"" + coord(ch - 1) + "\" fill=\"" + (k ? heat_color(v) : std::string("#f2f2f2")) + "\"",
                          h.id, h.series, strfmt("L%d.H%d", r, c), v,
                          strfmt("%s %d, %s %d: selected for %d of %d subjects (%.0f%%)", h.row_label.c_str(), r, h.col_label.c_str(), c, k,
                                 h.n_total, 100.0 * v), strfmt(" class=\"mark\" data-count=\"%d\"", k));
        }
    }
    // colour scale
    const double sx = left + gw + 24, sy = top, sh = 100;
    for (int i = 0; i < 10; i++) {
        s += "<rect x=\"" + coord(sx) + "\" y=\"" + coord(sy + sh * (9 - i) / 10.0) + "\" width=\"14\" height=\"" + coord(sh / 10.0 + 0.5) +
             "\" fill=\"" + heat_color((i + 0.5) / 10.0) + "\"/>\n";
    }
    s += svg_text(sx + 20, sy + 8, "100%", "start", "small");
    s += svg_text(sx + 20, sy + sh, "0%", "start", "small");
    s += svg_text(sx, sy + sh + 18, "of subjects", "start", "small");
    s += "</svg>\n";

    std::vector<std::pair<int, int>> cells;   // (count, index)
    for (size_t i = 0; i < h.counts.size(); i++) if (h.counts[i] > 0) cells.emplace_back(h.counts[i], (int) i);
    std::stable_sort(cells.begin(), cells.end(), [](const auto & a, const auto & b) { return a.first > b.first; });
    std::vector<std::vector<std::string>> rows;
    for (const auto & cell : cells) {
        rows.push_back({std::to_string(cell.second / h.n_cols), std::to_string(cell.second % h.n_cols), std::to_string(cell.first),
                        num_text(100.0 * cell.first / n, 1) + "%"});
    }
    return {s, html_table({h.row_label, h.col_label, "subjects", "share"}, rows)};
}

// ---- reliability ----

static std::string bin_key(const reliability_bin & b) { return strfmt("bin:%.2f-%.2f", b.lo, b.hi); }

figure draw_reliability(const reliability_chart & c) {
    std::vector<std::string> leg, colors;
    for (const auto & rs : c.series) {
        leg.push_back(rs.label + " (log-loss " + num_text(rs.log_loss, 3) + ")");
        colors.push_back(rs.color);
    }
    const double left = 64, top = 36, size = 300;
    const double lw = legend_width(leg);
    const int W = (int) std::ceil(std::max(left + size + 16 + lw, title_width(c.title))), H = (int) std::ceil(top + size + 50);
    linear_scale X{0, 1, left, left + size}, Y{0, 1, top + size, top};
    std::string s = svg_open(c.id, "reliability", W, H, c.title);
    s += svg_text(left, 20, c.title, "start", "title");
    for (int i = 0; i <= 5; i++) {
        const double t = i / 5.0;
        s += hline(left, left + size, Y(t), "grid");
        s += vline(X(t), top, top + size, "grid");
        s += svg_text(left - 6, Y(t) + 4, num_text(t, 1), "end", "small");
        s += svg_text(X(t), top + size + 14, num_text(t, 1), "middle", "small");
    }
    s += "<line x1=\"" + coord(X(0)) + "\" y1=\"" + coord(Y(0)) + "\" x2=\"" + coord(X(1)) + "\" y2=\"" + coord(Y(1)) +
         "\" stroke=\"#999\" stroke-dasharray=\"4 4\"><title>perfect calibration</title></line>\n";
    s += svg_text(left + size / 2, top + size + 34, "predicted probability of an option", "middle");
    s += svg_text(16, top + size / 2, "observed frequency", "middle", "", -90);
    for (const auto & rs : c.series) {
        long nmax = 1;
        for (const auto & b : rs.bins) nmax = std::max(nmax, b.n);
        std::string pts;
        for (const auto & b : rs.bins) if (b.n) pts += coord(X(b.mean_p)) + "," + coord(Y(b.freq)) + " ";
        s += "<polyline points=\"" + pts + "\" fill=\"none\" stroke=\"" + rs.color + "\" stroke-width=\"1.5\"/>\n";
        for (const auto & b : rs.bins) {
            if (!b.n) continue;
            const double r = 2.5 + 5.0 * std::sqrt((double) b.n / (double) nmax);
            s += svg_mark("circle", "cx=\"" + coord(X(b.mean_p)) + "\" cy=\"" + coord(Y(b.freq)) + "\" r=\"" + coord(r) + "\" fill=\"" +
                          rs.color + "\" fill-opacity=\"0.8\"", c.id, rs.label, bin_key(b), b.freq,
                          strfmt("%s, p in [%.2f, %.2f): mean p %.3f, observed %.3f, %ld options", rs.label.c_str(), b.lo, b.hi, b.mean_p,
                                 b.freq, b.n),
                          " class=\"mark\" data-p=\"" + num_exact(b.mean_p) + "\"" + strfmt(" data-n=\"%ld\"", b.n));
        }
    }
    s += legend(left + size + 16, top + 10, leg, colors);
    s += "</svg>\n";

    std::vector<std::vector<std::string>> rows;
    for (const auto & rs : c.series) {
        for (const auto & b : rs.bins) {
            rows.push_back({rs.label, strfmt("%.2f-%.2f", b.lo, b.hi), std::to_string(b.n), num_text(b.mean_p, 3), num_text(b.freq, 3)});
        }
    }
    return {s, html_table({"method", "probability bin", "options", "mean probability", "observed frequency"}, rows)};
}

} // namespace palign
