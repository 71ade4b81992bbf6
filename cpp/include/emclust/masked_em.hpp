// EM for a Gaussian mixture with a responsibility mask and an optional noise
// component: the semi-supervised fit (labelled rows keep their class) and the
// uniform noise of Banfield and Raftery (1993), in one loop on the existing
// kernels. Each iteration is one fused pass: component log-densities by the
// tile kernel, the mask and the noise column applied, the rows normalised, and
// the responsibilities folded into the usual statistics; the M-step is the
// unchanged one (every covariance model included).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "em.hpp"
#include "gaussian_e_step.hpp"
#include "gaussian_m_step.hpp"
#include "gaussian_statistics.hpp"
#include "parallel.hpp"

namespace emclust {

using ClassVector = Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>;

/// A Gaussian mixture plus the weight of a uniform noise component. The
/// Gaussian weights and noise_weight sum to 1 together.
struct MaskedParams {
    GaussianMixtureParams gaussian;
    double noise_weight = 0;
};

inline bool all_finite(const MaskedParams& p) {
    return all_finite(p.gaussian) && std::isfinite(p.noise_weight);
}

struct MaskedEmOptions {
    std::optional<CovarianceModel> covariance_model;
    double tol = 1e-3;
    /// mclust's relative convergence rule (EmOptions::relative_tol).
    bool relative_tol = false;
    double reg_covar = 0;
    int max_iter = 100;
    int n_threads = 0;
    /// (n): the class of every row, -1 for an unlabelled row; empty: no labels.
    /// A labelled row's responsibilities are zero outside its class's
    /// components (and for the noise), fixed for the whole fit.
    ClassVector row_class;
    /// (K): the class of every component (needed with row_class).
    ClassVector component_class;
    /// A noise component of constant density exp(log_noise_density) = 1/V.
    bool noise = false;
    double log_noise_density = 0;
    IterationCallback on_iteration;
};

struct MaskedEmFit {
    MaskedParams params;
    EmTrace trace;
};

namespace detail {

inline void check_masked_options(const MaskedEmOptions& o, Index n, Index k) {
    if (!(o.reg_covar >= 0)) throw InvalidArgument("reg_covar must be >= 0");
    if (o.noise && !std::isfinite(o.log_noise_density)) {
        throw InvalidArgument("the noise density 1/V must be finite and positive");
    }
    if (o.row_class.size() == 0) return;
    if (o.row_class.size() != n)
        throw InvalidArgument("row_class must have shape (n_samples,)");
    if (o.component_class.size() != k)
        throw InvalidArgument("component_class must have shape (n_components,)");
    std::int64_t n_classes = 0;
    for (Index c = 0; c < k; ++c) {
        if (o.component_class[c] < 0)
            throw InvalidArgument("component_class must be >= 0");
        n_classes = std::max(n_classes, o.component_class[c] + 1);
    }
    std::vector<bool> has_component(static_cast<std::size_t>(n_classes), false);
    for (Index c = 0; c < k; ++c)
        has_component[static_cast<std::size_t>(o.component_class[c])] = true;
    for (Index i = 0; i < n; ++i) {
        const std::int64_t g = o.row_class[i];
        if (g < -1 || g >= n_classes || (g >= 0 && !has_component[g])) {
            throw InvalidArgument("row_class[" + std::to_string(i) +
                                  "] names a class without components");
        }
    }
}

/// Turns s.logp(:, 0:n) (log pi_k N_k(x)) into the masked responsibilities of
/// rows [begin, begin + n), s.lse into their log-likelihood terms, and writes
/// the noise responsibilities to noise_resp[begin..] (when noise is on). A
/// labelled row's term is log sum over its class's components; an unlabelled
/// row's is log(sum_k pi_k N_k(x) + pi_0 / V).
template <class T>
void masked_normalize(const MaskedEmOptions& o, T log_noise, Index k, Index begin,
                      Index n, TileScratch<T>& s, double* noise_resp) {
    const T neg_inf = -std::numeric_limits<T>::infinity();
    const bool labelled = o.row_class.size() > 0;
    if (labelled) {
        for (Index b = 0; b < n; ++b) {
            const std::int64_t g = o.row_class[begin + b];
            if (g < 0) continue;
            for (Index c = 0; c < k; ++c)
                if (o.component_class[c] != g) s.logp(c, b) = neg_inf;
        }
    }
    auto mx = s.lse.head(n);
    auto sum = s.acc.head(n);
    mx = s.logp.row(0).head(n).array();
    for (Index c = 1; c < k; ++c) mx = mx.max(s.logp.row(c).head(n).array());
    if (o.noise) {
        for (Index b = 0; b < n; ++b) {
            const bool free = !labelled || o.row_class[begin + b] < 0;
            if (free) mx[b] = std::max(mx[b], log_noise);
        }
    }
    for (Index b = 0; b < n; ++b) {
        if (!std::isfinite(mx[b])) {
            throw NumericalError(
                "X row " + std::to_string(begin + b) +
                " has zero likelihood under every allowed component (too far from "
                "their means for floating point; rescale X)");
        }
    }
    // The floor keeps the exponentials off subnormal numbers (as
    // normalize_tile); masked entries are then set to exactly zero.
    const T floor = negligible_log_ratio<T>();
    for (Index c = 0; c < k; ++c) {
        auto row = s.logp.row(c).head(n).array();
        row = (row - mx).max(floor);
        exp_nonpositive_in_place(row.data(), n);
    }
    if (labelled) {
        for (Index b = 0; b < n; ++b) {
            const std::int64_t g = o.row_class[begin + b];
            if (g < 0) continue;
            for (Index c = 0; c < k; ++c)
                if (o.component_class[c] != g) s.logp(c, b) = T(0);
        }
    }
    sum = s.logp.row(0).head(n).array();
    for (Index c = 1; c < k; ++c) sum += s.logp.row(c).head(n).array();
    auto noise = s.white.row(0).head(n).array();  // free scratch in this pass
    if (o.noise) {
        for (Index b = 0; b < n; ++b) {
            const bool free = !labelled || o.row_class[begin + b] < 0;
            noise[b] = free ? std::exp(std::max(log_noise - mx[b], floor)) : T(0);
        }
        sum += noise;
    }
    const Eigen::Array<T, 1, Eigen::Dynamic> inv = sum.inverse();
    for (Index c = 0; c < k; ++c) s.logp.row(c).head(n).array() *= inv;
    if (o.noise) {
        for (Index b = 0; b < n; ++b)
            noise_resp[begin + b] = static_cast<double>(noise[b] * inv[b]);
    }
    mx += sum.log();
}

}  // namespace detail

/// One masked EM iteration from p: the fused E-step and statistics, then the
/// M-step. Returns the new parameters and the mean log-likelihood under p.
/// noise_resp (n) receives the noise responsibilities under p (noise on).
template <class T>
std::pair<MaskedParams, double> masked_em_step(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight, const MaskedParams& p,
    const MaskedEmOptions& o, std::vector<double>& noise_resp, ThreadPool& pool,
    const InterruptCheck& interrupt = {}) {
    const Index n = X.rows(), k = p.gaussian.n_components();
    const GaussianKernel<T> kernel(p.gaussian);
    const T log_noise =
        o.noise ? static_cast<T>(std::log(p.noise_weight) + o.log_noise_density) : T(0);
    if (o.noise) noise_resp.assign(static_cast<std::size_t>(n), 0.0);
    // The white tile is scratch for the noise column here; it must not be the
    // GEMM path's, which accumulate_tile uses only after this fill returns.
    const GaussianStatistics st = chunked_statistics<T>(
        X, sample_weight, p.gaussian.covariance_type, p.gaussian.means, true, true,
        pool, interrupt, [&](Index begin, Index rows, TileScratch<T>& s) {
            weighted_log_prob_tile(kernel, rows, s);
            detail::masked_normalize(o, log_noise, k, begin, rows, s,
                                     noise_resp.data());
            return true;
        });
    MaskedParams next;
    next.gaussian =
        m_step_from_statistics(st, o.reg_covar, component_eps<T>(),
                               WeightNormalization::by_total_responsibility, true,
                               o.covariance_model, nullptr, &p.gaussian);
    if (o.noise) {
        // In row order: the same sum for any thread count.
        double n0 = 0;
        const bool weighted = sample_weight.size() > 0;
        for (Index i = 0; i < n; ++i)
            n0 += weighted ? sample_weight[i] * noise_resp[static_cast<std::size_t>(i)]
                           : noise_resp[static_cast<std::size_t>(i)];
        const double total = (st.resp_sum.array() + component_eps<T>()).sum();
        next.gaussian.weights *= total / (total + n0);
        next.noise_weight = n0 / (total + n0);
    }
    return {std::move(next), st.log_likelihood / st.weight_sum};
}

/// EM from the given start with the mask and noise of `o`. One start: the
/// caller chooses it (labelled rows, a noise mask), so there are no restarts.
/// @param X (n, d)  @param sample_weight (n) or empty
template <class T>
MaskedEmFit fit_masked_em(const ConstRowMatrixRef<T>& X,
                          const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                          const MaskedParams& start, const MaskedEmOptions& o,
                          const InterruptCheck& interrupt = {}) {
    check_params_shape(start.gaussian);
    const Index n = X.rows();
    if (X.cols() != start.gaussian.n_features())
        throw InvalidArgument("X and the starting means have different n_features");
    if (sample_weight.size() > 0 && sample_weight.size() != n)
        throw InvalidArgument("sample_weight must have shape (n_samples,)");
    detail::check_masked_options(o, n, start.gaussian.n_components());
    if (o.noise && !(start.noise_weight > 0 && start.noise_weight < 1))
        throw InvalidArgument("the starting noise weight must be in (0, 1)");
    ThreadPool pool(o.n_threads);
    std::vector<double> noise_resp;
    EmOptions em{o.max_iter, 1, o.tol};
    em.relative_tol = o.relative_tol;
    em.relative_offset = relative_tol_offset(sample_weight, n);
    auto init = [&](int) { return start; };
    auto step = [&](const MaskedParams& p) {
        return masked_em_step<T>(X, sample_weight, p, o, noise_resp, pool, interrupt);
    };
    auto [params, trace] =
        run_em<MaskedParams>(em, init, step, o.on_iteration, interrupt);
    return {std::move(params), std::move(trace)};
}

}  // namespace emclust
