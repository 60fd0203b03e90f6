// CLI options shared by the commands that load a model: model, context and data-dir flags.
#pragma once

#include "engine/context.h"
#include "engine/model.h"
#include "eval/ask.h"
#include "eval/protocol.h"
#include "pas/steer_load.h"

#include <CLI/CLI.hpp>

#include <cmath>
#include <memory>
#include <set>
#include <string>

namespace palign {

struct model_opts {
    model_params   model;
    context_params ctx;
    std::string    data_dir;   // "" = default
    std::string    hf;         // REPO[:QUANT] on Hugging Face
    std::string    hf_endpoint;   // "" = $HF_ENDPOINT, else https://huggingface.co
    bool           no_repack = false;   // --no-repack
    model_params params() const;   // the model to load: --model, or --hf downloaded into the cache
};

struct ask_opts {
    std::string mode = "option";     // option | generate
    std::string rule = "argmax";     // argmax | median (option mode)
    int n_generate   = 15;
    std::string date = "2024-07-26";
    ask_params params() const;       // throws on an unknown mode or rule
};

// PAS fit and alpha search flags shared by eval and align
struct pas_opts {
    std::string alpha_grid = "0,1,2,4,6,8";
    std::string rank       = "val";         // val | mean
    std::string direction  = "mass-mean";   // mass-mean | probe
    int k       = 24;
    int folds   = 5;
    uint64_t seed = 42;
    void apply(eval_params & e) const;      // throws on an unknown value, naming the flag
};

void add_model_options(CLI::App * cmd, model_opts & o, bool model_required = true);

// --protocol palign|reference, --missing skip|reference, --unk-as skip|worst (eval)
struct protocol_opts {
    std::string protocol = "palign";
    std::string missing  = "skip";
    std::string unk_as   = "skip";
};
void add_protocol_options(CLI::App * cmd, protocol_opts & o);
// applies them to e; --protocol reference also sets what the user did not give (not in given: flags_given):
// --answer-mode generate, --rank mean, --alpha-select eval, --missing reference (and always the reference's split by sample)
void apply_protocol_options(const std::set<std::string> & given, const protocol_opts & o, eval_params & e, std::string & alpha_select);

// the long and short names ("--rank", "-o") of every option of cmd given on the command line
std::set<std::string> flags_given(const CLI::App * cmd);

// --hf REPO[:QUANT] and --hf-endpoint URL (for commands with their own model flags)
void add_hf_options(CLI::App * cmd, std::string & hf, std::string & hf_endpoint);

// the model file: --model, or --hf downloaded into the cache; throws when both or neither are given
std::string model_file(const std::string & model, const std::string & hf, const std::string & hf_endpoint);

// --subjects: "FIRST:END" (END excluded, 0 <= FIRST < END <= INT_MAX) or one index; throws naming the flag
void parse_subject_range(const std::string & r, int & first, int & last);
// --shard "I/N" (0 <= I < N <= 100000); throws naming the flag
void parse_shard(const std::string & s, int & index, int & count);
void add_pas_options(CLI::App * cmd, pas_opts & o);
void add_ask_options(CLI::App * cmd, ask_opts & o);


} // namespace palign
