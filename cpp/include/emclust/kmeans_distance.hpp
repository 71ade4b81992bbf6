// Distance tiles between a block of rows and a set of centres: the inner
// kernel shared by K-means, K-medians and their k-means++ seeding.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "chunking.hpp"
#include "errors.hpp"
#include "interrupt.hpp"
#include "parallel.hpp"
#include "simd.hpp"
#include "types.hpp"

namespace emclust {

/// The distance a centre-based clustering minimises.
enum class Distance {
    squared_euclidean,  ///< ||x - c||², K-means
    manhattan,          ///< ||x - c||₁, K-medians
};

/// Labels of a hard clustering, one per row (int64, NumPy's intp on 64-bit).
using Labels = Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>;

namespace kmeans_detail {

/// Weight of row i: sample_weight[i], or 1 when no weights were given.
inline double row_weight(const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                         Index i) {
    return sample_weight.size() == 0 ? 1.0 : sample_weight[i];
}

/// Column means of X in float64, summed chunk by chunk in chunk order.
/// @param X (n, d)  @return (d)
template <class T>
Eigen::VectorXd column_mean(const ConstRowMatrixRef<T>& X, ThreadPool& pool,
                            const InterruptCheck& interrupt) {
    const Index n = X.rows(), d = X.cols();
    const ChunkPlan plan = plan_chunks(n, kBlockRows, sizeof(double) * d);
    Eigen::MatrixXd slots = Eigen::MatrixXd::Zero(d, plan.n_chunks);
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            double* s = slots.col(c).data();
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index i = plan.chunk_begin(c); i < end; ++i) {
                const T* x = X.row(i).data();
                for (Index j = 0; j < d; ++j) s[j] += static_cast<double>(x[j]);
            }
        },
        interrupt);
    Eigen::VectorXd total = Eigen::VectorXd::Zero(d);
    for (Index c = 0; c < plan.n_chunks; ++c) total += slots.col(c);
    return total / static_cast<double>(n);
}

/// Mean over features of the (unweighted, ddof = 0) variance of each column of
/// X: scikit-learn's scale for the K-means tolerance.
/// @param X (n, d)  @param mean (d) column means of X
template <class T>
double mean_feature_variance(const ConstRowMatrixRef<T>& X, const Eigen::VectorXd& mean,
                             ThreadPool& pool, const InterruptCheck& interrupt) {
    const Index n = X.rows(), d = X.cols();
    const ChunkPlan plan = plan_chunks(n, kBlockRows, sizeof(double) * d);
    Eigen::MatrixXd slots = Eigen::MatrixXd::Zero(d, plan.n_chunks);
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            double* s = slots.col(c).data();
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index i = plan.chunk_begin(c); i < end; ++i) {
                const T* x = X.row(i).data();
                for (Index j = 0; j < d; ++j) {
                    const double e = static_cast<double>(x[j]) - mean[j];
                    s[j] += e * e;
                }
            }
        },
        interrupt);
    Eigen::VectorXd total = Eigen::VectorXd::Zero(d);
    for (Index c = 0; c < plan.n_chunks; ++c) total += slots.col(c);
    return total.sum() / static_cast<double>(n) / static_cast<double>(d);
}

/// Exact distance between one row and one centre, in float64.
/// @param x (d)  @param c (d)
template <class T>
double exact_distance(const T* x, const double* c, Index d, Distance distance) {
    double s = 0.0;
    if (distance == Distance::squared_euclidean) {
        for (Index j = 0; j < d; ++j) {
            const double e = static_cast<double>(x[j]) - c[j];
            s += e * e;
        }
    } else {
        for (Index j = 0; j < d; ++j) s += std::abs(static_cast<double>(x[j]) - c[j]);
    }
    return s;
}

/// Lane by lane: where score < best_value, best_value and best_index take
/// score and index (a strict comparison, so earlier indices win ties).
template <class Pk>
inline void keep_lower(const Pk& score, const Pk& index, Pk& best_value,
                       Pk& best_index) {
    using namespace Eigen::internal;
    const Pk lower = pcmp_lt(score, best_value);
    best_value = pselect(lower, score, best_value);
    best_index = pselect(lower, index, best_index);
}

