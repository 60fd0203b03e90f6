// Bootstrap: percentile intervals of a mean over subjects (compare.h), numpy's quantile interpolation.
#include "eval/compare.h"

#include "util/error.h"
#include "util/rng.h"

#include <algorithm>

namespace palign {

static double quantile_sorted(const std::vector<double> & x, double q) {
    const double h = q * (double) (x.size() - 1);
    const size_t i = (size_t) std::floor(h);
    if (i + 1 >= x.size()) return x.back();
    return x[i] + (h - (double) i) * (x[i + 1] - x[i]);
}

interval bootstrap_mean(const std::vector<double> & values, const compare_params & p) {
    if (p.n_boot < 1) fail(strfmt("bootstrap: n_boot must be at least 1 (got %d)", p.n_boot));
    if (!(p.level > 0.0 && p.level < 1.0)) fail(strfmt("bootstrap: level must be in (0, 1) (got %g)", p.level));
    interval r;
    r.n = (int) values.size();
    if (values.empty()) return r;
    r.mean = mean_of(values);
    const size_t n = values.size();
    rng g(p.seed);
    std::vector<double> means((size_t) p.n_boot);
    for (int b = 0; b < p.n_boot; b++) {
        double s = 0.0;
        for (size_t k = 0; k < n; k++) s += values[g.below(n)];
        means[b] = s / (double) n;
    }
    std::sort(means.begin(), means.end());
    r.lo = quantile_sorted(means, (1.0 - p.level) / 2.0);
    r.hi = quantile_sorted(means, (1.0 + p.level) / 2.0);
    return r;
}

} // namespace palign
