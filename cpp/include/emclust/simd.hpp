// SIMD packets as Eigen vectorises them, and the transposition of row blocks
// into the feature-major layout that puts one row in each lane.
#pragma once

#include "types.hpp"

namespace emclust {

/// SIMD packet of T as Eigen vectorises it for the target (8 doubles with
/// AVX-512, 4 with AVX2, 2 with SSE2 or NEON); the lane kernels are written on
/// Eigen's packet primitives so that they are explicit SIMD on every target
/// without intrinsics of our own.
template <class T>
using Packet = typename Eigen::internal::packet_traits<T>::type;

template <class T>
inline constexpr int kLanes = Eigen::internal::unpacket_traits<Packet<T>>::size;

// PacketBlock<__m512d, 8> drops the vector type's alignment attribute from the
// template argument, which GCC reports; the block lives in registers.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#endif

/// out[j * ld + i] = X(begin + i, j) - shift[j] for i < len, j < d: rows of X
/// become contiguous feature vectors. Whole V×V squares (V = SIMD lanes) are
/// transposed in registers; element by element, as Eigen assigns between the
/// two storage orders, this took a third of the nearest-centre time at d = 16.
/// @param shift (d), or null for none
template <class T>
void transpose_rows(const ConstRowMatrixRef<T>& X, Index begin, Index len,
                    const T* shift, T* out, Index ld) {
    using namespace Eigen::internal;
    using Pk = Packet<T>;
    constexpr int V = kLanes<T>;
    const Index d = X.cols(), d_squares = d / V * V, len_squares = len / V * V;
    const auto s = [shift](Index j) { return shift == nullptr ? T(0) : shift[j]; };
    for (Index i0 = 0; i0 < len_squares; i0 += V) {
        for (Index j0 = 0; j0 < d_squares; j0 += V) {
            PacketBlock<Pk, V> square;
            const Pk sj = shift == nullptr ? pset1<Pk>(T(0)) : ploadu<Pk>(shift + j0);
            for (int r = 0; r < V; ++r) {
                square.packet[r] =
                    psub(ploadu<Pk>(X.row(begin + i0 + r).data() + j0), sj);
            }
            ptranspose(square);
            for (int r = 0; r < V; ++r)
                pstoreu(out + (j0 + r) * ld + i0, square.packet[r]);
        }
        for (Index i = i0; i < i0 + V; ++i) {
            const T* x = X.row(begin + i).data();
            for (Index j = d_squares; j < d; ++j) out[j * ld + i] = x[j] - s(j);
        }
    }
    for (Index i = len_squares; i < len; ++i) {
        const T* x = X.row(begin + i).data();
        for (Index j = 0; j < d; ++j) out[j * ld + i] = x[j] - s(j);
    }
}

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

}  // namespace emclust
