// Merge: shard and rank folders into one run folder, checked before anything is written.
#include "dist/merge.h"

#include "data/subjects.h"
#include "eval/report.h"
#include "eval/run_store.h"
#include "util/error.h"
#include "util/paths.h"

#include <algorithm>
#include <climits>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

namespace palign {

using json = nlohmann::json;
namespace fs = std::filesystem;

std::vector<checkpoint_line> read_checkpoint_lines(const std::string & path, const inventory * inv, eval_method m) {
    std::vector<checkpoint_line> out;
    read_jsonl_lines(path, [&](int line, const std::string & text, const json & j) {
        if (!j.is_object() || !j.contains("subject") || !j["subject"].is_string()) {
            fail(strfmt("%s:%d: field 'subject' is missing", path.c_str(), line), "remove the line to recompute that subject");
        }
        if (inv) {   // the whole line, as a resume reads it
            const std::string where = strfmt("%s:%d", path.c_str(), line);
            const stored_result r = result_from_json(*inv, j, where);
            if (r.result.method != m) {
                fail(strfmt("%s: field 'method': '%s' in the checkpoint file of method %s", where.c_str(), eval_method_name(r.result.method),
                            eval_method_name(m)), "remove the line to recompute that subject");
            }
        }
        out.push_back({j["subject"].get<std::string>(), text});
    });
    return out;
}

namespace {

struct part {
    std::string dir;
    json config;        // without "shard"
    int index = 0, count = 0;
    std::string subjects;
};

json read_config(const std::string & dir) {
    const std::string path = dir + "/config.json";
    if (!file_exists(path)) fail(strfmt("%s: not a palign eval run (no config.json)", dir.c_str()), "give the -o folders of palign eval runs");
    json j;
    try {
        j = json::parse(read_file(path));
    } catch (const std::exception & e) {
        fail(strfmt("%s: malformed JSON (%s)", path.c_str(), e.what()));
    }
    if (!j.is_object()) fail(strfmt("%s: not a JSON object", path.c_str()));
    return j;
}

// the first field where two configs differ, as a one-line error
void check_same_config(const json & a, const std::string & a_dir, const json & b, const std::string & b_dir) {
    std::set<std::string> keys;
    for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
    for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
    for (const auto & k : keys) {
        const std::string va = a.contains(k) ? a[k].dump() : "absent", vb = b.contains(k) ? b[k].dump() : "absent";
        if (va != vb) {
            fail(strfmt("%s/config.json: field '%s' is %s there but %s in %s/config.json", b_dir.c_str(), k.c_str(), vb.c_str(),
                        va.c_str(), a_dir.c_str()), "merge only the folders of one command's runs");
        }
    }
}

std::string canonical(const std::string & dir) {
    std::error_code ec;
    const fs::path p = fs::weakly_canonical(fs::absolute(dir), ec);
    return ec ? dir : p.string();
}

// the methods with a checkpoint file in any of the folders, in palign's method order
std::vector<eval_method> methods_in(const std::vector<std::string> & dirs) {
    std::set<int> found;
    for (const auto & d : dirs) {
        std::error_code ec;
        for (const auto & e : fs::directory_iterator(d, ec)) {
            const std::string n = e.path().filename().string();
            if (n.size() <= 6 || n.compare(n.size() - 6, 6, ".jsonl") != 0) continue;
            try {
                found.insert((int) eval_method_from_name(n.substr(0, n.size() - 6)));
            } catch (const palign::error & err) {
                fail(strfmt("%s/%s: not a method's results (%s)", d.c_str(), n.c_str(), err.what()));
            }
        }
    }
    std::vector<eval_method> out;
    for (int m : found) out.push_back((eval_method) m);
    return out;
}

alpha_select select_of(const json & config) {
    return config.value("alpha_select", std::string("cv")) == "cv" ? alpha_select::cv : alpha_select::eval;
}

std::string jsonl_path(const std::string & dir, eval_method m) { return dir + "/" + eval_method_name(m) + ".jsonl"; }

// write a method's checkpoint file unless it already holds exactly this text
void write_checkpoint(const std::string & path, const std::string & text) {
    if (file_exists(path) && read_file(path) == text) return;
    write_file_atomic(path, text);
}

} // namespace

merge_result merge_shards(const std::string & out_dir, const std::vector<std::string> & shard_dirs, const std::string & ddir_flag) {
    if (shard_dirs.empty()) fail("merge: no shard folders given", "palign merge OUT_DIR SHARD_DIR...");
    if (out_dir.empty()) fail("merge: empty output folder name");
    std::vector<part> parts;
    std::map<std::string, std::string> seen;   // canonical path -> as given
    seen[canonical(out_dir)] = out_dir;
    for (const auto & dir : shard_dirs) {
        const std::string c = canonical(dir);
        if (seen.count(c)) fail(strfmt("merge: %s and %s are the same folder", seen[c].c_str(), dir.c_str()),
                                "give each shard's folder once, and a new output folder");
        seen[c] = dir;
        json cfg = read_config(dir);
        const json & sh = cfg.contains("shard") ? cfg["shard"] : json();
        if (!sh.is_object() || !sh.contains("index") || !sh["index"].is_number_integer() || !sh.contains("count") ||
            !sh["count"].is_number_integer() || !sh.contains("subjects") || !sh["subjects"].is_string()) {
            fail(strfmt("%s/config.json: field 'shard' is missing or malformed (not a --shard run)", dir.c_str()),
                 "merge the folders of palign eval ... --shard I/N runs");
        }
        part p;
        p.dir = dir;
        p.index = sh["index"].get<int>();
        p.count = sh["count"].get<int>();
        p.subjects = sh["subjects"].get<std::string>();
        cfg.erase("shard");
        p.config = std::move(cfg);
        parts.push_back(std::move(p));
    }
    const part & p0 = parts[0];
    for (const part & p : parts) {
        check_same_config(p0.config, p0.dir, p.config, p.dir);
        if (p.count != p0.count) fail(strfmt("%s/config.json: field 'shard.count' is %d there but %d in %s/config.json", p.dir.c_str(),
                                             p.count, p0.count, p0.dir.c_str()), "merge the shards of one command (the same N)");
        if (p.subjects != p0.subjects) fail(strfmt("%s/config.json: field 'shard.subjects' is %s there but %s in %s/config.json",
                                                   p.dir.c_str(), p.subjects.c_str(), p0.subjects.c_str(), p0.dir.c_str()),
                                            "merge the shards of one command (the same --subjects)");
    }
    const int n = p0.count;
    if (n < 1 || n > 1000000) fail(strfmt("%s/config.json: field 'shard.count' is %d", p0.dir.c_str(), n));
    std::vector<const part *> by_index(n, nullptr);
    for (const part & p : parts) {
        if (p.index < 0 || p.index >= n) fail(strfmt("%s/config.json: field 'shard.index' is %d, outside 0..%d", p.dir.c_str(), p.index, n - 1));
        if (by_index[p.index]) fail(strfmt("merge: shard %d/%d is given twice: %s and %s", p.index, n, by_index[p.index]->dir.c_str(),
                                           p.dir.c_str()), "give each shard once");
        by_index[p.index] = &p;
    }
    for (int i = 0; i < n; i++) {
        if (!by_index[i]) fail(strfmt("merge: shard %d/%d is missing (%zu of %d shards given)", i, n, parts.size(), n),
                               strfmt("run palign eval ... --shard %d/%d too, then merge all %d folders", i, n, n));
    }

    // the subjects of the range, and which shard holds each
    const std::string inv_name = p0.config.value("inventory", std::string("big5"));
    const inventory_kind kind = inventory_kind_from_name(inv_name, p0.dir + "/config.json: field 'inventory'");
    merge_result res;
    const std::string ddir = data_dir(ddir_flag);
    res.inv = load_inventory(kind, ddir);
    int first = 0, last = 0;
    char tail = 0;
    const bool range_ok = sscanf(p0.subjects.c_str(), "%d:%d%c", &first, &last, &tail) == 2 && first >= 0 && last > first;
    subject_filter keep;   // only the range is kept in memory; every id of the file is known
    keep.first = range_ok ? first : 0;
    keep.last = range_ok ? last : 0;
    const subjects_slice slice = load_subjects_slice(res.inv, subjects_path(res.inv, ddir), keep);
    if (!range_ok || last > slice.n_total) {
        fail(strfmt("%s/config.json: field 'shard.subjects' is '%s', not a range inside 0:%d", p0.dir.c_str(), p0.subjects.c_str(), slice.n_total));
    }
    const std::unordered_map<std::string, int> & index_of = slice.index_of;
    const std::vector<subject> & range = slice.subjects;

    std::vector<std::string> dirs;
    for (const part & p : parts) dirs.push_back(p.dir);
    const std::vector<eval_method> methods = methods_in(dirs);
    if (methods.empty()) fail(strfmt("merge: no results in %s ... (no <method>.jsonl)", p0.dir.c_str()), "run the shards first");
    std::vector<std::pair<eval_method, std::string>> texts;
    for (eval_method m : methods) {
        std::map<int, std::string> by_subject;   // file index -> line
        for (const part * p : by_index) {
            const std::string path = jsonl_path(p->dir, m);
            for (const auto & l : read_checkpoint_lines(path, &res.inv, m)) {
                auto it = index_of.find(l.subject);
                const int idx = it == index_of.end() ? -1 : it->second;
                if (idx < first || idx >= last || idx % n != p->index) {
                    fail(strfmt("%s: subject '%s' is not in shard %d/%d of %s", path.c_str(), l.subject.c_str(), p->index, n,
                                p0.subjects.c_str()), "merge only what palign eval --shard wrote");
                }
                if (by_subject.count(idx)) fail(strfmt("%s: subject '%s' appears twice", path.c_str(), l.subject.c_str()), "remove one line");
                by_subject[idx] = l.text;
            }
        }
        std::string text;
        for (int i = first; i < last; i++) {
            auto it = by_subject.find(i);
            if (it == by_subject.end()) {
                const part * p = by_index[i % n];
                fail(strfmt("merge: method %s: subject '%s' (index %d) is missing from shard %d/%d (%s)", eval_method_name(m),
                            range[i - first].id.c_str(), i, i % n, n, p->dir.c_str()),
                     "finish that shard: rerun its palign eval command (it resumes), then merge again");
            }
            text += it->second + "\n";
        }
        texts.emplace_back(m, std::move(text));
    }

    // everything checked: write the run folder
    run_store store(out_dir, p0.config);
    store.mark_written();
    for (const auto & t : texts) {
        const std::string path = jsonl_path(out_dir, t.first);
        if (file_exists(path) && read_file(path) != t.second) {
            fail(strfmt("%s: already holds other results", path.c_str()), "merge into a new folder");
        }
    }
    for (const auto & t : texts) write_checkpoint(jsonl_path(out_dir, t.first), t.second);
    res.eval.select = select_of(p0.config);
    for (eval_method m : methods) res.summaries.push_back(summarize_method(store, res.inv, range, m, res.eval.select));
    return res;
}

std::vector<method_summary> merge_parts(run_store & store, const std::vector<std::string> & part_dirs, const eval_job & job) {
    const runner_params & p = job.params();
    store.mark_written();
    std::vector<std::string> sources = {store.dir()};
    sources.insert(sources.end(), part_dirs.begin(), part_dirs.end());
    std::vector<std::pair<std::string, std::string>> files;
    for (eval_method m : p.methods) {
        std::map<std::pair<long long, std::string>, std::pair<std::string, std::string>> lines;   // (order, id) -> (text, dir)
        std::map<std::string, long long> order_of;
        long long next_unknown = (long long) INT_MAX;
        for (const auto & dir : sources) {
            for (const auto & l : read_checkpoint_lines(jsonl_path(dir, m))) {
                long long order = job.file_index(l.subject);
                if (order < 0) {
                    auto it = order_of.find(l.subject);
                    order = it != order_of.end() ? it->second : next_unknown++;
                }
                order_of[l.subject] = order;
                auto key = std::make_pair(order, l.subject);
                auto it = lines.find(key);
                if (it != lines.end()) {
                    if (it->second.first != l.text) {
                        fail(strfmt("%s: subject '%s' has two different results (in %s and %s)", jsonl_path(store.dir(), m).c_str(),
                                    l.subject.c_str(), it->second.second.c_str(), dir.c_str()), "remove one of them, then rerun");
                    }
                    continue;
                }
                lines.emplace(key, std::make_pair(l.text, dir));
            }
        }
        std::string text;
        for (const auto & kv : lines) text += kv.second.first + "\n";
        if (!text.empty()) files.emplace_back(jsonl_path(store.dir(), m), std::move(text));
    }
    for (const auto & f : files) write_checkpoint(f.first, f.second);
    std::error_code ec;
    for (const auto & d : part_dirs) fs::remove_all(d, ec);
    fs::remove(store.dir() + "/.ranks", ec);
    std::vector<method_summary> out;
    for (eval_method m : p.methods) out.push_back(summarize_method(store, job.inv(), job.subjects(), m, p.eval.select));
    return out;
}

} // namespace palign
