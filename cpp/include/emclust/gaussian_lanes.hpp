// The fused E-step and statistics of a Gaussian mixture for few features:
// one row in each SIMD lane, the features of a packet of rows in registers.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "dispatch_table.hpp"
#include "simd.hpp"
#include "types.hpp"
#include "with_features.hpp"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace emclust::lanes {

/// Up to this many features, full and tied covariances use the lane kernels
/// with the feature count fixed at compile time (every loop over features
/// unrolled, a packet of rows' features held in registers).
inline constexpr int kMaxFullFeatures = 16;

/// Up to this many features, diagonal and spherical covariances use lane
/// kernels with a compile-time feature count; above, the same kernels with
/// the count known at run time (diag_log_prob, diag_statistics_any).
inline constexpr int kMaxDiagFeatures = 16;

/// Vector registers of the target: AVX-512 has 32, AVX and SSE 16. The
/// register tiles of the scatter are sized so that they never spill.
#if defined(EIGEN_VECTORIZE_AVX512)
inline constexpr int kVectorRegisters = 32;
#else
inline constexpr int kVectorRegisters = 16;
#endif

/// Leading dimension of the tiles (rows of a block) that the kernels with a
/// compile-time feature count address: with it fixed, each feature's row is
/// an immediate offset from one pointer. With a run-time stride GCC kept one
/// pointer per feature, more than there are general registers, and reloaded
/// them from the stack in the inner loops.
inline constexpr Index kTileRows = 256;

/// Rows of the scatter's register tile (columns are 4).
inline constexpr int kScatterTileRows = kVectorRegisters >= 32 ? 4 : 2;

/// Up to this many features full_statistics keeps the whole triangle of the
/// scatter in registers: D (D + 1) / 2 sums, D + 1 first sums and D
/// differences. With 32 registers D = 5 fits (28 live packets); its tiled path
/// padded 5 features to 8 and made 48 FMAs of every packet where 15 are needed,
/// after storing the packet's panels: a third of a selection's EM at d = 5.
inline constexpr int kRegisterScatterFeatures = kVectorRegisters >= 32 ? 5 : 4;

/// Packets of rows in one slice of full_statistics' scatter.
inline constexpr int kScatterSlicePackets = 4;

/// Feature rows of the (padded, d x B) scratch of scaled differences.
constexpr Index padded_features(Index d) { return (d + 3) / 4 * 4; }

/// Where a register tile (kScatterTileRows x 4) of the scatter starts.
struct TileOrigin {
    int i0 = 0;
    int j0 = 0;
};

/// The register tiles that cover the lower triangle of a P x P scatter, P a
/// multiple of 4, row block by row block: the one enumeration that the
/// scatter's passes and its final sums share.
template <int P>
constexpr auto scatter_tiles() {
    constexpr int R = kScatterTileRows;
    constexpr int count = [] {
        int n = 0;
        for (int i0 = 0; i0 < P; i0 += R)
            for (int j0 = 0; j0 < i0 + R && j0 < P; j0 += 4) ++n;
        return n;
    }();
    std::array<TileOrigin, count> tiles{};
    int t = 0;
    for (int i0 = 0; i0 < P; i0 += R)
        for (int j0 = 0; j0 < i0 + R && j0 < P; j0 += 4) tiles[t++] = {i0, j0};
    return tiles;
}

/// Fully unrolls a loop over features (or a register tile), so that arrays of
/// packets indexed by it stay in registers; GCC left a 16-step loop rolled,
/// with the accumulators on the stack.
#define EMCLUST_UNROLL _Pragma("GCC unroll 32")

using Eigen::internal::padd;
using Eigen::internal::pdiv;
using Eigen::internal::pload;
using Eigen::internal::ploadu;
using Eigen::internal::pmadd;
using Eigen::internal::pmax;
using Eigen::internal::pmul;
using Eigen::internal::predux;
using Eigen::internal::predux_max;
using Eigen::internal::pset1;
using Eigen::internal::pstoreu;
using Eigen::internal::psub;

namespace detail {

/// 2^n for a packet t whose low mantissa bits hold n + bias (the result of
/// adding the shifter in exp_nonpositive): shifting the bits left by the
/// mantissa width moves n + bias into the exponent field.
template <class T>
EIGEN_ALWAYS_INLINE Packet<T> pow2_from_bits(const Packet<T>& t) {
    constexpr int kMantissa = std::numeric_limits<T>::digits - 1;
#if defined(EIGEN_VECTORIZE_AVX512)
    if constexpr (std::is_same_v<T, double>) {
        return _mm512_castsi512_pd(
            _mm512_slli_epi64(_mm512_castpd_si512(t), kMantissa));
    } else {
        return _mm512_castsi512_ps(
            _mm512_slli_epi32(_mm512_castps_si512(t), kMantissa));
    }
#elif defined(EIGEN_VECTORIZE_AVX2)
    if constexpr (std::is_same_v<T, double>) {
        return _mm256_castsi256_pd(
            _mm256_slli_epi64(_mm256_castpd_si256(t), kMantissa));
    } else {
        return _mm256_castsi256_ps(
            _mm256_slli_epi32(_mm256_castps_si256(t), kMantissa));
    }
#elif defined(EIGEN_VECTORIZE_SSE2) && !defined(EIGEN_VECTORIZE_AVX)
    if constexpr (std::is_same_v<T, double>) {
        return _mm_castsi128_pd(_mm_slli_epi64(_mm_castpd_si128(t), kMantissa));
    } else {
        return _mm_castsi128_ps(_mm_slli_epi32(_mm_castps_si128(t), kMantissa));
    }
#else
    using Bits =
        std::conditional_t<std::is_same_v<T, double>, std::uint64_t, std::uint32_t>;
    constexpr int V = kLanes<T>;
    T lanes[V];
    pstoreu(lanes, t);
    for (T& v : lanes) {
        Bits b;
        std::memcpy(&b, &v, sizeof b);
        b <<= kMantissa;
        std::memcpy(&v, &b, sizeof b);
    }
    return ploadu<Packet<T> >(lanes);
#endif
}

}  // namespace detail

