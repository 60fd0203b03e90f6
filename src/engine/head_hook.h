// Head hook: the graph eval callback that reads (capture) llama.cpp's per-head attention outputs, and changes
// them (steer) where llama.cpp has no in-graph steering (see graph_steer.h).
#pragma once

#include "engine/model.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

struct ggml_tensor;

namespace palign {

struct steering;

// What the probe decode saw of one layer's attention output: palign steers and captures kqv_out-<il> as
// n_head heads of head_dim values that the output projection (blk.<il>.attn_output.weight) reads as they are.
struct layer_probe {
    bool kqv = false;            // the graph has kqv_out-<il>
    int64_t width = 0;           // its values per token
    int type = -1;               // its ggml_type
    bool wo = false;             // a product with blk.<il>.attn_output.weight was met
    std::string wo_input;        // that product's input: "kqv_out-<il>" when it reads kqv_out directly
};

// "" when the layers fit palign's steering (some layer has kqv_out; each such layer has n_head * head_dim
// f32 values per token that attn_output reads directly), else the first reason why not, as one phrase
std::string attention_layout_problem(const model_info & info, const std::vector<layer_probe> & layers);

// kqv_out-<il> is the attention result before the output projection: [n_head*head_dim, n_tokens] f32,
// head h at columns [h*head_dim, (h+1)*head_dim); kqv_steer-<il> is the same after in-graph steering
// (patched llama.cpp with steering tables set). A decode larger than n_ubatch reaches the callback
// in chunks of rows, in batch order (the KV cache is unified, so rows are never regrouped).
// Capture copies the rows it needs with one transfer per layer per chunk.
class head_hook {
public:
    explicit head_hook(const model_info & info);

    // the function and user data for llama_context_params.cb_eval
    static bool callback(ggml_tensor * t, bool ask, void * user_data);

    // plan for the next llama_decode of n_rows tokens:
    //   row_steer[i]   steering of batch row i (nullptr = none); may be empty (no steering)
    //   row_capture[i] where to write row i's kqv_out of every layer (n_layer * n_embd_v floats), or nullptr
    //   graph_steered[il]: the graph adds steering to layer il itself, so capture reads its kqv_steer-<il>,
    //   else kqv_out-<il> (nullptr: no layer is steered in the graph)
    void begin(int n_rows, const std::vector<const steering *> * row_steer, const std::vector<float *> * row_capture,
               const std::vector<bool> * graph_steered = nullptr);
    void end();    // throws if the callback saw something wrong during the decode

    // tests and diagnostics: copy every row of an arbitrary named graph tensor (e.g. "ffn_inp-3"; a kqv_out-<il>
    // as computed, before callback steering), appended per decode as [n_rows][ne0]
    void watch(const std::string & name, std::vector<float> * out);
    // the same for the matrix product with a weight (e.g. "blk.0.attn_output.weight": W_o's output, before
    // any bias, norm or residual), whatever llama.cpp named the product
    void watch_product(const std::string & weight, std::vector<float> * out);
    void unwatch_all();

    // probe decode: ask for every kqv_out so that layers_seen() tells which layers have one
    void set_probing(bool on) { probing_ = on; }

    const std::vector<bool> & layers_seen() const { return seen_; }   // kqv_out layers met so far
    bool any_layer_seen() const;
    const std::vector<layer_probe> & probe() const { return probe_; }   // filled by the probe decode
    bool watching() const { return !watch_.empty() || !watch_product_.empty(); }

private:
    bool on_tensor(ggml_tensor * t, bool ask);
    int  kqv_layer(const char * name, bool & steered) const;   // il of an exact "kqv_out-<il>" / "kqv_steer-<il>", else -1

    model_info info_;
    int n_rows_ = 0;
    const std::vector<const steering *> * row_steer_   = nullptr;
    const std::vector<float *>          * row_capture_ = nullptr;
    std::vector<bool> steer_layer_;            // some row steers this layer in the current decode
    bool capture_ = false;
    const std::vector<bool> * graph_steered_ = nullptr;   // [layer], or nullptr
    std::vector<float> span_;                  // rows read for capture
    bool probing_ = false;
    std::vector<int> row_off_;                 // rows of this decode already seen, per layer
    std::vector<bool> seen_;
    std::vector<layer_probe> probe_;
    std::map<std::string, std::vector<float> *> watch_;
    std::map<std::string, std::vector<float> *> watch_product_;
    std::string err_;

    void probe_node(const ggml_tensor * t);
    std::vector<float> * watched(const ggml_tensor * t) const;   // where a watched tensor's rows go, else nullptr
};

} // namespace palign
