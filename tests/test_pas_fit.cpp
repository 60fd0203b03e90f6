// PAS fit: probes vs scikit-learn on synthetic activations, determinism, thread independence, errors, timing.
#include "pas/direction.h"
#include "util/error.h"
#include "util/rng.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace palign;

// Synthetic contrast activations. Each item has a content vector shared by its A and E samples (as in a
// real model), plus per-sample noise and a label-dependent shift along a per-head unit vector u.
// Head kinds by flat index % 4: 0 noise, 1 weak signal, 2 strong signal, 3 linearly separable along u
// (with a margin; only regularisation keeps w finite there).
struct synth {
    int n_pairs, n_layer, n_head, head_dim;
    std::vector<float> x;
    std::vector<int> y;
    pas_data data() const {
        pas_data d;
        d.x = x.data(); d.y = y.data();
        d.n_samples = 2 * n_pairs; d.n_layer = n_layer; d.n_head = n_head; d.head_dim = head_dim;
        d.subject = "synthetic";
        return d;
    }
};

static synth make_synth(int n_pairs, int n_layer, int n_head, int head_dim, uint64_t seed) {
    synth s{ n_pairs, n_layer, n_head, head_dim, {}, {} };
    rng r(seed);
    const int nh = n_layer * n_head, d = head_dim;
    std::vector<double> u(nh * d), off(nh * d);
    for (int k = 0; k < nh; ++k) {
        double norm = 0;
        for (int j = 0; j < d; ++j) { u[k * d + j] = r.normal(); norm += u[k * d + j] * u[k * d + j]; off[k * d + j] = 0.5 * r.normal(); }
        for (int j = 0; j < d; ++j) { u[k * d + j] /= std::sqrt(norm); }
    }
    s.x.resize((size_t) 2 * n_pairs * nh * d);
    s.y.resize(2 * n_pairs);
    const double strength[4] = { 0.0, 0.25, 0.8, 1.0 };
    std::vector<double> v(d);
    for (int p = 0; p < n_pairs; ++p) {
        const int agree = r.uniform() < 0.55;
        s.y[2 * p] = agree; s.y[2 * p + 1] = 1 - agree;
        for (int k = 0; k < nh; ++k) {
            std::vector<double> content(d);
            for (int j = 0; j < d; ++j) { content[j] = r.normal(); }
            for (int a = 0; a < 2; ++a) {
                const int smp = 2 * p + a;
                const double sgn = s.y[smp] ? 1.0 : -1.0;
                double along = 0;
                for (int j = 0; j < d; ++j) { v[j] = off[k * d + j] + content[j] + 0.5 * r.normal(); along += v[j] * u[k * d + j]; }
                const double target = (k % 4 == 3) ? sgn * (0.5 + r.uniform())          // separable, margin 0.5
                                                   : along + sgn * strength[k % 4];
                for (int j = 0; j < d; ++j) { v[j] += (target - along) * u[k * d + j]; }
                for (int j = 0; j < d; ++j) { s.x[((size_t) smp * nh + k) * d + j] = (float) v[j]; }
            }
        }
    }
    return s;
}

static bool have_sklearn() {
    return std::system("/usr/bin/python3 -c 'import sklearn, numpy' >/dev/null 2>&1") == 0;
}

struct sk_head { int ct, cv; double train_acc, val_acc, b, tb; std::vector<double> w, tw; };

static void write_i32(std::ofstream & f, const std::vector<int> & v) { f.write((const char *) v.data(), v.size() * 4); }

