// Exact EM for a Gaussian mixture on data with missing (NaN) entries, after
// Ghahramani and Jordan (1994). For a row with observed coordinates o and
// missing coordinates m, under component k (mean mu, covariance Sigma):
//   E-step: the density of the row is that of what was observed,
//           N(x_o | mu_o, Sigma_oo); with Sigma_oo = L L^T and the whitened
//           differences y = L^{-1} (x_o - mu_o), log N = -|y|^2/2 - log|L| - o/2 log
//           2pi;
//   completion: x^_m = E[x_m | x_o, k] = mu_m + G y with the gain G = Sigma_mo L^{-T},
//           and Cov[x_m | x_o, k] = Sigma_mm - G G^T;
//   M-step: the statistics of the completed rows, with the conditional
//           covariance, weighted by the responsibility, added to the scatter.
// These are GaussianStatistics of exactly the complete-data shape (taken about
// the means), so m_step_from_statistics, the Dask driver's sums and every
// covariance type's M-step apply unchanged: diag keeps the diagonal of the
// expected scatter, spherical its mean, tied the pooled matrix.
//
// L^{-1}, G and the conditional covariance depend on the pattern and the
// component only, so rows are visited pattern by pattern (MissingPatterns'
// order) and these factors are computed once per pass for every (pattern,
// component) pair, not per row. A data set without NaN never comes here: the entry
// points hand it to the complete-data kernels unchanged.
#pragma once

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "chunking.hpp"
#include "covariance_type.hpp"
#include "em.hpp"
#include "errors.hpp"
#include "gaussian_e_step.hpp"
#include "gaussian_m_step.hpp"
#include "gaussian_mixture.hpp"
#include "gaussian_mixture_params.hpp"
#include "gaussian_statistics.hpp"
#include "interrupt.hpp"
#include "missing_patterns.hpp"
#include "parallel.hpp"
#include "scratch_pool.hpp"
#include "types.hpp"