/// Below this x, exp_nonpositive returns exactly 0: the least T whose exact
/// exponential is at least the smallest normal number (exp(-708.3964...) =
/// 2^-1022 in double, exp(-87.33654) = 2^-126 in float). Range reduction
/// needs n >= -1022 (-126) to build 2^n from its bits, which this ensures.
template <class T>
constexpr T exp_underflow() {
    return std::is_same_v<T, float> ? T(-0x1.5d589ep+6f) : T(-0x1.6232bdd7abcd2p+9);
}

/// exp(x) for x <= 0, vectorised: the lane kernels' exponential (normalize)
/// and, through the dispatch table's exp, the tile kernels' (normalize_tile).
///
/// Error bound (tests/test_lane_exp.py checks it on every dispatched build,
/// float exhaustively, double on every n with dense r): at most 2.5 ulp in
/// double and 2 ulp in float (measured 2.1 and 1.75 on x86-64-v3, 1.01 and 1.05
/// with AVX-512's table, exp_table) for x in
/// [exp_underflow, 0], where the result is a normal number or, within
/// 1 ulp of 2^-1022 (2^-126), the subnormal next to it. Exact: exp(0) = 1;
/// x < exp_underflow, -inf included, gives +0 (flush to zero, where the
/// exact value is below the smallest normal); NaN gives NaN. x > 0 is outside
/// the domain (the E-step's arguments are log-ratios to a row's maximum).
///
/// x = n ln2 + r with |r| <= ln2 / 2, exp(r) by its Taylor polynomial
/// (degree 13 in double, 7 in float: the first omitted term is below the
/// last bit), times 2^n made from n's bits. Eigen's exp for double divides
/// two polynomials, and a division costs as much as the whole polynomial.
///
/// The polynomial is evaluated by Estrin's scheme: pairs of coefficients
/// joined by r, r^2, r^4, r^8, 4 dependent FMAs deep (3 in float) where
/// Horner's rule is 13 (7). Normalisation is a chain of exponentials, one per
/// (row, component), and with Horner's rule their latency, not the FMA
/// ports, set its speed.
///
/// kFlush = false leaves out the underflow handling, for a caller whose x are
/// already at least exp_underflow (or NaN): the same bits there, three vector
/// operations fewer (normalize, which clamps them first).
#if defined(EIGEN_VECTORIZE_AVX512)
namespace detail {

/// exp(x) on AVX-512, for x in [exp_underflow, 0] or NaN: x = (16 n + j)
/// ln2 / 16 + r with |r| <= ln2 / 32, exp(x) = 2^n 2^(j/16) exp(r). The 16
/// values 2^(j/16) sit in two registers and one permute picks each lane's
/// (the permute reads only the index's low 4 bits, which the shifter leaves
/// holding j). On the reduced range exp(r) - 1 needs degree 7 in double and
/// 3 in float where the plain reduction needs 13 and 7, with a third of the
/// constants: fewer operations, and 4 interleaved exponentials no longer
/// spill constants to the stack. The result is T_j + T_j (exp(r) - 1) in one
/// FMA, so the 1 + ... of the polynomial is never rounded.
template <class T>
EIGEN_ALWAYS_INLINE Packet<T> exp_table(const Packet<T>& x) {
    using Pk = Packet<T>;
    constexpr bool kDouble = std::is_same_v<T, double>;
    constexpr int kMantissa = std::numeric_limits<T>::digits - 1;
    // Adding the shifter rounds 16 x / ln2 to an integer m = 16 n + j and
    // leaves m + 16 bias in the low bits of t: j in bits 0-3, n + bias above.
    const Pk shifter = kDouble ? pset1<Pk>(T(6755399441055744.0 + 16 * 1023.0))
                               : pset1<Pk>(T(12582912.0f + 16 * 127.0f));
    const Pk t = pmadd(x, pset1<Pk>(T(23.083120654223414)), shifter);  // 16 / ln2
    const Pk m = psub(t, shifter);
    // ln2 / 16 split Cody-Waite style: m has at most 14 bits (11 in float),
    // ln2_hi 32 (13), so m ln2_hi / 16 and x minus it are exact.
    const T ln2_hi = kDouble ? T(6.93147180369123816490e-01 / 16) : T(0x1.62ep-1f / 16);
    const T ln2_lo = kDouble ? T(1.90821492927058770002e-10 / 16)
                             : T((0.6931471805599453 - 0x1.62ep-1) / 16);
    Pk r = pmadd(m, pset1<Pk>(-ln2_hi), x);
    r = pmadd(m, pset1<Pk>(-ln2_lo), r);
    const auto c = [](double v) { return pset1<Pk>(static_cast<T>(v)); };
    const Pk r2 = pmul(r, r);
    Pk q;  // exp(r) - 1
    if constexpr (kDouble) {
        const Pk r4 = pmul(r2, r2);
        const Pk a = pmadd(r, c(1.0 / 6), c(0.5));
        const Pk b = pmadd(r, c(1.0 / 120), c(1.0 / 24));
        const Pk e = pmadd(r, c(1.0 / 5040), c(1.0 / 720));
        q = pmadd(r2, pmadd(r4, e, pmadd(r2, b, a)), r);
    } else {
        q = pmadd(r2, pmadd(r, c(1.0 / 6), c(0.5)), r);
    }
    Pk tj;
    if constexpr (kDouble) {
        // 2^(j/16), each the double nearest.
        const __m512d lo = _mm512_setr_pd(0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0,
                                          0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
                                          0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0,
                                          0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0);
        const __m512d hi = _mm512_setr_pd(0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0,
                                          0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
                                          0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0,
                                          0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0);
        tj = _mm512_permutex2var_pd(lo, _mm512_castpd_si512(t), hi);
    } else {
        const __m512 table = _mm512_setr_ps(
            0x1.000000p+0f, 0x1.0b5586p+0f, 0x1.172b84p+0f, 0x1.2387a6p+0f,
            0x1.306fe0p+0f, 0x1.3dea64p+0f, 0x1.4bfdaep+0f, 0x1.5ab07ep+0f,
            0x1.6a09e6p+0f, 0x1.7a1148p+0f, 0x1.8ace54p+0f, 0x1.9c4918p+0f,
            0x1.ae89fap+0f, 0x1.c199bep+0f, 0x1.d5818ep+0f, 0x1.ea4afap+0f);
        tj = _mm512_permutexvar_ps(_mm512_castps_si512(t), table);
    }
    // 2^n: n + bias is t's bits shifted right by 4, moved into the exponent.
    Pk pow2;
    if constexpr (kDouble) {
        pow2 = _mm512_castsi512_pd(
            _mm512_slli_epi64(_mm512_srli_epi64(_mm512_castpd_si512(t), 4), kMantissa));
    } else {
        pow2 = _mm512_castsi512_ps(
            _mm512_slli_epi32(_mm512_srli_epi32(_mm512_castps_si512(t), 4), kMantissa));
    }
    return pmul(pmadd(tj, q, tj), pow2);
}

}  // namespace detail
#endif

