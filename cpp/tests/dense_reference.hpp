// Brute-force dense computations that the tests compare the core against:
// textbook formulas on whole (n, K) and (d, d) matrices in double precision,
// with no tiling, shifting, threading or Cholesky tricks.
#pragma once

#include <Eigen/Dense>
#include <cmath>
#include <emclust/gaussian_mixture_params.hpp>
#include <emclust/random.hpp>
#include <vector>

#include "check.hpp"

namespace dense {

using emclust::CovarianceType;
using emclust::Index;
using emclust::RowMatrixXd;
using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;

/// Covariance of component k as a dense (d, d) matrix.
inline Mat covariance(const RowMatrixXd& cov, CovarianceType type, Index k, Index d) {
    switch (type) {
        case CovarianceType::full:
            return emclust::as_square(cov, k, d);
        case CovarianceType::tied:
            return emclust::as_square(cov, 0, d);
        case CovarianceType::diag:
            return cov.row(k).transpose().asDiagonal();
        case CovarianceType::spherical:
            return cov(k, 0) * Mat::Identity(d, d);
    }
    return {};
}

/// Covariances (storage layout of `type`) from dense (d, d) matrices.
inline RowMatrixXd storage(const std::vector<Mat>& covs, CovarianceType type) {
    const Index k = static_cast<Index>(covs.size()), d = covs[0].rows();
    auto [rows, cols] = emclust::covariance_storage_shape(type, k, d);
    RowMatrixXd out(rows, cols);
    for (Index c = 0; c < rows; ++c) {
        const Mat& m = covs[static_cast<std::size_t>(c)];
        switch (type) {
            case CovarianceType::full:
            case CovarianceType::tied:
                emclust::as_square(out, c, d) = m;
                break;
            case CovarianceType::diag:
                out.row(c) = m.diagonal().transpose();
                break;
            case CovarianceType::spherical:
                out(c, 0) = m.diagonal().mean();
                break;
        }
    }
    return out;
}

/// log(pi_k N(x_i | mu_k, Sigma_k)) for every row and component: (n, K),
/// with the inverse and determinant from a full-pivoting LU.
inline Mat weighted_log_prob(const Mat& X, const emclust::GaussianMixtureParams& p) {
    const Index n = X.rows(), d = X.cols(), k = p.n_components();
    Mat out(n, k);
    for (Index c = 0; c < k; ++c) {
        const Mat sigma = covariance(p.covariances, p.covariance_type, c, d);
        const Eigen::FullPivLU<Mat> lu(sigma);
        const Mat inv = lu.inverse();
        const double log_det = std::log(lu.determinant());
        for (Index i = 0; i < n; ++i) {
            const Vec r = X.row(i).transpose() - p.means.row(c).transpose();
            const double maha = r.dot(inv * r);
            out(i, c) =
                std::log(p.weights[c]) -
                0.5 * (static_cast<double>(d) * std::log(2 * M_PI) + log_det + maha);
        }
    }
    return out;
}

/// log sum_k exp(a_ik) of every row: (n).
inline Vec logsumexp_rows(const Mat& a) {
    Vec out(a.rows());
    for (Index i = 0; i < a.rows(); ++i) {
        const double m = a.row(i).maxCoeff();
        out[i] = m + std::log((a.row(i).array() - m).exp().sum());
    }
    return out;
}

struct EStep {
    Mat resp;      ///< (n, K)
    Mat log_resp;  ///< (n, K)
    Vec log_prob;  ///< (n) log p(x_i)
};

inline EStep e_step(const Mat& X, const emclust::GaussianMixtureParams& p) {
    const Mat wlp = weighted_log_prob(X, p);
    EStep out;
    out.log_prob = logsumexp_rows(wlp);
    out.log_resp = wlp.colwise() - out.log_prob;
    out.resp = out.log_resp.array().exp();
    return out;
}

/// Weighted M-step from responsibilities, as scikit-learn writes it:
/// n_k = sum_i w_i r_ik + eps, mu_k = sum_i w_i r_ik x_i / n_k,
/// Sigma_k = sum_i w_i r_ik (x_i - mu_k)(x_i - mu_k)^T / n_k + reg I
/// (tied: the scatters summed over k, over sum_k n_k; diag: the diagonal;
/// spherical: the diagonal's mean). `w` empty means unit weights.
inline emclust::GaussianMixtureParams m_step(const Mat& X, const Mat& resp,
                                             const Vec& w, CovarianceType type,
                                             double reg, double eps) {
    const Index n = X.rows(), d = X.cols(), k = resp.cols();
    const Vec weight = w.size() > 0 ? w : Vec::Ones(n);
    const Mat wr = resp.array().colwise() * weight.array();
    const Vec nk = wr.colwise().sum().transpose().array() + eps;
    emclust::GaussianMixtureParams p;
    p.covariance_type = type;
    p.weights = nk / nk.sum();
    p.means = (wr.transpose() * X).array().colwise() / nk.array();
    std::vector<Mat> covs;
    covs.reserve(static_cast<std::size_t>(k));
    Mat tied = Mat::Zero(d, d);
    for (Index c = 0; c < k; ++c) {
        Mat scatter = Mat::Zero(d, d);
        for (Index i = 0; i < n; ++i) {
            const Vec r = X.row(i).transpose() - p.means.row(c).transpose();
            scatter += wr(i, c) * r * r.transpose();
        }
        tied += scatter;
        covs.push_back(scatter / nk[c] + reg * Mat::Identity(d, d));
    }
    if (type == CovarianceType::tied) {
        covs.assign(1, tied / nk.sum() + reg * Mat::Identity(d, d));
    }
    if (type == CovarianceType::diag || type == CovarianceType::spherical) {
        for (Mat& m : covs) m = Mat(m.diagonal().asDiagonal());
    }
    p.covariances = storage(covs, type);
    p.precisions_cholesky =
        emclust::precision_cholesky_from_covariances(p.covariances, type, d);
    return p;
}

/// Plain EM: `iterations` times (E-step, M-step) from `p`; returns the final
/// parameters and the mean log-likelihood before every M-step.
inline std::pair<emclust::GaussianMixtureParams, std::vector<double>> em(
    const Mat& X, const Vec& w, emclust::GaussianMixtureParams p, int iterations,
    double reg, double eps) {
    const Vec weight = w.size() > 0 ? w : Vec::Ones(X.rows());
    std::vector<double> bounds;
    for (int it = 0; it < iterations; ++it) {
        const EStep e = e_step(X, p);
        bounds.push_back(weight.dot(e.log_prob) / weight.sum());
        p = m_step(X, e.resp, w, p.covariance_type, reg, eps);
    }
    return {p, bounds};
}

/// (rows, cols) of independent standard normal draws (Box-Muller on Rng).
inline Mat normal(Index rows, Index cols, emclust::Rng& rng) {
    Mat out(rows, cols);
    for (Index i = 0; i < rows; ++i) {
        for (Index j = 0; j < cols; ++j) {
            const double u = 1.0 - rng.uniform();  // (0, 1]
            out(i, j) =
                std::sqrt(-2.0 * std::log(u)) * std::cos(2 * M_PI * rng.uniform());
        }
    }
    return out;
}

/// A random symmetric positive definite (d, d) matrix, well conditioned.
inline Mat random_spd(Index d, emclust::Rng& rng) {
    const Mat a = normal(d, d, rng);
    return a * a.transpose() / static_cast<double>(d) + 0.5 * Mat::Identity(d, d);
}

/// n rows from k well-separated clusters in d dimensions (cluster c around
/// c * spread on every axis, with unit-scale anisotropic noise).
inline RowMatrixXd blobs(Index n, Index d, Index k, double spread, std::uint64_t seed) {
    emclust::Rng rng(seed);
    RowMatrixXd X = normal(n, d, rng);
    for (Index i = 0; i < n; ++i) {
        const double c = static_cast<double>(i % k);
        for (Index j = 0; j < d; ++j) X(i, j) = X(i, j) * (1.0 + 0.3 * j) + c * spread;
    }
    return X;
}

/// Random mixture parameters of the given type around the data's range.
inline emclust::GaussianMixtureParams random_params(Index k, Index d,
                                                    CovarianceType type, double spread,
                                                    std::uint64_t seed) {
    emclust::Rng rng(seed);
    emclust::GaussianMixtureParams p;
    p.covariance_type = type;
    p.weights = Vec::Constant(k, 1.0) + 0.5 * normal(k, 1, rng).cwiseAbs();
    p.weights /= p.weights.sum();
    p.means = normal(k, d, rng);
    for (Index c = 0; c < k; ++c)
        p.means.row(c).array() += static_cast<double>(c) * spread;
    std::vector<Mat> covs;
    covs.reserve(static_cast<std::size_t>(k));
    for (Index c = 0; c < k; ++c) covs.push_back(random_spd(d, rng));
    if (type == CovarianceType::tied) covs.resize(1);
    if (type == CovarianceType::diag || type == CovarianceType::spherical) {
        for (Mat& m : covs) m = Mat(m.diagonal().asDiagonal());
    }
    p.covariances = storage(covs, type);
    p.precisions_cholesky =
        emclust::precision_cholesky_from_covariances(p.covariances, type, d);
    return p;
}

inline const CovarianceType kAllTypes[] = {CovarianceType::full, CovarianceType::tied,
                                           CovarianceType::diag,
                                           CovarianceType::spherical};

}  // namespace dense
