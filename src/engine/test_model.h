// Test models: small random-weight GGUF models (llama with GQA, qwen3 with q/k norms) with a real
// tokenizer and chat template, deterministic from a seed. For tests and benchmarks, never for results.
#pragma once

#include <cstdint>
#include <string>

namespace palign {

struct test_model_params {
    std::string arch = "llama";       // llama | qwen3
    std::string vocab_path;           // a llama.cpp models/ggml-vocab-*.gguf (tokenizer.* is copied)
    std::string chat_template;        // Jinja text stored as tokenizer.chat_template ("" = none)
    std::string name = "palign-test";
    int n_layer   = 2;
    int n_embd    = 64;
    int n_head    = 4;
    int n_head_kv = 2;
    int head_dim  = 0;                // 0 = n_embd / n_head
    int n_ff      = 128;
    int n_ctx     = 4096;
    std::string type = "f32";         // weight type of the matrices: f32, f16, q8_0
    uint64_t seed = 42;
    int row_pool  = 0;                // > 0: matrix rows are copies of this many random rows per width
                                      // (benchmark models of billions of weights in seconds: costs only)
};

// writes the model to `out` (via a temporary file); throws palign::error on bad parameters or I/O
void write_test_model(const test_model_params & p, const std::string & out);

} // namespace palign