namespace detail {

/// exp(x) for x in [exp_underflow, 0] or NaN: the reduction by ln2 where
/// exp_table is not available.
template <class T>
EIGEN_ALWAYS_INLINE Packet<T> exp_reduced(const Packet<T>& x) {
    using Pk = Packet<T>;
    constexpr bool kDouble = std::is_same_v<T, double>;
    // Adding the shifter (1.5 * 2^mantissa bits, plus the exponent bias) rounds
    // x / ln2 to an integer n and leaves n + bias in the low bits of t.
    const Pk shifter = kDouble ? pset1<Pk>(T(6755399441055744.0 + 1023.0))
                               : pset1<Pk>(T(12582912.0f + 127.0f));
    const Pk t = pmadd(x, pset1<Pk>(T(1.4426950408889634)), shifter);
    const Pk n = psub(t, shifter);
    // r = x - n ln2, with ln2 split Cody-Waite style: ln2_hi has so few
    // significant bits that n ln2_hi is exact for every n of the domain, and
    // x - n ln2_hi is then exact too (the two are within a factor of 2), with
    // or without FMA. A full-precision ln2_hi lost up to 6e-14 near x = -700
    // where pmadd is a multiply and an add (an x86-64 baseline build).
    const T ln2_hi = kDouble ? T(6.93147180369123816490e-01) : T(0.693145752f);
    const T ln2_lo = kDouble ? T(1.90821492927058770002e-10) : T(1.42860677e-06f);
    Pk r = pmadd(n, pset1<Pk>(-ln2_hi), x);
    r = pmadd(n, pset1<Pk>(-ln2_lo), r);
    const auto c = [](double v) { return pset1<Pk>(static_cast<T>(v)); };  // 1/i!
    const Pk r2 = pmul(r, r);
    const Pk r4 = pmul(r2, r2);
    const Pk s0 = pmadd(pmadd(r, c(1.0 / 6), c(0.5)), r2, pmadd(r, c(1.0), c(1.0)));
    const Pk s1 = pmadd(pmadd(r, c(1.0 / 5040), c(1.0 / 720)), r2,
                        pmadd(r, c(1.0 / 120), c(1.0 / 24)));
    Pk p = pmadd(s1, r4, s0);  // degree 7
    if constexpr (kDouble) {
        const Pk s2 = pmadd(pmadd(r, c(1.0 / 39916800), c(1.0 / 3628800)), r2,
                            pmadd(r, c(1.0 / 362880), c(1.0 / 40320)));
        const Pk o1 = pmadd(pmadd(r, c(1.0 / 6227020800), c(1.0 / 479001600)), r4, s2);
        p = pmadd(o1, pmul(r4, r4), p);  // degree 13
    }
    return pmul(p, pow2_from_bits<T>(t));
}

}  // namespace detail

