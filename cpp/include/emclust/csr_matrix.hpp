// Compressed sparse rows (scipy.sparse's CSR): a non-owning view, its checks,
// and the canonical form (sorted indices, no duplicates) the kernels read.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "errors.hpp"
#include "types.hpp"

namespace emclust {

/// Row r holds the entries indptr[r] .. indptr[r + 1] - 1 of indices (their
/// columns) and data (their values). Entries never stored are zeros.
/// @tparam T float or double  @tparam I std::int32_t or std::int64_t
template <class T, class I>
struct CsrView {
    const I* indptr = nullptr;   ///< (rows + 1)
    const I* indices = nullptr;  ///< (at least indptr[rows])
    const T* data = nullptr;     ///< (at least indptr[rows])
    Index rows = 0;
    Index cols = 0;

    Index begin(Index r) const { return static_cast<Index>(indptr[r]); }
    Index end(Index r) const { return static_cast<Index>(indptr[r + 1]); }
    Index nnz() const { return rows == 0 ? 0 : static_cast<Index>(indptr[rows]); }
};

/// Throws InvalidArgument unless `X` is a well-formed CSR matrix whose index
/// and value arrays hold `stored` entries: indptr starts at 0, never
/// decreases and ends at most at `stored`; every column index lies in
/// [0, cols); every value is finite. Duplicate and unsorted column indices
/// are allowed (see canonical_csr).
template <class T, class I>
void check_csr(const CsrView<T, I>& X, Index stored) {
    if (X.rows < 0 || X.cols < 0) throw InvalidArgument("X has a negative shape");
    if (X.indptr[0] != 0) throw InvalidArgument("X.indptr must start at 0");
    for (Index r = 0; r < X.rows; ++r) {
        if (X.indptr[r + 1] < X.indptr[r]) {
            throw InvalidArgument("X.indptr must not decrease (row " +
                                  std::to_string(r) + ")");
        }
    }
    if (X.nnz() > stored) {
        throw InvalidArgument("X.indptr[-1] = " + std::to_string(X.nnz()) +
                              " exceeds the " + std::to_string(stored) +
                              " stored entries of X.indices and X.data");
    }
    for (Index e = 0; e < X.nnz(); ++e) {
        if (X.indices[e] < 0 || static_cast<Index>(X.indices[e]) >= X.cols) {
            throw InvalidArgument(
                "X.indices must lie in [0, n_features = " + std::to_string(X.cols) +
                "), got " + std::to_string(X.indices[e]));
        }
        if (!std::isfinite(X.data[e]))
            throw InvalidArgument("X contains NaN or infinity");
    }
}

/// True when the column indices of every row are strictly increasing.
template <class T, class I>
bool has_canonical_format(const CsrView<T, I>& X) {
    for (Index r = 0; r < X.rows; ++r) {
        for (Index e = X.begin(r) + 1; e < X.end(r); ++e) {
            if (X.indices[e] <= X.indices[e - 1]) return false;
        }
    }
    return true;
}

/// A CSR matrix in canonical form: the caller's arrays when they already are
/// (no copy), else a copy with each row's entries sorted by column and
/// duplicates summed in their stored order (as scipy's toarray adds them, so
/// the densified matrix has the same bits). Only the kernels that are not
/// linear in x (norms, medians, L1 distances) need this, but one form for all
/// keeps them simple; the copy is of the nonzeros only.
template <class T, class I>
class CanonicalCsr {
  public:
    explicit CanonicalCsr(const CsrView<T, I>& X) : view_(X) {
        if (has_canonical_format(X)) return;
        const Index n = X.rows;
        indptr_.assign(static_cast<std::size_t>(n + 1), 0);
        indices_.reserve(static_cast<std::size_t>(X.nnz()));
        data_.reserve(static_cast<std::size_t>(X.nnz()));
        std::vector<Index> order;
        for (Index r = 0; r < n; ++r) {
            order.resize(static_cast<std::size_t>(X.end(r) - X.begin(r)));
            std::iota(order.begin(), order.end(), X.begin(r));
            std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) {
                return X.indices[a] < X.indices[b];
            });
            for (std::size_t e = 0; e < order.size(); ++e) {
                const I col = X.indices[order[e]];
                if (e > 0 && col == indices_.back()) {
                    data_.back() += X.data[order[e]];
                } else {
                    indices_.push_back(col);
                    data_.push_back(X.data[order[e]]);
                }
            }
            indptr_[static_cast<std::size_t>(r + 1)] = static_cast<I>(indices_.size());
        }
        view_.indptr = indptr_.data();
        view_.indices = indices_.data();
        view_.data = data_.data();
    }

    CanonicalCsr(const CanonicalCsr&) = delete;
    CanonicalCsr& operator=(const CanonicalCsr&) = delete;

    const CsrView<T, I>& view() const { return view_; }
    /// Whether the entries had to be copied.
    bool copied() const { return !indptr_.empty(); }

  private:
    CsrView<T, I> view_;
    std::vector<I> indptr_;
    std::vector<I> indices_;
    std::vector<T> data_;
};

/// Dense copy of a CSR matrix (for tests and small inputs only).
template <class T, class I>
RowMatrix<T> csr_to_dense(const CsrView<T, I>& X) {
    RowMatrix<T> out = RowMatrix<T>::Zero(X.rows, X.cols);
    for (Index r = 0; r < X.rows; ++r) {
        for (Index e = X.begin(r); e < X.end(r); ++e) out(r, X.indices[e]) += X.data[e];
    }
    return out;
}

}  // namespace emclust
