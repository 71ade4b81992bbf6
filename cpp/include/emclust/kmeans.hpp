// K-means (Lloyd's algorithm): hard-assignment EM, the σ → 0 limit of a
// Gaussian mixture with one shared isotropic variance. Also the driver shared
// with K-medians (kmedians.hpp): initialisation, restarts, stopping rule,
// relocation of empty clusters.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "chunking.hpp"
#include "errors.hpp"
#include "interrupt.hpp"
#include "kmeans_distance.hpp"
#include "kmeans_pass.hpp"
#include "kmeans_plusplus.hpp"
#include "parallel.hpp"
#include "random.hpp"
#include "types.hpp"

namespace emclust {

/// How the centres of each restart are chosen.
enum class KMeansInit {
    kmeans_plusplus,  ///< greedy ++ seeding under the estimator's distance
    random,           ///< n_clusters distinct rows drawn with probability ∝ weight
    array,            ///< KMeansOptions::initial_centers (then n_init is 1)
};

struct KMeansOptions {
    Index n_clusters = 8;
    int max_iter = 300;  ///< at least 1
    /// Stop when the squared Frobenius norm of the centres' change is at most
    /// tol times the mean over features of the variance of X (scikit-learn's rule).
    double tol = 1e-4;
    int n_init = 1;  ///< restarts; the one with the lowest inertia is kept
    KMeansInit init = KMeansInit::kmeans_plusplus;
    RowMatrixXd initial_centers;  ///< (n_clusters, d), used when init == array
};

struct KMeansResult {
    RowMatrixXd centers;   ///< (n_clusters, d)
    Labels labels;         ///< (n) index of each row's centre
    double inertia = 0.0;  ///< Σ weight · distance to the own centre (squared L2 or L1)
    int n_iter = 0;        ///< iterations of the kept restart
};

/// Labels and inertia of rows against given centres.
struct KMeansAssignment {
    Labels labels;  ///< (n)
    double inertia = 0.0;
};

namespace kmeans_detail {

/// Exact distance (float64) of every row to the centre of its label; 0 for
/// rows of weight 0, which are never relocated. The distances that
/// relocate_empty_clusters ranks rows by, also for engines that rank the rows
/// of each chunk themselves (the Dask backend).
/// @param X (n, d)  @param centres (k, d)  @param labels (n)  @return (n)
template <class T>
Eigen::VectorXd own_centre_distances(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight, const RowMatrixXd& centres,
    const Labels& labels, Distance distance, ThreadPool& pool,
    const InterruptCheck& interrupt) {
    const Index n = X.rows(), d = X.cols();
    Eigen::VectorXd dist(n);
    const ChunkPlan plan = plan_chunks(n);
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index r = plan.chunk_begin(c); r < end; ++r) {
                dist[r] =
                    row_weight(sample_weight, r) > 0.0
                        ? exact_distance(X.row(r).data(), centres.row(labels[r]).data(),
                                         d, distance)
                        : 0.0;
            }
        },
        interrupt);
    return dist;
}

/// Gives every empty cluster (no member of positive weight) a new single
/// member: the rows farthest from their own centre, the farthest going to the
/// empty cluster of lowest index (ties between rows: the lower row first).
/// A row is only moved when its distance is positive and its cluster keeps
/// another member, so no other cluster empties; clusters left without a row
/// keep their centre. labels and stats are updated as if the moved rows had
/// been assigned to the empty clusters.
/// @param centres (k, d) the centres the labels were computed against
template <class T>
void relocate_empty_clusters(const ConstRowMatrixRef<T>& X,
                             const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                             const RowMatrixXd& centres, Distance distance,
                             Labels& labels, ClusterStats& stats, ThreadPool& pool,
                             const InterruptCheck& interrupt) {
    const Index n = X.rows(), d = X.cols(), k = centres.rows();
    std::vector<Index> empty;
    for (Index c = 0; c < k; ++c) {
        if (stats.counts[c] == 0) empty.push_back(c);
    }
    if (empty.empty()) return;
    const Eigen::VectorXd dist = own_centre_distances<T>(
        X, sample_weight, centres, labels, distance, pool, interrupt);
    std::vector<Index> far;
    for (Index r = 0; r < n; ++r) {
        if (dist[r] > 0.0) far.push_back(r);
    }
    std::sort(far.begin(), far.end(), [&](Index a, Index b) {
        return dist[a] > dist[b] || (dist[a] == dist[b] && a < b);
    });
    auto next = far.begin();
    for (const Index e : empty) {
        while (next != far.end() && stats.counts[labels[*next]] < 2) ++next;
        if (next == far.end()) break;
        const Index r = *next++;
        const Index from = labels[r];
        const double w = row_weight(sample_weight, r);
        labels[r] = e;
        stats.counts[from] -= 1;
        stats.counts[e] = 1;
        stats.weights[from] -= w;
        stats.weights[e] = w;
        if (stats.sums.cols() == d) {
            const Eigen::RowVectorXd wx = w * X.row(r).template cast<double>();
            stats.sums.row(from) -= wx;
            stats.sums.row(e) = wx;
        }
    }
}

