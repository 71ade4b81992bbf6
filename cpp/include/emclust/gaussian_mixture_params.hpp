// Parameters of a Gaussian mixture and the precision-Cholesky parametrisation.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cmath>
#include <string>

#include "covariance_type.hpp"
#include "errors.hpp"
#include "types.hpp"

namespace emclust {

/// A fitted or given Gaussian mixture. Matrices of full and tied covariances
/// are stored flat, one row-major (d, d) matrix per row (see
/// covariance_storage_shape), which is the memory layout of scikit-learn's
/// (K, d, d) arrays.
struct GaussianMixtureParams {
    CovarianceType covariance_type = CovarianceType::full;
    Eigen::VectorXd weights;          ///< (K) mixing proportions, summing to 1
    RowMatrixXd means;                ///< (K, d)
    RowMatrixXd covariances;          ///< see covariance_storage_shape
    RowMatrixXd precisions_cholesky;  ///< same layout; P = C C^T for matrix types

    Index n_components() const { return means.rows(); }
    Index n_features() const { return means.cols(); }
};

/// Whether every stored number is finite (run_em stops a fit otherwise).
inline bool all_finite(const GaussianMixtureParams& p) {
    return p.weights.allFinite() && p.means.allFinite() && p.covariances.allFinite() &&
           p.precisions_cholesky.allFinite();
}

/// Row `r` of flat (.., d*d) storage as a (d, d) row-major matrix.
template <class Derived>
auto as_square(Eigen::MatrixBase<Derived>& flat, Index r, Index d) {
    return Eigen::Map<RowMatrix<typename Derived::Scalar>>(flat.row(r).data(), d, d);
}
template <class Derived>
auto as_square(const Eigen::MatrixBase<Derived>& flat, Index r, Index d) {
    return Eigen::Map<const RowMatrix<typename Derived::Scalar>>(flat.row(r).data(), d,
                                                                 d);
}

namespace detail {

[[noreturn]] inline void throw_ill_defined(Index component, CovarianceType type) {
    std::string where =
        type == CovarianceType::tied
            ? std::string("the tied covariance")
            : "the covariance of component " + std::to_string(component);
    throw NumericalError(
        "Fitting the mixture failed: " + where +
        " is not positive definite (singleton or collapsed samples, or duplicated "
        "features). Increase reg_covar, decrease n_components, or scale the data.");
}

}  // namespace detail

/// Precision Cholesky factors from covariances, as scikit-learn computes them:
/// for matrix types C = L^{-T} with Sigma = L L^T (so C is upper triangular and
/// Sigma^{-1} = C C^T); for diag and spherical C = 1/sqrt(variance).
/// Throws NumericalError when a covariance is not positive definite.
inline RowMatrixXd precision_cholesky_from_covariances(const RowMatrixXd& covariances,
                                                       CovarianceType type,
                                                       Index n_features) {
    RowMatrixXd chol(covariances.rows(), covariances.cols());
    if (is_matrix_type(type)) {
        const Index d = n_features;
        for (Index k = 0; k < covariances.rows(); ++k) {
            Eigen::MatrixXd cov = as_square(covariances, k, d);
            Eigen::LLT<Eigen::MatrixXd> llt(cov);
            const Eigen::MatrixXd l = llt.matrixL();
            if (llt.info() != Eigen::Success || !(l.diagonal().array() > 0).all() ||
                !l.allFinite()) {
                detail::throw_ill_defined(k, type);
            }
            Eigen::MatrixXd inv = Eigen::MatrixXd::Identity(d, d);
            l.triangularView<Eigen::Lower>().solveInPlace(inv);
            as_square(chol, k, d) = inv.transpose();
        }
    } else {
        for (Index k = 0; k < covariances.rows(); ++k) {
            for (Index j = 0; j < covariances.cols(); ++j) {
                const double v = covariances(k, j);
                if (!(v > 0) || !std::isfinite(v)) detail::throw_ill_defined(k, type);
                chol(k, j) = 1.0 / std::sqrt(v);
            }
        }
    }
    return chol;
}

/// Precision Cholesky factors from precision matrices (user-given
/// precisions_init): the lower Cholesky factor L of P = L L^T, or sqrt(P) for
/// diag and spherical, as scikit-learn does.
inline RowMatrixXd precision_cholesky_from_precisions(const RowMatrixXd& precisions,
                                                      CovarianceType type,
                                                      Index n_features) {
    RowMatrixXd chol(precisions.rows(), precisions.cols());
    if (is_matrix_type(type)) {
        const Index d = n_features;
        for (Index k = 0; k < precisions.rows(); ++k) {
            Eigen::MatrixXd p = as_square(precisions, k, d);
            Eigen::LLT<Eigen::MatrixXd> llt(p);
            if (llt.info() != Eigen::Success) {
                throw InvalidArgument(
                    "precisions_init must be symmetric positive definite");
            }
            as_square(chol, k, d) = llt.matrixL().toDenseMatrix();
        }
    } else {
        if (!(precisions.array() > 0).all()) {
            throw InvalidArgument("precisions_init must be positive");
        }
        chol = precisions.array().sqrt();
    }
    return chol;
}

/// Covariances from precision Cholesky factors: Sigma = (C C^T)^{-1}.
inline RowMatrixXd covariances_from_precision_cholesky(const RowMatrixXd& chol,
                                                       CovarianceType type,
                                                       Index n_features) {
    RowMatrixXd cov(chol.rows(), chol.cols());
    if (is_matrix_type(type)) {
        const Index d = n_features;
        for (Index k = 0; k < chol.rows(); ++k) {
            const Eigen::MatrixXd c = as_square(chol, k, d);
            const Eigen::MatrixXd p = c * c.transpose();
            as_square(cov, k, d) = p.llt().solve(Eigen::MatrixXd::Identity(d, d));
        }
    } else {
        cov = chol.array().square().inverse();
    }
    return cov;
}

/// log |det C_k| for every component: the log normaliser of the density.
inline Eigen::VectorXd log_det_precision_cholesky(const RowMatrixXd& chol,
                                                  CovarianceType type,
                                                  Index n_components,
                                                  Index n_features) {
    Eigen::VectorXd out(n_components);
    const Index d = n_features;
    for (Index k = 0; k < n_components; ++k) {
        switch (type) {
            case CovarianceType::full:
                out[k] = as_square(chol, k, d).diagonal().array().abs().log().sum();
                break;
            case CovarianceType::tied:
                out[k] = as_square(chol, 0, d).diagonal().array().abs().log().sum();
                break;
            case CovarianceType::diag:
                out[k] = chol.row(k).array().log().sum();
                break;
            case CovarianceType::spherical:
                out[k] = static_cast<double>(d) * std::log(chol(k, 0));
                break;
        }
    }
    return out;
}

/// Checks that the arrays of `params` have consistent shapes.
inline void check_params_shape(const GaussianMixtureParams& params) {
    const Index k = params.means.rows();
    const Index d = params.means.cols();
    if (k < 1 || d < 1)
        throw InvalidArgument("means must have shape (n_components, n_features)");
    if (params.weights.size() != k) {
        throw InvalidArgument("weights must have shape (n_components,) = (" +
                              std::to_string(k) + ",)");
    }
    auto [rows, cols] = covariance_storage_shape(params.covariance_type, k, d);
    if (params.precisions_cholesky.rows() != rows ||
        params.precisions_cholesky.cols() != cols) {
        throw InvalidArgument(
            std::string("precisions_cholesky has the wrong shape for ") +
            to_string(params.covariance_type) + " covariances");
    }
}

}  // namespace emclust
