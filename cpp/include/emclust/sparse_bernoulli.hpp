// The mixture of Bernoullis on sparse binary rows (CSR). With the log-odds W
// and biases b of bernoulli_kernel.hpp, log p(x, z=k) = x·W_k + b_k: the
// E-step needs W only at a row's nonzeros, and so do the M-step's sums
// S_kd = Σ_i w_i γ_ik x_id. Nothing of size n × d is formed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "bernoulli_mixture.hpp"
#include "chunking.hpp"
#include "csr_matrix.hpp"
#include "em.hpp"
#include "errors.hpp"
#include "interrupt.hpp"
#include "parallel.hpp"
#include "random.hpp"
#include "sparse_kmeans.hpp"

namespace emclust {

/// BernoulliKernel with W transposed, (d, K): one nonzero (j, v) adds v times
/// one contiguous row of K log-odds to the row's K joint log-probabilities.
template <class T>
struct SparseBernoulliKernel {
    RowMatrix<T> log_odds_t;  ///< (d, K)
    Eigen::VectorXd bias;     ///< (K)

    explicit SparseBernoulliKernel(const BernoulliMixtureParams& p) {
        BernoulliKernel<T> dense(p);
        log_odds_t = dense.log_odds.transpose();
        bias = std::move(dense.bias);
    }
    Index n_components() const { return bias.size(); }
};

namespace detail {

/// Responsibilities of row r into gamma (K), as bernoulli_block does for a
/// dense row (the product in T, the bias and log-sum-exp in double); returns
/// log p(x_r). @param joint (K) scratch
template <class T, class I>
double sparse_bernoulli_row(const CsrView<T, I>& X, Index r,
                            const SparseBernoulliKernel<T>& kernel, bool log_resp,
                            T* joint, double* gamma) {
    const Index k = kernel.n_components();
    std::fill(joint, joint + k, T(0));
    const Index stored = X.nnz();
    for (Index e = X.begin(r); e < X.end(r); ++e) {
        if (e + kmeans_detail::kPrefetchAhead < stored) {
            kmeans_detail::prefetch_row(
                kernel.log_odds_t.row(X.indices[e + kmeans_detail::kPrefetchAhead])
                    .data(),
                k);
        }
        const T v = X.data[e];
        const T* w = kernel.log_odds_t.row(X.indices[e]).data();
        for (Index c = 0; c < k; ++c) joint[c] += v * w[c];
    }
    double top = -std::numeric_limits<double>::infinity();
    for (Index c = 0; c < k; ++c)
        top = std::max(top, static_cast<double>(joint[c]) + kernel.bias[c]);
    double sum = 0.0;
    for (Index c = 0; c < k; ++c)
        sum += std::exp(static_cast<double>(joint[c]) + kernel.bias[c] - top);
    const double lse = top + std::log(sum);
    for (Index c = 0; c < k; ++c) {
        const double log_gamma = static_cast<double>(joint[c]) + kernel.bias[c] - lse;
        gamma[c] = log_resp ? log_gamma : std::exp(log_gamma);
    }
    return lse;
}

/// Statistics over all rows, chunk by chunk, chunks added in order (same
/// bits for any thread count). S is
/// accumulated transposed, (d, K), so a nonzero updates K adjacent sums.
/// @param fill fill(r, joint, gamma) writes row r's responsibilities (K)
///     into gamma, with joint (K) of T as scratch, and returns its log p(x_r),
///     or 0 when unknown
template <class T, class I, class Fill>
BernoulliStatistics sparse_bernoulli_chunked_statistics(
    const CsrView<T, I>& X, const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    Index k, ThreadPool& pool, const InterruptCheck& interrupt, Fill&& fill) {
    if (sample_weight.size() > 0 && sample_weight.size() != X.rows)
        throw InvalidArgument("sample_weight must have shape (n_samples,)");
    const Index n = X.rows, d = X.cols;
    const bool weighted = sample_weight.size() > 0;
    const std::size_t slot_bytes =
        sizeof(double) * static_cast<std::size_t>(k * (1 + d));
    // A chunk's slot (K (1 + d) sums) is zeroed and added once per iteration
    // whatever its rows, while its work is K per nonzero: fewer chunks than
    // the dense path when rows are short, so that the slots stay a small
    // part of the pass. The count depends on the data only, never on threads.
    const Index max_chunks =
        std::clamp<Index>(X.nnz() / (4 * (1 + d)), Index(1), Index(128));
    const ChunkPlan plan =
        plan_chunks(n, bernoulli_block_rows(d), slot_bytes, max_chunks);
    struct Slot {
        Eigen::VectorXd resp_sum;
        RowMatrixXd x_sum_t;  // (d, K)
        double log_likelihood = 0.0;
        double weight_sum = 0.0;
    };
    std::vector<Slot> slots(static_cast<std::size_t>(plan.n_chunks));
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            Slot& s = slots[static_cast<std::size_t>(c)];
            s.resp_sum = Eigen::VectorXd::Zero(k);
            s.x_sum_t = RowMatrixXd::Zero(d, k);
            std::vector<double> gamma(static_cast<std::size_t>(k));
            std::vector<T> joint(static_cast<std::size_t>(k));
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index r = plan.chunk_begin(c); r < end; ++r) {
                const double w = weighted ? sample_weight[r] : 1.0;
                const double lse = fill(r, joint.data(), gamma.data());
                s.log_likelihood += w * lse;
                s.weight_sum += w;
                for (Index t = 0; t < k; ++t) {
                    gamma[t] *= w;
                    s.resp_sum[t] += gamma[t];
                }
                for (Index e = X.begin(r); e < X.end(r); ++e) {
                    const double v = static_cast<double>(X.data[e]);
                    double* out = s.x_sum_t.row(X.indices[e]).data();
                    for (Index t = 0; t < k; ++t) out[t] += v * gamma[t];
                }
            }
        },
        interrupt);
    BernoulliStatistics total(k, d);
    RowMatrixXd x_sum_t = RowMatrixXd::Zero(d, k);
    for (const Slot& s : slots) {
        total.resp_sum += s.resp_sum;
        x_sum_t += s.x_sum_t;
        total.log_likelihood += s.log_likelihood;
        total.weight_sum += s.weight_sum;
    }
    total.x_sum = x_sum_t.transpose();
    return total;
}

}  // namespace detail