/// The M-step of a restart: new centres from the labels of the last E-step.
/// @param centres (k, d) in: the centres of the E-step, out: the new ones
using CentreUpdate = std::function<void(const Labels& labels, const ClusterStats& stats,
                                        RowMatrixXd& centres)>;

/// Iterates E-step, relocation and M-step from `centres` until the labels stop
/// changing, the centres move by at most tol_abs (squared Frobenius norm) or
/// max_iter iterations ran; a last E-step then makes the labels those of the
/// final centres. Returns inertia against the final centres.
template <class T>
KMeansResult single_run(const ConstRowMatrixRef<T>& X,
                        const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                        RowMatrixXd centres, const Eigen::VectorXd& shift,
                        Distance distance, int max_iter, double tol_abs,
                        const CentreUpdate& update, ThreadPool& pool,
                        const InterruptCheck& interrupt) {
    KMeansResult result;
    result.labels = Labels::Constant(X.rows(), -1);
    bool converged_exactly = false;
    PassOptions what;
    what.count = true;
    what.accumulate_sums = distance == Distance::squared_euclidean;
    int iter = 0;
    while (iter < max_iter) {
        throw_if_interrupted(interrupt);
        ++iter;
        ClusterStats stats = assign_pass<T>(X, sample_weight, centres, shift, distance,
                                            result.labels, what, pool, interrupt);
        relocate_empty_clusters<T>(X, sample_weight, centres, distance, result.labels,
                                   stats, pool, interrupt);
        RowMatrixXd updated = centres;
        update(result.labels, stats, updated);
        if (!updated.allFinite()) {
            // Weighted sums beyond the largest double (weights of 1e307, data
            // of 1e300) make a centre inf/inf: a fitted NaN centre would
            // silently label every row.
            throw NumericalError(
                "K-means stopped: a centre became NaN or infinite at "
                "iteration " +
                std::to_string(iter) +
                ": the weighted sums overflow floating point; rescale "
                "X or sample_weight");
        }
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
    if (!converged_exactly) {
        result.inertia = assign_pass<T>(X, sample_weight, centres, shift, distance,
                                        result.labels, last, pool, interrupt)
                             .inertia;
    } else {
        result.inertia = inertia_pass<T>(X, sample_weight, centres, result.labels,
                                         distance, pool, interrupt);
    }
    if (!std::isfinite(result.inertia)) {
        throw NumericalError(
            "K-means stopped: the inertia overflows floating point (" +
            std::to_string(result.inertia) +
            "): the scale of X or of sample_weight is too large; rescale the data");
    }
    result.centers = std::move(centres);
    result.n_iter = iter;
    return result;
}

/// n_clusters rows drawn without replacement with probability ∝ weight.
template <class T>
std::vector<Index> random_rows(const ConstRowMatrixRef<T>& X,
                               const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                               Index n_clusters, Rng& rng) {
    const Index n = X.rows();
    const ChunkPlan plan = plan_chunks(n);
    Eigen::VectorXd left = sample_weight.size() == 0 ? Eigen::VectorXd::Ones(n)
                                                     : Eigen::VectorXd(sample_weight);
    Eigen::VectorXd totals = chunk_sums(left, plan);
    std::vector<Index> rows;
    for (Index k = 0; k < n_clusters; ++k) {
        const Index r = draw_proportional(left, totals, plan, sample_weight, rng);
        rows.push_back(r);
        if (left[r] > 0.0) {
            left[r] = 0.0;
            const Index c = r / plan.chunk_rows;
            totals[c] = 0.0;
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index i = plan.chunk_begin(c); i < end; ++i) totals[c] += left[i];
        }
    }
    return rows;
}

