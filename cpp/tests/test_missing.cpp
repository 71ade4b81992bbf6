// The missing-value (NaN) paths of the core: grouping rows by pattern, the
// exact-EM statistics of the Gaussian mixture against a brute-force dense
// computation (explicit inverses and determinants of each row's observed
// block, for every covariance type) and a log-likelihood worked by hand, the
// mixture of Bernoullis against its closed form, bad patterns as errors,
// data without NaN on today's path bit for bit, and the same bits for any
// number of threads.
#include <Eigen/LU>
#include <emclust/bernoulli_missing.hpp>
#include <emclust/gaussian_missing.hpp>
#include <limits>

#include "check.hpp"

using namespace emclust;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kPi = 3.14159265358979323846;

/// Six rows in four patterns, first seen in this order: {0, 2} observed
/// (rows 0, 3), {2} (rows 1, 5), complete (row 2), {1} (row 4).
RowMatrixXd small_data() {
    RowMatrixXd X(6, 3);
    X << 0.5, kNaN, -0.5,  //
        kNaN, kNaN, 1.0,   //
        1.0, 0.2, 0.3,     //
        1.5, kNaN, 0.0,    //
        kNaN, 0.7, kNaN,   //
        kNaN, kNaN, -0.2;
    return X;
}

Eigen::MatrixXd sigma(int c) {
    Eigen::MatrixXd s(3, 3);
    if (c == 0)
        s << 2.0, 0.5, 0.3, 0.5, 1.0, 0.2, 0.3, 0.2, 1.5;
    else
        s << 1.0, -0.3, 0.0, -0.3, 2.0, 0.4, 0.0, 0.4, 1.0;
    return s;
}

/// Component c's dense covariance under a covariance type.
Eigen::MatrixXd type_sigma(CovarianceType type, int c) {
    switch (type) {
        case CovarianceType::full:
            return sigma(c);
        case CovarianceType::tied:
            return sigma(0);
        case CovarianceType::diag:
            return sigma(c).diagonal().asDiagonal();
        case CovarianceType::spherical:
            return sigma(c).diagonal().mean() * Eigen::MatrixXd::Identity(3, 3);
    }
    return {};
}

GaussianMixtureParams small_params(CovarianceType type) {
    GaussianMixtureParams p;
    p.covariance_type = type;
    p.weights = (Eigen::VectorXd(2) << 0.4, 0.6).finished();
    p.means.resize(2, 3);
    p.means << 0.0, 1.0, -1.0, 2.0, -1.0, 0.5;
    switch (type) {
        case CovarianceType::full:
            p.covariances.resize(2, 9);
            for (int c = 0; c < 2; ++c) as_square(p.covariances, c, 3) = sigma(c);
            break;
        case CovarianceType::tied:
            p.covariances.resize(1, 9);
            as_square(p.covariances, 0, 3) = sigma(0);
            break;
        case CovarianceType::diag:
            p.covariances.resize(2, 3);
            for (int c = 0; c < 2; ++c)
                p.covariances.row(c) = sigma(c).diagonal().transpose();
            break;
        case CovarianceType::spherical:
            p.covariances.resize(2, 1);
            for (int c = 0; c < 2; ++c)
                p.covariances(c, 0) = sigma(c).diagonal().mean();
            break;
    }
    p.precisions_cholesky = precision_cholesky_from_covariances(p.covariances, type, 3);
    return p;
}

/// log N(x | mu, S) from the explicit inverse and determinant.
double log_normal(const Eigen::VectorXd& x, const Eigen::VectorXd& mu,
                  const Eigen::MatrixXd& s) {
    const Eigen::VectorXd r = x - mu;
    return -0.5 * r.dot(s.inverse() * r) - 0.5 * std::log(s.determinant()) -
           0.5 * static_cast<double>(x.size()) * std::log(2.0 * kPi);
}

/// What a brute-force E-step gives for X under a mixture with dense
/// covariances `cov`: log p(x_o) per row, the statistics about the means,
/// and the imputed rows.
struct Brute {
    Eigen::VectorXd log_prob;
    GaussianStatistics st;
    RowMatrixXd imputed;
};

