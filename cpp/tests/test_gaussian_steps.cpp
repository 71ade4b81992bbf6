// The Gaussian mixture's E-step, statistics and M-step against brute-force
// dense formulas (dense_reference.hpp), for every covariance type, in float64
// (to 1e-12) and float32 (float32 math with float64 accumulators: to 1e-4).
#include <emclust/gaussian_e_step.hpp>
#include <emclust/gaussian_lanes.hpp>
#include <emclust/gaussian_m_step.hpp>
#include <emclust/gaussian_statistics.hpp>
#include <limits>

#include "check.hpp"
#include "dense_reference.hpp"

using namespace emclust;
using dense::Mat;
using dense::Vec;

namespace {

constexpr Index kRows = 700;  // three 256-row blocks, the last one partial
constexpr Index kDims = 3;
constexpr Index kComponents = 3;
constexpr double kSpread = 4.0;

template <class T>
double tolerance() {
    return std::is_same_v<T, float> ? 1e-4 : 1e-12;
}

/// The rows as T, and those same values back in double for the reference.
template <class T>
std::pair<RowMatrix<T>, Mat> data(std::uint64_t seed) {
    const RowMatrix<T> X =
        dense::blobs(kRows, kDims, kComponents, kSpread, seed).cast<T>();
    return {X, X.template cast<double>()};
}

Vec weights_of(Index n, std::uint64_t seed) {
    Rng rng(seed);
    Vec w(n);
    for (Index i = 0; i < n; ++i) w[i] = 0.25 + 2.0 * rng.uniform();
    return w;
}

/// The lane kernels' exponential against std::exp (in double) over its whole
/// domain, [-700, 0] in double and [-80, 0] in float, on a grid of 200,001
/// points (steps far finer than the range reduction's ln 2): within 4 ulp.
template <class T>
void lane_exp_is_accurate() {
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    const double lo = std::is_same_v<T, double> ? -700.0 : -80.0;
    const Index steps = 200000;
    double worst = 0;
    T in[V], out[V];
    for (Index s = 0; s <= steps; s += V) {
        for (int v = 0; v < V; ++v) {
            const Index i = std::min(steps, s + v);
            in[v] = static_cast<T>(lo * static_cast<double>(i) / steps);
        }
        Eigen::internal::pstoreu(
            out, lanes::exp_nonpositive<T>(Eigen::internal::ploadu<Pk>(in)));
        for (int v = 0; v < V; ++v) {
            const double want = std::exp(static_cast<double>(in[v]));
            worst =
                std::max(worst, std::abs(static_cast<double>(out[v]) - want) / want);
        }
    }
    if (!(worst <= 4 * static_cast<double>(std::numeric_limits<T>::epsilon()))) {
        std::ostringstream msg;
        msg << "lane exp: relative error " << worst;
        emclust_test::fail(__FILE__, __LINE__, msg.str());
    }
}

}  // namespace

EMCLUST_TEST(lane_exp_is_accurate_float64) { lane_exp_is_accurate<double>(); }
EMCLUST_TEST(lane_exp_is_accurate_float32) { lane_exp_is_accurate<float>(); }