#ifdef __AVX512F__
// Eigen 3.4 turns an AVX-512 comparison mask into a vector and back into a
// mask for every select (six instructions where three do); the nearest-centre
// kernel spends most of its time here at small d, so keep the mask.
inline void keep_lower(const __m512d& score, const __m512d& index, __m512d& best_value,
                       __m512d& best_index) {
    const __mmask8 lower = _mm512_cmp_pd_mask(score, best_value, _CMP_LT_OQ);
    best_value = _mm512_mask_blend_pd(lower, best_value, score);
    best_index = _mm512_mask_blend_pd(lower, best_index, index);
}

inline void keep_lower(const __m512& score, const __m512& index, __m512& best_value,
                       __m512& best_index) {
    const __mmask16 lower = _mm512_cmp_ps_mask(score, best_value, _CMP_LT_OQ);
    best_value = _mm512_mask_blend_ps(lower, best_value, score);
    best_index = _mm512_mask_blend_ps(lower, best_index, index);
}
#endif

/// Micro-tile of the nearest-centre kernel: kRowPackets packets of rows
/// (one row per SIMD lane) against kCentreTile centres, 12 accumulators and 8
/// running minima/indices, within the 32 vector registers of AVX-512.
inline constexpr int kRowPackets = 4;
inline constexpr int kCentreTile = 3;

/// Rows of a block are padded to whole micro-tiles of this height.
template <class T>
inline constexpr Index kLaneRows = kRowPackets * kLanes<T>;

/// Centres prepared for the distance tiles of one pass.
///
/// Squared Euclidean distances use ||x - c||² = ||x||² - 2 x·c + ||c||². Both
/// x and c are shifted by the column mean of the data first (distances do not
/// change), as scikit-learn does, so that data far from the origin does not
/// lose its digits to cancellation. Manhattan distances need the centres
/// only, as (d, m) rows of T.
template <class T>
struct PreparedCentres {
    Distance distance = Distance::squared_euclidean;
    Index m = 0;  ///< number of centres
    Eigen::Matrix<T, Eigen::Dynamic, 1>
        shift;  ///< (d) subtracted from rows and centres
    Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>
        ct;                                     ///< (d, m) shifted centres (L2)
    Eigen::Matrix<T, Eigen::Dynamic, 1> norms;  ///< (m) ||c - shift||² (L2)
    /// (m_padded, d) -2 (c - shift), padded with zero centres to whole
    /// kCentreTile tiles (L2)
    RowMatrix<T> minus_twice;
    /// (m_padded) norms, padding = +inf so that padding is never the nearest (L2)
    Eigen::Matrix<T, Eigen::Dynamic, 1> padded_norms;
    RowMatrix<T> rows;  ///< (d, m) centres, row j = feature j of every centre (L1)

    Index n_centres() const { return m; }
};

/// @param centres (m, d)  @param shift (d) (ignored for Manhattan distances)
template <class T>
PreparedCentres<T> prepare_centres(const Eigen::Ref<const RowMatrixXd>& centres,
                                   const Eigen::VectorXd& shift, Distance distance) {
    PreparedCentres<T> p;
    p.distance = distance;
    p.m = centres.rows();
    const Index d = centres.cols();
    if (distance == Distance::squared_euclidean) {
        p.shift = shift.cast<T>();
        p.ct.resize(d, centres.rows());
        for (Index t = 0; t < centres.rows(); ++t) {
            p.ct.col(t) = (centres.row(t).transpose() - shift).template cast<T>();
        }
        p.norms = p.ct.colwise().squaredNorm().transpose();
        const Index padded = (p.m + kCentreTile - 1) / kCentreTile * kCentreTile;
        p.minus_twice = RowMatrix<T>::Zero(padded, d);
        p.minus_twice.topRows(p.m) = T(-2) * p.ct.transpose();
        p.padded_norms = Eigen::Matrix<T, Eigen::Dynamic, 1>::Constant(
            padded, std::numeric_limits<T>::infinity());
        p.padded_norms.head(p.m) = p.norms;
    } else {
        p.shift = Eigen::Matrix<T, Eigen::Dynamic, 1>::Zero(d);
        p.rows = centres.transpose().template cast<T>();
    }
    return p;
}