Brute brute_force(const RowMatrixXd& X, const Eigen::VectorXd& w,
                  const GaussianMixtureParams& p,
                  const std::vector<Eigen::MatrixXd>& cov) {
    const Index n = X.rows(), d = X.cols(), k = p.n_components();
    const bool matrix = is_matrix_type(p.covariance_type);
    Brute b{Eigen::VectorXd(n), GaussianStatistics(p.covariance_type, p.means), X};
    for (Index i = 0; i < n; ++i) {
        std::vector<Index> o, m;
        for (Index j = 0; j < d; ++j) (std::isnan(X(i, j)) ? m : o).push_back(j);
        Eigen::VectorXd xo(o.size());
        for (std::size_t a = 0; a < o.size(); ++a) xo[a] = X(i, o[a]);
        std::vector<Eigen::VectorXd> filled(k);
        std::vector<Eigen::MatrixXd> extra(k, Eigen::MatrixXd::Zero(d, d));
        Eigen::VectorXd logp(k);
        for (Index c = 0; c < k; ++c) {
            const Eigen::MatrixXd& s = cov[c];
            Eigen::MatrixXd soo(o.size(), o.size()), smo(m.size(), o.size()),
                smm(m.size(), m.size());
            Eigen::VectorXd muo(o.size()), mum(m.size());
            for (std::size_t a = 0; a < o.size(); ++a) {
                muo[a] = p.means(c, o[a]);
                for (std::size_t e = 0; e < o.size(); ++e) soo(a, e) = s(o[a], o[e]);
            }
            for (std::size_t a = 0; a < m.size(); ++a) {
                mum[a] = p.means(c, m[a]);
                for (std::size_t e = 0; e < o.size(); ++e) smo(a, e) = s(m[a], o[e]);
                for (std::size_t e = 0; e < m.size(); ++e) smm(a, e) = s(m[a], m[e]);
            }
            logp[c] = std::log(p.weights[c]) + log_normal(xo, muo, soo);
            const Eigen::MatrixXd gain = smo * soo.inverse();
            const Eigen::VectorXd xm = mum + gain * (xo - muo);
            const Eigen::MatrixXd cm = smm - gain * smo.transpose();
            filled[c] = X.row(i).transpose();
            for (std::size_t a = 0; a < m.size(); ++a) {
                filled[c][m[a]] = xm[a];
                for (std::size_t e = 0; e < m.size(); ++e)
                    extra[c](m[a], m[e]) = cm(a, e);
            }
        }
        const double top = logp.maxCoeff();
        const double lse = top + std::log((logp.array() - top).exp().sum());
        b.log_prob[i] = lse;
        const double wi = w.size() > 0 ? w[i] : 1.0;
        b.st.log_likelihood += wi * lse;
        b.st.weight_sum += wi;
        for (Index j = 0; j < d; ++j)
            if (std::isnan(X(i, j))) b.imputed(i, j) = 0.0;
        for (Index c = 0; c < k; ++c) {
            const double g = std::exp(logp[c] - lse);
            for (const Index j : m) b.imputed(i, j) += g * filled[c][j];
            const Eigen::VectorXd r = filled[c] - p.means.row(c).transpose();
            const Eigen::MatrixXd scatter = r * r.transpose() + extra[c];
            b.st.resp_sum[c] += wi * g;
            b.st.first.row(c) += wi * g * r.transpose();
            if (matrix) {
                for (Index a = 0; a < d; ++a)
                    for (Index e = 0; e < d; ++e)
                        b.st.second(c, a * d + e) += wi * g * scatter(a, e);
            } else {
                b.st.second.row(c) += wi * g * scatter.diagonal().transpose();
            }
        }
    }
    return b;
}

void check_statistics(const GaussianStatistics& got, const GaussianStatistics& want,
                      double rtol) {
    CHECK_CLOSE(got.resp_sum, want.resp_sum, rtol, 1e-12);
    CHECK_CLOSE(got.first, want.first, rtol, 1e-12);
    CHECK_CLOSE(got.second, want.second, rtol, 1e-12);
    CHECK(std::abs(got.log_likelihood - want.log_likelihood) <=
          rtol * std::abs(want.log_likelihood));
    CHECK(std::abs(got.weight_sum - want.weight_sum) <= rtol * want.weight_sum);
}

constexpr CovarianceType kTypes[] = {CovarianceType::full, CovarianceType::tied,
                                     CovarianceType::diag, CovarianceType::spherical};

