// mclust's conjugate prior (Fraley and Raftery 2007) and the MAP M-step it
// turns the Gaussian M-step into. The covariance-model M-step
// (covariance_models.hpp) calls map_m_step() in place of its maximum-likelihood
// formulas when a prior is set; the E-step is unchanged.
//
// The formulas are mclust 6.0's (its Fortran ms*p routines) exactly, departures
// from the textbook MAP included, so that BIC with priorControl() matches
// mclust's; python/emclust/reference/prior.py documents each one and is the
// oracle these must agree with to 1e-10.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "errors.hpp"
#include "types.hpp"

namespace emclust {

/// mu_k | Sigma_k ~ N(mean, Sigma_k / shrinkage), Sigma_k ~ inverse Wishart(dof,
/// scale). The spherical and diagonal models use the scalar tr(scale) / d, which
/// is mclust's default scalar scale when scale is its default matrix.
struct ConjugatePrior {
    double shrinkage = 0.01;  ///< kappa_P >= 0
    Eigen::VectorXd mean;     ///< (d) mu_P
    double dof = 0;           ///< nu_P > 0
    Eigen::MatrixXd scale;    ///< (d, d) Lambda_P, symmetric positive definite

    Index n_features() const { return mean.size(); }

    /// Throws InvalidArgument naming the field when the prior does not fit d.
    void validate(Index n_features_) const {
        if (!(shrinkage >= 0) || !std::isfinite(shrinkage))
            throw InvalidArgument("prior shrinkage must be finite and >= 0");
        if (mean.size() != n_features_)
            throw InvalidArgument("prior mean must have n_features entries");
        if (!(dof > 0) || !std::isfinite(dof))
            throw InvalidArgument("prior dof must be finite and > 0");
        if (scale.rows() != n_features_ || scale.cols() != n_features_)
            throw InvalidArgument("prior scale must be (n_features, n_features)");
        if (!mean.allFinite() || !scale.allFinite())
            throw InvalidArgument("prior mean and scale must be finite");
    }
};

/// mclust's defaultPrior(X, G, model): shrinkage 0.01, the data mean, d + 2
/// degrees of freedom and var(X) / G^(2/d) (n - 1 in var; its diagonal only when
/// n <= d, for the models with full covariances).
inline ConjugatePrior default_conjugate_prior(const Eigen::VectorXd& data_mean,
                                              const Eigen::MatrixXd& data_var,
                                              Index n_samples, Index n_components,
                                              bool full_covariance_model) {
    const Index d = data_mean.size();
    if (data_var.rows() != d || data_var.cols() != d)
        throw InvalidArgument("data_var must be (n_features, n_features)");
    if (n_components < 1) throw InvalidArgument("n_components must be >= 1");
    ConjugatePrior prior;
    prior.mean = data_mean;
    prior.dof = static_cast<double>(d) + 2.0;
    const double fac =
        std::pow(1.0 / static_cast<double>(n_components), 2.0 / static_cast<double>(d));
    if (full_covariance_model && n_samples > d) {
        prior.scale = fac * data_var;
    } else {
        prior.scale = (fac * data_var.diagonal()).asDiagonal();
    }
    return prior;
}

/// MAP means (K, d) and covariances (K of (d, d)).
struct MapParameters {
    RowMatrixXd means;
    std::vector<Eigen::MatrixXd> covariances;
};

namespace detail {

/// values / geometric mean (a det-1 diagonal), and the geometric mean.
inline double normalise_det(Eigen::Ref<Eigen::VectorXd> values) {
    const double gmean = std::exp(values.array().log().mean());
    values /= gmean;
    return gmean;
}

/// Eigenvalues, decreasing, and their eigenvectors, of a symmetric matrix.
inline void eig_desc(const Eigen::MatrixXd& m, Eigen::VectorXd& values,
                     Eigen::MatrixXd& vectors) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(m);
    values = solver.eigenvalues().reverse();
    vectors = solver.eigenvectors().rowwise().reverse();
}

/// The VEI/VEV MAP iteration on values (K, d):
///   lambda_k = sum_j v_kj / A_j / den_k,  A = normalise(sum_k v_k / lambda_k),
/// started from lambda_k = 1 and stopped as the reference does (largest relative
/// change of lambda and A < 1e-12, at most 1000 iterations).
inline void common_shape_iteration(const RowMatrixXd& values,
                                   const Eigen::VectorXd& den, Eigen::VectorXd& lambda,
                                   Eigen::VectorXd& shape) {
    constexpr double kTol = 1e-12;
    constexpr int kMaxIter = 1000;
    const Index k = values.rows();
    lambda = Eigen::VectorXd::Ones(k);
    shape.resize(0);
    for (int it = 0; it < kMaxIter; ++it) {
        Eigen::VectorXd new_shape = Eigen::VectorXd::Zero(values.cols());
        for (Index c = 0; c < k; ++c)
            new_shape += values.row(c).transpose() / lambda(c);
        normalise_det(new_shape);
        Eigen::VectorXd new_lambda(k);
        for (Index c = 0; c < k; ++c)
            new_lambda(c) =
                (values.row(c).transpose().array() / new_shape.array()).sum() / den(c);
        double change = 0;
        if (shape.size() != 0) {
            change = ((new_lambda - lambda).array().abs() / new_lambda.array().abs())
                         .maxCoeff();
            change = std::max(
                change, ((new_shape - shape).array().abs() / new_shape.array().abs())
                            .maxCoeff());
        }
        const bool done = shape.size() != 0 && change < kTol;
        lambda = new_lambda;
        shape = new_shape;
        if (done) break;
    }
}

}  // namespace detail