TEST(PasFit, ProbesMatchSklearn) {
    if (!have_sklearn()) {
        GTEST_SKIP() << "/usr/bin/python3 with scikit-learn not found; install it with: apt-get install python3-sklearn";
    }
    struct cfg { int n_pairs, n_layer, n_head, head_dim, k; uint64_t seed; };
    const cfg cfgs[] = { { 100, 3, 4, 16, 5, 11 }, { 60, 2, 4, 32, 3, 12 }, { 120, 2, 2, 8, 2, 13 } };
    double worst_abs = 0, worst_rel = 0, worst_rel_tight = 0;
    for (const cfg & c : cfgs) {
        const synth s = make_synth(c.n_pairs, c.n_layer, c.n_head, c.head_dim, c.seed);
        const pas_data data = s.data();
        const pas_split split = pas_split_pairs(c.n_pairs, c.seed);
        const std::vector<head_probe> probes = pas_train_probes(data, split);

        const std::string base = ::testing::TempDir() + "pas_sk_" + std::to_string(c.seed);
        {
            std::ofstream f(base + ".bin", std::ios::binary);
            write_i32(f, { data.n_samples, c.n_layer, c.n_head, c.head_dim, (int) split.train.size(), (int) split.val.size(), c.k, 0 });
            write_i32(f, s.y);
            write_i32(f, split.train);
            write_i32(f, split.val);
            f.write((const char *) s.x.data(), s.x.size() * 4);
        }
        const std::string cmd = "/usr/bin/python3 " PALIGN_SOURCE_DIR "/tests/scripts/sklearn_probe_check.py " + base + ".bin " + base + ".txt";
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

        std::ifstream in(base + ".txt");
        std::map<int, sk_head> sk;
        std::map<std::string, std::vector<int>> topk;
        for (std::string line; std::getline(in, line);) {
            std::istringstream ls(line);
            std::string tag; ls >> tag;
            if (tag == "topk") {
                std::string rule; ls >> rule;
                for (int i; ls >> i;) { topk[rule].push_back(i); }
                continue;
            }
            int l, h; ls >> l >> h;
            sk_head & e = sk[l * c.n_head + h];
            std::vector<double> & w = tag == "head" ? e.w : e.tw;
            if (tag == "head") { ls >> e.ct >> e.cv >> e.train_acc >> e.val_acc >> e.b; } else { ls >> e.tb; }
            for (double v; ls >> v;) { w.push_back(v); }
        }
        ASSERT_EQ((int) sk.size(), c.n_layer * c.n_head);
        for (int k = 0; k < (int) probes.size(); ++k) {
            const head_probe & p = probes[k];
            const sk_head & e = sk[k];
            ASSERT_EQ((int) e.w.size(), c.head_dim);
            EXPECT_NEAR(p.train_acc, e.train_acc, 1e-6) << "head " << k;
            EXPECT_NEAR(p.val_acc, e.val_acc, 1e-6) << "head " << k;
            double wn = p.model.b * p.model.b, dmax = std::fabs(p.model.b - e.b), tmax = std::fabs(p.model.b - e.tb);
            for (int j = 0; j < c.head_dim; ++j) {
                wn += p.model.w[j] * p.model.w[j];
                dmax = std::max(dmax, std::fabs(p.model.w[j] - e.w[j]));
                tmax = std::max(tmax, std::fabs(p.model.w[j] - e.tw[j]));
            }
            wn = std::sqrt(wn);
            EXPECT_LE(dmax, 1e-3 * wn) << "head " << k << " |w| " << wn;
            EXPECT_LE(tmax, 1e-6 * wn) << "head " << k << " vs the tightly solved optimum";
            worst_abs = std::max(worst_abs, dmax);
            worst_rel = std::max(worst_rel, dmax / wn);
            worst_rel_tight = std::max(worst_rel_tight, tmax / wn);
        }
        for (auto rule : { pas_rank::val_acc, pas_rank::mean_acc }) {
            const std::vector<int> order = pas_rank_heads(probes, rule);
            const std::vector<int> ours(order.begin(), order.begin() + c.k);
            const std::vector<int> & ref = topk[rule == pas_rank::val_acc ? "val" : "mean"];
            EXPECT_EQ(std::set<int>(ours.begin(), ours.end()), std::set<int>(ref.begin(), ref.end())) << pas_rank_name(rule);
            EXPECT_EQ(ours, ref) << pas_rank_name(rule);
        }
        std::remove((base + ".bin").c_str());
        std::remove((base + ".txt").c_str());
    }
    printf("[ pas ] worst coef difference vs sklearn defaults (tol 1e-4): max|dw| = %.3g, relative to |[w,b]| = %.3g\n",
           worst_abs, worst_rel);
    printf("[ pas ] worst coef difference vs sklearn newton-cholesky tol 1e-12: relative %.3g\n", worst_rel_tight);
}

static void expect_same_fit(const pas_fit & a, const pas_fit & b) {
    ASSERT_EQ(a.heads.size(), b.heads.size());
    EXPECT_EQ(a.n_train_pairs, b.n_train_pairs);
    for (size_t i = 0; i < a.heads.size(); ++i) {
        EXPECT_EQ(a.heads[i].layer, b.heads[i].layer);
        EXPECT_EQ(a.heads[i].head, b.heads[i].head);
        EXPECT_EQ(a.heads[i].train_acc, b.heads[i].train_acc);
        EXPECT_EQ(a.heads[i].val_acc, b.heads[i].val_acc);
        EXPECT_EQ(a.heads[i].sigma, b.heads[i].sigma);
        EXPECT_EQ(a.heads[i].dir, b.heads[i].dir);   // bit-identical
    }
}

