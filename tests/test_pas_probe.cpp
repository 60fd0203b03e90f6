// PAS probe: the logistic-regression optimum (KKT checked independently), sklearn's predict at 0, errors.
#include "pas/probe.h"
#include "util/error.h"
#include "util/rng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace palign;

// gradient of C*sum logloss + 0.5||w||^2 at (w, b), computed here independently of probe.cpp
static std::vector<double> kkt_gradient(const std::vector<double> & x, const std::vector<int> & y, int d,
                                        const probe_model & m, double C) {
    const int n = (int) y.size();
    std::vector<double> g(d + 1, 0.0);
    for (int i = 0; i < n; ++i) {
        double z = m.b;
        for (int j = 0; j < d; ++j) { z += m.w[j] * x[i * d + j]; }
        const double r = 1.0 / (1.0 + std::exp(-z)) - y[i];
        for (int j = 0; j < d; ++j) { g[j] += C * r * x[i * d + j]; }
        g[d] += C * r;
    }
    for (int j = 0; j < d; ++j) { g[j] += m.w[j]; }
    return g;
}

TEST(PasProbe, OneDimensionSymmetricOptimum) {
    // x = -1 (y 0), x = +1 (y 1): b = 0 by symmetry and w solves w = 2 / (1 + e^w); bisection here
    const std::vector<double> x = { -1.0, 1.0 };
    const std::vector<int>    y = { 0, 1 };
    double lo = 0.0, hi = 2.0;
    for (int i = 0; i < 200; ++i) {
        const double mid = 0.5 * (lo + hi);
        (mid - 2.0 / (1.0 + std::exp(mid)) > 0 ? hi : lo) = mid;
    }
    const probe_model m = probe_fit(x.data(), y.data(), 2, 1);
    EXPECT_TRUE(m.converged);
    EXPECT_NEAR(m.w[0], lo, 1e-12);
    EXPECT_NEAR(m.b, 0.0, 1e-12);
}

TEST(PasProbe, KktOnRandomAndSeparableData) {
    for (int separable = 0; separable < 2; ++separable) {
        const int n = 80, d = 12;
        rng r(7 + separable);
        std::vector<double> x(n * d);
        std::vector<int> y(n);
        for (int i = 0; i < n; ++i) {
            y[i] = r.uniform() < 0.5;
            for (int j = 0; j < d; ++j) { x[i * d + j] = r.normal() + 0.5; }
            // feature 0 carries the label; with separable = 1 perfectly, with a margin
            x[i * d] = separable ? (y[i] ? 1.0 : -1.0) * (1.0 + r.uniform()) : x[i * d] + (y[i] ? 0.7 : -0.7);
        }
        for (double C : { 1.0, 0.1, 10.0 }) {
            probe_params p;
            p.C = C;
            const probe_model m = probe_fit(x.data(), y.data(), n, d, p);
            EXPECT_TRUE(m.converged) << "C " << C;
            double gmax = 0.0;
            for (double g : kkt_gradient(x, y, d, m, C)) { gmax = std::max(gmax, std::fabs(g)); }
            EXPECT_LT(gmax, 1e-8) << "separable " << separable << " C " << C;
            for (double w : m.w) { EXPECT_TRUE(std::isfinite(w)); }
            if (separable) {   // regularisation keeps w finite; the probe still separates the data
                EXPECT_EQ(probe_count_correct(m, x.data(), y.data(), n), n);
                EXPECT_LT(std::fabs(m.w[0]), 10.0);
            }
        }
    }
}

TEST(PasProbe, PredictAtZeroIsClassZeroLikeSklearn) {
    probe_model m;
    m.w = { 1.0, -1.0 };
    m.b = 0.0;
    const double on[2]  = { 0.5, 0.5 };     // decision exactly 0
    const double pos[2] = { 0.5, 0.25 };
    const double neg[2] = { 0.25, 0.5 };
    EXPECT_EQ(probe_decision(m, on), 0.0);
    EXPECT_EQ(probe_predict(m, on), 0);      // sklearn: classes_[int(score > 0)]
    EXPECT_EQ(probe_predict(m, pos), 1);
    EXPECT_EQ(probe_predict(m, neg), 0);
}

TEST(PasProbe, SingleClassAndBadLabelsThrow) {
    const std::vector<double> x = { 0.0, 1.0, 2.0 };
    const std::vector<int> ones = { 1, 1, 1 };
    const std::vector<int> bad  = { 0, 2, 1 };
    try {
        probe_fit(x.data(), ones.data(), 3, 1);
        FAIL() << "no error";
    } catch (const error & e) {
        EXPECT_NE(std::string(e.what()).find("both classes"), std::string::npos) << e.what();
    }
    EXPECT_THROW(probe_fit(x.data(), bad.data(), 3, 1), error);
    EXPECT_THROW(probe_fit(x.data(), ones.data(), 0, 1), error);
}
