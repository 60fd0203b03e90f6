// Test models: small random-weight GGUF models of several llama.cpp architectures (llama, qwen2/3, qwen3moe,
// gemma2/3, phi3, mistral3, granite, olmo2; and bitnet, mamba, deepseek2, which palign refuses) with a real
// tokenizer and chat template, deterministic from a seed. For tests and benchmarks, never for results.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace palign {

struct test_model_params {
    std::string arch = "llama";       // one of test_model_archs()
    std::string vocab_path;           // a llama.cpp models/ggml-vocab-*.gguf (tokenizer.* is copied)
    std::string chat_template;        // Jinja text stored as tokenizer.chat_template ("" = none)
    std::string name = "palign-test";
    int n_layer   = 2;
    int n_embd    = 64;
    int n_head    = 4;
    int n_head_kv = 2;
    int head_dim  = 0;                // 0 = n_embd / n_head (deepseek2: the value head size after decompression)
    int n_ff      = 128;
    int n_ctx     = 4096;
    std::string type = "f32";         // weight type of the matrices: f32, f16, q8_0
    uint64_t seed = 42;
    int row_pool  = 0;                // > 0: matrix rows are copies of this many random rows per width
                                      // (benchmark models of billions of weights in seconds: costs only)
    int n_expert      = 0;            // qwen3moe: experts per layer, n_expert_used of them routed per token
    int n_expert_used = 0;
    int n_ff_exp      = 0;            // expert feed-forward width (0 = n_ff / n_expert_used)
    int n_swa         = 0;            // gemma2/gemma3/olmo2: sliding window in tokens (0 = none; gemma2: 4096)
    int swa_pattern   = 0;            // every swa_pattern-th layer attends fully, the others in the window (0 = arch default)
};

// the architectures write_test_model knows (general.architecture values)
const std::vector<std::string> & test_model_archs();

// writes the model to `out` (via a temporary file); throws palign::error on bad parameters or I/O
void write_test_model(const test_model_params & p, const std::string & out);

} // namespace palign