template <class T, bool kFlush = true>
EIGEN_ALWAYS_INLINE Packet<T> exp_nonpositive(const Packet<T>& x_in) {
    using Pk = Packet<T>;
    // Underflow: the reduction runs on max(x, exp_underflow) (pmax keeps a
    // NaN x, as std::max does), and lanes below are zeroed at the end (the
    // comparison is false for NaN). Off the critical path of the polynomial.
    const Pk lowest = pset1<Pk>(exp_underflow<T>());
    const Pk under = kFlush ? Eigen::internal::pcmp_lt(x_in, lowest) : pset1<Pk>(T(0));
    const Pk x = kFlush ? pmax(x_in, lowest) : x_in;
#if defined(EIGEN_VECTORIZE_AVX512)
    const Pk e = detail::exp_table<T>(x);
#else
    const Pk e = detail::exp_reduced<T>(x);
#endif
    if constexpr (kFlush) return Eigen::internal::pandnot(e, under);
    return e;
}

/// out[i] = exp_nonpositive(x[i]) for i < n, a packet at a time (the last
/// one padded with zeros); out may be x (in place). The exponential of the
/// lane kernels, for the tile kernels and for tests of its error bound.
template <class T>
void exp_array(const T* x, Index n, T* out) {
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    Index i = 0;
    for (; i + V <= n; i += V) pstoreu(out + i, exp_nonpositive<T>(ploadu<Pk>(x + i)));
    if (i < n) {
        T in[V] = {}, res[V];
        std::copy(x + i, x + n, in);
        pstoreu(res, exp_nonpositive<T>(ploadu<Pk>(in)));
        std::copy(res, res + (n - i), out + i);
    }
}

using emclust_dispatch::LaneModel;

/// logp(k, b) = log pi_k N(x_b | k) for the rows b < n_pad of the transposed
/// tile x (D, ld), and mx(b) = max_k logp(k, b). The whitening uses only the
/// lower triangle of C_k^T.
///
/// Full covariances take the difference x - mu one feature at a time (read
/// from the tile, which is in L1) and add its share to every whitened
/// coordinate y_j, j >= i: the D coordinates are D independent chains of
/// FMAs, where a row of C at a time made one chain of up to D dependent FMAs
/// per coordinate and held 2D packets in registers. y_i is final once
/// feature i is in, and goes into one of two sums of squares at once.
template <class T, int D, bool Full>
void log_prob(const LaneModel<T>& m, const T* x, Index n_pad, T* logp, T* mx) {
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    constexpr Index ld = kTileRows;
    const Index K = m.n_components;
    for (Index b = 0; b < n_pad; b += V) {
        // Diagonal covariances keep the packet's features in registers.
        Pk xv[Full ? 1 : D];
        if constexpr (!Full) {
            EMCLUST_UNROLL
            for (int i = 0; i < D; ++i) xv[i] = ploadu<Pk>(x + i * ld + b);
        }
        Pk best = pset1<Pk>(-std::numeric_limits<T>::infinity());
        for (Index k = 0; k < K; ++k) {
            const T* mu = m.means + k * D;
            Pk sq = pset1<Pk>(T(0));
            if constexpr (Full) {
                const T* c = m.factors + k * m.factor_stride;
                Pk y[D];
                Pk sq1 = pset1<Pk>(T(0));
                EMCLUST_UNROLL
                for (int i = 0; i < D; ++i) {
                    const Pk dv = psub(ploadu<Pk>(x + i * ld + b), pset1<Pk>(mu[i]));
                    EMCLUST_UNROLL
                    for (int j = i; j < D; ++j) {
                        const Pk cd = pset1<Pk>(c[j * D + i]);
                        y[j] = i == 0 ? pmul(cd, dv) : pmadd(cd, dv, y[j]);
                    }
                    if (i % 2 == 0) {
                        sq = pmadd(y[i], y[i], sq);
                    } else {
                        sq1 = pmadd(y[i], y[i], sq1);
                    }
                }
                sq = padd(sq, sq1);
            } else {
                const T* pr = m.precisions + k * D;
                EMCLUST_UNROLL
                for (int i = 0; i < D; ++i) {
                    const Pk dv = psub(xv[i], pset1<Pk>(mu[i]));
                    sq = pmadd(pset1<Pk>(pr[i]), pmul(dv, dv), sq);
                }
            }
            const Pk l = pmadd(pset1<Pk>(T(-0.5)), sq, pset1<Pk>(m.log_norm[k]));
            pstoreu(logp + k * ld + b, l);
            best = pmax(best, l);
        }
        pstoreu(mx + b, best);
    }
}

