// fit_gaussian_mixture, the public C++ entry point: the whole EM loop against
// brute-force dense EM, identical bits for any thread count, views of
// caller-owned row-major float/double data, and every error as an exception.
#include <emclust/gaussian_mixture.hpp>
#include <thread>

#include "check.hpp"
#include "dense_reference.hpp"

using namespace emclust;
using dense::Mat;
using dense::Vec;

namespace {

constexpr Index kRows = 600, kDims = 2, kComponents = 3;
constexpr double kSpread = 5.0;
constexpr int kIterations = 8;

/// Options that start EM from `p` exactly (weights, means and precisions all
/// given) and run a fixed number of iterations (tol = 0 never converges).
GaussianMixtureOptions options_from(const GaussianMixtureParams& p, int iterations) {
    GaussianMixtureOptions o;
    o.n_components = p.n_components();
    o.covariance_type = p.covariance_type;
    o.max_iter = iterations;
    o.tol = 0.0;
    o.weights_init = p.weights;
    o.means_init = p.means;
    RowMatrixXd precisions(p.covariances.rows(), p.covariances.cols());
    const Index d = p.n_features();
    for (Index c = 0; c < precisions.rows(); ++c) {
        if (is_matrix_type(p.covariance_type)) {
            const Mat cov = as_square(p.covariances, c, d);
            as_square(precisions, c, d) = cov.inverse();
        } else {
            precisions.row(c) = p.covariances.row(c).cwiseInverse();
        }
    }
    o.precisions_init = precisions;
    o.n_threads = 2;
    return o;
}

bool same_bits(const GaussianMixtureFit& a, const GaussianMixtureFit& b) {
    return a.params.weights == b.params.weights && a.params.means == b.params.means &&
           a.params.covariances == b.params.covariances &&
           a.params.precisions_cholesky == b.params.precisions_cholesky &&
           a.trace.lower_bounds == b.trace.lower_bounds &&
           a.trace.n_iter == b.trace.n_iter && a.trace.converged == b.trace.converged;
}

template <class T>
void fit_matches_dense_em(bool weighted) {
    const RowMatrix<T> X =
        dense::blobs(kRows, kDims, kComponents, kSpread, 31).cast<T>();
    const Mat Xd = X.template cast<double>();
    Vec w;
    if (weighted) {
        Rng rng(8);
        w.resize(kRows);
        for (Index i = 0; i < kRows; ++i) w[i] = 0.5 + rng.uniform();
    }
    const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-10;
    for (CovarianceType type : dense::kAllTypes) {
        const GaussianMixtureParams start =
            dense::random_params(kComponents, kDims, type, kSpread, 9);
        const GaussianMixtureFit fit =
            fit_gaussian_mixture<T>(X, w, options_from(start, kIterations));
        const auto [ref, bounds] =
            dense::em(Xd, w, start, kIterations, 1e-6, component_eps<T>());
        CHECK(fit.trace.n_iter == kIterations);
        CHECK(!fit.trace.converged);
        CHECK(fit.params.covariance_type == type);
        CHECK_CLOSE(fit.params.weights, ref.weights, tol, 1e-3);
        CHECK_CLOSE(fit.params.means, ref.means, tol, 1.0);
        CHECK_CLOSE(fit.params.covariances, ref.covariances, tol, 1e-3);
        CHECK_CLOSE(fit.params.precisions_cholesky, ref.precisions_cholesky, tol, 1e-3);
        CHECK_CLOSE(Eigen::Map<const Vec>(fit.trace.lower_bounds.data(), kIterations),
                    Eigen::Map<const Vec>(bounds.data(), kIterations), tol, 1.0);
        CHECK(fit.trace.lower_bound == fit.trace.lower_bounds.back());
    }
}

}  // namespace

EMCLUST_TEST(fit_matches_dense_em_float64) { fit_matches_dense_em<double>(false); }
EMCLUST_TEST(fit_matches_dense_em_weighted_float64) {
    fit_matches_dense_em<double>(true);
}
EMCLUST_TEST(fit_matches_dense_em_float32) { fit_matches_dense_em<float>(false); }

