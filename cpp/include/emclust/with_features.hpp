// Compile-time feature counts: a kernel instantiated for each d up to a
// maximum, chosen at run time (the lane kernels, K-means' fold).
#pragma once

#include <type_traits>
#include <utility>

#include "types.hpp"

namespace emclust {

/// Calls f(std::integral_constant<int, D>) for the compile-time D == d, or
/// returns false when d is above Max.
template <int Max, int D = 1, class F>
bool with_features(Index d, F&& f) {
    if constexpr (D > Max) {
        return false;
    } else {
        if (d == D) {
            f(std::integral_constant<int, D>{});
            return true;
        }
        return with_features<Max, D + 1>(d, std::forward<F>(f));
    }
}

}  // namespace emclust
