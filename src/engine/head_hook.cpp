// Head hook: capture and steering of per-head attention outputs inside llama.cpp's compute graph.
#include "engine/head_hook.h"

#include "engine/steering.h"
#include "util/error.h"

#include "ggml-backend.h"
#include "ggml.h"

#include <algorithm>
#include <cstring>

namespace palign {

head_hook::head_hook(const model_info & info)
    : info_(info), steer_layer_(info.n_layer, false), row_off_(info.n_layer, 0), seen_(info.n_layer, false),
      probe_(info.n_layer) {}

// a graph tensor's own name: the scheduler names copies on another backend "<backend>#<name>#<copy>"
static std::string base_name(const char * name) {
    std::string s = name;
    const size_t a = s.find('#'), b = s.rfind('#');
    if (a != std::string::npos && b > a) s = s.substr(a + 1, b - a - 1);
    return s;
}

// il of "blk.<il>.attn_output.weight", else -1
static int wo_layer(const std::string & name) {
    static const char pre[] = "blk.", suf[] = ".attn_output.weight";
    if (name.size() <= sizeof(pre) - 1 + sizeof(suf) - 1 || name.compare(0, sizeof(pre) - 1, pre) != 0 ||
        name.compare(name.size() - (sizeof(suf) - 1), sizeof(suf) - 1, suf) != 0) return -1;
    const std::string num = name.substr(sizeof(pre) - 1, name.size() - (sizeof(pre) - 1) - (sizeof(suf) - 1));
    if (num.empty() || num.size() > 6 || num.find_first_not_of("0123456789") != std::string::npos) return -1;
    return std::stoi(num);
}

std::string attention_layout_problem(const model_info & info, const std::vector<layer_probe> & layers) {
    bool any = false;
    for (size_t il = 0; il < layers.size(); il++) {
        const layer_probe & l = layers[il];
        if (!l.kqv) continue;
        any = true;
        if (l.type != GGML_TYPE_F32 || l.width != info.n_embd_v()) {
            return strfmt("layer %zu's attention output (kqv_out) is %s with %lld values per token, not n_head x head_dim = "
                          "%d x %d f32 (head_dim from %s.attention.value_length; multi-head latent attention and per-layer head sizes "
                          "are not supported)", il,
                          l.type >= 0 && l.type < GGML_TYPE_COUNT ? ggml_type_name((ggml_type) l.type) : "?",
                          (long long) l.width, info.n_head, info.head_dim, info.arch.c_str());
        }
        if (!l.wo) return strfmt("layer %zu: no product with blk.%zu.attn_output.weight follows its kqv_out", il, il);
        const std::string kqv = "kqv_out-" + std::to_string(il);
        if (l.wo_input != kqv && l.wo_input != kqv + " (reshaped)") {
            return strfmt("layer %zu's kqv_out reaches the output projection through '%s', not directly, so a delta on "
                          "it is not a bias W_o * delta", il, l.wo_input.c_str());
        }
    }
    if (!any) return "no kqv_out attention tensors in its graph";
    return "";
}

std::vector<float> * head_hook::watched(const ggml_tensor * t) const {
    if (!watch_.empty()) {
        auto it = watch_.find(t->name);
        if (it != watch_.end()) return it->second;
    }
    if (watch_product_.empty() || t->op != GGML_OP_MUL_MAT || !t->src[0]) return nullptr;
    auto it = watch_product_.find(base_name(t->src[0]->name));
    return it == watch_product_.end() ? nullptr : it->second;
}

// probe decode: the shape of each kqv_out, and what the output projection of each layer reads
void head_hook::probe_node(const ggml_tensor * t) {
    bool steered = false;
    const int il = kqv_layer(t->name, steered);
    if (il >= 0 && !steered) {
        probe_[il].kqv   = true;
        probe_[il].width = t->ne[0];
        probe_[il].type  = t->type;
        return;
    }
    if (t->op != GGML_OP_MUL_MAT || !t->src[0] || !t->src[1]) return;
    const int wl = wo_layer(base_name(t->src[0]->name));
    if (wl < 0 || wl >= info_.n_layer || probe_[wl].wo) return;
    probe_[wl].wo = true;
    const std::string in = base_name(t->src[1]->name);
    probe_[wl].wo_input = !in.empty() ? in : std::string("an unnamed ") + ggml_op_desc(t->src[1]);
}

bool head_hook::callback(ggml_tensor * t, bool ask, void * user_data) {
    return static_cast<head_hook *>(user_data)->on_tensor(t, ask);
}

void head_hook::begin(int n_rows, const std::vector<const steering *> * row_steer, const std::vector<float *> * row_capture,
                      const std::vector<bool> * graph_steered) {
    n_rows_      = n_rows;
    graph_steered_ = graph_steered;
    row_steer_   = row_steer && !row_steer->empty() ? row_steer : nullptr;
    row_capture_ = row_capture && !row_capture->empty() ? row_capture : nullptr;
    std::fill(steer_layer_.begin(), steer_layer_.end(), false);
    std::fill(row_off_.begin(), row_off_.end(), 0);
    if (row_steer_) {
        for (const steering * s : *row_steer_) {
            if (!s) continue;
            for (int il = 0; il < info_.n_layer; il++) if (s->active(il)) steer_layer_[il] = true;
        }
    }
    capture_ = false;
    if (row_capture_) for (float * p : *row_capture_) if (p) { capture_ = true; break; }
    err_.clear();
}

void head_hook::end() {
    // every steered or captured layer must have been met for all rows
    if (err_.empty()) {
        for (int il = 0; il < info_.n_layer; il++) {
            if ((steer_layer_[il] || capture_) && seen_[il] && row_off_[il] != n_rows_) {
                err_ = strfmt("layer %d: kqv_out covered %d of %d batch rows", il, row_off_[il], n_rows_);
                break;
            }
            if (steer_layer_[il] && !seen_[il]) {
                err_ = strfmt("layer %d: steering asked, but the graph has no kqv_out-%d tensor", il, il);
                break;
            }
        }
    }
    n_rows_ = 0;
    row_steer_ = nullptr;
    row_capture_ = nullptr;
    graph_steered_ = nullptr;
    if (!err_.empty()) {
        std::string e = err_;
        err_.clear();
        fail(strfmt("%s: head hook: %s", info_.path.c_str(), e.c_str()));
    }
}

void head_hook::watch(const std::string & name, std::vector<float> * out) { watch_[name] = out; }
void head_hook::watch_product(const std::string & weight, std::vector<float> * out) { watch_product_[weight] = out; }
void head_hook::unwatch_all() { watch_.clear(); watch_product_.clear(); }

bool head_hook::any_layer_seen() const {
    for (bool b : seen_) if (b) return true;
    return false;
}

int head_hook::kqv_layer(const char * name, bool & steered) const {
    static const char out[] = "kqv_out-", st[] = "kqv_steer-";
    const char * p = nullptr;
    if (strncmp(name, out, sizeof(out) - 1) == 0)     { p = name + sizeof(out) - 1; steered = false; }
    else if (strncmp(name, st, sizeof(st) - 1) == 0) { p = name + sizeof(st) - 1;  steered = true; }
    else return -1;
    if (*p < '0' || *p > '9') return -1;
    int il = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return -1;   // "kqv_out-12 (reshaped)" and other views are not it
        il = il * 10 + (*p - '0');
    }
    return il < info_.n_layer ? il : -1;
}

