// Component log-densities and responsibilities for a tile of rows.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "block.hpp"
#include "covariance_type.hpp"
#include "dispatch.hpp"
#include "gaussian_mixture_params.hpp"
#include "simd.hpp"
#include "types.hpp"

namespace emclust {

using products::kGemmMinFeatures;
using products::kSyrkMinFeatures;

/// From this many features full and tied mixtures whiten a tile under all
/// components at once (products::stacked_norms): a few products with rows
/// for many components, where one triangular product per component left
/// Eigen's kernels short rows (bench/limit.py, d = 64).
inline constexpr Index kStackedMinFeatures = 32;

/// Rows per tile: 256 keep the tiles of up to ~32 features in L1/L2; wider
/// data uses 128 rows, where Eigen's products on the tile run fastest.
constexpr Index gaussian_block_rows(Index n_features) {
    return n_features >= 48 ? 128 : 256;
}

/// The E-step keeps every component's x - mu_k for the statistics (which are
/// taken about the same means) while the K tiles stay within this many bytes,
/// half the L2 cache of current x86 cores; beyond, each is recomputed.
inline constexpr std::size_t kKeptDiffsBytes = std::size_t{512} << 10U;

/// Whether K tiles of (d, rows) values of T fit within kKeptDiffsBytes.
template <class T>
constexpr bool keep_diffs(Index n_components, Index n_features, Index rows) {
    return static_cast<std::size_t>(n_components * n_features * rows) * sizeof(T) <=
           kKeptDiffsBytes;
}

/// The parameters of a mixture in the form the tile kernels use, in the data's
/// scalar type T: factors hold C_k^T so that the whitened tile is C_k^T (x - mu).
template <class T>
struct GaussianKernel {
    using Array = Eigen::Array<T, 1, Eigen::Dynamic>;

    CovarianceType type = CovarianceType::full;
    Index n_components = 0;
    Index n_features = 0;
    RowMatrix<T> means;                 ///< (K, d)
    std::vector<RowMatrix<T>> factors;  ///< full: K of (d, d) C_k^T; tied: one
    bool lower_factors = false;         ///< every C_k^T is lower triangular
    RowMatrix<T> precisions;            ///< diag (K, d), spherical (K, 1): C^2
    Eigen::Matrix<T, Eigen::Dynamic, 1>
        log_norm;  ///< (K) log pi_k + log|C_k| - d/2 log(2 pi)

    explicit GaussianKernel(const GaussianMixtureParams& p)
        : type(p.covariance_type),
          n_components(p.n_components()),
          n_features(p.n_features()) {
        check_params_shape(p);
        const Index k = n_components, d = n_features;
        means = p.means.template cast<T>();
        const Eigen::VectorXd log_det =
            log_det_precision_cholesky(p.precisions_cholesky, type, k, d);
        const double log_2pi = std::log(2.0 * 3.14159265358979323846);
        log_norm = (p.weights.array().log() + log_det.array() - 0.5 * d * log_2pi)
                       .matrix()
                       .template cast<T>();
        if (is_matrix_type(type)) {
            lower_factors = true;
            for (Index c = 0; c < p.precisions_cholesky.rows(); ++c) {
                RowMatrix<T> ft = as_square(p.precisions_cholesky, c, d)
                                      .transpose()
                                      .template cast<T>();
                lower_factors = lower_factors && ft.isLowerTriangular(0);
                factors.push_back(std::move(ft));
            }
            if (d >= kStackedMinFeatures) stack_factors(p);
        } else {
            precisions = p.precisions_cholesky.array().square().template cast<T>();
        }
    }

  private:
    void stack_factors(const GaussianMixtureParams& p) {
        const Index k = n_components, d = n_features, nf = n_factors();
        // The offsets in double: x - c is exact in T for data near c, and
        // C^T (mu - c) carries no rounding of T beyond its own.
        Eigen::VectorXd c = p.means.transpose() * (p.weights / p.weights.sum());
        if (!c.allFinite()) c = p.means.colwise().mean().transpose();
        RowMatrixXd offsets(k, d);
        for (Index j = 0; j < k; ++j) {
            const Index f = nf == 1 ? 0 : j;
            offsets.row(j) = (as_square(p.precisions_cholesky, f, d).transpose() *
                              (p.means.row(j).transpose() - c))
                                 .transpose();
        }
        stacked_offsets = offsets.template cast<T>();
        centre = c.template cast<T>();
        const Index blocks = products::stacked_blocks(d);
        stacked.resize(static_cast<std::size_t>(
            products::stacked_offset(blocks, 0, nf, d, lower_factors)));
        T* at = stacked.data();
        for (Index b = 0; b < blocks; ++b) {
            const Index r0 = b * products::kStackedBlock;
            const Index q = products::stacked_height(b, d);
            const Index cols = products::stacked_columns(b, d, lower_factors);
            for (Index f = 0; f < nf; ++f) {
                const RowMatrix<T>& ft = factors[static_cast<std::size_t>(f)];
                for (Index r = 0; r < q; ++r)
                    for (Index i = 0; i < cols; ++i) *at++ = ft(r0 + r, i);
            }
        }
    }

