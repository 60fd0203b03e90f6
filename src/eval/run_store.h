// Run store: an evaluation's output directory — its settings, one JSON line per finished subject and method
// (appended whole, so an interrupted run resumes where it stopped), and the final reports.
//
//   DIR/config.json          the settings; a rerun with other settings is refused (which field differs)
//   DIR/<method>.jsonl       one line per finished subject: its answers (with option probabilities), its
//                            subject answers, and for PAS the chosen alpha, the alpha curve and the steering
//   DIR/<method>.json/.csv/.items.csv   final reports (eval/report.h), written when the run ends
#pragma once

#include "eval/protocol.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace palign {

struct stored_result {
    subject_result result;
    std::string error;        // non-empty: the method could not run for this subject (e.g. PAS without both classes)
};

class run_store {
public:
    // creates DIR if needed; checks or writes DIR/config.json. If the store is destroyed by an exception before
    // anything was appended (or marked written), the config.json and the folders it created are removed again:
    // a refused run leaves nothing behind.
    // One writer per folder: DIR/.lock holds the writer's pid (a second palign eval on DIR is refused, naming
    // it; a lock whose process is gone is stale and replaced); removed when the store is destroyed.
    run_store(const std::string & dir, const nlohmann::json & config);
    ~run_store();
    run_store(const run_store &) = delete;
    run_store & operator=(const run_store &) = delete;

    const std::string & dir() const { return dir_; }
    const score_rules & rules() const { return rules_; }   // from the config: "missing", "unk_as"

    // finished subjects of a method (a trailing partial line from a crash is dropped); every line is validated
    // (result_from_json, its method, each subject once), an error names file:line and the field
    std::vector<stored_result> load(const inventory & inv, eval_method m) const;
    std::set<std::string> done(eval_method m) const;

    // append one subject's result as a single line (one write, then fsync)
    void append(const inventory & inv, const subject & s, const stored_result & r);

    // results are in the folder (merged, or reports about to be written): kept even if an error follows
    void mark_written() { wrote_ = true; }

private:
    std::string path(eval_method m) const;
    void take_lock();
    void remove_stale_temps() const;
    void check_config(const nlohmann::json & config);   // checks or writes DIR/config.json
    std::string dir_;
    std::string lock_;
    score_rules rules_;
    std::string fresh_;      // the outermost folder this store created ("" if DIR existed)
    bool wrote_ = false;
    bool wrote_config_ = false;   // this store wrote DIR/config.json (removed again by a refused run)
    int uncaught_ = 0;       // std::uncaught_exceptions() when constructed
};

// the scoring rules a run's config asks for ("missing": "reference", "unk_as": "worst"; absent = palign's defaults)
score_rules score_rules_of(const nlohmann::json & config);

// Calls fn(line number, parsed line) for every complete line of a JSON-lines checkpoint file (none if the
// file is absent); a malformed complete line is an error naming file:line. A partial last line (an
// interrupted append) is skipped, and with drop_partial cut off the file so that the next append starts clean.
void read_jsonl(const std::string & path, const std::function<void(int, const nlohmann::json &)> & fn, bool drop_partial = false);

// the same with each line's text as written (without '\n')
void read_jsonl_lines(const std::string & path, const std::function<void(int, const std::string &, const nlohmann::json &)> & fn,
                      bool drop_partial = false);

nlohmann::json result_to_json(const inventory & inv, const subject & s, const stored_result & r);
// one checkpoint line; every field's type and range is checked (answers 0..5, probabilities in 0..1 summing to
// 1, known item ids and rules, a finite PAS alpha, accuracies in 0..1, ...): an error is
// "<where>: field '<path>': <problem>; HINT: remove the line ..." (where = "<file>:<line>")
stored_result result_from_json(const inventory & inv, const nlohmann::json & j, const std::string & where,
                               const score_rules & rules = {});

} // namespace palign
