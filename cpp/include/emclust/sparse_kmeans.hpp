// K-means on sparse rows (CSR): the Lloyd loop of kmeans.hpp with kernels
// that touch only the nonzeros. Also the driver of sparse K-medians.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "chunking.hpp"
#include "csr_matrix.hpp"
#include "errors.hpp"
#include "greedy_seeding.hpp"
#include "interrupt.hpp"
#include "kmeans.hpp"
#include "parallel.hpp"
#include "random.hpp"
#include "sparse_distance.hpp"
#include "types.hpp"

namespace emclust {

namespace kmeans_detail {

/// Seeding of kmeans_plusplus / kmedians_plusplus on sparse rows: the same
/// draws, with the distances of sparse_distance.hpp (canonical rows).
template <class T, class I>
std::vector<Index> sparse_plusplus_seeding(
    const CsrView<T, I>& X, const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    Index n_clusters, Distance distance, Rng& rng, ThreadPool& pool,
    const InterruptCheck& interrupt) {
    check_clustering_shape(X.rows, X.cols, sample_weight, n_clusters);
    const Eigen::VectorXd row_norms = distance == Distance::squared_euclidean
                                          ? sparse_row_norms<T, I>(X, pool, interrupt)
                                          : Eigen::VectorXd();
    auto prepare = [&](const std::vector<Index>& rows) {
        RowMatrixXd dense = RowMatrixXd::Zero(static_cast<Index>(rows.size()), X.cols);
        for (std::size_t t = 0; t < rows.size(); ++t) {
            for (Index e = X.begin(rows[t]); e < X.end(rows[t]); ++e)
                dense(static_cast<Index>(t), X.indices[e]) = X.data[e];
        }
        return prepare_sparse_centres<T>(dense, distance);
    };
    auto distances = [&](const SparseCentres<T>& C, Index begin, Index end,
                         auto&& emit) {
        std::vector<T> acc(static_cast<std::size_t>(C.m));
        std::vector<double> acc_d(static_cast<std::size_t>(C.m));
        for (Index r = begin; r < end; ++r) {
            scores_sparse<T, I>(X, r, C, acc.data(), acc_d.data());
            const double norm =
                distance == Distance::squared_euclidean ? row_norms[r] : 0.0;
            for (Index t = 0; t < C.m; ++t) {
                const double score = distance == Distance::squared_euclidean
                                         ? static_cast<double>(acc[t])
                                         : acc_d[t];
                emit(r, t, sparse_score_to_distance(distance, norm, score));
            }
        }
    };
    return greedy_seeding(X.rows, sample_weight, n_clusters, rng, pool, interrupt,
                          prepare, distances);
}

/// One assignment pass over sparse rows: nearest centre of every row (ties:
/// the lower index), with the weights, counts and changed labels the loop
/// needs and, when asked, the exact inertia. Chunks write their own slots,
/// added in chunk order. No sums: they come after relocation (sparse_sums).
/// @param centres (k, d) the centres `C` was prepared from
template <class T, class I>
ClusterStats sparse_assign_pass(const CsrView<T, I>& X,
                                const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                                const RowMatrixXd& centres, const SparseCentres<T>& C,
                                Labels& labels, const PassOptions& what,
                                ThreadPool& pool, const InterruptCheck& interrupt) {
    const Index n = X.rows, k = C.m;
    const bool weighted = sample_weight.size() != 0;
    // weights, counts, changed, inertia
    const Index slot_size = 2 * k + 2;
    const ChunkPlan plan = plan_chunks(n, kBlockRows, sizeof(double) * slot_size);
    Eigen::MatrixXd slots = Eigen::MatrixXd::Zero(slot_size, plan.n_chunks);
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            double* weights = slots.col(c).data();
            double* counts = weights + k;
            double changed = 0.0, inertia = 0.0;
            std::vector<T> acc(static_cast<std::size_t>(k));
            std::vector<double> acc_d(static_cast<std::size_t>(k));
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index r = plan.chunk_begin(c); r < end; ++r) {
                double score = 0.0;
                const Index best =
                    nearest_sparse<T, I>(X, r, C, acc.data(), acc_d.data(), score);
                const double w = row_weight(sample_weight, r);
                if (what.count) {
                    changed += labels[r] != best ? 1.0 : 0.0;
                    weights[best] += w;
                    counts[best] += w > 0.0 ? 1.0 : 0.0;
                }
                labels[r] = best;
                if (what.inertia) {
                    inertia +=
                        w * sparse_exact_distance<T, I>(X, r, centres.row(best).data(),
                                                        C.norms[best], C.distance);
                }
            }
            slots(slot_size - 2, c) = changed;
            slots(slot_size - 1, c) = inertia;
        },
        interrupt);
    ClusterStats stats;
    stats.sums.resize(k, 0);
    stats.weights = Eigen::VectorXd::Zero(k);
    Eigen::VectorXd counts = Eigen::VectorXd::Zero(k);
    double changed = 0.0;
    for (Index c = 0; c < plan.n_chunks; ++c) {
        stats.weights += slots.col(c).head(k);
        counts += slots.col(c).segment(k, k);
        changed += slots(slot_size - 2, c);
        stats.inertia += slots(slot_size - 1, c);
    }
    stats.counts = (weighted ? counts : stats.weights).cast<std::int64_t>();
    stats.n_changed = static_cast<std::int64_t>(changed);
    return stats;
}