/// Turns logp(:, 0:n_pad) into exp(logp - max) (clamped below at
/// exp(floor)), lse(0:n) from the maxima into log p(x), and writes scale(b) =
/// w_b / sum_k exp(logp - max): the responsibilities times the row weights are
/// logp(k, b) * scale(b). Rows every component gives probability 0 get no
/// responsibility and log p(x) = -inf; rows from n to n_pad scale 0.
/// @param weights (n), or null for unit weights  @param flags (n_pad) work space
template <class T>
void normalize(Index K, Index n, Index n_pad, T floor, T* logp, Index ld, T* lse,
               T* scale, const T* weights, T* flags) {
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    // A row that every component gives probability 0 (max = -inf) is
    // normalised about 0, flagged, and then given no responsibility. So is a
    // padding row (zeros, which can be that far from every mean too): its
    // exponentials must stay finite, since its scale of 0 multiplies them.
    // They are found a packet at a time (flags(b) = 1, padding included): a
    // scalar loop with a branch per row took a fifth of this function at d = 2.
    const Pk neg_inf = pset1<Pk>(-std::numeric_limits<T>::infinity());
    const Pk one = pset1<Pk>(T(1));
    Pk any = pset1<Pk>(T(0));
    for (Index b = 0; b < n_pad; b += V) {
        const Pk l = ploadu<Pk>(lse + b);
        const Pk finite = Eigen::internal::pcmp_lt(neg_inf, l);  // false for NaN
        const Pk flag = Eigen::internal::pandnot(one, finite);
        pstoreu(lse + b, Eigen::internal::pand(l, finite));
        pstoreu(flags + b, flag);
        any = Eigen::internal::por(any, flag);
    }
    const bool impossible = predux_max(any) != T(0);
    // At least exp_underflow, so the exponentials need no underflow handling.
    const Pk lo = pset1<Pk>(std::max(floor, exp_underflow<T>()));
    // Four packets of rows at a time: four independent exponentials per
    // component keep the FMA ports busy while each waits on its own chain.
    constexpr int kUnroll = 4;
    constexpr Index kStep = Index{kUnroll} * V;
    Index b = 0;
    for (; b + kStep <= n_pad; b += kStep) {
        Pk mx[kUnroll], sum[kUnroll];
        EMCLUST_UNROLL
        for (int u = 0; u < kUnroll; ++u) {
            mx[u] = ploadu<Pk>(lse + b + u * V);
            sum[u] = pset1<Pk>(T(0));
        }
        for (Index k = 0; k < K; ++k) {
            T* row = logp + k * ld + b;
            EMCLUST_UNROLL
            for (int u = 0; u < kUnroll; ++u) {
                const Pk e = exp_nonpositive<T, false>(
                    pmax(psub(ploadu<Pk>(row + u * V), mx[u]), lo));
                pstoreu(row + u * V, e);
                sum[u] = padd(sum[u], e);
            }
        }
        EMCLUST_UNROLL
        for (int u = 0; u < kUnroll; ++u) {
            pstoreu(scale + b + u * V, pdiv(pset1<Pk>(T(1)), sum[u]));
            pstoreu(lse + b + u * V, padd(mx[u], Eigen::internal::plog(sum[u])));
        }
    }
    for (; b < n_pad; b += V) {
        const Pk mx = ploadu<Pk>(lse + b);
        Pk sum = pset1<Pk>(T(0));
        for (Index k = 0; k < K; ++k) {
            T* row = logp + k * ld + b;
            const Pk e = exp_nonpositive<T, false>(pmax(psub(ploadu<Pk>(row), mx), lo));
            pstoreu(row, e);
            sum = padd(sum, e);
        }
        pstoreu(scale + b, pdiv(pset1<Pk>(T(1)), sum));
        pstoreu(lse + b, padd(mx, Eigen::internal::plog(sum)));
    }
    if (weights != nullptr)
        for (Index b = 0; b < n; ++b) scale[b] *= weights[b];
    for (Index b = n; b < n_pad; ++b) scale[b] = T(0);
    if (impossible) {
        for (Index b = 0; b < n; ++b) {
            if (flags[b] != T(0)) {
                scale[b] = T(0);
                lse[b] = -std::numeric_limits<T>::infinity();
            }
        }
    }
}

