// fit_bernoulli_mixture against brute-force dense EM on binary data, from
// given initial parameters; identical bits for any thread count; errors.
#include <emclust/bernoulli_mixture.hpp>

#include "check.hpp"
#include "dense_reference.hpp"

using namespace emclust;
using dense::Mat;
using dense::Vec;

namespace {

constexpr Index kRows = 800, kDims = 12, kComponents = 3;

/// Binary rows drawn from three prototypes, each bit flipped with p = 0.15.
RowMatrixXd binary_data(Index n, std::uint64_t seed) {
    Rng rng(seed);
    RowMatrixXd X(n, kDims);
    for (Index i = 0; i < n; ++i) {
        const Index c = i % kComponents;
        for (Index j = 0; j < kDims; ++j) {
            const bool on = (j % kComponents) == c;
            X(i, j) = (rng.uniform() < 0.15) != on ? 1.0 : 0.0;
        }
    }
    return X;
}

/// Dense EM: log pi_k + sum_d x log theta + (1 - x) log(1 - theta), then the
/// smoothed M-step theta = (S + alpha) / (N + 2 alpha), pi = N / sum N.
std::pair<BernoulliMixtureParams, std::vector<double>> dense_em(
    const Mat& X, BernoulliMixtureParams p, int iterations, double alpha, double eps) {
    std::vector<double> bounds;
    for (int it = 0; it < iterations; ++it) {
        const Mat log_theta = p.probabilities.array().log();
        const Mat log_one_minus = (1.0 - p.probabilities.array()).log();
        Mat wlp = X * log_theta.transpose() +
                  (1.0 - X.array()).matrix() * log_one_minus.transpose();
        wlp.rowwise() += p.weights.array().log().matrix().transpose();
        const Vec lse = dense::logsumexp_rows(wlp);
        bounds.push_back(lse.mean());
        const Mat resp = (wlp.colwise() - lse).array().exp();
        const Vec nk = resp.colwise().sum().transpose().array() + eps;
        p.weights = nk / nk.sum();
        const Mat sums = resp.transpose() * X;
        p.probabilities = (sums.array() + alpha).colwise() / (nk.array() + 2 * alpha);
    }
    return {p, bounds};
}

}  // namespace

EMCLUST_TEST(bernoulli_fit_matches_dense_em) {
    const RowMatrixXd X = binary_data(kRows, 3);
    BernoulliMixtureOptions o;
    o.n_components = kComponents;
    o.max_iter = 6;
    o.tol = 0.0;
    o.alpha = 1e-3;
    o.n_threads = 2;
    o.weights_init = Vec::Constant(kComponents, 1.0 / kComponents);
    Rng rng(4);
    o.probabilities_init = RowMatrixXd(kComponents, kDims);
    for (Index c = 0; c < kComponents; ++c) {
        for (Index j = 0; j < kDims; ++j)
            o.probabilities_init(c, j) = 0.2 + 0.6 * rng.uniform();
    }
    const BernoulliMixtureFit fit = fit_bernoulli_mixture<double>(X, Vec(), o);
    BernoulliMixtureParams start;
    start.weights = o.weights_init;
    start.probabilities = o.probabilities_init;
    const auto [ref, bounds] =
        dense_em(X, start, o.max_iter, o.alpha, bernoulli_component_eps<double>());
    CHECK(fit.trace.n_iter == o.max_iter);
    CHECK_CLOSE(fit.params.weights, ref.weights, 1e-10, 1e-3);
    CHECK_CLOSE(fit.params.probabilities, ref.probabilities, 1e-10, 1e-3);
    CHECK_CLOSE(Eigen::Map<const Vec>(fit.trace.lower_bounds.data(), o.max_iter),
                Eigen::Map<const Vec>(bounds.data(), o.max_iter), 1e-10, 1.0);
}

EMCLUST_TEST(bernoulli_thread_count_does_not_change_bits) {
    const RowMatrixXd X = binary_data(5000, 5);
    const RowMatrix<float> Xf = X.cast<float>();
    BernoulliMixtureOptions o;
    o.n_components = kComponents;
    o.n_init = 2;
    o.seed = 11;
    o.n_threads = 1;
    const BernoulliMixtureFit serial = fit_bernoulli_mixture<float>(Xf, Vec(), o);
    for (int threads : {2, 3}) {
        o.n_threads = threads;
        const BernoulliMixtureFit r = fit_bernoulli_mixture<float>(Xf, Vec(), o);
        CHECK(r.params.weights == serial.params.weights);
        CHECK(r.params.probabilities == serial.params.probabilities);
        CHECK(r.trace.lower_bounds == serial.trace.lower_bounds);
    }
}

EMCLUST_TEST(bernoulli_bad_options_are_invalid_argument) {
    const RowMatrixXd X = binary_data(30, 6);
    BernoulliMixtureOptions o;
    o.n_components = 0;
    CHECK_THROWS_AS(fit_bernoulli_mixture<double>(X, Vec(), o), std::invalid_argument);
    o.n_components = 2;
    o.alpha = -1;
    CHECK_THROWS_AS(fit_bernoulli_mixture<double>(X, Vec(), o), std::invalid_argument);
    o.alpha = 1e-3;
    o.probabilities_init = RowMatrixXd::Constant(2, kDims, 1.0);  // theta must be < 1
    CHECK_THROWS_AS(fit_bernoulli_mixture<double>(X, Vec(), o), std::invalid_argument);
}

EMCLUST_TEST_MAIN()