/// Checks options against X and turns tol into an absolute threshold.
template <class T>
void check_options(const ConstRowMatrixRef<T>& X,
                   const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                   const KMeansOptions& options) {
    check_clustering_input<T>(X, sample_weight, options.n_clusters);
    if (options.max_iter < 1) throw InvalidArgument("max_iter must be >= 1");
    if (options.n_init < 1) throw InvalidArgument("n_init must be >= 1");
    if (!(options.tol >= 0.0)) throw InvalidArgument("tol must be >= 0");
    if (options.init == KMeansInit::array) {
        const RowMatrixXd& c = options.initial_centers;
        if (c.rows() != options.n_clusters || c.cols() != X.cols()) {
            throw InvalidArgument(
                "initial centers must have shape (n_clusters, n_features) = (" +
                std::to_string(options.n_clusters) + ", " + std::to_string(X.cols()) +
                "), got (" + std::to_string(c.rows()) + ", " +
                std::to_string(c.cols()) + ")");
        }
        if (!c.allFinite())
            throw InvalidArgument("initial centers contain NaN or infinity");
    }
}

/// Restarts (n_init, or one for given centres) of single_run; keeps the one
/// with the lowest inertia (the first among equals).
template <class T>
KMeansResult fit(const ConstRowMatrixRef<T>& X,
                 const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                 const KMeansOptions& options, Distance distance,
                 const CentreUpdate& update, ThreadPool& pool, Rng& rng,
                 const InterruptCheck& interrupt) {
    check_options<T>(X, sample_weight, options);
    if (sample_weight.size() != 0 && !std::isfinite(sample_weight.sum())) {
        throw InvalidArgument(
            "sample_weight: the sum of the weights overflows floating point; divide "
            "them by a common factor (only their ratios matter)");
    }
    const Eigen::VectorXd mean = column_mean<T>(X, pool, interrupt);
    if (!mean.allFinite()) throw InvalidArgument("X contains NaN or infinity");
    const double tol_abs =
        options.tol == 0.0
            ? 0.0
            : options.tol * mean_feature_variance<T>(X, mean, pool, interrupt);
    const Eigen::VectorXd shift = distance == Distance::squared_euclidean
                                      ? mean
                                      : Eigen::VectorXd::Zero(X.cols());
    const int n_init = options.init == KMeansInit::array ? 1 : options.n_init;
    KMeansResult best;
    for (int run = 0; run < n_init; ++run) {
        RowMatrixXd centres(options.n_clusters, X.cols());
        if (options.init == KMeansInit::array) {
            centres = options.initial_centers;
        } else {
            const std::vector<Index> rows =
                options.init == KMeansInit::random
                    ? random_rows<T>(X, sample_weight, options.n_clusters, rng)
                    : plusplus_seeding<T>(X, sample_weight, options.n_clusters,
                                          distance, rng, pool, interrupt);
            for (Index c = 0; c < options.n_clusters; ++c) {
                centres.row(c) = X.row(rows[c]).template cast<double>();
            }
        }
        KMeansResult r =
            single_run<T>(X, sample_weight, std::move(centres), shift, distance,
                          options.max_iter, tol_abs, update, pool, interrupt);
        if (run == 0 || r.inertia < best.inertia) best = std::move(r);
    }
    return best;
}

}  // namespace kmeans_detail

