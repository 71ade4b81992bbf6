// Sufficient statistics of a Bernoulli mixture, reduced deterministically over
// chunks of rows.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "bernoulli_kernel.hpp"
#include "chunking.hpp"
#include "errors.hpp"
#include "interrupt.hpp"
#include "parallel.hpp"
#include "types.hpp"

namespace emclust {

/// Per-component sums over the rows seen so far:
///   N_k = sum_i w_i g_ik,  S_kd = sum_i w_i g_ik x_id,
/// plus sum_i w_i log p(x_i) and sum_i w_i. Statistics of disjoint rows add.
struct BernoulliStatistics {
    Eigen::VectorXd resp_sum;   ///< (K) N
    RowMatrixXd x_sum;          ///< (K, d) S
    double log_likelihood = 0;  ///< sum_i w_i log p(x_i) (0 when not computed)
    double weight_sum = 0;      ///< sum_i w_i

    BernoulliStatistics() = default;
    BernoulliStatistics(Index k, Index d)
        : resp_sum(Eigen::VectorXd::Zero(k)), x_sum(RowMatrixXd::Zero(k, d)) {}

    Index n_components() const { return x_sum.rows(); }
    Index n_features() const { return x_sum.cols(); }

    BernoulliStatistics& operator+=(const BernoulliStatistics& o) {
        if (o.x_sum.rows() != x_sum.rows() || o.x_sum.cols() != x_sum.cols())
            throw InvalidArgument("only statistics of the same shape can be added");
        resp_sum += o.resp_sum;
        x_sum += o.x_sum;
        log_likelihood += o.log_likelihood;
        weight_sum += o.weight_sum;
        return *this;
    }
};

/// Rows per block of the Bernoulli kernels. The block is the shared operand
/// of the E-step product (B, d) x (d, K) and the statistics product
/// (K, B) x (B, d), so it should stay in cache between the two.
inline Index bernoulli_block_rows(Index n_features) {
    return std::clamp<Index>((Index(64) << 10) / std::max<Index>(1, n_features), 32,
                             kBlockRows);
}

namespace detail {

template <class T>
void check_weights_shape(const ConstRowMatrixRef<T>& X,
                         const Eigen::Ref<const Eigen::VectorXd>& sample_weight) {
    if (sample_weight.size() > 0 && sample_weight.size() != X.rows())
        throw InvalidArgument("sample_weight must have shape (n_samples,)");
}

/// Sums statistics over all rows of X, chunk by chunk in parallel, adding the
/// chunks in order (same bits for any thread count).
/// @param fill fill(begin, block, scratch, stats) writes the responsibilities
///             of the block's rows (B, d) into scratch.joint(0:rows, :), adding
///             sum_i w_i log p(x_i) to stats.log_likelihood when it knows them.
template <class T, class Fill>
BernoulliStatistics bernoulli_chunked_statistics(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight, Index k, ThreadPool& pool,
    const InterruptCheck& interrupt, Fill&& fill) {
    check_weights_shape<T>(X, sample_weight);
    const Index n = X.rows(), d = X.cols();
    const bool weighted = sample_weight.size() > 0;
    const BernoulliStatistics proto(k, d);
    const std::size_t slot_bytes =
        sizeof(double) * static_cast<std::size_t>(k * (1 + d));
    const ChunkPlan plan = plan_chunks(n, bernoulli_block_rows(d), slot_bytes);
    std::vector<BernoulliStatistics> slots(static_cast<std::size_t>(plan.n_chunks),
                                           proto);
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            BernoulliScratch<T> s(plan.block_rows, k);
            RowMatrix<T>
                x_sum_block;  // float32 data: the block's S, then added in double
            BernoulliStatistics& st = slots[static_cast<std::size_t>(c)];
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index b0 = plan.chunk_begin(c); b0 < end; b0 += plan.block_rows) {
                const Index rows = std::min(plan.block_rows, end - b0);
                const auto block = X.middleRows(b0, rows);
                fill(b0, block, s, st);
                auto resp = s.joint.topRows(rows);
                if (weighted) {
                    resp.array().colwise() *=
                        sample_weight.segment(b0, rows).template cast<T>().array();
                    st.weight_sum += sample_weight.segment(b0, rows).sum();
                } else {
                    st.weight_sum += static_cast<double>(rows);
                }
                st.resp_sum += resp.colwise().sum().transpose().template cast<double>();
                if constexpr (std::is_same_v<T, double>) {
                    st.x_sum.noalias() += resp.transpose() * block;
                } else {
                    x_sum_block.noalias() = resp.transpose() * block;
                    st.x_sum += x_sum_block.template cast<double>();
                }
            }
        },
        interrupt);
    BernoulliStatistics total = proto;
    for (const auto& slot : slots) total += slot;
    return total;
}

}  // namespace detail

