// K-medians' L1 kernels: the nearest centre by Manhattan distance and the
// distances themselves (for the L1 k-means++), on the micro-tile and the
// lane argmin of K-means' nearest-centre kernel (kmeans_nearest.hpp). On
// plain pointers, so that a portable build dispatches them
// (dispatch_table.hpp).
#pragma once

#include "kmeans_nearest.hpp"
#include "simd.hpp"
#include "types.hpp"

namespace emclust::kmeans_detail {

/// One step of an L1 score: acc + |x_j - c_j|, added to 0 feature after
/// feature, the bits of the plain loop (no FMA, no reassociation).
struct ManhattanStep {
    template <class Pk>
    Pk operator()(const Pk& acc, const Pk& x, const Pk& c) const {
        using namespace Eigen::internal;
        return padd(acc, pabs(psub(x, c)));
    }
};

/// The table's nearest_l1: best[i] = the nearest centre by L1 distance (ties
/// to the lower index) of row i < len of x (len, d), rows `stride` apart.
/// centres (m, d) is padded to a multiple of kCentreTile; init (m) is 0 for a
/// real centre and +inf for padding, which is then never the nearest. xt is a
/// scratch of nearest_rows(len) * d values, best has room for as many.
template <class T>
void nearest_l1(const T* x, Index stride, Index len, Index d, const T* centres,
                const T* init, Index m, T* xt, Index* best) {
    const Index rows = transpose_strip<T>(x, stride, len, d, nullptr, xt);
    nearest_in_lanes<T>(xt, rows, d, centres, init, m, best, ManhattanStep{});
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
        centre_tile<T, Q>(xt + i0, rows, d, centres + t0 * d, zeros, acc,
                          ManhattanStep{});
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