/// Exact distance of every row to the centre of its label (0 for rows of
/// weight 0), for relocation. @return (n)
template <class T, class I>
Eigen::VectorXd sparse_own_centre_distances(
    const CsrView<T, I>& X, const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const RowMatrixXd& centres, const Eigen::VectorXd& norms, const Labels& labels,
    Distance distance, ThreadPool& pool, const InterruptCheck& interrupt) {
    Eigen::VectorXd dist(X.rows);
    const ChunkPlan plan = plan_chunks(X.rows);
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index r = plan.chunk_begin(c); r < end; ++r) {
                dist[r] = row_weight(sample_weight, r) > 0.0
                              ? sparse_exact_distance<T, I>(
                                    X, r, centres.row(labels[r]).data(),
                                    norms[labels[r]], distance)
                              : 0.0;
            }
        },
        interrupt);
    return dist;
}

/// Rows of positive weight grouped by cluster, in increasing row order within
/// a cluster: members[start[c] .. start[c + 1]) are cluster c's rows.
struct ClusterMembers {
    std::vector<Index> start;    ///< (k + 1)
    std::vector<Index> members;  ///< (rows of positive weight)
};

inline ClusterMembers group_by_cluster(
    const Labels& labels, const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    Index k) {
    const Index n = labels.size();
    ClusterMembers g;
    g.start.assign(static_cast<std::size_t>(k + 1), 0);
    for (Index r = 0; r < n; ++r) {
        if (row_weight(sample_weight, r) > 0.0)
            ++g.start[static_cast<std::size_t>(labels[r] + 1)];
    }
    for (Index c = 0; c < k; ++c) g.start[c + 1] += g.start[c];
    g.members.resize(static_cast<std::size_t>(g.start[k]));
    std::vector<Index> fill(g.start.begin(), g.start.end() - 1);
    for (Index r = 0; r < n; ++r) {
        if (row_weight(sample_weight, r) > 0.0) g.members[fill[labels[r]]++] = r;
    }
    return g;
}

/// M-step of sparse K-means: every centre with members becomes the weighted
/// mean of its members, the others keep their centre. One task per cluster
/// adds its members' nonzeros in row order into its own row of float64
/// sums, so the result does not depend on the thread count; a (k, d) slot
/// per chunk, as the dense pass keeps, would be 80 MB per chunk at k = 100,
/// d = 1e5.
/// @param centres (k, d) in/out
template <class T, class I>
void sparse_mean_update(const CsrView<T, I>& X,
                        const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                        const Labels& labels, const ClusterStats& stats,
                        RowMatrixXd& centres, ThreadPool& pool,
                        const InterruptCheck& interrupt) {
    const Index k = centres.rows();
    const ClusterMembers g = group_by_cluster(labels, sample_weight, k);
    const bool weighted = sample_weight.size() != 0;
    pool.run(
        k,
        [&](Index c) {
            if (stats.counts[c] == 0) return;
            double* sum = centres.row(c).data();
            std::fill(sum, sum + X.cols, 0.0);
            for (Index m = g.start[c]; m < g.start[c + 1]; ++m) {
                const Index r = g.members[m];
                const double w = weighted ? sample_weight[r] : 1.0;
                for (Index e = X.begin(r); e < X.end(r); ++e) {
                    sum[X.indices[e]] += weighted ? w * static_cast<double>(X.data[e])
                                                  : static_cast<double>(X.data[e]);
                }
            }
            const double total = stats.weights[c];
            for (Index j = 0; j < X.cols; ++j) sum[j] /= total;
        },
        interrupt);
}

