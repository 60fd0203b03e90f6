// Profile pages: radar charts of domain and facet means, and their table.
#include "report/profile_report.h"

#include "report/charts.h"
#include "report/html.h"
#include "report/svg.h"
#include "util/error.h"

namespace palign {

static const profile_row * find_row(const std::vector<profile_row> & rows, const std::string & key) {
    for (const auto & r : rows) if (r.key == key) return &r;
    return nullptr;
}

// the rows to draw: those of the entry with the most of them (a steering file's person has no facets)
static std::vector<profile_row> axes_of(const std::vector<profile_entry> & e, bool facets) {
    std::vector<profile_row> best;
    for (const auto & x : e) {
        const auto & rows = facets ? x.p.facets : x.p.domains;
        if (rows.size() > best.size()) best = rows;
    }
    return best;
}

static radar_chart radar_for(const std::vector<profile_entry> & entries, const std::vector<profile_row> & axes, const std::string & id,
                             const std::string & title) {
    radar_chart r;
    r.id = id;
    r.title = title;
    for (const auto & a : axes) {
        r.axes.push_back(a.key + " " + a.name);
        r.axis_keys.push_back(a.key);
    }
    for (const auto & e : entries) {
        r.series.push_back(e.label);
        std::vector<double> v;
        for (const auto & a : axes) {
            const profile_row * row = find_row(id == "facets" ? e.p.facets : e.p.domains, a.key);
            v.push_back(row ? row->mean : NAN);
        }
        r.values.push_back(v);
    }
    return r;
}

std::string profile_report_html(const std::string & title, const std::vector<profile_entry> & entries, const std::string & note) {
    if (entries.empty()) fail("profile page: no profile to draw");
    const std::vector<profile_row> domains = axes_of(entries, false), facets = axes_of(entries, true);
    const bool big5 = entries[0].p.kind == inventory_kind::big5;
    std::string body;
    if (!note.empty()) body += html_p(note, "note");
    body += html_p("Means of the keyed answers (reverse-keyed items as 6 - answer) over the answered items, on the 1..5 scale "
                   "(5 = the statement describes one Very Accurately).", "note");
    std::string figs = html_figure(draw_radar(radar_for(entries, domains, "domains", big5 ? "Big Five domains" : "Dark Triad traits")), "");
    if (!facets.empty()) figs += html_figure(draw_radar(radar_for(entries, facets, "facets", "IPIP-NEO facets")), "");
    body += figs;

    // the means are in the tables under the charts; here the raw scores and what they are over
    std::vector<std::string> header = {"trait"};
    for (const auto & e : entries) {
        header.push_back(e.label + ": raw");
        header.push_back("answered");
    }
    std::vector<std::vector<std::string>> rows;
    auto add = [&](const profile_row & a, bool facet) {
        std::vector<std::string> r = {(facet ? "\xc2\xa0\xc2\xa0" : "") + a.key + " " + a.name};
        for (const auto & e : entries) {
            const profile_row * row = find_row(facet ? e.p.facets : e.p.domains, a.key);
            r.push_back(row && row->n_items ? std::to_string(row->raw) : "-");
            r.push_back(row && row->n_items ? strfmt("%d/%d", row->n_answered, row->n_items) : "-");
        }
        rows.push_back(r);
    };
    for (const auto & d : domains) {
        add(d, false);
        for (const auto & f : facets) if (f.key.compare(0, d.key.size(), d.key) == 0) add(f, true);
    }
    body += "<h2>Raw scores</h2>\n" + html_p("raw: the sum of the keyed answers over the answered items (with unanswered "
                                              "items, compare the means above, not raw sums)", "note");
    body += html_table(header, rows);
    return html_document(title, body);
}

} // namespace palign
