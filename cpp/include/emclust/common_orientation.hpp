// The common orientation D of EVE and VVE (Sigma_k = lambda_k D A_k D^T):
// the M-step's one iterative part. With lambda_k and A_k solved for given D,
// what is left to minimise over orthogonal D is, with b_kj = (D^T W_k D)_jj,
//   VVE  phi(D) = sum_k n_k sum_j log b_kj      (Lambda_k = b_k / n_k)
//   EVE  phi(D) = sum_k |b_k|^(1/d) = n lambda  (A_k = b_k / |b_k|^(1/d))
// Browne and McNicholas's MM step lowers phi but converges linearly, hundreds
// of steps to 1e-12; so each iteration first tries a Newton step in the chart
// D cayley(S), S = sum_a theta_a E_a (E_a = e_p e_q^T - e_q e_p^T, p < q),
// cayley(S) = (I - S/2)^-1 (I + S/2), which agrees with exp(S) to second
// order. It is taken where the Hessian is positive definite, cut to
// kNewtonRadius radians, and kept only if phi does not rise; otherwise the MM
// step is taken. The loop stops after a Newton step below kNewtonDone (the
// next would be below rounding), after an MM step that moved D by less than
// kModelTolerance, or after kModelMaxIterations. Every step keeps phi from
// rising, so from the previous EM iteration's D (the warm start) EM's
// log-likelihood cannot fall. The NumPy reference (reference/
// covariance_models.py, _common_orientation) runs the same iteration.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <vector>

#include "types.hpp"

