// Model: loads a GGUF through libllama and reads the attention geometry PAS needs (layers, heads, head size).
#pragma once

#include "llama-cpp.h"   // llama.cpp's smart pointers (engine headers are the only ones that see llama.cpp)

#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct common_chat_templates;

namespace palign {

struct model_params {
    std::string path;
    int  n_gpu_layers = 0;      // layers offloaded to a GPU backend (-1 = all); 0 = CPU only
    bool use_mmap     = true;
    int  main_gpu     = -1;     // >= 0: the whole model on this GPU (one rank per GPU under MPI); -1 = llama.cpp's split
    bool repack       = true;   // llama.cpp's extra CPU weight layouts (AMX, AVX2 repacks); --no-repack turns them off
    std::string rpc {};         // llama.cpp RPC servers "HOST:PORT,..." (rpc-server): their devices take offloaded layers
};

struct model_info {
    std::string path;
    std::string arch;            // general.architecture
    std::string desc;            // llama_model_desc, e.g. "qwen3 0.6B Q8_0"
    int n_layer   = 0;
    int n_head    = 0;           // query heads (the heads PAS probes and steers)
    int n_head_kv = 0;
    int head_dim  = 0;           // <arch>.attention.value_length, never assumed n_embd/n_head
    int n_embd    = 0;
    int n_vocab   = 0;
    int n_ctx_train = 0;
    int n_gpu_layers = 0;        // as loaded (-1 = all)

    int n_embd_v() const { return n_head * head_dim; }  // width of kqv_out per token
};

class model {
public:
    explicit model(const model_params & params);   // throws palign::error "<path>: <reason>"
    ~model();
    model(const model &) = delete;
    model & operator=(const model &) = delete;

    const model_info & info() const { return info_; }
    llama_model * raw() const { return model_.get(); }
    const llama_vocab * vocab() const;

    // metadata value as string ("" if absent)
    std::string meta(const std::string & key) const;

    // tokenization (parse_special: control tokens written in the text become tokens)
    std::vector<int> tokenize(const std::string & text, bool add_special, bool parse_special = true) const;
    std::string token_to_piece(int token, bool special = true) const;
    std::string detokenize(const std::vector<int> & tokens, bool special = true) const;
    bool is_eog(int token) const;
    int bos() const;                 // the BOS token id, -1 if the vocabulary has none

    const common_chat_templates * chat_templates() const;   // lazily created; throws if the model has none

private:
    model_params params_;
    model_info info_;
    llama_model_ptr model_;
    mutable std::shared_ptr<common_chat_templates> tmpls_;
    mutable std::mutex tmpls_mu_;
};

// one-time llama.cpp backend init (idempotent)
void backend_init();

// this llama.cpp build has the RPC backend (--rpc)
bool rpc_supported();

// GPU devices of this llama.cpp build on this machine (0 on a CPU-only build)
int gpu_device_count();

// the CPU backend carries palign's ggml patch (patches/ggml-cpu-fa-f32.patch, feature FA_F32_ACC): its flash
// attention reads an f16 K and V cache (palign's default) in f32 in every path, so a prompt's result does not
// depend on the batch shape
bool cpu_flash_attn_f32();

// register llama.cpp RPC servers ("HOST:PORT,..."; each once per process); throws naming a bad endpoint
void add_rpc_servers(const std::string & servers);

} // namespace palign
