// palign report: the page is one self-contained file, every chart is there, and the numbers drawn (the marks' data
// attributes) equal the run's <method>.json / .jsonl and palign compare's intervals; in a real headless browser
// (Debian's chromium) every chart renders with no console error, and the screenshot is kept in the build directory.
#include "engine/model.h"
#include "report/charts.h"
#include "report/svg.h"
#include "util/error.h"
#include "util/paths.h"
#include "testlib.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace palign;
using palign_test::run_cmd;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string bin = std::string(PALIGN_BIN_DIR) + "/palign";

// one eval run shared by the tests of this file (and kept for the next ctest; one per palign binary), made under a lock
const std::string & run_dir() {
    static std::string dir;
    if (!dir.empty()) return dir;
    struct stat st {};
    stat(bin.c_str(), &st);
    const std::string want = std::string(PALIGN_BIN_DIR) + "/test-report-run-" + std::to_string((long long) st.st_mtime);
    const int fd = open((std::string(PALIGN_BIN_DIR) + "/test-report-run.lock").c_str(), O_CREAT | O_RDWR, 0644);
    flock(fd, LOCK_EX);
    if (!file_exists(want + "/pas.json")) {
        std::error_code ec;   // the runs of earlier palign binaries
        for (const auto & e : fs::directory_iterator(PALIGN_BIN_DIR, ec)) {
            if (e.path().filename().string().rfind("test-report-run-", 0) == 0) fs::remove_all(e.path(), ec);
        }
        const std::string tmp = want + ".tmp." + std::to_string(getpid());
        std::string text;
        const int rc = run_cmd(bin + " eval -m " + palign_test::model_path("llama3") + " --method none,pas,constant --subjects 0:3 "
                               "--alpha-grid 0,3 --cv-folds 2 --k 8 -q --contrast-cache '' -o " + tmp, &text);
        EXPECT_EQ(rc, 0) << text;
        fs::rename(tmp, want);
    }
    flock(fd, LOCK_UN);
    close(fd);
    dir = want;
    return dir;
}

json read_json(const std::string & path) { return json::parse(read_file(path)); }

std::string unescape(std::string s) {
    for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{{"&quot;", "\""}, {"&lt;", "<"}, {"&gt;", ">"}, {"&#39;", "'"}, {"&amp;", "&"}}) {
        for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
    }
    return s;
}

struct mark {
    std::string chart, series, key;
    double value = NAN;
    std::map<std::string, std::string> attrs;   // the other data-* attributes
};

// every mark of a page (the file as written, or the DOM a browser serialised)
std::vector<mark> marks_of(const std::string & html) {
    static const std::regex re("data-chart=\"([^\"]*)\" data-series=\"([^\"]*)\" data-key=\"([^\"]*)\" data-value=\"([^\"]*)\"([^>]*)>");
    static const std::regex attr(" (?:data-)?([a-z]+)=\"([^\"]*)\"");   // data-lo -> "lo", class -> "class"
    std::vector<mark> out;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), re); it != std::sregex_iterator(); ++it) {
        mark m;
        m.chart = unescape((*it)[1]);
        m.series = unescape((*it)[2]);
        m.key = unescape((*it)[3]);
        m.value = (*it)[4].length() ? std::stod((*it)[4]) : NAN;
        const std::string rest = (*it)[5];
        for (auto a = std::sregex_iterator(rest.begin(), rest.end(), attr); a != std::sregex_iterator(); ++a) m.attrs[(*a)[1]] = (*a)[2];
        out.push_back(m);
    }
    return out;
}

const mark * find_mark(const std::vector<mark> & ms, const std::string & chart, const std::string & series, const std::string & key) {
    for (const auto & m : ms) if (m.chart == chart && m.series == series && m.key == key) return &m;
    return nullptr;
}

// the same where the mark must be there: a missing one fails the test (an exception) instead of crashing it
const mark * must_mark(const std::vector<mark> & ms, const std::string & chart, const std::string & series, const std::string & key) {
    const mark * m = find_mark(ms, chart, series, key);
    if (!m) throw std::runtime_error("no mark " + chart + "/" + series + "/" + key);
    return m;
}

std::string first_subject() { return read_json(run_dir() + "/none.json")["subjects"][0]["subject"].get<std::string>(); }