/// single_run of kmeans.hpp on sparse rows: E-step, relocation of empty
/// clusters, M-step, until no label changes, the centres move by at most
/// tol_abs or max_iter iterations ran; then a last E-step.
template <class T, class I>
KMeansResult sparse_single_run(const CsrView<T, I>& X,
                               const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                               RowMatrixXd centres, Distance distance, int max_iter,
                               double tol_abs, const CentreUpdate& update,
                               ThreadPool& pool, const InterruptCheck& interrupt) {
    KMeansResult result;
    result.labels = Labels::Constant(X.rows, -1);
    bool converged_exactly = false;
    PassOptions what;
    what.count = true;
    int iter = 0;
    RowMatrixXd updated;
    while (iter < max_iter) {
        throw_if_interrupted(interrupt);
        ++iter;
        const SparseCentres<T> C = prepare_sparse_centres<T>(centres, distance);
        ClusterStats stats = sparse_assign_pass<T, I>(
            X, sample_weight, centres, C, result.labels, what, pool, interrupt);
        const std::vector<Index> empty = empty_clusters(stats);
        if (!empty.empty()) {
            const Eigen::VectorXd dist = sparse_own_centre_distances<T, I>(
                X, sample_weight, centres, C.norms, result.labels, distance, pool,
                interrupt);
            relocate_by_distance(dist, sample_weight, empty, result.labels, stats,
                                 [](Index, Index, Index, double) {});
        }
        updated = centres;
        update(result.labels, stats, updated);
        const double shift_sq = (updated - centres).squaredNorm();
        centres.swap(updated);
        if (stats.n_changed == 0) {
            converged_exactly = true;
            break;
        }
        if (shift_sq <= tol_abs) break;
    }
    PassOptions last;
    last.inertia = true;
    const SparseCentres<T> C = prepare_sparse_centres<T>(centres, distance);
    if (!converged_exactly) {
        result.inertia = sparse_assign_pass<T, I>(X, sample_weight, centres, C,
                                                  result.labels, last, pool, interrupt)
                             .inertia;
    } else {
        const Eigen::VectorXd dist =
            sparse_own_centre_distances<T, I>(X, Eigen::VectorXd(), centres, C.norms,
                                              result.labels, distance, pool, interrupt);
        const ChunkPlan plan = plan_chunks(X.rows);
        for (Index c = 0; c < plan.n_chunks; ++c) {
            double s = 0.0;
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index r = plan.chunk_begin(c); r < end; ++r)
                s += row_weight(sample_weight, r) * dist[r];
            result.inertia += s;
        }
    }
    result.centers = std::move(centres);
    result.n_iter = iter;
    return result;
}

/// Restarts of sparse_single_run (kmeans_detail::fit on sparse rows).
template <class T, class I>
KMeansResult sparse_fit(const CsrView<T, I>& X,
                        const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                        const KMeansOptions& options, Distance distance,
                        const CentreUpdate& update, ThreadPool& pool, Rng& rng,
                        const InterruptCheck& interrupt) {
    check_options(X.rows, X.cols, sample_weight, options);
    Eigen::VectorXd mean;
    const double variance =
        sparse_mean_feature_variance<T, I>(X, mean, pool, interrupt);
    const double tol_abs = options.tol == 0.0 ? 0.0 : options.tol * variance;
    const int n_init = options.init == KMeansInit::array ? 1 : options.n_init;
    KMeansResult best;
    for (int run = 0; run < n_init; ++run) {
        RowMatrixXd centres;
        if (options.init == KMeansInit::array) {
            centres = options.initial_centers;
        } else {
            const std::vector<Index> rows =
                options.init == KMeansInit::random
                    ? random_rows(X.rows, sample_weight, options.n_clusters, rng)
                    : sparse_plusplus_seeding<T, I>(X, sample_weight,
                                                    options.n_clusters, distance, rng,
                                                    pool, interrupt);
            centres = RowMatrixXd::Zero(options.n_clusters, X.cols);
            for (Index c = 0; c < options.n_clusters; ++c) {
                for (Index e = X.begin(rows[c]); e < X.end(rows[c]); ++e)
                    centres(c, X.indices[e]) = static_cast<double>(X.data[e]);
            }
        }
        KMeansResult r =
            sparse_single_run<T, I>(X, sample_weight, std::move(centres), distance,
                                    options.max_iter, tol_abs, update, pool, interrupt);
        if (run == 0 || r.inertia < best.inertia) best = std::move(r);
    }
    return best;
}

}  // namespace kmeans_detail

