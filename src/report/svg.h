// SVG text: escaping, number formats, axis ticks, colours, and the one element every drawn number is (a "mark").
//
// A mark is an SVG element with, in this order, data-chart (the chart's id), data-series (e.g. the method label),
// data-key (e.g. the trait "O", "composite", "alpha:4") and data-value (the number drawn, "%.17g", "" for NaN),
// then any extra data-* attributes, and a <title> child with the number in words (the tooltip). Tests read the drawn
// numbers back from these attributes and compare them with the run's JSON.
#pragma once

#include <string>
#include <vector>

namespace palign {

// & < > " ' escaped for XML/HTML text and attribute values
std::string xml_escape(const std::string & s);

// a number as drawn in data attributes: "%.17g" (round trip), "" for NaN/inf
std::string num_exact(double x);
// a number for reading: "%.*f" with `prec` decimals, "-" for NaN/inf
std::string num_text(double x, int prec = 3);
// SVG coordinates: "%.2f" with trailing zeros cut
std::string coord(double x);

// about n evenly spaced round ticks covering [lo, hi] (1, 2 or 5 times a power of ten apart)
std::vector<double> nice_ticks(double lo, double hi, int n = 5);

// the colour of series i (a fixed palette that cycles), and a dash pattern for series beyond the palette
const char * series_color(size_t i);

// one data mark (see above): <tag geometry data-chart=.. data-series=.. data-key=.. data-value=.. extra><title>tip</title></tag>
// `extra` holds further attributes already formatted (' data-lo="1" class="x"'), `geometry` likewise
std::string svg_mark(const std::string & tag, const std::string & geometry, const std::string & chart, const std::string & series,
                     const std::string & key, double value, const std::string & tooltip, const std::string & extra = "");

// the opening tag of a chart: <svg class="chart" id=.. data-chart-kind=.. viewBox=.. width=.. height=.. role="img"
// aria-label=..><title>title</title> (close with "</svg>")
std::string svg_open(const std::string & id, const std::string & kind, int width, int height, const std::string & title);

// <text> at (x, y) with anchor start|middle|end, escaped; `cls` a CSS class ("" = none)
std::string svg_text(double x, double y, const std::string & text, const char * anchor = "start", const std::string & cls = "",
                     double rotate = 0);

} // namespace palign
