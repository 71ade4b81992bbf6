// Fitting a mixture of Bernoullis: initialisation and the EM loop, in C++.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "bernoulli_m_step.hpp"
#include "bernoulli_statistics.hpp"
#include "em.hpp"
#include "kmeans_plusplus.hpp"
#include "parallel.hpp"
#include "random.hpp"

namespace emclust {

/// How the starting parameters are chosen.
enum class BernoulliInit {
    kmeans_plusplus,   ///< M-step from one-hot responsibilities at k-means++ seeds
    random,            ///< M-step from uniform random responsibilities
    random_from_data,  ///< M-step from one-hot responsibilities at random rows
};

inline BernoulliInit parse_bernoulli_init(const std::string& name) {
    if (name == "k-means++") return BernoulliInit::kmeans_plusplus;
    if (name == "random") return BernoulliInit::random;
    if (name == "random_from_data") return BernoulliInit::random_from_data;
    throw InvalidArgument(
        "init_params must be 'k-means++', 'random' or 'random_from_data', got '" +
        name + "'");
}

struct BernoulliMixtureOptions {
    Index n_components = 1;
    double tol = 1e-3;
    double alpha = 1e-3;  ///< additive smoothing of theta (see bernoulli_m_step)
    int max_iter = 100;
    int n_init = 1;
    BernoulliInit init = BernoulliInit::kmeans_plusplus;
    Eigen::VectorXd weights_init;    ///< (K), or empty
    RowMatrixXd probabilities_init;  ///< (K, d), or empty
    std::uint64_t seed = 0;
    int n_threads = 0;  ///< <= 0: every usable core
    IterationCallback on_iteration;
};

struct BernoulliMixtureFit {
    BernoulliMixtureParams params;
    EmTrace trace;
};

namespace detail {

/// Parameters of one restart: an M-step from the starting responsibilities,
/// then user-given weights and probabilities replace their part.
template <class T>
BernoulliMixtureParams bernoulli_initial_params(
    const ConstRowMatrixRef<T>& X, const Eigen::Ref<const Eigen::VectorXd>& w,
    const BernoulliMixtureOptions& o, Rng& rng, ThreadPool& pool,
    const InterruptCheck& interrupt) {
    const Index n = X.rows(), k = o.n_components;
    const double eps = bernoulli_component_eps<T>();
    BernoulliMixtureParams p;
    if (o.weights_init.size() > 0 && o.probabilities_init.size() > 0) {
        p.weights = o.weights_init;
        p.probabilities = o.probabilities_init;
        return p;
    }
    if (o.init == BernoulliInit::random) {
        RowMatrix<T> resp(n, k);
        for (Index i = 0; i < n; ++i) {
            for (Index c = 0; c < k; ++c) resp(i, c) = static_cast<T>(rng.uniform());
            resp.row(i) /= resp.row(i).sum();
        }
        p = bernoulli_m_step(bernoulli_resp_statistics<T>(X, resp, w, pool, interrupt),
                             o.alpha, eps);
    } else {
        std::vector<Index> rows;
        if (o.init == BernoulliInit::kmeans_plusplus) {
            // On binary rows the squared distance is the Hamming distance.
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
        p = bernoulli_m_step(bernoulli_seed_statistics<T>(X, w, rows), o.alpha, eps);
    }
    if (o.weights_init.size() > 0) p.weights = o.weights_init;
    if (o.probabilities_init.size() > 0) p.probabilities = o.probabilities_init;
    return p;
}

inline void check_bernoulli_options(const BernoulliMixtureOptions& o, Index n,
                                    Index d) {
    if (o.n_components < 1) throw InvalidArgument("n_components must be >= 1");
    if (n < o.n_components) {
        throw InvalidArgument(
            "n_samples=" + std::to_string(n) +
            " must be >= n_components=" + std::to_string(o.n_components));
    }
    if (!(o.alpha >= 0) || !std::isfinite(o.alpha))
        throw InvalidArgument("alpha must be finite and >= 0");
    const Index k = o.n_components;
    if (o.weights_init.size() > 0 && o.weights_init.size() != k)
        throw InvalidArgument("weights_init must have shape (n_components,)");
    if (o.probabilities_init.size() > 0 &&
        (o.probabilities_init.rows() != k || o.probabilities_init.cols() != d)) {
        throw InvalidArgument(
            "probabilities_init must have shape (n_components, n_features)");
    }
}

}  // namespace detail

/// One EM iteration from `params`: the E-step fused with the statistics, then
/// the M-step. Returns the new parameters and the mean log-likelihood under
/// `params`.
/// @param X (n, d) binary data  @param sample_weight (n), or empty
template <class T>
std::pair<BernoulliMixtureParams, double> bernoulli_em_step(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const BernoulliMixtureParams& params, double alpha, ThreadPool& pool,
    const InterruptCheck& interrupt = {}) {
    const BernoulliStatistics st =
        bernoulli_e_step_statistics<T>(X, sample_weight, params, pool, interrupt);
    return {bernoulli_m_step(st, alpha, bernoulli_component_eps<T>()),
            st.log_likelihood / st.weight_sum};
}

/// Fits a mixture of Bernoullis to the rows of X (entries 0 or 1; not checked
/// here, the caller validates) by EM.
/// @param X (n, d) binary data, row-major  @param sample_weight (n) or empty
template <class T>
BernoulliMixtureFit fit_bernoulli_mixture(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const BernoulliMixtureOptions& options, const InterruptCheck& interrupt = {}) {
    detail::check_bernoulli_options(options, X.rows(), X.cols());
    detail::check_weights_shape<T>(X, sample_weight);
    ThreadPool pool(options.n_threads);
    const EmOptions em{options.max_iter, options.n_init, options.tol};
    auto init = [&](int restart) {
        Rng rng = Rng::stream(options.seed, static_cast<std::uint64_t>(restart));
        return detail::bernoulli_initial_params<T>(X, sample_weight, options, rng, pool,
                                                   interrupt);
    };
    auto step = [&](const BernoulliMixtureParams& p) {
        return bernoulli_em_step<T>(X, sample_weight, p, options.alpha, pool,
                                    interrupt);
    };
    auto [params, trace] =
        run_em<BernoulliMixtureParams>(em, init, step, options.on_iteration, interrupt);
    return {std::move(params), std::move(trace)};
}

}  // namespace emclust
