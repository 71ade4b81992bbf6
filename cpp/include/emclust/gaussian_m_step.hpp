// The M-step: mixture parameters from summed statistics.
#pragma once

#include <algorithm>
#include <limits>
#include <optional>
#include <vector>

#include "covariance_model_m_step.hpp"
#include "gaussian_map_m_step.hpp"
#include "gaussian_mixture_params.hpp"
#include "gaussian_statistics.hpp"

namespace emclust {

/// How the M-step turns N_k into mixing weights.
enum class WeightNormalization {
    by_total_responsibility,  ///< pi_k = n_k / sum_j n_j (every EM iteration)
    by_sample_weight,  ///< pi_k = n_k / sum_i w_i (initialisation, as scikit-learn)
};

/// The eps scikit-learn adds to every N_k (10 machine epsilons of the data
/// type), so that an empty component keeps a finite mean.
template <class T>
constexpr double component_eps() {
    return 10.0 * static_cast<double>(std::numeric_limits<T>::epsilon());
}

/// EVE and VVE's warm start: the common basis of the previous full
/// covariances, when there are K finite ones of dimension d.
inline std::optional<Eigen::MatrixXd> previous_orientation(
    CovarianceModel model, const GaussianMixtureParams* previous, Index k, Index d) {
    if ((model != CovarianceModel::EVE && model != CovarianceModel::VVE) ||
        previous == nullptr || previous->covariance_type != CovarianceType::full ||
        previous->covariances.rows() != k || previous->covariances.cols() != d * d ||
        !previous->covariances.allFinite())
        return std::nullopt;
    std::vector<Eigen::MatrixXd> sigma;
    for (Index c = 0; c < k; ++c)
        sigma.emplace_back(as_square(previous->covariances, c, d));
    return model_detail::common_basis(sigma);
}

/// Maximum-likelihood parameters from statistics, with reg_covar added to the
/// diagonal of every covariance and precision Cholesky factors computed.
/// With n_k = N_k + nk_eps and delta_k = first_k / n_k:
///   mu_k = c_k + delta_k,
///   Sigma_k = (second_k - first_k delta_k^T - delta_k first_k^T + N_k delta_k
///   delta_k^T) / n_k,
/// the scatter about mu_k rewritten from the sums about the shift c_k; since
/// c_k is close to mu_k the correction is small and nothing cancels.
/// Throws NumericalError when a covariance is not positive definite (unless
/// with_precisions is false: then precisions_cholesky is left empty).
/// With one of mclust's models (full statistics), the scatter matrices are
/// constrained by constrained_covariances first and reg_covar is added after,
/// so the constraints hold exactly at reg_covar = 0.
/// With a conjugate `prior` the means and covariances are the MAP ones of
/// the model (map_parameters_from_statistics); the weights are unchanged.
/// `previous`: the parameters the statistics were computed under (an EM
/// step); EVE and VVE start their orientation from theirs, which keeps EM's
/// log-likelihood from falling (covariance_model_m_step.hpp).
inline GaussianMixtureParams m_step_from_statistics(
    const GaussianStatistics& s, double reg_covar, double nk_eps,
    WeightNormalization normalization = WeightNormalization::by_total_responsibility,
    bool with_precisions = true, std::optional<CovarianceModel> model = std::nullopt,
    const ConjugatePrior* prior = nullptr,
    const GaussianMixtureParams* previous = nullptr) {
    const Index k = s.n_components(), d = s.n_features();
    GaussianMixtureParams p;
    p.covariance_type = s.covariance_type;
    const Eigen::VectorXd nk = s.resp_sum.array() + nk_eps;
    p.weights = normalization == WeightNormalization::by_total_responsibility
                    ? Eigen::VectorXd(nk / nk.sum())
                    : Eigen::VectorXd(nk / s.weight_sum);
    const RowMatrixXd delta = s.first.array().colwise() / nk.array();
    p.means = s.shift + delta;

    auto [rows, cols] = covariance_storage_shape(s.covariance_type, k, d);
    p.covariances = RowMatrixXd::Zero(rows, cols);
    if (prior != nullptr) {
        map_parameters_from_statistics(s, nk, model, *prior, reg_covar, p);
        if (with_precisions) {
            p.precisions_cholesky = precision_cholesky_from_covariances(
                p.covariances, p.covariance_type, d);
        }
        return p;
    }
    switch (s.covariance_type) {
        case CovarianceType::full:
        case CovarianceType::tied: {
            if (model && s.covariance_type != CovarianceType::full) {
                throw InvalidArgument(
                    "mclust's covariance models need full statistics");
            }
            Eigen::MatrixXd total = Eigen::MatrixXd::Zero(d, d);
            std::vector<Eigen::MatrixXd> scatters;
            for (Index c = 0; c < k; ++c) {
                const Eigen::VectorXd f = s.first.row(c).transpose();
                const Eigen::VectorXd dl = delta.row(c).transpose();
                Eigen::MatrixXd scatter = as_square(s.second, c, d);
                scatter -= f * dl.transpose() + dl * f.transpose();
                scatter += s.resp_sum[c] * dl * dl.transpose();
                if (model) {
                    scatters.push_back(0.5 * (scatter + scatter.transpose()));
                } else if (s.covariance_type == CovarianceType::full) {
                    Eigen::MatrixXd cov = scatter / nk[c];
                    cov.diagonal().array() += reg_covar;
                    as_square(p.covariances, c, d) = 0.5 * (cov + cov.transpose());
                } else {
                    total += scatter;
                }
            }
            if (model) {
                const std::optional<Eigen::MatrixXd> start =
                    previous_orientation(*model, previous, k, d);
                const std::vector<Eigen::MatrixXd> cov = constrained_covariances(
                    *model, scatters, nk, start ? &*start : nullptr);
                for (Index c = 0; c < k; ++c) {
                    Eigen::MatrixXd m = cov[static_cast<std::size_t>(c)];
                    m.diagonal().array() += reg_covar;
                    as_square(p.covariances, c, d) = m;
                }
            }
            if (s.covariance_type == CovarianceType::tied) {
                Eigen::MatrixXd cov = total / nk.sum();
                cov.diagonal().array() += reg_covar;
                as_square(p.covariances, 0, d) = 0.5 * (cov + cov.transpose());
            }
            break;
        }
        case CovarianceType::diag:
        case CovarianceType::spherical: {
            for (Index c = 0; c < k; ++c) {
                for (Index j = 0; j < d; ++j) {
                    const double dl = delta(c, j);
                    const double scatter = s.second(c, j) - 2.0 * s.first(c, j) * dl +
                                           s.resp_sum[c] * dl * dl;
                    const double var = std::max(0.0, scatter / nk[c]) + reg_covar;
                    if (s.covariance_type == CovarianceType::diag) {
                        p.covariances(c, j) = var;
                    } else {
                        p.covariances(c, 0) += var / static_cast<double>(d);
                    }
                }
            }
            break;
        }
    }
    if (with_precisions) {
        p.precisions_cholesky =
            precision_cholesky_from_covariances(p.covariances, p.covariance_type, d);
    }
    return p;
}

/// The M-step from responsibilities given outright (initialisation, the
/// low-level m_step), in two passes over the data: the means from sums about
/// the origin, then the scatter about those means, the most accurate order.
/// statistics(shift, with_second) must return the statistics about `shift`.
template <class Statistics>
GaussianMixtureParams two_pass_m_step(
    Statistics&& statistics, Index n_components, Index n_features, double reg_covar,
    double nk_eps, WeightNormalization normalization, bool with_precisions = true,
    std::optional<CovarianceModel> model = std::nullopt,
    const ConjugatePrior* prior = nullptr) {
    const GaussianStatistics first =
        statistics(RowMatrixXd::Zero(n_components, n_features), false);
    const RowMatrixXd means =
        first.first.array().colwise() / (first.resp_sum.array() + nk_eps);
    return m_step_from_statistics(statistics(means, true), reg_covar, nk_eps,
                                  normalization, with_precisions, model, prior);
}

}  // namespace emclust