/// The models mclust supports with a prior (not EVE, VEE, VVE, EVV).
inline bool prior_supported(const std::string& model) {
    static const char* const kModels[] = {"EII", "VII", "EEI", "VEI", "EVI",
                                          "VVI", "EEE", "EEV", "VEV", "VVV"};
    for (const char* m : kModels)
        if (model == m) return true;
    return false;
}

/// log p(mu, Sigma) of the prior, up to a constant: the objective MAP EM
/// increases is log-likelihood + this. The density is the one whose maximiser
/// (with the likelihood) is map_m_step's formula for `model`, so that each
/// power of |Sigma_k| matches that formula's denominator:
///   mean term  -kappa/2 sum_k (mu_k - mu_P)^T Sigma_k^-1 (mu_k - mu_P)
///              (absent for EEV, whose shrinkage mclust zeroes);
///   scale term -1/2 sum over the distinct covariances of tr(L Sigma^-1), L the
///              scale (its scalar s = tr/d times I for the diagonal models;
///              s / sigma_k^2 for VII, none for EII);
///   volume     -c/2 log|Sigma| per distinct volume, c = nu+d+1+[k] (VVV),
///              nu+d+1+[k]G (EEE), nu+d+1 (EEV), (nu+2+[k]d)/d (VII),
///              (nu+2+[k]Gd)/d (EII), nu+2+[k] (VVI), nu+2+[k]G (EEI, EVI),
///              (nu+2+[k])/d (VEI), 0 (VEV).
/// For EII and EEI mclust's formulas are not the exact maximiser (EII's extra
/// n_k|xbar_k - mu_k|^2, EEI's unshrunk means: O(kappa / n_k) departures), so
/// there the increase is up to those.
inline double log_prior_density(const std::string& model, const ConjugatePrior& prior,
                                const RowMatrixXd& means,
                                const std::vector<Eigen::MatrixXd>& covariances) {
    if (!prior_supported(model))
        throw InvalidArgument("model " + model + " has no conjugate prior");
    const Index g = means.rows(), d = means.cols();
    prior.validate(d);
    const double kappa = model == "EEV" ? 0.0 : std::max(prior.shrinkage, 0.0);
    const double has = kappa > 0 ? 1.0 : 0.0;
    const double nu = prior.dof, dd = static_cast<double>(d),
                 gg = static_cast<double>(g);
    const bool diagonal = model == "EII" || model == "VII" || model == "EEI" ||
                          model == "VEI" || model == "EVI" || model == "VVI";
    const Eigen::MatrixXd scale = diagonal
                                      ? Eigen::MatrixXd(prior.scale.trace() / dd *
                                                        Eigen::MatrixXd::Identity(d, d))
                                      : prior.scale;
    // Models whose Sigma_k are one matrix count its scale and volume once,
    // those with one volume (EVI, EEV) count the volume once.
    const bool one_matrix = model == "EII" || model == "EEI" || model == "EEE";
    const bool one_volume = one_matrix || model == "EVI" || model == "EEV";
    double c = 0;
    if (model == "VVV") c = nu + dd + 1 + has;
    if (model == "EEE") c = nu + dd + 1 + has * gg;
    if (model == "EEV") c = nu + dd + 1;
    if (model == "VII") c = (nu + 2 + has * dd) / dd;
    if (model == "EII") c = (nu + 2 + has * gg * dd) / dd;
    if (model == "VVI") c = nu + 2 + has;
    if (model == "EEI" || model == "EVI") c = nu + 2 + has * gg;
    if (model == "VEI") c = (nu + 2 + has) / dd;
    double out = 0;
    for (Index k = 0; k < g; ++k) {
        const Eigen::LLT<Eigen::MatrixXd> llt(covariances[static_cast<std::size_t>(k)]);
        if (llt.info() != Eigen::Success)
            throw NumericalError(
                "log_prior_density: a covariance is not positive definite");
        const Eigen::MatrixXd lower = llt.matrixL();
        const double logdet = 2.0 * lower.diagonal().array().log().sum();
        const Eigen::VectorXd diff = means.row(k).transpose() - prior.mean;
        out -= 0.5 * kappa * diff.dot(llt.solve(diff));
        if (!one_volume || k == 0) out -= 0.5 * c * logdet;
        // VII's sigma_k^2 takes the scalar scale once, not once per feature
        const double per = model == "VII" ? 1.0 / dd : 1.0;
        if ((!one_matrix || k == 0) && model != "EII")
            out -= 0.5 * per * llt.solve(scale).trace();
    }
    return out;
}

