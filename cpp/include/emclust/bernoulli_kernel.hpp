// The Bernoulli E-step on a block of rows: one GEMM and a log-sum-exp.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include "bernoulli_params.hpp"
#include "types.hpp"

namespace emclust {

/// The parameters rearranged for the E-step. Because x is binary,
///   log p(x, z=k) = log pi_k + sum_d [x_d log theta_kd + (1 - x_d) log(1 - theta_kd)]
///                 = x . W_k + b_k,
/// with W_kd = log theta_kd - log(1 - theta_kd) (the log-odds) and
/// b_k = log pi_k + sum_d log(1 - theta_kd): the two matrix products
/// X log(theta)^T + (1 - X) log(1 - theta)^T collapse into one, X W^T.
template <class T>
struct BernoulliKernel {
    RowMatrix<T> log_odds;  ///< (K, d) W, in the data's precision (GEMM operand)
    Eigen::VectorXd bias;   ///< (K) b, in double

    explicit BernoulliKernel(const BernoulliMixtureParams& p)
        : log_odds(p.n_components(), p.n_features()), bias(p.n_components()) {
        check_bernoulli_params(p);
        for (Index k = 0; k < p.n_components(); ++k) {
            double sum_log_fail = 0.0;
            for (Index j = 0; j < p.n_features(); ++j) {
                const double theta = p.probabilities(k, j);
                const double log_fail = std::log1p(-theta);
                log_odds(k, j) = static_cast<T>(std::log(theta) - log_fail);
                sum_log_fail += log_fail;
            }
            bias[k] = std::log(p.weights[k]) + sum_log_fail;
        }
    }

    Index n_components() const { return log_odds.rows(); }
    Index n_features() const { return log_odds.cols(); }
};

/// Scratch of one block: log p(x_i, z=k), then responsibilities, per row.
template <class T>
struct BernoulliScratch {
    RowMatrix<T> joint;  ///< (B, K)
    BernoulliScratch(Index rows, Index k) : joint(rows, k) {}
};

/// For the rows of `block` (n <= B of them): joint(i, k) <- responsibility
/// gamma_ik (or log gamma_ik when `log_resp`), and returns log p(x_i) through
/// `log_prob(i)` (a callable taking the row index and the value, in double).
/// @param block (n, d) binary rows
template <class T, class Derived, class LogProbSink>
void bernoulli_block(const BernoulliKernel<T>& kernel,
                     const Eigen::MatrixBase<Derived>& block, bool log_resp,
                     BernoulliScratch<T>& s, LogProbSink&& log_prob) {
    const Index n = block.rows(), k = kernel.n_components();
    auto joint = s.joint.topRows(n);
    joint.noalias() = block * kernel.log_odds.transpose();
    for (Index i = 0; i < n; ++i) {
        // The bias is added and the log-sum-exp taken in double: b_k can be
        // large next to x . W_k, and the row has only K entries.
        double top = -std::numeric_limits<double>::infinity();
        for (Index c = 0; c < k; ++c)
            top = std::max(top, static_cast<double>(joint(i, c)) + kernel.bias[c]);
        double sum = 0.0;
        for (Index c = 0; c < k; ++c)
            sum += std::exp(static_cast<double>(joint(i, c)) + kernel.bias[c] - top);
        const double lse = top + std::log(sum);
        for (Index c = 0; c < k; ++c) {
            const double log_gamma =
                static_cast<double>(joint(i, c)) + kernel.bias[c] - lse;
            joint(i, c) = static_cast<T>(log_resp ? log_gamma : std::exp(log_gamma));
        }
        log_prob(i, lse);
    }
}

}  // namespace emclust
