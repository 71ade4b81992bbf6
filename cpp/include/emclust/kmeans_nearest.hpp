// K-means' nearest-centre kernel: one row in each SIMD lane, a micro-tile of
// rows against a few centres in registers. On plain pointers, so that a
// portable build dispatches it (dispatch_table.hpp).
#pragma once

#include <algorithm>
#include <limits>

#include "dispatch_table.hpp"
#include "simd.hpp"
#include "types.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace emclust::kmeans_detail {

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

/// Makes the compiler hold p in a vector register from here on, with
/// AVX-512's 32 of them (the micro-tile needs 17). GCC's generic
/// x86-64-v4 tuning (the portable build's) otherwise folds every use of a
/// loaded packet into a memory operand of its FMA: 12 loads where 4 do, and
/// the micro-tile became bound by loads, 1.4x slower than the same code
/// tuned for the CPU. With 16 registers (AVX2) the folding is right.
template <class Pk>
inline void keep_in_register(Pk& p) {
#if defined(__GNUC__) && defined(EIGEN_VECTORIZE_AVX512)
    __asm__("" : "+v"(p));
#else
    (void)p;
#endif
}

/// Micro-tile of the nearest-centre kernel: kRowPackets packets of rows
/// (one row per SIMD lane) against kCentreTile centres, 12 accumulators and 8
/// running minima/indices, within the 32 vector registers of AVX-512.
inline constexpr int kRowPackets = 4;
inline constexpr int kCentreTile = static_cast<int>(emclust_dispatch::kNearestCentres);

/// Rows of a block are padded to whole micro-tiles of this height.
template <class T>
inline constexpr Index kLaneRows = kRowPackets * kLanes<T>;

/// The micro-tile: acc[r][q] = start[q], then acc[r][q] = step(acc[r][q],
/// x_j, c_qj) feature after feature, for kRowPackets packets of rows (xt
/// feature-major, `rows` apart, from the strip's first row; one row per
/// lane) and Q centres (c: Q rows of d), the centre's coordinate broadcast.
template <class T, int Q, class Step>
inline void centre_tile(const T* x, Index rows, Index d, const T* c, const T* start,
                        Packet<T> (&acc)[kRowPackets][Q], Step step) {
    using namespace Eigen::internal;
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    for (int q = 0; q < Q; ++q) {
        const Pk s = pset1<Pk>(start[q]);
        for (auto& row : acc) row[q] = s;
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
                acc[r][q] = step(acc[r][q], xr[r], cq);
        }
    }
}

/// Nearest centre of a block of rows stored feature-major, one row per SIMD
/// lane, by the scores centre_tile accumulates with `step`: each lane keeps
/// its running minimum and the index that reached it. No score is stored
/// and no lane is ever reduced horizontally, which is what made small d and
/// k slow when lanes ran over centres. Centres are visited in increasing
/// order with a strict comparison, so ties go to the lower index, as in a
/// plain argmin.
/// @param xt (rows, d) column-major: column j is feature j of every row; rows
///     a multiple of kLaneRows<T>
/// @param c (padded, d) centres as step reads them, padded a multiple of
///     kCentreTile  @param start (padded) each centre's initial score
/// @param best (rows) out: nearest centre
template <class T, class Step>
void nearest_in_lanes(const T* xt, Index rows, Index d, const T* c, const T* start,
                      Index padded, Index* best, Step step) {
    using namespace Eigen::internal;
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    constexpr int R = kRowPackets;
    constexpr int Q = kCentreTile;
    for (Index i0 = 0; i0 < rows; i0 += Index{R} * V) {
        Pk best_value[R], best_index[R];
        for (int r = 0; r < R; ++r) {
            best_value[r] = pset1<Pk>(std::numeric_limits<T>::infinity());
            best_index[r] = pset1<Pk>(T(0));
        }
        for (Index t0 = 0; t0 < padded; t0 += Q) {
            Pk acc[R][Q];
            centre_tile<T, Q>(xt + i0, rows, d, c + t0 * d, start + t0, acc, step);
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

/// Nearest centre (squared Euclidean) of a block of shifted rows stored
/// feature-major (nearest_in_lanes): each score is ||c||² + Σ_j (-2 c_j) x_j
/// fused in feature order (one FMA per packet, centre and feature), the same
/// bits as the scores of score_tile's callers expect.
/// @param cm (padded, d) -2 (c - shift), padded a multiple of kCentreTile
/// @param cn (padded) |c - shift|², +inf for padding centres
template <class T>
void nearest_l2(const T* xt, Index rows, Index d, const T* cm, const T* cn,
                Index padded, Index* best) {
    using Pk = Packet<T>;
    nearest_in_lanes<T>(xt, rows, d, cm, cn, padded, best,
                        [](const Pk& acc, const Pk& x, const Pk& c) {
                            return Eigen::internal::pmadd(x, c, acc);
                        });
}

/// Rows [0, len) of x (rows `stride` apart) minus shift (null: none) into the
/// feature-major scratch xt, zero rows up to a whole micro-tile.
/// @return the padded height, nearest_rows(len)
template <class T>
Index transpose_strip(const T* x, Index stride, Index len, Index d, const T* shift,
                      T* xt) {
    const Index rows = (len + kLaneRows<T> - 1) / kLaneRows<T> * kLaneRows<T>;
    const Eigen::Map<const RowMatrix<T>, 0, Eigen::OuterStride<>> X(
        x, len, d, Eigen::OuterStride<>(stride));
    transpose_rows<T>(X, 0, len, shift, xt, rows);
    for (Index j = 0; j < d; ++j)
        std::fill(xt + j * rows + len, xt + (j + 1) * rows, T(0));
    return rows;
}

/// The table's nearest (dispatch_table.hpp): rows [0, len) of x, rows
/// `stride` apart, minus shift into the feature-major scratch xt, then
/// nearest_l2.
template <class T>
void nearest_shifted(const T* x, Index stride, Index len, Index d, const T* shift,
                     const T* cm, const T* cn, Index padded, T* xt, Index* best) {
    const Index rows = transpose_strip<T>(x, stride, len, d, shift, xt);
    nearest_l2<T>(xt, rows, d, cm, cn, padded, best);
}

}  // namespace emclust::kmeans_detail
