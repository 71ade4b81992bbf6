// Matrix aliases shared by the whole core.
#pragma once

#include <Eigen/Core>

namespace emclust {

using Index = Eigen::Index;

/// Row-major dense matrix: the layout of a C-contiguous NumPy array.
template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Read-only view of row-major data (binds to an Eigen::Map without a copy).
template <class T>
using ConstRowMatrixRef = Eigen::Ref<const RowMatrix<T>>;

using RowMatrixXd = RowMatrix<double>;

}  // namespace emclust
