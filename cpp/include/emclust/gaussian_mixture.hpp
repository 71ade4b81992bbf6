// Fitting a Gaussian mixture: initialisation and the EM loop, all in C++.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "em.hpp"
#include "gaussian_e_step.hpp"
#include "gaussian_m_step.hpp"
#include "gaussian_statistics.hpp"
#include "kmeans.hpp"
#include "kmeans_plusplus.hpp"
#include "parallel.hpp"
#include "random.hpp"

namespace emclust {

/// How the starting responsibilities are chosen (scikit-learn's init_params).
enum class GaussianInit {
    kmeans,            ///< labels of a K-means fit (k-means++ seeding, Lloyd)
    kmeans_plusplus,   ///< one-hot at k-means++ seeds
    random,            ///< uniform random responsibilities, normalised per row
    random_from_data,  ///< one-hot at distinct rows drawn uniformly
};

inline GaussianInit parse_gaussian_init(const std::string& name) {
    if (name == "kmeans") return GaussianInit::kmeans;
    if (name == "k-means++") return GaussianInit::kmeans_plusplus;
    if (name == "random") return GaussianInit::random;
    if (name == "random_from_data") return GaussianInit::random_from_data;
    throw InvalidArgument(
        "init_params must be 'kmeans', 'k-means++', 'random' or 'random_from_data', "
        "got '" +
        name + "'");
}

struct GaussianMixtureOptions {
    Index n_components = 1;
    CovarianceType covariance_type = CovarianceType::full;
    /// One of mclust's models (covariance_type is then full), or none.
    std::optional<CovarianceModel> covariance_model;
    /// mclust's conjugate prior: MAP EM, the lower bound then the mean log
    /// posterior (log-likelihood + log_prior_of, up to a constant).
    std::optional<ConjugatePrior> prior;
    double tol = 1e-3;
    /// mclust's relative convergence rule (EmOptions::relative_tol).
    bool relative_tol = false;
    double reg_covar = 1e-6;
    int max_iter = 100;
    int n_init = 1;
    GaussianInit init = GaussianInit::kmeans;
    Eigen::VectorXd weights_init;  ///< (K), or empty
    RowMatrixXd means_init;        ///< (K, d), or empty
    RowMatrixXd precisions_init;   ///< covariance storage layout, or empty
    std::optional<GaussianMixtureParams> warm_start;  ///< continue from these
    double warm_start_lower_bound = -std::numeric_limits<double>::infinity();
    std::uint64_t seed = 0;
    int n_threads = 0;  ///< <= 0: every usable core
    IterationCallback on_iteration;
};

struct GaussianMixtureFit {
    GaussianMixtureParams params;
    EmTrace trace;
};

namespace detail {

/// Parameters of one restart, as scikit-learn's _initialize: an M-step from
/// the starting responsibilities (weights normalised by the sample weight),
/// then any user-given weights, means and precisions replace their part.
template <class T>
GaussianMixtureParams initial_params(const ConstRowMatrixRef<T>& X,
                                     const Eigen::Ref<const Eigen::VectorXd>& w,
                                     const GaussianMixtureOptions& o, Rng& rng,
                                     ThreadPool& pool,
                                     const InterruptCheck& interrupt) {
    const Index n = X.rows(), d = X.cols(), k = o.n_components;
    const double eps = component_eps<T>();
    const bool all_given = o.weights_init.size() > 0 && o.means_init.size() > 0 &&
                           o.precisions_init.size() > 0;
    GaussianMixtureParams p;
    if (all_given) {
        p.covariance_type = o.covariance_type;
    } else if (o.init == GaussianInit::kmeans_plusplus ||
               o.init == GaussianInit::random_from_data) {
        // One-hot responsibilities at K distinct rows: the M-step puts each mean
        // on its row with a covariance of reg_covar alone.
        std::vector<Index> rows;
        if (o.init == GaussianInit::kmeans_plusplus) {
            rows = kmeans_plusplus<T>(X, w, k, rng, pool, interrupt);
        } else {
            std::unordered_set<Index> seen;  // Floyd's sampling without replacement
            for (Index j = n - k; j < n; ++j) {
                const auto t =
                    static_cast<Index>(rng.below(static_cast<std::uint64_t>(j + 1)));
                rows.push_back(seen.insert(t).second ? t : j);
                if (rows.back() == j) seen.insert(j);
            }
        }
        GaussianStatistics st(o.covariance_type, RowMatrixXd::Zero(k, d));
        st.weight_sum = w.size() > 0 ? w.sum() : static_cast<double>(n);
        for (Index c = 0; c < k; ++c) {
            const Index r = rows[static_cast<std::size_t>(c)];
            st.shift.row(c) = X.row(r).template cast<double>();
            st.resp_sum[c] = w.size() > 0 ? w[r] : 1.0;
        }
        // No model constraint here: every covariance is reg_covar I, which
        // satisfies all 14 models, and the zero scatter has no shape to solve.
        // With a prior the MAP step of the model keeps them positive definite.
        p = m_step_from_statistics(
            st, o.reg_covar, eps, WeightNormalization::by_sample_weight, true,
            o.prior ? o.covariance_model : std::nullopt, o.prior ? &*o.prior : nullptr);
    } else {
        // Statistics of the starting responsibilities, in two passes.
        const auto normalization = WeightNormalization::by_sample_weight;
        if (o.init == GaussianInit::kmeans) {
            KMeansOptions ko;
            ko.n_clusters = k;
            const KMeansResult km = kmeans_fit<T>(X, w, ko, pool, rng, interrupt);
            p = two_pass_m_step(
                [&](const RowMatrixXd& shift, bool second) {
                    return label_statistics<T>(X, km.labels, w, o.covariance_type,
                                               shift, second, pool, interrupt);
                },
                k, d, o.reg_covar, eps, normalization, true, o.covariance_model,
                o.prior ? &*o.prior : nullptr);
        } else {
            RowMatrix<T> resp(n, k);
            for (Index i = 0; i < n; ++i) {
                for (Index c = 0; c < k; ++c)
                    resp(i, c) = static_cast<T>(rng.uniform());
                resp.row(i) /= resp.row(i).sum();
            }
            p = two_pass_m_step(
                [&](const RowMatrixXd& shift, bool second) {
                    return resp_statistics<T>(X, resp, w, o.covariance_type, shift,
                                              second, pool, interrupt);
                },
                k, d, o.reg_covar, eps, normalization, true, o.covariance_model,
                o.prior ? &*o.prior : nullptr);
        }
    }
    if (o.weights_init.size() > 0) p.weights = o.weights_init;
    if (o.means_init.size() > 0) p.means = o.means_init;
    if (o.precisions_init.size() > 0) {
        p.precisions_cholesky =
            precision_cholesky_from_precisions(o.precisions_init, o.covariance_type, d);
        p.covariances = covariances_from_precision_cholesky(p.precisions_cholesky,
                                                            o.covariance_type, d);
    }
    return p;
}

inline void check_options(const GaussianMixtureOptions& o, Index n, Index d) {
    if (o.n_components < 1) throw InvalidArgument("n_components must be >= 1");
    if (n < o.n_components) {
        throw InvalidArgument(
            "n_samples=" + std::to_string(n) +
            " must be >= n_components=" + std::to_string(o.n_components));
    }
    if (!(o.reg_covar >= 0)) throw InvalidArgument("reg_covar must be >= 0");
    if (o.prior) {
        const std::string model =
            prior_model_name(o.covariance_type, o.covariance_model);
        if (!prior_supported(model))
            throw InvalidArgument("prior: covariance model " + model +
                                  " has no conjugate prior (models with one: EII, VII, "
                                  "EEI, VEI, EVI, VVI, EEE, EEV, VEV, VVV)");
        o.prior->validate(d);
    }
    const Index k = o.n_components;
    if (o.weights_init.size() > 0 && o.weights_init.size() != k) {
        throw InvalidArgument("weights_init must have shape (n_components,)");
    }
    if (o.means_init.size() > 0 &&
        (o.means_init.rows() != k || o.means_init.cols() != d)) {
        throw InvalidArgument("means_init must have shape (n_components, n_features)");
    }
    if (o.precisions_init.size() > 0) {
        auto [rows, cols] = covariance_storage_shape(o.covariance_type, k, d);
        if (o.precisions_init.rows() != rows || o.precisions_init.cols() != cols) {
            throw InvalidArgument(
                "precisions_init has the wrong shape for covariance_type '" +
                std::string(to_string(o.covariance_type)) + "'");
        }
    }
}

}  // namespace detail

/// One EM iteration from `params`: E-step fused with the statistics, then the
/// M-step. Returns the new parameters and the mean log-likelihood under
/// `params` (scikit-learn's lower bound); with a `prior`, the MAP M-step and
/// the mean log posterior under `params`.
template <class T>
std::pair<GaussianMixtureParams, double> gaussian_em_step(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const GaussianMixtureParams& params, double reg_covar, ThreadPool& pool,
    const InterruptCheck& interrupt = {},
    std::optional<CovarianceModel> model = std::nullopt,
    const ConjugatePrior* prior = nullptr) {
    const GaussianStatistics st =
        e_step_statistics<T>(X, sample_weight, params, pool, interrupt);
    GaussianMixtureParams next = m_step_from_statistics(
        st, reg_covar, component_eps<T>(), WeightNormalization::by_total_responsibility,
        true, model, prior, &params);
    double objective = st.log_likelihood;
    if (prior != nullptr) objective += log_prior_of(params, *prior, model);
    return {std::move(next), objective / st.weight_sum};
}

/// Fits a Gaussian mixture to the rows of X by EM.
/// @param X (n, d) data, row-major  @param sample_weight (n) or empty
template <class T>
GaussianMixtureFit fit_gaussian_mixture(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const GaussianMixtureOptions& options, const InterruptCheck& interrupt = {}) {
    detail::check_options(options, X.rows(), X.cols());
    if (sample_weight.size() > 0 && sample_weight.size() != X.rows()) {
        throw InvalidArgument("sample_weight must have shape (n_samples,)");
    }
    ThreadPool pool(options.n_threads);
    EmOptions em{options.max_iter, options.n_init, options.tol};
    em.relative_tol = options.relative_tol;
    em.relative_offset = relative_tol_offset(sample_weight, X.rows());
    auto init = [&](int restart) {
        Rng rng = Rng::stream(options.seed, static_cast<std::uint64_t>(restart));
        return detail::initial_params<T>(X, sample_weight, options, rng, pool,
                                         interrupt);
    };
    auto step = [&](const GaussianMixtureParams& p) {
        return gaussian_em_step<T>(X, sample_weight, p, options.reg_covar, pool,
                                   interrupt, options.covariance_model,
                                   options.prior ? &*options.prior : nullptr);
    };
    const GaussianMixtureParams* warm =
        options.warm_start ? &*options.warm_start : nullptr;
    auto [params, trace] =
        run_em<GaussianMixtureParams>(em, init, step, options.on_iteration, interrupt,
                                      warm, options.warm_start_lower_bound);
    return {std::move(params), std::move(trace)};
}

}  // namespace emclust
