// Head selection: pair-wise split, per-head probes (threaded), exact ranking; see head_select.h.
#include "pas/head_select.h"

#include "util/error.h"
#include "util/rng.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

namespace palign {

static std::string who(const pas_data & data) {
    return data.subject.empty() ? std::string("pas") : "pas: subject '" + data.subject + "'";
}

void pas_check_data(const pas_data & data) {
    if (data.n_layer <= 0 || data.n_head <= 0 || data.head_dim <= 0) {
        fail(strfmt("%s: activations: bad geometry n_layer = %d, n_head = %d, head_dim = %d", who(data).c_str(),
                    data.n_layer, data.n_head, data.head_dim));
    }
    if (data.n_samples <= 0 || data.n_samples % 2 != 0) {
        fail(strfmt("%s: activations: n_samples = %d is not a positive even number", who(data).c_str(), data.n_samples),
             "samples come in contrast pairs: 2i is the prompt ending in A, 2i+1 the one ending in E");
    }
    if (!data.x || !data.y) {
        fail(who(data) + ": activations: null data pointer");
    }
    int n_pos = 0;
    for (int s = 0; s < data.n_samples; ++s) {
        if (data.y[s] != 0 && data.y[s] != 1) {
            fail(strfmt("%s: labels: sample %d has label %d (must be 0 or 1)", who(data).c_str(), s, data.y[s]));
        }
        n_pos += data.y[s];
    }
    if (n_pos == 0 || n_pos == data.n_samples) {
        fail(strfmt("%s: labels: all %d samples have label %d; probes and directions need both classes",
                    who(data).c_str(), data.n_samples, n_pos ? 1 : 0),
             "label A=1, E=0 for items the person agreed with (4-5) and A=0, E=1 for disagreed (1-2)");
    }
    for (int p = 0; p < data.n_pairs(); ++p) {
        if (data.y[2 * p] + data.y[2 * p + 1] != 1) {
            fail(strfmt("%s: labels: pair %d (samples %d, %d) has labels %d and %d; a contrast pair needs one 1 and one 0",
                        who(data).c_str(), p, 2 * p, 2 * p + 1, data.y[2 * p], data.y[2 * p + 1]),
                 "label A=1, E=0 for items the person agreed with (4-5) and A=0, E=1 for disagreed (1-2)");
        }
    }
}

// the shared checks and shuffle of both splits: n units (pairs or samples), the first n_train of a seeded
// Fisher-Yates order train, the rest validation, each side sorted
static pas_split split_units(int n, int n_train, int n_pairs, uint64_t seed, int train_percent, int min_pairs) {
    if (n_pairs < std::max(min_pairs, 2) || n_train < 1 || n_train >= n) {
        fail(strfmt("pas split: too few contrast pairs: %d (need at least %d for a %d/%d train/validation split)",
                    n_pairs, std::max(min_pairs, 2), train_percent, 100 - train_percent),
             "only items answered 1-2 or 4-5 make pairs; neutral (3) and missing answers are dropped");
    }
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i) { order[i] = i; }
    rng r(seed);
    for (int i = n - 1; i > 0; --i) {
        std::swap(order[i], order[(size_t) r.below((uint64_t) i + 1)]);
    }
    pas_split sp;
    sp.train.assign(order.begin(), order.begin() + n_train);
    sp.val.assign(order.begin() + n_train, order.end());
    std::sort(sp.train.begin(), sp.train.end());
    std::sort(sp.val.begin(), sp.val.end());
    return sp;
}

static void check_percent(int train_percent) {
    if (train_percent <= 0 || train_percent >= 100) {
        fail(strfmt("pas split: train_percent = %d must be in 1..99", train_percent));
    }
}

pas_split pas_split_pairs(int n_pairs, uint64_t seed, int train_percent, int min_pairs) {
    check_percent(train_percent);
    const int n_train = (int) ((int64_t) train_percent * n_pairs + 50) / 100;
    return split_units(n_pairs, n_train, n_pairs, seed, train_percent, min_pairs);
}

pas_split pas_split_samples(int n_samples, uint64_t seed, int train_percent, int min_pairs) {
    check_percent(train_percent);
    const int n_train = (int) ((double) n_samples * (1.0 - (100 - train_percent) / 100.0));   // Python: int(n * (1 - 0.4))
    pas_split sp = split_units(n_samples, n_train, n_samples / 2, seed, train_percent, min_pairs);
    sp.by_sample = true;
    return sp;
}

std::vector<int> pas_pair_samples(const std::vector<int> & pairs) {
    std::vector<int> s;
    s.reserve(pairs.size() * 2);
    for (int p : pairs) { s.push_back(2 * p); s.push_back(2 * p + 1); }
    return s;
}

// copy one head's activations of the given samples into n rows of head_dim doubles
static void gather(const pas_data & data, int layer, int head, const std::vector<int> & samples,
                   std::vector<double> & x, std::vector<int> & y) {
    const int d = data.head_dim;
    x.resize(samples.size() * d);
    y.resize(samples.size());
    for (size_t i = 0; i < samples.size(); ++i) {
        const float * src = data.row(samples[i], layer, head);
        std::copy(src, src + d, x.begin() + i * d);
        y[i] = data.y[samples[i]];
    }
}

