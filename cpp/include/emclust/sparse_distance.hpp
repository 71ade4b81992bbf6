// Distances between sparse rows and dense centres, touching only each row's
// nonzeros: the kernel shared by sparse K-means, K-medians and their seeding.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include "chunking.hpp"
#include "csr_matrix.hpp"
#include "interrupt.hpp"
#include "kmeans_distance.hpp"
#include "parallel.hpp"
#include "types.hpp"

namespace emclust::kmeans_detail {

/// Nonzeros ahead whose row of centre coordinates is prefetched: each
/// nonzero reads a row of m centre coordinates at a random place in a (d, m)
/// table far larger than the caches, so the pass waits on memory latency
/// unless the next rows are already on their way (1.4 to 1.7 times faster
/// at d = 1e5, k = 100).
inline constexpr Index kPrefetchAhead = 8;

/// Asks for the cache lines of p[0 .. count) ahead of use.
template <class T>
inline void prefetch_row(const T* p, Index count) {
#if defined(__GNUC__) || defined(__clang__)
    const char* bytes = reinterpret_cast<const char*>(p);
    const Index size = count * static_cast<Index>(sizeof(T));
    for (Index b = 0; b < size; b += 64) __builtin_prefetch(bytes + b);
#else
    (void)p;
    (void)count;
#endif
}

/// Centres prepared for sparse rows.
///
/// Squared Euclidean: ||x - c||² = ||x||² + ||c||² - 2 x·c, and x·c needs c
/// only at x's nonzeros. The centres are stored transposed, (d, m), so that
/// one nonzero (j, v) updates the m running dot products from one contiguous
/// row of m numbers (an axpy that vectorises over centres) instead of
/// gathering m numbers d apart. Unlike the dense kernel the rows are not
/// shifted by the column mean: that would fill them in. Sparse data (counts,
/// tf-idf, indicators) lives near the origin, where cancellation is mild.
///
/// Manhattan: ||x - c||₁ = ||c||₁ + Σ over x's nonzeros (|v - c_j| - |c_j|),
/// in float64.
template <class T>
struct SparseCentres {
    Distance distance = Distance::squared_euclidean;
    Index m = 0;
    RowMatrix<T> ct;   ///< (d, m) centres transposed (squared Euclidean)
    RowMatrixXd ct_d;  ///< (d, m) centres transposed, float64 (Manhattan)
    Eigen::Matrix<T, Eigen::Dynamic, 1> norms_t;  ///< (m) ||c||² in T
    Eigen::VectorXd norms;                        ///< (m) ||c||² or ||c||₁ in float64
};

/// @param centres (m, d)
template <class T>
SparseCentres<T> prepare_sparse_centres(const Eigen::Ref<const RowMatrixXd>& centres,
                                        Distance distance) {
    SparseCentres<T> p;
    p.distance = distance;
    p.m = centres.rows();
    if (distance == Distance::squared_euclidean) {
        p.ct = centres.transpose().template cast<T>();
        p.norms = centres.rowwise().squaredNorm();
        p.norms_t = p.ct.colwise().squaredNorm().transpose();
    } else {
        p.ct_d = centres.transpose();
        p.norms = centres.cwiseAbs().rowwise().sum();
    }
    return p;
}

/// Scores of row r against every centre whose minimum is the nearest centre:
/// ||c||² - 2 x·c (in T) for squared Euclidean, the distance itself (in
/// float64) for Manhattan. Centres are visited in increasing order with a
/// strict comparison: ties go to the lower index.
/// @param acc (m) scratch of T  @param acc_d (m) scratch of double
/// @return the nearest centre; `score` gets its score
template <class T, class I>
Index nearest_sparse(const CsrView<T, I>& X, Index r, const SparseCentres<T>& C, T* acc,
                     double* acc_d, double& score) {
    const Index m = C.m;
    const Index e0 = X.begin(r), e1 = X.end(r);
    if (C.distance == Distance::squared_euclidean) {
        std::fill(acc, acc + m, T(0));
        const Index stored = X.nnz();
        for (Index e = e0; e < e1; ++e) {
            if (e + kPrefetchAhead < stored)
                prefetch_row(C.ct.row(X.indices[e + kPrefetchAhead]).data(), m);
            const T v = X.data[e];
            const T* c = C.ct.row(X.indices[e]).data();
            for (Index t = 0; t < m; ++t) acc[t] += v * c[t];
        }
        const T* cn = C.norms_t.data();
        for (Index t = 0; t < m; ++t) acc[t] = cn[t] - T(2) * acc[t];
        Index best = 0;
        for (Index t = 1; t < m; ++t) {
            if (acc[t] < acc[best]) best = t;
        }
        score = static_cast<double>(acc[best]);
        return best;
    }
    std::copy(C.norms.data(), C.norms.data() + m, acc_d);
    for (Index e = e0; e < e1; ++e) {
        const double v = static_cast<double>(X.data[e]);
        const double* c = C.ct_d.row(X.indices[e]).data();
        for (Index t = 0; t < m; ++t) acc_d[t] += std::abs(v - c[t]) - std::abs(c[t]);
    }
    Index best = 0;
    for (Index t = 1; t < m; ++t) {
        if (acc_d[t] < acc_d[best]) best = t;
    }
    score = acc_d[best];
    return best;
}

/// All m scores of row r (as nearest_sparse), into acc (T, squared
/// Euclidean) or acc_d (double, Manhattan).
template <class T, class I>
void scores_sparse(const CsrView<T, I>& X, Index r, const SparseCentres<T>& C, T* acc,
                   double* acc_d) {
    double ignored = 0.0;
    nearest_sparse<T, I>(X, r, C, acc, acc_d, ignored);
}

/// Score of nearest_sparse/scores_sparse converted to a distance: squared
/// Euclidean scores get ||x||² added and are clamped at zero.
inline double sparse_score_to_distance(Distance distance, double row_norm,
                                       double score) {
    if (distance == Distance::manhattan) return score > 0.0 ? score : 0.0;
    const double v = row_norm + score;
    return v > 0.0 ? v : 0.0;
}

/// Exact distance (float64) between row r and one dense centre c (d), with
/// c_norm = ||c||² (squared Euclidean) or ||c||₁ (Manhattan): the centre's
/// norm corrected at the row's nonzeros. Clamped at zero.
template <class T, class I>
double sparse_exact_distance(const CsrView<T, I>& X, Index r, const double* c,
                             double c_norm, Distance distance) {
    double s = c_norm;
    if (distance == Distance::squared_euclidean) {
        for (Index e = X.begin(r); e < X.end(r); ++e) {
            const double cj = c[X.indices[e]];
            const double diff = static_cast<double>(X.data[e]) - cj;
            s += diff * diff - cj * cj;
        }
    } else {
        for (Index e = X.begin(r); e < X.end(r); ++e) {
            const double cj = c[X.indices[e]];
            s += std::abs(static_cast<double>(X.data[e]) - cj) - std::abs(cj);
        }
    }
    return s > 0.0 ? s : 0.0;
}

/// ||x||² of every row, in float64 (rows must be canonical).
/// @return (n)
template <class T, class I>
Eigen::VectorXd sparse_row_norms(const CsrView<T, I>& X, ThreadPool& pool,
                                 const InterruptCheck& interrupt) {
    Eigen::VectorXd out(X.rows);
    const ChunkPlan plan = plan_chunks(X.rows);
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index r = plan.chunk_begin(c); r < end; ++r) {
                double s = 0.0;
                for (Index e = X.begin(r); e < X.end(r); ++e) {
                    const double v = static_cast<double>(X.data[e]);
                    s += v * v;
                }
                out[r] = s;
            }
        },
        interrupt);
    return out;
}

