// The EM driver shared by every mixture: n_init restarts x (E-step, M-step)
// iterations, convergence on the change of the mean log-likelihood, and the
// best restart kept. The model supplies how to initialise and how to step.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "errors.hpp"
#include "interrupt.hpp"

namespace emclust {

struct EmOptions {
    int max_iter = 100;  ///< iterations per restart; 0 returns the initialisation
    int n_init = 1;      ///< restarts; the one with the largest lower bound wins
    double tol = 1e-3;   ///< convergence when |lower bound change| < tol
    /// mclust's rule instead: convergence when |change| <= tol * (offset +
    /// |lower bound|). With the lower bound a mean over W samples and offset
    /// 1 / W, this is mclust's |L - L_old| / (1 + |L|) <= tol on the total
    /// log-likelihood L (its me*'s Fortran loops stop there).
    bool relative_tol = false;
    double relative_offset = 0.0;
};

/// Whether an iteration whose lower bound moved by `change` to `lower_bound`
/// ends the run.
inline bool em_converged(const EmOptions& o, double change, double lower_bound) {
    if (o.relative_tol)
        return std::abs(change) <= o.tol * (o.relative_offset + std::abs(lower_bound));
    return std::abs(change) < o.tol;
}

/// The offset of the relative rule for a lower bound that is a mean over the
/// rows of `sample_weight` (empty: n unit weights): 1 / (total weight).
inline double relative_tol_offset(
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight, Eigen::Index n) {
    const double total =
        sample_weight.size() > 0 ? sample_weight.sum() : static_cast<double>(n);
    return total > 0 ? 1.0 / total : 0.0;
}

/// Called after every iteration: restart index, iteration (from 1), lower
/// bound, and its change from the previous iteration.
using IterationCallback = std::function<void(int, int, double, double)>;

/// How an EM run went, in scikit-learn's vocabulary.
struct EmTrace {
    bool converged = false;
    int n_iter = 0;  ///< iterations of the restart kept
    double lower_bound = -std::numeric_limits<double>::infinity();
    std::vector<double> lower_bounds;  ///< per iteration of the restart kept
};

/// all_finite for scalar parameters (each model declares its own overload next
/// to its parameter struct).
inline bool all_finite(double x) { return std::isfinite(x); }

namespace em_detail {

/// Stops a fit whose log-likelihood or parameters left the finite numbers: a
/// model fitted from there would have all-zero responsibilities or NaN
/// parameters, so it is an error, with the likely cause.
[[noreturn]] inline void throw_non_finite(int restart, int iteration, double bound,
                                          bool bound_finite) {
    const std::string where = " at iteration " + std::to_string(iteration) +
                              " (restart " + std::to_string(restart) + ")";
    if (!bound_finite && iteration == 1) {
        throw NumericalError(
            "EM stopped: the log-likelihood of the initial parameters is " +
            std::to_string(bound) + where +
            ": some samples are too far from every initial mean for floating point; "
            "check the initial means (means_init) and the scale of X");
    }
    if (!bound_finite) {
        throw NumericalError(
            "EM stopped: the log-likelihood became " + std::to_string(bound) + where +
            ": the scale of X (or of sample_weight) overflows floating "
            "point; rescale the data");
    }
    throw NumericalError("EM stopped: the parameters became NaN or infinite" + where +
                         ": the scale of X (or of sample_weight) overflows floating "
                         "point; rescale the data");
}

}  // namespace em_detail

/// Runs EM. init(r) returns the starting parameters of restart r; step(p)
/// returns {new parameters, lower bound of p} (the mean log-likelihood of the
/// data under p, computed in the same pass as the M-step). With a warm start
/// there is one restart from `warm` and the first change is measured from
/// `warm_lower_bound`, as in scikit-learn. A non-finite lower bound, or
/// parameters for which all_finite(params) (found by argument-dependent
/// lookup) is false, throw NumericalError.
template <class Params, class Init, class Step>
std::pair<Params, EmTrace> run_em(
    const EmOptions& options, Init&& init, Step&& step,
    const IterationCallback& on_iteration = {}, const InterruptCheck& interrupt = {},
    const Params* warm = nullptr,
    double warm_lower_bound = -std::numeric_limits<double>::infinity()) {
    if (options.max_iter < 0) throw InvalidArgument("max_iter must be >= 0");
    if (options.n_init < 1) throw InvalidArgument("n_init must be >= 1");
    if (!(options.tol >= 0)) throw InvalidArgument("tol must be >= 0");
    const double neg_inf = -std::numeric_limits<double>::infinity();
    const int n_init = warm != nullptr ? 1 : options.n_init;

    Params best{};
    EmTrace best_trace;
    bool have_best = false;
    for (int r = 0; r < n_init; ++r) {
        throw_if_interrupted(interrupt);
        Params params = warm != nullptr ? *warm : init(r);
        if (options.max_iter == 0) {
            best = std::move(params);
            best_trace = EmTrace{};
            have_best = true;
            continue;
        }
        EmTrace trace;
        double lower_bound = warm != nullptr ? warm_lower_bound : neg_inf;
        for (int it = 1; it <= options.max_iter; ++it) {
            throw_if_interrupted(interrupt);
            const double previous = lower_bound;
            auto [next, bound] = step(params);
            if (!std::isfinite(bound)) em_detail::throw_non_finite(r, it, bound, false);
            if (!all_finite(next)) em_detail::throw_non_finite(r, it, bound, true);
            params = std::move(next);
            lower_bound = bound;
            trace.lower_bounds.push_back(lower_bound);
            trace.n_iter = it;
            const double change = lower_bound - previous;
            if (on_iteration) on_iteration(r, it, lower_bound, change);
            if (em_converged(options, change, lower_bound)) {
                trace.converged = true;
                break;
            }
        }
        trace.lower_bound = lower_bound;
        if (!have_best || lower_bound > best_trace.lower_bound ||
            best_trace.lower_bound == neg_inf) {
            best = std::move(params);
            best_trace = std::move(trace);
            have_best = true;
        }
    }
    return {std::move(best), std::move(best_trace)};
}

}  // namespace emclust