/// Adds component k's sums over the rows b < n_pad of the tile for a full or
/// tied mixture, taken about shift (K, D): N_k += sum g, first_k += sum g d,
/// and the lower triangle of second_k (row-major D x D) += sum g d d^T, where
/// g = e(k, b) * scale(b) and d = x_b - shift_k. Sums over the tile are formed
/// in T and added in double.
///
/// Up to kRegisterScatterFeatures the whole triangle is accumulated in
/// registers in one pass. Above, one pass stores g d and d into wd and dm, packet by
/// packet (padded_features(D) x V values each; features D to the padded count must be
/// zero), and the triangle is a product of the two made of register tiles of
/// kScatterTileRows x 4 entries, each a packet of rows summed once at the end of the
/// tile.
template <class T, int D>
void full_statistics(Index K, const T* shift, const T* x, Index n_pad, const T* e,
                     const T* scale, T* wd, T* dm, double* resp_sum, double* first,
                     double* second) {
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    constexpr Index ld = kTileRows;
    for (Index k = 0; k < K; ++k) {
        const T* c = shift + k * D;
        const T* ek = e + k * ld;
        Pk n_acc = pset1<Pk>(T(0));
        Pk f_acc[D];
        EMCLUST_UNROLL
        for (auto& v : f_acc) v = pset1<Pk>(T(0));
        double* sec = second + k * D * D;
        if constexpr (D <= kRegisterScatterFeatures) {
            constexpr int kTri = D * (D + 1) / 2;
            Pk s_acc[kTri];
            EMCLUST_UNROLL
            for (auto& v : s_acc) v = pset1<Pk>(T(0));
            for (Index b = 0; b < n_pad; b += V) {
                const Pk g = pmul(ploadu<Pk>(ek + b), ploadu<Pk>(scale + b));
                n_acc = padd(n_acc, g);
                Pk dv[D], wv[D];
                EMCLUST_UNROLL
                for (int i = 0; i < D; ++i) {
                    dv[i] = psub(ploadu<Pk>(x + i * ld + b), pset1<Pk>(c[i]));
                    wv[i] = pmul(g, dv[i]);
                    f_acc[i] = padd(f_acc[i], wv[i]);
                }
                int t = 0;
                EMCLUST_UNROLL
                for (int i = 0; i < D; ++i) EMCLUST_UNROLL
                for (int j = 0; j <= i; ++j, ++t)
                    s_acc[t] = pmadd(wv[i], dv[j], s_acc[t]);
            }
            int t = 0;
            EMCLUST_UNROLL
            for (int i = 0; i < D; ++i) EMCLUST_UNROLL
            for (int j = 0; j <= i; ++j, ++t)
                sec[i * D + j] += static_cast<double>(predux(s_acc[t]));
        } else {
            // Slices of S packets: the slice's g d and d are stored in panels
            // (packet p's P features together, one pointer walking each array)
            // and every register tile of the triangle takes the slice's rows,
            // its running sums parked in `acc` between slices. A slice's panels
            // (2 P S V values) and the parked sums stay in L1; panels of the
            // whole tile overflowed it, and then the stores of the first pass
            // cost as much as the scatter's FMAs.
            constexpr int P = static_cast<int>(padded_features(D));
            constexpr int R = kScatterTileRows, C = 4, S = kScatterSlicePackets;
            static constexpr auto kTiles = scatter_tiles<P>();
            constexpr int kCount = static_cast<int>(kTiles.size());
            Pk acc[kCount][R][C];
            for (auto& tile : acc) EMCLUST_UNROLL
            for (auto& row : tile) EMCLUST_UNROLL
            for (auto& v : row) v = pset1<Pk>(T(0));
            const Index packets = n_pad / V;
            for (Index p0 = 0; p0 < packets; p0 += S) {
                const Index slice = std::min<Index>(S, packets - p0);
                T* wp = wd;
                T* dp = dm;
                for (Index p = p0; p < p0 + slice; ++p, wp += P * V, dp += P * V) {
                    const Index b = p * V;
                    const Pk g = pmul(ploadu<Pk>(ek + b), ploadu<Pk>(scale + b));
                    n_acc = padd(n_acc, g);
                    EMCLUST_UNROLL
                    for (int i = 0; i < D; ++i) {
                        const Pk dv = psub(ploadu<Pk>(x + i * ld + b), pset1<Pk>(c[i]));
                        const Pk wv = pmul(g, dv);
                        f_acc[i] = padd(f_acc[i], wv);
                        pstoreu(wp + i * V, wv);
                        pstoreu(dp + i * V, dv);
                    }
                }
                for (int t = 0; t < kCount; ++t) {
                    const int i0 = kTiles[t].i0, j0 = kTiles[t].j0;
                    Pk a[R][C];
                    EMCLUST_UNROLL
                    for (int r = 0; r < R; ++r) EMCLUST_UNROLL
                    for (int q = 0; q < C; ++q) a[r][q] = acc[t][r][q];
                    const T* wr = wd + i0 * V;
                    const T* dr = dm + j0 * V;
                    for (Index p = 0; p < slice; ++p, wr += P * V, dr += P * V) {
                        Pk w[R];
                        EMCLUST_UNROLL
                        for (int r = 0; r < R; ++r) w[r] = ploadu<Pk>(wr + r * V);
                        EMCLUST_UNROLL
                        for (int q = 0; q < C; ++q) {
                            const Pk dj = ploadu<Pk>(dr + q * V);
                            EMCLUST_UNROLL
                            for (int r = 0; r < R; ++r)
                                a[r][q] = pmadd(w[r], dj, a[r][q]);
                        }
                    }
                    EMCLUST_UNROLL
                    for (int r = 0; r < R; ++r) EMCLUST_UNROLL
                    for (int q = 0; q < C; ++q) acc[t][r][q] = a[r][q];
                }
            }
            for (int t = 0; t < kCount; ++t) {
                const int i0 = kTiles[t].i0, j0 = kTiles[t].j0;
                EMCLUST_UNROLL
                for (int r = 0; r < R; ++r) {
                    EMCLUST_UNROLL
                    for (int q = 0; q < C; ++q) {
                        const int i = i0 + r, j = j0 + q;
                        if (i < D && j <= i)
                            sec[i * D + j] += static_cast<double>(predux(acc[t][r][q]));
                    }
                }
            }
        }
        resp_sum[k] += static_cast<double>(predux(n_acc));
        EMCLUST_UNROLL
        for (int i = 0; i < D; ++i)
            first[k * D + i] += static_cast<double>(predux(f_acc[i]));
    }
}

