// Distance tiles between a block of rows and a set of centres: the inner
// kernel shared by K-means, K-medians and their k-means++ seeding.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "chunking.hpp"
#include "dispatch.hpp"
#include "errors.hpp"
#include "interrupt.hpp"
#include "parallel.hpp"
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
    /// (m_padded, d) centres, padded with zero centres to whole kCentreTile
    /// tiles (L1)
    RowMatrix<T> l1_centres;
    /// (m_padded) 0 for a centre, +inf for padding: the L1 kernel's start (L1)
    Eigen::Matrix<T, Eigen::Dynamic, 1> l1_init;

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
        const Index padded = (p.m + kCentreTile - 1) / kCentreTile * kCentreTile;
        p.l1_centres = RowMatrix<T>::Zero(padded, d);
        p.l1_centres.topRows(p.m) = centres.template cast<T>();
        p.l1_init = Eigen::Matrix<T, Eigen::Dynamic, 1>::Constant(
            padded, std::numeric_limits<T>::infinity());
        p.l1_init.head(p.m).setZero();
    }
    return p;
}

/// Scratch space of one task for the tiles of one block.
template <class T>
struct TileWorkspace {
    RowMatrix<T> xs;  ///< (block, d) shifted rows
    /// (block padded to the nearest-centre kernel's micro-tile, d) shifted rows,
    /// feature-major
    Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> xt;
    RowMatrix<T> tile;  ///< (block, m) distances or cross products
    RowMatrix<T> l1;    ///< (m, block padded) L1 distances, as the kernel writes them
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
        // ct (d, m) column-major is the (m, d) row-major matrix of centres.
        dispatch::table<T>().cross(ws.xs.data(), d, centres.ct.data(), d, len, m, d,
                                   ws.tile.data());
        for (Index i = 0; i < len; ++i) {
            T* s = ws.tile.row(i).data();
            const T* cn = centres.norms.data();
            for (Index t = 0; t < m; ++t) s[t] = cn[t] - T(2) * s[t];
        }
    } else {
        const auto& kernels = dispatch::table<T>();
        const Index rows = emclust_dispatch::nearest_rows(kernels, len);
        ws.xt.resize(rows, d);
        ws.l1.resize(m, rows);
        kernels.manhattan(X.row(begin).data(), X.outerStride(), len, d,
                          centres.l1_centres.data(), m, ws.xt.data(), ws.l1.data());
        ws.tile = ws.l1.leftCols(len).transpose();
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

/// Nearest centre of rows [begin, begin + len) of X, into ws.best (ties: the
/// lower index), through the dispatched nearest-centre kernels: nearest_l2
/// on the shifted rows for squared Euclidean distances, nearest_l1 for
/// Manhattan ones.
/// @param X (n, d)
template <class T>
void nearest_centres(const ConstRowMatrixRef<T>& X, Index begin, Index len,
                     const PreparedCentres<T>& centres, TileWorkspace<T>& ws) {
    const auto& kernels = dispatch::table<T>();
    const Index rows = emclust_dispatch::nearest_rows(kernels, len);
    ws.best.resize(static_cast<std::size_t>(rows));
    ws.xt.resize(rows, X.cols());
    if (centres.distance == Distance::squared_euclidean) {
        kernels.nearest(X.row(begin).data(), X.outerStride(), len, X.cols(),
                        centres.shift.data(), centres.minus_twice.data(),
                        centres.padded_norms.data(), centres.padded_norms.size(),
                        ws.xt.data(), ws.best.data());
    } else {
        kernels.nearest_l1(X.row(begin).data(), X.outerStride(), len, X.cols(),
                           centres.l1_centres.data(), centres.l1_init.data(),
                           centres.l1_init.size(), ws.xt.data(), ws.best.data());
    }
}

}  // namespace kmeans_detail
}  // namespace emclust