  public:
    /// From kStackedMinFeatures on (matrix types): the factors in
    /// products::stacked_offset's layout, one copy for tied, the offsets
    /// (K, d) C_k^T (mu_k - c) and the centre c = sum_k pi_k mu_k, about
    /// which the tiles are whitened; else empty.
    std::vector<T> stacked;
    RowMatrix<T> stacked_offsets;
    Eigen::Matrix<T, Eigen::Dynamic, 1> centre;

    bool stacks() const { return !stacked.empty(); }
    Index n_factors() const { return static_cast<Index>(factors.size()); }

    const RowMatrix<T>& factor(Index k) const {
        return factors[type == CovarianceType::tied ? 0 : static_cast<std::size_t>(k)];
    }
};

/// Scratch space of one tile, reused block after block.
template <class T>
struct TileScratch {
    Tile<T> x;        ///< (d, B) the rows
    Tile<T> diff;     ///< (d, B) rows minus a mean
    Tile<T> white;    ///< (d, B) whitened differences (matrix types, GEMM path)
    Tile<T> logp;     ///< (K, B) log pi_k N(x | k), then responsibilities
    Tile<T> stacked;  ///< products of stacked factors, allocated on first use
    Eigen::Array<T, 1, Eigen::Dynamic> acc;  ///< (B)
    Eigen::Array<T, 1, Eigen::Dynamic> lse;  ///< (B) log p(x)
    /// K of (d, B): x - mu_k for every component, when the E-step keeps them
    /// for statistics taken about the same means (keep_diffs); else empty.
    std::vector<Tile<T>> diffs;

