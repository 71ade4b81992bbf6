// A mixture of Bernoullis on binary data with missing (NaN) entries. Given the
// component the features are independent, so a missing entry integrates out
// of the product (its factor sums to 1) and drops out of the sums:
//   log p(x, z=k) = log pi_k + sum_d o_d [x_d log theta_kd + (1 - x_d) log(1 -
//   theta_kd)]
//                 = log pi_k + x0 . W_k + o . log(1 - theta_k),
// with o the indicator of the observed entries, x0 the row with NaN read as 0
// and W the log-odds: two products per block. The M-step divides each
// feature's sum by the responsibility of the rows that observed it:
//   theta_kd = (sum_i w_i g_ik o_id x_id + alpha) / (sum_i w_i g_ik o_id + eps + 2
//   alpha).
// Without NaN, o = 1 and these are the complete-data formulas; the entry
// points then hand the data to the complete-data kernels unchanged.
#pragma once

#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "bernoulli_m_step.hpp"
#include "bernoulli_mixture.hpp"
#include "bernoulli_statistics.hpp"
#include "chunking.hpp"
#include "em.hpp"
#include "errors.hpp"
#include "missing_patterns.hpp"
#include "parallel.hpp"
#include "types.hpp"

namespace emclust {

/// BernoulliStatistics plus, per component and feature, the responsibility
/// of the rows where that feature was observed: N_kd = sum_i w_i g_ik o_id.
/// x_sum holds sum_i w_i g_ik o_id x_id.
struct BernoulliMissingStatistics {
    BernoulliStatistics base;
    RowMatrixXd observed_sum;  ///< (K, d)

    BernoulliMissingStatistics() = default;
    BernoulliMissingStatistics(Index k, Index d)
        : base(k, d), observed_sum(RowMatrixXd::Zero(k, d)) {}

    BernoulliMissingStatistics& operator+=(const BernoulliMissingStatistics& o) {
        base += o.base;
        observed_sum += o.observed_sum;
        return *this;
    }
};

/// The M-step of the missing-data statistics (see the file comment); the
/// weights are those of bernoulli_m_step.
inline BernoulliMixtureParams bernoulli_missing_m_step(
    const BernoulliMissingStatistics& st, double alpha, double eps) {
    BernoulliMixtureParams p = bernoulli_m_step(st.base, alpha, eps);
    const double floor = theta_floor(eps);
    for (Index c = 0; c < p.n_components(); ++c) {
        p.probabilities.row(c) = ((st.base.x_sum.row(c).array() + alpha) /
                                  (st.observed_sum.row(c).array() + eps + 2.0 * alpha))
                                     .min(1.0 - floor)
                                     .max(floor);
    }
    if (!p.probabilities.allFinite())
        throw NumericalError("the Bernoulli M-step produced NaN; check sample_weight");
    return p;
}

namespace missing_detail {

/// The parameters as the blocks use them: log-odds W and log(1 - theta).
template <class T>
struct BernoulliMissingKernel {
    RowMatrix<T> log_odds;  ///< (K, d)
    RowMatrix<T> log_fail;  ///< (K, d)
    Eigen::VectorXd log_weights;

