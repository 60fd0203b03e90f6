// Run store: config check, JSON-lines checkpoints, resume.
#include "eval/run_store.h"

#include "util/error.h"
#include "util/paths.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace palign {

using json = nlohmann::json;

static void mkdirs(const std::string & dir) {
    std::string cur;
    std::stringstream ss(dir);
    std::string part;
    if (!dir.empty() && dir[0] == '/') cur = "/";
    while (std::getline(ss, part, '/')) {
        if (part.empty()) continue;
        cur += part + "/";
        if (mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) fail(strfmt("%s: cannot create directory (%s)", cur.c_str(), strerror(errno)));
    }
}

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
        const std::string n = e.path().filename().string();
        const size_t at = n.rfind(".tmp.");
        if (at == std::string::npos || at == 0 || at + 5 >= n.size()) continue;
        if (n.find_first_not_of("0123456789", at + 5) != std::string::npos) continue;
        if (!e.is_regular_file(ec) || e.is_symlink(ec)) continue;
        std::filesystem::remove(e.path(), ec);
    }
}

run_store::~run_store() {
    if (!lock_.empty()) unlink(lock_.c_str());
}

score_rules score_rules_of(const json & config) {
    score_rules r;
    r.missing_as_zero = config.value("missing", std::string("skip")) == "reference";
    r.unk_as_worst = config.value("unk_as", std::string("skip")) == "worst";
    return r;
}

run_store::run_store(const std::string & dir, const json & config) : dir_(dir), rules_(score_rules_of(config)) {
    mkdirs(dir);
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
    const std::string tmp = cfg + ".tmp." + std::to_string(getpid());
    { std::ofstream f(tmp); f << config.dump(1) << "\n"; if (!f) fail(strfmt("%s: cannot write", tmp.c_str())); }
    if (rename(tmp.c_str(), cfg.c_str()) != 0) fail(strfmt("%s: cannot write", cfg.c_str()));
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

stored_result result_from_json(const inventory & inv, const json & j, const std::string & where, const score_rules & rules) {
    stored_result r;
    try {
        r.result.method = eval_method_from_name(j.at("method").get<std::string>());
        r.result.scores.subject = j.at("subject").get<std::string>();
        if (j.contains("error")) {
            r.error = j["error"].get<std::string>();
            return r;
        }
        for (const json & it : j.at("items")) {
            const item & itm = inv.at(it.at("id").get<std::string>());
            item_record ir;
            ir.id = itm.id;
            ir.trait = itm.trait;
            ir.reverse = itm.reverse;
            ir.subject = it.at("s").get<int>();
            const answer_rule rule = rule_from_name(it.at("rule").get<std::string>());
            if (it.contains("p")) {
                std::array<double, 5> probs = it["p"].get<std::array<double, 5>>();
                ir.model = answer_from_probs(probs, rule);
                ir.model.value = it.at("m").get<int>();   // as it was read then
            } else {
                ir.model = answer_from_value(it.at("m").get<int>());
                ir.model.rule = rule;
            }
            ir.rules = rules;
            r.result.scores.items.push_back(ir);
        }
        compute_subject_stats(inv, r.result.scores);
        if (method_def_of(r.result.method).steered) {
            r.result.alpha = j.at("alpha").get<double>();
            r.result.select = j.at("alpha_select").get<std::string>() == "cv" ? alpha_select::cv : alpha_select::eval;
            for (const json & pt : j.at("alpha_curve")) r.result.curve.push_back({pt[0].get<double>(), pt[1].is_null() ? NAN : pt[1].get<double>()});
            const json & st = j.at("steering");
            r.result.fit.params.k = st.at("k").get<int>();
            r.result.fit.n_pairs = st.at("n_pairs").get<int>();
            r.result.fit.n_not_converged = st.value("probes_not_converged", 0);
            r.result.fit.n_tied_at_cut = st.value("tied_at_cut", 0);
            for (const json & h : st.at("heads")) {
                pas_head ph;
                ph.layer = h.at("layer").get<int>();
                ph.head = h.at("head").get<int>();
                ph.train_acc = h.at("train_acc").get<double>();
                ph.val_acc = h.at("val_acc").get<double>();
                ph.sigma = h.at("sigma").get<float>();
                ph.dir = h.at("dir").get<std::vector<float>>();
                r.result.fit.heads.push_back(ph);
            }
        }
    } catch (const palign::error & e) {
        fail(strfmt("%s: %s", where.c_str(), e.what()));
    } catch (const std::exception & e) {
        fail(strfmt("%s: malformed result line (%s)", where.c_str(), e.what()), "remove the line (or the file) to recompute");
    }
    return r;
}

void read_jsonl_lines(const std::string & path, const std::function<void(int, const std::string &, const json &)> & fn,
                      bool drop_partial) {
    if (!file_exists(path)) return;
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
    const std::string p = path(m);
    read_jsonl(p, [&](int line, const json & j) { out.push_back(result_from_json(inv, j, strfmt("%s:%d", p.c_str(), line), rules_)); }, true);
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
    int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) fail(strfmt("%s: cannot open for appending (%s)", p.c_str(), strerror(errno)));
    ssize_t n = write(fd, line.data(), line.size());
    fsync(fd);
    close(fd);
    if (n != (ssize_t) line.size()) fail(strfmt("%s: short write for subject %s", p.c_str(), s.id.c_str()));
}

} // namespace palign