/// n rows of a 3-component mixture in d dimensions with about `fraction` of
/// the entries NaN (every row keeps one), as T.
template <class T>
RowMatrix<T> incomplete_data(Index n, Index d, double fraction, std::uint64_t seed) {
    Rng rng(seed);
    RowMatrix<T> X(n, d);
    for (Index i = 0; i < n; ++i) {
        const auto c = static_cast<double>(i % 3);
        Index kept = static_cast<Index>(rng.uniform() * static_cast<double>(d));
        for (Index j = 0; j < d; ++j) {
            const double u1 = rng.uniform() + 1e-300, u2 = rng.uniform();
            const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
            X(i, j) = static_cast<T>(3.0 * c * ((j % 2) != 0 ? 1.0 : -1.0) + z);
            if (j != kept && rng.uniform() < fraction)
                X(i, j) = std::numeric_limits<T>::quiet_NaN();
        }
    }
    return X;
}

bool same_bits(const RowMatrixXd& a, const RowMatrixXd& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           (a.array() == b.array()).all();
}

}  // namespace

EMCLUST_TEST(patterns_group_rows_in_first_seen_order) {
    const RowMatrixXd X = small_data();
    const MissingPatterns mp = find_missing_patterns<double>(X);
    CHECK(mp.n_patterns() == 4);
    CHECK(mp.any_missing());
    CHECK((mp.order == std::vector<Index>{0, 3, 1, 5, 2, 4}));
    CHECK((mp.begin == std::vector<Index>{0, 2, 4, 5, 6}));
    CHECK((mp.observed[0] == std::vector<Index>{0, 2}));
    CHECK((mp.missing[0] == std::vector<Index>{1}));
    CHECK((mp.observed[1] == std::vector<Index>{2}));
    CHECK((mp.missing[1] == std::vector<Index>{0, 1}));
    CHECK((mp.observed[2] == std::vector<Index>{0, 1, 2}));
    CHECK(mp.missing[2].empty());
    CHECK((mp.observed[3] == std::vector<Index>{1}));
    CHECK(contains_nan<double>(X));
    const RowMatrixXd complete = RowMatrixXd::Ones(4, 3);
    const MissingPatterns one = find_missing_patterns<double>(complete);
    CHECK(one.n_patterns() == 1 && !one.any_missing() &&
          !contains_nan<double>(complete));
}

EMCLUST_TEST(bad_patterns_are_errors) {
    RowMatrixXd X = small_data();
    X(3, 1) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(find_missing_patterns<double>(X), InvalidArgument);
    X = small_data();
    X.row(4).setConstant(kNaN);
    CHECK_THROWS_AS(find_missing_patterns<double>(X), InvalidArgument);
    ThreadPool pool(2);
    const GaussianMixtureParams p = small_params(CovarianceType::full);
    CHECK_THROWS_AS(missing_e_step_statistics<double>(X, Eigen::VectorXd(), p, pool),
                    InvalidArgument);
    CHECK_THROWS_AS(
        missing_e_step<double>(X, p, nullptr, nullptr, false, nullptr, pool),
        InvalidArgument);
    // A feature observed in no row: an error for a whole data set, allowed in
    // a chunk (another chunk may observe it).
    X = small_data();
    X.col(1).setConstant(kNaN);
    X(4, 0) = 1.0;
    CHECK_THROWS_AS(find_missing_patterns<double>(X, true), InvalidArgument);
    CHECK(find_missing_patterns<double>(X, false).n_patterns() == 3);
    GaussianMixtureOptions o;
    o.n_components = 2;
    o.max_iter = 2;
    CHECK_THROWS_AS(fit_gaussian_mixture_missing<double>(X, Eigen::VectorXd(), o),
                    InvalidArgument);
    const GaussianStatistics chunk =
        missing_e_step_statistics<double>(X, Eigen::VectorXd(), p, pool);
    CHECK(std::isfinite(chunk.log_likelihood));
    RowMatrixXd B(3, 2);
    B << 1.0, kNaN, 0.0, kNaN, kNaN, kNaN;
    CHECK_THROWS_AS(missing_detail::check_bernoulli_missing<double>(B, false),
                    InvalidArgument);
    B(2, 0) = 1.0;
    CHECK_THROWS_AS(missing_detail::check_bernoulli_missing<double>(B, true),
                    InvalidArgument);
    missing_detail::check_bernoulli_missing<double>(B, false);
}

