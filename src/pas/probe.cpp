// Probe: L2 logistic regression with intercept by damped Newton (IRLS) + Cholesky; see probe.h.
#include "pas/probe.h"

#include "util/error.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>

namespace palign {

using mat_t = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using vec_t = Eigen::VectorXd;

static double sigmoid(double z) {
    if (z >= 0) { return 1.0 / (1.0 + std::exp(-z)); }
    const double e = std::exp(z);
    return e / (1.0 + e);
}

// log(1 + exp(-m)) without overflow
static double log1pexp_neg(double m) { return std::max(-m, 0.0) + std::log1p(std::exp(-std::fabs(m))); }

// objective at theta = [w; b] given z = Xa * theta
static double objective(const vec_t & z, const int * y, const vec_t & theta, int d, double C) {
    double loss = 0.0;
    for (Eigen::Index i = 0; i < z.size(); ++i) {
        loss += log1pexp_neg(y[i] ? z[i] : -z[i]);
    }
    return C * loss + 0.5 * theta.head(d).squaredNorm();
}

probe_model probe_fit(const double * x, const int * y, int n, int d, const probe_params & params) {
    if (n <= 0 || d <= 0) {
        fail(strfmt("probe_fit: empty problem (n = %d samples, d = %d features)", n, d));
    }
    int n_pos = 0;
    for (int i = 0; i < n; ++i) {
        if (y[i] != 0 && y[i] != 1) {
            fail(strfmt("probe_fit: label %d of sample %d is not 0 or 1", y[i], i));
        }
        n_pos += y[i];
    }
    if (n_pos == 0 || n_pos == n) {
        fail(strfmt("probe_fit: all %d samples have label %d; a probe needs both classes", n, n_pos ? 1 : 0),
             "the caller must pass samples of both classes (sklearn refuses this case too)");
    }
    const double C = params.C;

    // augmented design [X, 1]; theta = [w; b]
    mat_t xa(n, d + 1);
    xa.leftCols(d) = Eigen::Map<const mat_t>(x, n, d);
    xa.col(d).setOnes();

    vec_t theta = vec_t::Zero(d + 1);
    vec_t z     = vec_t::Zero(n);
    vec_t r(n), g(d + 1), step(d + 1), theta_new(d + 1), z_new(n), sd(n);
    mat_t bw(n, d + 1);
    Eigen::MatrixXd h(d + 1, d + 1);
    Eigen::LLT<Eigen::MatrixXd> llt(d + 1);
    Eigen::LDLT<Eigen::MatrixXd> ldlt;

    double f = objective(z, y, theta, d, C);
    probe_model m;
    for (;;) {
        // gradient C*Xa'(p - y) + [w; 0] and IRLS weights sqrt(C p (1-p))
        for (int i = 0; i < n; ++i) {
            const double p = sigmoid(z[i]);
            r[i]  = y[i] ? -sigmoid(-z[i]) : p;   // p - y, accurate for both labels
            sd[i] = std::sqrt(C * p * (1.0 - p));
        }
        g.noalias() = C * (xa.transpose() * r);
        g.head(d) += theta.head(d);
        m.grad_max = g.cwiseAbs().maxCoeff();
        if (m.grad_max <= params.gtol) { m.converged = true; break; }
        if (m.n_iter >= params.max_iter) { break; }
        ++m.n_iter;

        // Hessian C*Xa' diag(p(1-p)) Xa + diag(1, ..., 1, 0), lower triangle only
        bw = sd.asDiagonal() * xa;
        h.setZero();
        h.selfadjointView<Eigen::Lower>().rankUpdate(bw.transpose());
        h.diagonal().head(d).array() += 1.0;
        llt.compute(h);   // blocked Cholesky; LDLT only if rounding made h look indefinite
        bool ok = llt.info() == Eigen::Success;
        if (ok) {
            step = llt.solve(-g);
        } else {
            ldlt.compute(h);
            step = ldlt.solve(-g);
            ok = ldlt.info() == Eigen::Success;
        }
        double gd = g.dot(step);
        if (!ok || !std::isfinite(gd) || gd >= 0.0) {   // cannot happen in exact arithmetic
            step = -g;
            gd   = -g.squaredNorm();
        }

        // Armijo backtracking; the small slack absorbs rounding once f is flat to double precision
        double t = 1.0;
        bool moved = false;
        for (int ls = 0; ls < 60; ++ls, t *= 0.5) {
            theta_new = theta + t * step;
            z_new.noalias() = xa * theta_new;
            const double f_new = objective(z_new, y, theta_new, d, C);
            if (f_new <= f + 1e-4 * t * gd + 1e-14 * std::fabs(f)) {
                theta.swap(theta_new);
                z.swap(z_new);
                f = f_new;
                moved = true;
                break;
            }
        }
        if (!moved) {   // no decrease representable in double: we are at the optimum to machine precision
            m.converged = m.grad_max <= 1e3 * params.gtol;
            break;
        }
    }
    m.w.assign(theta.data(), theta.data() + d);
    m.b = theta[d];
    return m;
}

double probe_decision(const probe_model & m, const double * x_row) {
    double s = m.b;
    for (size_t j = 0; j < m.w.size(); ++j) {
        s += m.w[j] * x_row[j];
    }
    return s;
}

int probe_count_correct(const probe_model & m, const double * x, const int * y, int n) {
    const size_t d = m.w.size();
    int ok = 0;
    for (int i = 0; i < n; ++i) {
        ok += probe_predict(m, x + i * d) == y[i];
    }
    return ok;
}

} // namespace palign
