// Greedy k-means++ seeding (Arthur and Vassilvitskii, 2007), weighted, with
// the local trials scikit-learn uses, and its L1 variant for K-medians.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "chunking.hpp"
#include "errors.hpp"
#include "interrupt.hpp"
#include "kmeans_distance.hpp"
#include "parallel.hpp"
#include "random.hpp"
#include "types.hpp"

namespace emclust {

namespace kmeans_detail {

/// Throws InvalidArgument unless X has rows, n_clusters is in [1, n] and
/// sample_weight is empty or n finite non-negative numbers with a positive sum.
template <class T>
void check_clustering_input(const ConstRowMatrixRef<T>& X,
                            const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                            Index n_clusters) {
    const Index n = X.rows();
    if (n < 1 || X.cols() < 1)
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

/// Per-chunk sums of `values`, each a plain left-to-right sum over the chunk's
/// rows (draw_proportional repeats exactly that sum).
/// @param values (n)  @return (n_chunks)
inline Eigen::VectorXd chunk_sums(const Eigen::VectorXd& values,
                                  const ChunkPlan& plan) {
    Eigen::VectorXd sums(plan.n_chunks);
    for (Index c = 0; c < plan.n_chunks; ++c) {
        double s = 0.0;
        const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
        for (Index i = plan.chunk_begin(c); i < end; ++i) s += values[i];
        sums[c] = s;
    }
    return sums;
}

/// Draws a row with probability values[i] / sum(values) (the inverse of the
/// cumulative sum at u·total, as numpy.searchsorted on a cumsum would, but
/// only rows with a positive value can be drawn). When every value is zero a
/// row with positive weight is drawn uniformly.
/// @param values (n) non-negative  @param totals (n_chunks) chunk_sums(values)
inline Index draw_proportional(const Eigen::VectorXd& values,
                               const Eigen::VectorXd& totals, const ChunkPlan& plan,
                               const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                               Rng& rng) {
    double total = 0.0;
    for (Index c = 0; c < plan.n_chunks; ++c) total += totals[c];
    const double target = rng.uniform() * total;
    if (total > 0.0 && std::isfinite(total)) {
        double before = 0.0;
        for (Index c = 0; c < plan.n_chunks; ++c) {
            const bool last_chunk = c + 1 == plan.n_chunks;
            if (target < before + totals[c] || last_chunk) {
                const double local = target - before;
                double running = 0.0;
                Index last_positive = -1;
                const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
                for (Index i = plan.chunk_begin(c); i < end; ++i) {
                    if (values[i] > 0.0) last_positive = i;
                    running += values[i];
                    if (local < running) return i;
                }
                // Rounding put the target just past this chunk's sum.
                if (last_positive >= 0) return last_positive;
            }
            before += totals[c];
        }
        for (Index i = values.size() - 1; i >= 0; --i) {
            if (values[i] > 0.0) return i;
        }
    }
    // Every value is zero (all rows sit on chosen centres): a uniform draw
    // among the rows that carry weight.
    const Index n = values.size();
    if (sample_weight.size() == 0) return static_cast<Index>(rng.below(n));
    Index n_positive = 0;
    for (Index i = 0; i < n; ++i) n_positive += sample_weight[i] > 0.0;
    Index pick = static_cast<Index>(rng.below(static_cast<std::uint64_t>(n_positive)));
    for (Index i = 0; i < n; ++i) {
        if (sample_weight[i] > 0.0 && pick-- == 0) return i;
    }
    return n - 1;  // unreachable: sample_weight has a positive sum
}

/// Proposals draw_by_weight makes before it falls back to the cumulative sum.
inline constexpr int kMaxWeightProposals = 64;

/// Draws a row with probability sample_weight[i] / sum(sample_weight), the
/// first centre of weighted seeding. A row proposed uniformly, as the
/// unweighted draw (rng.below(n)), is accepted with probability
/// w_i / max(w): at the largest weight surely and without a coin, so rows of
/// equal weight (all ones, say) consume the generator exactly as no weights
/// do, and the two seedings agree bit for bit. Zero weights are never kept.
/// After kMaxWeightProposals rejections (very unequal weights) the draw falls
/// back to the cumulative-sum search; either way the distribution is exact.
/// @param sample_weight (n), finite, non-negative, positive sum
inline Index draw_by_weight(const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                            const ChunkPlan& plan, Rng& rng) {
    const Index n = sample_weight.size();
    const double w_max = sample_weight.maxCoeff();
    for (int t = 0; t < kMaxWeightProposals; ++t) {
        const auto i = static_cast<Index>(rng.below(static_cast<std::uint64_t>(n)));
        const double w = sample_weight[i];
        if (w >= w_max) return i;
        if (w > 0.0 && rng.uniform() * w_max < w) return i;
    }
    const Eigen::VectorXd values = sample_weight;
    return draw_proportional(values, chunk_sums(values, plan), plan, sample_weight,
                             rng);
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
    const Index n = X.rows(), d = X.cols();
    const Index n_trials =
        2 + static_cast<Index>(std::log(static_cast<double>(n_clusters)));
    const ChunkPlan plan = plan_chunks(n, kBlockRows, sizeof(double) * n_trials);
    const Eigen::VectorXd shift = distance == Distance::squared_euclidean
                                      ? column_mean<T>(X, pool, interrupt)
                                      : Eigen::VectorXd::Zero(d);
    if (!shift.allFinite()) throw InvalidArgument("X contains NaN or infinity");

    std::vector<Index> chosen;
    chosen.reserve(static_cast<std::size_t>(n_clusters));
    Eigen::VectorXd weighted(n);  // weight times distance to the nearest chosen centre
    if (sample_weight.size() == 0) {
        chosen.push_back(static_cast<Index>(rng.below(static_cast<std::uint64_t>(n))));
    } else {
        chosen.push_back(draw_by_weight(sample_weight, plan, rng));
    }

    Eigen::VectorXd nearest(n);  // distance to the nearest chosen centre
    // nearest <- min(nearest, distance to row `row`) (just the distance when first).
    auto add_centre = [&](Index row, bool first) {
        const auto centres =
            prepare_centres<T>(X.row(row).template cast<double>(), shift, distance);
        pool.run(
            plan.n_chunks,
            [&](Index c) {
                TileWorkspace<T> ws;
                const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
                for (Index b = plan.chunk_begin(c); b < end; b += plan.block_rows) {
                    const Index len = std::min(plan.block_rows, end - b);
                    score_tile<T>(X, b, len, centres, ws);
                    for (Index i = 0; i < len; ++i) {
                        const double dist =
                            score_to_distance(centres, ws, i, ws.tile(i, 0));
                        const Index r = b + i;
                        if (first || dist < nearest[r]) nearest[r] = dist;
                        weighted[r] = row_weight(sample_weight, r) * nearest[r];
                    }
                }
            },
            interrupt);
    };
    add_centre(chosen[0], true);

    RowMatrixXd candidates(n_trials, d);
    std::vector<Index> candidate_rows(static_cast<std::size_t>(n_trials));
    Eigen::MatrixXd potentials(n_trials, plan.n_chunks);
    for (Index k = 1; k < n_clusters; ++k) {
        throw_if_interrupted(interrupt);
        const Eigen::VectorXd totals = chunk_sums(weighted, plan);
        for (Index t = 0; t < n_trials; ++t) {
            candidate_rows[t] =
                draw_proportional(weighted, totals, plan, sample_weight, rng);
            candidates.row(t) = X.row(candidate_rows[t]).template cast<double>();
        }
        const auto centres = prepare_centres<T>(candidates, shift, distance);
        potentials.setZero();
        pool.run(
            plan.n_chunks,
            [&](Index c) {
                TileWorkspace<T> ws;
                double* pot = potentials.col(c).data();
                const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
                for (Index b = plan.chunk_begin(c); b < end; b += plan.block_rows) {
                    const Index len = std::min(plan.block_rows, end - b);
                    score_tile<T>(X, b, len, centres, ws);
                    for (Index i = 0; i < len; ++i) {
                        const double w = row_weight(sample_weight, b + i);
                        for (Index t = 0; t < n_trials; ++t) {
                            const double dist =
                                score_to_distance(centres, ws, i, ws.tile(i, t));
                            pot[t] += w * std::min(dist, nearest[b + i]);
                        }
                    }
                }
            },
            interrupt);
        Index best = 0;
        double best_potential = 0.0;
        for (Index t = 0; t < n_trials; ++t) {
            double p = 0.0;
            for (Index c = 0; c < plan.n_chunks; ++c) p += potentials(t, c);
            if (t == 0 || p < best_potential) {
                best = t;
                best_potential = p;
            }
        }
        chosen.push_back(candidate_rows[best]);
        if (k + 1 < n_clusters) add_centre(candidate_rows[best], false);
    }
    return chosen;
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