/// Column means of X in float64 and the mean over features of the column
/// variances (ddof = 0), the scale of scikit-learn's K-means tolerance: per
/// column Σ over nonzeros (x - mean)² plus mean² for each implicit zero.
/// Partial sums per chunk, added in chunk order (canonical rows).
/// @param mean (d) out
template <class T, class I>
double sparse_mean_feature_variance(const CsrView<T, I>& X, Eigen::VectorXd& mean,
                                    ThreadPool& pool, const InterruptCheck& interrupt) {
    const Index n = X.rows, d = X.cols;
    const ChunkPlan plan = plan_chunks(n, kBlockRows, sizeof(double) * 2 * d);
    Eigen::MatrixXd slots = Eigen::MatrixXd::Zero(2 * d, plan.n_chunks);
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            double* sum = slots.col(c).data();
            double* count = sum + d;
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index r = plan.chunk_begin(c); r < end; ++r) {
                for (Index e = X.begin(r); e < X.end(r); ++e) {
                    sum[X.indices[e]] += static_cast<double>(X.data[e]);
                    count[X.indices[e]] += 1.0;
                }
            }
        },
        interrupt);
    Eigen::VectorXd total = Eigen::VectorXd::Zero(2 * d);
    for (Index c = 0; c < plan.n_chunks; ++c) total += slots.col(c);
    mean = total.head(d) / static_cast<double>(n);
    slots.topRows(d).setZero();
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            double* sq = slots.col(c).data();
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index r = plan.chunk_begin(c); r < end; ++r) {
                for (Index e = X.begin(r); e < X.end(r); ++e) {
                    const double diff =
                        static_cast<double>(X.data[e]) - mean[X.indices[e]];
                    sq[X.indices[e]] += diff * diff;
                }
            }
        },
        interrupt);
    double var = 0.0;
    for (Index j = 0; j < d; ++j) {
        double s = 0.0;
        for (Index c = 0; c < plan.n_chunks; ++c) s += slots(j, c);
        s += (static_cast<double>(n) - total[d + j]) * mean[j] * mean[j];
        var += s;
    }
    return var / static_cast<double>(n) / static_cast<double>(d);
}

}  // namespace emclust::kmeans_detail