/// Nearest centre (squared Euclidean) of a block of shifted rows stored
/// feature-major, one row per SIMD lane: a micro-tile of kRowPackets packets
/// of rows against kCentreTile centres accumulates ||c||² - 2 x·c in
/// registers (one FMA per packet, centre and feature, the centre's
/// coordinate broadcast), and each lane keeps its running minimum and the
/// index that reached it. No score is stored and no lane is ever reduced
/// horizontally, which is what made small d and k slow when lanes ran over
/// centres. Centres are visited in increasing order with a strict
/// comparison, so ties go to the lower index, as in a plain argmin; each
/// score is ||c||² + Σ_j (-2 c_j) x_j fused in feature order, the same bits
/// as the scores of score_tile's callers expect.
/// @param xt (rows, d) column-major: column j is feature j of every row; rows
///     a multiple of kLaneRows<T>
/// @param best (rows) out: nearest centre
template <class T>
void nearest_l2(const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& xt,
                const PreparedCentres<T>& centres, Index* best) {
    using namespace Eigen::internal;
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    constexpr int R = kRowPackets;
    constexpr int Q = kCentreTile;
    const Index rows = xt.rows(), d = xt.cols(), padded = centres.padded_norms.size();
    const T* cm = centres.minus_twice.data();
    const T* cn = centres.padded_norms.data();
    constexpr Index strip = Index{R} * V;
    for (Index i0 = 0; i0 < rows; i0 += strip) {
        const T* x = xt.data() + i0;
        Pk best_value[R], best_index[R];
        for (int r = 0; r < R; ++r) {
            best_value[r] = pset1<Pk>(std::numeric_limits<T>::infinity());
            best_index[r] = pset1<Pk>(T(0));
        }
        for (Index t0 = 0; t0 < padded; t0 += Q) {
            Pk acc[R][Q];
            for (int q = 0; q < Q; ++q) {
                const Pk norm = pset1<Pk>(cn[t0 + q]);
                for (auto& row : acc) row[q] = norm;
            }
            const T* c = cm + t0 * d;
            for (Index j = 0; j < d; ++j) {
                Pk xr[R];
                for (int r = 0; r < R; ++r) xr[r] = ploadu<Pk>(x + j * rows + r * V);
                for (int q = 0; q < Q; ++q) {
                    const Pk cq = pset1<Pk>(c[q * d + j]);
                    for (int r = 0; r < R; ++r) acc[r][q] = pmadd(xr[r], cq, acc[r][q]);
                }
            }
            for (int q = 0; q < Q; ++q) {
                // Exact as T: centre indices stay far below 2^24.
                const Pk index = pset1<Pk>(static_cast<T>(t0 + q));
                for (int r = 0; r < R; ++r)
                    keep_lower(acc[r][q], index, best_value[r], best_index[r]);
            }
        }
        for (int r = 0; r < R; ++r) {
            alignas(64) T index[V];
            pstoreu(index, best_index[r]);
            for (int l = 0; l < V; ++l)
                best[i0 + Index{r} * V + l] = static_cast<Index>(index[l]);
        }
    }
}

/// Scratch space of one task for the tiles of one block.
template <class T>
struct TileWorkspace {
    RowMatrix<T> xs;  ///< (block, d) shifted rows
    /// (block padded to kLaneRows, d) shifted rows, feature-major
    Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> xt;
    RowMatrix<T> tile;  ///< (block, m) distances or cross products
    Eigen::Matrix<T, Eigen::Dynamic, 1> row_norms;  ///< (block)
    std::vector<Index> best;                        ///< (block) nearest centre
};

