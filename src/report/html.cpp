// HTML pages: document, sections, figures, tables; one inline style sheet for every page.
#include "report/html.h"

#include "report/svg.h"

namespace palign {

// system fonts only (no web font); print-friendly; charts scale down on narrow windows
static const char * STYLE = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; margin: 24px auto;
       max-width: 1100px; padding: 0 16px; color: #222; background: #fff; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 2em; }
p.note { color: #555; font-size: 0.92em; }
figure { margin: 1.2em 0; }
figcaption { font-size: 0.92em; color: #444; margin: 4px 0 8px 0; }
svg.chart { max-width: 100%; height: auto; display: block; background: #fff; }
svg.chart text { font-size: 12px; fill: #333; }
svg.chart text.small { font-size: 10px; }
svg.chart text.title { font-size: 14px; font-weight: 600; }
svg.chart .axis { stroke: #444; stroke-width: 1; }
svg.chart .grid { stroke: #e3e3e3; stroke-width: 1; }
svg.chart .mark:hover { opacity: 0.75; }
table { border-collapse: collapse; font-size: 0.88em; margin: 6px 0 12px 0; display: block; max-width: 100%; overflow-x: auto; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th { white-space: normal; }
th { background: #f4f4f4; }
td:first-child, th:first-child { text-align: left; }
details { margin: 6px 0 12px 0; }
summary { cursor: pointer; color: #0060a0; }
code { background: #f4f4f4; padding: 0 3px; }
)";

std::string html_figure(const figure & f, const std::string & caption) {
    std::string s = "<figure>\n" + f.svg;
    if (!caption.empty()) s += "<figcaption>" + xml_escape(caption) + "</figcaption>\n";
    s += f.table;
    return s + "</figure>\n";
}

std::string html_table(const std::vector<std::string> & header, const std::vector<std::vector<std::string>> & rows,
                       const std::string & cls) {
    auto cell = [](const std::string & c) { return !c.empty() && c[0] == '\x01' ? c.substr(1) : xml_escape(c); };
    std::string s = cls.empty() ? "<table>\n" : "<table class=\"" + xml_escape(cls) + "\">\n";
    s += "<thead><tr>";
    for (const auto & h : header) s += "<th>" + cell(h) + "</th>";
    s += "</tr></thead>\n<tbody>\n";
    for (const auto & r : rows) {
        s += "<tr>";
        for (const auto & c : r) s += "<td>" + cell(c) + "</td>";
        s += "</tr>\n";
    }
    return s + "</tbody></table>\n";
}

std::string html_section(const std::string & id, const std::string & heading, const std::string & body) {
    return "<section id=\"" + xml_escape(id) + "\">\n<h2>" + xml_escape(heading) + "</h2>\n" + body + "</section>\n";
}

std::string html_p(const std::string & text, const std::string & cls) {
    return (cls.empty() ? "<p>" : "<p class=\"" + xml_escape(cls) + "\">") + xml_escape(text) + "</p>\n";
}

std::string html_details(const std::string & summary, const std::string & body) {
    return "<details><summary>" + xml_escape(summary) + "</summary>\n" + body + "</details>\n";
}

std::string html_document(const std::string & title, const std::string & body) {
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
           xml_escape(title) + "</title>\n<style>" + STYLE + "</style>\n</head>\n<body>\n<h1>" + xml_escape(title) + "</h1>\n" +
           body + "</body>\n</html>\n";
}

} // namespace palign