// the report of the shared run, written once per test process
std::string report_file() {
    static std::string path;
    if (path.empty()) {
        path = palign_test::scratch_dir() + "/report.html";
        std::string text;
        EXPECT_EQ(run_cmd(bin + " report " + run_dir() + " -o " + path + " --subjects " + first_subject() + " -m " +
                          palign_test::model_path("llama3"), &text), 0) << text;
    }
    return path;
}

const std::vector<std::string> CHARTS = {"composite", "traits", "alpha-curves", "alpha-hist", "heads", "reliability"};

// every drawn number against the run's files; `page` is the HTML as written or as a browser serialised it
void check_values(const std::string & page) {
    const std::string dir = run_dir();
    const std::vector<mark> ms = marks_of(page);
    ASSERT_GT(ms.size(), 20u);
    for (const auto & c : CHARTS) {
        EXPECT_NE(page.find("<svg class=\"chart\" id=\"" + c + "\""), std::string::npos) << c;
        EXPECT_TRUE(std::any_of(ms.begin(), ms.end(), [&](const mark & m) { return m.chart == c; })) << "no mark in " << c;
    }
    std::string text;
    const std::string cj = palign_test::scratch_dir() + "/compare.json";
    ASSERT_EQ(run_cmd(bin + " compare " + dir + " --json " + cj, &text), 0) << text;
    const json cmp = read_json(cj);
    const std::vector<std::string> traits = {"O", "C", "E", "A", "N"};
    std::map<std::string, std::string> label;   // method -> label
    for (const auto & m : cmp["methods"]) label[m["method"].get<std::string>()] = m["label"].get<std::string>();
    ASSERT_EQ(label.size(), 3u);
    for (const auto & m : cmp["methods"]) {
        const std::string method = m["method"], lab = m["label"];
        const json rep = read_json(dir + "/" + method + ".json");
        ASSERT_EQ(rep["n_ok"].get<int>(), cmp["n_shared"].get<int>()) << "every subject shared: the summary is over the same ones";
        // composite: a bar with its interval, or (reference predictor) a floor line
        const mark * c = find_mark(ms, "composite", lab, "composite");
        ASSERT_TRUE(c) << lab;
        EXPECT_NEAR(c->value, rep["summary"]["composite"].get<double>(), 1e-9) << lab;
        EXPECT_NEAR(std::stod(c->attrs.at("lo")), m["composite"]["lo"].get<double>(), 1e-12) << lab;
        EXPECT_NEAR(std::stod(c->attrs.at("hi")), m["composite"]["hi"].get<double>(), 1e-12) << lab;
        const bool floor = c->attrs.count("class") && c->attrs.at("class").find("floor") != std::string::npos;
        EXPECT_EQ(floor, method == "constant") << lab << ": reference predictors are floor lines, the others bars";
        // per trait
        for (const auto & t : traits) {
            const mark * b = find_mark(ms, "traits", lab, t);
            ASSERT_TRUE(b) << lab << " " << t;
            EXPECT_NEAR(b->value, rep["summary"]["mean_" + t + "_abs"].get<double>(), 1e-9) << lab << " " << t;
        }
        // the radar: the method's keyed means for the subject, and the subject's own over the evaluation items
        const json & s0 = rep["subjects"][0];
        for (const auto & t : traits) {
            const mark * r = find_mark(ms, "radar-" + first_subject(), lab, t);
            ASSERT_TRUE(r) << lab << " " << t;
            EXPECT_NEAR(r->value, s0["mean_" + t].get<double>(), 1e-9) << lab << " " << t;
            double sum = 0;
            int n = 0;
            for (const auto & it : s0["items"]) {
                const int v = it["subject"];
                if (it["trait"] == t && v >= 1) { sum += it["key"] == "-" ? 6 - v : v; n++; }
            }
            const mark * sm = find_mark(ms, "radar-" + first_subject(), "subject " + first_subject(), t);
            ASSERT_TRUE(sm) << t;
            EXPECT_NEAR(sm->value, sum / n, 1e-12) << t;
        }
        // reliability: recomputed here from the items' probabilities (10 bins; used items: the error is not null)
        if (method == "constant") {
            EXPECT_FALSE(find_mark(ms, "reliability", lab, "bin:0.00-0.10")) << "a predictor has no probabilities";
            continue;
        }
        std::vector<long> bn(10, 0);
        std::vector<double> bp(10, 0.0), bf(10, 0.0);
        for (const auto & s : rep["subjects"]) {
            for (const auto & it : s["items"]) {
                if (!it.contains("probs") || it["error"].is_null()) continue;
                for (int k = 0; k < 5; k++) {
                    const double p = it["probs"][k];
                    const int b = std::min(9, (int) (p * 10));
                    bn[b]++;
                    bp[b] += p;
                    bf[b] += (5 - it["subject"].get<int>()) == k;
                }
            }
        }
        int drawn = 0;
        for (int b = 0; b < 10; b++) {
            char key[32];
            snprintf(key, sizeof key, "bin:%.2f-%.2f", b / 10.0, (b + 1) / 10.0);
            const mark * r = find_mark(ms, "reliability", lab, key);
            if (!bn[b]) { EXPECT_FALSE(r) << key; continue; }
            ASSERT_TRUE(r) << lab << " " << key;
            drawn++;
            EXPECT_EQ(std::stol(r->attrs.at("n")), bn[b]) << key;
            EXPECT_NEAR(r->value, bf[b] / bn[b], 1e-12) << key;
            EXPECT_NEAR(std::stod(r->attrs.at("p")), bp[b] / bn[b], 1e-12) << key;
        }
        EXPECT_GT(drawn, 0) << lab;
    }
    // PAS: the alpha curve's mean, the chosen alphas and the heads, from pas.jsonl
    const std::string pas = label.at("pas");
    EXPECT_NE(pas.find("[cv]"), std::string::npos) << pas;
    std::map<double, std::pair<double, int>> curve;
    std::map<double, int> chosen;
    std::map<std::pair<int, int>, int> heads;
    int n_fit = 0;
    std::ifstream f(dir + "/pas.jsonl");
    for (std::string line; std::getline(f, line);) {
        const json j = json::parse(line);
        n_fit++;
        chosen[j["alpha"].get<double>()]++;
        for (const auto & pt : j["alpha_curve"]) { curve[pt[0]].first += pt[1].get<double>(); curve[pt[0]].second++; }
        for (const auto & h : j["steering"]["heads"]) heads[{h["layer"], h["head"]}]++;
    }
    ASSERT_EQ(n_fit, 3);
    for (const auto & kv : curve) {
        char key[32];
        snprintf(key, sizeof key, "alpha:%g", kv.first);
        const mark * m = find_mark(ms, "alpha-curves", pas, key);
        ASSERT_TRUE(m) << key;
        EXPECT_NEAR(m->value, kv.second.first / kv.second.second, 1e-12) << key;
        const mark * h = find_mark(ms, "alpha-hist", pas, key);
        ASSERT_TRUE(h) << key;
        EXPECT_EQ(h->value, chosen.count(kv.first) ? chosen[kv.first] : 0) << key;
    }
    palign::model m({palign_test::model_path("llama3")});
    int cells = 0;
    for (const auto & mk : ms) {
        if (mk.chart != "heads") continue;
        cells++;
        int l = -1, h = -1;
        ASSERT_EQ(sscanf(mk.key.c_str(), "L%d.H%d", &l, &h), 2) << mk.key;
        const int want = heads.count({l, h}) ? heads[{l, h}] : 0;
        EXPECT_EQ(std::stoi(mk.attrs.at("count")), want) << mk.key;
        EXPECT_NEAR(mk.value, (double) want / n_fit, 1e-12) << mk.key;
    }
    EXPECT_EQ(cells, m.info().n_layer * m.info().n_head);   // -m: the model's whole geometry
}

