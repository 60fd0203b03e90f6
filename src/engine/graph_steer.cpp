// Graph steering: profile tables in llama.cpp's graph (patched llama.cpp), one per steering in a decode.
#include "engine/graph_steer.h"

#include "engine/model.h"
#include "engine/steering.h"
#include "util/error.h"

#include "engine/steer_api.h"   // llama.h, and PALIGN_GRAPH_STEER with the patch

#include <algorithm>
#include <cstring>

namespace palign {

#ifdef PALIGN_GRAPH_STEER
bool graph_steer_available() { return true; }
#else
bool graph_steer_available() { return false; }
#endif

graph_steer::graph_steer(llama_context * ctx, const model_info & info, const std::vector<bool> & layers)
    : ctx_(ctx), n_layer_(info.n_layer), n_embd_v_((int) info.n_embd_v()), tabled_(info.n_layer, false) {
    for (int il = 0; il < (int) layers.size() && il < n_layer_; il++) if (layers[il]) layers_.push_back(il);
}

void graph_steer::upload(int cap) {
#ifdef PALIGN_GRAPH_STEER
    // a table only for the layers some profile steers (a layer without one has no steering ops in the graph);
    // that set only grows, as cap does, so that profiles coming and going rarely change the graph's shape
    for (size_t p = 0; p < slots_.size() && (int) p < cap; p++) {
        for (int il : layers_) if (il < (int) slots_[p].size() && !slots_[p][il].empty()) tabled_[il] = true;
    }
    // data[il] -> cap profiles of n_embd_v floats
    std::vector<std::vector<float>> per_layer(n_layer_);
    std::vector<const float *> data(n_layer_, nullptr);
    int n_tabled = 0;
    for (int il : layers_) {
        if (!tabled_[il]) continue;
        per_layer[il].assign((size_t) cap * n_embd_v_, 0.0f);
        for (size_t p = 0; p < slots_.size() && (int) p < cap; p++) {
            if (il >= (int) slots_[p].size() || slots_[p][il].empty()) continue;   // zeros
            std::copy(slots_[p][il].begin(), slots_[p][il].end(), per_layer[il].begin() + p * (size_t) n_embd_v_);
        }
        data[il] = per_layer[il].data();
        n_tabled++;
    }
    if (llama_set_attn_steer(ctx_, data.data(), n_layer_, n_embd_v_, cap) != 0) {
        fail(strfmt("graph steering: llama_set_attn_steer refused %d layers x %d profiles of %d values", n_tabled, cap, n_embd_v_),
             "run with PALIGN_STEER=callback to steer through the eval callback instead");
    }
    cap_ = cap;
    uploads_++;
#else
    (void) cap;
    fail("graph steering: palign was built against a llama.cpp without llama_set_attn_steer");
#endif
}

void graph_steer::prepare(const std::vector<std::pair<int, const steering *>> & seq_steer) {
#ifdef PALIGN_GRAPH_STEER
    // the distinct steerings of this decode (by pointer; their contents are compared with the slots below)
    std::vector<const steering *> want;
    std::vector<int> seq_profile(seq_steer.size(), 0);
    for (size_t i = 0; i < seq_steer.size(); i++) {
        const steering * s = seq_steer[i].second;
        if (!s || s->empty()) continue;
        size_t k = std::find(want.begin(), want.end(), s) - want.begin();
        if (k == want.size()) {
            for (int il = 0; il < n_layer_ && il < (int) s->delta.size(); il++) {
                if (s->active(il) && std::find(layers_.begin(), layers_.end(), il) == layers_.end()) {
                    fail(strfmt("steering: layer %d has no attention output (kqv_out) in this model's graph", il));
                }
            }
            want.push_back(s);
        }
        seq_profile[i] = (int) k + 1;   // index into want, fixed below to a slot
    }
    if (want.empty() && cap_ == 0) return;   // nothing steered, no tables: the graph has no steering ops

    // a slot per wanted steering: one that already holds it, else one no other wanted steering uses
    std::vector<int> slot_of(want.size(), -1);
    std::vector<bool> used(slots_.size(), false);
    for (size_t k = 0; k < want.size(); k++) {
        for (size_t p = 0; p < slots_.size(); p++) {
            if (!used[p] && slots_[p] == want[k]->delta) { slot_of[k] = (int) p; used[p] = true; break; }
        }
    }
    bool changed = false;
    for (size_t k = 0; k < want.size(); k++) {
        if (slot_of[k] >= 0) continue;
        size_t p = 0;
        while (p < slots_.size() && used[p]) p++;
        if (p == slots_.size()) { slots_.emplace_back(); used.push_back(false); }
        slots_[p] = want[k]->delta;
        used[p] = true;
        slot_of[k] = (int) p;
        changed = true;
    }
    if ((int) slots_.size() > cap_) {
        int cap = std::max(cap_, 2);
        while (cap < (int) slots_.size()) cap *= 2;   // grow geometrically: each new shape rebuilds llama.cpp's graph
        slots_.resize(cap);
        upload(cap);
    } else if (changed) {
        upload(cap_);
    }
    for (size_t i = 0; i < seq_steer.size(); i++) {
        const int prof = seq_profile[i] == 0 ? 0 : slot_of[seq_profile[i] - 1] + 1;
        if (llama_set_attn_steer_seq(ctx_, seq_steer[i].first, prof) != 0) {
            fail(strfmt("graph steering: sequence %d: cannot select profile %d", seq_steer[i].first, prof));
        }
    }
#else
    (void) seq_steer;
    fail("graph steering: palign was built against a llama.cpp without llama_set_attn_steer");
#endif
}

} // namespace palign
