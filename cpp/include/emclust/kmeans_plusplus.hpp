// Greedy k-means++ seeding (Arthur and Vassilvitskii, 2007), weighted, with
// the local trials scikit-learn uses, and its L1 variant for K-medians.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "chunking.hpp"
#include "errors.hpp"
#include "greedy_seeding.hpp"
#include "interrupt.hpp"
#include "kmeans_distance.hpp"
#include "parallel.hpp"
#include "random.hpp"
#include "types.hpp"

namespace emclust {

namespace kmeans_detail {

/// Throws InvalidArgument unless X (n, d) has rows, n_clusters is in [1, n]
/// and sample_weight is empty or n finite non-negative numbers with a
/// positive sum.
inline void check_clustering_shape(
    Index n, Index d, const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    Index n_clusters) {
    if (n < 1 || d < 1)
        throw InvalidArgument("X must have at least one row and one column");
    if (n_clusters < 1 || n_clusters > n) {
        throw InvalidArgument(
            "n_clusters must be in [1, n_samples = " + std::to_string(n) + "], got " +
            std::to_string(n_clusters));
    }
    if (sample_weight.size() != 0) {
        if (sample_weight.size() != n) {
            throw InvalidArgument(
                "sample_weight must have n_samples = " + std::to_string(n) +
                " entries, got " + std::to_string(sample_weight.size()));
        }
        if (!sample_weight.allFinite() || (sample_weight.array() < 0.0).any() ||
            !(sample_weight.sum() > 0.0)) {
            throw InvalidArgument(
                "sample_weight must be finite and non-negative with a positive sum");
        }
    }
}

template <class T>
void check_clustering_input(const ConstRowMatrixRef<T>& X,
                            const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                            Index n_clusters) {
    check_clustering_shape(X.rows(), X.cols(), sample_weight, n_clusters);
}

/// Greedy ++ seeding under `distance`: the first centre is a row drawn with
/// probability proportional to its weight; each next one is the best of
/// 2 + floor(ln k) rows drawn with probability proportional to weight times
/// the distance to the nearest chosen centre, "best" meaning the smallest
/// weighted sum of distances to the nearest centre once it is added.
template <class T>
std::vector<Index> plusplus_seeding(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight, Index n_clusters,
    Distance distance, Rng& rng, ThreadPool& pool, const InterruptCheck& interrupt) {
    check_clustering_input<T>(X, sample_weight, n_clusters);
    const Index d = X.cols();
    const Eigen::VectorXd shift = distance == Distance::squared_euclidean
                                      ? column_mean<T>(X, pool, interrupt)
                                      : Eigen::VectorXd::Zero(d);
    if (!shift.allFinite()) throw InvalidArgument("X contains NaN or infinity");
    auto prepare = [&](const std::vector<Index>& rows) {
        RowMatrixXd candidates(static_cast<Index>(rows.size()), d);
        for (std::size_t t = 0; t < rows.size(); ++t)
            candidates.row(static_cast<Index>(t)) =
                X.row(rows[t]).template cast<double>();
        return prepare_centres<T>(candidates, shift, distance);
    };
    // The distances of a chunk's rows, a tile of kBlockRows rows at a time
    // (greedy_seeding's chunks are whole blocks of that size).
    auto distances = [&](const PreparedCentres<T>& centres, Index begin, Index end,
                         auto&& emit) {
        TileWorkspace<T> ws;
        for (Index b = begin; b < end; b += kBlockRows) {
            const Index len = std::min(kBlockRows, end - b);
            score_tile<T>(X, b, len, centres, ws);
            for (Index i = 0; i < len; ++i)
                for (Index t = 0; t < centres.m; ++t)
                    emit(b + i, t, score_to_distance(centres, ws, i, ws.tile(i, t)));
        }
    };
    return greedy_seeding(X.rows(), sample_weight, n_clusters, rng, pool, interrupt,
                          prepare, distances);
}

}  // namespace kmeans_detail

/// Greedy k-means++ seeding (2 + floor(ln k) local trials per centre, as
/// scikit-learn), weighted: rows are drawn with probability proportional to
/// sample_weight times the squared distance to the nearest chosen centre.
/// The result depends on the seed only, not on the number of threads.
/// @param X (n, d)  @param sample_weight (n) or size 0 for unweighted
/// @return n_clusters distinct row indices into X (distinct unless X has fewer
///         than n_clusters distinct rows of positive weight)
template <class T>
std::vector<Index> kmeans_plusplus(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight, Index n_clusters, Rng& rng,
    ThreadPool& pool, const InterruptCheck& interrupt = {}) {
    return kmeans_detail::plusplus_seeding<T>(X, sample_weight, n_clusters,
                                              Distance::squared_euclidean, rng, pool,
                                              interrupt);
}

/// kmeans_plusplus with its own thread pool (n_threads <= 0: every core) and RNG.
template <class T>
std::vector<Index> kmeans_plusplus(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight, Index n_clusters,
    std::uint64_t seed, int n_threads = 0, const InterruptCheck& interrupt = {}) {
    Rng rng(seed);
    ThreadPool pool(n_threads);
    return kmeans_plusplus<T>(X, sample_weight, n_clusters, rng, pool, interrupt);
}

/// The K-medians counterpart of kmeans_plusplus: rows are drawn with
/// probability proportional to weight times the L1 distance to the nearest
/// chosen centre, and trials are compared by their weighted sum of L1 distances.
/// @param X (n, d)  @param sample_weight (n) or size 0  @return n_clusters row indices
template <class T>
std::vector<Index> kmedians_plusplus(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight, Index n_clusters, Rng& rng,
    ThreadPool& pool, const InterruptCheck& interrupt = {}) {
    return kmeans_detail::plusplus_seeding<T>(
        X, sample_weight, n_clusters, Distance::manhattan, rng, pool, interrupt);
}

}  // namespace emclust