EMCLUST_TEST(log_likelihood_of_one_observed_coordinate_by_hand) {
    // Row 1 observes x_2 = 1 only: p = 0.4 N(1; -1, 1.5) + 0.6 N(1; 0.5, 1).
    const RowMatrixXd X = small_data();
    const auto normal = [](double x, double mu, double var) {
        return std::exp(-0.5 * (x - mu) * (x - mu) / var) / std::sqrt(2.0 * kPi * var);
    };
    const double want =
        std::log(0.4 * normal(1.0, -1.0, 1.5) + 0.6 * normal(1.0, 0.5, 1.0));
    ThreadPool pool(1);
    Eigen::VectorXd log_prob(6);
    missing_e_step<double>(X, small_params(CovarianceType::full), nullptr,
                           log_prob.data(), false, nullptr, pool);
    CHECK(std::abs(log_prob[1] - want) <= 1e-13 * std::abs(want));
    // Row 4 observes x_1 = 0.7: 0.4 N(0.7; 1, 1) + 0.6 N(0.7; -1, 2).
    const double row4 =
        std::log(0.4 * normal(0.7, 1.0, 1.0) + 0.6 * normal(0.7, -1.0, 2.0));
    CHECK(std::abs(log_prob[4] - row4) <= 1e-13 * std::abs(row4));
}

EMCLUST_TEST(gaussian_statistics_equal_brute_force_for_every_type) {
    const RowMatrixXd X = small_data();
    Eigen::VectorXd w(6);
    w << 1.0, 0.5, 2.0, 0.0, 1.5, 3.0;
    for (const CovarianceType type : kTypes) {
        const GaussianMixtureParams p = small_params(type);
        const std::vector<Eigen::MatrixXd> cov{type_sigma(type, 0),
                                               type_sigma(type, 1)};
        const Brute want = brute_force(X, w, p, cov);
        ThreadPool pool(2);
        const GaussianStatistics got = missing_e_step_statistics<double>(X, w, p, pool);
        check_statistics(got, want.st, 1e-12);
        Eigen::VectorXd log_prob(6);
        RowMatrixXd resp(6, 2), imputed(6, 3);
        missing_e_step<double>(X, p, resp.data(), log_prob.data(), false,
                               imputed.data(), pool);
        CHECK_CLOSE(log_prob, want.log_prob, 1e-12, 1e-12);
        CHECK_CLOSE(imputed, want.imputed, 1e-12, 1e-12);
        CHECK_CLOSE(resp.rowwise().sum(), Eigen::VectorXd::Ones(6), 1e-14, 1.0);
        // The complete row is today's E-step on it.
        Eigen::VectorXd dense_lp(1);
        gaussian_e_step<double>(X.row(2), p, nullptr, dense_lp.data(), false, pool);
        CHECK(std::abs(dense_lp[0] - log_prob[2]) <= 1e-13 * std::abs(dense_lp[0]));
    }
}

EMCLUST_TEST(gaussian_float32_close_to_float64) {
    const RowMatrixXd X = small_data();
    const RowMatrix<float> Xf = X.cast<float>();
    for (const CovarianceType type : kTypes) {
        const GaussianMixtureParams p = small_params(type);
        ThreadPool pool(1);
        const GaussianStatistics a =
            missing_e_step_statistics<double>(X, Eigen::VectorXd(), p, pool);
        const GaussianStatistics b =
            missing_e_step_statistics<float>(Xf, Eigen::VectorXd(), p, pool);
        check_statistics(b, a, 1e-5);
    }
}

EMCLUST_TEST(without_nan_the_fit_is_todays_bit_for_bit) {
    RowMatrixXd X = incomplete_data<double>(1500, 4, 0.0, 5);
    CHECK(!contains_nan<double>(X));
    for (const CovarianceType type : kTypes) {
        GaussianMixtureOptions o;
        o.n_components = 3;
        o.covariance_type = type;
        o.max_iter = 5;
        o.tol = 0.0;
        o.n_threads = 2;
        const GaussianMixtureFit a =
            fit_gaussian_mixture<double>(X, Eigen::VectorXd(), o);
        const GaussianMixtureFit b =
            fit_gaussian_mixture_missing<double>(X, Eigen::VectorXd(), o);
        CHECK(same_bits(a.params.means, b.params.means));
        CHECK(same_bits(a.params.covariances, b.params.covariances));
        CHECK(a.trace.lower_bounds == b.trace.lower_bounds);
    }
}