/// bernoulli_e_step_statistics on sparse rows: responsibilities under
/// `params` folded into N and S row by row, and Σ w_i log p(x_i).
/// @param X (n, d) CSR, binary values  @param sample_weight (n) or empty
template <class T, class I>
BernoulliStatistics sparse_bernoulli_e_step_statistics(
    const CsrView<T, I>& X, const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const BernoulliMixtureParams& params, ThreadPool& pool,
    const InterruptCheck& interrupt = {}) {
    if (X.cols != params.n_features()) {
        throw InvalidArgument("X has " + std::to_string(X.cols) +
                              " features, the mixture " +
                              std::to_string(params.n_features()));
    }
    const SparseBernoulliKernel<T> kernel(params);
    const Index k = params.n_components();
    return detail::sparse_bernoulli_chunked_statistics<T, I>(
        X, sample_weight, k, pool, interrupt, [&](Index r, T* joint, double* gamma) {
            return detail::sparse_bernoulli_row<T, I>(X, r, kernel, false, joint,
                                                      gamma);
        });
}

/// Statistics of given responsibilities (n, K).
template <class T, class I>
BernoulliStatistics sparse_bernoulli_resp_statistics(
    const CsrView<T, I>& X, const ConstRowMatrixRef<T>& resp,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight, ThreadPool& pool,
    const InterruptCheck& interrupt = {}) {
    if (resp.rows() != X.rows)
        throw InvalidArgument("resp must have shape (n_samples, n_components)");
    const Index k = resp.cols();
    BernoulliStatistics st = detail::sparse_bernoulli_chunked_statistics<T, I>(
        X, sample_weight, k, pool, interrupt, [&](Index r, T*, double* gamma) {
            for (Index t = 0; t < k; ++t) gamma[t] = static_cast<double>(resp(r, t));
            return 0.0;
        });
    st.log_likelihood = 0.0;
    return st;
}

/// bernoulli_seed_statistics on sparse rows.
template <class T, class I>
BernoulliStatistics sparse_bernoulli_seed_statistics(
    const CsrView<T, I>& X, const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const std::vector<Index>& rows) {
    const auto k = static_cast<Index>(rows.size());
    BernoulliStatistics st(k, X.cols);
    st.weight_sum =
        sample_weight.size() > 0 ? sample_weight.sum() : static_cast<double>(X.rows);
    for (Index c = 0; c < k; ++c) {
        const Index r = rows[static_cast<std::size_t>(c)];
        const double w = sample_weight.size() > 0 ? sample_weight[r] : 1.0;
        st.resp_sum[c] = w;
        for (Index e = X.begin(r); e < X.end(r); ++e)
            st.x_sum(c, X.indices[e]) += w * static_cast<double>(X.data[e]);
    }
    return st;
}

