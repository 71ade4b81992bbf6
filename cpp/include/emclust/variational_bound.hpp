// The lower bound of variational EM (scikit-learn's, up to its constant),
// from the E-step's statistics alone: no (n, K) array is needed.
#pragma once

#include <cmath>

#include "digamma.hpp"
#include "gaussian_mixture_params.hpp"
#include "gaussian_statistics.hpp"
#include "variational_e_step.hpp"
#include "variational_params.hpp"

namespace emclust {

/// sum_n w_n sum_k r_nk log r_nk of the E-step under `old` (whose kernel is
/// `kern`) from its statistics about old's means:
///   sum_k N_k (c_k + log|C_k| - d/2 log 2 pi) - 1/2 sum_k tr(Lambda_k S_k)
///   - sum_n w_n log sum_k rho_nk,
/// where sum_n w r (x - m)^T Lambda (x - m) = tr(Lambda S_k).
inline double variational_resp_entropy(const GaussianStatistics& st,
                                       const VariationalState& old,
                                       const VariationalKernel& kern) {
    const Index k = old.n_components(), d = old.n_features();
    const CovarianceType type = old.covariance_type;
    const double log_2pi = std::log(2.0 * 3.14159265358979323846);
    const Eigen::VectorXd log_det =
        log_det_precision_cholesky(old.precisions_cholesky, type, k, d);
    double quad = 0.0, log_rho = 0.0;
    for (Index c = 0; c < k; ++c) {
        switch (type) {
            case CovarianceType::full:
            case CovarianceType::tied: {
                const auto chol = as_square(old.precisions_cholesky,
                                            type == CovarianceType::full ? c : 0, d);
                const Eigen::MatrixXd prec = chol * chol.transpose();
                quad += (prec.array() * as_square(st.second, c, d).array()).sum();
                break;
            }
            case CovarianceType::diag:
                quad += (old.precisions_cholesky.row(c).array().square() *
                         st.second.row(c).array())
                            .sum();
                break;
            case CovarianceType::spherical: {
                const double p = old.precisions_cholesky(c, 0);
                quad += p * p * st.second.row(c).sum();
                break;
            }
        }
        log_rho += st.resp_sum[c] * (kern.log_constants[c] + log_det[c] -
                                     0.5 * static_cast<double>(d) * log_2pi);
    }
    log_rho -= 0.5 * quad;
    return log_rho - (st.log_likelihood + kern.top * st.weight_sum);
}

/// The lower bound after the M-step to `next`, given the E-step's
/// sum w r log r (`resp_entropy`):
///   -resp_entropy - sum_k log B(W_k, nu_k) - log C(weights) - d/2 sum_k log beta_k
/// with B the Wishart normaliser (computed from the expected precision's
/// Cholesky factor, W_k = Lambda_k / nu_k; tied counts its one matrix K times)
/// and C the Dirichlet's (or the sticks' Beta) normaliser.
inline double variational_lower_bound(double resp_entropy, const VariationalState& next,
                                      const VariationalPriors& priors) {
    const Index k = next.n_components(), d = next.n_features();
    const double dd = static_cast<double>(d);
    const CovarianceType type = next.covariance_type;
    const Index n_wishart = type == CovarianceType::tied ? 1 : k;
    const Eigen::VectorXd log_det_chol =
        log_det_precision_cholesky(next.precisions_cholesky, type, n_wishart, d);
    double log_wishart = 0.0;
    for (Index c = 0; c < n_wishart; ++c) {
        const double nu = next.degrees_of_freedom[c];
        const double log_det = log_det_chol[c] - 0.5 * dd * std::log(nu);
        double norm = nu * log_det + nu * dd * 0.5 * std::log(2.0);
        for (Index j = 0; j < d; ++j)
            norm += std::lgamma(0.5 * (nu - static_cast<double>(j)));
        log_wishart -= norm;
    }
    if (type == CovarianceType::tied) log_wishart *= static_cast<double>(k);
    double log_norm_weight = 0.0;
    if (priors.weight_prior == WeightPrior::dirichlet_process) {
        for (Index c = 0; c < k; ++c)
            log_norm_weight -=
                log_beta(next.concentration_a[c], next.concentration_b[c]);
    } else {
        log_norm_weight = std::lgamma(next.concentration_a.sum());
        for (Index c = 0; c < k; ++c)
            log_norm_weight -= std::lgamma(next.concentration_a[c]);
    }
    return -resp_entropy - log_wishart - log_norm_weight -
           0.5 * dd * next.mean_precision.array().log().sum();
}

}  // namespace emclust
