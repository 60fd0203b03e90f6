// Steering: per-(layer, head) vectors added to the attention output before the output projection.
#pragma once

#include <vector>

namespace palign {

struct model_info;

// Dense per-layer deltas over kqv_out (n_head * head_dim floats per token); empty layer = not steered.
// Adding delta to head h's output at every token equals a bias W_o * delta on the output projection.
struct steering {
    int n_layer  = 0;
    int n_head   = 0;
    int head_dim = 0;
    std::vector<std::vector<float>> delta;   // [layer] -> n_head*head_dim, or empty

    steering() = default;
    steering(int n_layer, int n_head, int head_dim);
    explicit steering(const model_info & info);

    // delta[layer][head*head_dim + i] += scale * v[i]
    void add_head(int layer, int head, const float * v, float scale = 1.0f);
    bool empty() const;
    bool active(int layer) const { return layer >= 0 && layer < (int) delta.size() && !delta[layer].empty(); }
    // throws unless the geometry matches the model (message names the differing field)
    void check(const model_info & info) const;
};

} // namespace palign