EMCLUST_TEST(same_bits_for_any_thread_count) {
    const Index n = 6000, d = 5;
    const RowMatrixXd X = incomplete_data<double>(n, d, 0.15, 9);
    const RowMatrix<float> Xf = X.cast<float>();
    Eigen::VectorXd w(n);
    Rng rng(4);
    for (Index i = 0; i < n; ++i) w[i] = 2.0 * rng.uniform();
    CHECK(find_missing_patterns<double>(X).n_patterns() > 20);
    for (const CovarianceType type : {CovarianceType::full, CovarianceType::diag}) {
        std::vector<GaussianMixtureFit> fits, fits32;
        for (const int threads : {1, 2, 3, 8}) {
            GaussianMixtureOptions o;
            o.n_components = 3;
            o.covariance_type = type;
            o.max_iter = 4;
            o.tol = 0.0;
            o.seed = 7;
            o.n_threads = threads;
            fits.push_back(fit_gaussian_mixture_missing<double>(X, w, o));
            fits32.push_back(fit_gaussian_mixture_missing<float>(Xf, w, o));
        }
        for (std::size_t t = 1; t < fits.size(); ++t) {
            for (const auto* f : {&fits, &fits32}) {
                const GaussianMixtureParams& a = (*f)[0].params;
                const GaussianMixtureParams& b = (*f)[t].params;
                CHECK(same_bits(a.means, b.means));
                CHECK(same_bits(a.covariances, b.covariances));
                CHECK(same_bits(a.precisions_cholesky, b.precisions_cholesky));
                CHECK((a.weights.array() == b.weights.array()).all());
                CHECK((*f)[0].trace.lower_bounds == (*f)[t].trace.lower_bounds);
            }
        }
        // EM on the observed-data likelihood never decreases it.
        const auto& bounds = fits[0].trace.lower_bounds;
        for (std::size_t i = 1; i < bounds.size(); ++i)
            CHECK(bounds[i] >= bounds[i - 1] - 1e-12 * std::abs(bounds[i - 1]));
    }
    // The E-step outputs too.
    const GaussianMixtureParams p = small_params(CovarianceType::full);
    RowMatrixXd X3 = X.leftCols(3);
    for (Index i = 0; i < n; ++i)
        if (X3.row(i).array().isNaN().all()) X3(i, 0) = 0.0;
    std::vector<RowMatrixXd> outs;
    for (const int threads : {1, 4}) {
        ThreadPool pool(threads);
        RowMatrixXd resp(n, 2), imputed(n, 3);
        missing_e_step<double>(X3, p, resp.data(), nullptr, false, imputed.data(),
                               pool);
        outs.push_back(resp);
        outs.push_back(imputed);
    }
    CHECK(same_bits(outs[0], outs[2]));
    CHECK(same_bits(outs[1], outs[3]));
}

