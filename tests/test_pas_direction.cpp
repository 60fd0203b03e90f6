// PAS directions: mass-mean and probe directions and sigma on a hand-computed example; steering vectors.
#include "pas/direction.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace palign;

// 2 layers x 2 heads, head_dim 2, 2 pairs. Head (1, 0) holds the worked example:
//   pair 0: A = (4, 4) label 1, E = (1, 0) label 0;  pair 1: A = (-1, 2) label 0, E = (2, 6) label 1.
// mass mean: mean1 = (3, 5), mean0 = (0, 1), diff = (3, 4), |diff| = 5 -> dir = (0.6, 0.8)
// projections 5.6, 0.6, 1.0, 6.0 -> mean 3.3, deviations +-2.3, +-2.7 -> var = (2*5.29 + 2*7.29)/4 = 6.29
// probe w = (3, -4) -> dir (0.6, -0.8); projections -0.8, 0.6, -2.2, -3.6 -> mean -1.5,
//   deviations 0.7, 2.1, -0.7, -2.1 -> var = (2*0.49 + 2*4.41)/4 = 2.45
struct worked {
    std::vector<float> x;
    std::vector<int> y = { 1, 0, 0, 1 };
    pas_data data;
    worked() {
        const float head10[4][2] = { { 4, 4 }, { 1, 0 }, { -1, 2 }, { 2, 6 } };
        x.assign(4 * 2 * 2 * 2, 0.0f);
        for (int s = 0; s < 4; ++s) {
            for (int l = 0; l < 2; ++l) {
                for (int h = 0; h < 2; ++h) {
                    for (int j = 0; j < 2; ++j) {
                        x[((s * 2 + l) * 2 + h) * 2 + j] = (l == 1 && h == 0) ? head10[s][j] : float(7 * s + 3 * l + h + j);
                    }
                }
            }
        }
        data.x = x.data(); data.y = y.data();
        data.n_samples = 4; data.n_layer = 2; data.n_head = 2; data.head_dim = 2;
    }
};

TEST(PasDirection, MassMeanHandExample) {
    worked w;
    std::vector<double> dir;
    double sigma = -1;
    pas_head_direction(w.data, 1, 0, pas_dir::mass_mean, nullptr, dir, sigma);
    ASSERT_EQ(dir.size(), 2u);
    EXPECT_NEAR(dir[0], 0.6, 1e-12);
    EXPECT_NEAR(dir[1], 0.8, 1e-12);
    EXPECT_NEAR(sigma, std::sqrt(6.29), 1e-12);
}

TEST(PasDirection, ProbeHandExample) {
    worked w;
    const std::vector<double> pw = { 3.0, -4.0 };
    std::vector<double> dir;
    double sigma = -1;
    pas_head_direction(w.data, 1, 0, pas_dir::probe, &pw, dir, sigma);
    EXPECT_NEAR(dir[0], 0.6, 1e-12);
    EXPECT_NEAR(dir[1], -0.8, 1e-12);
    EXPECT_NEAR(sigma, std::sqrt(2.45), 1e-12);
    EXPECT_THROW(pas_head_direction(w.data, 1, 0, pas_dir::probe, nullptr, dir, sigma), error);
}

TEST(PasDirection, ZeroDirectionStaysZero) {
    worked w;
    const std::vector<double> pw = { 0.0, 0.0 };
    std::vector<double> dir;
    double sigma = -1;
    pas_head_direction(w.data, 1, 0, pas_dir::probe, &pw, dir, sigma);
    EXPECT_EQ(dir, (std::vector<double>{ 0.0, 0.0 }));
    EXPECT_EQ(sigma, 0.0);
}

TEST(PasDirection, SteeringIsAlphaSigmaDir) {
    pas_fit fit;
    fit.n_layer = 2; fit.n_head = 2; fit.head_dim = 2;
    pas_head a; a.layer = 1; a.head = 0; a.sigma = 2.5f; a.dir = { 0.6f, 0.8f };
    pas_head b; b.layer = 0; b.head = 1; b.sigma = 0.5f; b.dir = { -1.0f, 0.0f };
    fit.heads = { a, b };
    const std::vector<pas_head_vec> v = pas_steering(fit, 4.0);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[0].layer, 1); EXPECT_EQ(v[0].head, 0);
    EXPECT_NEAR(v[0].v[0], 6.0f, 1e-6);    // 4 * 2.5 * 0.6
    EXPECT_NEAR(v[0].v[1], 8.0f, 1e-6);
    EXPECT_EQ(v[1].layer, 0); EXPECT_EQ(v[1].head, 1);
    EXPECT_NEAR(v[1].v[0], -2.0f, 1e-6);
    EXPECT_EQ(v[1].v[1], 0.0f);
    EXPECT_TRUE(pas_steering(fit, 0.0)[0].v == (std::vector<float>{ 0.0f, 0.0f }));
}