std::vector<head_probe> pas_train_probes(const pas_data & data, const pas_split & split,
                                         const probe_params & params, int n_threads) {
    pas_check_data(data);
    const int n_units = split.by_sample ? data.n_samples : data.n_pairs();
    for (const auto * side : { &split.train, &split.val }) {
        for (int p : *side) {
            if (p < 0 || p >= n_units) {
                fail(strfmt("%s: split: %s index %d out of range (%d)", who(data).c_str(), split.by_sample ? "sample" : "pair", p, n_units));
            }
        }
    }
    if (split.train.empty()) {
        fail(who(data) + ": split: no training pairs");
    }
    const std::vector<int> s_train = split.by_sample ? split.train : pas_pair_samples(split.train);
    const std::vector<int> s_val   = split.by_sample ? split.val : pas_pair_samples(split.val);
    const int n_heads = data.n_layer * data.n_head;
    std::vector<head_probe> out(n_heads);

    std::atomic<int> next{0};
    std::exception_ptr err;
    std::mutex err_mu;
    auto worker = [&]() {
        std::vector<double> xt, xv;
        std::vector<int> yt, yv;
        for (int k; (k = next.fetch_add(1)) < n_heads;) {
            try {
                head_probe & hp = out[k];
                hp.layer = k / data.n_head;
                hp.head  = k % data.n_head;
                gather(data, hp.layer, hp.head, s_train, xt, yt);
                gather(data, hp.layer, hp.head, s_val,   xv, yv);
                hp.model = probe_fit(xt.data(), yt.data(), (int) yt.size(), data.head_dim, params);
                hp.n_train = (int) yt.size();
                hp.n_val   = (int) yv.size();
                hp.n_train_correct = probe_count_correct(hp.model, xt.data(), yt.data(), hp.n_train);
                hp.n_val_correct   = probe_count_correct(hp.model, xv.data(), yv.data(), hp.n_val);
                hp.train_acc = (double) hp.n_train_correct / hp.n_train;
                hp.val_acc   = hp.n_val ? (double) hp.n_val_correct / hp.n_val : 0.0;
            } catch (...) {
                std::lock_guard<std::mutex> lock(err_mu);
                if (!err) { err = std::current_exception(); }
            }
        }
    };
    if (n_threads <= 0) { n_threads = (int) std::max(1u, std::thread::hardware_concurrency()); }
    n_threads = std::min(n_threads, n_heads);
    if (n_threads <= 1) {
        worker();
    } else {
        std::vector<std::thread> pool;
        for (int t = 0; t < n_threads; ++t) { pool.emplace_back(worker); }
        for (auto & th : pool) { th.join(); }
    }
    if (err) { std::rethrow_exception(err); }
    return out;
}

const char * pas_rank_name(pas_rank rank) {
    switch (rank) {
        case pas_rank::val_acc:  return "val_acc";
        case pas_rank::mean_acc: return "mean_acc";
    }
    return "?";
}

// sign of a/b - c/d for non-negative counts and positive denominators (0 denominators count as 0/1)
static int cmp_frac(int64_t a, int64_t b, int64_t c, int64_t d) {
    if (b <= 0) { a = 0; b = 1; }
    if (d <= 0) { c = 0; d = 1; }
    const int64_t l = a * d, r = c * b;
    return (l > r) - (l < r);
}

bool pas_rank_equal(const head_probe & a, const head_probe & b, pas_rank rank) {
    (void) rank;   // the heads of one fit share their split sizes, so equal val and train counts are equal keys for both rules
    const int c_val   = cmp_frac(a.n_val_correct, a.n_val, b.n_val_correct, b.n_val);
    const int c_train = cmp_frac(a.n_train_correct, a.n_train, b.n_train_correct, b.n_train);
    return c_val == 0 && c_train == 0;   // both keys of either rule equal (the mean follows from them)
}

std::vector<int> pas_rank_heads(const std::vector<head_probe> & probes, pas_rank rank) {
    std::vector<int> idx(probes.size());
    for (size_t i = 0; i < idx.size(); ++i) { idx[i] = (int) i; }
    auto better = [&](int ia, int ib) {
        const head_probe & a = probes[ia];
        const head_probe & b = probes[ib];
        const int c_val   = cmp_frac(a.n_val_correct, a.n_val, b.n_val_correct, b.n_val);
        const int c_train = cmp_frac(a.n_train_correct, a.n_train, b.n_train_correct, b.n_train);
        if (rank == pas_rank::mean_acc) {
            // (cv/nv + ct/nt)/2 as one fraction (cv*nt + ct*nv) / (nv*nt)
            auto num = [](const head_probe & h) { return (int64_t) h.n_val_correct * h.n_train + (int64_t) h.n_train_correct * h.n_val; };
            auto den = [](const head_probe & h) { return (int64_t) h.n_val * h.n_train; };
            int c_mean = 0;
            if (den(a) > 0 && den(b) > 0) {
                c_mean = cmp_frac(num(a), den(a), num(b), den(b));
            } else {   // no validation samples: the mean degenerates to ordering by train then val
                c_mean = c_train;
            }
            if (c_mean != 0) { return c_mean > 0; }
            if (c_val  != 0) { return c_val  > 0; }
        } else {
            if (c_val   != 0) { return c_val   > 0; }
            if (c_train != 0) { return c_train > 0; }
        }
        if (a.layer != b.layer) { return a.layer < b.layer; }
        if (a.head  != b.head)  { return a.head  < b.head; }
        return ia < ib;
    };
    std::sort(idx.begin(), idx.end(), better);
    return idx;
}

} // namespace palign
