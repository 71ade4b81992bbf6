// The Bernoulli M-step (from statistics) and the plain E-step (responsibilities
// and log-likelihoods of every row).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "bernoulli_kernel.hpp"
#include "bernoulli_statistics.hpp"
#include "chunking.hpp"
#include "errors.hpp"
#include "interrupt.hpp"
#include "parallel.hpp"

namespace emclust {

/// The bounds theta is finally clipped to in float64: [kThetaFloor,
/// 1 - kThetaFloor]. With alpha > 0 they bind only when alpha is below ~1e-10
/// of a component's weight; with alpha = 0 they keep log theta and
/// log(1 - theta) finite.
inline constexpr double kThetaFloor = 1e-10;

/// Added to every N_k before dividing, as in the Gaussian M-step (scikit-
/// learn's 10 * eps), so an empty component has a defined theta.
template <class T>
constexpr double bernoulli_component_eps() {
    return 10.0 * static_cast<double>(std::numeric_limits<T>::epsilon());
}

/// The clip bound for the data type whose component eps is `nk_eps` (every
/// caller passes bernoulli_component_eps<T>()): kThetaFloor in float64, and
/// in float32 half its machine epsilon, 2^-24, because the fitted theta is
/// stored in X's type and 1 - 1e-10 rounds to 1.0f, a theta the E-step
/// must refuse. 1 - 2^-24 is the float32 number just below 1.
constexpr double theta_floor(double nk_eps) {
    return std::max(kThetaFloor, nk_eps / 20.0);
}

/// Parameters from statistics, with additive (Laplace) smoothing:
///   N_k     = sum_i w_i g_ik + eps
///   pi_k    = N_k / sum_j N_j
///   theta_kd = clip((S_kd + alpha) / (N_k + 2 alpha), floor, 1 - floor),
/// the maximum a posteriori estimate under a Beta(1 + alpha, 1 + alpha) prior
/// on every theta_kd (alpha = 0: the maximum-likelihood theta = S / N).
/// @param st statistics with K components and d features  @return (K), (K, d)
inline BernoulliMixtureParams bernoulli_m_step(const BernoulliStatistics& st,
                                               double alpha, double eps) {
    if (!(alpha >= 0) || !std::isfinite(alpha))
        throw InvalidArgument("alpha must be finite and >= 0");
    const Index k = st.n_components();
    BernoulliMixtureParams p;
    const Eigen::VectorXd nk = st.resp_sum.array() + eps;
    p.weights = nk / nk.sum();
    p.probabilities.resize(k, st.n_features());
    const double floor = theta_floor(eps);
    for (Index c = 0; c < k; ++c) {
        const double denominator = nk[c] + 2.0 * alpha;
        p.probabilities.row(c) = ((st.x_sum.row(c).array() + alpha) / denominator)
                                     .min(1.0 - floor)
                                     .max(floor);
    }
    if (!p.probabilities.allFinite() || !p.weights.allFinite())
        throw NumericalError("the Bernoulli M-step produced NaN; check sample_weight");
    return p;
}

/// E-step on every row: responsibilities (n, K) and/or log p(x_i) (n), written
/// to caller-owned row-major buffers (a null pointer skips that output).
/// @param X (n, d) binary data  @param log_resp write log responsibilities
template <class T>
void bernoulli_e_step(const ConstRowMatrixRef<T>& X,
                      const BernoulliMixtureParams& params, T* resp, T* log_prob,
                      bool log_resp, ThreadPool& pool,
                      const InterruptCheck& interrupt = {}) {
    if (X.cols() != params.n_features()) {
        throw InvalidArgument("X has " + std::to_string(X.cols()) +
                              " features, the mixture " +
                              std::to_string(params.n_features()));
    }
    const BernoulliKernel<T> kernel(params);
    const Index n = X.rows(), k = params.n_components();
    const ChunkPlan plan = plan_chunks(n, bernoulli_block_rows(X.cols()));
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            BernoulliScratch<T> s(plan.block_rows, k);
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index b0 = plan.chunk_begin(c); b0 < end; b0 += plan.block_rows) {
                const Index rows = std::min(plan.block_rows, end - b0);
                bernoulli_block(kernel, X.middleRows(b0, rows), log_resp, s,
                                [&](Index i, double lse) {
                                    if (log_prob)
                                        log_prob[b0 + i] = static_cast<T>(lse);
                                });
                if (resp) {
                    Eigen::Map<RowMatrix<T>>(resp + b0 * k, rows, k) =
                        s.joint.topRows(rows);
                }
            }
        },
        interrupt);
}

}  // namespace emclust
