// Bake: attn_output biases from a steering, written into a copy of the model.
#include "pas/bake.h"

#include "engine/gguf_util.h"
#include "util/error.h"

#include <algorithm>
#include <iterator>

namespace palign {

// llama.cpp v0.4.0 architectures whose loader reads blk.N.attn_output.bias (optional or required) and whose graph
// adds it after W_o (src/models/*.cpp: create_tensor(LLM_TENSOR_ATTN_OUT, "bias") and wo_b passed to build_attn).
// Not here although their loader reads it: ernie4_5, falcon-h1, llada, refact (the graph ignores the bias), and
// the encoders (bert & co.). tests/test_arch.cpp checks this list against the loader for the matrix architectures.
static const char * k_bias_archs[] = {
    "llama", "mistral3", "granite", "granitemoe", "granite_swa", "granitehybrid", "minicpm", "deci", "phi2", "phimoe",
    "starcoder", "starcoder2", "gpt2", "gptneox", "mpt", "bloom", "codeshell", "apertus", "nemotron", "nemotron_h",
    "nemotron_h_moe", "jais", "jais2", "gpt-oss",
};

bool bake_supported(const std::string & arch) {
    return std::find_if(std::begin(k_bias_archs), std::end(k_bias_archs), [&](const char * a) { return arch == a; }) != std::end(k_bias_archs);
}

size_t bake_steering(const std::string & model_path, const model_info & info, const steering & st, const std::string & out,
                     const std::map<std::string, std::string> & meta) {
    if (!bake_supported(info.arch)) {
        fail(strfmt("%s: architecture '%s': llama.cpp's loader for it does not read blk.N.attn_output.bias, so a baked "
                    "steering would be ignored", model_path.c_str(), info.arch.c_str()),
             "steer it at run time instead: palign chat -s STEER.gguf, or palign serve --profiles DIR (any architecture palign supports)");
    }
    std::vector<std::string> names;
    for (int il = 0; il < info.n_layer; il++) {
        if (!st.active(il)) continue;
        names.push_back("blk." + std::to_string(il) + ".attn_output.weight");
        names.push_back("blk." + std::to_string(il) + ".attn_output.bias");
    }
    auto w = gguf_read_tensors(model_path, names);
    std::vector<gguf_tensor_f32> bias;
    for (int il = 0; il < info.n_layer; il++) {
        if (!st.active(il)) continue;
        const std::string b = "blk." + std::to_string(il) + ".attn_output.bias";
        auto wo = w.find("blk." + std::to_string(il) + ".attn_output.weight");
        if (wo == w.end()) fail(strfmt("%s: tensor 'blk.%d.attn_output.weight' not found", model_path.c_str(), il));
        std::vector<float> add = matvec(wo->second, st.delta[il]);   // W_o * delta
        auto old = w.find(b);
        if (old != w.end()) for (size_t i = 0; i < add.size(); i++) add[i] += old->second.data[i];   // adds to an existing bias
        bias.push_back({b, {(int64_t) add.size()}, add});
    }
    gguf_copy_with(model_path, out, bias, meta);
    return bias.size();
}

} // namespace palign