EMCLUST_TEST(bernoulli_statistics_equal_closed_form) {
    // Missing entries drop out of the product and of the sums.
    RowMatrixXd X(5, 3);
    X << 1.0, kNaN, 0.0,  //
        kNaN, 1.0, 1.0,   //
        0.0, 0.0, kNaN,   //
        1.0, 1.0, 1.0,    //
        kNaN, kNaN, 0.0;
    Eigen::VectorXd w(5);
    w << 1.0, 2.0, 0.5, 1.0, 0.0;
    BernoulliMixtureParams p;
    p.weights = (Eigen::VectorXd(2) << 0.3, 0.7).finished();
    p.probabilities.resize(2, 3);
    p.probabilities << 0.2, 0.6, 0.9, 0.7, 0.4, 0.1;
    BernoulliMissingStatistics want(2, 3);
    Eigen::VectorXd want_lp(5);
    for (Index i = 0; i < 5; ++i) {
        Eigen::VectorXd joint(2);
        for (Index c = 0; c < 2; ++c) {
            double prob = p.weights[c];
            for (Index j = 0; j < 3; ++j) {
                if (std::isnan(X(i, j))) continue;
                prob *= X(i, j) == 1.0 ? p.probabilities(c, j)
                                       : 1.0 - p.probabilities(c, j);
            }
            joint[c] = prob;
        }
        want_lp[i] = std::log(joint.sum());
        want.base.log_likelihood += w[i] * want_lp[i];
        want.base.weight_sum += w[i];
        for (Index c = 0; c < 2; ++c) {
            const double g = w[i] * joint[c] / joint.sum();
            want.base.resp_sum[c] += g;
            for (Index j = 0; j < 3; ++j) {
                if (std::isnan(X(i, j))) continue;
                want.base.x_sum(c, j) += g * X(i, j);
                want.observed_sum(c, j) += g;
            }
        }
    }
    ThreadPool pool(2);
    const BernoulliMissingStatistics got =
        bernoulli_missing_e_step_statistics<double>(X, w, p, pool);
    CHECK_CLOSE(got.base.resp_sum, want.base.resp_sum, 1e-13, 1e-14);
    CHECK_CLOSE(got.base.x_sum, want.base.x_sum, 1e-13, 1e-14);
    CHECK_CLOSE(got.observed_sum, want.observed_sum, 1e-13, 1e-14);
    CHECK(std::abs(got.base.log_likelihood - want.base.log_likelihood) <=
          1e-13 * std::abs(want.base.log_likelihood));
    Eigen::VectorXd lp(5);
    RowMatrixXd imputed(5, 3);
    bernoulli_missing_e_step<double>(X, p, nullptr, lp.data(), false, imputed.data(),
                                     pool);
    CHECK_CLOSE(lp, want_lp, 1e-13, 1e-14);
    // The missing entry of row 4 (feature 1): sum_k gamma_k theta_k1.
    const double g[2] = {0.3 * 0.1, 0.7 * 0.9};
    CHECK(std::abs(imputed(4, 1) - (g[0] * 0.6 + g[1] * 0.4) / (g[0] + g[1])) <= 1e-14);
    CHECK(imputed(3, 2) == 1.0);
    // M-step: theta = (S + alpha) / (N_kd + eps + 2 alpha).
    const BernoulliMixtureParams next = bernoulli_missing_m_step(got, 0.01, 0.0);
    const RowMatrixXd theta =
        (want.base.x_sum.array() + 0.01) / (want.observed_sum.array() + 0.02);
    CHECK_CLOSE(next.probabilities, theta, 1e-12, 1e-14);
}

EMCLUST_TEST(bernoulli_fit_same_bits_for_any_thread_count_and_todays_without_nan) {
    const Index n = 5000, d = 8;
    RowMatrixXd X = incomplete_data<double>(n, d, 0.0, 3);
    X = (X.array() > 0.0).cast<double>();
    BernoulliMixtureOptions o;
    o.n_components = 3;
    o.max_iter = 5;
    o.tol = 0.0;
    o.seed = 2;
    o.n_threads = 2;
    const BernoulliMixtureFit a =
        fit_bernoulli_mixture<double>(X, Eigen::VectorXd(), o);
    const BernoulliMixtureFit b =
        fit_bernoulli_mixture_missing<double>(X, Eigen::VectorXd(), o);
    CHECK(same_bits(a.params.probabilities, b.params.probabilities));
    CHECK(a.trace.lower_bounds == b.trace.lower_bounds);
    Rng rng(6);
    for (Index i = 0; i < n; ++i)
        for (Index j = 1; j < d; ++j)
            if (rng.uniform() < 0.2) X(i, j) = kNaN;
    std::vector<BernoulliMixtureFit> fits;
    for (const int threads : {1, 3, 8}) {
        o.n_threads = threads;
        fits.push_back(fit_bernoulli_mixture_missing<double>(X, Eigen::VectorXd(), o));
    }
    for (std::size_t t = 1; t < fits.size(); ++t) {
        CHECK(same_bits(fits[0].params.probabilities, fits[t].params.probabilities));
        CHECK(fits[0].trace.lower_bounds == fits[t].trace.lower_bounds);
    }
}

EMCLUST_TEST_MAIN()
