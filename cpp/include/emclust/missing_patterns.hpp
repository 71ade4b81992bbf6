// Rows grouped by which of their entries are missing (NaN).
#pragma once

#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

#include "errors.hpp"
#include "types.hpp"

namespace emclust {

/// The distinct missingness patterns of a data set and the rows of each.
/// Patterns are numbered in the order of their first row, and `order` lists
/// the rows pattern after pattern, each pattern's rows in their original
/// order: both depend on the data only, so a pass over `order` cut into fixed
/// chunks reduces to the same bits for any thread count.
struct MissingPatterns {
    Index n_rows = 0;
    Index n_features = 0;
    std::vector<Index> order;  ///< (n) row indices grouped by pattern
    std::vector<Index> begin;  ///< (P + 1) where each pattern starts in `order`
    std::vector<std::vector<Index>> observed;  ///< per pattern, ascending features
    std::vector<std::vector<Index>> missing;   ///< per pattern, ascending features

    Index n_patterns() const { return static_cast<Index>(observed.size()); }
    /// True when some row has a missing entry.
    bool any_missing() const {
        for (const auto& m : missing)
            if (!m.empty()) return true;
        return false;
    }
};

/// True when X has a NaN entry (the cheap test that keeps complete data on
/// the dense kernels).
template <class T>
bool contains_nan(const ConstRowMatrixRef<T>& X) {
    for (Index i = 0; i < X.rows(); ++i)
        if (X.row(i).array().isNaN().any()) return true;
    return false;
}

/// Groups the rows of X by their NaN pattern. Throws InvalidArgument for an
/// infinite entry, a row with every entry missing, and, when
/// `require_every_feature`, a feature missing in every row (its mean and
/// variance would be undefined). A chunk of a larger data set (the statistics
/// API) passes false: another chunk may observe that feature.
template <class T>
MissingPatterns find_missing_patterns(const ConstRowMatrixRef<T>& X,
                                      bool require_every_feature = true) {
    const Index n = X.rows(), d = X.cols();
    MissingPatterns mp;
    mp.n_rows = n;
    mp.n_features = d;
    std::vector<Index> pattern_of(static_cast<std::size_t>(n));
    std::vector<Index> counts;
    std::unordered_map<std::string, Index> ids;
    std::vector<Index> observed_count(static_cast<std::size_t>(d), 0);
    std::string key(static_cast<std::size_t>(d), '1');
    for (Index i = 0; i < n; ++i) {
        Index n_observed = 0;
        for (Index j = 0; j < d; ++j) {
            const T v = X(i, j);
            if (std::isinf(v)) {
                throw InvalidArgument(
                    "X contains infinity at row " + std::to_string(i) + ", feature " +
                    std::to_string(j) + "; only NaN marks a missing entry");
            }
            const bool seen = !std::isnan(v);
            key[static_cast<std::size_t>(j)] = seen ? '1' : '0';
            n_observed += seen ? 1 : 0;
            observed_count[static_cast<std::size_t>(j)] += seen ? 1 : 0;
        }
        if (n_observed == 0) {
            throw InvalidArgument("row " + std::to_string(i) +
                                  " of X has every entry missing; drop such rows");
        }
        auto [it, inserted] = ids.try_emplace(key, static_cast<Index>(counts.size()));
        if (inserted) {
            counts.push_back(0);
            std::vector<Index> obs, mis;
            for (Index j = 0; j < d; ++j)
                (key[static_cast<std::size_t>(j)] == '1' ? obs : mis).push_back(j);
            mp.observed.push_back(std::move(obs));
            mp.missing.push_back(std::move(mis));
        }
        pattern_of[static_cast<std::size_t>(i)] = it->second;
        ++counts[static_cast<std::size_t>(it->second)];
    }
    if (require_every_feature && n > 0) {
        for (Index j = 0; j < d; ++j) {
            if (observed_count[static_cast<std::size_t>(j)] == 0) {
                throw InvalidArgument("feature " + std::to_string(j) +
                                      " of X is missing in every row");
            }
        }
    }
    // Counting sort of the rows by pattern (stable).
    const std::size_t n_patterns = counts.size();
    mp.begin.assign(n_patterns + 1, 0);
    for (std::size_t p = 0; p < n_patterns; ++p)
        mp.begin[p + 1] = mp.begin[p] + counts[p];
    std::vector<Index> next(mp.begin.begin(), mp.begin.end() - 1);
    mp.order.resize(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) {
        const auto p =
            static_cast<std::size_t>(pattern_of[static_cast<std::size_t>(i)]);
        mp.order[static_cast<std::size_t>(next[p]++)] = i;
    }
    return mp;
}

}  // namespace emclust
