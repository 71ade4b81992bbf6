// The E-step as arrays: responsibilities and log-likelihood of every row.
#pragma once

#include <cmath>
#include <string>
#include <type_traits>

#include "block.hpp"
#include "chunking.hpp"
#include "errors.hpp"
#include "gaussian_kernel.hpp"
#include "interrupt.hpp"
#include "parallel.hpp"

namespace emclust {

/// Throws NumericalError for the first row whose log-density is not finite.
/// With finite data and parameters that happens only when the squared
/// Mahalanobis distance overflows (|x - mu| around 1e154 in double, 1e19 in
/// float) for every component: log p(x) is then below the lowest double, so no
/// log-space rearrangement can return it, and the kernel's fallback (zero
/// responsibilities, log p = -inf) would be a silent wrong answer.
template <class T, class Lse>
void check_log_density(const Lse& lse, Index first_row) {
    for (Index b = 0; b < lse.size(); ++b) {
        if (!std::isfinite(lse[b])) {
            throw NumericalError(
                "X row " + std::to_string(first_row + b) +
                " is too far from every component mean: its log-density overflows " +
                (std::is_same_v<T, float>
                     ? "float32 (convert X to float64, or rescale it)"
                     : "float64 (rescale X)"));
        }
    }
}

/// Writes, for every row of X, log p(x_i) into log_prob (when non-null, n
/// values) and the responsibilities into resp (when non-null, (n, K)
/// row-major); with `log_resp` the responsibilities are written as logs.
/// Rows are independent, so any thread count gives the same bits.
template <class T>
void gaussian_e_step(const ConstRowMatrixRef<T>& X, const GaussianMixtureParams& params,
                     T* resp, T* log_prob, bool log_resp, ThreadPool& pool,
                     const InterruptCheck& interrupt = {}) {
    if (X.cols() != params.n_features()) {
        throw InvalidArgument("X has " + std::to_string(X.cols()) +
                              " features, but the mixture has " +
                              std::to_string(params.n_features()));
    }
    const GaussianKernel<T> kernel(params);
    const Index n = X.rows(), d = X.cols(), k = kernel.n_components;
    const ChunkPlan plan = plan_chunks(n, gaussian_block_rows(d));
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            TileScratch<T> s(d, k, plan.block_rows);
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index b0 = plan.chunk_begin(c); b0 < end; b0 += plan.block_rows) {
                const Index rows = std::min(plan.block_rows, end - b0);
                load_tile(X, b0, rows, s.x);
                weighted_log_prob_tile(kernel, rows, s);
                const bool want_log_resp = resp != nullptr && log_resp;
                if (want_log_resp) {
                    // log resp = log pi_k N_k(x) - log p(x), exactly, as
                    // scikit-learn: log() of normalised responsibilities would
                    // lose the tails and give -inf where they underflow.
                    Eigen::Map<RowMatrix<T>>(resp + b0 * k, rows, k) =
                        s.logp.leftCols(rows).transpose();
                }
                normalize_tile(k, rows, s);
                check_log_density<T>(s.lse.head(rows), b0);
                if (log_prob != nullptr) {
                    Eigen::Map<Eigen::Array<T, 1, Eigen::Dynamic>>(
                        log_prob + b0, rows) = s.lse.head(rows);
                }
                if (resp != nullptr) {
                    Eigen::Map<RowMatrix<T>> out(resp + b0 * k, rows, k);
                    if (want_log_resp) {
                        out.array().colwise() -= s.lse.head(rows).transpose();
                    } else {
                        out = s.logp.leftCols(rows).transpose();
                    }
                }
            }
        },
        interrupt);
}

}  // namespace emclust