namespace detail {

/// Features [F0, F0 + kBlock) of diag_statistics for component k, then the
/// next block: each block's first and second moments stay in registers.
template <class T, int D, int F0>
void diag_block(const T* c, const T* x, Index n_pad, const T* ek, const T* scale,
                double* first, double* second, double* resp_sum) {
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    constexpr Index ld = kTileRows;
    constexpr int kBlock = kVectorRegisters >= 32 ? 8 : 4;
    constexpr int FB = D - F0 < kBlock ? D - F0 : kBlock;
    Pk n_acc = pset1<Pk>(T(0));
    Pk f_acc[FB], s_acc[FB];
    EMCLUST_UNROLL
    for (int i = 0; i < FB; ++i) f_acc[i] = s_acc[i] = pset1<Pk>(T(0));
    for (Index b = 0; b < n_pad; b += V) {
        const Pk g = pmul(ploadu<Pk>(ek + b), ploadu<Pk>(scale + b));
        if constexpr (F0 == 0) n_acc = padd(n_acc, g);
        EMCLUST_UNROLL
        for (int i = 0; i < FB; ++i) {
            const Pk dv = psub(ploadu<Pk>(x + (F0 + i) * ld + b), pset1<Pk>(c[F0 + i]));
            const Pk wv = pmul(g, dv);
            f_acc[i] = padd(f_acc[i], wv);
            s_acc[i] = pmadd(wv, dv, s_acc[i]);
        }
    }
    EMCLUST_UNROLL
    for (int i = 0; i < FB; ++i) {
        first[F0 + i] += static_cast<double>(predux(f_acc[i]));
        second[F0 + i] += static_cast<double>(predux(s_acc[i]));
    }
    if constexpr (F0 == 0) *resp_sum += static_cast<double>(predux(n_acc));
    if constexpr (F0 + FB < D)
        diag_block<T, D, F0 + FB>(c, x, n_pad, ek, scale, first, second, resp_sum);
}

}  // namespace detail

/// As full_statistics for diagonal and spherical mixtures: second_k (D) +=
/// sum g d^2.
template <class T, int D>
void diag_statistics(Index K, const T* shift, const T* x, Index n_pad, const T* e,
                     const T* scale, double* resp_sum, double* first, double* second) {
    for (Index k = 0; k < K; ++k) {
        detail::diag_block<T, D, 0>(shift + k * D, x, n_pad, e + k * kTileRows, scale,
                                    first + k * D, second + k * D, resp_sum + k);
    }
}

/// log_prob for diagonal and spherical mixtures with any number of features:
/// a packet's features are read from the tile (L1) for every component, and
/// two partial sums halve the dependency chain.
template <class T>
void diag_log_prob(const LaneModel<T>& m, const T* x, Index ld, Index n_pad, T* logp,
                   T* mx) {
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    const Index K = m.n_components, d = m.n_features;
    for (Index b = 0; b < n_pad; b += V) {
        Pk best = pset1<Pk>(-std::numeric_limits<T>::infinity());
        for (Index k = 0; k < K; ++k) {
            const T* mu = m.means + k * d;
            const T* pr = m.precisions + k * d;
            Pk sq0 = pset1<Pk>(T(0)), sq1 = pset1<Pk>(T(0));
            Index i = 0;
            for (; i + 2 <= d; i += 2) {
                const Pk d0 = psub(ploadu<Pk>(x + i * ld + b), pset1<Pk>(mu[i]));
                const Pk d1 =
                    psub(ploadu<Pk>(x + (i + 1) * ld + b), pset1<Pk>(mu[i + 1]));
                sq0 = pmadd(pset1<Pk>(pr[i]), pmul(d0, d0), sq0);
                sq1 = pmadd(pset1<Pk>(pr[i + 1]), pmul(d1, d1), sq1);
            }
            if (i < d) {
                const Pk d0 = psub(ploadu<Pk>(x + i * ld + b), pset1<Pk>(mu[i]));
                sq0 = pmadd(pset1<Pk>(pr[i]), pmul(d0, d0), sq0);
            }
            const Pk l =
                pmadd(pset1<Pk>(T(-0.5)), padd(sq0, sq1), pset1<Pk>(m.log_norm[k]));
            pstoreu(logp + k * ld + b, l);
            best = pmax(best, l);
        }
        pstoreu(mx + b, best);
    }
}

