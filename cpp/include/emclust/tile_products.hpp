// The matrix products of the Gaussian tiles with more features than the lane
// kernels take: squared Mahalanobis norms of a tile's differences, and the
// scatter of a tile. On plain pointers, so that a portable build dispatches
// them (dispatch_table.hpp) with the rest of the kernels.
#pragma once

#include <algorithm>

#include "simd.hpp"
#include "types.hpp"

namespace emclust::products {

/// Below this many features the quadratic forms are written as vector loops
/// over rows; from it on as matrix products (Eigen's blocked GEMM pays off).
inline constexpr Index kGemmMinFeatures = 12;

/// From kGemmMinFeatures to below this many features the squared norms come
/// from norms_lanes, from it on from a matrix product.
inline constexpr Index kLaneNormMaxFeatures = 32;

/// From this many features the scatter is a symmetric rank update (SYRK).
inline constexpr Index kSyrkMinFeatures = 32;

template <class T>
using ConstTileMap = Eigen::Map<const RowMatrix<T>, 0, Eigen::OuterStride<>>;
template <class T>
using TileMap = Eigen::Map<RowMatrix<T>, 0, Eigen::OuterStride<>>;

/// Squared norms |f diff_b|² of the columns b < n of the tile diff, rows in
/// SIMD lanes: per strip of two packets of rows, four output features at a
/// time accumulate in registers (one broadcast of f and two FMAs per input
/// feature), and their squares add into the norms at once. No product is
/// stored, nothing is packed, and a lower triangular f costs only its
/// triangle: at 12 to 31 features this beat Eigen's GEMM, whose packing and
/// zero-filling of a (d, B) result took as long as its arithmetic.
/// @param f (d, d)  @param lower f is lower triangular  @param diff (d, ld)
template <class T>
void norms_lanes(const T* f, Index d, bool lower, const T* diff, Index ld, Index n,
                 T* out) {
    using namespace Eigen::internal;
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    constexpr int R = 2;  // packets of rows per strip
    constexpr int Q = 4;  // output features per pass
    const Index d_padded = (d + Q - 1) / Q * Q;
    // Zero rows pad f to whole groups of Q outputs.
    RowMatrix<T> padded = RowMatrix<T>::Zero(d_padded, d);
    padded.topRows(d) = Eigen::Map<const RowMatrix<T>>(f, d, d);
    constexpr Index strip = Index{R} * V;
    const Index strips = n / strip * strip;
    for (Index b0 = 0; b0 < strips; b0 += strip) {
        Pk sq[R];
        for (auto& v : sq) v = pset1<Pk>(T(0));
        for (Index j0 = 0; j0 < d_padded; j0 += Q) {
            Pk acc[Q][R];
            for (auto& row : acc)
                for (auto& v : row) v = pset1<Pk>(T(0));
            const Index i_end = lower ? std::min(d, j0 + Q) : d;
            for (Index i = 0; i < i_end; ++i) {
                Pk x[R];
                for (int r = 0; r < R; ++r)
                    x[r] = ploadu<Pk>(diff + i * ld + b0 + Index{r} * V);
                for (int q = 0; q < Q; ++q) {
                    const Pk c = pset1<Pk>(padded(j0 + q, i));
                    for (int r = 0; r < R; ++r) acc[q][r] = pmadd(c, x[r], acc[q][r]);
                }
            }
            for (int q = 0; q < Q; ++q)
                for (int r = 0; r < R; ++r) sq[r] = pmadd(acc[q][r], acc[q][r], sq[r]);
        }
        for (int r = 0; r < R; ++r) pstoreu(out + b0 + Index{r} * V, sq[r]);
    }
    for (Index b = strips; b < n; ++b) {
        T total = 0;
        for (Index j = 0; j < d; ++j) {
            T y = 0;
            const Index i_end = lower ? j + 1 : d;
            for (Index i = 0; i < i_end; ++i) y += f[j * d + i] * diff[i * ld + b];
            total += y * y;
        }
        out[b] = total;
    }
}

/// The table's norms (dispatch_table.hpp) for d >= kGemmMinFeatures: the
/// lane loops below kLaneNormMaxFeatures, else the whitened tile as a
/// (triangular) matrix product and the sums of its squared columns.
template <class T>
void norms(const T* f, Index d, bool lower, const T* diff, Index ld, Index n, T* white,
           T* sq) {
    if (d < kLaneNormMaxFeatures) return norms_lanes(f, d, lower, diff, ld, n, sq);
    const Eigen::Map<const RowMatrix<T>> fm(f, d, d);
    const ConstTileMap<T> dm(diff, d, n, Eigen::OuterStride<>(ld));
    TileMap<T> w(white, d, n, Eigen::OuterStride<>(ld));
    if (lower) {
        w.noalias() = fm.template triangularView<Eigen::Lower>() * dm;
    } else {
        w.noalias() = fm * dm;
    }
    Eigen::Map<Eigen::Array<T, 1, Eigen::Dynamic>> out(sq, n);
    out = w.row(0).array().square();
    for (Index j = 1; j < d; ++j) out += w.row(j).array().square();
}

/// The table's cross: outer = a b^T over the first n columns.
template <class T>
void cross(const T* a, const T* b, Index d, Index ld, Index n, T* outer) {
    Eigen::Map<RowMatrix<T>>(outer, d, d).noalias() =
        ConstTileMap<T>(a, d, n, Eigen::OuterStride<>(ld)) *
        ConstTileMap<T>(b, d, n, Eigen::OuterStride<>(ld)).transpose();
}

/// The table's rank_update: the lower triangle of a a^T (SYRK, half the flops
/// of a general product), the strict upper triangle zero.
template <class T>
void rank_update(const T* a, Index d, Index ld, Index n, T* outer) {
    Eigen::Map<RowMatrix<T>> o(outer, d, d);
    o.setZero();
    o.template selfadjointView<Eigen::Lower>().rankUpdate(
        ConstTileMap<T>(a, d, n, Eigen::OuterStride<>(ld)));
}

}  // namespace emclust::products