namespace emclust {

/// The stopping rule of every iterative M-step (covariance_model_m_step.hpp).
inline constexpr double kModelTolerance = 1e-12;
inline constexpr int kModelMaxIterations = 1000;
inline constexpr double kNewtonRadius = 0.2;
inline constexpr double kNewtonDone = 1e-9;

namespace model_detail {

/// The generator index of the pair {i, j} (i != j), in row order of p < q.
inline Index pair_index(Index i, Index j, Index d) {
    const Index p = std::min(i, j), q = std::max(i, j);
    return p * d - p * (p + 1) / 2 + (q - p - 1);
}

/// +1 if i < j else -1: E_{i,j} e_j = sign(i, j) e_i.
inline double pair_sign(Index i, Index j) { return i < j ? 1.0 : -1.0; }

/// An orthogonal D that diagonalises every Sigma_k sharing their eigenvectors
/// (EVE, VVE, plus any reg_covar I): the eigenvectors of sum_k c_k Sigma_k /
/// tr Sigma_k with distinct c_k = sqrt(k + 2), so that axes on which the
/// Sigma_k differ cannot tie by accident. The warm start of the next M-step.
inline Eigen::MatrixXd common_basis(const std::vector<Eigen::MatrixXd>& sigma) {
    const Index d = sigma[0].rows();
    Eigen::MatrixXd mix = Eigen::MatrixXd::Zero(d, d);
    for (std::size_t c = 0; c < sigma.size(); ++c)
        mix += std::sqrt(static_cast<double>(c) + 2.0) / sigma[c].trace() * sigma[c];
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(mix);
    return es.eigenvectors().rowwise().reverse();
}

/// The objective phi from b (d, k).
inline double orientation_objective(const Eigen::MatrixXd& b, const Eigen::VectorXd& nk,
                                    bool equal_volume) {
    double total = 0;
    for (Index c = 0; c < b.cols(); ++c) {
        const double logs = b.col(c).array().log().sum();
        total += equal_volume ? std::exp(logs / static_cast<double>(b.rows()))
                              : nk[c] * logs;
    }
    return total;
}

/// The Newton step theta (d(d-1)/2) for phi at D, from M_k = D^T W_k D; false
/// where the Hessian is not positive definite (no minimum nearby to step to).
/// With w_kj = dphi/db_kj: grad = sum_kj w_kj db_kj and
/// Hess = sum_kj w_kj d2b_kj - sum_kj (w_kj / b_kj) db_kj db_kj^T
///        (+ sum_k g_k u_k u_k^T for EVE, g_k = |b_k|^(1/d),
///         u_k = sum_j db_kj / (d b_kj)),
/// where d_a b_j = 2 e_j^T M E_a e_j and
/// d_a d_b b_j = 2 (E_a e_j)^T M (E_b e_j) + e_j^T M (E_a E_b + E_b E_a) e_j;
/// only generators touching j move b_j.
inline bool orientation_newton_step(const std::vector<Eigen::MatrixXd>& rotated,
                                    const Eigen::MatrixXd& b, const Eigen::VectorXd& nk,
                                    bool equal_volume, Eigen::VectorXd& theta) {
    const Index k = nk.size(), d = b.rows(), m = d * (d - 1) / 2;
    const double dd = static_cast<double>(d);
    Eigen::MatrixXd w(d, k);
    Eigen::VectorXd g(k);
    for (Index c = 0; c < k; ++c) {
        g[c] = std::exp(b.col(c).array().log().mean());
        for (Index j = 0; j < d; ++j)
            w(j, c) = equal_volume ? g[c] / (dd * b(j, c)) : nk[c] / b(j, c);
    }
    Eigen::VectorXd grad = Eigen::VectorXd::Zero(m);
    Eigen::MatrixXd hess = Eigen::MatrixXd::Zero(m, m);
    Eigen::VectorXd u(m);
    for (Index c = 0; c < k; ++c) {
        const Eigen::MatrixXd& mk = rotated[static_cast<std::size_t>(c)];
        u.setZero();
        for (Index j = 0; j < d; ++j) {
            const double curv = w(j, c) / b(j, c);
            for (Index i = 0; i < d; ++i) {
                if (i == j) continue;
                const Index a = pair_index(i, j, d);
                const double dbi = 2.0 * pair_sign(i, j) * mk(j, i);
                grad[a] += w(j, c) * dbi;
                u[a] += dbi / (dd * b(j, c));
                for (Index l = 0; l < d; ++l) {
                    if (l == j) continue;
                    const double dbl = 2.0 * pair_sign(l, j) * mk(j, l);
                    hess(a, pair_index(l, j, d)) -= curv * dbi * dbl;
                }
            }
        }
        if (equal_volume) hess.noalias() += g[c] * u * u.transpose();
    }
    for (Index j = 0; j < d; ++j) {
        Eigen::MatrixXd q = Eigen::MatrixXd::Zero(d, d);  // Q_j = sum_k w_kj M_k
        for (Index c = 0; c < k; ++c)
            q += w(j, c) * rotated[static_cast<std::size_t>(c)];
        for (Index i = 0; i < d; ++i) {
            if (i == j) continue;
            for (Index l = 0; l < d; ++l) {
                if (l == j) continue;
                hess(pair_index(i, j, d), pair_index(l, j, d)) +=
                    2.0 * pair_sign(i, j) * pair_sign(l, j) * q(i, l);
            }
        }
        // e_j^T Q_j E_a E_b e_j for b = {o, j} (E_b e_j = sign(o, j) e_o) and
        // a = {o, t}: -sign(o, j) sign(o, t) (Q_j)_tj; its transpose is the
        // E_b E_a half.
        for (Index o = 0; o < d; ++o) {
            if (o == j) continue;
            const Index bj = pair_index(o, j, d);
            for (Index t = 0; t < d; ++t) {
                if (t == o) continue;
                const double v = -pair_sign(o, j) * pair_sign(o, t) * q(t, j);
                const Index a = pair_index(t, o, d);
                hess(a, bj) += v;
                hess(bj, a) += v;
            }
        }
    }
    const Eigen::LLT<Eigen::MatrixXd> llt(hess);
    if (llt.info() != Eigen::Success) return false;
    theta = -llt.solve(grad);
    return theta.allFinite();
}

/// D cayley(S(theta)).
inline Eigen::MatrixXd cayley_rotate(const Eigen::MatrixXd& orient,
                                     const Eigen::VectorXd& theta) {
    const Index d = orient.rows();
    Eigen::MatrixXd s = Eigen::MatrixXd::Zero(d, d);
    for (Index p = 0; p < d; ++p) {
        for (Index q = p + 1; q < d; ++q) {
            s(p, q) = theta[pair_index(p, q, d)];
            s(q, p) = -s(p, q);
        }
    }
    const Eigen::MatrixXd eye = Eigen::MatrixXd::Identity(d, d);
    return orient *
           Eigen::PartialPivLU<Eigen::MatrixXd>(eye - 0.5 * s).solve(eye + 0.5 * s);
}

/// EVE and VVE: Sigma_k from W_k, n_k and the starting D (`start`, or the
/// eigenvectors of W = sum_k W_k, eigenvalues decreasing, when null). False
/// (sigma untouched) where some b_kj <= 0: a singular scatter.
inline bool common_orientation(const std::vector<Eigen::MatrixXd>& w,
                               const Eigen::VectorXd& nk, bool equal_volume,
                               const Eigen::MatrixXd* start,
                               std::vector<Eigen::MatrixXd>& sigma) {
    using Eigen::MatrixXd;
    using Eigen::VectorXd;
    const Index k = nk.size(), d = w[0].rows();
    MatrixXd total = MatrixXd::Zero(d, d);
    VectorXd top(k);
    for (Index c = 0; c < k; ++c) {
        total += w[static_cast<std::size_t>(c)];
        top[c] = Eigen::SelfAdjointEigenSolver<MatrixXd>(w[static_cast<std::size_t>(c)],
                                                         Eigen::EigenvaluesOnly)
                     .eigenvalues()
                     .maxCoeff();
    }
    MatrixXd orient;
    if (start != nullptr) {
        orient = *start;
    } else {
        Eigen::SelfAdjointEigenSolver<MatrixXd> es(total);
        orient = es.eigenvectors().rowwise().reverse();
    }
    std::vector<MatrixXd> rotated(static_cast<std::size_t>(k));
    MatrixXd b(d, k);
    // M_k = D^T W_k D and b = their diagonals; false if some b_kj <= 0.
    auto rotate = [&](const MatrixXd& dm, std::vector<MatrixXd>& mk, MatrixXd& bk) {
        for (Index c = 0; c < k; ++c) {
            auto& r = mk[static_cast<std::size_t>(c)];
            r = dm.transpose() * w[static_cast<std::size_t>(c)] * dm;
            bk.col(c) = r.diagonal();
        }
        return (bk.array() > 0).all();
    };
    if (!rotate(orient, rotated, b)) return false;
    double value = orientation_objective(b, nk, equal_volume);
    std::vector<MatrixXd> trial_rotated(static_cast<std::size_t>(k));
    MatrixXd trial_b(d, k);
    VectorXd theta;
    for (int it = 0; it < kModelMaxIterations; ++it) {
        if (d > 1 && orientation_newton_step(rotated, b, nk, equal_volume, theta)) {
            theta *= std::min(1.0, kNewtonRadius / theta.cwiseAbs().maxCoeff());
            const MatrixXd trial = cayley_rotate(orient, theta);
            const bool small = theta.cwiseAbs().maxCoeff() < kNewtonDone;
            if (rotate(trial, trial_rotated, trial_b)) {
                const double trial_value =
                    orientation_objective(trial_b, nk, equal_volume);
                if (small || trial_value <= value) {
                    orient = trial;
                    std::swap(rotated, trial_rotated);
                    b = trial_b;
                    value = trial_value;
                    if (small) break;
                    continue;
                }
            }
        }
        // The MM step: with B_k = (lambda_k A_k)^-1 and a_k the largest
        // eigenvalue of W_k, M = sum_k (a_k I - W_k) D B_k = U S V^T gives
        // D = U V^T (the tangent majorises the concave tr((W_k - a_k I) D B_k D^T)).
        MatrixXd mm = MatrixXd::Zero(d, d);
        for (Index c = 0; c < k; ++c) {
            const VectorXd col = b.col(c);
            const VectorXd scale =
                equal_volume ? VectorXd(col / std::exp(col.array().log().mean()))
                             : VectorXd(col / nk[c]);
            const MatrixXd shifted =
                top[c] * MatrixXd::Identity(d, d) - w[static_cast<std::size_t>(c)];
            mm += shifted * orient * scale.cwiseInverse().asDiagonal();
        }
        Eigen::JacobiSVD<MatrixXd> svd(mm, Eigen::ComputeFullU | Eigen::ComputeFullV);
        const MatrixXd next = svd.matrixU() * svd.matrixV().transpose();
        const double change = (next - orient).cwiseAbs().maxCoeff();
        orient = next;
        if (!rotate(orient, rotated, b)) return false;
        value = orientation_objective(b, nk, equal_volume);
        if (change < kModelTolerance) break;
    }
    double lambda = 0;
    if (equal_volume) {
        for (Index c = 0; c < k; ++c) lambda += std::exp(b.col(c).array().log().mean());
        lambda /= nk.sum();
    }
    sigma.resize(static_cast<std::size_t>(k));
    for (Index c = 0; c < k; ++c) {
        const VectorXd col = b.col(c);
        const VectorXd diag =
            equal_volume ? VectorXd(lambda * col / std::exp(col.array().log().mean()))
                         : VectorXd(col / nk[c]);
        sigma[static_cast<std::size_t>(c)] =
            orient * diag.asDiagonal() * orient.transpose();
    }
    return true;
}

}  // namespace model_detail
}  // namespace emclust
