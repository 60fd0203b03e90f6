// Run store: config check, JSON-lines checkpoints, resume.
#include "eval/run_store.h"

#include "data/file_util.h"
#include "util/error.h"
#include "util/fs_util.h"
#include "util/paths.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace palign {

using json = nlohmann::json;

void run_store::take_lock() {
    const std::string lock = dir_ + "/.lock";
    for (int attempt = 0; attempt < 3; attempt++) {
        const int fd = open(lock.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0) {
            const std::string pid = std::to_string(getpid()) + "\n";
            const bool ok = write(fd, pid.data(), pid.size()) == (ssize_t) pid.size() && fsync(fd) == 0;
            close(fd);
            if (!ok) { unlink(lock.c_str()); fail(strfmt("%s: cannot write the lock file (%s)", lock.c_str(), strerror(errno))); }
            lock_ = lock;
            return;
        }
        if (errno != EEXIST) fail(strfmt("%s: cannot create the lock file (%s)", lock.c_str(), strerror(errno)));
        struct stat st{};
        if (lstat(lock.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) fail(strfmt("%s: not a regular file", lock.c_str()), "remove it");
        std::ifstream f(lock);
        long pid = 0;
        f >> pid;
        if (pid > 0 && (kill((pid_t) pid, 0) == 0 || errno == EPERM)) {
            fail(strfmt("%s: another palign (pid %ld) is writing this run", dir_.c_str(), pid),
                 "wait for it to finish (rerunning the same command then resumes), or use another -o");
        }
        unlink(lock.c_str());   // stale: its process is gone
    }
    fail(strfmt("%s: cannot take the lock file", lock.c_str()));
}

// temporary files of an earlier writer that was killed (<name>.tmp.<pid>): with the lock held, none is live
void run_store::remove_stale_temps() const {
    std::error_code ec;
    for (const auto & e : std::filesystem::directory_iterator(dir_, ec)) {
        if (!is_temp_name(e.path().filename().string())) continue;
        if (!e.is_regular_file(ec) || e.is_symlink(ec)) continue;
        std::filesystem::remove(e.path(), ec);
    }
}

run_store::~run_store() {
    // a run refused by an error before it wrote any result leaves nothing behind: the config.json it wrote, and
    // the folders it created (never a folder or file that was there before)
    if (!wrote_ && std::uncaught_exceptions() > uncaught_) {
        std::error_code ec;
        if (wrote_config_) std::filesystem::remove(dir_ + "/config.json", ec);
        if (!lock_.empty()) unlink(lock_.c_str());
        lock_.clear();
        if (!fresh_.empty()) {
            remove_stale_temps();
            for (std::filesystem::path d = dir_; !d.empty(); d = d.parent_path()) {
                if (!std::filesystem::remove(d, ec) || ec) break;   // only empty folders, up to the first one that existed
                if (d.lexically_normal() == std::filesystem::path(fresh_).lexically_normal()) break;
            }
        }
    }
    if (!lock_.empty()) unlink(lock_.c_str());
}

score_rules score_rules_of(const json & config) {
    score_rules r;
    r.missing_as_zero = config.value("missing", std::string("skip")) == "reference";
    r.unk_as_worst = config.value("unk_as", std::string("skip")) == "worst";
    return r;
}

run_store::run_store(const std::string & dir, const json & config)
    : dir_(dir), rules_(score_rules_of(config)), uncaught_(std::uncaught_exceptions()) {
    // the outermost folder this run creates (removed again if the run fails before writing anything)
    std::error_code ec;
    for (std::filesystem::path d = std::filesystem::path(dir).lexically_normal(); !d.empty() && !std::filesystem::exists(d, ec);
         d = d.parent_path()) {
        fresh_ = d.string();
        if (d == d.parent_path()) break;
    }
    make_dirs(dir);
    take_lock();
    remove_stale_temps();
    try {
        check_config(config);
    } catch (...) {   // a refused run leaves no lock behind
        unlink(lock_.c_str());
        lock_.clear();
        throw;
    }
}

void run_store::check_config(const json & config) {
    const std::string & dir = dir_;
    const std::string cfg = dir + "/config.json";
    if (file_exists(cfg)) {
        check_input_file(cfg, 16 << 20, "run config");
        json old;
        try {
            old = json::parse(read_file(cfg));
        } catch (const std::exception & e) {
            fail(strfmt("%s: malformed JSON (%s)", cfg.c_str(), e.what()), "remove the directory or use another --out");
        }
        for (auto it = config.begin(); it != config.end(); ++it) {
            if (!old.contains(it.key()) || old[it.key()] != it.value()) {
                fail(strfmt("%s: field '%s' is %s here but %s in this run", cfg.c_str(), it.key().c_str(),
                            old.contains(it.key()) ? old[it.key()].dump().c_str() : "absent", it.value().dump().c_str()),
                     "resume with the same settings, or use another --out directory");
            }
        }
        for (auto it = old.begin(); it != old.end(); ++it) {   // and nothing the earlier run had is missing here
            if (!config.contains(it.key())) {
                fail(strfmt("%s: field '%s' is %s here but absent in this run (another kind of run)", cfg.c_str(), it.key().c_str(),
                            it.value().dump().c_str()), "resume with the same settings, or use another --out directory");
            }
        }
        return;
    }
    write_file_atomic(cfg, config.dump(1) + "\n");
    wrote_config_ = true;
}

std::string run_store::path(eval_method m) const { return dir_ + "/" + eval_method_name(m) + ".jsonl"; }

json result_to_json(const inventory & inv, const subject & s, const stored_result & r) {
    (void) inv;
    json j;
    j["subject"] = s.id;
    j["method"] = eval_method_name(r.result.method);
    if (!r.error.empty()) {
        j["error"] = r.error;
        return j;
    }
    j["composite"] = std::isnan(r.result.scores.composite) ? json(nullptr) : json(r.result.scores.composite);
    json items = json::array();
    for (const item_record & ir : r.result.scores.items) {
        json it = {{"id", ir.id}, {"m", ir.model.value}, {"s", ir.subject}, {"rule", answer_rule_name(ir.model.rule)}};
        if (ir.model.has_probs) it["p"] = ir.model.probs;
        items.push_back(it);
    }
    j["items"] = items;
    if (method_def_of(r.result.method).steered) {
        const subject_result & sr = r.result;
        j["alpha"] = sr.alpha;
        j["alpha_select"] = alpha_select_name(sr.select);
        json curve = json::array();
        for (const auto & pt : sr.curve) curve.push_back({pt.alpha, std::isnan(pt.composite) ? json(nullptr) : json(pt.composite)});
        j["alpha_curve"] = curve;
        json heads = json::array();
        for (const pas_head & h : sr.fit.heads) {
            heads.push_back({{"layer", h.layer}, {"head", h.head}, {"train_acc", h.train_acc}, {"val_acc", h.val_acc},
                             {"sigma", h.sigma}, {"dir", h.dir}});
        }
        j["steering"] = {{"k", sr.fit.params.k}, {"rank", pas_rank_name(sr.fit.params.rank)},
                         {"direction", pas_dir_name(sr.fit.params.dir)}, {"n_pairs", sr.fit.n_pairs}, {"heads", heads}};
        if (sr.fit.n_not_converged) j["steering"]["probes_not_converged"] = sr.fit.n_not_converged;
        if (sr.fit.n_tied_at_cut) j["steering"]["tied_at_cut"] = sr.fit.n_tied_at_cut;
    }
    return j;
}

static answer_rule rule_from_name(const std::string & n) {
    for (answer_rule r : {answer_rule::none, answer_rule::paper_text, answer_rule::reference_text, answer_rule::option_argmax,
                          answer_rule::option_median, answer_rule::given}) {
        if (n == answer_rule_name(r)) return r;
    }
    return answer_rule::none;
}

namespace {

// one checkpoint line, read field by field: every value's type and range is checked, and an error names
// "<file>:<line>: field '<path>': <problem>" with the hint to drop the line (its subject is then recomputed)
struct line_reader {
    const std::string & where;

    [[noreturn]] void bad(const std::string & field, const std::string & problem) const {
        fail(where + ": field '" + field + "': " + problem, "remove the line to recompute that subject (rerunning resumes without it)");
    }
    static std::string shown(const json & v) {   // never dumps a structure (it may be huge or deep)
        if (v.is_array()) return "an array";
        if (v.is_object()) return "an object";
        const std::string d = v.dump(-1, ' ', false, json::error_handler_t::replace);
        return d.size() > 40 ? d.substr(0, 40) + "..." : d;
    }
    const json & get(const json & o, const char * key, const std::string & field) const {
        auto it = o.find(key);
        if (it == o.end()) bad(field, "missing");
        return *it;
    }
    std::string str(const json & v, const std::string & field, bool nonempty = true) const {
        if (!v.is_string()) bad(field, shown(v) + " is not a string");
        if (nonempty && v.get_ref<const std::string &>().empty()) bad(field, "empty");
        return v.get<std::string>();
    }
    long long integer(const json & v, const std::string & field, long long lo, long long hi) const {
        if (!v.is_number_integer()) bad(field, shown(v) + " is not a whole number");
        const long long x = v.is_number_unsigned() ? (long long) std::min<uint64_t>(v.get<uint64_t>(), (uint64_t) LLONG_MAX) : v.get<long long>();
        if (x < lo || x > hi) bad(field, strfmt("%lld is outside %lld..%lld", x, lo, hi));
        return x;
    }
    double number(const json & v, const std::string & field, double lo, double hi, bool null_ok = false) const {
        if (null_ok && v.is_null()) return NAN;
        if (!v.is_number()) bad(field, shown(v) + " is not a number");
        const double x = v.get<double>();
        if (!std::isfinite(x) || x < lo || x > hi) bad(field, strfmt("%g is outside %g..%g", x, lo, hi));
        return x;
    }
    const json & array(const json & v, const std::string & field) const {
        if (!v.is_array()) bad(field, shown(v) + " is not an array");
        return v;
    }
    const json & object(const json & v, const std::string & field) const {
        if (!v.is_object()) bad(field, shown(v) + " is not an object");
        return v;
    }
};

} // namespace

stored_result result_from_json(const inventory & inv, const json & j, const std::string & where, const score_rules & rules) {
    const line_reader rd{where};
    stored_result r;
    if (!j.is_object()) fail(where + ": not a JSON object", "remove the line to recompute that subject (rerunning resumes without it)");
    const std::string method = rd.str(rd.get(j, "method", "method"), "method");
    try {
        r.result.method = eval_method_from_name(method);
    } catch (const palign::error &) {
        rd.bad("method", "unknown method '" + method.substr(0, 40) + "'");
    }
    r.result.scores.subject = rd.str(rd.get(j, "subject", "subject"), "subject");
    if (j.contains("error")) {
        r.error = rd.str(j["error"], "error");
        return r;
    }
    if (j.contains("composite")) rd.number(j["composite"], "composite", 0, 1e9, true);   // recomputed from the items
    std::set<std::string> seen;
    const json & items = rd.array(rd.get(j, "items", "items"), "items");
    for (size_t k = 0; k < items.size(); k++) {
        const std::string f = strfmt("items[%zu]", k);
        const json & it = rd.object(items[k], f);
        const std::string id = rd.str(rd.get(it, "id", f + ".id"), f + ".id");
        const item * itm = inv.find(id);
        if (!itm) rd.bad(f + ".id", "'" + id.substr(0, 40) + "' is not an item of " + inventory_kind_name(inv.kind));
        if (!seen.insert(id).second) rd.bad(f + ".id", "item '" + id + "' appears twice");
        item_record ir;
        ir.id = itm->id;
        ir.trait = itm->trait;
        ir.reverse = itm->reverse;
        ir.subject = (int) rd.integer(rd.get(it, "s", f + ".s"), f + ".s", 0, 5);
        const int m = (int) rd.integer(rd.get(it, "m", f + ".m"), f + ".m", 0, 5);
        const std::string rule_name = rd.str(rd.get(it, "rule", f + ".rule"), f + ".rule");
        const answer_rule rule = rule_from_name(rule_name);
        if (rule_name != answer_rule_name(rule)) rd.bad(f + ".rule", "unknown answer rule '" + rule_name.substr(0, 40) + "'");
        if (it.contains("p")) {
            if (rule != answer_rule::option_argmax && rule != answer_rule::option_median) {
                rd.bad(f + ".p", "option probabilities with answer rule '" + rule_name + "'");
            }
            const json & p = rd.array(it["p"], f + ".p");
            if (p.size() != 5) rd.bad(f + ".p", strfmt("%zu probabilities, not 5 (A..E)", p.size()));
            std::array<double, 5> probs{};
            double sum = 0;
            for (int o = 0; o < 5; o++) sum += probs[o] = rd.number(p[o], strfmt("%s.p[%d]", f.c_str(), o), 0, 1);
            if (std::fabs(sum - 1) > 1e-6) rd.bad(f + ".p", strfmt("probabilities sum to %.9g, not 1", sum));
            if (m == 0) rd.bad(f + ".m", "0 (no answer) with option probabilities");
            ir.model = answer_from_probs(probs, rule);
            ir.model.value = m;   // as it was read then
        } else {
            ir.model = answer_from_value(m);
            ir.model.rule = rule;
        }
        ir.rules = rules;
        r.result.scores.items.push_back(ir);
    }
    compute_subject_stats(inv, r.result.scores);
    if (method_def_of(r.result.method).steered) {
        r.result.alpha = rd.number(rd.get(j, "alpha", "alpha"), "alpha", 0, 1e6);
        const std::string sel = rd.str(rd.get(j, "alpha_select", "alpha_select"), "alpha_select");
        if (sel == "cv") r.result.select = alpha_select::cv;
        else if (sel == alpha_select_name(alpha_select::eval) || sel == "eval") r.result.select = alpha_select::eval;
        else rd.bad("alpha_select", "'" + sel.substr(0, 40) + "' is not cv or eval");
        const json & curve = rd.array(rd.get(j, "alpha_curve", "alpha_curve"), "alpha_curve");
        for (size_t k = 0; k < curve.size(); k++) {
            const std::string f = strfmt("alpha_curve[%zu]", k);
            const json & pt = rd.array(curve[k], f);
            if (pt.size() != 2) rd.bad(f, strfmt("%zu values, not [alpha, composite]", pt.size()));
            r.result.curve.push_back({rd.number(pt[0], f + "[0]", 0, 1e6), rd.number(pt[1], f + "[1]", 0, 1e9, true)});
        }
        const json & st = rd.object(rd.get(j, "steering", "steering"), "steering");
        r.result.fit.params.k = (int) rd.integer(rd.get(st, "k", "steering.k"), "steering.k", 1, 100000);
        if (st.contains("rank")) {
            const std::string rk = rd.str(st["rank"], "steering.rank");
            if (rk == pas_rank_name(pas_rank::mean_acc)) r.result.fit.params.rank = pas_rank::mean_acc;
            else if (rk != pas_rank_name(pas_rank::val_acc)) rd.bad("steering.rank", "unknown ranking '" + rk.substr(0, 40) + "'");
        }
        if (st.contains("direction")) {
            const std::string dr = rd.str(st["direction"], "steering.direction");
            if (dr == pas_dir_name(pas_dir::probe)) r.result.fit.params.dir = pas_dir::probe;
            else if (dr != pas_dir_name(pas_dir::mass_mean)) rd.bad("steering.direction", "unknown direction '" + dr.substr(0, 40) + "'");
        }
        r.result.fit.n_pairs = (int) rd.integer(rd.get(st, "n_pairs", "steering.n_pairs"), "steering.n_pairs", 0, INT_MAX);
        if (st.contains("probes_not_converged")) {
            r.result.fit.n_not_converged = (int) rd.integer(st["probes_not_converged"], "steering.probes_not_converged", 0, INT_MAX);
        }
        if (st.contains("tied_at_cut")) r.result.fit.n_tied_at_cut = (int) rd.integer(st["tied_at_cut"], "steering.tied_at_cut", 0, INT_MAX);
        const json & heads = rd.array(rd.get(st, "heads", "steering.heads"), "steering.heads");
        size_t dim = 0;
        for (size_t k = 0; k < heads.size(); k++) {
            const std::string f = strfmt("steering.heads[%zu]", k);
            const json & h = rd.object(heads[k], f);
            pas_head ph;
            ph.layer = (int) rd.integer(rd.get(h, "layer", f + ".layer"), f + ".layer", 0, 1 << 20);
            ph.head = (int) rd.integer(rd.get(h, "head", f + ".head"), f + ".head", 0, 1 << 20);
            ph.train_acc = rd.number(rd.get(h, "train_acc", f + ".train_acc"), f + ".train_acc", 0, 1);
            ph.val_acc = rd.number(rd.get(h, "val_acc", f + ".val_acc"), f + ".val_acc", 0, 1);
            ph.sigma = (float) rd.number(rd.get(h, "sigma", f + ".sigma"), f + ".sigma", 0, 3e38);
            const json & d = rd.array(rd.get(h, "dir", f + ".dir"), f + ".dir");
            if (d.empty() || (dim && d.size() != dim)) rd.bad(f + ".dir", strfmt("%zu values (the heads have %zu)", d.size(), dim));
            dim = d.size();
            ph.dir.reserve(d.size());
            for (size_t i = 0; i < d.size(); i++) ph.dir.push_back((float) rd.number(d[i], strfmt("%s.dir[%zu]", f.c_str(), i), -3e38, 3e38));
            for (const pas_head & o : r.result.fit.heads) {
                if (o.layer == ph.layer && o.head == ph.head) rd.bad(f, strfmt("head (layer %d, head %d) appears twice", ph.layer, ph.head));
            }
            r.result.fit.heads.push_back(std::move(ph));
        }
    }
    return r;
}

void read_jsonl_lines(const std::string & path, const std::function<void(int, const std::string &, const json &)> & fn,
                      bool drop_partial) {
    if (!file_exists(path)) return;
    if (drop_partial) check_not_link(path, "checkpoint file");   // it may be cut: never through a link
    check_input_file(path, LLONG_MAX, "checkpoint file");          // a FIFO would block the run forever
    const std::string text = read_file(path);
    size_t pos = 0;
    int line = 0;
    while (pos < text.size()) {
        const size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) break;   // a partial last line: the write that was interrupted
        line++;
        const std::string l = text.substr(pos, nl - pos);
        pos = nl + 1;
        if (l.empty()) continue;
        json j;
        try {
            j = json::parse(l);
        } catch (const std::exception & e) {
            fail(strfmt("%s:%d: malformed JSON (%s)", path.c_str(), line, e.what()), "remove the line to recompute that subject");
        }
        fn(line, l, j);
    }
    if (drop_partial && pos < text.size() && truncate(path.c_str(), (off_t) pos) != 0) {
        fail(strfmt("%s: cannot drop a partial last line", path.c_str()));
    }
}