/// Fills ws.tile with "scores" of rows [begin, begin + len) of X against the
/// centres whose minimum over a row is the nearest centre: for Manhattan the
/// distances themselves; for squared Euclidean ||c||² - 2 x·c, and
/// ws.row_norms gets ||x||², their sum being the squared distance.
/// @param X (n, d)  @return tile rows are ws.tile.row(0 .. len)
template <class T>
void score_tile(const ConstRowMatrixRef<T>& X, Index begin, Index len,
                const PreparedCentres<T>& centres, TileWorkspace<T>& ws) {
    const Index d = X.cols(), m = centres.n_centres();
    ws.tile.resize(len, m);
    if (centres.distance == Distance::squared_euclidean) {
        ws.xs.resize(len, d);
        ws.xs.noalias() =
            X.middleRows(begin, len).rowwise() - centres.shift.transpose();
        ws.row_norms = ws.xs.rowwise().squaredNorm();
        ws.tile.noalias() = ws.xs * centres.ct;
        for (Index i = 0; i < len; ++i) {
            T* s = ws.tile.row(i).data();
            const T* cn = centres.norms.data();
            for (Index t = 0; t < m; ++t) s[t] = cn[t] - T(2) * s[t];
        }
    } else {
        ws.tile.setZero();
        for (Index i = 0; i < len; ++i) {
            const T* x = X.row(begin + i).data();
            T* s = ws.tile.row(i).data();
            for (Index j = 0; j < d; ++j) {
                const T xj = x[j];
                const T* c = centres.rows.row(j).data();
                for (Index t = 0; t < m; ++t) s[t] += std::abs(xj - c[t]);
            }
        }
    }
}

/// Converts a score from score_tile into a distance (squared Euclidean scores
/// get ||x||² added and are clamped at zero, which rounding can undershoot).
template <class T>
double score_to_distance(const PreparedCentres<T>& centres, const TileWorkspace<T>& ws,
                         Index i, T score) {
    if (centres.distance == Distance::manhattan) return static_cast<double>(score);
    const double v = static_cast<double>(ws.row_norms[i]) + static_cast<double>(score);
    return v > 0.0 ? v : 0.0;
}

/// xt (padded, d) column-major = rows [begin, begin + len) of X minus shift,
/// zero rows after len. Whole V×V squares (V = SIMD lanes) are transposed in
/// registers; Eigen's assignment between the two storage orders, element by
/// element, took a third of the nearest-centre time at d = 16.
/// xt (padded, d) column-major = rows [begin, begin + len) of X minus shift,
/// zero rows after len.
template <class T>
void transpose_shifted(const ConstRowMatrixRef<T>& X, Index begin, Index len,
                       const Eigen::Matrix<T, Eigen::Dynamic, 1>& shift, Index padded,
                       Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& xt) {
    const Index d = X.cols();
    xt.resize(padded, d);
    T* out = xt.data();
    transpose_rows<T>(X, begin, len, shift.data(), out, padded);
    for (Index j = 0; j < d; ++j) {
        std::fill(out + j * padded + len, out + (j + 1) * padded, T(0));
    }
}

/// Nearest centre of rows [begin, begin + len) of X, into ws.best (ties: the
/// lower index). Squared Euclidean distances go through nearest_l2 on the
/// shifted rows; Manhattan distances through score_tile and a plain argmin.
/// @param X (n, d)
template <class T>
void nearest_centres(const ConstRowMatrixRef<T>& X, Index begin, Index len,
                     const PreparedCentres<T>& centres, TileWorkspace<T>& ws) {
    if (centres.distance == Distance::squared_euclidean) {
        const Index padded = (len + kLaneRows<T> - 1) / kLaneRows<T> * kLaneRows<T>;
        ws.best.resize(static_cast<std::size_t>(padded));
        transpose_shifted<T>(X, begin, len, centres.shift, padded, ws.xt);
        nearest_l2<T>(ws.xt, centres, ws.best.data());
        return;
    }
    ws.best.resize(static_cast<std::size_t>(len));
    score_tile<T>(X, begin, len, centres, ws);
    const Index m = centres.n_centres();
    for (Index i = 0; i < len; ++i) {
        const T* s = ws.tile.row(i).data();
        Index best = 0;
        for (Index t = 1; t < m; ++t) {
            if (s[t] < s[best]) best = t;
        }
        ws.best[i] = best;
    }
}

}  // namespace kmeans_detail
}  // namespace emclust
