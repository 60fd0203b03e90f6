// Graph steering: per-sequence head deltas added inside llama.cpp's compute graph, through the patched
// llama.cpp's llama_set_attn_steer (patches/llama-attn-steer.patch): no eval callback, no host round trip,
// any backend. Without the patch (an installed or user-built llama.cpp) it is unavailable and the context
// steers through the head hook (the eval callback) instead.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

struct llama_context;

namespace palign {

struct model_info;
struct steering;

// true when palign was built against a llama.cpp that carries the patch
bool graph_steer_available();

class graph_steer {
public:
    // layers: the layers whose graph has an attention output (kqv_out); only those get a table
    graph_steer(llama_context * ctx, const model_info & info, const std::vector<bool> & layers);

    // Make the tables hold every steering of the next decode and point each sequence at its own:
    // seq_steer = (sequence id, steering or nullptr) for each sequence of the decode. Tables are uploaded
    // only when their contents change; their shape (and so llama.cpp's graph) only grows.
    void prepare(const std::vector<std::pair<int, const steering *>> & seq_steer);

    bool tables_set() const { return cap_ > 0; }   // the graph has steering ops (kqv_steer-<il> tensors)
    int layers_tabled() const { return (int) std::count(tabled_.begin(), tabled_.end(), true); }   // layers with steering ops
    const std::vector<bool> & tabled() const { return tabled_; }   // [layer]: has a table
    uint64_t uploads() const { return uploads_; }  // table uploads so far (tests, diagnostics)

private:
    void upload(int cap);

    llama_context * ctx_;
    int n_layer_ = 0;
    int n_embd_v_ = 0;
    std::vector<int> layers_;                     // steerable layers, in order
    int cap_ = 0;                                 // profiles in llama.cpp's tables
    std::vector<bool> tabled_;                    // [layer]: has a table (some profile steered it; only grows)
    // contents of profile k+1: the steering's per-layer deltas (empty = not steered there, or a free slot);
    // compared with a decode's steerings as they are, without copying them (prepare runs on every decode)
    std::vector<std::vector<std::vector<float>>> slots_;
    uint64_t uploads_ = 0;
};

} // namespace palign
