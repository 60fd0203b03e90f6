// Test model presets: shapes, vocabularies and templates of palign's generated models.
#include "engine/test_model_presets.h"

#include "util/error.h"
#include "util/paths.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

namespace palign {

const std::vector<test_model_preset> & test_model_presets() {
    static const std::vector<test_model_preset> p = {
        {"llama3",     "llama arch, GQA 4q/2kv heads of 16, llama-bpe vocab, Llama-3.2 template"},
        {"llama2",     "llama arch, GQA 4q/2kv heads of 16, llama-spm vocab, Llama-2 [INST] template"},
        {"mistral",    "llama arch, GQA 4q/2kv heads of 16, llama-spm vocab, Mistral-7B-Instruct template"},
        {"qwen3",      "qwen3 arch, q/k norms, 4q/2kv heads of 32 (head_dim != n_embd/n_head), qwen2 vocab, Qwen3 template"},
        // architecture matrix (tests/test_arch.cpp): 2 layers, n_embd 64, 4q/2kv heads
        {"qwen2",      "qwen2 arch, q/k/v biases, 4q/2kv heads of 16, qwen2 vocab, Qwen3 (ChatML) template"},
        {"qwen3moe",   "qwen3moe arch, q/k norms, 4 experts (2 routed, ffn 32 each), 4q/2kv heads of 32, qwen2 vocab, Qwen3 template"},
        {"gemma2",     "gemma2 arch, post-attention/ffn norms, soft-capping, sliding window 4 on every other layer, "
                       "4q/2kv heads of 16, llama-spm vocab, Llama-2 template"},
        {"gemma3",     "gemma3 arch, q/k norms, post norms, sliding window 4 on every other layer, 4q/2kv heads of 32, "
                       "llama-spm vocab, Llama-2 template"},
        {"phi3",       "phi3 arch, fused qkv and gate/up projections, 4q/2kv heads of 16, llama-spm vocab, Llama-2 template"},
        {"mistral3",   "mistral3 arch (Ministral 3 / Mistral Small 3.x text), 4q/2kv heads of 32, llama-bpe vocab, Mistral template"},
        {"granite",    "granite arch, embedding/residual/attention/logit multipliers, 4q/2kv heads of 16, llama-bpe vocab, "
                       "Llama-3.2 template"},
        {"olmo2",      "olmo2 arch, no pre-norms, q/k norms over all heads, post norms, untied output, 4q/2kv heads of 16, "
                       "llama-bpe vocab, Llama-3.2 template"},
        // architectures palign refuses (tests/test_arch.cpp shows the message)
        {"bitnet",     "bitnet arch (BitNet b1.58, f32 weights): a norm between attention and W_o; palign refuses it"},
        {"mamba",      "mamba arch (state space, no attention); palign refuses it"},
        {"deepseek2",  "deepseek2 arch with multi-head latent attention (MQA form, kv_lora 32, heads of 16); palign refuses it"},
        {"qwen3-0.6b", "qwen3 arch shaped like Qwen3-0.6B: 28 layers, n_embd 1024, 16q/8kv heads of 128, ffn 3072, Q8_0 (benchmarks)"},
        {"llama3-8b",  "llama arch shaped like Llama-3-8B: 32 layers, n_embd 4096, 32q/8kv heads of 128, ffn 14336, Q8_0, "
                       "matrix rows from a pool (benchmarks: costs only)"},
    };
    return p;
}

test_model_params test_model_preset_params(const std::string & name, const std::string & vdir, const std::string & ddir) {
    test_model_params p;
    std::string vocab, tmpl;
    if (name == "llama3")       { p.arch = "llama"; vocab = "llama-bpe"; tmpl = "llama3"; }
    else if (name == "llama2")  { p.arch = "llama"; vocab = "llama-spm"; tmpl = "llama2"; }
    else if (name == "mistral") { p.arch = "llama"; vocab = "llama-spm"; tmpl = "mistral"; }
    else if (name == "qwen3")   { p.arch = "qwen3"; vocab = "qwen2";     tmpl = "qwen3"; p.head_dim = 32; }
    else if (name == "qwen2")    { p.arch = "qwen2";    vocab = "qwen2";     tmpl = "qwen3"; }
    else if (name == "qwen3moe") {
        p.arch = "qwen3moe"; vocab = "qwen2"; tmpl = "qwen3"; p.head_dim = 32;
        p.n_expert = 4; p.n_expert_used = 2; p.n_ff_exp = 32;
    }
    else if (name == "gemma2")   { p.arch = "gemma2";   vocab = "llama-spm"; tmpl = "llama2"; p.n_swa = 4; p.swa_pattern = 2; }
    else if (name == "gemma3")   { p.arch = "gemma3";   vocab = "llama-spm"; tmpl = "llama2"; p.head_dim = 32; p.n_swa = 4; p.swa_pattern = 2; }
    else if (name == "phi3")     { p.arch = "phi3";     vocab = "llama-spm";     tmpl = "llama2"; }
    else if (name == "mistral3") { p.arch = "mistral3"; vocab = "llama-bpe"; tmpl = "mistral"; p.head_dim = 32; }
    else if (name == "granite")  { p.arch = "granite";  vocab = "llama-bpe"; tmpl = "llama3"; }
    else if (name == "olmo2")    { p.arch = "olmo2";    vocab = "llama-bpe"; tmpl = "llama3"; }
    else if (name == "bitnet")   { p.arch = "bitnet";   vocab = "llama-spm"; tmpl = "llama2"; }
    else if (name == "mamba")    { p.arch = "mamba";    vocab = "llama-spm"; tmpl = ""; }
    else if (name == "deepseek2") { p.arch = "deepseek2"; vocab = "llama-spm"; tmpl = "llama2"; p.n_head_kv = 1; }
    else if (name == "qwen3-0.6b") {
        p.arch = "qwen3"; vocab = "qwen2"; tmpl = "qwen3";
        p.n_layer = 28; p.n_embd = 1024; p.n_head = 16; p.n_head_kv = 8; p.head_dim = 128; p.n_ff = 3072;
        p.type = "q8_0"; p.n_ctx = 40960;
    } else if (name == "llama3-8b") {
        p.arch = "llama"; vocab = "llama-bpe"; tmpl = "llama3";
        p.n_layer = 32; p.n_embd = 4096; p.n_head = 32; p.n_head_kv = 8; p.head_dim = 128; p.n_ff = 14336;
        p.type = "q8_0"; p.n_ctx = 8192; p.row_pool = 4096;
    } else {
        std::string names;
        for (const auto & x : test_model_presets()) names += std::string(names.empty() ? "" : ", ") + x.name;
        fail(strfmt("unknown test model preset '%s'", name.c_str()), "one of: " + names);
    }
    p.name = "palign-test-" + name;
    // llama.cpp gives a model named "*phi3*" Phi-3's special-token attributes, which need Phi-3's own vocabulary
    if (name == "phi3") p.name = "palign-test-phi";
    p.vocab_path = vdir + "/ggml-vocab-" + vocab + ".gguf";
    if (!file_exists(p.vocab_path)) {
        fail(strfmt("%s: vocabulary not found", p.vocab_path.c_str()),
             "set PALIGN_VOCAB_DIR to llama.cpp's models/ directory");
    }
    if (!tmpl.empty()) p.chat_template = read_file(ddir + "/templates/" + tmpl + ".jinja");
    return p;
}

std::string test_model_cached(const std::string & preset, const std::string & dir, const std::string & data_dir) {
    const std::string path = dir + "/" + preset + "-s42.gguf";
    if (file_exists(path)) return path;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) fail(strfmt("%s: cannot create the folder (%s)", dir.c_str(), ec.message().c_str()));
    fprintf(stderr, "writing the benchmark model %s (once) ...\n", path.c_str());
    const auto t0 = std::chrono::steady_clock::now();
    write_test_model(test_model_preset_params(preset, vocab_dir(), data_dir), path);
    fprintf(stderr, "  done in %.1f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return path;
}

} // namespace palign