std::string browser() {
    std::string out;
    for (const char * b : {"chromium", "chromium-browser", "google-chrome"}) {
        if (run_cmd(std::string("command -v ") + b, &out) == 0) {
            while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
            return out;
        }
    }
    return "";
}

// headless chromium on a file: the serialised DOM and chromium's log (console messages are its "CONSOLE" lines)
int render(const std::string & chromium, const std::string & page, std::string & dom, std::string & log, const std::string & screenshot = "") {
    static int n = 0;
    const std::string dir = palign_test::scratch_dir(), profile = dir + "/chromium-profile-" + std::to_string(n++);
    const std::string dom_file = dir + "/dom.html", log_file = dir + "/chromium.log";
    const std::string cmd = "(timeout 90 " + chromium + " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                            "--disable-background-networking --disable-component-update --disable-sync --user-data-dir=" + profile +
                            " --enable-logging=stderr --v=0 --window-size=1280,6000 " +
                            (screenshot.empty() ? "" : "--screenshot=" + screenshot + " ") + "--dump-dom file://" +
                            fs::absolute(page).string() + " > " + dom_file + " 2> " + log_file + ")";
    const int rc = run_cmd(cmd);
    dom = file_exists(dom_file) ? read_file(dom_file) : "";
    log = file_exists(log_file) ? read_file(log_file) : "";
    return rc;
}