void read_jsonl(const std::string & path, const std::function<void(int, const json &)> & fn, bool drop_partial) {
    read_jsonl_lines(path, [&](int line, const std::string &, const json & j) { fn(line, j); }, drop_partial);
}

std::vector<stored_result> run_store::load(const inventory & inv, eval_method m) const {
    std::vector<stored_result> out;
    std::map<std::string, int> line_of;
    const std::string p = path(m);
    read_jsonl(p, [&](int line, const json & j) {
        const std::string where = strfmt("%s:%d", p.c_str(), line);
        stored_result r = result_from_json(inv, j, where, rules_);
        if (r.result.method != m) {
            fail(strfmt("%s: field 'method': '%s' in the checkpoint file of method %s", where.c_str(), eval_method_name(r.result.method),
                        eval_method_name(m)), "remove the line to recompute that subject (rerunning resumes without it)");
        }
        auto seen = line_of.emplace(r.result.scores.subject, line);
        if (!seen.second) {
            fail(strfmt("%s: field 'subject': '%s' is already on line %d", where.c_str(), r.result.scores.subject.c_str(), seen.first->second),
                 "remove one of the two lines (rerunning recomputes a removed subject)");
        }
        out.push_back(std::move(r));
    }, true);
    return out;
}

std::set<std::string> run_store::done(eval_method m) const {
    std::set<std::string> ids;
    const std::string p = path(m);
    read_jsonl(p, [&](int line, const json & j) {
        if (!j.is_object() || !j.contains("subject") || !j["subject"].is_string()) {
            fail(strfmt("%s:%d: field 'subject' is missing", p.c_str(), line), "remove the line to recompute that subject");
        }
        ids.insert(j["subject"].get<std::string>());
    }, true);
    return ids;
}

void run_store::append(const inventory & inv, const subject & s, const stored_result & r) {
    const std::string line = result_to_json(inv, s, r).dump() + "\n";
    const std::string p = path(r.result.method);
    wrote_ = true;
    const int fd = open_append(p, "checkpoint file");
    size_t off = 0;
    if (getenv("PALIGN_CRASH_AT")) {   // crash tests: half a line on disk, then killed (a torn append)
        const ssize_t a = write(fd, line.data(), line.size() / 2);
        if (a > 0) off = (size_t) a;
        fsync(fd);
        crash_point("append");
    }
    const ssize_t n = write(fd, line.data() + off, line.size() - off);
    const bool synced = fsync(fd) == 0;
    close(fd);
    if (n != (ssize_t) (line.size() - off) || !synced) fail(strfmt("%s: short write for subject %s", p.c_str(), s.id.c_str()), "disk full?");
}

} // namespace palign