    TileScratch(Index d, Index k, Index rows)
        : x(d, rows),
          diff(d, rows),
          white(d, rows),
          logp(k, rows),
          acc(rows),
          lse(rows) {}
};

/// diff(:, 0:n) = x(:, 0:n) - mean, for each feature row.
template <class T, class MeanRow>
void subtract_mean(const Tile<T>& x, const MeanRow& mean, Index n, Tile<T>& diff) {
    for (Index j = 0; j < x.rows(); ++j) {
        diff.row(j).head(n).array() = x.row(j).head(n).array() - mean(j);
    }
}

/// diff(:, 0:n) = x - mu_k and out(0:n) = the squared Mahalanobis norms of
/// its columns under component k.
template <class T>
void squared_norms(const GaussianKernel<T>& m, Index k, const Tile<T>& x, Tile<T>& diff,
                   Tile<T>& white, Index n, Eigen::Array<T, 1, Eigen::Dynamic>& out) {
    const Index d = m.n_features;
    if (is_matrix_type(m.type) && d >= kGemmMinFeatures) {
        const RowMatrix<T>& f = m.factor(k);
        dispatch::table<T>().norms(f.data(), d, m.lower_factors, x.data(),
                                   m.means.row(k).data(), x.cols(), n, diff.data(),
                                   white.data(), out.data());
        return;
    }
    subtract_mean(x, m.means.row(k), n, diff);
    auto sq = out.head(n);
    sq.setZero();
    switch (m.type) {
        case CovarianceType::full:
        case CovarianceType::tied: {
            // Few features: vector loops over rows.
            const RowMatrix<T>& f = m.factor(k);
            auto y = white.row(0).head(n).array();
            for (Index j = 0; j < d; ++j) {
                const Index last = m.lower_factors ? j : d - 1;
                y = f(j, 0) * diff.row(0).head(n).array();
                for (Index i = 1; i <= last; ++i)
                    y += f(j, i) * diff.row(i).head(n).array();
                sq += y.square();
            }
            break;
        }
        case CovarianceType::diag:
            for (Index j = 0; j < d; ++j) {
                sq += m.precisions(k, j) * diff.row(j).head(n).array().square();
            }
            break;
        case CovarianceType::spherical:
            for (Index j = 0; j < d; ++j) sq += diff.row(j).head(n).array().square();
            sq *= m.precisions(k, 0);
            break;
    }
}

/// Fills s.logp(:, 0:n) with log pi_k N(x_b | mu_k, Sigma_k) for the rows in s.x.
template <class T>
void weighted_log_prob_tile(const GaussianKernel<T>& m, Index n, TileScratch<T>& s) {
    // Where the E-step keeps each component's differences for the statistics
    // (few components), they come from the per-component path.
    if (m.stacks() && s.diffs.empty()) {
        const Index ld = s.x.cols();
        if (s.stacked.rows() == 0) {
            s.stacked.resize(
                products::stacked_group(m.n_factors()) * products::kStackedBlock, ld);
        }
        dispatch::table<T>().stacked_norms(
            m.stacked.data(), m.n_factors(), m.stacked_offsets.data(), m.centre.data(),
            m.n_components, m.n_features, m.lower_factors, s.x.data(), ld, n,
            s.diff.data(), s.stacked.data(), s.logp.data());
        for (Index k = 0; k < m.n_components; ++k) {
            s.logp.row(k).head(n).array() =
                m.log_norm[k] - T(0.5) * s.logp.row(k).head(n).array();
        }
        return;
    }
    for (Index k = 0; k < m.n_components; ++k) {
        Tile<T>& diff = s.diffs.empty() ? s.diff : s.diffs[static_cast<std::size_t>(k)];
        squared_norms(m, k, s.x, diff, s.white, n, s.acc);
        s.logp.row(k).head(n).array() = m.log_norm[k] - T(0.5) * s.acc.head(n);
    }
}

/// Responsibilities are never computed below exp(negligible_log_ratio) times
/// the largest one in their row (1e-217 in double, 2e-22 in float): such a
/// value cannot change any sum, but smaller ones and their products become
/// subnormal numbers, which cost a hundred times more per operation on x86
/// and made a d=64 float64 fit 36 times slower. Clamping the exponent (rather
/// than zeroing the result) keeps the exponential vectorised.
template <class T>
constexpr T negligible_log_ratio() {
    return std::is_same_v<T, float> ? T(-50) : T(-500);
}

/// v[i] = exp(v[i]) for i < n, v[i] <= 0 (or NaN), in place: the lane
/// kernels' exponential (lanes::exp_nonpositive, its error bound there), run
/// through the dispatch table so that every E-step uses the same one on
/// every target; Eigen's exp for double divides two polynomials.
template <class T>
void exp_nonpositive_in_place(T* v, Index n) {
    dispatch::table<T>().exp(v, n, v);
}

/// Turns s.logp(:, 0:n) into responsibilities in place and s.lse(0:n) into
/// log p(x_b) = logsumexp_k logp(k, b). Never forms raw densities.
template <class T>
void normalize_tile(Index n_components, Index n, TileScratch<T>& s) {
    auto mx = s.lse.head(n);
    auto sum = s.acc.head(n);
    mx = s.logp.row(0).head(n).array();
    for (Index k = 1; k < n_components; ++k) mx = mx.max(s.logp.row(k).head(n).array());
    // A row that every component gives probability 0 (max = -inf) gets
    // log p(x) = -inf and no responsibility, fixed up after the vector loop.
    std::vector<Index> impossible;
    for (Index b = 0; b < n; ++b) {
        if (!std::isfinite(mx[b])) {
            mx[b] = T(0);
            impossible.push_back(b);
        }
    }
    sum.setZero();
    const T floor = negligible_log_ratio<T>();
    for (Index k = 0; k < n_components; ++k) {
        auto row = s.logp.row(k).head(n).array();
        row = (row - mx).max(floor);
        exp_nonpositive_in_place(row.data(), n);
        sum += row;
    }
    const Eigen::Array<T, 1, Eigen::Dynamic> inv = sum.inverse();
    for (Index k = 0; k < n_components; ++k) s.logp.row(k).head(n).array() *= inv;
    mx += sum.log();
    for (const Index b : impossible) {
        s.logp.col(b).head(n_components).setZero();
        mx[b] = -std::numeric_limits<T>::infinity();
    }
}

}  // namespace emclust
