// Merge: the parts of one evaluation, run by several processes, into one run folder that is byte for byte
// what a single process writes (config.json, <method>.jsonl in subject order, the reports).
//
//   shards  palign eval --shard I/N -o DIR_I (a job array): each DIR_I's config.json carries
//           "shard": {"index": I, "count": N, "subjects": "FIRST:END"}; merge_shards checks that the configs
//           agree on everything else, that shards 0..N-1 are all there once, and that every subject of the
//           range is in its shard exactly once (subject file index mod N == I).
//   ranks   palign eval --mpi: each rank appends to DIR/.ranks/rank-R; rank 0 merges them into DIR at the end.
#pragma once

#include "eval/runner.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace palign {

class run_store;

struct merge_result {
    inventory inv;
    eval_params eval;                      // the settings the reports need (alpha selection)
    std::vector<method_summary> summaries;
};

// palign merge OUT SHARD...: validates everything before writing; refuses (naming the field, shard, subject)
merge_result merge_shards(const std::string & out_dir, const std::vector<std::string> & shard_dirs, const std::string & data_dir);

// --mpi: the rank folders' results into the run folder `store` holds (same config); a subject found twice with
// the same line is kept once, with different lines is an error. Then the reports of the job's methods.
std::vector<method_summary> merge_parts(run_store & store, const std::vector<std::string> & part_dirs, const eval_job & job);

// the complete lines of a checkpoint file with their subject ids, in file order (a partial last line, from an
// interrupted append, is left out); malformed lines are errors naming file:line; with inv, every line is
// validated as a resume reads it (result_from_json, method m)
struct checkpoint_line {
    std::string subject;
    std::string text;                      // the line as written, without '\n'
};
std::vector<checkpoint_line> read_checkpoint_lines(const std::string & path, const inventory * inv = nullptr,
                                                  eval_method m = eval_method::none);

} // namespace palign
