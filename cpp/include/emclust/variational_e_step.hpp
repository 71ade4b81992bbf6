// The variational E-step as a Gaussian E-step. Under the variational
// posterior, log rho_nk = E[log pi_k] + E[log N(x_n | mu_k, Lambda_k)] is the
// Gaussian log-density with the expected precision nu_k W_k plus a constant
// per component (the digamma and log-determinant terms). So the fused,
// threaded Gaussian kernels run unchanged with "weights" exp(constant): their
// responsibilities are the variational ones and their statistics the weighted
// sufficient statistics of the variational M-step.
#pragma once

#include <algorithm>
#include <cmath>

#include "digamma.hpp"
#include "gaussian_mixture_params.hpp"
#include "variational_params.hpp"

namespace emclust {

/// E[log pi_k] under the posterior on the weights.
///   Dirichlet process: psi(a_k) - psi(a_k + b_k)
///                      + sum_{j<k} (psi(b_j) - psi(a_j + b_j));
///   Dirichlet distribution: psi(alpha_k) - psi(sum_j alpha_j).
inline Eigen::VectorXd expected_log_weights(const VariationalState& s,
                                            WeightPrior prior) {
    const Index k = s.concentration_a.size();
    Eigen::VectorXd out(k);
    if (prior == WeightPrior::dirichlet_process) {
        double rest = 0.0;  // sum over the earlier sticks of log(1 - v_j)
        for (Index c = 0; c < k; ++c) {
            const double a = s.concentration_a[c], b = s.concentration_b[c];
            const double dsum = digamma(a + b);
            out[c] = digamma(a) - dsum + rest;
            rest += digamma(b) - dsum;
        }
    } else {
        const double dsum = digamma(s.concentration_a.sum());
        for (Index c = 0; c < k; ++c) out[c] = digamma(s.concentration_a[c]) - dsum;
    }
    return out;
}

/// Per component, what E[log N(x | mu_k, Lambda_k)] adds to log N(x | m_k,
/// (nu_k W_k)^-1): 0.5 (E[log|Lambda_k|] - log|nu_k W_k|) - d / (2 beta_k),
/// with E[log|Lambda_k|] = sum_j psi((nu_k - j) / 2) + d log 2 + log|W_k|.
inline Eigen::VectorXd log_prob_corrections(const VariationalState& s) {
    const Index k = s.n_components(), d = s.n_features();
    const double dd = static_cast<double>(d);
    Eigen::VectorXd out(k);
    for (Index c = 0; c < k; ++c) {
        const double nu =
            s.degrees_of_freedom[s.degrees_of_freedom.size() == 1 ? 0 : c];
        double log_lambda = dd * std::log(2.0);
        for (Index j = 0; j < d; ++j)
            log_lambda += digamma(0.5 * (nu - static_cast<double>(j)));
        out[c] =
            -0.5 * dd * std::log(nu) + 0.5 * (log_lambda - dd / s.mean_precision[c]);
    }
    return out;
}

/// log rho_nk - log N(x_n | m_k, (nu_k W_k)^-1): the per-component constants.
inline Eigen::VectorXd variational_log_constants(const VariationalState& s,
                                                 WeightPrior prior) {
    return log_prob_corrections(s) + expected_log_weights(s, prior);
}

/// The Gaussian mixture whose E-step is the variational one, and the constant
/// taken out of its log-weights (the largest, so that none underflows before
/// the others): weights_k = exp(c_k - top). Its log-likelihood plus top times
/// the weight sum is sum_n w_n log sum_k rho_nk.
struct VariationalKernel {
    GaussianMixtureParams params;
    Eigen::VectorXd log_constants;  ///< c_k
    double top = 0;
};

inline VariationalKernel variational_kernel(const VariationalState& s,
                                            WeightPrior prior) {
    VariationalKernel kern;
    kern.log_constants = variational_log_constants(s, prior);
    kern.top = kern.log_constants.maxCoeff();
    kern.params.covariance_type = s.covariance_type;
    kern.params.weights = (kern.log_constants.array() - kern.top).exp().matrix();
    kern.params.means = s.means;
    kern.params.precisions_cholesky = s.precisions_cholesky;
    kern.params.covariances = s.covariances;
    return kern;
}

}  // namespace emclust