namespace {

template <class T>
void e_step_matches_dense() {
    const auto [X, Xd] = data<T>(1);
    ThreadPool pool(2);
    for (CovarianceType type : dense::kAllTypes) {
        const GaussianMixtureParams p =
            dense::random_params(kComponents, kDims, type, kSpread, 7);
        const dense::EStep ref = dense::e_step(Xd, p);
        RowMatrix<T> resp(kRows, kComponents), log_resp(kRows, kComponents);
        Eigen::Matrix<T, Eigen::Dynamic, 1> log_prob(kRows);
        gaussian_e_step<T>(X, p, resp.data(), log_prob.data(), false, pool);
        CHECK_CLOSE(resp, ref.resp, tolerance<T>(), 1e-3);
        CHECK_CLOSE(log_prob, ref.log_prob, tolerance<T>(), 1.0);
        gaussian_e_step<T>(X, p, log_resp.data(), nullptr, true, pool);
        // Exact in the tails too: log responsibilities of far components are
        // large negative numbers, not -inf from the log of an underflow.
        CHECK(log_resp.allFinite());
        CHECK_CLOSE(log_resp, ref.log_resp, tolerance<T>(), 1.0);
        CHECK_CLOSE(resp.template cast<double>().rowwise().sum(), Vec::Ones(kRows),
                    tolerance<T>(), 1.0);
    }
}

EMCLUST_TEST(e_step_matches_dense_float64) { e_step_matches_dense<double>(); }
EMCLUST_TEST(e_step_matches_dense_float32) { e_step_matches_dense<float>(); }

EMCLUST_TEST(precision_cholesky_inverts_covariance) {
    const Index d = 4;
    for (CovarianceType type : dense::kAllTypes) {
        const GaussianMixtureParams p = dense::random_params(3, d, type, kSpread, 3);
        const Index n_factors = type == CovarianceType::tied ? 1 : 3;
        for (Index c = 0; c < n_factors; ++c) {
            const Mat sigma = dense::covariance(p.covariances, type, c, d);
            // The factor C with Sigma^{-1} = C C^T: for diag and spherical the
            // stored 1/sqrt(variance) make a diagonal C.
            const RowMatrixXd& chol = p.precisions_cholesky;
            const Mat factor = is_matrix_type(type)
                                   ? Mat(as_square(chol, c, d))
                                   : dense::covariance(chol, type, c, d);
            if (is_matrix_type(type)) {
                // Upper triangular with a positive diagonal (scikit-learn's form).
                const Mat lower = factor.triangularView<Eigen::StrictlyLower>();
                CHECK(lower.isZero(0.0));
                CHECK((factor.diagonal().array() > 0).all());
            }
            CHECK_CLOSE(sigma * factor * factor.transpose(), Mat::Identity(d, d), 1e-12,
                        1.0);
        }
        const RowMatrixXd back =
            covariances_from_precision_cholesky(p.precisions_cholesky, type, d);
        CHECK_CLOSE(back, p.covariances, 1e-12, 1.0);
    }
}

template <class T>
void statistics_match_dense(bool weighted) {
    const auto [X, Xd] = data<T>(2);
    const Vec w = weighted ? weights_of(kRows, 5) : Vec();
    const Vec unit = weighted ? w : Vec::Ones(kRows);
    ThreadPool pool(3);
    for (CovarianceType type : dense::kAllTypes) {
        const GaussianMixtureParams p =
            dense::random_params(kComponents, kDims, type, kSpread, 11);
        const dense::EStep ref = dense::e_step(Xd, p);
        const GaussianStatistics st = e_step_statistics<T>(X, w, p, pool);
        const Mat wr = ref.resp.array().colwise() * unit.array();
        CHECK_CLOSE(st.resp_sum, Vec(wr.colwise().sum().transpose()), tolerance<T>(),
                    1.0);
        CHECK(std::abs(st.weight_sum - unit.sum()) <= 1e-12 * unit.sum());
        CHECK(std::abs(st.log_likelihood - unit.dot(ref.log_prob)) <=
              tolerance<T>() * std::abs(unit.dot(ref.log_prob)));
        CHECK(st.shift == p.means);
        for (Index c = 0; c < kComponents; ++c) {
            Vec first = Vec::Zero(kDims);
            Mat second = Mat::Zero(kDims, kDims);
            for (Index i = 0; i < kRows; ++i) {
                const Vec r = Xd.row(i).transpose() - p.means.row(c).transpose();
                first += wr(i, c) * r;
                second += wr(i, c) * r * r.transpose();
            }
            CHECK_CLOSE(st.first.row(c).transpose(), first, tolerance<T>(), 1.0);
            if (is_matrix_type(type)) {
                CHECK_CLOSE(as_square(st.second, c, kDims), second, tolerance<T>(),
                            1.0);
            } else {
                CHECK_CLOSE(st.second.row(c).transpose(), Vec(second.diagonal()),
                            tolerance<T>(), 1.0);
            }
        }
    }
}

EMCLUST_TEST(statistics_match_dense_float64) { statistics_match_dense<double>(false); }
EMCLUST_TEST(statistics_match_dense_weighted_float64) {
    statistics_match_dense<double>(true);
}
EMCLUST_TEST(statistics_match_dense_weighted_float32) {
    statistics_match_dense<float>(true);
}

template <class T>
void m_step_matches_dense(bool weighted) {
    const auto [X, Xd] = data<T>(3);
    const Vec w = weighted ? weights_of(kRows, 6) : Vec();
    ThreadPool pool(2);
    const double reg = 1e-6, eps = component_eps<T>();
    for (CovarianceType type : dense::kAllTypes) {
        const GaussianMixtureParams p =
            dense::random_params(kComponents, kDims, type, kSpread, 13);
        const Mat resp = dense::e_step(Xd, p).resp;
        const GaussianMixtureParams ref = dense::m_step(Xd, resp, w, type, reg, eps);

        // The EM iteration's M-step: statistics about the old means.
        const GaussianMixtureParams fused =
            m_step_from_statistics(e_step_statistics<T>(X, w, p, pool), reg, eps);
        // The M-step from given responsibilities, in two passes.
        const RowMatrix<T> resp_t = resp.cast<T>();
        const GaussianMixtureParams given = two_pass_m_step(
            [&](const RowMatrixXd& shift, bool second) {
                return resp_statistics<T>(X, resp_t, w, type, shift, second, pool);
            },
            kComponents, kDims, reg, eps, WeightNormalization::by_total_responsibility);
        for (const GaussianMixtureParams* q : {&fused, &given}) {
            CHECK(q->covariance_type == type);
            CHECK_CLOSE(q->weights, ref.weights, tolerance<T>(), 1e-3);
            CHECK_CLOSE(q->means, ref.means, tolerance<T>(), 1.0);
            CHECK_CLOSE(q->covariances, ref.covariances, tolerance<T>(), 1e-3);
            CHECK_CLOSE(q->precisions_cholesky, ref.precisions_cholesky, tolerance<T>(),
                        1e-3);
        }
    }
}

EMCLUST_TEST(m_step_matches_dense_float64) { m_step_matches_dense<double>(false); }
EMCLUST_TEST(m_step_matches_dense_weighted_float64) {
    m_step_matches_dense<double>(true);
}
EMCLUST_TEST(m_step_matches_dense_float32) { m_step_matches_dense<float>(false); }

/// Data far from the origin (1e6) with unit spread: the shifted scatter
/// keeps the covariance exact where raw sums of x x^T would lose every digit.
EMCLUST_TEST(m_step_is_accurate_far_from_origin) {
    const RowMatrixXd centred = dense::blobs(kRows, kDims, 1, 0.0, 21);
    const RowMatrixXd X = centred.array() + 1e6;
    ThreadPool pool(1);
    const Mat resp = Mat::Ones(kRows, 1);
    const GaussianMixtureParams ref =
        dense::m_step(centred, resp, Vec(), CovarianceType::full, 0.0, 0.0);
    const GaussianMixtureParams got = two_pass_m_step(
        [&](const RowMatrixXd& shift, bool second) {
            return resp_statistics<double>(X, resp, Vec(), CovarianceType::full, shift,
                                           second, pool);
        },
        1, kDims, 0.0, 0.0, WeightNormalization::by_total_responsibility);
    CHECK_CLOSE(got.covariances, ref.covariances, 1e-8, 1e-3);
    CHECK_CLOSE(Mat(got.means.array() - 1e6), ref.means, 1e-6, 1e-3);
}

EMCLUST_TEST(shape_errors_are_invalid_argument) {
    const auto [X, Xd] = data<double>(4);
    ThreadPool pool(1);
    const GaussianMixtureParams p =
        dense::random_params(kComponents, kDims + 1, CovarianceType::full, kSpread, 1);
    std::vector<double> resp(static_cast<std::size_t>(kRows * kComponents));
    CHECK_THROWS_AS(gaussian_e_step<double>(X, p, resp.data(), nullptr, false, pool),
                    std::invalid_argument);
    CHECK_THROWS_AS(e_step_statistics<double>(X, Vec(), p, pool), InvalidArgument);
    CHECK_THROWS_AS(parse_covariance_type("ful"), std::invalid_argument);
}

}  // namespace

EMCLUST_TEST_MAIN()
