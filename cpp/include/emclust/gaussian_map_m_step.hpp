// The MAP M-step of a Gaussian mixture under mclust's conjugate prior, from
// the summed statistics: the scatter about the weighted means, then
// map_m_step (conjugate_prior.hpp), stored in the layout of the covariance
// type. scikit-learn's four names take the prior of the model they alias
// (full = VVV, tied = EEE, diag = VVI, spherical = VII).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "conjugate_prior.hpp"
#include "covariance_models.hpp"
#include "gaussian_mixture_params.hpp"
#include "gaussian_statistics.hpp"

namespace emclust {

/// The mclust model whose prior a fit of `type` (and `model`, if any) uses.
inline std::string prior_model_name(CovarianceType type,
                                    std::optional<CovarianceModel> model) {
    if (model) return to_string(*model);
    switch (type) {
        case CovarianceType::full:
            return "VVV";
        case CovarianceType::tied:
            return "EEE";
        case CovarianceType::diag:
            return "VVI";
        case CovarianceType::spherical:
            return "VII";
    }
    return "VVV";
}

/// The covariance of component c of `p` as a full (d, d) matrix.
inline Eigen::MatrixXd full_covariance(const GaussianMixtureParams& p, Index c) {
    const Index d = p.n_features();
    switch (p.covariance_type) {
        case CovarianceType::full:
            return as_square(p.covariances, c, d);
        case CovarianceType::tied:
            return as_square(p.covariances, 0, d);
        case CovarianceType::diag:
            return p.covariances.row(c).transpose().asDiagonal();
        case CovarianceType::spherical:
            return p.covariances(c, 0) * Eigen::MatrixXd::Identity(d, d);
    }
    return {};
}

/// log prior density of `p` (log_prior_density, up to a constant).
inline double log_prior_of(const GaussianMixtureParams& p, const ConjugatePrior& prior,
                           std::optional<CovarianceModel> model) {
    std::vector<Eigen::MatrixXd> cov;
    for (Index c = 0; c < p.n_components(); ++c) cov.push_back(full_covariance(p, c));
    return log_prior_density(prior_model_name(p.covariance_type, model), prior, p.means,
                             cov);
}

/// Sets p.means and p.covariances (not the weights or the precisions) to the
/// MAP estimate from statistics `s`, with n_k = `nk` and reg_covar added to
/// the diagonal afterwards, as in the maximum-likelihood M-step.
inline void map_parameters_from_statistics(const GaussianStatistics& s,
                                           const Eigen::VectorXd& nk,
                                           std::optional<CovarianceModel> model,
                                           const ConjugatePrior& prior,
                                           double reg_covar, GaussianMixtureParams& p) {
    const Index k = s.n_components(), d = s.n_features();
    const RowMatrixXd delta = s.first.array().colwise() / nk.array();
    const RowMatrixXd xbar = s.shift + delta;
    // W_k about xbar_k from the sums about the shift c_k (see m_step_from_statistics).
    RowMatrixXd scatter = RowMatrixXd::Zero(k, d * d);
    for (Index c = 0; c < k; ++c) {
        const Eigen::VectorXd f = s.first.row(c).transpose();
        const Eigen::VectorXd dl = delta.row(c).transpose();
        Eigen::MatrixXd w(d, d);
        if (is_matrix_type(s.covariance_type)) {
            w = as_square(s.second, c, d);
            w -= f * dl.transpose() + dl * f.transpose();
            w += s.resp_sum[c] * dl * dl.transpose();
            w = 0.5 * (w + w.transpose()).eval();
        } else {
            // diagonal statistics: the diagonal models read only diag W_k
            const Eigen::VectorXd v = s.second.row(c).transpose().array() -
                                      2.0 * f.array() * dl.array() +
                                      s.resp_sum[c] * dl.array().square();
            w = v.asDiagonal();
        }
        as_square(scatter, c, d) = w;
    }
    const std::string name = prior_model_name(s.covariance_type, model);
    const MapParameters map = map_m_step(name, prior, nk, xbar, scatter);
    p.means = map.means;
    for (Index c = 0; c < k; ++c) {
        Eigen::MatrixXd m = map.covariances[static_cast<std::size_t>(c)];
        m.diagonal().array() += reg_covar;
        switch (s.covariance_type) {
            case CovarianceType::full:
                as_square(p.covariances, c, d) = m;
                break;
            case CovarianceType::tied:
                if (c == 0) as_square(p.covariances, 0, d) = m;
                break;
            case CovarianceType::diag:
                p.covariances.row(c) = m.diagonal().transpose();
                break;
            case CovarianceType::spherical:
                p.covariances(c, 0) = m(0, 0);  // VII: sigma_k^2 I
                break;
        }
    }
}

}  // namespace emclust