TEST(PasFit, DeterministicAndThreadIndependent) {
    const synth s = make_synth(80, 4, 4, 16, 5);
    for (auto dir : { pas_dir::mass_mean, pas_dir::probe }) {
        pas_params p;
        p.k = 6; p.dir = dir; p.seed = 9; p.n_threads = 1;
        const pas_fit a = pas_fit_subject(s.data(), p);
        p.n_threads = 3;
        const pas_fit b = pas_fit_subject(s.data(), p);
        expect_same_fit(a, b);
        expect_same_fit(a, pas_fit_subject(s.data(), p));
        EXPECT_EQ(a.subject, "synthetic");
        EXPECT_EQ(a.n_pairs, 80); EXPECT_EQ(a.n_train_pairs, 48); EXPECT_EQ(a.n_val_pairs, 32);
        for (const pas_head & h : a.heads) {
            double n2 = 0;
            for (float v : h.dir) { n2 += v * v; }
            EXPECT_NEAR(n2, 1.0, 1e-6);
            EXPECT_GT(h.sigma, 0.0f);
        }
        // the kept heads are the informative kinds (strong signal or separable), never pure noise
        for (const pas_head & h : a.heads) { EXPECT_NE((h.layer * 4 + h.head) % 4, 0) << h.layer << "," << h.head; }
    }
    // a different seed gives a different split (so, in general, different accuracies)
    EXPECT_NE(pas_split_pairs(80, 9).train, pas_split_pairs(80, 10).train);
}

TEST(PasFit, KeepsTopKByRuleAndClampsK) {
    const synth s = make_synth(40, 2, 3, 8, 3);
    pas_params p;
    p.k = 100;
    const pas_fit f = pas_fit_subject(s.data(), p);
    EXPECT_EQ(f.heads.size(), 6u);
    for (size_t i = 1; i < f.heads.size(); ++i) { EXPECT_GE(f.heads[i - 1].val_acc, f.heads[i].val_acc); }
    p.rank = pas_rank::mean_acc;
    const pas_fit g = pas_fit_subject(s.data(), p);
    for (size_t i = 1; i < g.heads.size(); ++i) {
        EXPECT_GE(g.heads[i - 1].val_acc + g.heads[i - 1].train_acc, g.heads[i].val_acc + g.heads[i].train_acc - 1e-12);
    }
    p.k = 0;
    EXPECT_THROW(pas_fit_subject(s.data(), p), error);
}

TEST(PasFit, ErrorsNameSubject) {
    synth s = make_synth(3, 1, 2, 4, 1);
    try {
        pas_fit_subject(s.data());
        FAIL() << "no error";
    } catch (const error & e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("subject 'synthetic'"), std::string::npos) << m;
        EXPECT_NE(m.find("too few contrast pairs: 3"), std::string::npos) << m;
    }
    s = make_synth(10, 1, 2, 4, 1);
    for (int & y : s.y) { y = 0; }
    try {
        pas_fit_subject(s.data());
        FAIL() << "no error";
    } catch (const error & e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("subject 'synthetic'"), std::string::npos) << m;
        EXPECT_NE(m.find("labels: all 20 samples have label 0"), std::string::npos) << m;
    }
}

TEST(PasFit, TimingQwenSizedSubject) {
    // 120 items -> 240 samples, 28 layers x 16 heads, head_dim 128 (a 1.5B-class model); printout only
    const synth s = make_synth(120, 28, 16, 128, 77);
    for (int threads : { 1, 0 }) {
        pas_params p;
        p.n_threads = threads;
        const auto t0 = std::chrono::steady_clock::now();
        const pas_fit f = pas_fit_subject(s.data(), p);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        printf("[ pas ] fit 240 samples x 448 heads x 128 dims, threads %s: %.0f ms (top head %d,%d val %.3f)\n",
               threads ? "1" : "auto", ms, f.heads[0].layer, f.heads[0].head, f.heads[0].val_acc);
        EXPECT_EQ(f.heads.size(), 24u);
    }
}