std::vector<std::string> console_lines(const std::string & log) {
    std::vector<std::string> out;
    std::istringstream in(log);
    for (std::string l; std::getline(in, l);) if (l.find(":CONSOLE") != std::string::npos) out.push_back(l);
    return out;
}

} // namespace

TEST(report_svg, numbers_ticks_escapes) {
    EXPECT_EQ(xml_escape("a<b & \"c\"'"), "a&lt;b &amp; &quot;c&quot;&#39;");
    EXPECT_EQ(num_exact(0.1), "0.10000000000000001");
    EXPECT_EQ(std::stod(num_exact(3.7994123)), 3.7994123);
    EXPECT_EQ(num_exact(NAN), "");
    EXPECT_EQ(num_text(NAN), "-");
    EXPECT_EQ(coord(12.50), "12.5");
    EXPECT_EQ(coord(-0.001), "0");
    const auto t = nice_ticks(0, 4.2, 5);
    ASSERT_FALSE(t.empty());
    EXPECT_LE(t.front(), 0.0);
    EXPECT_GE(t.back(), 4.2);
    EXPECT_LE(t.size(), 8u);
}

TEST(report_svg, charts_carry_their_numbers) {
    bar_chart c;
    c.id = "x";
    c.title = "t & t";
    c.groups = {"O", "C"};
    c.series = {"a", "b<"};
    c.values = {{{1.5, 1.0, 2.0, 3}, {NAN}}, {{0.25}, {2.0}}};
    c.floors = {{"floor", {3.0, 2.5, 3.5, 3}}};
    const figure f = draw_bars(c);
    const auto ms = marks_of(f.svg);
    ASSERT_EQ(ms.size(), 5u);   // 4 bars (one undefined) and the floor
    EXPECT_EQ(must_mark(ms, "x", "a", "O")->value, 1.5);
    EXPECT_EQ(must_mark(ms, "x", "a", "O")->attrs.at("lo"), "1");
    EXPECT_TRUE(std::isnan(must_mark(ms, "x", "a", "C")->value));
    EXPECT_EQ(must_mark(ms, "x", "b<", "C")->value, 2.0);
    EXPECT_EQ(must_mark(ms, "x", "floor", "O")->value, 3.0);
    EXPECT_NE(f.svg.find("<title>t &amp; t</title>"), std::string::npos);
    EXPECT_NE(f.table.find("1.500 [1.000, 2.000], n = 3"), std::string::npos) << f.table;
    c.values.pop_back();
    EXPECT_THROW(draw_bars(c), palign::error);   // a series without values

    radar_chart r;
    r.id = "r";
    r.axes = {"M", "N", "P"};
    r.series = {"you"};
    r.values = {{1.0, 5.0, NAN}};
    const auto rm = marks_of(draw_radar(r).svg);
    ASSERT_EQ(rm.size(), 2u);
    EXPECT_EQ(must_mark(rm, "r", "you", "N")->value, 5.0);
}

TEST(report_html, self_contained_and_values_match_the_run) {
    const std::string page = read_file(report_file());
    for (const char * external : {"http:", "https:", "src=", "<link", "@import", "url(", "<script", "@font-face"}) {
        EXPECT_EQ(page.find(external), std::string::npos) << external;
    }
    EXPECT_NE(page.find("<svg class=\"chart\" id=\"radar-" + first_subject() + "\""), std::string::npos);
    // every mark has its tooltip, and every chart a table of its numbers
    size_t n_marks = marks_of(page).size(), n_titles = 0, n_tables = 0;
    for (size_t p = page.find("<title>"); p != std::string::npos; p = page.find("<title>", p + 1)) n_titles++;
    for (size_t p = page.find("<table"); p != std::string::npos; p = page.find("<table", p + 1)) n_tables++;
    EXPECT_GE(n_titles, n_marks);
    EXPECT_GE(n_tables, CHARTS.size() + 1);
    check_values(page);
    // the same input, the same bytes
    const std::string again = palign_test::scratch_dir() + "/report-again.html";
    ASSERT_EQ(run_cmd(bin + " report " + run_dir() + " -o " + again + " --subjects " + first_subject() + " -m " + palign_test::model_path("llama3")), 0);
    EXPECT_EQ(read_file(again), page);
}

