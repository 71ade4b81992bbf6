// The constrained M-step of mclust's 14 covariance models: from the scatter
// matrices W_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T and the n_k to the
// maximum-likelihood Sigma_k = lambda_k D_k A_k D_k^T under the model.
//
// Closed forms (Celeux and Govaert 1995), n = sum_k n_k, W = sum_k W_k:
//   EII  lambda I, lambda = tr W / (n d)        VII  tr W_k / (n_k d) I
//   EEI  diag(W) / n                           VVI  diag(W_k) / n_k
//   EVI  lambda B_k, B_k = diag W_k / |diag W_k|^(1/d), lambda = sum_k |diag W_k|^(1/d)
//   / n EEE  W / n                                 VVV  W_k / n_k EEV  W_k = L_k O_k
//   L_k^T (eigenvalues decreasing), Sigma_k = lambda L_k A L_k^T,
//        A = S / |S|^(1/d), lambda = |S|^(1/d) / n, S = sum_k O_k
//   EVV  lambda W_k / |W_k|^(1/d), lambda = sum_k |W_k|^(1/d) / n
// Iterative (the starts are part of the contract: the NumPy reference uses
// the same ones, so both land on the same fixed point):
//   VEI, VEV  omega_k = diag W_k (VEI) or the decreasing eigenvalues of W_k
//        (VEV, D_k its eigenvectors). Start A = I. Repeat:
//        lambda_k = sum_j omega_kj / A_j / (d n_k);
//        A = S / |S|^(1/d), S = sum_k omega_k / lambda_k.
//   VEE  Start C = I. Repeat: lambda_k = tr(W_k C^-1) / (d n_k);
//        C = S / |S|^(1/d), S = sum_k W_k / lambda_k.
//   EVE, VVE  the common orientation D (common_orientation.hpp): start from
//        the previous EM iteration's D where the caller passes it, else from
//        the eigenvectors of W (eigenvalues decreasing); safeguarded Newton
//        steps with Browne and McNicholas's MM step (2014) as the fallback.
//        Lambda_k or A_k and lambda are then the closed forms given D.
// Each iteration of VEI, VEV and VEE ends with change = max over the solved
// arrays (lambda, A or C) of max|new - old| / max|new|; the loop stops when change <
// 1e-12 or after 1000 iterations.
#pragma once

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <Eigen/SVD>
#include <cmath>
#include <string>
#include <vector>

#include "common_orientation.hpp"
#include "covariance_models.hpp"
#include "errors.hpp"
#include "types.hpp"