/// bernoulli_e_step on sparse rows: responsibilities (n, K) and/or log p(x_i)
/// (n) into caller-owned row-major buffers (null skips an output).
template <class T, class I>
void sparse_bernoulli_e_step(const CsrView<T, I>& X,
                             const BernoulliMixtureParams& params, T* resp, T* log_prob,
                             bool log_resp, ThreadPool& pool,
                             const InterruptCheck& interrupt = {}) {
    if (X.cols != params.n_features()) {
        throw InvalidArgument("X has " + std::to_string(X.cols) +
                              " features, the mixture " +
                              std::to_string(params.n_features()));
    }
    const CanonicalCsr<T, I> canonical(X);
    const CsrView<T, I>& Xc = canonical.view();
    const SparseBernoulliKernel<T> kernel(params);
    const Index k = params.n_components();
    const ChunkPlan plan = plan_chunks(X.rows);
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            std::vector<T> joint(static_cast<std::size_t>(k));
            std::vector<double> gamma(static_cast<std::size_t>(k));
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index r = plan.chunk_begin(c); r < end; ++r) {
                const double lse = detail::sparse_bernoulli_row<T, I>(
                    Xc, r, kernel, log_resp, joint.data(), gamma.data());
                if (log_prob) log_prob[r] = static_cast<T>(lse);
                if (resp) {
                    for (Index t = 0; t < k; ++t)
                        resp[r * k + t] = static_cast<T>(gamma[t]);
                }
            }
        },
        interrupt);
}

namespace detail {

/// bernoulli_initial_params on sparse rows: the same random draws in the same
/// order, so a seed gives the dense path's starting parameters.
template <class T, class I>
BernoulliMixtureParams sparse_bernoulli_initial_params(
    const CsrView<T, I>& X, const Eigen::Ref<const Eigen::VectorXd>& w,
    const BernoulliMixtureOptions& o, Rng& rng, ThreadPool& pool,
    const InterruptCheck& interrupt) {
    const Index n = X.rows, k = o.n_components;
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
        p = bernoulli_m_step(
            sparse_bernoulli_resp_statistics<T, I>(X, resp, w, pool, interrupt),
            o.alpha, eps);
    } else {
        std::vector<Index> rows;
        if (o.init == BernoulliInit::kmeans_plusplus) {
            rows = kmeans_detail::sparse_plusplus_seeding<T, I>(
                X, w, k, Distance::squared_euclidean, rng, pool, interrupt);
        } else {
            std::unordered_set<Index> seen;  // Floyd's sampling, as the dense path
            for (Index j = n - k; j < n; ++j) {
                const auto t =
                    static_cast<Index>(rng.below(static_cast<std::uint64_t>(j + 1)));
                rows.push_back(seen.insert(t).second ? t : j);
                if (rows.back() == j) seen.insert(j);
            }
        }
        p = bernoulli_m_step(sparse_bernoulli_seed_statistics<T, I>(X, w, rows),
                             o.alpha, eps);
    }
    if (o.weights_init.size() > 0) p.weights = o.weights_init;
    if (o.probabilities_init.size() > 0) p.probabilities = o.probabilities_init;
    return p;
}

}  // namespace detail

/// fit_bernoulli_mixture on a CSR matrix of 0/1 values (not checked here):
/// the EM loop of em.hpp with the sparse E-step and statistics.
/// @param X (n, d) CSR  @param sample_weight (n) or empty
template <class T, class I>
BernoulliMixtureFit sparse_fit_bernoulli_mixture(
    const CsrView<T, I>& X, const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const BernoulliMixtureOptions& options, const InterruptCheck& interrupt = {}) {
    detail::check_bernoulli_options(options, X.rows, X.cols);
    if (sample_weight.size() > 0 && sample_weight.size() != X.rows)
        throw InvalidArgument("sample_weight must have shape (n_samples,)");
    const CanonicalCsr<T, I> canonical(X);
    const CsrView<T, I>& Xc = canonical.view();
    ThreadPool pool(options.n_threads);
    const EmOptions em{options.max_iter, options.n_init, options.tol};
    auto init = [&](int restart) {
        Rng rng = Rng::stream(options.seed, static_cast<std::uint64_t>(restart));
        return detail::sparse_bernoulli_initial_params<T, I>(Xc, sample_weight, options,
                                                             rng, pool, interrupt);
    };
    auto step = [&](const BernoulliMixtureParams& p) {
        const BernoulliStatistics st = sparse_bernoulli_e_step_statistics<T, I>(
            Xc, sample_weight, p, pool, interrupt);
        return std::make_pair(
            bernoulli_m_step(st, options.alpha, bernoulli_component_eps<T>()),
            st.log_likelihood / st.weight_sum);
    };
    auto [params, trace] =
        run_em<BernoulliMixtureParams>(em, init, step, options.on_iteration, interrupt);
    return {std::move(params), std::move(trace)};
}

}  // namespace emclust