/// E-step fused with the statistics: responsibilities under `params` are
/// folded into N and S as each block is computed, and sum_i w_i log p(x_i) is
/// recorded. One pass over X; no (n, K) array is formed.
/// @param X (n, d) binary data  @param sample_weight (n), or empty
template <class T>
BernoulliStatistics bernoulli_e_step_statistics(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const BernoulliMixtureParams& params, ThreadPool& pool,
    const InterruptCheck& interrupt = {}) {
    if (X.cols() != params.n_features()) {
        throw InvalidArgument("X has " + std::to_string(X.cols()) +
                              " features, the mixture " +
                              std::to_string(params.n_features()));
    }
    const BernoulliKernel<T> kernel(params);
    const bool weighted = sample_weight.size() > 0;
    return detail::bernoulli_chunked_statistics<T>(
        X, sample_weight, params.n_components(), pool, interrupt,
        [&](Index b0, const auto& block, BernoulliScratch<T>& s,
            BernoulliStatistics& st) {
            double ll = 0.0;
            bernoulli_block(kernel, block, false, s, [&](Index i, double lse) {
                ll += weighted ? sample_weight[b0 + i] * lse : lse;
            });
            st.log_likelihood += ll;
        });
}

/// Statistics of given responsibilities.
/// @param X (n, d)  @param resp (n, K)  @param sample_weight (n), or empty
template <class T>
BernoulliStatistics bernoulli_resp_statistics(
    const ConstRowMatrixRef<T>& X, const ConstRowMatrixRef<T>& resp,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight, ThreadPool& pool,
    const InterruptCheck& interrupt = {}) {
    if (resp.rows() != X.rows())
        throw InvalidArgument("resp must have shape (n_samples, n_components)");
    return detail::bernoulli_chunked_statistics<T>(
        X, sample_weight, resp.cols(), pool, interrupt,
        [&](Index b0, const auto& block, BernoulliScratch<T>& s, BernoulliStatistics&) {
            s.joint.topRows(block.rows()) = resp.middleRows(b0, block.rows());
        });
}

/// Statistics of responsibilities that are one-hot at the given rows (row
/// `rows[k]` belongs wholly to component k, every other row to none), as used
/// to start EM from K seed rows. weight_sum is that of all rows.
/// @param X (n, d)  @param sample_weight (n), or empty
template <class T>
BernoulliStatistics bernoulli_seed_statistics(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const std::vector<Index>& rows) {
    detail::check_weights_shape<T>(X, sample_weight);
    const auto k = static_cast<Index>(rows.size());
    BernoulliStatistics st(k, X.cols());
    st.weight_sum =
        sample_weight.size() > 0 ? sample_weight.sum() : static_cast<double>(X.rows());
    for (Index c = 0; c < k; ++c) {
        const Index r = rows[static_cast<std::size_t>(c)];
        const double w = sample_weight.size() > 0 ? sample_weight[r] : 1.0;
        st.resp_sum[c] = w;
        st.x_sum.row(c) = w * X.row(r).template cast<double>();
    }
    return st;
}

}  // namespace emclust
