// The greedy k-means++ loop, independent of how rows are stored: the caller
// supplies the distances of a chunk of rows to a few candidate rows.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "chunking.hpp"
#include "interrupt.hpp"
#include "kmeans_distance.hpp"
#include "parallel.hpp"
#include "random.hpp"
#include "seeding_draws.hpp"
#include "types.hpp"

namespace emclust::kmeans_detail {

/// Greedy ++ seeding over n rows, for every storage (dense plusplus_seeding,
/// sparse_plusplus_seeding): the same chunk plan, random numbers and tie
/// rules, so that two storages of the same rows with the same distances
/// choose the same rows. Chunks are whole blocks of kBlockRows rows.
/// @param prepare prepare(rows) -> P: the candidate rows made ready to score
/// @param distances distances(const P&, begin, end, emit) calls
///     emit(r, t, dist) for every row r in [begin, end) and candidate t
template <class Prepare, class Distances>
std::vector<Index> greedy_seeding(
    Index n, const Eigen::Ref<const Eigen::VectorXd>& sample_weight, Index n_clusters,
    Rng& rng, ThreadPool& pool, const InterruptCheck& interrupt, Prepare&& prepare,
    Distances&& distances) {
    const Index n_trials =
        2 + static_cast<Index>(std::log(static_cast<double>(n_clusters)));
    const ChunkPlan plan = plan_chunks(n, kBlockRows, sizeof(double) * n_trials);
    std::vector<Index> chosen;
    chosen.reserve(static_cast<std::size_t>(n_clusters));
    Eigen::VectorXd weighted(n);  // weight times distance to the nearest chosen centre
    if (sample_weight.size() == 0) {
        chosen.push_back(static_cast<Index>(rng.below(static_cast<std::uint64_t>(n))));
    } else {
        chosen.push_back(draw_by_weight(sample_weight, plan, rng));
    }
    Eigen::VectorXd nearest(n);
    auto add_centre = [&](Index row, bool first) {
        const auto centre = prepare(std::vector<Index>{row});
        pool.run(
            plan.n_chunks,
            [&](Index c) {
                const Index begin = plan.chunk_begin(c);
                distances(centre, begin, begin + plan.chunk_size(c),
                          [&](Index r, Index, double dist) {
                              if (first || dist < nearest[r]) nearest[r] = dist;
                              weighted[r] = row_weight(sample_weight, r) * nearest[r];
                          });
            },
            interrupt);
    };
    add_centre(chosen[0], true);

    std::vector<Index> candidate_rows(static_cast<std::size_t>(n_trials));
    Eigen::MatrixXd potentials(n_trials, plan.n_chunks);
    for (Index k = 1; k < n_clusters; ++k) {
        throw_if_interrupted(interrupt);
        const Eigen::VectorXd totals = chunk_sums(weighted, plan);
        for (Index t = 0; t < n_trials; ++t) {
            candidate_rows[static_cast<std::size_t>(t)] =
                draw_proportional(weighted, totals, plan, sample_weight, rng);
        }
        const auto candidates = prepare(candidate_rows);
        potentials.setZero();
        pool.run(
            plan.n_chunks,
            [&](Index c) {
                double* pot = potentials.col(c).data();
                const Index begin = plan.chunk_begin(c);
                distances(candidates, begin, begin + plan.chunk_size(c),
                          [&](Index r, Index t, double dist) {
                              pot[t] += row_weight(sample_weight, r) *
                                        std::min(dist, nearest[r]);
                          });
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
        chosen.push_back(candidate_rows[static_cast<std::size_t>(best)]);
        if (k + 1 < n_clusters) add_centre(chosen.back(), false);
    }
    return chosen;
}

}  // namespace emclust::kmeans_detail
