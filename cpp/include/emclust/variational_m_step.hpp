// The variational M-step: the posterior parameters from the weighted
// sufficient statistics (Bishop, PRML 10.58-10.63, in scikit-learn's
// parametrisation), whichever E-step (in memory, chunked, stochastic)
// produced them.
#pragma once

#include "gaussian_mixture_params.hpp"
#include "gaussian_statistics.hpp"
#include "variational_params.hpp"

namespace emclust {

/// Per-component counts, means and covariances (+ reg_covar) of the
/// responsibilities: scikit-learn's _estimate_gaussian_parameters, the input
/// of the posterior update. nk includes the eps floor.
struct ComponentMoments {
    Eigen::VectorXd nk;  ///< (K)
    RowMatrixXd xk;      ///< (K, d)
    RowMatrixXd sk;      ///< covariance_storage_shape layout
};

/// The moments from statistics taken about a shift (the E-step's means). With
/// n_k = N_k + eps and delta_k = first_k / n_k, the centred scatter is
/// second_k - (2 - N_k / n_k) delta_k first_k^T, exactly scikit-learn's sum
/// about x_k even for the floor of an empty component.
inline ComponentMoments component_moments(const GaussianStatistics& s, double reg_covar,
                                          double nk_eps) {
    const Index k = s.n_components(), d = s.n_features();
    ComponentMoments m;
    m.nk = s.resp_sum.array() + nk_eps;
    const RowMatrixXd delta = s.first.array().colwise() / m.nk.array();
    m.xk = s.shift + delta;
    const auto [rows, cols] = covariance_storage_shape(s.covariance_type, k, d);
    m.sk = RowMatrixXd::Zero(rows, cols);
    switch (s.covariance_type) {
        case CovarianceType::full:
        case CovarianceType::tied: {
            Eigen::MatrixXd total = Eigen::MatrixXd::Zero(d, d);
            for (Index c = 0; c < k; ++c) {
                const double f = 2.0 - s.resp_sum[c] / m.nk[c];
                Eigen::MatrixXd scatter = as_square(s.second, c, d);
                scatter -= f * delta.row(c).transpose() * s.first.row(c);
                if (s.covariance_type == CovarianceType::full) {
                    Eigen::MatrixXd cov = scatter / m.nk[c];
                    cov.diagonal().array() += reg_covar;
                    as_square(m.sk, c, d) = cov;
                } else {
                    total += scatter;
                }
            }
            if (s.covariance_type == CovarianceType::tied) {
                Eigen::MatrixXd cov = total / m.nk.sum();
                cov.diagonal().array() += reg_covar;
                as_square(m.sk, 0, d) = cov;
            }
            break;
        }
        case CovarianceType::diag:
        case CovarianceType::spherical: {
            for (Index c = 0; c < k; ++c) {
                const double f = 2.0 - s.resp_sum[c] / m.nk[c];
                double mean = 0.0;
                for (Index j = 0; j < d; ++j) {
                    const double v =
                        (s.second(c, j) - f * delta(c, j) * s.first(c, j)) / m.nk[c] +
                        reg_covar;
                    if (s.covariance_type == CovarianceType::diag) {
                        m.sk(c, j) = v;
                    } else {
                        mean += v;
                    }
                }
                if (s.covariance_type == CovarianceType::spherical)
                    m.sk(c, 0) = mean / static_cast<double>(d);
            }
            break;
        }
    }
    return m;
}

/// The posterior from the moments, with beta_k = beta0 + n_k,
/// m_k = (beta0 m0 + n_k x_k) / beta_k, nu_k = nu0 + n_k and
/// W_k^-1 = Psi0 + n_k S_k + (n_k beta0 / beta_k) (x_k - m0)(x_k - m0)^T
/// (tied: the averages over the components; diag and spherical: the diagonal
/// and its mean). Throws NumericalError when a covariance is not positive
/// definite.
inline VariationalState variational_m_step(const ComponentMoments& m,
                                           CovarianceType type,
                                           const VariationalPriors& priors) {
    const Index k = m.xk.rows(), d = m.xk.cols();
    const double kk = static_cast<double>(k);
    const double a0 = priors.weight_concentration, beta0 = priors.mean_precision;
    const double nu0 = priors.degrees_of_freedom;
    VariationalState s;
    s.covariance_type = type;
    if (priors.weight_prior == WeightPrior::dirichlet_process) {
        s.concentration_a = m.nk.array() + 1.0;
        s.concentration_b.resize(k);
        double tail = 0.0;  // sum of n_j over the later components
        for (Index c = k - 1; c >= 0; --c) {
            s.concentration_b[c] = a0 + tail;
            tail += m.nk[c];
        }
    } else {
        s.concentration_a = m.nk.array() + a0;
    }
    s.mean_precision = m.nk.array() + beta0;
    s.means.resize(k, d);
    for (Index c = 0; c < k; ++c) {
        s.means.row(c) = (beta0 * priors.mean.transpose() + m.nk[c] * m.xk.row(c)) /
                         s.mean_precision[c];
    }
    const auto [rows, cols] = covariance_storage_shape(type, k, d);
    s.covariances = RowMatrixXd::Zero(rows, cols);
    switch (type) {
        case CovarianceType::full: {
            s.degrees_of_freedom = m.nk.array() + nu0;
            const auto psi0 = as_square(priors.covariance, 0, d);
            for (Index c = 0; c < k; ++c) {
                const Eigen::VectorXd diff =
                    (m.xk.row(c) - priors.mean.transpose()).transpose();
                const double shrink = m.nk[c] * beta0 / s.mean_precision[c];
                Eigen::MatrixXd cov = psi0 + m.nk[c] * as_square(m.sk, c, d) +
                                      shrink * diff * diff.transpose();
                cov /= s.degrees_of_freedom[c];
                as_square(s.covariances, c, d) = 0.5 * (cov + cov.transpose());
            }
            break;
        }
        case CovarianceType::tied: {
            const double per = m.nk.sum() / kk;
            s.degrees_of_freedom = Eigen::VectorXd::Constant(1, nu0 + per);
            Eigen::MatrixXd spread = Eigen::MatrixXd::Zero(d, d);
            for (Index c = 0; c < k; ++c) {
                const Eigen::VectorXd diff =
                    (m.xk.row(c) - priors.mean.transpose()).transpose();
                spread += (m.nk[c] / s.mean_precision[c]) * diff * diff.transpose();
            }
            Eigen::MatrixXd cov = as_square(priors.covariance, 0, d) +
                                  per * as_square(m.sk, 0, d) + (beta0 / kk) * spread;
            cov /= s.degrees_of_freedom[0];
            as_square(s.covariances, 0, d) = 0.5 * (cov + cov.transpose());
            break;
        }
        case CovarianceType::diag:
        case CovarianceType::spherical: {
            s.degrees_of_freedom = m.nk.array() + nu0;
            for (Index c = 0; c < k; ++c) {
                const double shrink = beta0 / s.mean_precision[c];
                if (type == CovarianceType::diag) {
                    for (Index j = 0; j < d; ++j) {
                        const double diff = m.xk(c, j) - priors.mean[j];
                        s.covariances(c, j) =
                            (priors.covariance(0, j) +
                             m.nk[c] * (m.sk(c, j) + shrink * diff * diff)) /
                            s.degrees_of_freedom[c];
                    }
                } else {
                    const double spread =
                        (m.xk.row(c) - priors.mean.transpose()).squaredNorm() /
                        static_cast<double>(d);
                    s.covariances(c, 0) = (priors.covariance(0, 0) +
                                           m.nk[c] * (m.sk(c, 0) + shrink * spread)) /
                                          s.degrees_of_freedom[c];
                }
            }
            break;
        }
    }
    s.precisions_cholesky = precision_cholesky_from_covariances(s.covariances, type, d);
    return s;
}

/// The M-step from statistics about a shift: the moments, then the posterior.
inline VariationalState variational_m_step(const GaussianStatistics& st,
                                           double reg_covar, double nk_eps,
                                           const VariationalPriors& priors) {
    return variational_m_step(component_moments(st, reg_covar, nk_eps),
                              st.covariance_type, priors);
}

}  // namespace emclust
