// Steering: dense per-layer head deltas and their geometry checks.
#include "engine/steering.h"

#include "engine/model.h"
#include "util/error.h"

namespace palign {

steering::steering(int n_layer_, int n_head_, int head_dim_)
    : n_layer(n_layer_), n_head(n_head_), head_dim(head_dim_), delta(n_layer_) {}

steering::steering(const model_info & info) : steering(info.n_layer, info.n_head, info.head_dim) {}

void steering::add_head(int layer, int head, const float * v, float scale) {
    if (layer < 0 || layer >= n_layer) fail(strfmt("steering: layer %d out of range [0, %d)", layer, n_layer));
    if (head < 0 || head >= n_head)    fail(strfmt("steering: layer %d head %d out of range [0, %d)", layer, head, n_head));
    auto & d = delta[layer];
    if (d.empty()) d.assign((size_t) n_head * head_dim, 0.0f);
    float * dst = d.data() + (size_t) head * head_dim;
    for (int i = 0; i < head_dim; i++) dst[i] += scale * v[i];
}

bool steering::empty() const {
    for (const auto & d : delta) if (!d.empty()) return false;
    return true;
}

void steering::check(const model_info & info) const {
    if (n_layer != info.n_layer) fail(strfmt("steering: n_layer %d != model's %d", n_layer, info.n_layer));
    if (n_head != info.n_head)   fail(strfmt("steering: n_head %d != model's %d", n_head, info.n_head));
    if (head_dim != info.head_dim) fail(strfmt("steering: head_dim %d != model's %d", head_dim, info.head_dim));
}

} // namespace palign
