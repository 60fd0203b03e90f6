// Probe: one L2-regularised logistic regression with intercept, the optimum of scikit-learn's default
// LogisticRegression (C=1, penalty l2, intercept not penalised):
//     minimise  C * sum_i log(1 + exp(-s_i * (x_i.w + b))) + 0.5 * ||w||^2,   s_i = 2*y_i - 1
//
// Solver: damped Newton (IRLS) started at w = 0, b = 0 like sklearn: Hessian C*Xa'diag(p(1-p))Xa +
// diag(1..1, 0) (Xa = [X, 1]; positive definite: the intercept's diagonal is C*sum p(1-p) > 0), solved with
// Eigen's blocked Cholesky (LLT; LDLT as a fallback if rounding makes it look indefinite), Armijo
// backtracking. Why not L-BFGS: the objective is smooth and strictly convex, so the minimiser is unique and
// matching sklearn is a matter of tolerance, not algorithm; Newton reaches machine precision in ~8 steps at
// this size (d ~ 128, n ~ 150), has no line-search subtleties and needs no hand-written optimiser. We stop
// at max|grad| <= gtol (1e-9), far tighter than sklearn's lbfgs (gtol 1e-4, and scipy's ftol stops it
// earlier still), so remaining differences to sklearn's coefficients are sklearn's (~1e-4 relative).
#pragma once

#include <vector>

namespace palign {

struct probe_params {
    double C        = 1.0;    // inverse regularisation strength (sklearn's C)
    int    max_iter = 100;    // Newton steps
    double gtol     = 1e-9;   // stop when max |gradient| <= gtol
};

struct probe_model {
    std::vector<double> w;          // d weights
    double b         = 0.0;         // intercept
    int    n_iter    = 0;           // Newton steps taken
    double grad_max  = 0.0;         // max |gradient| at the returned point
    bool   converged = false;       // grad_max <= gtol (or no further decrease possible in double)
};

// x: n rows of d doubles (row-major), y: n labels in {0,1}. Both classes must occur (throws otherwise,
// like sklearn). Deterministic and single-threaded.
probe_model probe_fit(const double * x, const int * y, int n, int d, const probe_params & params = {});

// x.w + b for one row of d doubles
double probe_decision(const probe_model & m, const double * x_row);

// class 1 iff decision > 0, exactly like sklearn's predict (a decision of exactly 0 is class 0)
inline int probe_predict(const probe_model & m, const double * x_row) { return probe_decision(m, x_row) > 0.0 ? 1 : 0; }

// number of rows of x (n rows of d doubles) whose prediction equals y
int probe_count_correct(const probe_model & m, const double * x, const int * y, int n);

} // namespace palign