    explicit BernoulliMissingKernel(const BernoulliMixtureParams& p)
        : log_odds(p.n_components(), p.n_features()),
          log_fail(p.n_components(), p.n_features()),
          log_weights(p.weights.array().log()) {
        check_bernoulli_params(p);
        for (Index c = 0; c < p.n_components(); ++c) {
            for (Index j = 0; j < p.n_features(); ++j) {
                const double theta = p.probabilities(c, j);
                const double lf = std::log1p(-theta);
                log_odds(c, j) = static_cast<T>(std::log(theta) - lf);
                log_fail(c, j) = static_cast<T>(lf);
            }
        }
    }
};

/// What one pass writes; row outputs are indexed by the rows of X.
template <class T>
struct BernoulliPassOutputs {
    bool statistics = false;
    T* resp = nullptr;
    bool log_resp = false;
    T* log_prob = nullptr;
    T* imputed = nullptr;
};

template <class T>
BernoulliMissingStatistics bernoulli_missing_pass(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const BernoulliMixtureParams& params, const BernoulliPassOutputs<T>& out,
    ThreadPool& pool, const InterruptCheck& interrupt) {
    if (X.cols() != params.n_features()) {
        throw InvalidArgument("X has " + std::to_string(X.cols()) +
                              " features, the mixture " +
                              std::to_string(params.n_features()));
    }
    detail::check_weights_shape<T>(X, sample_weight);
    const BernoulliMissingKernel<T> kernel(params);
    const Index n = X.rows(), d = X.cols(), k = params.n_components();
    const bool weighted = sample_weight.size() > 0;
    const BernoulliMissingStatistics proto(k, d);
    const std::size_t slot_bytes =
        sizeof(double) * static_cast<std::size_t>(k * (1 + 2 * d));
    const ChunkPlan plan =
        plan_chunks(n, bernoulli_block_rows(d), out.statistics ? slot_bytes : 0);
    std::vector<BernoulliMissingStatistics> slots(
        out.statistics ? static_cast<std::size_t>(plan.n_chunks) : 0, proto);
    pool.run(
        plan.n_chunks,
        [&](Index chunk) {
            const Index b_max = plan.block_rows;
            RowMatrix<T> x0(b_max, d), seen(b_max, d), joint(b_max, k), sums(k, d);
            const Index end = plan.chunk_begin(chunk) + plan.chunk_size(chunk);
            for (Index b0 = plan.chunk_begin(chunk); b0 < end; b0 += b_max) {
                const Index rows = std::min(b_max, end - b0);
                for (Index i = 0; i < rows; ++i) {
                    for (Index j = 0; j < d; ++j) {
                        const T v = X(b0 + i, j);
                        const bool missing = std::isnan(v);
                        x0(i, j) = missing ? T(0) : v;
                        seen(i, j) = missing ? T(0) : T(1);
                    }
                }
                auto jt = joint.topRows(rows);
                jt.noalias() = x0.topRows(rows) * kernel.log_odds.transpose();
                jt.noalias() += seen.topRows(rows) * kernel.log_fail.transpose();
                double ll = 0.0;
                for (Index i = 0; i < rows; ++i) {
                    // log-sum-exp in double, as bernoulli_block does.
                    double top = -std::numeric_limits<double>::infinity();
                    for (Index c = 0; c < k; ++c)
                        top = std::max(
                            top, static_cast<double>(jt(i, c)) + kernel.log_weights[c]);
                    double sum = 0.0;
                    for (Index c = 0; c < k; ++c)
                        sum += std::exp(static_cast<double>(jt(i, c)) +
                                        kernel.log_weights[c] - top);
                    const double lse = top + std::log(sum);
                    for (Index c = 0; c < k; ++c) {
                        const double lg =
                            static_cast<double>(jt(i, c)) + kernel.log_weights[c] - lse;
                        jt(i, c) = static_cast<T>(std::exp(lg));
                        if (out.resp != nullptr)
                            out.resp[(b0 + i) * k + c] =
                                static_cast<T>(out.log_resp ? lg : std::exp(lg));
                    }
                    if (out.log_prob != nullptr)
                        out.log_prob[b0 + i] = static_cast<T>(lse);
                    ll += weighted ? sample_weight[b0 + i] * lse : lse;
                }
                if (out.imputed != nullptr) {
                    for (Index i = 0; i < rows; ++i) {
                        for (Index j = 0; j < d; ++j) {
                            double v = static_cast<double>(X(b0 + i, j));
                            if (std::isnan(v)) {
                                v = 0.0;
                                for (Index c = 0; c < k; ++c)
                                    v += static_cast<double>(jt(i, c)) *
                                         params.probabilities(c, j);
                            }
                            out.imputed[(b0 + i) * d + j] = static_cast<T>(v);
                        }
                    }
                }
                if (!out.statistics) continue;
                BernoulliMissingStatistics& st = slots[static_cast<std::size_t>(chunk)];
                st.base.log_likelihood += ll;
                if (weighted) {
                    jt.array().colwise() *=
                        sample_weight.segment(b0, rows).template cast<T>().array();
                    st.base.weight_sum += sample_weight.segment(b0, rows).sum();
                } else {
                    st.base.weight_sum += static_cast<double>(rows);
                }
                st.base.resp_sum +=
                    jt.colwise().sum().transpose().template cast<double>();
                sums.noalias() = jt.transpose() * x0.topRows(rows);
                st.base.x_sum += sums.template cast<double>();
                sums.noalias() = jt.transpose() * seen.topRows(rows);
                st.observed_sum += sums.template cast<double>();
            }
        },
        interrupt);
    BernoulliMissingStatistics total = proto;
    for (const auto& slot : slots) total += slot;
    return total;
}

/// Rejects infinities and rows with no observed entry (and, for a whole data
/// set, features never observed).
template <class T>
void check_bernoulli_missing(const ConstRowMatrixRef<T>& X,
                             bool require_every_feature) {
    const Index n = X.rows(), d = X.cols();
    std::vector<char> seen_feature(static_cast<std::size_t>(d), 0);
    for (Index i = 0; i < n; ++i) {
        bool any = false;
        for (Index j = 0; j < d; ++j) {
            const T v = X(i, j);
            if (std::isinf(v)) {
                throw InvalidArgument(
                    "X contains infinity at row " + std::to_string(i) + ", feature " +
                    std::to_string(j) + "; only NaN marks a missing entry");
            }
            if (!std::isnan(v)) {
                any = true;
                seen_feature[static_cast<std::size_t>(j)] = 1;
            }
        }
        if (!any) {
            throw InvalidArgument("row " + std::to_string(i) +
                                  " of X has every entry missing; drop such rows");
        }
    }
    if (require_every_feature && n > 0) {
        for (Index j = 0; j < d; ++j) {
            if (seen_feature[static_cast<std::size_t>(j)] == 0) {
                throw InvalidArgument("feature " + std::to_string(j) +
                                      " of X is missing in every row");
            }
        }
    }
}

}  // namespace missing_detail

/// The E-step fused with the missing-data statistics. Without NaN the
/// statistics are those of bernoulli_e_step_statistics and observed_sum
/// repeats resp_sum.
template <class T>
BernoulliMissingStatistics bernoulli_missing_e_step_statistics(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const BernoulliMixtureParams& params, ThreadPool& pool,
    const InterruptCheck& interrupt = {}, bool require_every_feature = false) {
    if (!contains_nan<T>(X)) {
        BernoulliMissingStatistics st;
        st.base =
            bernoulli_e_step_statistics<T>(X, sample_weight, params, pool, interrupt);
        st.observed_sum = st.base.resp_sum.replicate(1, X.cols());
        return st;
    }
    missing_detail::check_bernoulli_missing<T>(X, require_every_feature);
    missing_detail::BernoulliPassOutputs<T> out;
    out.statistics = true;
    return missing_detail::bernoulli_missing_pass<T>(X, sample_weight, params, out,
                                                     pool, interrupt);
}

/// The E-step on binary data that may hold NaN: responsibilities, log p(x_o)
/// and X with each NaN replaced by sum_k gamma_k theta_kd (null skips).
template <class T>
void bernoulli_missing_e_step(const ConstRowMatrixRef<T>& X,
                              const BernoulliMixtureParams& params, T* resp,
                              T* log_prob, bool log_resp, T* imputed, ThreadPool& pool,
                              const InterruptCheck& interrupt = {}) {
    if (!contains_nan<T>(X)) {
        if (resp != nullptr || log_prob != nullptr)
            bernoulli_e_step<T>(X, params, resp, log_prob, log_resp, pool, interrupt);
        if (imputed != nullptr)
            Eigen::Map<RowMatrix<T>>(imputed, X.rows(), X.cols()) = X;
        return;
    }
    missing_detail::check_bernoulli_missing<T>(X, false);
    missing_detail::BernoulliPassOutputs<T> out;
    out.resp = resp;
    out.log_resp = log_resp;
    out.log_prob = log_prob;
    out.imputed = imputed;
    missing_detail::bernoulli_missing_pass<T>(X, Eigen::VectorXd(), params, out, pool,
                                              interrupt);
}

/// Fits a mixture of Bernoullis by EM to binary X whose NaN entries are
/// missing at random. Without NaN this is fit_bernoulli_mixture, bit for bit.
/// With NaN, each restart is initialised as fit_bernoulli_mixture would on X
/// with every NaN replaced by its column's observed mean.
template <class T>
BernoulliMixtureFit fit_bernoulli_mixture_missing(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const BernoulliMixtureOptions& options, const InterruptCheck& interrupt = {}) {
    if (!contains_nan<T>(X))
        return fit_bernoulli_mixture<T>(X, sample_weight, options, interrupt);
    detail::check_bernoulli_options(options, X.rows(), X.cols());
    detail::check_weights_shape<T>(X, sample_weight);
    missing_detail::check_bernoulli_missing<T>(X, true);
    ThreadPool pool(options.n_threads);
    const Index n = X.rows(), d = X.cols();
    Eigen::VectorXd sum = Eigen::VectorXd::Zero(d), count = Eigen::VectorXd::Zero(d);
    for (Index i = 0; i < n; ++i) {
        for (Index j = 0; j < d; ++j) {
            if (!std::isnan(X(i, j))) {
                sum[j] += static_cast<double>(X(i, j));
                count[j] += 1.0;
            }
        }
    }
    RowMatrix<T> filled = X;
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < d; ++j)
            if (std::isnan(filled(i, j)))
                filled(i, j) = static_cast<T>(sum[j] / count[j]);
    const EmOptions em{options.max_iter, options.n_init, options.tol};
    auto init = [&](int restart) {
        Rng rng = Rng::stream(options.seed, static_cast<std::uint64_t>(restart));
        return detail::bernoulli_initial_params<T>(filled, sample_weight, options, rng,
                                                   pool, interrupt);
    };
    missing_detail::BernoulliPassOutputs<T> out;
    out.statistics = true;
    auto step = [&](const BernoulliMixtureParams& p) {
        const BernoulliMissingStatistics st = missing_detail::bernoulli_missing_pass<T>(
            X, sample_weight, p, out, pool, interrupt);
        return std::pair<BernoulliMixtureParams, double>{
            bernoulli_missing_m_step(st, options.alpha, bernoulli_component_eps<T>()),
            st.base.log_likelihood / st.base.weight_sum};
    };
    auto [params, trace] =
        run_em<BernoulliMixtureParams>(em, init, step, options.on_iteration, interrupt);
    return {std::move(params), std::move(trace)};
}

}  // namespace emclust