/// Every initialisation, several restarts: the same bits for 1 to 4 threads
/// (enough rows for many chunks).
EMCLUST_TEST(thread_count_does_not_change_bits) {
    const RowMatrixXd X = dense::blobs(5000, 3, 4, 3.0, 41);
    for (GaussianInit init : {GaussianInit::kmeans, GaussianInit::kmeans_plusplus,
                              GaussianInit::random, GaussianInit::random_from_data}) {
        GaussianMixtureOptions o;
        o.n_components = 4;
        o.init = init;
        o.n_init = 2;
        o.max_iter = 20;
        o.seed = 123;
        o.n_threads = 1;
        const GaussianMixtureFit serial = fit_gaussian_mixture<double>(X, Vec(), o);
        CHECK(serial.trace.n_iter > 1);
        for (int threads : {2, 3, 4}) {
            o.n_threads = threads;
            CHECK(same_bits(fit_gaussian_mixture<double>(X, Vec(), o), serial));
        }
    }
}

/// EM never lowers the log-likelihood (up to rounding).
EMCLUST_TEST(lower_bound_never_decreases) {
    const RowMatrixXd X = dense::blobs(2000, 2, 3, 2.0, 51);
    for (CovarianceType type : dense::kAllTypes) {
        GaussianMixtureOptions o;
        o.n_components = 3;
        o.covariance_type = type;
        o.init = GaussianInit::random;
        o.max_iter = 50;
        o.tol = 0.0;
        o.seed = 5;
        int calls = 0;
        o.on_iteration = [&](int restart, int it, double, double) {
            CHECK(restart == 0);
            CHECK(it == ++calls);
        };
        const GaussianMixtureFit fit = fit_gaussian_mixture<double>(X, Vec(), o);
        CHECK(calls == 50);
        const std::vector<double>& lb = fit.trace.lower_bounds;
        for (std::size_t i = 1; i < lb.size(); ++i) {
            CHECK(lb[i] >= lb[i - 1] - 1e-12 * std::abs(lb[i - 1]));
        }
    }
}

/// The fit reads any row-major float/double data through Eigen::Ref without
/// copying: a Map of a caller's buffer, a Map of a column block of a wider
/// buffer (outer stride), and gives the same bits as an Eigen matrix.
template <class T>
void accepts_views() {
    const RowMatrix<T> X =
        dense::blobs(kRows, kDims, kComponents, kSpread, 61).cast<T>();
    GaussianMixtureOptions o;
    o.n_components = kComponents;
    o.seed = 1;
    const GaussianMixtureFit direct = fit_gaussian_mixture<T>(X, Vec(), o);
    CHECK(direct.trace.converged);

    std::vector<T> buffer(X.data(), X.data() + X.size());
    const Eigen::Map<const RowMatrix<T>> map(buffer.data(), kRows, kDims);
    CHECK(same_bits(fit_gaussian_mixture<T>(map, Vec(), o), direct));

    RowMatrix<T> wide = RowMatrix<T>::Zero(kRows, kDims + 3);
    wide.middleCols(1, kDims) = X;
    const Eigen::Map<const RowMatrix<T>, 0, Eigen::OuterStride<>> strided(
        wide.data() + 1, kRows, kDims, Eigen::OuterStride<>(kDims + 3));
    const ConstRowMatrixRef<T> ref(strided);
    CHECK(ref.data() == wide.data() + 1);  // bound without a copy
    CHECK(same_bits(fit_gaussian_mixture<T>(strided, Vec(), o), direct));

    const Vec unit = Vec::Ones(kRows);
    CHECK(same_bits(fit_gaussian_mixture<T>(X, unit, o), direct));
}

EMCLUST_TEST(accepts_views_float64) { accepts_views<double>(); }
EMCLUST_TEST(accepts_views_float32) { accepts_views<float>(); }