namespace detail {

/// Features [f0, f0 + FB) of component k's diagonal sums (as diag_block), with
/// N_k too when with_n.
template <class T, int FB>
void diag_block_at(Index f0, const T* c, const T* x, Index ld, Index n_pad, const T* ek,
                   const T* scale, double* first, double* second, double* resp_sum,
                   bool with_n) {
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    Pk n_acc = pset1<Pk>(T(0));
    Pk f_acc[FB], s_acc[FB];
    EMCLUST_UNROLL
    for (int i = 0; i < FB; ++i) f_acc[i] = s_acc[i] = pset1<Pk>(T(0));
    for (Index b = 0; b < n_pad; b += V) {
        const Pk g = pmul(ploadu<Pk>(ek + b), ploadu<Pk>(scale + b));
        n_acc = padd(n_acc, g);
        EMCLUST_UNROLL
        for (int i = 0; i < FB; ++i) {
            const Pk dv = psub(ploadu<Pk>(x + (f0 + i) * ld + b), pset1<Pk>(c[f0 + i]));
            const Pk wv = pmul(g, dv);
            f_acc[i] = padd(f_acc[i], wv);
            s_acc[i] = pmadd(wv, dv, s_acc[i]);
        }
    }
    EMCLUST_UNROLL
    for (int i = 0; i < FB; ++i) {
        first[f0 + i] += static_cast<double>(predux(f_acc[i]));
        second[f0 + i] += static_cast<double>(predux(s_acc[i]));
    }
    if (with_n) *resp_sum += static_cast<double>(predux(n_acc));
}

}  // namespace detail

/// diag_statistics with the feature count known at run time: whole blocks of
/// kBlock features, then one block of the rest.
template <class T>
void diag_statistics_any(Index K, Index d, const T* shift, const T* x, Index ld,
                         Index n_pad, const T* e, const T* scale, double* resp_sum,
                         double* first, double* second) {
    constexpr int kBlock = kVectorRegisters >= 32 ? 8 : 4;
    for (Index k = 0; k < K; ++k) {
        const T* c = shift + k * d;
        const T* ek = e + k * ld;
        Index f0 = 0;
        for (; f0 + kBlock <= d; f0 += kBlock) {
            detail::diag_block_at<T, kBlock>(f0, c, x, ld, n_pad, ek, scale,
                                             first + k * d, second + k * d,
                                             resp_sum + k, f0 == 0);
        }
        if (f0 < d) {
            with_features<kBlock - 1>(d - f0, [&](auto FB) {
                detail::diag_block_at<T, decltype(FB)::value>(
                    f0, c, x, ld, n_pad, ek, scale, first + k * d, second + k * d,
                    resp_sum + k, f0 == 0);
            });
        }
    }
}

/// Refuses a full or tied model the compile-time kernels cannot take: they
/// exist for d <= kMaxFullFeatures and address tiles of kTileRows rows. The
/// host calls them only so (lanes_apply and a static_assert on its block
/// size); a wrong call must fail, not run the diagonal kernels.
inline void check_full_lanes(Index d, Index ld) {
    if (d > kMaxFullFeatures || ld != kTileRows)
        throw std::logic_error("full-covariance lane kernels called out of contract");
}

/// log_prob, or diag_log_prob, for m's covariance type and feature count.
template <class T>
void log_prob_any(const LaneModel<T>& m, const T* x, Index ld, Index n_pad, T* logp,
                  T* mx) {
    const Index d = m.n_features;
    if (m.full) {
        check_full_lanes(d, ld);
        with_features<kMaxFullFeatures>(d, [&](auto D) {
            log_prob<T, decltype(D)::value, true>(m, x, n_pad, logp, mx);
        });
        return;
    }
    const bool fixed =
        ld == kTileRows && with_features<kMaxDiagFeatures>(d, [&](auto D) {
            log_prob<T, decltype(D)::value, false>(m, x, n_pad, logp, mx);
        });
    if (!fixed) diag_log_prob<T>(m, x, ld, n_pad, logp, mx);
}

/// full_statistics, diag_statistics or diag_statistics_any for m.
template <class T>
void statistics_any(const LaneModel<T>& m, const T* shift, const T* x, Index ld,
                    Index n_pad, const T* e, const T* scale, T* wd, T* dm,
                    double* resp_sum, double* first, double* second) {
    const Index K = m.n_components, d = m.n_features;
    if (m.full) {
        check_full_lanes(d, ld);
        with_features<kMaxFullFeatures>(d, [&](auto D) {
            full_statistics<T, decltype(D)::value>(K, shift, x, n_pad, e, scale, wd, dm,
                                                   resp_sum, first, second);
        });
        return;
    }
    const bool fixed =
        ld == kTileRows && with_features<kMaxDiagFeatures>(d, [&](auto D) {
            diag_statistics<T, decltype(D)::value>(K, shift, x, n_pad, e, scale,
                                                   resp_sum, first, second);
        });
    if (!fixed)
        diag_statistics_any<T>(K, d, shift, x, ld, n_pad, e, scale, resp_sum, first,
                               second);
}

}  // namespace emclust::lanes

#undef EMCLUST_UNROLL
