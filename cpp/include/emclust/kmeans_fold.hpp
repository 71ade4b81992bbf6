// Folding a block's nearest centres into the per-cluster sums of K-means'
// M-step. On plain pointers, so that a portable build dispatches it
// (dispatch_table.hpp).
#pragma once

#include <cstdint>
#include <type_traits>

#include "dispatch_table.hpp"
#include "types.hpp"
#include "with_features.hpp"

namespace emclust::kmeans_detail {

/// Rows alternate between this many copies of a chunk's per-cluster sums, so
/// that consecutive rows of one cluster (sorted data) do not each wait for
/// the previous row's store to the same accumulator.
inline constexpr Index kSumCopies = emclust_dispatch::kFoldCopies;

/// Folds one block's nearest centres into a chunk's sums and the labels.
/// D > 0: d is D at compile time (the short loops over features unroll);
/// D = 0: d at run time; D < 0: no sums.
/// @param x first row of the block, rows `stride` apart  @param best (len)
/// @param w (len) weights of the block's rows (Weighted only)
/// @param labels (len) in: previous labels, out: best
/// @param sums (kSumCopies, k, d) Σ w x  @param weights (kSumCopies, k) Σ w
/// @param counts (kSumCopies, k) rows with w > 0 (Weighted only)
template <class T, int D, bool Weighted>
void fold_block(const T* x, Index stride, Index d_runtime, Index len, const Index* best,
                const double* w, std::int64_t* labels, Index k, double* sums,
                double* weights, double* counts, std::int64_t* n_changed) {
    const Index d = D > 0 ? D : d_runtime;
    std::int64_t changed = 0;
    for (Index i = 0; i < len; ++i) {
        const Index c = best[i];
        const Index slot = (i % kSumCopies) * k + c;
        changed += labels[i] != c;
        labels[i] = c;
        const double wi = Weighted ? w[i] : 1.0;
        weights[slot] += wi;
        if constexpr (Weighted) counts[slot] += wi > 0.0 ? 1.0 : 0.0;
        if constexpr (D >= 0) {
            double* acc = sums + slot * d;
            const T* xi = x + i * stride;
            for (Index j = 0; j < d; ++j) {
                acc[j] += Weighted ? wi * static_cast<double>(xi[j])
                                   : static_cast<double>(xi[j]);
            }
        }
    }
    *n_changed += changed;
}

/// The table's fold (dispatch_table.hpp): fold_block with d fixed at compile
/// time for d <= 4, weighted when w is given, without sums when sums is null.
template <class T>
void fold(const T* x, Index stride, Index d, Index len, const Index* best,
          const double* w, std::int64_t* labels, Index k, double* sums, double* weights,
          double* counts, std::int64_t* n_changed) {
    const auto run = [&](auto D, auto weighted) {
        fold_block<T, decltype(D)::value, decltype(weighted)::value>(
            x, stride, d, len, best, w, labels, k, sums, weights, counts, n_changed);
    };
    const auto with_d = [&](auto weighted) {
        if (sums == nullptr) return run(std::integral_constant<int, -1>{}, weighted);
        if (!with_features<4>(d, [&](auto D) { run(D, weighted); }))
            run(std::integral_constant<int, 0>{}, weighted);
    };
    if (w != nullptr) return with_d(std::true_type{});
    with_d(std::false_type{});
}

}  // namespace emclust::kmeans_detail