/// No global state: fits running at once on two threads give the results of
/// the same fits run one after the other.
EMCLUST_TEST(concurrent_fits_are_independent) {
    const RowMatrixXd A = dense::blobs(3000, 2, 3, 4.0, 71);
    const RowMatrixXd B = dense::blobs(2000, 3, 2, 6.0, 72);
    GaussianMixtureOptions oa, ob;
    oa.n_components = 3;
    oa.n_threads = 2;
    oa.seed = 3;
    ob.n_components = 2;
    ob.covariance_type = CovarianceType::diag;
    ob.n_threads = 2;
    ob.seed = 4;
    const GaussianMixtureFit sa = fit_gaussian_mixture<double>(A, Vec(), oa);
    const GaussianMixtureFit sb = fit_gaussian_mixture<double>(B, Vec(), ob);
    GaussianMixtureFit ca, cb;
    std::thread ta([&] { ca = fit_gaussian_mixture<double>(A, Vec(), oa); });
    std::thread tb([&] { cb = fit_gaussian_mixture<double>(B, Vec(), ob); });
    ta.join();
    tb.join();
    CHECK(same_bits(ca, sa));
    CHECK(same_bits(cb, sb));
}

EMCLUST_TEST(bad_options_are_invalid_argument) {
    const RowMatrixXd X = dense::blobs(50, 2, 2, 4.0, 81);
    auto fit_with = [&](auto change) {
        GaussianMixtureOptions o;
        o.n_components = 2;
        change(o);
        return fit_gaussian_mixture<double>(X, Vec(), o);
    };
    CHECK_THROWS_AS(fit_with([](auto& o) { o.n_components = 0; }), InvalidArgument);
    CHECK_THROWS_AS(fit_with([](auto& o) { o.n_components = 51; }),
                    std::invalid_argument);
    CHECK_THROWS_AS(fit_with([](auto& o) { o.reg_covar = -1; }), std::invalid_argument);
    CHECK_THROWS_AS(fit_with([](auto& o) { o.max_iter = -1; }), std::invalid_argument);
    CHECK_THROWS_AS(fit_with([](auto& o) { o.n_init = 0; }), std::invalid_argument);
    CHECK_THROWS_AS(fit_with([](auto& o) { o.tol = std::nan(""); }),
                    std::invalid_argument);
    CHECK_THROWS_AS(fit_with([](auto& o) { o.means_init = RowMatrixXd::Zero(2, 3); }),
                    std::invalid_argument);
    CHECK_THROWS_AS(fit_with([](auto& o) { o.weights_init = Vec::Ones(3) / 3; }),
                    std::invalid_argument);
    CHECK_THROWS_AS(
        fit_with([](auto& o) { o.precisions_init = RowMatrixXd::Ones(2, 4); }),
        std::invalid_argument);  // all ones: not positive definite
    CHECK_THROWS_AS(
        fit_gaussian_mixture<double>(X, Vec::Ones(49), GaussianMixtureOptions{}),
        std::invalid_argument);
    CHECK_THROWS_AS(parse_gaussian_init("kmeans++"), std::invalid_argument);
}

/// A covariance that cannot be made positive definite (reg_covar = 0 and a
/// constant feature) is a NumericalError, a std::runtime_error.
EMCLUST_TEST(singular_covariance_is_numerical_error) {
    RowMatrixXd X = dense::blobs(100, 2, 2, 4.0, 91);
    X.col(1).setConstant(3.0);
    GaussianMixtureOptions o;
    o.n_components = 2;
    o.reg_covar = 0.0;
    CHECK_THROWS_AS(fit_gaussian_mixture<double>(X, Vec(), o), NumericalError);
    CHECK_THROWS_AS(fit_gaussian_mixture<double>(X, Vec(), o), std::runtime_error);
    o.reg_covar = 1e-6;
    CHECK(fit_gaussian_mixture<double>(X, Vec(), o).params.covariances.allFinite());
}

/// The interrupt check stops the fit with Interrupted (a std::runtime_error).
EMCLUST_TEST(interrupt_stops_the_fit) {
    const RowMatrixXd X = dense::blobs(3000, 2, 3, 4.0, 101);
    GaussianMixtureOptions o;
    o.n_components = 3;
    o.n_threads = 2;
    int polls = 0;
    const InterruptCheck stop_on_third = [&] { return ++polls >= 3; };
    CHECK_THROWS_AS(fit_gaussian_mixture<double>(X, Vec(), o, stop_on_third),
                    Interrupted);
    CHECK(polls == 3);
    CHECK_THROWS_AS(fit_gaussian_mixture<double>(X, Vec(), o, [] { return true; }),
                    std::runtime_error);
}

EMCLUST_TEST_MAIN()