/// K-means (Lloyd) on a CSR matrix: from the same initial centres, the labels
/// and centres of kmeans_fit on the densified matrix (to rounding). Each
/// iteration is one threaded pass over the nonzeros (nearest centres, as
/// ||x||² - 2 x·c + ||c||² with ||c||² computed once per iteration) and one
/// threaded pass per cluster for the float64 sums. Duplicate and unsorted
/// column indices are summed first (a copy of the nonzeros, only then).
/// Bit-identical for any number of threads.
/// @param X (n, d) CSR  @param sample_weight (n) or size 0
template <class T, class I>
KMeansResult sparse_kmeans_fit(const CsrView<T, I>& X,
                               const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                               const KMeansOptions& options, ThreadPool& pool, Rng& rng,
                               const InterruptCheck& interrupt = {}) {
    const CanonicalCsr<T, I> canonical(X);
    const CsrView<T, I>& Xc = canonical.view();
    const kmeans_detail::CentreUpdate mean_update =
        [&](const Labels& labels, const kmeans_detail::ClusterStats& stats,
            RowMatrixXd& centres) {
            kmeans_detail::sparse_mean_update<T, I>(Xc, sample_weight, labels, stats,
                                                    centres, pool, interrupt);
        };
    return kmeans_detail::sparse_fit<T, I>(Xc, sample_weight, options,
                                           Distance::squared_euclidean, mean_update,
                                           pool, rng, interrupt);
}

/// k-means++ (distance squared_euclidean) or its K-medians variant
/// (manhattan) on a CSR matrix. @return n_clusters row indices
template <class T, class I>
std::vector<Index> sparse_plusplus(
    const CsrView<T, I>& X, const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    Index n_clusters, Distance distance, Rng& rng, ThreadPool& pool,
    const InterruptCheck& interrupt = {}) {
    const CanonicalCsr<T, I> canonical(X);
    return kmeans_detail::sparse_plusplus_seeding<T, I>(
        canonical.view(), sample_weight, n_clusters, distance, rng, pool, interrupt);
}

/// Nearest centre of every CSR row and the exact inertia, under `distance`.
/// @param centres (k, d)
template <class T, class I>
KMeansAssignment sparse_kmeans_assign(
    const CsrView<T, I>& X, const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const RowMatrixXd& centres, Distance distance, ThreadPool& pool,
    const InterruptCheck& interrupt = {}) {
    if (centres.cols() != X.cols || centres.rows() < 1) {
        throw InvalidArgument("centers must have shape (n_clusters, " +
                              std::to_string(X.cols) + ")");
    }
    if (sample_weight.size() != 0 && sample_weight.size() != X.rows)
        throw InvalidArgument("sample_weight must have one entry per row of X");
    const CanonicalCsr<T, I> canonical(X);
    KMeansAssignment out;
    out.labels = Labels::Constant(X.rows, -1);
    kmeans_detail::PassOptions what;
    what.inertia = true;
    const auto C = kmeans_detail::prepare_sparse_centres<T>(centres, distance);
    out.inertia = kmeans_detail::sparse_assign_pass<T, I>(
                      canonical.view(), sample_weight, centres, C, out.labels, what,
                      pool, interrupt)
                      .inertia;
    return out;
}

/// Exact float64 distances of every CSR row to every centre: Euclidean (not
/// squared) or Manhattan. @param centres (k, d)  @return (n, k)
template <class T, class I>
RowMatrixXd sparse_kmeans_distances(const CsrView<T, I>& X, const RowMatrixXd& centres,
                                    Distance distance, ThreadPool& pool,
                                    const InterruptCheck& interrupt = {}) {
    if (centres.cols() != X.cols)
        throw InvalidArgument("centers have the wrong number of columns");
    const CanonicalCsr<T, I> canonical(X);
    const CsrView<T, I>& Xc = canonical.view();
    const Eigen::VectorXd norms =
        distance == Distance::squared_euclidean
            ? Eigen::VectorXd(centres.rowwise().squaredNorm())
            : Eigen::VectorXd(centres.cwiseAbs().rowwise().sum());
    RowMatrixXd out(X.rows, centres.rows());
    const ChunkPlan plan = plan_chunks(X.rows);
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index r = plan.chunk_begin(c); r < end; ++r) {
                for (Index t = 0; t < centres.rows(); ++t) {
                    const double v = kmeans_detail::sparse_exact_distance<T, I>(
                        Xc, r, centres.row(t).data(), norms[t], distance);
                    out(r, t) =
                        distance == Distance::squared_euclidean ? std::sqrt(v) : v;
                }
            }
        },
        interrupt);
    return out;
}

}  // namespace emclust