namespace emclust {

namespace model_detail {

using Eigen::MatrixXd;
using Eigen::VectorXd;

[[noreturn]] inline void throw_singular(CovarianceModel model, Index k) {
    throw NumericalError(
        std::string("Fitting the mixture failed: the scatter of ") +
        (k < 0 ? std::string("the components") : "component " + std::to_string(k)) +
        " is singular under covariance model " + to_string(model) +
        " (singleton or collapsed samples, or duplicated features).");
}

/// |S|^(1/d) of a positive vector of eigenvalues or diagonal, by logs.
inline double root_det(const VectorXd& v) { return std::exp(v.array().log().mean()); }

inline double root_det(const MatrixXd& m, CovarianceModel model, Index k) {
    Eigen::LLT<MatrixXd> llt(m);
    if (llt.info() != Eigen::Success) throw_singular(model, k);
    const VectorXd diag = MatrixXd(llt.matrixL()).diagonal();
    if (!(diag.array() > 0).all()) throw_singular(model, k);
    return std::exp(2.0 * diag.array().log().mean());
}

inline double rel_change(const MatrixXd& now, const MatrixXd& before) {
    const double scale = now.cwiseAbs().maxCoeff();
    const double diff = (now - before).cwiseAbs().maxCoeff();
    return scale > 0 ? diff / scale : diff;
}

/// Eigenvalues decreasing, with their eigenvectors in the same order.
inline void eigen_decreasing(const MatrixXd& w, VectorXd& values, MatrixXd& vectors) {
    Eigen::SelfAdjointEigenSolver<MatrixXd> es(w);
    values = es.eigenvalues().reverse();
    vectors = es.eigenvectors().rowwise().reverse();
}

/// VEI and VEV: lambda_k and the common shape from per-component values.
inline void variable_volume_equal_shape(const std::vector<VectorXd>& omega,
                                        const VectorXd& nk, CovarianceModel model,
                                        VectorXd& lambda, VectorXd& shape) {
    const Index k = nk.size(), d = omega[0].size();
    shape = VectorXd::Ones(d);
    lambda = VectorXd::Zero(k);
    for (int it = 0; it < kModelMaxIterations; ++it) {
        const VectorXd lambda_old = lambda, shape_old = shape;
        for (Index c = 0; c < k; ++c)
            lambda[c] = (omega[c].array() / shape.array()).sum() / (d * nk[c]);
        if (!(lambda.array() > 0).all()) throw_singular(model, -1);
        VectorXd s = VectorXd::Zero(d);
        for (Index c = 0; c < k; ++c) s += omega[c] / lambda[c];
        if (!(s.array() > 0).all()) throw_singular(model, -1);
        shape = s / root_det(s);
        if (std::max(rel_change(lambda, lambda_old), rel_change(shape, shape_old)) <
            kModelTolerance)
            break;
    }
}

}  // namespace model_detail

/// The covariances Sigma_k of `model` from the scatter matrices W_k about the
/// means and the component sizes n_k (> 0). Diagonal models read only the
/// diagonal of W_k. (With a conjugate prior m_step_from_statistics calls
/// map_m_step of conjugate_prior.hpp instead: the means change too.) Throws
/// NumericalError when the scatter is too degenerate for the model (a zero
/// determinant or volume). `start`: EVE and VVE's starting orientation (the
/// previous EM iteration's, common_basis of its Sigma_k), null for the
/// eigenvectors of sum_k W_k.
inline std::vector<Eigen::MatrixXd> constrained_covariances(
    CovarianceModel model, const std::vector<Eigen::MatrixXd>& w,
    const Eigen::VectorXd& nk, const Eigen::MatrixXd* start = nullptr) {
    using namespace model_detail;
    const Index k = nk.size(), d = w[0].rows();
    const double n = nk.sum(), dd = static_cast<double>(d);
    std::vector<MatrixXd> sigma(static_cast<std::size_t>(k), MatrixXd::Zero(d, d));
    auto at = [&](Index c) -> MatrixXd& { return sigma[static_cast<std::size_t>(c)]; };
    auto wk = [&](Index c) -> const MatrixXd& {
        return w[static_cast<std::size_t>(c)];
    };
    MatrixXd total = MatrixXd::Zero(d, d);
    for (Index c = 0; c < k; ++c) total += wk(c);
    switch (model) {
        case CovarianceModel::EII: {
            const double v = total.trace() / (n * dd);
            for (Index c = 0; c < k; ++c) at(c).diagonal().setConstant(v);
            break;
        }
        case CovarianceModel::VII:
            for (Index c = 0; c < k; ++c)
                at(c).diagonal().setConstant(wk(c).trace() / (nk[c] * dd));
            break;
        case CovarianceModel::EEI:
            for (Index c = 0; c < k; ++c) at(c).diagonal() = total.diagonal() / n;
            break;
        case CovarianceModel::VVI:
            for (Index c = 0; c < k; ++c) at(c).diagonal() = wk(c).diagonal() / nk[c];
            break;
        case CovarianceModel::EVI: {
            double lambda = 0;
            std::vector<VectorXd> shape(static_cast<std::size_t>(k));
            for (Index c = 0; c < k; ++c) {
                const VectorXd v = wk(c).diagonal();
                if (!(v.array() > 0).all()) throw_singular(model, c);
                const double r = root_det(v);
                lambda += r;
                shape[static_cast<std::size_t>(c)] = v / r;
            }
            lambda /= n;
            for (Index c = 0; c < k; ++c)
                at(c).diagonal() = lambda * shape[static_cast<std::size_t>(c)];
            break;
        }
        case CovarianceModel::VEI:
        case CovarianceModel::VEV: {
            std::vector<VectorXd> omega(static_cast<std::size_t>(k));
            std::vector<MatrixXd> vectors(static_cast<std::size_t>(k));
            for (Index c = 0; c < k; ++c) {
                auto& o = omega[static_cast<std::size_t>(c)];
                if (model == CovarianceModel::VEI) {
                    o = wk(c).diagonal();
                } else {
                    eigen_decreasing(wk(c), o, vectors[static_cast<std::size_t>(c)]);
                }
            }
            VectorXd lambda, shape;
            variable_volume_equal_shape(omega, nk, model, lambda, shape);
            for (Index c = 0; c < k; ++c) {
                if (model == CovarianceModel::VEI) {
                    at(c).diagonal() = lambda[c] * shape;
                } else {
                    const MatrixXd& v = vectors[static_cast<std::size_t>(c)];
                    at(c) = lambda[c] * v * shape.asDiagonal() * v.transpose();
                }
            }
            break;
        }
        case CovarianceModel::EEE:
            for (Index c = 0; c < k; ++c) at(c) = total / n;
            break;
        case CovarianceModel::VVV:
            for (Index c = 0; c < k; ++c) at(c) = wk(c) / nk[c];
            break;
        case CovarianceModel::EEV: {
            VectorXd s = VectorXd::Zero(d);
            std::vector<MatrixXd> vectors(static_cast<std::size_t>(k));
            for (Index c = 0; c < k; ++c) {
                VectorXd o;
                eigen_decreasing(wk(c), o, vectors[static_cast<std::size_t>(c)]);
                s += o;
            }
            if (!(s.array() > 0).all()) throw_singular(model, -1);
            const double r = root_det(s);
            const VectorXd shape = s / r;
            const double lambda = r / n;
            for (Index c = 0; c < k; ++c) {
                const MatrixXd& v = vectors[static_cast<std::size_t>(c)];
                at(c) = lambda * v * shape.asDiagonal() * v.transpose();
            }
            break;
        }
        case CovarianceModel::EVV: {
            double lambda = 0;
            std::vector<double> roots(static_cast<std::size_t>(k));
            for (Index c = 0; c < k; ++c) {
                roots[static_cast<std::size_t>(c)] = root_det(wk(c), model, c);
                lambda += roots[static_cast<std::size_t>(c)];
            }
            lambda /= n;
            for (Index c = 0; c < k; ++c)
                at(c) = lambda * wk(c) / roots[static_cast<std::size_t>(c)];
            break;
        }
        case CovarianceModel::VEE: {
            MatrixXd shape = MatrixXd::Identity(d, d);
            VectorXd lambda = VectorXd::Zero(k);
            for (int it = 0; it < kModelMaxIterations; ++it) {
                const VectorXd lambda_old = lambda;
                const MatrixXd shape_old = shape;
                const Eigen::LLT<MatrixXd> llt(shape);
                for (Index c = 0; c < k; ++c)
                    lambda[c] = llt.solve(wk(c)).trace() / (dd * nk[c]);
                if (!(lambda.array() > 0).all()) throw_singular(model, -1);
                MatrixXd s = MatrixXd::Zero(d, d);
                for (Index c = 0; c < k; ++c) s += wk(c) / lambda[c];
                shape = s / root_det(s, model, -1);
                if (std::max(rel_change(lambda, lambda_old),
                             rel_change(shape, shape_old)) < kModelTolerance)
                    break;
            }
            for (Index c = 0; c < k; ++c) at(c) = lambda[c] * shape;
            break;
        }
        case CovarianceModel::EVE:
        case CovarianceModel::VVE:
            if (!common_orientation(w, nk, model == CovarianceModel::EVE, start, sigma))
                throw_singular(model, -1);
            break;
    }
    for (Index c = 0; c < k; ++c) at(c) = 0.5 * (at(c) + at(c).transpose()).eval();
    return sigma;
}

}  // namespace emclust