/// K-means by Lloyd's algorithm, with scikit-learn's stopping rule: from the
/// same initial centres it gives scikit-learn's labels, centres and inertia.
/// Each iteration is one pass over X: per block of rows, the nearest centre
/// of every row in registers (nearest_l2, one row per SIMD lane) and the
/// weighted sums of the new centres. Empty clusters take the rows farthest
/// from their centres (relocate_empty_clusters).
/// Bit-identical for any number of threads in `pool`.
/// @param X (n, d)  @param sample_weight (n) or size 0 for unweighted
/// @return centers (n_clusters, d), labels (n), inertia = Σ w ||x - c||²
template <class T>
KMeansResult kmeans_fit(const ConstRowMatrixRef<T>& X,
                        const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                        const KMeansOptions& options, ThreadPool& pool, Rng& rng,
                        const InterruptCheck& interrupt = {}) {
    const kmeans_detail::CentreUpdate mean_update =
        [](const Labels&, const kmeans_detail::ClusterStats& stats,
           RowMatrixXd& centres) {
            for (Index c = 0; c < centres.rows(); ++c) {
                if (stats.counts[c] > 0)
                    centres.row(c) = stats.sums.row(c) / stats.weights[c];
            }
        };
    return kmeans_detail::fit<T>(X, sample_weight, options, Distance::squared_euclidean,
                                 mean_update, pool, rng, interrupt);
}

/// kmeans_fit with its own thread pool (n_threads <= 0: every core) and RNG.
template <class T>
KMeansResult kmeans_fit(const ConstRowMatrixRef<T>& X,
                        const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                        const KMeansOptions& options, int n_threads, std::uint64_t seed,
                        const InterruptCheck& interrupt = {}) {
    ThreadPool pool(n_threads);
    Rng rng(seed);
    return kmeans_fit<T>(X, sample_weight, options, pool, rng, interrupt);
}

/// Nearest centre of every row and the exact inertia, under `distance`.
/// @param X (n, d)  @param sample_weight (n) or size 0  @param centres (k, d)
template <class T>
KMeansAssignment kmeans_assign(const ConstRowMatrixRef<T>& X,
                               const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                               const RowMatrixXd& centres, Distance distance,
                               ThreadPool& pool, const InterruptCheck& interrupt = {}) {
    if (centres.cols() != X.cols() || centres.rows() < 1) {
        throw InvalidArgument("centers must have shape (n_clusters, " +
                              std::to_string(X.cols()) + ")");
    }
    if (sample_weight.size() != 0 && sample_weight.size() != X.rows()) {
        throw InvalidArgument("sample_weight must have one entry per row of X");
    }
    const Eigen::VectorXd shift =
        distance == Distance::squared_euclidean
            ? kmeans_detail::column_mean<T>(X, pool, interrupt)
            : Eigen::VectorXd::Zero(X.cols());
    KMeansAssignment out;
    out.labels = Labels::Constant(X.rows(), -1);
    kmeans_detail::PassOptions what;
    what.inertia = true;
    out.inertia =
        kmeans_detail::assign_pass<T>(X, sample_weight, centres, shift, distance,
                                      out.labels, what, pool, interrupt)
            .inertia;
    return out;
}

/// Exact distances of every row to every centre, in float64: Euclidean (not
/// squared) or Manhattan.
/// @param X (n, d)  @param centres (k, d)  @return (n, k)
template <class T>
RowMatrixXd kmeans_distances(const ConstRowMatrixRef<T>& X, const RowMatrixXd& centres,
                             Distance distance, ThreadPool& pool,
                             const InterruptCheck& interrupt = {}) {
    if (centres.cols() != X.cols())
        throw InvalidArgument("centers have the wrong number of columns");
    RowMatrixXd out(X.rows(), centres.rows());
    const ChunkPlan plan = plan_chunks(X.rows());
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index r = plan.chunk_begin(c); r < end; ++r) {
                for (Index t = 0; t < centres.rows(); ++t) {
                    const double v = kmeans_detail::exact_distance(
                        X.row(r).data(), centres.row(t).data(), X.cols(), distance);
                    out(r, t) =
                        distance == Distance::squared_euclidean ? std::sqrt(v) : v;
                }
            }
        },
        interrupt);
    return out;
}

}  // namespace emclust
