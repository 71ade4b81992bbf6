// Parameters of a mixture of multivariate Bernoulli distributions.
#pragma once

#include <cmath>
#include <string>

#include "errors.hpp"
#include "types.hpp"

namespace emclust {

/// p(x) = sum_k pi_k prod_d theta_kd^x_d (1 - theta_kd)^(1 - x_d), x in {0, 1}^d.
struct BernoulliMixtureParams {
    Eigen::VectorXd weights;    ///< (K) pi_k, summing to 1
    RowMatrixXd probabilities;  ///< (K, d) theta_kd = P(x_d = 1 | z = k)

    Index n_components() const { return weights.size(); }
    Index n_features() const { return probabilities.cols(); }
};

/// Whether every stored number is finite (run_em stops a fit otherwise).
inline bool all_finite(const BernoulliMixtureParams& p) {
    return p.weights.allFinite() && p.probabilities.allFinite();
}

/// Throws InvalidArgument unless the shapes agree, the weights are finite and
/// non-negative, and every theta lies strictly inside (0, 1) (a theta of exactly
/// 0 or 1 would give some binary vectors the log-likelihood -inf).
inline void check_bernoulli_params(const BernoulliMixtureParams& p) {
    const Index k = p.weights.size();
    if (k < 1)
        throw InvalidArgument("a Bernoulli mixture needs at least one component");
    if (p.probabilities.rows() != k || p.probabilities.cols() < 1) {
        throw InvalidArgument("probabilities must have shape (n_components=" +
                              std::to_string(k) + ", n_features)");
    }
    if (!p.weights.allFinite() || (p.weights.array() < 0.0).any())
        throw InvalidArgument("weights must be finite and non-negative");
    if (!((p.probabilities.array() > 0.0) && (p.probabilities.array() < 1.0)).all())
        throw InvalidArgument("probabilities must lie strictly between 0 and 1");
}

}  // namespace emclust