TEST(report_html, renders_in_a_headless_browser) {
    const std::string chromium = browser();
    if (chromium.empty()) GTEST_SKIP() << "no chromium installed (scripts/setup.sh installs it: apt-get install chromium); "
                                          "the page was checked without a browser in report_html.self_contained_and_values_match_the_run";
    std::string dom, log;
    // the console check can see an error: a page that logs one
    const std::string bad = palign_test::scratch_dir() + "/console-error.html";
    std::ofstream(bad) << "<!DOCTYPE html><html><body><p>x</p><script>console.error('palign-probe-error')</script></body></html>\n";
    render(chromium, bad, dom, log);
    const auto probe = console_lines(log);
    ASSERT_FALSE(probe.empty()) << "chromium's log shows no console messages, so errors would go unseen:\n" << log;
    EXPECT_NE(probe[0].find("palign-probe-error"), std::string::npos) << probe[0];

    // the report: no console message at all, the DOM as the browser parsed it carries the run's numbers
    const std::string shot = std::string(PALIGN_BIN_DIR) + "/report-screenshot.png";
    std::remove(shot.c_str());
    ASSERT_EQ(render(chromium, report_file(), dom, log, shot), 0) << log;
    EXPECT_TRUE(console_lines(log).empty()) << console_lines(log)[0];
    ASSERT_NE(dom.find("</html>"), std::string::npos) << dom.substr(0, 400);
    check_values(dom);
    ASSERT_TRUE(file_exists(shot));
    EXPECT_GT(fs::file_size(shot), 20000u) << "the screenshot " << shot << " looks empty";

    // laid out: a copy with a probe that measures every chart and every mark as rendered
    const std::string measured = palign_test::scratch_dir() + "/report-measured.html";
    std::string page = read_file(report_file());
    page.insert(page.rfind("</body>"),
                "<script>document.body.setAttribute('data-layout', Array.from(document.querySelectorAll('svg.chart')).map(function (s) {"
                "var r = s.getBoundingClientRect(); var marks = s.querySelectorAll('[data-value]'); var shown = 0;"
                "marks.forEach(function (m) { var b = m.getBoundingClientRect(); if (b.width > 0 || b.height > 0) shown++; });"
                "return s.id + ':' + Math.round(r.width) + 'x' + Math.round(r.height) + ':' + marks.length + ':' + shown; }).join(' '));"
                "</script>");
    std::ofstream(measured) << page;
    ASSERT_EQ(render(chromium, measured, dom, log), 0) << log;
    EXPECT_TRUE(console_lines(log).empty()) << console_lines(log)[0];
    const size_t at = dom.find("data-layout=\"");
    ASSERT_NE(at, std::string::npos);
    std::istringstream layout(dom.substr(at + 13, dom.find('"', at + 13) - at - 13));
    std::set<std::string> seen;
    for (std::string e; layout >> e;) {
        char id[128];
        int w = 0, h = 0, n = 0, shown = 0;
        ASSERT_EQ(sscanf(e.c_str(), "%127[^:]:%dx%d:%d:%d", id, &w, &h, &n, &shown), 5) << e;
        seen.insert(id);
        EXPECT_GT(w, 150) << e;
        EXPECT_GT(h, 100) << e;
        EXPECT_GT(n, 0) << e;
        EXPECT_EQ(shown, n) << e << ": marks not rendered";
    }
    for (const auto & c : CHARTS) EXPECT_TRUE(seen.count(c)) << c;
}

TEST(report_html, refuses_bad_input_and_writes_nothing) {
    const std::string out = palign_test::scratch_dir() + "/refused.html";
    std::string text;
    EXPECT_EQ(run_cmd(bin + " report " + run_dir() + " -o " + out + " --subjects nobody", &text), 1) << text;
    EXPECT_NE(text.find("--subjects: subject 'nobody' is not among the 3 subjects"), std::string::npos) << text;
    EXPECT_NE(text.find("HINT"), std::string::npos) << text;
    EXPECT_EQ(run_cmd(bin + " report " + palign_test::scratch_dir() + " -o " + out, &text), 1) << text;   // no reports there
    EXPECT_NE(text.find("no method reports"), std::string::npos) << text;
    EXPECT_EQ(run_cmd(bin + " report " + run_dir() + " -o " + out + " -m " + run_dir() + "/config.json", &text), 1) << text;
    EXPECT_NE(text.find("config.json"), std::string::npos) << text;
    EXPECT_FALSE(file_exists(out));
}