namespace emclust {

namespace missing_detail {

/// Rows per tile of one pattern's run (the run is cut into such tiles).
inline Index missing_block_rows(Index n_features) {
    return n_features >= 48 ? 128 : 256;
}

/// Most memory the conditional factors of all (pattern, component) pairs may
/// take to be computed once per pass rather than once per pattern per chunk.
inline constexpr std::size_t kFactorTableBytes = std::size_t{256} << 20U;

/// Below this many observed features the whitening and the scatter are
/// written as vector loops over rows, from it on as Eigen products.
inline constexpr Index kProductMinFeatures = 12;

/// Every component's covariance as a dense (d, d) matrix, from the precision
/// Cholesky factors (the parametrisation the E-step trusts).
inline std::vector<Eigen::MatrixXd> dense_covariances(const GaussianMixtureParams& p) {
    const Index k = p.n_components(), d = p.n_features();
    const RowMatrixXd cov = covariances_from_precision_cholesky(p.precisions_cholesky,
                                                                p.covariance_type, d);
    std::vector<Eigen::MatrixXd> out;
    out.reserve(static_cast<std::size_t>(k));
    for (Index c = 0; c < k; ++c) {
        switch (p.covariance_type) {
            case CovarianceType::full:
                out.emplace_back(as_square(cov, c, d));
                break;
            case CovarianceType::tied:
                out.emplace_back(as_square(cov, 0, d));
                break;
            case CovarianceType::diag:
                out.emplace_back(cov.row(c).transpose().asDiagonal());
                break;
            case CovarianceType::spherical:
                out.emplace_back(cov(c, 0) * Eigen::MatrixXd::Identity(d, d));
                break;
        }
    }
    return out;
}

/// What a (pattern, component) pair needs, in the data's type for the tile
/// arithmetic (the conditional covariance is added to double sums).
template <class T>
struct ConditionalFactors {
    RowMatrix<T> white;                          ///< (o, o) L^{-1}, lower triangular
    RowMatrix<T> gain;                           ///< (m, o) G = Sigma_mo L^{-T}
    Eigen::MatrixXd cond_cov;                    ///< (m, m) Sigma_mm - G G^T
    Eigen::Matrix<T, Eigen::Dynamic, 1> mean_o;  ///< (o)
    Eigen::VectorXd mean_m;                      ///< (m)
    T log_norm = 0;                              ///< log pi_k - log|L| - o/2 log(2 pi)
};

template <class T>
void conditional_factors(const Eigen::MatrixXd& sigma, const RowMatrixXd& means,
                         Index k, double log_weight, const std::vector<Index>& obs,
                         const std::vector<Index>& mis, ConditionalFactors<T>& f) {
    const auto o = static_cast<Index>(obs.size());
    const auto m = static_cast<Index>(mis.size());
    Eigen::MatrixXd s_oo(o, o), s_mo(m, o), s_mm(m, m);
    for (Index a = 0; a < o; ++a)
        for (Index b = 0; b < o; ++b) s_oo(a, b) = sigma(obs[a], obs[b]);
    for (Index a = 0; a < m; ++a) {
        for (Index b = 0; b < o; ++b) s_mo(a, b) = sigma(mis[a], obs[b]);
        for (Index b = 0; b < m; ++b) s_mm(a, b) = sigma(mis[a], mis[b]);
    }
    const Eigen::LLT<Eigen::MatrixXd> llt(s_oo);
    const Eigen::MatrixXd lower = llt.matrixL();
    if (llt.info() != Eigen::Success || !(lower.diagonal().array() > 0).all()) {
        throw NumericalError("the covariance of component " + std::to_string(k) +
                             " is not positive definite on a set of observed "
                             "features; increase reg_covar");
    }
    Eigen::MatrixXd inv = Eigen::MatrixXd::Identity(o, o);
    lower.triangularView<Eigen::Lower>().solveInPlace(inv);
    const Eigen::MatrixXd gain = s_mo * inv.transpose();
    f.white = inv.cast<T>();
    f.gain = gain.cast<T>();
    f.cond_cov = s_mm - gain * gain.transpose();
    f.cond_cov = 0.5 * (f.cond_cov + f.cond_cov.transpose()).eval();
    f.mean_o.resize(o);
    f.mean_m.resize(m);
    for (Index a = 0; a < o; ++a) f.mean_o[a] = static_cast<T>(means(k, obs[a]));
    for (Index a = 0; a < m; ++a) f.mean_m[a] = means(k, mis[a]);
    const double log_2pi = std::log(2.0 * 3.14159265358979323846);
    f.log_norm = static_cast<T>(log_weight - lower.diagonal().array().log().sum() -
                                0.5 * static_cast<double>(o) * log_2pi);
}

/// The exponent below which a responsibility relative to its row's largest is
/// clamped (its value cannot change a sum, and subnormals are slow).
template <class T>
constexpr T clamp_log_ratio() {
    return std::is_same_v<T, float> ? T(-50) : T(-500);
}

template <class T>
using RowArray = Eigen::Array<T, 1, Eigen::Dynamic>;

/// One worker's arrays for tiles of up to B rows.
template <class T>
struct MissingScratch {
    RowMatrix<T> xo;                  ///< (d, B) observed features, top o rows
    std::vector<RowMatrix<T>> z;      ///< K of (d, B): x_o - mu_o over G y
    std::vector<RowMatrix<T>> white;  ///< K of (d, B): y, top o rows
    RowMatrix<T> logp;                ///< (K, B)
    RowMatrix<T> scaled;              ///< (d, B) z scaled by the weights
    RowMatrix<T> outer;               ///< (d, d)
    RowArray<T> mx, sum, wr, acc, weights;
    std::vector<Index> rows;                     ///< the tile's rows in X
    std::vector<Index> perm;                     ///< observed then missing features
    std::vector<ConditionalFactors<T>> factors;  ///< K, when computed per chunk
    const ConditionalFactors<T>* fac = nullptr;  ///< K, of the current pattern
    MissingScratch(Index d, Index k, Index b)
        : xo(d, b),
          z(static_cast<std::size_t>(k), RowMatrix<T>(d, b)),
          white(static_cast<std::size_t>(k), RowMatrix<T>(d, b)),
          logp(k, b),
          scaled(d, b),
          outer(d, d),
          mx(b),
          sum(b),
          wr(b),
          acc(b),
          weights(b),
          rows(static_cast<std::size_t>(b)),
          factors(static_cast<std::size_t>(k)) {}
};

/// What one pass writes. Row outputs are indexed by the rows of X.
template <class T>
struct PassOutputs {
    bool statistics = false;
    T* resp = nullptr;      ///< (n, K) row-major, or null
    bool log_resp = false;  ///< write log responsibilities into resp
    T* log_prob = nullptr;  ///< (n), or null
    T* imputed = nullptr;   ///< (n, d) row-major X with NaN filled, or null
};

/// y = L^{-1} (x_o - mu_o) and |y|^2 for the tile's rows.
template <class T>
void whiten(const ConditionalFactors<T>& f, Index o, Index n, MissingScratch<T>& s,
            RowMatrix<T>& z, RowMatrix<T>& y) {
    for (Index j = 0; j < o; ++j)
        z.row(j).head(n).array() = s.xo.row(j).head(n).array() - f.mean_o[j];
    auto sq = s.acc.head(n);
    sq.setZero();
    if (o >= kProductMinFeatures) {
        y.topLeftCorner(o, n).noalias() =
            f.white.template triangularView<Eigen::Lower>() * z.topLeftCorner(o, n);
        for (Index j = 0; j < o; ++j) sq += y.row(j).head(n).array().square();
        return;
    }
    for (Index j = 0; j < o; ++j) {
        auto yj = y.row(j).head(n).array();
        yj = f.white(j, 0) * z.row(0).head(n).array();
        for (Index i = 1; i <= j; ++i) yj += f.white(j, i) * z.row(i).head(n).array();
        sq += yj.square();
    }
}

/// Bottom m rows of z: G y, the conditional mean of x_m minus mu_m.
template <class T>
void complete(const ConditionalFactors<T>& f, Index o, Index m, Index n,
              RowMatrix<T>& z, const RowMatrix<T>& y) {
    if (m == 0) return;
    if (o >= kProductMinFeatures) {
        z.block(o, 0, m, n).noalias() = f.gain * y.topLeftCorner(o, n);
        return;
    }
    for (Index a = 0; a < m; ++a) {
        auto za = z.row(o + a).head(n).array();
        za = f.gain(a, 0) * y.row(0).head(n).array();
        for (Index i = 1; i < o; ++i) za += f.gain(a, i) * y.row(i).head(n).array();
    }
}

/// Responsibilities in s.logp (in place) and log p(x_o) in s.mx, as a
/// log-sum-exp over components; log responsibilities go to `log_resp_out`
/// (rows of X) when given.
template <class T>
void normalize(Index k, Index n, MissingScratch<T>& s, T* log_resp_out) {
    auto mx = s.mx.head(n);
    auto sum = s.sum.head(n);
    mx = s.logp.row(0).head(n).array();
    for (Index c = 1; c < k; ++c) mx = mx.max(s.logp.row(c).head(n).array());
    std::vector<Index> impossible;  // every component gives the row density 0
    for (Index b = 0; b < n; ++b) {
        if (!std::isfinite(mx[b])) {
            mx[b] = T(0);
            impossible.push_back(b);
        }
    }
    if (log_resp_out != nullptr) {
        sum.setZero();
        for (Index c = 0; c < k; ++c) sum += (s.logp.row(c).head(n).array() - mx).exp();
        const RowArray<T> lse = mx + sum.log();
        for (Index b = 0; b < n; ++b) {
            T* out = log_resp_out + s.rows[static_cast<std::size_t>(b)] * k;
            for (Index c = 0; c < k; ++c) out[c] = s.logp(c, b) - lse[b];
        }
    }
    sum.setZero();
    for (Index c = 0; c < k; ++c) {
        auto row = s.logp.row(c).head(n).array();
        row = (row - mx).max(clamp_log_ratio<T>());
        exp_nonpositive_in_place(row.data(), n);
        sum += row;
    }
    const RowArray<T> inv = sum.inverse();
    for (Index c = 0; c < k; ++c) s.logp.row(c).head(n).array() *= inv;
    mx += sum.log();
    for (const Index b : impossible) {
        s.logp.col(b).setZero();
        mx[b] = -std::numeric_limits<T>::infinity();
    }
}

/// Adds the tile's completed rows of component c to the statistics (about
/// the means): N_c, the first moments, the scatter and, for each row, its
/// conditional covariance (the same for the whole tile: one pattern).
template <class T>
void accumulate(Index c, Index o, Index m, Index n, bool matrix, MissingScratch<T>& s,
                GaussianStatistics& st) {
    const Index d = o + m;
    const RowMatrix<T>& z = s.z[static_cast<std::size_t>(c)];
    const ConditionalFactors<T>& f = s.fac[c];
    auto wr = s.wr.head(n);
    wr = s.logp.row(c).head(n).array() * s.weights.head(n);
    const double total = static_cast<double>(wr.sum());
    st.resp_sum[c] += total;
    const auto& perm = s.perm;
    for (Index a = 0; a < d; ++a) {
        s.scaled.row(a).head(n).array() = z.row(a).head(n).array() * wr;
        st.first(c, perm[static_cast<std::size_t>(a)]) +=
            static_cast<double>(s.scaled.row(a).head(n).sum());
    }
    if (!matrix) {
        for (Index a = 0; a < d; ++a) {
            st.second(c, perm[static_cast<std::size_t>(a)]) += static_cast<double>(
                (s.scaled.row(a).head(n).array() * z.row(a).head(n).array()).sum());
        }
        for (Index a = 0; a < m; ++a)
            st.second(c, perm[static_cast<std::size_t>(o + a)]) +=
                total * f.cond_cov(a, a);
        return;
    }
    if (d >= kProductMinFeatures) {
        s.outer.noalias() = s.scaled.leftCols(n) * z.leftCols(n).transpose();
    } else {
        for (Index a = 0; a < d; ++a) {
            for (Index b = 0; b <= a; ++b) {
                s.outer(a, b) =
                    (s.scaled.row(a).head(n).array() * z.row(b).head(n).array()).sum();
                s.outer(b, a) = s.outer(a, b);
            }
        }
    }
    auto sec = as_square(st.second, c, d);
    for (Index a = 0; a < d; ++a) {
        const Index pa = perm[static_cast<std::size_t>(a)];
        for (Index b = 0; b < d; ++b)
            sec(pa, perm[static_cast<std::size_t>(b)]) +=
                static_cast<double>(s.outer(a, b));
    }
    for (Index a = 0; a < m; ++a) {
        const Index pa = perm[static_cast<std::size_t>(o + a)];
        for (Index b = 0; b < m; ++b)
            sec(pa, perm[static_cast<std::size_t>(o + b)]) += total * f.cond_cov(a, b);
    }
}

/// One pass over X in pattern order: the E-step on each row's observed
/// coordinates, and what `out` asks for. Chunks are fixed runs of `order`
/// and their statistics are added in chunk order: the same bits for any
/// number of threads.
template <class T>
GaussianStatistics missing_pass(const ConstRowMatrixRef<T>& X,
                                const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                                const GaussianMixtureParams& params,
                                const MissingPatterns& patterns,
                                const PassOutputs<T>& out, ThreadPool& pool,
                                const InterruptCheck& interrupt) {
    check_params_shape(params);
    const Index n = X.rows(), d = X.cols(), k = params.n_components();
    if (d != params.n_features()) {
        throw InvalidArgument("X has " + std::to_string(d) + " features, the mixture " +
                              std::to_string(params.n_features()));
    }
    const bool weighted = sample_weight.size() > 0;
    if (weighted && sample_weight.size() != n)
        throw InvalidArgument("sample_weight must have shape (n_samples,)");
    const CovarianceType type = params.covariance_type;
    const bool matrix = is_matrix_type(type);
    const std::vector<Eigen::MatrixXd> sigma = dense_covariances(params);
    const Eigen::VectorXd log_weights = params.weights.array().log();

    GaussianStatistics proto(type, params.means);
    const std::size_t slot_bytes =
        sizeof(double) * static_cast<std::size_t>(k * (1 + d + proto.second.cols()));
    const Index block = missing_block_rows(d);
    const ChunkPlan plan = plan_chunks(n, block, out.statistics ? slot_bytes : 0);
    std::vector<GaussianStatistics> slots(
        out.statistics ? static_cast<std::size_t>(plan.n_chunks) : 0, proto);
    // The factors of every (pattern, component) pair, computed once per pass
    // in parallel over patterns, when they fit within kFactorTableBytes; past
    // that (tens of thousands of patterns of wide data) each chunk computes
    // those of the patterns it meets. Either way the same function of the
    // same inputs: the same bits.
    const auto n_patterns = static_cast<std::size_t>(patterns.n_patterns());
    std::vector<ConditionalFactors<T>> table;
    if (n_patterns * static_cast<std::size_t>(k * d * d) *
            (sizeof(T) + sizeof(double)) <=
        kFactorTableBytes) {
        table.resize(n_patterns * static_cast<std::size_t>(k));
        pool.run(
            static_cast<Index>(n_patterns),
            [&](Index p) {
                const auto pp = static_cast<std::size_t>(p);
                for (Index c = 0; c < k; ++c) {
                    conditional_factors<T>(sigma[static_cast<std::size_t>(c)],
                                           params.means, c, log_weights[c],
                                           patterns.observed[pp], patterns.missing[pp],
                                           table[pp * static_cast<std::size_t>(k) +
                                                 static_cast<std::size_t>(c)]);
                }
            },
            interrupt);
    }
    ScratchPool<MissingScratch<T>> scratch(
        [&] { return std::make_unique<MissingScratch<T>>(d, k, block); });

    pool.run(
        plan.n_chunks,
        [&](Index chunk) {
            const auto lease = scratch.borrow();
            MissingScratch<T>& s = *lease;
            GaussianStatistics* st =
                out.statistics ? &slots[static_cast<std::size_t>(chunk)] : nullptr;
            const Index chunk_end = plan.chunk_begin(chunk) + plan.chunk_size(chunk);
            Index pos = plan.chunk_begin(chunk);
            auto p = static_cast<std::size_t>(
                std::upper_bound(patterns.begin.begin(), patterns.begin.end(), pos) -
                patterns.begin.begin() - 1);
            while (pos < chunk_end) {
                const Index run_end = std::min(chunk_end, patterns.begin[p + 1]);
                const std::vector<Index>& obs = patterns.observed[p];
                const std::vector<Index>& mis = patterns.missing[p];
                const auto o = static_cast<Index>(obs.size());
                const auto m = static_cast<Index>(mis.size());
                s.perm = obs;
                s.perm.insert(s.perm.end(), mis.begin(), mis.end());
                if (!table.empty()) {
                    s.fac = &table[p * static_cast<std::size_t>(k)];
                } else {
                    for (Index c = 0; c < k; ++c) {
                        conditional_factors<T>(sigma[static_cast<std::size_t>(c)],
                                               params.means, c, log_weights[c], obs,
                                               mis,
                                               s.factors[static_cast<std::size_t>(c)]);
                    }
                    s.fac = s.factors.data();
                }
                for (Index t0 = pos; t0 < run_end; t0 += block) {
                    const Index rows = std::min(block, run_end - t0);
                    for (Index b = 0; b < rows; ++b) {
                        const Index r =
                            patterns.order[static_cast<std::size_t>(t0 + b)];
                        s.rows[static_cast<std::size_t>(b)] = r;
                        for (Index j = 0; j < o; ++j)
                            s.xo(j, b) = X(r, obs[static_cast<std::size_t>(j)]);
                        s.weights[b] =
                            weighted ? static_cast<T>(sample_weight[r]) : T(1);
                    }
                    for (Index c = 0; c < k; ++c) {
                        const auto& f = s.fac[c];
                        auto& z = s.z[static_cast<std::size_t>(c)];
                        auto& y = s.white[static_cast<std::size_t>(c)];
                        whiten(f, o, rows, s, z, y);
                        s.logp.row(c).head(rows).array() =
                            f.log_norm - T(0.5) * s.acc.head(rows);
                        if (st != nullptr || out.imputed != nullptr)
                            complete(f, o, m, rows, z, y);
                    }
                    normalize(k, rows, s, out.log_resp ? out.resp : nullptr);
                    if (out.resp != nullptr && !out.log_resp) {
                        for (Index b = 0; b < rows; ++b) {
                            T* dst = out.resp + s.rows[static_cast<std::size_t>(b)] * k;
                            for (Index c = 0; c < k; ++c) dst[c] = s.logp(c, b);
                        }
                    }
                    if (out.log_prob != nullptr) {
                        for (Index b = 0; b < rows; ++b)
                            out.log_prob[s.rows[static_cast<std::size_t>(b)]] = s.mx[b];
                    }
                    if (out.imputed != nullptr) {
                        for (Index b = 0; b < rows; ++b) {
                            const Index r = s.rows[static_cast<std::size_t>(b)];
                            T* dst = out.imputed + r * d;
                            for (Index j = 0; j < d; ++j) dst[j] = X(r, j);
                            for (Index a = 0; a < m; ++a) {
                                double v = 0.0;
                                for (Index c = 0; c < k; ++c) {
                                    const auto& f = s.fac[c];
                                    v += static_cast<double>(s.logp(c, b)) *
                                         (f.mean_m[a] +
                                          static_cast<double>(
                                              s.z[static_cast<std::size_t>(c)](o + a,
                                                                               b)));
                                }
                                dst[mis[static_cast<std::size_t>(a)]] =
                                    static_cast<T>(v);
                            }
                        }
                    }
                    if (st != nullptr) {
                        for (Index b = 0; b < rows; ++b) {
                            const double w =
                                weighted
                                    ? sample_weight[s.rows[static_cast<std::size_t>(b)]]
                                    : 1.0;
                            st->log_likelihood += w * static_cast<double>(s.mx[b]);
                            st->weight_sum += w;
                        }
                        for (Index c = 0; c < k; ++c)
                            accumulate(c, o, m, rows, matrix, s, *st);
                    }
                }
                pos = run_end;
                ++p;
            }
        },
        interrupt);

    GaussianStatistics total = proto;
    for (const auto& slot : slots) total += slot;
    return total;
}

}  // namespace missing_detail

/// The E-step fused with the statistics on data that may hold NaN: the same
/// GaussianStatistics as e_step_statistics (about params.means), with each
/// row's missing coordinates completed by their conditional means and their
/// conditional covariance added to the scatter; log_likelihood is the
/// observed-data one. Without NaN this is e_step_statistics itself.
/// @param require_every_feature see find_missing_patterns (false for a chunk)
template <class T>
GaussianStatistics missing_e_step_statistics(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const GaussianMixtureParams& params, ThreadPool& pool,
    const InterruptCheck& interrupt = {}, bool require_every_feature = false) {
    if (!contains_nan<T>(X))
        return e_step_statistics<T>(X, sample_weight, params, pool, interrupt);
    const MissingPatterns patterns = find_missing_patterns<T>(X, require_every_feature);
    missing_detail::PassOutputs<T> out;
    out.statistics = true;
    return missing_detail::missing_pass<T>(X, sample_weight, params, patterns, out,
                                           pool, interrupt);
}

/// The E-step on data that may hold NaN: responsibilities given each row's
/// observed coordinates (resp, (n, K), logs when `log_resp`), log p(x_o)
/// (log_prob, (n)) and X with each NaN replaced by its conditional mean under
/// the mixture, sum_k gamma_k E[x_m | x_o, k] (imputed, (n, d)); a null
/// pointer skips that output. Without NaN the first two come from
/// gaussian_e_step and imputed is a copy of X.
template <class T>
void missing_e_step(const ConstRowMatrixRef<T>& X, const GaussianMixtureParams& params,
                    T* resp, T* log_prob, bool log_resp, T* imputed, ThreadPool& pool,
                    const InterruptCheck& interrupt = {}) {
    if (!contains_nan<T>(X)) {
        if (X.cols() != params.n_features()) {
            throw InvalidArgument("X has " + std::to_string(X.cols()) +
                                  " features, the mixture " +
                                  std::to_string(params.n_features()));
        }
        if (resp != nullptr || log_prob != nullptr)
            gaussian_e_step<T>(X, params, resp, log_prob, log_resp, pool, interrupt);
        if (imputed != nullptr)
            Eigen::Map<RowMatrix<T>>(imputed, X.rows(), X.cols()) = X;
        return;
    }
    const MissingPatterns patterns = find_missing_patterns<T>(X, false);
    missing_detail::PassOutputs<T> out;
    out.resp = resp;
    out.log_resp = log_resp;
    out.log_prob = log_prob;
    out.imputed = imputed;
    missing_detail::missing_pass<T>(X, Eigen::VectorXd(), params, patterns, out, pool,
                                    interrupt);
}

/// X with every NaN replaced by the mean of its column's observed entries
/// (weighted by sample_weight): the data the initialisation starts from.
template <class T>
RowMatrix<T> mean_imputed(const ConstRowMatrixRef<T>& X,
                          const Eigen::Ref<const Eigen::VectorXd>& sample_weight) {
    const Index n = X.rows(), d = X.cols();
    Eigen::VectorXd sum = Eigen::VectorXd::Zero(d), count = Eigen::VectorXd::Zero(d);
    for (Index i = 0; i < n; ++i) {
        const double w = sample_weight.size() > 0 ? sample_weight[i] : 1.0;
        for (Index j = 0; j < d; ++j) {
            if (!std::isnan(X(i, j))) {
                sum[j] += w * static_cast<double>(X(i, j));
                count[j] += w;
            }
        }
    }
    RowMatrix<T> out = X;
    for (Index i = 0; i < n; ++i) {
        for (Index j = 0; j < d; ++j) {
            if (std::isnan(out(i, j)))
                out(i, j) = static_cast<T>(count[j] > 0 ? sum[j] / count[j] : 0.0);
        }
    }
    return out;
}

/// Fits a Gaussian mixture by EM to X, whose NaN entries are missing at
/// random. Without NaN this is fit_gaussian_mixture, bit for bit. With NaN,
/// each restart is initialised as fit_gaussian_mixture would on X with every
/// NaN replaced by its column's mean, and then runs exact EM; the lower bound
/// is the mean observed-data log-likelihood.
template <class T>
GaussianMixtureFit fit_gaussian_mixture_missing(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const GaussianMixtureOptions& options, const InterruptCheck& interrupt = {}) {
    if (!contains_nan<T>(X))
        return fit_gaussian_mixture<T>(X, sample_weight, options, interrupt);
    detail::check_options(options, X.rows(), X.cols());
    if (sample_weight.size() > 0 && sample_weight.size() != X.rows())
        throw InvalidArgument("sample_weight must have shape (n_samples,)");
    const MissingPatterns patterns = find_missing_patterns<T>(X, true);
    ThreadPool pool(options.n_threads);
    const RowMatrix<T> filled = mean_imputed<T>(X, sample_weight);
    EmOptions em{options.max_iter, options.n_init, options.tol};
    em.relative_tol = options.relative_tol;
    em.relative_offset = relative_tol_offset(sample_weight, X.rows());
    auto init = [&](int restart) {
        Rng rng = Rng::stream(options.seed, static_cast<std::uint64_t>(restart));
        return detail::initial_params<T>(filled, sample_weight, options, rng, pool,
                                         interrupt);
    };
    missing_detail::PassOutputs<T> out;
    out.statistics = true;
    auto step = [&](const GaussianMixtureParams& p) {
        const GaussianStatistics st = missing_detail::missing_pass<T>(
            X, sample_weight, p, patterns, out, pool, interrupt);
        // With a prior: MAP EM on the expected statistics, and the observed
        // log-likelihood + log prior as the objective.
        const ConjugatePrior* prior = options.prior ? &*options.prior : nullptr;
        GaussianMixtureParams next =
            m_step_from_statistics(st, options.reg_covar, component_eps<T>(),
                                   WeightNormalization::by_total_responsibility, true,
                                   options.covariance_model, prior, &p);
        double objective = st.log_likelihood;
        if (prior != nullptr)
            objective += log_prior_of(p, *prior, options.covariance_model);
        return std::pair<GaussianMixtureParams, double>{std::move(next),
                                                        objective / st.weight_sum};
    };
    const GaussianMixtureParams* warm =
        options.warm_start ? &*options.warm_start : nullptr;
    auto [params, trace] =
        run_em<GaussianMixtureParams>(em, init, step, options.on_iteration, interrupt,
                                      warm, options.warm_start_lower_bound);
    return {std::move(params), std::move(trace)};
}

}  // namespace emclust
