// K-medians' L1 kernels: the nearest centre by Manhattan distance and the
// distances themselves (for the L1 k-means++), one row in each SIMD lane and
// a micro-tile of rows against a few centres in registers, as K-means'
// nearest_l2. On plain pointers, so that a portable build dispatches them
// (dispatch_table.hpp).
#pragma once

#include <algorithm>
#include <limits>

#include "kmeans_nearest.hpp"
#include "simd.hpp"
#include "types.hpp"

namespace emclust::kmeans_detail {

/// acc[r][q] = init[q] + Σ_j |x_j - c_qj| for kRowPackets packets of rows
/// (xt feature-major, `rows` apart, from the strip's first row) and Q
/// centres (c: Q rows of d), summed in feature order: the bits of the plain
/// loop that adds |x_j - c_j| to 0 feature after feature.
template <class T, int Q>
inline void manhattan_tile(const T* x, Index rows, Index d, const T* c, const T* init,
                           Packet<T> (&acc)[kRowPackets][Q]) {
    using namespace Eigen::internal;
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    for (int q = 0; q < Q; ++q) {
        const Pk start = pset1<Pk>(init[q]);
        for (auto& row : acc) row[q] = start;
    }
    for (Index j = 0; j < d; ++j) {
        Pk xr[kRowPackets];
        for (int r = 0; r < kRowPackets; ++r) {
            xr[r] = ploadu<Pk>(x + j * rows + r * V);
            keep_in_register(xr[r]);
        }
        for (int q = 0; q < Q; ++q) {
            const Pk cq = pset1<Pk>(c[q * d + j]);
            for (int r = 0; r < kRowPackets; ++r)
                acc[r][q] = padd(acc[r][q], pabs(psub(xr[r], cq)));
        }
    }
}

/// The table's nearest_l1: best[i] = the nearest centre by L1 distance (ties
/// to the lower index) of row i < len of x (len, d), rows `stride` apart.
/// centres (m, d) is padded to a multiple of kCentreTile; init (m) is 0 for a
/// real centre and +inf for padding, which is then never the nearest. xt is a
/// scratch of nearest_rows(len) * d values, best has room for as many.
template <class T>
void nearest_l1(const T* x, Index stride, Index len, Index d, const T* centres,
                const T* init, Index m, T* xt, Index* best) {
    using namespace Eigen::internal;
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    constexpr int R = kRowPackets;
    constexpr int Q = kCentreTile;
    const Index rows = transpose_strip<T>(x, stride, len, d, nullptr, xt);
    for (Index i0 = 0; i0 < rows; i0 += Index{R} * V) {
        Pk best_value[R], best_index[R];
        for (int r = 0; r < R; ++r) {
            best_value[r] = pset1<Pk>(std::numeric_limits<T>::infinity());
            best_index[r] = pset1<Pk>(T(0));
        }
        for (Index t0 = 0; t0 < m; t0 += Q) {
            Pk acc[R][Q];
            manhattan_tile<T, Q>(xt + i0, rows, d, centres + t0 * d, init + t0, acc);
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

/// Scores of Q centres from t0 into out (m, rows): out[t * rows + i].
template <class T, int Q>
void manhattan_scores_of(const T* xt, Index rows, Index d, const T* centres, Index t0,
                         T* out) {
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    const T zeros[Q] = {};
    for (Index i0 = 0; i0 < rows; i0 += Index{kRowPackets} * V) {
        Pk acc[kRowPackets][Q];
        manhattan_tile<T, Q>(xt + i0, rows, d, centres + t0 * d, zeros, acc);
        for (int q = 0; q < Q; ++q)
            for (int r = 0; r < kRowPackets; ++r)
                Eigen::internal::pstoreu(out + (t0 + q) * rows + i0 + r * V, acc[r][q]);
    }
}

/// The table's manhattan: out (m, nearest_rows(len)) = the L1 distances
/// out[t * rows + i] = Σ_j |x_ij - c_tj| of rows i < len of x (len, d), rows
/// `stride` apart, to the centres (m, d), each summed in feature order. xt
/// is a scratch of nearest_rows(len) * d values.
template <class T>
void manhattan(const T* x, Index stride, Index len, Index d, const T* centres, Index m,
               T* xt, T* out) {
    constexpr int Q = kCentreTile;
    const Index rows = transpose_strip<T>(x, stride, len, d, nullptr, xt);
    Index t0 = 0;
    for (; t0 + Q <= m; t0 += Q)
        manhattan_scores_of<T, Q>(xt, rows, d, centres, t0, out);
    for (; t0 < m; ++t0) manhattan_scores_of<T, 1>(xt, rows, d, centres, t0, out);
}

}  // namespace emclust::kmeans_detail
