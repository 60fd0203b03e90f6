// Runner: `palign eval` — several methods over a range of subjects with one model load, progress with ETA,
// a checkpoint per finished subject (resume by rerunning), and the final tables and reports.
// The pieces (eval_job, summarize_method) are shared with the scale-out front ends (dist/: shards, MPI).
#pragma once

#include "eval/protocol.h"
#include "pas/contrast.h"

#include <nlohmann/json.hpp>

#include <map>
#include <unordered_map>
#include <string>
#include <vector>

namespace palign {

class context;
class run_store;
struct stored_result;

struct runner_params {
    std::string out_dir;
    std::vector<eval_method> methods = {eval_method::pas};
    inventory_kind kind = inventory_kind::big5;
    int first = 0, last = 300;          // subjects [first, last) in file order
    int shard = 0, n_shards = 0;        // --shard I/N: only subjects whose file index mod N == I; 0 = not sharded
    std::string data_dir;
    std::string contrast_cache;         // "" = no disk cache for the contrast set
    eval_params eval;
    bool progress = true;               // progress line on stderr
    int stop_after = -1;                // testing: stop (as if interrupted) after this many new subjects
};

struct method_summary {
    eval_method method;
    scores sc;                          // aggregated over the finished subjects of the range
    int n_failed = 0;                   // subjects where the method could not run (reason in the .jsonl)
    std::vector<double> alphas;         // PAS: the chosen alpha per subject
    int n_not_converged = 0;            // PAS: subjects whose final fit has probes that did not converge
    int n_tied_at_cut = 0;              // PAS: subjects whose K-th head ties with heads past it (cut by layer order)
};

// What every unit of a run shares: the inventory, the subjects of the range (this shard's share), the
// personality descriptions, and the contrast set (captured, or read from the cache, on the first PAS unit).
// ctx may be null when every method is a predictor.
class eval_job {
public:
    eval_job(context * ctx, const runner_params & p);   // validates the range and the methods (each once); reads the
                                                        // subjects file keeping only the range's subjects
    eval_job(const eval_job &) = delete;
    eval_job & operator=(const eval_job &) = delete;

    const runner_params & params() const { return p_; }
    const inventory & inv() const { return inv_; }
    const std::vector<subject> & subjects() const { return subjects_; }   // file order
    nlohmann::json config() const;                      // DIR/config.json of this run
    int file_index(const std::string & subject_id) const;   // in the subjects file; -1 if not there

    void prepare(eval_method m);                        // PAS: the contrast set (captured once)
    // one subject, one method; a subject PAS cannot handle (e.g. all answers agree) is recorded, not thrown
    stored_result evaluate(eval_method m, const subject & s);

private:
    context * ctx_;
    runner_params p_;
    inventory inv_;
    std::vector<subject> subjects_;
    std::unordered_map<std::string, int> index_of_;   // every subject id of the file -> its index
    eval_env env_;
    std::map<std::string, std::string> descriptions_;
    contrast_set contrast_;
};

// a run's method list: at least one, each once; else an error naming --method
void check_method_list(const std::vector<eval_method> & methods);

// the report label of a method ("pas (alpha selection: cv)")
std::string method_label(eval_method m, alpha_select select);

// a method's summary over `subjects` from what the store holds (in subject order), and its reports
// DIR/<method>.{json,csv,items.csv} written when `write`
method_summary summarize_method(const run_store & store, const inventory & inv, const std::vector<subject> & subjects,
                                eval_method m, alpha_select select, bool write = true);

// runs (or resumes) and writes DIR/<method>.{json,csv,items.csv}; returns the summaries
// ctx may be null when every method is a predictor
std::vector<method_summary> run_eval(context * ctx, const runner_params & p);

// the table printed at the end (per trait mean error, composite, answer counts, chosen alphas)
std::string summary_table(const inventory & inv, const std::vector<method_summary> & ms, const eval_params & p);

} // namespace palign