/// MAP M-step of `model` from the statistics about the component means:
///   @param nk      (K)        n_k = sum_i r_ik (each > 0)
///   @param xbar    (K, d)     the weighted means
///   @param scatter (K, d*d)   W_k = sum_i r_ik (x_i - xbar_k)(x_i - xbar_k)^T,
///   row-major
/// Returns the MAP means and covariances; a singular result is left for the
/// caller's singular rule (non-finite or not positive definite entries).
inline MapParameters map_m_step(const std::string& model, const ConjugatePrior& prior,
                                const Eigen::VectorXd& nk, const RowMatrixXd& xbar,
                                const RowMatrixXd& scatter) {
    const Index g = xbar.rows();
    const Index d = xbar.cols();
    if (!prior_supported(model))
        throw InvalidArgument("model " + model +
                              " has no conjugate prior (mclust supports EII, VII, EEI, "
                              "VEI, EVI, VVI, EEE, EEV, VEV, VVV)");
    prior.validate(d);
    if (nk.size() != g || scatter.rows() != g || scatter.cols() != d * d)
        throw InvalidArgument("nk, xbar and scatter must have the same n_components");

    // mclust's mseevp zeroes the shrinkage for EEV.
    const double kappa = model == "EEV" ? 0.0 : std::max(prior.shrinkage, 0.0);
    const double has = kappa > 0 ? 1.0 : 0.0;
    const double nu = prior.dof;
    const double n = nk.sum();
    const double dd = static_cast<double>(d);
    const double gg = static_cast<double>(g);
    const double scalar_scale = prior.scale.trace() / dd;

    MapParameters out;
    out.means.resize(g, d);
    std::vector<Eigen::MatrixXd> w(g), s(g);  // W_k and W_k + B_k
    for (Index c = 0; c < g; ++c) {
        w[c] = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic,
                                              Eigen::RowMajor>>(scatter.row(c).data(),
                                                                d, d);
        const Eigen::VectorXd diff = xbar.row(c).transpose() - prior.mean;
        s[c] = w[c] + (kappa * nk(c) / (nk(c) + kappa)) * diff * diff.transpose();
        out.means.row(c) =
            ((nk(c) * xbar.row(c).transpose() + kappa * prior.mean) / (nk(c) + kappa))
                .transpose();
    }
    out.covariances.assign(g, Eigen::MatrixXd::Zero(d, d));
    auto set_all = [&](const Eigen::MatrixXd& cov) {
        for (auto& c : out.covariances) c = cov;
    };

    if (model == "VVV") {
        for (Index c = 0; c < g; ++c)
            out.covariances[c] = (prior.scale + s[c]) / (nu + nk(c) + dd + 1 + has);
    } else if (model == "EEE") {
        Eigen::MatrixXd total = prior.scale;
        for (Index c = 0; c < g; ++c) total += s[c];
        set_all(total / (nu + n + dd + 1 + has * gg));
    } else if (model == "EII") {
        // no scale term, and the scatter about the MAP mean (mclust's mseiip)
        double total = 0;
        for (Index c = 0; c < g; ++c)
            total +=
                s[c].trace() + nk(c) * (xbar.row(c) - out.means.row(c)).squaredNorm();
        const double var = total / (nu + n * dd + 2 + has * gg * dd);
        set_all(var * Eigen::MatrixXd::Identity(d, d));
    } else if (model == "VII") {
        for (Index c = 0; c < g; ++c)
            out.covariances[c] = (scalar_scale + s[c].trace()) /
                                 (nu + nk(c) * dd + 2 + has * dd) *
                                 Eigen::MatrixXd::Identity(d, d);
    } else if (model == "EEI") {
        out.means = xbar;  // mclust's mseeip leaves the means unshrunk
        Eigen::VectorXd diag = Eigen::VectorXd::Constant(d, scalar_scale);
        for (Index c = 0; c < g; ++c) diag += s[c].diagonal();
        const double gm = detail::normalise_det(diag);
        set_all((gm / (nu + n + 2 + has * gg) * diag).asDiagonal());
    } else if (model == "EVI" || model == "VVI") {
        std::vector<Eigen::VectorXd> shapes(g);
        Eigen::VectorXd gm(g);
        for (Index c = 0; c < g; ++c) {
            shapes[c] = Eigen::VectorXd::Constant(d, scalar_scale) + s[c].diagonal();
            gm(c) = detail::normalise_det(shapes[c]);
        }
        for (Index c = 0; c < g; ++c) {
            const double lambda = model == "EVI" ? gm.sum() / (nu + n + 2 + has * gg)
                                                 : gm(c) / (nu + nk(c) + 2 + has);
            out.covariances[c] = (lambda * shapes[c]).asDiagonal();
        }
    } else if (model == "VEI") {
        RowMatrixXd values(g, d);
        for (Index c = 0; c < g; ++c)
            values.row(c) =
                (s[c].diagonal().array() + scalar_scale).matrix().transpose();
        Eigen::VectorXd den = (nu + nk.array() * dd + 2 + has).matrix();
        Eigen::VectorXd lambda, shape;
        detail::common_shape_iteration(values, den, lambda, shape);
        for (Index c = 0; c < g; ++c)
            out.covariances[c] = (lambda(c) * shape).asDiagonal();
    } else if (model == "EEV") {
        // T_k = Lambda_P + W_k: the shrinkage is zero, so B_k = 0 and s = w
        std::vector<Eigen::MatrixXd> vectors(g);
        Eigen::VectorXd sum_omega = Eigen::VectorXd::Zero(d);
        for (Index c = 0; c < g; ++c) {
            Eigen::VectorXd omega;
            detail::eig_desc(prior.scale + w[c], omega, vectors[c]);
            sum_omega += omega;
        }
        const double gm = detail::normalise_det(sum_omega);
        const double lambda = gm / (nu + dd + 1 + n);
        for (Index c = 0; c < g; ++c)
            out.covariances[c] =
                lambda * vectors[c] * sum_omega.asDiagonal() * vectors[c].transpose();
    } else {  // VEV: no dof term in mclust's msvevp
        RowMatrixXd values(g, d);
        std::vector<Eigen::MatrixXd> vectors(g);
        for (Index c = 0; c < g; ++c) {
            Eigen::VectorXd omega;
            detail::eig_desc(prior.scale + s[c], omega, vectors[c]);
            values.row(c) = omega.transpose();
        }
        Eigen::VectorXd den = nk * dd;
        Eigen::VectorXd lambda, shape;
        detail::common_shape_iteration(values, den, lambda, shape);
        for (Index c = 0; c < g; ++c)
            out.covariances[c] =
                lambda(c) * vectors[c] * shape.asDiagonal() * vectors[c].transpose();
    }
    return out;
}

}  // namespace emclust
