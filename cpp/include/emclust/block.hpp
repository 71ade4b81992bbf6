// Transposed row tiles: the layout every kernel works on.
#pragma once

#include "simd.hpp"
#include "types.hpp"

namespace emclust {

/// A tile of up to `capacity` consecutive rows stored transposed, (d, rows),
/// row-major: feature j of all rows is one contiguous vector, so per-row
/// arithmetic vectorises over rows whatever the number of features.
template <class T>
using Tile = RowMatrix<T>;

/// Copies rows [begin, begin + n) of X into the first n columns of `tile`.
template <class T>
void load_tile(const ConstRowMatrixRef<T>& X, Index begin, Index n, Tile<T>& tile) {
    transpose_rows<T>(X, begin, n, nullptr, tile.data(), tile.cols());
}

}  // namespace emclust
