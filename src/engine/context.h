// Context: a llama.cpp context with batched, prefix-sharing prompt evaluation, per-sequence steering
// inside one batch (in llama.cpp's graph when it carries palign's patch, else through the head hook),
// and head capture at each prompt's last token. The eval callback is installed only for decodes that
// need it (capture, or steering on an unpatched llama.cpp).
#pragma once

#include "engine/graph_steer.h"
#include "engine/head_hook.h"
#include "engine/model.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>


namespace palign {

struct steering;

// how steering reaches llama.cpp's graph
enum class steer_path {
    automatic,   // in-graph where llama.cpp has palign's patch, else the callback; $PALIGN_STEER=graph|callback overrides
    graph,       // llama_set_attn_steer (fails without the patch)
    callback,    // the eval callback (head hook): any llama.cpp
};

struct context_params {
    int  n_ctx      = 4096;     // KV cells: shared by all sequences, or split among them without kv_unified
    int  n_batch    = 0;        // tokens per llama_decode; 0 = auto: 2048 with layers on a GPU, else 512
    int  n_ubatch   = 0;        // tokens per compute chunk; 0 = n_batch
    int  n_seq_max  = 64;       // parallel sequences
    int  n_threads  = 0;        // 0 = $PALIGN_THREADS if set, else all cores
    // flash attention: on, off, or auto = on when the model has layers on a GPU, and on the CPU when its kernel
    // carries palign's ggml patch (cpu_flash_attn_f32). Without the patch ggml's CPU kernel rounds Q and its
    // running sum to f16 in batches of under 64 tokens, so the same prompt in another batch shape (prefix
    // shared or not) differs by 1e-2 in the logits; with it, by f32 rounding (bench/README.md: palign-bench-engine)
    std::string flash_attn = "auto";
    // run(): cap a wave's own KV cells near the shared prefix's length (see run()): on, off, or auto = on with
    // layers on a GPU (fastest there), off on the CPU (palign-bench-engine, bench/README.md)
    std::string wave_cap = "auto";
    bool flash_on(const model_info & info) const;   // flash_attn resolved for this model
    bool wave_cap_on(const model_info & info) const;
    // one KV cache shared by all sequences (true), or a stream per sequence of n_ctx / n_seq_max cells
    // (llama.cpp's --no-kv-unified): then every token attends over its own sequence's cells only, where the
    // unified cache makes it attend over all used cells (other sequences' masked), at n_seq_max times the
    // memory for the same depth; run() copies the shared prefix into each stream
    bool kv_unified = true;
    std::string type_k = "f16"; // KV cache types; V must stay unquantized for capture/steering
    std::string type_v = "f16";
    steer_path steer = steer_path::automatic;
};

// one row of a llama_decode: a token of one sequence
struct batch_row {
    int  token  = 0;
    int  pos    = 0;
    int  seq    = 0;
    bool logits = false;
    const steering * steer = nullptr;   // added to kqv_out at this token
    float * capture = nullptr;          // n_layer * n_embd_v floats: every layer's kqv_out at this token
};

struct run_options {
    bool capture_heads = false;         // fill prompt_result::heads
    std::vector<int> logit_ids;         // keep only these logits (empty = full vocabulary)
    bool share_prefix = true;           // decode the common prefix of same-steering prompts once
    int  n_generate   = 0;              // then greedy-generate up to this many tokens per prompt (stops at end of turn)
    std::function<void(size_t)> on_done; // after each wave: how many prompts it finished (progress); none = not called
};

struct prompt_result {
    std::vector<float> logits;          // next-token logits after the prompt (all, or logit_ids order)
    std::vector<float> heads;           // [n_layer][n_head*head_dim] at the last prompt token
    std::vector<int> generated;         // greedy continuation (n_generate > 0), end-of-turn token excluded
    int stop_token = -1;                // the end-of-generation token that ended it (-1: ran to n_generate)
};

class context {
public:
    context(const model & m, const context_params & params = {});
    ~context();
    context(const context &) = delete;
    context & operator=(const context &) = delete;

    const model & mdl() const { return model_; }
    const context_params & params() const { return params_; }
    llama_context * raw() const { return ctx_.get(); }
    head_hook & hook() { return hook_; }
    bool steers_in_graph() const { return gsteer_ != nullptr; }
    const char * steer_path_name() const;        // for palign info and logs
    bool callback_installed() const { return cb_on_; }
    uint64_t table_uploads() const { return gsteer_ ? gsteer_->uploads() : 0; }
    int table_layers() const { return gsteer_ ? gsteer_->layers_tabled() : 0; }   // layers with steering ops in the graph

    // Evaluate each prompt as its own sequence, batched; returns logits after each prompt and,
    // if asked, every head's output at its last token, and a greedy continuation. steer[i] (or nullptr)
    // applies to every token of prompt i and of its continuation.
    std::vector<prompt_result> run(const std::vector<std::vector<int>> & prompts,
                                   const std::vector<const steering *> & steer,
                                   const run_options & opts = {});

    // Low level: decode rows (split into n_batch chunks; without a unified KV cache, into chunks of
    // consecutive sequences with equal row counts, which llama.cpp computes as one ubatch without
    // regrouping them); on_logits(row index, logits) for rows with logits, in chunk order.
    void decode(const std::vector<batch_row> & rows,
                const std::function<void(size_t, const float *)> & on_logits = nullptr);

    // decode tokens into one sequence from pos0; returns logits of every token (all) or of the last
    std::vector<std::vector<float>> decode_seq(const std::vector<int> & tokens, int seq, int pos0,
                                               const steering * steer, bool all_logits);

    void clear();                                 // empty the KV cache
    void seq_rm(int seq, int p0 = -1, int p1 = -1);
    void seq_cp(int src, int dst, int p0 = -1, int p1 = -1);

    uint64_t tokens_computed() const { return n_tokens_; }   // tokens decoded so far (for benchmarks)
    int seq_cells() const { return seq_cells_; }             // KV cells one sequence can use
    uint64_t decodes() const { return n_decodes_; }          // llama_decode calls so far

private:
    const model & model_;
    context_params params_;
    llama_context_ptr ctx_;
    head_hook hook_;
    std::unique_ptr<graph_steer> gsteer_;        // set when steering runs in the graph
    bool cb_on_ = false;                         // the eval callback is installed
    const char * steer_why_ = "";
    uint64_t n_tokens_ = 0;
    uint64_t n_decodes_ = 0;
    int seq_cells_ = 0;

    void set_callback(bool on);
};

} // namespace palign
