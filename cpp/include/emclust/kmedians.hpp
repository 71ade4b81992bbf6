// K-medians: K-means with the L1 distance. The centre minimising the sum of
// L1 distances to its members is their component-wise median, so a far
// outlier moves a centre by at most one rank instead of dragging it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "kmeans.hpp"

namespace emclust {

/// Weighted median of values with positive weights: the value at which the
/// cumulative weight (in increasing order of value) passes half the total;
/// when it lands exactly on half, the mean of that value and the next one.
/// With integer weights this is numpy.median of the values repeated by their
/// weights, and with unit weights numpy.median itself.
/// @param items (m >= 1) pairs (value, weight > 0), reordered in place
inline double weighted_median(std::vector<std::pair<double, double>>& items) {
    std::sort(items.begin(), items.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    double total = 0.0;
    for (const auto& item : items) total += item.second;
    const double half = total / 2.0;
    double cumulative = 0.0;
    for (std::size_t i = 0; i < items.size(); ++i) {
        cumulative += items[i].second;
        if (cumulative > half) return items[i].first;
        if (cumulative == half && i + 1 < items.size()) {
            return (items[i].first + items[i + 1].first) / 2.0;
        }
    }
    return items.back().first;
}

/// numpy.median of values (m >= 1), reordered in place.
inline double median(std::vector<double>& values) {
    const std::size_t m = values.size(), mid = m / 2;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid),
                     values.end());
    const double upper = values[mid];
    if (m % 2 == 1) return upper;
    const double lower = *std::max_element(
        values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
    return (lower + upper) / 2.0;
}

namespace kmeans_detail {

/// M-step of K-medians: every centre with members becomes the component-wise
/// (weighted) median of its members of positive weight; the others keep
/// their centre. Work is one task per (cluster, feature), each writing only
/// its own entry.
/// @param X (n, d)  @param labels (n)  @param centres (k, d) in/out
template <class T>
void median_update(const ConstRowMatrixRef<T>& X,
                   const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                   const Labels& labels, RowMatrixXd& centres, ThreadPool& pool,
                   const InterruptCheck& interrupt) {
    const Index n = X.rows(), d = X.cols(), k = centres.rows();
    // Rows grouped by cluster, in increasing row order within a cluster.
    std::vector<Index> start(static_cast<std::size_t>(k + 1), 0);
    for (Index r = 0; r < n; ++r) {
        if (row_weight(sample_weight, r) > 0.0)
            ++start[static_cast<std::size_t>(labels[r] + 1)];
    }
    for (Index c = 0; c < k; ++c) start[c + 1] += start[c];
    std::vector<Index> members(static_cast<std::size_t>(start[k]));
    std::vector<Index> fill(start.begin(), start.end() - 1);
    for (Index r = 0; r < n; ++r) {
        if (row_weight(sample_weight, r) > 0.0) members[fill[labels[r]]++] = r;
    }
    const bool weighted = sample_weight.size() != 0;
    pool.run(
        k * d,
        [&](Index task) {
            const Index c = task / d, j = task % d;
            const Index begin = start[c], end = start[c + 1];
            if (begin == end) return;
            if (weighted) {
                std::vector<std::pair<double, double>> items;
                items.reserve(static_cast<std::size_t>(end - begin));
                for (Index m = begin; m < end; ++m) {
                    const Index r = members[m];
                    items.emplace_back(static_cast<double>(X(r, j)), sample_weight[r]);
                }
                centres(c, j) = weighted_median(items);
            } else {
                std::vector<double> values;
                values.reserve(static_cast<std::size_t>(end - begin));
                for (Index m = begin; m < end; ++m) {
                    values.push_back(static_cast<double>(X(members[m], j)));
                }
                centres(c, j) = median(values);
            }
        },
        interrupt);
}

}  // namespace kmeans_detail

/// K-medians: alternates L1 assignment (nearest centre in Manhattan distance)
/// and the component-wise weighted median of each cluster, seeded by the L1
/// variant of k-means++ (kmedians_plusplus). Stopping rule, restarts and
/// relocation of empty clusters (by L1 distance) are those of kmeans_fit.
/// @param X (n, d)  @param sample_weight (n) or size 0
/// @return centers (n_clusters, d), labels (n), inertia = Σ w ||x - c||₁
template <class T>
KMeansResult kmedians_fit(const ConstRowMatrixRef<T>& X,
                          const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                          const KMeansOptions& options, ThreadPool& pool, Rng& rng,
                          const InterruptCheck& interrupt = {}) {
    const kmeans_detail::CentreUpdate median_step =
        [&](const Labels& labels, const kmeans_detail::ClusterStats&,
            RowMatrixXd& centres) {
            kmeans_detail::median_update<T>(X, sample_weight, labels, centres, pool,
                                            interrupt);
        };
    return kmeans_detail::fit<T>(X, sample_weight, options, Distance::manhattan,
                                 median_step, pool, rng, interrupt);
}

/// kmedians_fit with its own thread pool (n_threads <= 0: every core) and RNG.
template <class T>
KMeansResult kmedians_fit(const ConstRowMatrixRef<T>& X,
                          const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                          const KMeansOptions& options, int n_threads,
                          std::uint64_t seed, const InterruptCheck& interrupt = {}) {
    ThreadPool pool(n_threads);
    Rng rng(seed);
    return kmedians_fit<T>(X, sample_weight, options, pool, rng, interrupt);
}

}  // namespace emclust
