// SVG text helpers: escaping, numbers, ticks, palette, marks.
#include "report/svg.h"

#include "util/error.h"

#include <cmath>

namespace palign {

std::string xml_escape(const std::string & s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&':  out += "&amp;"; break;
            case '<':  out += "&lt;"; break;
            case '>':  out += "&gt;"; break;
            case '"':  out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default:   out += c;
        }
    }
    return out;
}

std::string num_exact(double x) {
    return std::isfinite(x) ? strfmt("%.17g", x) : std::string();
}

std::string num_text(double x, int prec) {
    return std::isfinite(x) ? strfmt("%.*f", prec, x) : std::string("-");
}

std::string coord(double x) {
    std::string s = strfmt("%.2f", std::isfinite(x) ? x : 0.0);
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s == "-0" ? "0" : s;
}

std::vector<double> nice_ticks(double lo, double hi, int n) {
    if (!std::isfinite(lo) || !std::isfinite(hi)) return {};
    if (hi < lo) std::swap(lo, hi);
    if (hi == lo) hi = lo + 1;
    const double raw = (hi - lo) / std::max(1, n);
    const double p10 = std::pow(10.0, std::floor(std::log10(raw)));
    double step = p10;
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
        step = m * p10;
        if (step >= raw) break;
    }
    std::vector<double> t;
    for (double v = std::floor(lo / step) * step; v <= hi + step * 1e-9; v += step) t.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
    if (!t.empty() && t.back() < hi - step * 1e-9) t.push_back(t.back() + step);
    return t;
}

const char * series_color(size_t i) {
    // Okabe-Ito (colour-blind safe), then a few more
    static const char * palette[] = { "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#8c564b", "#7f7f7f",
                                      "#bcbd22", "#17becf" };
    return palette[i % (sizeof(palette) / sizeof(palette[0]))];
}

std::string svg_mark(const std::string & tag, const std::string & geometry, const std::string & chart, const std::string & series,
                     const std::string & key, double value, const std::string & tooltip, const std::string & extra) {
    return "<" + tag + " " + geometry + " data-chart=\"" + xml_escape(chart) + "\" data-series=\"" + xml_escape(series) +
           "\" data-key=\"" + xml_escape(key) + "\" data-value=\"" + num_exact(value) + "\"" + extra + "><title>" +
           xml_escape(tooltip) + "</title></" + tag + ">\n";
}

std::string svg_open(const std::string & id, const std::string & kind, int width, int height, const std::string & title) {
    return strfmt("<svg class=\"chart\" id=\"%s\" data-chart-kind=\"%s\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
                  "aria-label=\"%s\"><title>%s</title>\n",
                  xml_escape(id).c_str(), xml_escape(kind).c_str(), width, height, width, height, xml_escape(title).c_str(),
                  xml_escape(title).c_str());
}

std::string svg_text(double x, double y, const std::string & text, const char * anchor, const std::string & cls, double rotate) {
    std::string s = "<text x=\"" + coord(x) + "\" y=\"" + coord(y) + "\" text-anchor=\"" + anchor + "\"";
    if (!cls.empty()) s += " class=\"" + cls + "\"";
    if (rotate != 0) s += " transform=\"rotate(" + coord(rotate) + " " + coord(x) + " " + coord(y) + ")\"";
    return s + ">" + xml_escape(text) + "</text>\n";
}

} // namespace palign
