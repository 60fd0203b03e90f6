// Context: llama.cpp context set-up for exact hooks, batched decoding, prefix sharing and head capture.
#include "engine/context.h"

#include "engine/steering.h"
#include "util/error.h"
#include "engine/llama_log.h"
#include "util/log.h"

#include "engine/steer_api.h"   // llama.h, and PALIGN_GRAPH_STEER with the patch

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace palign {

static ggml_type cache_type(const std::string & name, const std::string & path, const char * field) {
    for (int t = 0; t < GGML_TYPE_COUNT; t++) {
        const char * n = ggml_type_name((ggml_type) t);
        if (n && name == n) return (ggml_type) t;
    }
    fail(strfmt("%s: unknown KV cache type '%s' for %s", path.c_str(), name.c_str(), field), "use f16, f32, q8_0, ...");
}

// on, off, or auto = on when the model has layers on a GPU
static bool on_off_auto(const std::string & v, const model_info & info, const char * flag) {
    if (v == "on") return true;
    if (v == "off") return false;
    if (v == "auto") return info.n_gpu_layers != 0;
    fail(strfmt("%s '%s': expected on, off or auto", flag, v.c_str()));
}

bool context_params::wave_cap_on(const model_info & info) const { return on_off_auto(wave_cap, info, "--wave-cap"); }
// flash attention: auto = on with layers on a GPU, and on the CPU where its kernel is exact (palign's ggml patch)
bool context_params::flash_on(const model_info & info) const {
    if (flash_attn == "auto") return info.n_gpu_layers != 0 || cpu_flash_attn_f32();
    return on_off_auto(flash_attn, info, "--flash-attn");
}

context::context(const model & m, const context_params & params) : model_(m), params_(params), hook_(m.info()) {
    const std::string & path = m.info().path;
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx      = params_.n_ctx;
    // automatic batch sizes: large on a GPU, where a 0.6B model needs thousands of tokens per ubatch to be busy
    if (params_.n_batch < 0 || params_.n_ubatch < 0) {
        fail(strfmt("--batch-size %d / --ubatch-size %d: expected >= 1 (or 0 = auto)", params_.n_batch, params_.n_ubatch));
    }
    if (params_.n_batch == 0) params_.n_batch = m.info().n_gpu_layers != 0 ? 2048 : 512;
    if (params_.n_ubatch == 0) params_.n_ubatch = params_.n_batch;
    params_.n_ubatch = std::min(params_.n_ubatch, params_.n_batch);
    params_.wave_cap_on(m.info());   // validates the value
    // what llama.cpp would assert on, checked here with the flag's name
    if (params_.n_ctx < 16) fail(strfmt("--ctx-size %d: at least 16 KV cells", params_.n_ctx), "use e.g. -c 4096");
    if (params_.n_seq_max < 1 || params_.n_seq_max > 256) fail(strfmt("--np %d: expected 1..256 parallel sequences", params_.n_seq_max));
    if (!params_.kv_unified && params_.n_seq_max < 2) {   // run() keeps the shared prefix in sequence 0 of its own
        fail(strfmt("--np %d: without a unified KV cache palign needs 2 sequences or more (a prefix's and a prompt's)", params_.n_seq_max),
             "use --np 2 or more, or --kv-unified");
    }
    const int hw = (int) std::max(1u, std::thread::hardware_concurrency());
    if (params_.n_threads < 0 || params_.n_threads > std::max(256, 4 * hw)) {
        fail(strfmt("--threads %d: expected 0 (all cores) .. %d", params_.n_threads, std::max(256, 4 * hw)));
    }
    if (params_.n_seq_max > std::min(params_.n_batch, params_.n_ctx)) {   // each sequence needs an output row and a cell
        const int clamp = std::min(params_.n_batch, params_.n_ctx);
        log_warn("--np %d is more than the batch size (%d) or the context (%d) holds: using %d parallel sequences",
                params_.n_seq_max, params_.n_batch, params_.n_ctx, clamp);
        params_.n_seq_max = clamp;
    }
    cp.n_batch    = params_.n_batch;
    cp.n_ubatch   = params_.n_ubatch;
    cp.n_seq_max  = params_.n_seq_max;
    int nt = params_.n_threads;
    if (nt <= 0) {
        const char * env = getenv("PALIGN_THREADS");   // e.g. 1 under a parallel test runner
        nt = env && atoi(env) > 0 ? atoi(env) : (int) std::max(1u, std::thread::hardware_concurrency());
    }
    cp.n_threads       = nt;
    cp.n_threads_batch = nt;
    cp.flash_attn_type = params.flash_on(m.info()) ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.type_k = cache_type(params.type_k, path, "type_k");
    cp.type_v = cache_type(params.type_v, path, "type_v");
    // A quantized V cache makes llama.cpp rotate kqv_out (Hadamard): captured heads and a plain delta would be wrong.
    if (ggml_is_quantized(cp.type_v)) {
        fail(strfmt("%s: V cache type %s is quantized; head capture and steering need an unquantized V cache",
                    path.c_str(), params.type_v.c_str()), "use --cache-type-v f16 (the default)");
    }
    // Without a unified KV cache llama.cpp regroups a batch's rows by sequence (split_equal), which the head
    // hook's row-indexed steering and capture cannot follow: decode() then hands it only chunks that it
    // computes as one ubatch in their own order.
    cp.kv_unified        = params_.kv_unified;
    cp.no_perf           = true;

    // steering path: in the graph where llama.cpp carries palign's patch, else the eval callback
    steer_path sp = params.steer;
    if (const char * env = getenv("PALIGN_STEER")) {
        const std::string e = env;
        if (e == "callback") sp = steer_path::callback;
        else if (e == "graph") sp = steer_path::graph;
        else if (!e.empty() && e != "auto") fail(strfmt("PALIGN_STEER='%s': expected auto, graph or callback", env));
    }
    if (sp == steer_path::graph && !graph_steer_available()) {
        fail(strfmt("%s: in-graph steering asked, but palign was built against a llama.cpp without palign's patch", path.c_str()),
             "build with scripts/llama.sh (it applies patches/), or use the callback path");
    }
    const bool in_graph = sp != steer_path::callback && graph_steer_available();
    steer_why_ = in_graph ? PALIGN_GRAPH_STEER_OPS
               : graph_steer_available() ? "eval callback (asked for: PALIGN_STEER=callback or context_params.steer)"
                                         : "eval callback (this llama.cpp lacks palign's patch, API 2 or later)";
#ifndef PALIGN_GRAPH_STEER   // with the patch the callback is set per decode, only when one needs it
    cp.cb_eval           = head_hook::callback;
    cp.cb_eval_user_data = &hook_;
    cb_on_ = true;
#endif

    log_clear_llama_error();
    ctx_.reset(llama_init_from_model(m.raw(), cp));
    if (!ctx_) {
        std::string why = log_last_llama_error();
        fail(strfmt("%s: cannot create a llama.cpp context%s%s", path.c_str(), why.empty() ? "" : ": ", why.c_str()),
             params_.kv_unified ? "a smaller --ctx-size or fewer parallel sequences need less memory"
                                : "without a unified KV cache every sequence has ctx-size / np cells: a smaller --ctx-size or --np, or --kv-unified");
    }

    // llama.cpp caps the batch at the context size it was asked for (before it pads the cells per sequence)
    params_.n_batch  = (int) llama_n_batch(ctx_.get());
    params_.n_ubatch = (int) llama_n_ubatch(ctx_.get());

    // probe: one token through every layer tells which layers have a kqv_out tensor
    set_callback(true);
    hook_.set_probing(true);
    llama_token t = llama_vocab_bos(m.vocab());
    if (t < 0) t = 0;
    llama_batch b = llama_batch_get_one(&t, 1);
    int rc = llama_decode(ctx_.get(), b);
    hook_.set_probing(false);
    set_callback(false);
    clear();
    if (rc != 0) {
        ctx_.reset();
        fail(strfmt("%s: probe decode failed (llama_decode = %d)", path.c_str(), rc));
    }
    seq_cells_ = (int) llama_n_ctx_seq(ctx_.get());
    // the graph must have per-head attention outputs that W_o reads as they are (README: Architectures)
    const std::string problem = attention_layout_problem(m.info(), hook_.probe());
    if (!problem.empty()) {
        ctx_.reset();
        fail(strfmt("%s: architecture '%s' is not supported: %s", path.c_str(), m.info().arch.c_str(), problem.c_str()),
             hook_.any_layer_seen() ? "palign steers per-head attention outputs that feed attn_output directly (README: Architectures)"
                                    : "palign steers llama.cpp attention architectures");
    }
    if (in_graph) gsteer_ = std::make_unique<graph_steer>(ctx_.get(), m.info(), hook_.layers_seen());
}

const char * context::steer_path_name() const { return steer_why_; }

void context::set_callback(bool on) {
#ifdef PALIGN_GRAPH_STEER
    if (on == cb_on_) return;
    llama_set_eval_cb(ctx_.get(), on ? head_hook::callback : nullptr, on ? &hook_ : nullptr);
    cb_on_ = on;
#else
    (void) on;   // installed at creation, for good
#endif
}

context::~context() = default;

void context::clear() { llama_memory_clear(llama_get_memory(ctx_.get()), true); }
void context::seq_rm(int seq, int p0, int p1) { llama_memory_seq_rm(llama_get_memory(ctx_.get()), seq, p0, p1); }
void context::seq_cp(int src, int dst, int p0, int p1) {
    // across KV streams llama.cpp copies whole stream buffers (and asserts on a part of one)
    if (!params_.kv_unified && (p0 > 0 || (p1 >= 0 && p1 < seq_cells_))) {
        fail(strfmt("%s: seq_cp %d -> %d of positions [%d, %d): without a unified KV cache only whole sequences are copied",
                    model_.info().path.c_str(), src, dst, p0, p1));
    }
    llama_memory_seq_cp(llama_get_memory(ctx_.get()), src, dst, p0, p1);
}

// Without a unified KV cache: order rows into chunks of consecutive sequences, each with the same number of
// rows (in their own order), of at most n_ub rows. llama.cpp's split_equal then takes each chunk as one ubatch
// as it stands, so row i of a chunk is row i of the graph. Returns the order; ends[k] is where chunk k ends.
static std::vector<size_t> stream_chunks(const std::vector<batch_row> & rows, size_t n_ub, int n_seq,
                                         std::vector<size_t> & ends, const std::string & path) {
    std::vector<std::vector<size_t>> of(n_seq);
    for (size_t i = 0; i < rows.size(); i++) {
        if (rows[i].seq < 0 || rows[i].seq >= n_seq) {
            fail(strfmt("%s: sequence %d outside the context's %d sequences", path.c_str(), rows[i].seq, n_seq));
        }
        of[rows[i].seq].push_back(i);
    }
    std::vector<size_t> at(n_seq, 0), order;
    order.reserve(rows.size());
    ends.clear();
    int a = 0;
    while (true) {
        while (a < n_seq && at[a] == of[a].size()) a++;   // the first sequence with rows left
        if (a == n_seq) break;
        int b = a;                                         // and the run of consecutive ones after it
        size_t t = of[a].size() - at[a];
        while (b + 1 < n_seq && at[b + 1] < of[b + 1].size() && (size_t) (b + 2 - a) <= n_ub) {
            b++;
            t = std::min(t, of[b].size() - at[b]);
        }
        const size_t w = (size_t) (b + 1 - a);
        t = std::min(t, n_ub / w);
        for (int s = a; s <= b; s++) {
            for (size_t k = 0; k < t; k++) order.push_back(of[s][at[s] + k]);
            at[s] += t;
        }
        ends.push_back(order.size());
    }
    return order;
}

void context::decode(const std::vector<batch_row> & rows, const std::function<void(size_t, const float *)> & on_logits) {
    const size_t nb = (size_t) params_.n_batch;
    // the rows in decode order, and where each llama_decode's chunk ends
    std::vector<size_t> order, ends;
    if (params_.kv_unified) {
        order.resize(rows.size());
        for (size_t i = 0; i < rows.size(); i++) order[i] = i;
        for (size_t e = nb; e < rows.size() + nb; e += nb) ends.push_back(std::min(e, rows.size()));
    } else {
        order = stream_chunks(rows, (size_t) params_.n_ubatch, params_.n_seq_max, ends, model_.info().path);
    }
    struct batch_guard {   // llama_batch is a plain struct: freed on every way out
        llama_batch b;
        ~batch_guard() { llama_batch_free(b); }
    } guard{llama_batch_init((int) std::min(nb, rows.size()), 0, 1)};
    llama_batch & batch = guard.b;
    std::vector<const steering *> row_steer;
    std::vector<float *> row_capture;
    std::vector<std::pair<int, const steering *>> seq_steer;
    std::vector<int> seq_at(params_.n_seq_max, -1);   // where each sequence of a chunk stands in seq_steer
    size_t c0 = 0;
    for (size_t c1 : ends) {
        const size_t n = c1 - c0;
        batch.n_tokens = (int) n;
        row_steer.assign(n, nullptr);
        row_capture.assign(n, nullptr);
        seq_steer.clear();
        std::fill(seq_at.begin(), seq_at.end(), -1);
        bool any_steer = false, any_capture = false;
        for (size_t i = 0; i < n; i++) {
            const batch_row & r = rows[order[c0 + i]];
            batch.token[i]     = r.token;
            batch.pos[i]       = r.pos;
            batch.n_seq_id[i]  = 1;
            batch.seq_id[i][0] = r.seq;
            batch.logits[i]    = r.logits;
            row_steer[i]   = r.steer;
            row_capture[i] = r.capture;
            any_steer   |= r.steer != nullptr && !r.steer->empty();
            any_capture |= r.capture != nullptr;
            if (gsteer_) {
                // in the graph, steering follows the sequence: one steering per sequence in a decode
                if (r.seq < 0 || r.seq >= (int) seq_at.size()) {
                    fail(strfmt("%s: sequence %d outside the context's %d sequences", model_.info().path.c_str(), r.seq, (int) seq_at.size()));
                }
                int & k = seq_at[r.seq];
                if (k < 0) {
                    k = (int) seq_steer.size();
                    seq_steer.emplace_back(r.seq, r.steer);
                } else if (seq_steer[k].second != r.steer) {
                    fail(strfmt("%s: sequence %d has two steerings in one decode (row %zu)", model_.info().path.c_str(), r.seq, order[c0 + i]),
                         "in-graph steering is per sequence; give each steering its own sequence");
                }
            }
        }
        if (gsteer_) gsteer_->prepare(seq_steer);
        const std::vector<bool> * graph = gsteer_ && gsteer_->tables_set() ? &gsteer_->tabled() : nullptr;
        set_callback(any_capture || hook_.watching() || (any_steer && !gsteer_));
        hook_.begin((int) n, any_steer && !gsteer_ ? &row_steer : nullptr, any_capture ? &row_capture : nullptr, graph);
        log_clear_llama_error();
        int rc = llama_decode(ctx_.get(), batch);
        hook_.end();
        if (rc != 0) {
            std::string why = log_last_llama_error();
            fail(strfmt("%s: llama_decode failed (%d)%s%s", model_.info().path.c_str(), rc,
                        why.empty() ? "" : ": ", why.c_str()),
                 rc == 1 ? "the KV cache is full: raise --ctx-size or lower the parallel sequences" : "");
        }
        n_tokens_ += n;
        n_decodes_++;
        if (on_logits) {
            for (size_t i = 0; i < n; i++) {
                const size_t ri = order[c0 + i];
                if (!rows[ri].logits) continue;
                const float * lg = llama_get_logits_ith(ctx_.get(), (int) i);
                if (!lg) fail(strfmt("%s: no logits for batch row %zu", model_.info().path.c_str(), ri));
                on_logits(ri, lg);
            }
        }
        c0 = c1;
    }
}

std::vector<std::vector<float>> context::decode_seq(const std::vector<int> & tokens, int seq, int pos0,
                                                    const steering * steer, bool all_logits) {
    std::vector<batch_row> rows(tokens.size());
    for (size_t i = 0; i < tokens.size(); i++) {
        rows[i].token  = tokens[i];
        rows[i].pos    = pos0 + (int) i;
        rows[i].seq    = seq;
        rows[i].logits = all_logits || i + 1 == tokens.size();
        rows[i].steer  = steer;
    }
    const int n_vocab = model_.info().n_vocab;
    std::vector<std::vector<float>> out;
    decode(rows, [&](size_t, const float * lg) { out.emplace_back(lg, lg + n_vocab); });
    return out;
}

std::vector<prompt_result> context::run(const std::vector<std::vector<int>> & prompts,
                                        const std::vector<const steering *> & steer,
                                        const run_options & opts) {
    const model_info & info = model_.info();
    if (!steer.empty() && steer.size() != prompts.size()) {
        fail(strfmt("context::run: %zu steering entries for %zu prompts", steer.size(), prompts.size()));
    }
    const bool streams = !params_.kv_unified;   // a KV stream per sequence
    const size_t n_gen = (size_t) std::max(0, opts.n_generate);
    for (size_t i = 0; i < prompts.size(); i++) {
        if (prompts[i].empty()) fail(strfmt("context::run: prompt %zu is empty", i));
        if (!streams && (int) prompts[i].size() > params_.n_ctx) {
            fail(strfmt("%s: prompt %zu has %zu tokens, more than the context (%d)", info.path.c_str(), i,
                        prompts[i].size(), params_.n_ctx), "raise --ctx-size");
        }
        if (streams && prompts[i].size() + n_gen > (size_t) seq_cells_) {
            fail(strfmt("%s: prompt %zu needs %zu KV cells (%zu generated tokens included), more than a sequence's %d",
                        info.path.c_str(), i, prompts[i].size() + n_gen, n_gen, seq_cells_),
                 strfmt("without a unified KV cache each of the %d sequences has ctx-size / np cells: raise --ctx-size "
                        "to at least %zu, lower --np, or use --kv-unified", params_.n_seq_max,
                        (prompts[i].size() + n_gen) * (size_t) params_.n_seq_max));
        }
    }
    for (const steering * s : steer) if (s) s->check(info);

    std::vector<prompt_result> res(prompts.size());
    const size_t n_heads_f = (size_t) info.n_layer * info.n_embd_v();
    const int n_vocab = info.n_vocab;
    for (int id : opts.logit_ids) {
        if (id < 0 || id >= n_vocab) fail(strfmt("context::run: logit id %d out of vocabulary (%d)", id, n_vocab));
    }

    // groups of prompts that may share a prefix: same steering (the prefix's KV depends on it)
    std::vector<std::vector<size_t>> groups;
    if (opts.share_prefix) {
        std::vector<const steering *> keys;
        for (size_t i = 0; i < prompts.size(); i++) {
            const steering * s = steer.empty() ? nullptr : steer[i];
            size_t g = std::find(keys.begin(), keys.end(), s) - keys.begin();
            if (g == keys.size()) { keys.push_back(s); groups.emplace_back(); }
            groups[g].push_back(i);
        }
    } else {
        groups.emplace_back();
        for (size_t i = 0; i < prompts.size(); i++) groups[0].push_back(i);
    }

    auto keep_logits = [&](size_t p, const float * lg) {
        auto & out = res[p].logits;
        if (opts.logit_ids.empty()) {
            out.assign(lg, lg + n_vocab);
        } else {
            out.resize(opts.logit_ids.size());
            for (size_t k = 0; k < opts.logit_ids.size(); k++) out[k] = lg[opts.logit_ids[k]];
        }
    };

    if (streams) {
        // longest first: a wave then holds prompts of about one length, and since the decode chunks
        // (stream_chunks) need equal rows per sequence, sequences run out at the end of the wave's sequence
        // ids, which keeps the live ones consecutive and the chunks large
        for (auto & g : groups) {
            std::stable_sort(g.begin(), g.end(), [&](size_t a, size_t b) { return prompts[a].size() > prompts[b].size(); });
        }
    }

    for (const auto & g : groups) {
        // common prefix, leaving every prompt at least one token of its own
        size_t L = 0;
        if (opts.share_prefix && g.size() > 1) {
            L = prompts[g[0]].size() - 1;
            for (size_t k = 1; k < g.size() && L > 0; k++) {
                const auto & a = prompts[g[0]];
                const auto & b = prompts[g[k]];
                size_t m = 0, lim = std::min({L, a.size(), b.size() - 1});
                while (m < lim && a[m] == b[m]) m++;
                L = m;
            }
        }
        const steering * gs = (!steer.empty() && opts.share_prefix) ? steer[g[0]] : nullptr;
        clear();
        if (L > 0) {
            std::vector<int> pre(prompts[g[0]].begin(), prompts[g[0]].begin() + L);
            decode_seq(pre, 0, 0, gs, false);   // seq 0 holds the prefix
        }
        const int max_par = std::max(1, params_.n_seq_max - 1);
        size_t k0 = 0;
        while (k0 < g.size()) {
            // a wave: as many prompts as sequences and KV cells allow
            // Every token attends over all used cells of the unified cache (other sequences' cells are only
            // masked), so a wave's own cells are capped near the prefix length: the attention work per prompt
            // then stays within about twice its minimum while the batch stays large.
            // With a KV stream per sequence each one attends over its own cells only: a wave is as many
            // prompts as there are sequences.
            const size_t wave_budget = params_.wave_cap_on(info) && !streams ? std::max(L, (size_t) params_.n_batch) : SIZE_MAX;
            const size_t cell_budget = streams ? SIZE_MAX : (size_t) params_.n_ctx;
            size_t k1 = k0;
            size_t cells = L, own = 0;
            while (k1 < g.size() && (int)(k1 - k0) < max_par) {
                size_t need = prompts[g[k1]].size() - L + n_gen;
                if (k1 > k0 && (cells + need > cell_budget || own + need > wave_budget)) break;
                cells += need;
                own += need;
                k1++;
            }
            std::vector<batch_row> rows;
            std::vector<size_t> row_prompt;
            for (size_t k = k0; k < k1; k++) {
                const size_t p = g[k];
                const int seq = 1 + (int)(k - k0);
                if (L > 0) seq_cp(0, seq);   // seq 0 holds the prefix alone (a whole stream without kv_unified)
                const steering * s = steer.empty() ? nullptr : steer[p];
                if (opts.capture_heads) res[p].heads.assign(n_heads_f, 0.0f);
                for (size_t j = L; j < prompts[p].size(); j++) {
                    batch_row r;
                    r.token  = prompts[p][j];
                    r.pos    = (int) j;
                    r.seq    = seq;
                    r.steer  = s;
                    r.logits = j + 1 == prompts[p].size();
                    r.capture = (r.logits && opts.capture_heads) ? res[p].heads.data() : nullptr;
                    rows.push_back(r);
                    row_prompt.push_back(p);
                }
            }
            std::vector<int> next(prompts.size(), -1);   // greedy token after each prompt of the wave
            auto argmax = [&](size_t p, const float * lg) {
                next[p] = (int) (std::max_element(lg, lg + n_vocab) - lg);
            };
            decode(rows, [&](size_t ri, const float * lg) {
                keep_logits(row_prompt[ri], lg);
                if (n_gen) argmax(row_prompt[ri], lg);
            });
            // greedy continuation, one token per live sequence per step
            std::vector<size_t> live;
            for (size_t k = k0; k < k1; k++) live.push_back(k);
            for (size_t step = 0; step < n_gen && !live.empty(); step++) {
                rows.clear();
                row_prompt.clear();
                std::vector<size_t> still;
                for (size_t k : live) {
                    const size_t p = g[k];
                    const int tok = next[p];
                    if (tok >= 0 && model_.is_eog(tok)) res[p].stop_token = tok;
                    if (tok < 0 || model_.is_eog(tok)) continue;
                    res[p].generated.push_back(tok);
                    if (step + 1 == n_gen) continue;
                    batch_row r;
                    r.token  = tok;
                    r.pos    = (int) (prompts[p].size() + step);
                    r.seq    = 1 + (int)(k - k0);
                    r.steer  = steer.empty() ? nullptr : steer[p];
                    r.logits = true;
                    rows.push_back(r);
                    row_prompt.push_back(p);
                    still.push_back(k);
                }
                live.swap(still);
                if (!rows.empty()) decode(rows, [&](size_t ri, const float * lg) { argmax(row_prompt[ri], lg); });
            }
            for (size_t k = k0; k < k1; k++) seq_rm(1 + (int)(k - k0));
            if (opts.on_done) opts.on_done(k1 - k0);
            k0 = k1;
        }
    }
    clear();
    return res;
}

} // namespace palign
