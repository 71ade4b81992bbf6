// The matrix products of the Gaussian tiles with more features than the lane
// kernels take (squared Mahalanobis norms of a tile's differences, the
// scatter of a tile), also used for k-means++'s cross products. On plain
// pointers, so that a portable build dispatches them (dispatch_table.hpp)
// with the rest of the kernels.
#pragma once

#include <algorithm>
#include <cmath>

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
/// @param f (d, d), d < kLaneNormMaxFeatures  @param lower f is lower
/// triangular  @param diff (d, ld)
template <class T>
void norms_lanes(const T* f, Index d, bool lower, const T* diff, Index ld, Index n,
                 T* out) {
    using namespace Eigen::internal;
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    constexpr int R = 2;  // packets of rows per strip
    constexpr int Q = 4;  // output features per pass
    const Index d_padded = (d + Q - 1) / Q * Q, d_whole = d / Q * Q;
    // The last group of Q outputs reads its rows of f from tail, padded with
    // zero rows (on the stack: this runs per tile and component, and a heap
    // copy of the padded f there was an allocation per call).
    T tail[Q * kLaneNormMaxFeatures] = {};
    std::copy(f + d_whole * d, f + d * d, tail);
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
            const T* rows = j0 < d_whole ? f + j0 * d : tail;  // Q rows of f
            for (Index i = 0; i < i_end; ++i) {
                Pk x[R];
                for (int r = 0; r < R; ++r)
                    x[r] = ploadu<Pk>(diff + i * ld + b0 + Index{r} * V);
                for (int q = 0; q < Q; ++q) {
                    const Pk c = pset1<Pk>(rows[q * d + i]);
                    for (int r = 0; r < R; ++r) acc[q][r] = pmadd(c, x[r], acc[q][r]);
                }
            }
            for (const auto& row : acc)
                for (int r = 0; r < R; ++r) sq[r] = pmadd(row[r], row[r], sq[r]);
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

/// The element-wise passes below run in packets from the first element of
/// each row, whatever its address, and finish the row in scalars. Eigen's
/// own loops start their packets at the first aligned element; a build
/// dispatched to AVX-512 works on tiles that the baseline caller allocated
/// 16-byte aligned, so each thread's scratch would have summed in its own
/// order, and the results would have depended on the thread count.
template <class T, class PacketOp, class ScalarOp>
void for_packets(Index n, PacketOp&& packet, ScalarOp&& scalar) {
    constexpr Index V = kLanes<T>;
    Index b = 0;
    for (; b + V <= n; b += V) packet(b);
    for (; b < n; ++b) scalar(b);
}

/// sq[b] = sum_j w(j, b)^2 for b < n, w (d, ld).
template <class T>
void column_squares(const T* w, Index d, Index ld, Index n, T* sq) {
    using namespace Eigen::internal;
    using Pk = Packet<T>;
    for_packets<T>(
        n,
        [&](Index b) {
            Pk acc = pset1<Pk>(T(0));
            for (Index j = 0; j < d; ++j) {
                const Pk v = ploadu<Pk>(w + j * ld + b);
                acc = pmadd(v, v, acc);
            }
            pstoreu(sq + b, acc);
        },
        [&](Index b) {
            T acc = 0;
            for (Index j = 0; j < d; ++j)
                acc = std::fma(w[j * ld + b], w[j * ld + b], acc);
            sq[b] = acc;
        });
}

/// out(j, b) = x(j, b) - c[j] for the columns b < n of the (d, ld) tile x.
template <class T>
void subtract_centre(const T* x, const T* c, Index d, Index ld, Index n, T* out) {
    for (Index j = 0; j < d; ++j) {
        const T* xj = x + j * ld;
        T* oj = out + j * ld;
        for (Index b = 0; b < n; ++b) oj[b] = xj[b] - c[j];  // exact either way
    }
}

/// The table's norms (dispatch_table.hpp) for d >= kGemmMinFeatures: the
/// differences, then the lane loops below kLaneNormMaxFeatures, else the
/// whitened tile as a (triangular) matrix product and the sums of its
/// squared columns.
template <class T>
void norms(const T* f, Index d, bool lower, const T* x, const T* mean, Index ld,
           Index n, T* diff, T* white, T* sq) {
    subtract_centre(x, mean, d, ld, n, diff);
    if (d < kLaneNormMaxFeatures) return norms_lanes(f, d, lower, diff, ld, n, sq);
    const Eigen::Map<const RowMatrix<T>> fm(f, d, d);
    const ConstTileMap<T> dm(diff, d, n, Eigen::OuterStride<>(ld));
    TileMap<T> w(white, d, n, Eigen::OuterStride<>(ld));
    // Eigen's products pack their operands: their bits do not depend on the
    // addresses.
    if (lower) {
        w.noalias() = fm.template triangularView<Eigen::Lower>() * dm;
    } else {
        w.noalias() = fm * dm;
    }
    column_squares(white, d, ld, n, sq);
}

/// Output features per block of the stacked factors (stacked_norms): a lower
/// triangular factor costs its triangle plus the blocks' overhangs, 1.23
/// times the triangle at 64 features.
inline constexpr Index kStackedBlock = 16;

/// Rows of the stacked factors multiplied at once (components times a
/// block's features): their product with a tile stays in L2.
inline constexpr Index kStackedRows = 256;

/// Components per product of stacked_norms.
constexpr Index stacked_group(Index n_factors) {
    return std::min(n_factors, kStackedRows / kStackedBlock);
}

/// Blocks of output features of d features, and the features of block
/// `block` (kStackedBlock, but fewer in the last).
constexpr Index stacked_blocks(Index d) {
    return (d + kStackedBlock - 1) / kStackedBlock;
}
constexpr Index stacked_height(Index block, Index d) {
    return std::min(kStackedBlock, d - block * kStackedBlock);
}

/// Columns of block `block`'s factors: the input features its output
/// features depend on (lower triangular factors), else all.
constexpr Index stacked_columns(Index block, Index d, bool lower) {
    return lower ? std::min(d, (block + 1) * kStackedBlock) : d;
}

/// Where the factors of the components [k0, k0 + stacked_group) begin in
/// block `block` of the stacked layout: blocks one after another, each
/// holding, group after group, the rows of its output features of every
/// factor (row r of factor k's part is the factor's row block * 16 + r,
/// cut to stacked_columns), row-major.
constexpr Index stacked_offset(Index block, Index k0, Index n_factors, Index d,
                               bool lower) {
    Index at = 0;
    for (Index b = 0; b < block; ++b)
        at += n_factors * stacked_height(b, d) * stacked_columns(b, d, lower);
    return at + k0 * stacked_height(block, d) * stacked_columns(block, d, lower);
}

/// The table's stacked_norms: sq(k, b) = |F_k (x_b - mu_k)|^2 for every
/// component k < K and column b < n of the tile x, all components at once.
/// The tile is centred once, y = x - c, and whitened under all factors in a
/// few large products, F_k (x - mu_k) = F_k y - F_k (mu_k - c), the offsets
/// F_k (mu_k - c) given. With one factor (tied), one product serves every
/// component. @param stacked the factors in stacked_offset's layout
/// @param n_factors K, or 1 when all components share one factor
/// @param offsets (K, d) F_k (mu_k - c)  @param centre (d) c
/// @param centred (d, ld) scratch  @param y (kStackedRows, ld) scratch
/// @param sq (K, ld)
template <class T>
void stacked_norms(const T* stacked, Index n_factors, const T* offsets, const T* centre,
                   Index K, Index d, bool lower, const T* x, Index ld, Index n,
                   T* centred, T* y, T* sq) {
    using namespace Eigen::internal;
    using Pk = Packet<T>;
    subtract_centre(x, centre, d, ld, n, centred);
    for (Index k = 0; k < K; ++k) std::fill(sq + k * ld, sq + k * ld + n, T(0));
    const Index group = stacked_group(n_factors);
    for (Index block = 0; block < stacked_blocks(d); ++block) {
        const Index r0 = block * kStackedBlock, q = stacked_height(block, d);
        const Index cols = stacked_columns(block, d, lower);
        const ConstTileMap<T> cm(centred, cols, n, Eigen::OuterStride<>(ld));
        for (Index k0 = 0; k0 < n_factors; k0 += group) {
            const Index g = std::min(group, n_factors - k0);
            const Eigen::Map<const RowMatrix<T>> fm(
                stacked + stacked_offset(block, k0, n_factors, d, lower), g * q, cols);
            TileMap<T> ym(y, g * q, n, Eigen::OuterStride<>(ld));
            // Eigen's products pack their operands: their bits do not depend
            // on the addresses.
            ym.noalias() = fm * cm;
            // One factor (tied) serves every component, each with its offsets.
            const Index k_end = n_factors == 1 ? K : k0 + g;
            for (Index k = n_factors == 1 ? 0 : k0; k < k_end; ++k) {
                const T* yk = y + (n_factors == 1 ? 0 : (k - k0) * q) * ld;
                const T* ok = offsets + k * d + r0;
                T* sk = sq + k * ld;
                for_packets<T>(
                    n,
                    [&](Index b) {
                        Pk acc = ploadu<Pk>(sk + b);
                        for (Index r = 0; r < q; ++r) {
                            const Pk v =
                                psub(ploadu<Pk>(yk + r * ld + b), pset1<Pk>(ok[r]));
                            acc = pmadd(v, v, acc);
                        }
                        pstoreu(sk + b, acc);
                    },
                    [&](Index b) {
                        T acc = sk[b];
                        for (Index r = 0; r < q; ++r) {
                            const T v = yk[r * ld + b] - ok[r];
                            acc = std::fma(v, v, acc);
                        }
                        sk[b] = acc;
                    });
            }
        }
    }
}

/// Entries of a (d, d) lower triangle, the rows of stacked_scatter's products.
constexpr Index triangle_size(Index d) { return d * (d + 1) / 2; }

/// The table's stacked_scatter: with y_b = x_b - c over the columns b < n of
/// the tile x, out (triangle_size(d), K) = sum_b u_b g(:, b)^T, where u_b
/// holds the products y_bi y_bj (j <= i) row after row of the lower
/// triangle, and first (K, d) = sum_b g(:, b) y_b^T. Every component's
/// scatter about c in one product with K columns, where one rank update
/// per component gave Eigen short, square blocks.
/// @param g (K, ld) weighted responsibilities  @param y (d, ld) scratch
/// @param u (triangle_size(d), ld) scratch
template <class T>
void stacked_scatter(const T* x, const T* centre, Index d, Index ld, Index n,
                     const T* g, Index K, T* y, T* u, T* out, T* first) {
    subtract_centre(x, centre, d, ld, n, y);
    T* row = u;
    for (Index i = 0; i < d; ++i) {
        const T* yi = y + i * ld;
        for (Index j = 0; j <= i; ++j, row += ld) {
            const T* yj = y + j * ld;
            for (Index b = 0; b < n; ++b) row[b] = yi[b] * yj[b];  // one rounding
        }
    }
    const ConstTileMap<T> gm(g, K, n, Eigen::OuterStride<>(ld));
    // Eigen's products pack their operands: their bits do not depend on the
    // addresses.
    Eigen::Map<RowMatrix<T>>(out, triangle_size(d), K).noalias() =
        ConstTileMap<T>(u, triangle_size(d), n, Eigen::OuterStride<>(ld)) *
        gm.transpose();
    Eigen::Map<RowMatrix<T>>(first, K, d).noalias() =
        gm * ConstTileMap<T>(y, d, n, Eigen::OuterStride<>(ld)).transpose();
}

/// The table's cross: c (p, q) = a (p, r) b (q, r)^T, rows lda and ldb apart.
template <class T>
void cross(const T* a, Index lda, const T* b, Index ldb, Index p, Index q, Index r,
           T* c) {
    Eigen::Map<RowMatrix<T>>(c, p, q).noalias() =
        ConstTileMap<T>(a, p, r, Eigen::OuterStride<>(lda)) *
        ConstTileMap<T>(b, q, r, Eigen::OuterStride<>(ldb)).transpose();
}

/// The table's scaled_scatter: y scaled by sqrt(g) in one pass (its sums
/// weighted by the root are the first moments), then the lower triangle of
/// its product with itself as a symmetric rank update (SYRK, half the flops
/// of a general product).
template <class T>
void scaled_scatter(const T* x, const T* shift, const T* g, Index d, Index ld, Index n,
                    T* white, T* root, T* outer, double* first) {
    using namespace Eigen::internal;
    using Pk = Packet<T>;
    for (Index b = 0; b < n; ++b) root[b] = std::sqrt(g[b]);  // exact either way
    for (Index j = 0; j < d; ++j) {
        const T s = shift != nullptr ? shift[j] : T(0);
        const T* xj = x + j * ld;
        T* wj = white + j * ld;
        Pk acc = pset1<Pk>(T(0));
        T tail = 0;
        // (x - s) r is two roundings, whichever the path; their sum is not.
        for_packets<T>(
            n,
            [&](Index b) {
                const Pk r = ploadu<Pk>(root + b);
                const Pk v = pmul(psub(ploadu<Pk>(xj + b), pset1<Pk>(s)), r);
                pstoreu(wj + b, v);
                acc = pmadd(v, r, acc);
            },
            [&](Index b) {
                wj[b] = (xj[b] - s) * root[b];
                tail = std::fma(wj[b], root[b], tail);
            });
        first[j] += static_cast<double>(predux(acc) + tail);
    }
    Eigen::Map<RowMatrix<T>> o(outer, d, d);
    o.setZero();
    o.template selfadjointView<Eigen::Lower>().rankUpdate(
        ConstTileMap<T>(white, d, n, Eigen::OuterStride<>(ld)));
}

}  // namespace emclust::products
