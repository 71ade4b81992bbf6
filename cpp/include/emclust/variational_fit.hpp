// Fitting a variational Bayesian Gaussian mixture: scikit-learn's loop
// (iterations until the lower bound changes by less than tol, n_init starts,
// the best lower bound kept) over the fused, threaded Gaussian E-step and the
// variational M-step. The starting states come from the caller (scikit-learn's
// init_params are computed above the core).
#pragma once

#include <limits>
#include <utility>
#include <vector>

#include "em.hpp"
#include "gaussian_m_step.hpp"
#include "gaussian_statistics.hpp"
#include "parallel.hpp"
#include "variational_bound.hpp"
#include "variational_e_step.hpp"
#include "variational_m_step.hpp"
#include "variational_params.hpp"

namespace emclust {

struct VariationalFitOptions {
    double tol = 1e-3;
    double reg_covar = 1e-6;
    int max_iter = 100;
    /// Continue from the one starting state, the first change measured from
    /// warm_lower_bound (scikit-learn's warm_start).
    bool warm_start = false;
    double warm_lower_bound = -std::numeric_limits<double>::infinity();
    int n_threads = 0;  ///< <= 0: every usable core
    IterationCallback on_iteration;
};

struct VariationalFit {
    VariationalState state;
    EmTrace trace;
};

/// One iteration from `state`: the E-step's statistics, the M-step, and the
/// lower bound of the new state. Returns {new state, lower bound}.
template <class T>
std::pair<VariationalState, double> variational_em_step(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const VariationalState& state, const VariationalPriors& priors, double reg_covar,
    ThreadPool& pool, const InterruptCheck& interrupt = {}) {
    const VariationalKernel kern = variational_kernel(state, priors.weight_prior);
    const GaussianStatistics st =
        e_step_statistics<T>(X, sample_weight, kern.params, pool, interrupt);
    VariationalState next =
        variational_m_step(st, reg_covar, component_eps<T>(), priors);
    const double entropy = variational_resp_entropy(st, state, kern);
    const double bound = variational_lower_bound(entropy, next, priors);
    return {std::move(next), bound};
}

/// Variational EM from each of `starts` (or, warm, from starts[0] only).
template <class T>
VariationalFit fit_variational_mixture(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const std::vector<VariationalState>& starts, const VariationalPriors& priors,
    const VariationalFitOptions& options, const InterruptCheck& interrupt = {}) {
    if (starts.empty()) throw InvalidArgument("at least one starting state is needed");
    for (const VariationalState& s : starts) {
        check_variational_state(s, priors.weight_prior);
        if (s.n_features() != X.cols() ||
            s.covariance_type != starts[0].covariance_type ||
            s.n_components() != starts[0].n_components()) {
            throw InvalidArgument("the starting states do not match X");
        }
    }
    check_variational_priors(priors, starts[0].covariance_type, X.cols());
    if (sample_weight.size() > 0 && sample_weight.size() != X.rows()) {
        throw InvalidArgument("sample_weight must have shape (n_samples,)");
    }
    if (!(options.reg_covar >= 0)) throw InvalidArgument("reg_covar must be >= 0");
    ThreadPool pool(options.n_threads);
    EmOptions em{options.max_iter, static_cast<int>(starts.size()), options.tol};
    auto init = [&](int restart) { return starts[static_cast<std::size_t>(restart)]; };
    auto step = [&](const VariationalState& s) {
        return variational_em_step<T>(X, sample_weight, s, priors, options.reg_covar,
                                      pool, interrupt);
    };
    const VariationalState* warm = options.warm_start ? &starts[0] : nullptr;
    auto [state, trace] =
        run_em<VariationalState>(em, init, step, options.on_iteration, interrupt, warm,
                                 options.warm_lower_bound);
    return {std::move(state), std::move(trace)};
}

}  // namespace emclust
