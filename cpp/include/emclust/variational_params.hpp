// The state and the priors of a variational Bayesian Gaussian mixture
// (scikit-learn's BayesianGaussianMixture; Bishop, PRML 10.2): a Dirichlet
// (or stick-breaking Beta) posterior on the weights and a Normal-Wishart
// posterior on every component's mean and precision.
#pragma once

#include <cmath>
#include <string>

#include "covariance_type.hpp"
#include "errors.hpp"
#include "types.hpp"

namespace emclust {

/// The prior on the weights (scikit-learn's weight_concentration_prior_type).
enum class WeightPrior {
    dirichlet_process,       ///< stick-breaking: Beta(1, a0) per stick
    dirichlet_distribution,  ///< symmetric Dirichlet(a0)
};

inline WeightPrior parse_weight_prior(const std::string& name) {
    if (name == "dirichlet_process") return WeightPrior::dirichlet_process;
    if (name == "dirichlet_distribution") return WeightPrior::dirichlet_distribution;
    throw InvalidArgument(
        "weight_concentration_prior_type must be 'dirichlet_process' or "
        "'dirichlet_distribution', got '" +
        name + "'");
}

/// The priors (scikit-learn's *_prior_ attributes).
struct VariationalPriors {
    WeightPrior weight_prior = WeightPrior::dirichlet_process;
    double weight_concentration = 1.0;  ///< a0
    double mean_precision = 1.0;        ///< beta0
    Eigen::VectorXd mean;               ///< m0, (d)
    double degrees_of_freedom = 1.0;    ///< nu0
    /// Psi0: (1, d*d) for full and tied, (1, d) for diag, (1, 1) for spherical.
    RowMatrixXd covariance;
};

/// The variational posterior (scikit-learn's fitted attributes). The
/// covariances are those of the expected precision, Sigma_k = W_k^-1 / nu_k,
/// and precisions_cholesky their factors, both in the flat storage of
/// covariance_storage_shape: the Gaussian kernels read them as they are.
struct VariationalState {
    CovarianceType covariance_type = CovarianceType::full;
    /// Dirichlet process: the Beta parameters (a_k, b_k) of every stick;
    /// Dirichlet distribution: alpha_k in a, b empty.
    Eigen::VectorXd concentration_a, concentration_b;
    Eigen::VectorXd mean_precision;      ///< beta_k, (K)
    RowMatrixXd means;                   ///< m_k, (K, d)
    Eigen::VectorXd degrees_of_freedom;  ///< nu_k, (K), or (1) for tied
    RowMatrixXd covariances;
    RowMatrixXd precisions_cholesky;

    Index n_components() const { return means.rows(); }
    Index n_features() const { return means.cols(); }
};

/// Whether every number is finite (run_em stops a fit otherwise).
inline bool all_finite(const VariationalState& s) {
    return s.concentration_a.allFinite() && s.concentration_b.allFinite() &&
           s.mean_precision.allFinite() && s.means.allFinite() &&
           s.degrees_of_freedom.allFinite() && s.covariances.allFinite() &&
           s.precisions_cholesky.allFinite();
}

/// Checks the shapes of a state against its covariance type and weight prior.
inline void check_variational_state(const VariationalState& s, WeightPrior prior) {
    const Index k = s.n_components(), d = s.n_features();
    if (k < 1 || d < 1)
        throw InvalidArgument("means must have shape (n_components, n_features)");
    const auto bad = [](const char* what) {
        throw InvalidArgument(std::string(what) + " has the wrong shape");
    };
    if (s.concentration_a.size() != k) bad("weight_concentration");
    if (prior == WeightPrior::dirichlet_process && s.concentration_b.size() != k)
        bad("weight_concentration");
    if (prior == WeightPrior::dirichlet_distribution && s.concentration_b.size() != 0)
        bad("weight_concentration");
    if (s.mean_precision.size() != k) bad("mean_precision");
    const Index n_dof = s.covariance_type == CovarianceType::tied ? 1 : k;
    if (s.degrees_of_freedom.size() != n_dof) bad("degrees_of_freedom");
    const auto [rows, cols] = covariance_storage_shape(s.covariance_type, k, d);
    if (s.precisions_cholesky.rows() != rows || s.precisions_cholesky.cols() != cols)
        bad("precisions_cholesky");
    if (s.covariances.size() != 0 &&
        (s.covariances.rows() != rows || s.covariances.cols() != cols))
        bad("covariances");
}

/// Checks the priors' shapes for d features and a covariance type.
inline void check_variational_priors(const VariationalPriors& p, CovarianceType type,
                                     Index d) {
    if (p.mean.size() != d)
        throw InvalidArgument("mean_prior must have shape (n_features,)");
    const auto [rows, cols] = covariance_storage_shape(type, 1, d);
    if (p.covariance.rows() != rows || p.covariance.cols() != cols)
        throw InvalidArgument("covariance_prior has the wrong shape");
    if (!(p.weight_concentration > 0) || !(p.mean_precision > 0) ||
        !(p.degrees_of_freedom > static_cast<double>(d) - 1.0)) {
        throw InvalidArgument(
            "the priors need weight_concentration_prior > 0, mean_precision_prior > "
            "0 and degrees_of_freedom_prior > n_features - 1");
    }
}

}  // namespace emclust