// read or write a 2-D f32 tensor's rows, wherever its buffer lives
static void rows_get(const ggml_tensor * t, int r0, int n, float * dst) {
    const size_t row = t->ne[0] * sizeof(float);
    if (t->nb[1] == row) {   // contiguous rows: one copy or one transfer
        ggml_backend_tensor_get(t, dst, (size_t) r0 * row, (size_t) n * row);
    } else if (t->buffer && ggml_backend_buffer_is_host(t->buffer)) {
        for (int r = 0; r < n; r++) memcpy(dst + (size_t) r * t->ne[0], (const char *) t->data + (size_t)(r0 + r) * t->nb[1], row);
    } else {
        for (int r = 0; r < n; r++) ggml_backend_tensor_get(t, dst + (size_t) r * t->ne[0], (size_t)(r0 + r) * t->nb[1], row);
    }
}

bool head_hook::on_tensor(ggml_tensor * t, bool ask) {
    bool steered = false;
    int il = kqv_layer(t->name, steered);
    std::vector<float> * out = watched(t);
    if (ask) {
        if (probing_) probe_node(t);
        if (out) return true;
        if (il < 0) return false;
        // capture reads kqv_steer-<il> where the graph steers the layer itself (what W_o sees), else kqv_out-<il>
        const bool in_graph = graph_steered_ && il < (int) graph_steered_->size() && (*graph_steered_)[il];
        if (steered) return capture_ && in_graph;
        return probing_ || steer_layer_[il] || (capture_ && !in_graph);
    }
    // data phase (only for tensors asked for above): always return true (false would abort the compute)
    if (out && t->type == GGML_TYPE_F32 && t->ne[2] == 1 && t->ne[3] == 1 && ggml_is_contiguous_rows(t)) {
        const size_t old = out->size();   // a watched kqv_out-<il> as computed, before callback steering
        out->resize(old + (size_t) t->ne[0] * t->ne[1]);
        rows_get(t, 0, (int) t->ne[1], out->data() + old);
    } else if (out && err_.empty()) {   // a watch reads 2-D f32 rows; anything else is said, not left empty
        err_ = strfmt("watched tensor '%s' is %s [%lld x %lld x %lld x %lld], not 2-D f32 rows", t->name, ggml_type_name(t->type),
                      (long long) t->ne[0], (long long) t->ne[1], (long long) t->ne[2], (long long) t->ne[3]);
    }
    if (il < 0) return true;
    if (!steered) seen_[il] = true;
    const int64_t n_embd_v = info_.n_embd_v();
    if (t->type != GGML_TYPE_F32 || t->ne[0] != n_embd_v || !ggml_is_contiguous_rows(t)) {
        if (err_.empty()) err_ = strfmt("layer %d: kqv_out is %s [%lld x %lld], expected f32 [%lld x n_tokens]", il,
                                        ggml_type_name(t->type), (long long) t->ne[0], (long long) t->ne[1], (long long) n_embd_v);
        return true;
    }
    const int n  = (int) t->ne[1];
    const int r0 = row_off_[il];
    row_off_[il] += n;
    if (n_rows_ == 0) return true;
    if (r0 + n > n_rows_) {
        if (err_.empty()) err_ = strfmt("layer %d: kqv_out has more rows (%d+%d) than the batch (%d)", il, r0, n, n_rows_);
        return true;
    }
    const bool host = t->buffer && ggml_backend_buffer_is_host(t->buffer);

    if (steer_layer_[il] && row_steer_) {
        std::vector<float> tmp;
        for (int r = 0; r < n; r++) {
            const steering * s = (*row_steer_)[r0 + r];
            if (!s || !s->active(il)) continue;
            const float * d = s->delta[il].data();
            if (host) {
                float * x = (float *) ((char *) t->data + (size_t) r * t->nb[1]);
                for (int64_t i = 0; i < n_embd_v; i++) x[i] += d[i];
            } else {
                tmp.resize(n_embd_v);
                ggml_backend_tensor_get(t, tmp.data(), (size_t) r * t->nb[1], n_embd_v * sizeof(float));
                for (int64_t i = 0; i < n_embd_v; i++) tmp[i] += d[i];
                ggml_backend_tensor_set(t, tmp.data(), (size_t) r * t->nb[1], n_embd_v * sizeof(float));
            }
        }
    }
    if (capture_ && row_capture_) {
        // after steering: what W_o sees; one read of the span of rows that are captured
        int lo = n, hi = -1;
        for (int r = 0; r < n; r++) if ((*row_capture_)[r0 + r]) { lo = std::min(lo, r); hi = r; }
        if (hi >= lo) {
            const float * src = nullptr;
            if (host) {
                src = (const float *) ((const char *) t->data + (size_t) lo * t->nb[1]);
            } else {
                span_.resize((size_t) (hi - lo + 1) * n_embd_v);
                rows_get(t, lo, hi - lo + 1, span_.data());
                src = span_.data();
            }
            const size_t stride = host ? t->nb[1] / sizeof(float) : (size_t) n_embd_v;
            for (int r = lo; r <= hi; r++) {
                float * dst = (*row_capture_)[r0 + r];
                if (dst) memcpy(dst + (size_t) il * n_embd_v, src + (size_t) (r - lo) * stride, n_embd_v * sizeof(float));
            }
        }
    }
    return true;
}

} // namespace palign
