// HTML pages: one self-contained document (inline CSS, inline SVG; no script, font, image or style from anywhere else),
// sections, figures and tables. Every page palign writes (palign report, test --html, quiz --html) goes through here.
#pragma once

#include <string>
#include <vector>

namespace palign {

// a chart and the same numbers as a table (charts.h makes both from one spec)
struct figure {
    std::string svg;     // <svg class="chart" ...>...</svg>
    std::string table;   // <table>...</table> ("" = none)
};

// <figure> with the chart, a caption and the table below it
std::string html_figure(const figure & f, const std::string & caption);

// <table class="cls"> with a header row and rows of cells (text, escaped); a cell starting with '\x01' is raw HTML
std::string html_table(const std::vector<std::string> & header, const std::vector<std::vector<std::string>> & rows,
                       const std::string & cls = "");

// a <section> with an <h2> and the body (HTML)
std::string html_section(const std::string & id, const std::string & heading, const std::string & body);

// a paragraph of text (escaped)
std::string html_p(const std::string & text, const std::string & cls = "");

// <details><summary>summary</summary>body</details> (opens without script)
std::string html_details(const std::string & summary, const std::string & body);

// the whole document: <!DOCTYPE html>, <meta charset>, <title>, the inline style sheet, <h1>, the body
std::string html_document(const std::string & title, const std::string & body);

} // namespace palign
