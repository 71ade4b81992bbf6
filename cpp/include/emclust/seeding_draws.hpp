// The weighted draws of ++ seeding: a row in proportion to values (the
// distance-weighted draws) or to the sample weights (the first centre).
#pragma once

#include <cstdint>

#include "chunking.hpp"
#include "random.hpp"
#include "types.hpp"

namespace emclust::kmeans_detail {

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

}  // namespace emclust::kmeans_detail
