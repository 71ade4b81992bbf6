// One assignment pass of K-means / K-medians: the nearest centre of every
// row, fused with the per-cluster sums the M-step needs.
#pragma once

#include <algorithm>
#include <cstdint>

#include "chunking.hpp"
#include "dispatch.hpp"
#include "interrupt.hpp"
#include "kmeans_distance.hpp"
#include "parallel.hpp"
#include "types.hpp"

namespace emclust::kmeans_detail {

/// Per-cluster sums of one E-step.
struct ClusterStats {
    RowMatrixXd sums;  ///< (k, d) Σ weight · x over members (only when accumulated)
    Eigen::VectorXd weights;  ///< (k) Σ weight over members
    Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>
        counts;                  ///< (k) members with weight > 0
    std::int64_t n_changed = 0;  ///< rows whose label differs from the previous one
    double inertia = 0.0;        ///< exact Σ weight · distance, when asked for
};

/// What an assignment pass computes besides the labels.
struct PassOptions {
    bool accumulate_sums = false;  ///< ClusterStats::sums (K-means M-step)
    bool count = false;            ///< weights, counts and n_changed
    bool inertia = false;          ///< exact inertia against `centres`
};

/// One chunk's partial sums, inside its slot.
struct ChunkSums {
    double* sums = nullptr;     ///< (kSumCopies, k, d), or null: no sums
    double* weights = nullptr;  ///< (kSumCopies, k)
    double* counts = nullptr;   ///< (kSumCopies, k), weighted passes only
    std::int64_t changed = 0;
};

/// One pass over X: nearest centre of every row (ties go to the lower index),
/// fused with the per-cluster sums of the M-step. Each chunk writes its own
/// slot; slots are added in chunk order.
/// @param X (n, d)  @param centres (k, d)  @param labels (n) in: previous, out: new
template <class T>
ClusterStats assign_pass(const ConstRowMatrixRef<T>& X,
                         const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                         const RowMatrixXd& centres, const Eigen::VectorXd& shift,
                         Distance distance, Labels& labels, const PassOptions& what,
                         ThreadPool& pool, const InterruptCheck& interrupt) {
    const Index n = X.rows(), d = X.cols(), k = centres.rows();
    const bool weighted = sample_weight.size() != 0;
    const Index sum_cols = what.accumulate_sums ? d : 0;
    // sums, weights and counts in kSumCopies copies; changed; inertia.
    const Index copy_size = k * (sum_cols + 2);
    const Index slot_size = kSumCopies * copy_size + 2;
    const ChunkPlan plan = plan_chunks(n, kBlockRows, sizeof(double) * slot_size);
    const PreparedCentres<T> prepared = prepare_centres<T>(centres, shift, distance);
    const auto& kernels = dispatch::table<T>();
    Eigen::MatrixXd slots = Eigen::MatrixXd::Zero(slot_size, plan.n_chunks);
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            double* slot = slots.col(c).data();
            ChunkSums out;
            out.sums = what.accumulate_sums ? slot : nullptr;
            out.weights = slot + kSumCopies * k * sum_cols;
            out.counts = out.weights + kSumCopies * k;
            double& inertia = slot[slot_size - 1];
            TileWorkspace<T> ws;
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index b = plan.chunk_begin(c); b < end; b += plan.block_rows) {
                const Index len = std::min(plan.block_rows, end - b);
                nearest_centres<T>(X, b, len, prepared, ws);
                const Index* best = ws.best.data();
                if (what.count) {
                    kernels.fold(X.row(b).data(), X.outerStride(), d, len, best,
                                 weighted ? sample_weight.data() + b : nullptr,
                                 labels.data() + b, k, out.sums, out.weights,
                                 weighted ? out.counts : nullptr, &out.changed);
                } else {
                    std::copy(best, best + len, labels.data() + b);
                }
                if (what.inertia) {
                    for (Index i = 0; i < len; ++i) {
                        inertia +=
                            row_weight(sample_weight, b + i) *
                            exact_distance(X.row(b + i).data(),
                                           centres.row(best[i]).data(), d, distance);
                    }
                }
            }
            slot[slot_size - 2] = static_cast<double>(out.changed);
        },
        interrupt);
    ClusterStats stats;
    stats.sums = RowMatrixXd::Zero(k, sum_cols);
    stats.weights = Eigen::VectorXd::Zero(k);
    Eigen::VectorXd counts = Eigen::VectorXd::Zero(k);
    double changed = 0.0;
    for (Index c = 0; c < plan.n_chunks; ++c) {
        const double* slot = slots.col(c).data();
        const double* weights = slot + kSumCopies * k * sum_cols;
        for (Index copy = 0; copy < kSumCopies; ++copy) {
            stats.sums +=
                Eigen::Map<const RowMatrixXd>(slot + copy * k * sum_cols, k, sum_cols);
            stats.weights += Eigen::Map<const Eigen::VectorXd>(weights + copy * k, k);
            counts +=
                Eigen::Map<const Eigen::VectorXd>(weights + (kSumCopies + copy) * k, k);
        }
        changed += slot[slot_size - 2];
        stats.inertia += slot[slot_size - 1];
    }
    // Unweighted rows count 1 each: the weights are the counts.
    stats.counts = (weighted ? counts : stats.weights).cast<std::int64_t>();
    stats.n_changed = static_cast<std::int64_t>(changed);
    return stats;
}

/// Exact inertia Σ weight · distance(x, centre of its label), in float64.
/// @param X (n, d)  @param centres (k, d)  @param labels (n)
template <class T>
double inertia_pass(const ConstRowMatrixRef<T>& X,
                    const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                    const RowMatrixXd& centres, const Labels& labels, Distance distance,
                    ThreadPool& pool, const InterruptCheck& interrupt) {
    const ChunkPlan plan = plan_chunks(X.rows());
    Eigen::VectorXd slots = Eigen::VectorXd::Zero(plan.n_chunks);
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            double s = 0.0;
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index r = plan.chunk_begin(c); r < end; ++r) {
                s += row_weight(sample_weight, r) *
                     exact_distance(X.row(r).data(), centres.row(labels[r]).data(),
                                    X.cols(), distance);
            }
            slots[c] = s;
        },
        interrupt);
    double total = 0.0;
    for (Index c = 0; c < plan.n_chunks; ++c) total += slots[c];
    return total;
}

}  // namespace emclust::kmeans_detail
