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
    : info_(info), steer_layer_(info.n_layer, false), row_off_(info.n_layer, 0), seen_(info.n_layer, false) {}

bool head_hook::callback(ggml_tensor * t, bool ask, void * user_data) {
    return static_cast<head_hook *>(user_data)->on_tensor(t, ask);
}

void head_hook::begin(int n_rows, const std::vector<const steering *> * row_steer, const std::vector<float *> * row_capture,
                      bool after_graph_steer) {
    n_rows_      = n_rows;
    after_graph_steer_ = after_graph_steer;
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
    if (!err_.empty()) {
        std::string e = err_;
        err_.clear();
        fail(strfmt("%s: head hook: %s", info_.path.c_str(), e.c_str()));
    }
}

void head_hook::watch(const std::string & name, std::vector<float> * out) { watch_[name] = out; }
void head_hook::unwatch_all() { watch_.clear(); }

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
    if (ask) {
        if (il < 0) return !watch_.empty() && watch_.count(t->name) > 0;
        // capture reads kqv_steer-<il> when the graph steers itself (what W_o sees), else kqv_out-<il>
        if (steered) return capture_ && after_graph_steer_;
        return probing_ || steer_layer_[il] || (capture_ && !after_graph_steer_);
    }
    // data phase (only for tensors asked for above): always return true (false would abort the compute)
    if (il < 0) {
        auto it = watch_.find(t->name);
        if (it != watch_.end() && t->type == GGML_TYPE_F32) {
            size_t old = it->second->size();
            it->second->resize(old + (size_t) t->ne[0] * t->ne[1]);
            rows_get(t, 0, (int) t->ne[1], it->second->data() + old);
        }
        return true;
    }
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
