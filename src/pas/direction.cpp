// Direction: mass-mean or probe directions, sigma, the PAS fit pipeline and steering vectors; see direction.h.
#include "pas/direction.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>

namespace palign {

const char * pas_dir_name(pas_dir dir) {
    switch (dir) {
        case pas_dir::mass_mean: return "mass_mean";
        case pas_dir::probe:     return "probe";
    }
    return "?";
}

void pas_head_direction(const pas_data & data, int layer, int head, pas_dir dir, const std::vector<double> * probe_w,
                        std::vector<double> & out_dir, double & out_sigma) {
    const int d = data.head_dim;
    if (layer < 0 || layer >= data.n_layer || head < 0 || head >= data.n_head) {
        fail(strfmt("pas direction: head (%d, %d) outside %d layers x %d heads", layer, head, data.n_layer, data.n_head));
    }
    out_dir.assign(d, 0.0);
    if (dir == pas_dir::probe) {
        if (!probe_w || (int) probe_w->size() != d) {
            fail(strfmt("pas direction: probe direction needs %d probe weights, got %d", d, probe_w ? (int) probe_w->size() : -1));
        }
        out_dir = *probe_w;
    } else {
        std::vector<double> sum1(d, 0.0), sum0(d, 0.0);
        int n1 = 0, n0 = 0;
        for (int s = 0; s < data.n_samples; ++s) {
            const float * x = data.row(s, layer, head);
            std::vector<double> & acc = data.y[s] ? sum1 : sum0;
            (data.y[s] ? n1 : n0)++;
            for (int j = 0; j < d; ++j) { acc[j] += x[j]; }
        }
        if (n1 == 0 || n0 == 0) {
            fail(strfmt("pas direction: head (%d, %d): mass-mean needs samples of both labels (%d of label 1, %d of label 0)",
                        layer, head, n1, n0));
        }
        for (int j = 0; j < d; ++j) { out_dir[j] = sum1[j] / n1 - sum0[j] / n0; }
    }
    double norm = 0.0;
    for (double v : out_dir) { norm += v * v; }
    norm = std::sqrt(norm);
    if (!(norm > 0.0) || !std::isfinite(norm)) {
        std::fill(out_dir.begin(), out_dir.end(), 0.0);
        out_sigma = 0.0;
        return;
    }
    for (double & v : out_dir) { v /= norm; }

    // population std (ddof = 0, like numpy's std in the reference) of all projections, two passes
    std::vector<double> proj(data.n_samples);
    double mean = 0.0;
    for (int s = 0; s < data.n_samples; ++s) {
        const float * x = data.row(s, layer, head);
        double p = 0.0;
        for (int j = 0; j < d; ++j) { p += out_dir[j] * x[j]; }
        proj[s] = p;
        mean += p;
    }
    mean /= data.n_samples;
    double var = 0.0;
    for (double p : proj) { var += (p - mean) * (p - mean); }
    out_sigma = data.n_samples ? std::sqrt(var / data.n_samples) : 0.0;
}

pas_fit pas_fit_subject(const pas_data & data, const pas_params & params) {
    pas_check_data(data);
    const std::string who = data.subject.empty() ? std::string("pas") : "pas: subject '" + data.subject + "'";
    const int n_heads = data.n_layer * data.n_head;
    if (params.k <= 0) {
        fail(strfmt("%s: k = %d heads to keep must be positive", who.c_str(), params.k));
    }
    pas_split split;
    try {
        split = params.split_by_sample ? pas_split_samples(data.n_samples, params.seed, params.train_percent, params.min_pairs)
                                       : pas_split_pairs(data.n_pairs(), params.seed, params.train_percent, params.min_pairs);
    } catch (const error & e) {
        throw error(who + ": " + e.what());
    }
    const std::vector<head_probe> probes = pas_train_probes(data, split, params.probe, params.n_threads);
    const std::vector<int> order = pas_rank_heads(probes, params.rank);

    pas_fit fit;
    fit.params        = params;
    fit.subject       = data.subject;
    fit.n_layer       = data.n_layer;
    fit.n_head        = data.n_head;
    fit.head_dim      = data.head_dim;
    fit.n_pairs       = data.n_pairs();
    fit.n_train_pairs = (int) split.train.size();
    fit.n_val_pairs   = (int) split.val.size();
    const int k = std::min(params.k, n_heads);
    fit.n_probes = (int) probes.size();
    for (const head_probe & hp : probes) fit.n_not_converged += hp.model.converged ? 0 : 1;
    if (k < n_heads) {   // heads past the cut that rank equal to the last kept one
        const head_probe & last = probes[order[k - 1]];
        for (int i = k; i < n_heads && pas_rank_equal(probes[order[i]], last, params.rank); ++i) fit.n_tied_at_cut++;
    }
    std::vector<double> dir;
    double sigma = 0.0;
    for (int i = 0; i < k; ++i) {
        const head_probe & hp = probes[order[i]];
        pas_head h;
        h.layer     = hp.layer;
        h.head      = hp.head;
        h.train_acc = hp.train_acc;
        h.val_acc   = hp.val_acc;
        pas_head_direction(data, hp.layer, hp.head, params.dir, &hp.model.w, dir, sigma);
        h.dir.assign(dir.begin(), dir.end());
        h.sigma = (float) sigma;
        fit.heads.push_back(std::move(h));
    }
    return fit;
}

std::vector<pas_head_vec> pas_steering(const pas_fit & fit, double alpha) {
    std::vector<pas_head_vec> out;
    out.reserve(fit.heads.size());
    for (const pas_head & h : fit.heads) {
        pas_head_vec hv;
        hv.layer = h.layer;
        hv.head  = h.head;
        hv.v.resize(h.dir.size());
        const double s = alpha * (double) h.sigma;
        for (size_t j = 0; j < h.dir.size(); ++j) { hv.v[j] = (float) (s * h.dir[j]); }
        out.push_back(std::move(hv));
    }
    return out;
}

} // namespace palign
