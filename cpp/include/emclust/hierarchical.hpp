// Model-based agglomerative hierarchical clustering: mclust's default start
// (hc with modelName "VVV" on hcUse = "SVD" data; Banfield and Raftery, 1993;
// Fraley, 1998). Written from the published algorithm and the behaviour of
// mclust 6's hcvvv (its merge criterion, its bookkeeping of cluster slots and
// its tie rule), so that the merge sequence is mclust's.
//
// Memory: the ng (ng - 1) / 2 merge costs between the current clusters plus a
// d x d scatter matrix per cluster. The caller bounds ng by running on a seeded
// subset of at most max_samples rows (hierarchical_subset).
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "errors.hpp"
#include "interrupt.hpp"
#include "parallel.hpp"
#include "random.hpp"
#include "types.hpp"

namespace emclust {

/// The merge sequence of an agglomerative clustering of m rows.
struct HierarchicalTree {
    /// (m,) labels 0..n_initial-1 of the initial partition (every row alone, as
    /// mclust computes it), in order of first appearance.
    std::vector<Index> initial;
    Index n_initial = 0;
    /// merges[s] = {a, b}, a < b: at step s the cluster labelled b joins the
    /// cluster labelled a (labels as mclust's hcPairs, 0-based: the merged
    /// cluster keeps the smaller label, the last label moves into the freed one).
    std::vector<std::array<Index, 2>> merges;
    /// The criterion's change at each merge.
    std::vector<double> costs;
};

/// Labels 0..G-1 of the rows after cutting `tree` at G clusters, numbered in
/// order of first appearance (mclust's hclass followed by partconv).
inline std::vector<Index> hierarchical_partition(const HierarchicalTree& tree,
                                                 Index G) {
    const Index k = tree.n_initial;
    if (G < 1 || G > k) {
        throw InvalidArgument("n_components=" + std::to_string(G) +
                              " must be between 1 and the " + std::to_string(k) +
                              " clusters the tree starts from");
    }
    std::vector<Index> label(static_cast<std::size_t>(k));
    std::iota(label.begin(), label.end(), Index{0});
    // Replaying the label-level merges needs the current label of every
    // initial cluster: merging b into a relabels everything labelled b.
    for (Index s = 0; s < k - G; ++s) {
        const Index a = tree.merges[static_cast<std::size_t>(s)][0];
        const Index b = tree.merges[static_cast<std::size_t>(s)][1];
        for (auto& l : label) {
            if (l == b) l = a;
        }
    }
    std::vector<Index> out(tree.initial.size());
    std::vector<Index> renumber(static_cast<std::size_t>(k), -1);
    Index next = 0;
    for (std::size_t r = 0; r < out.size(); ++r) {
        const Index l = label[static_cast<std::size_t>(tree.initial[r])];
        auto& slot = renumber[static_cast<std::size_t>(l)];
        if (slot < 0) slot = next++;
        out[r] = slot;
    }
    return out;
}

/// Sorted indices of a seeded uniform subset of max_samples of n rows (all rows
/// when n <= max_samples): partial Fisher-Yates with emclust's own RNG, so a
/// seed gives the same subset on every platform.
inline std::vector<Index> hierarchical_subset(Index n, Index max_samples,
                                              std::uint64_t seed) {
    std::vector<Index> idx(static_cast<std::size_t>(n));
    std::iota(idx.begin(), idx.end(), Index{0});
    if (n <= max_samples) return idx;
    Rng rng(seed);
    for (Index i = 0; i < max_samples; ++i) {
        const Index j =
            i + static_cast<Index>(rng.below(static_cast<std::uint64_t>(n - i)));
        std::swap(idx[static_cast<std::size_t>(i)], idx[static_cast<std::size_t>(j)]);
    }
    idx.resize(static_cast<std::size_t>(max_samples));
    std::sort(idx.begin(), idx.end());
    return idx;
}

/// mclust's hcUse = "SVD": standardise the columns (sample standard deviation),
/// drop the constant ones, rotate onto the right singular vectors and divide
/// component j by sqrt(singular value j). Components with a zero singular value
/// carry nothing and are dropped. The criterion below depends on the singular
/// vectors only through determinants and traces, so their signs do not matter.
template <class Derived>
RowMatrixXd svd_transform(const Eigen::MatrixBase<Derived>& X) {
    const Index n = X.rows();
    const Index d = X.cols();
    RowMatrixXd S(n, d);
    std::vector<Index> keep;
    for (Index j = 0; j < d; ++j) {
        Eigen::VectorXd col = X.col(j).template cast<double>();
        // Scaled by a power of two near 1 / max |x|, exact in binary, so the
        // standardised column is the same bit for bit, and squares of data
        // near 1e154 and beyond no longer overflow the standard deviation.
        const double top_abs = col.cwiseAbs().maxCoeff();
        if (top_abs > 0.0) {
            int exponent = 0;
            std::frexp(top_abs, &exponent);
            col = col.unaryExpr(
                [exponent](double v) { return std::ldexp(v, -exponent); });
        }
        const double mean = col.mean();
        const double ss = (col.array() - mean).square().sum();
        const double sd = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1)) : 0.0;
        if (!(sd > 0.0) || !std::isfinite(sd)) continue;
        S.col(static_cast<Index>(keep.size())) = (col.array() - mean) / sd;
        keep.push_back(j);
    }
    const Index p = static_cast<Index>(keep.size());
    if (p == 0) return RowMatrixXd(n, 0);
    const Eigen::MatrixXd Xs = S.leftCols(p);
    const Eigen::MatrixXd gram = Xs.transpose() * Xs;
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram);
    const Eigen::VectorXd ev = eig.eigenvalues();
    const double top = ev.maxCoeff();
    std::vector<Index> comps;
    for (Index j = p - 1; j >= 0; --j) {
        if (ev(j) > top * 1e-12 * static_cast<double>(p)) comps.push_back(j);
    }
    const Index q = std::min<Index>(static_cast<Index>(comps.size()), n);
    Eigen::MatrixXd B(p, q);
    for (Index c = 0; c < q; ++c) {
        const Index j = comps[static_cast<std::size_t>(c)];
        // singular value = sqrt(eigenvalue of the Gram matrix)
        B.col(c) = eig.eigenvectors().col(j) / std::sqrt(std::sqrt(ev(j)));
    }
    return Xs * B;
}

/// Initial partition: identical rows share a cluster (mclust's dupPartition),
/// labels in order of first appearance.
template <class Derived>
std::vector<Index> duplicate_partition(const Eigen::MatrixBase<Derived>& X,
                                       Index& n_groups) {
    const Index n = X.rows();
    std::vector<Index> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), Index{0});
    auto less = [&](Index a, Index b) {
        for (Index j = 0; j < X.cols(); ++j) {
            if (X(a, j) < X(b, j)) return true;
            if (X(b, j) < X(a, j)) return false;
        }
        return a < b;
    };
    auto same = [&](Index a, Index b) {
        return (X.row(a).array() == X.row(b).array()).all();
    };
    std::sort(order.begin(), order.end(), less);
    // rep[r] = first row (smallest index) identical to row r
    std::vector<Index> rep(static_cast<std::size_t>(n));
    for (std::size_t s = 0; s < order.size();) {
        std::size_t e = s + 1;
        while (e < order.size() && same(order[s], order[e])) ++e;
        for (std::size_t t = s; t < e; ++t)
            rep[static_cast<std::size_t>(order[t])] = order[s];
        s = e;
    }
    std::vector<Index> label(static_cast<std::size_t>(n), -1);
    n_groups = 0;
    for (Index r = 0; r < n; ++r) {
        const Index h = rep[static_cast<std::size_t>(r)];
        if (label[static_cast<std::size_t>(h)] < 0)
            label[static_cast<std::size_t>(h)] = n_groups++;
        label[static_cast<std::size_t>(r)] = label[static_cast<std::size_t>(h)];
    }
    return label;
}

namespace detail {

/// One cluster of the agglomeration: count, mean, scatter about the mean,
/// its trace and the cluster's term of the criterion.
struct HcCluster {
    double n = 0;
    Eigen::VectorXd mean;
    Eigen::MatrixXd W;
    double trace = 0;
    double term = 0;
};

/// mclust's VVV term of a cluster of l rows with scatter W (trace tr):
/// l log(det(W / l) + beta (tr + alpha) / l), with the trace part alone
/// while W cannot be of full rank (l <= p) or its Cholesky factor has a zero
/// pivot. The log-sum is taken as mclust does, by the larger of the two parts.
/// W is read only when l > p and tr > 0; `llt` is the caller's (p x p) work
/// space, reused so that no pair allocates.
inline double vvv_term(double l, const Eigen::MatrixXd& W, double tr, double alpha,
                       double beta, Eigen::LLT<Eigen::MatrixXd>& llt) {
    const Index p = W.rows();
    const double trace_part = beta * (tr + alpha) / l;
    if (l <= static_cast<double>(p)) return l * std::log(trace_part);
    if (tr == 0.0) return l * std::log(alpha * beta / l);
    llt.compute(W / l);
    if (llt.info() != Eigen::Success) return l * std::log(trace_part);
    const Eigen::MatrixXd& L = llt.matrixLLT();
    double detlog = 0;
    for (Index k = 0; k < p; ++k) {
        const double q = L(k, k);
        if (!(std::abs(q) > 0.0)) return l * std::log(trace_part);
        detlog += 2.0 * std::log(std::abs(q));  // log det = 2 sum log L_kk
    }
    if (detlog <= 0.0) return l * std::log(std::exp(detlog) + trace_part);
    return l * (std::log1p(std::exp(-detlog) * trace_part) + detlog);
}

inline double vvv_term(double l, const Eigen::MatrixXd& W, double tr, double alpha,
                       double beta) {
    Eigen::LLT<Eigen::MatrixXd> llt(W.rows());
    return vvv_term(l, W, tr, alpha, beta, llt);
}

struct HcPair {
    double term;  // term of the merged cluster
    double cost;  // term - (term_a + term_b)
};

/// Work space of vvv_pair, one per thread: the pair costs allocate nothing.
struct HcScratch {
    Eigen::VectorXd v;
    Eigen::MatrixXd W;
    Eigen::LLT<Eigen::MatrixXd> llt;
    explicit HcScratch(Index p) : v(p), W(p, p), llt(p) {}
};

inline HcPair vvv_pair(const HcCluster& a, const HcCluster& b, double alpha,
                       double beta, HcScratch& s) {
    const double nab = a.n + b.n;
    s.v.noalias() = std::sqrt(a.n * b.n / nab) * (a.mean - b.mean);
    const double tr = a.trace + b.trace + s.v.squaredNorm();
    // The merged scatter matters only where vvv_term takes its determinant:
    // every pair of the first pass (two single rows, l = 2 <= p for p >= 2)
    // needs its trace alone, and forming W there was most of the pass.
    if (nab > static_cast<double>(s.W.rows()) && tr != 0.0) {
        s.W = a.W + b.W;
        s.W.noalias() += s.v * s.v.transpose();
    }
    const double term = vvv_term(nab, s.W, tr, alpha, beta, s.llt);
    return {term, term - (a.term + b.term)};
}

inline std::size_t packed(Index i, Index j) {  // 0-based slots, i < j
    return static_cast<std::size_t>(j * (j - 1) / 2 + i);
}

}  // namespace detail

/// The VVV agglomeration of the rows of Z (already transformed) from the
/// initial partition `initial` (labels 0..n_initial-1 in order of first
/// appearance), down to one cluster. alpha as mclust: alpha * trace of the
/// scatter of Z / sqrt(n p), floored at machine epsilon. The merge chosen at
/// each step is the smallest cost; among equal costs the last in mclust's scan
/// order (by the larger slot, then the smaller). Costs of different pairs are
/// computed on the pool; each goes to its own slot, so the result does not
/// depend on the thread count.
inline HierarchicalTree hierarchical_vvv(const RowMatrixXd& Z,
                                         std::vector<Index> initial, Index n_initial,
                                         ThreadPool& pool,
                                         const InterruptCheck& interrupt = {},
                                         double alpha = 1.0, double beta = 1.0) {
    const Index n = Z.rows();
    const Index p = Z.cols();
    HierarchicalTree tree;
    tree.initial = std::move(initial);
    tree.n_initial = n_initial;
    const Index ng = n_initial;
    if (ng <= 1) return tree;

    {
        const Eigen::RowVectorXd mean = Z.colwise().mean();
        const double sc =
            (Z.rowwise() - mean).squaredNorm() / static_cast<double>(n * p);
        alpha = std::max(alpha * sc, std::numeric_limits<double>::epsilon());
    }
    const double ablog = std::log(beta * alpha);

    // Slot s holds the cluster labelled s at the start.
    std::vector<detail::HcCluster> cl(static_cast<std::size_t>(ng));
    for (auto& c : cl) {
        c.mean = Eigen::VectorXd::Zero(p);
        c.W = Eigen::MatrixXd::Zero(p, p);
    }
    for (Index r = 0; r < n; ++r) {
        auto& c =
            cl[static_cast<std::size_t>(tree.initial[static_cast<std::size_t>(r)])];
        c.n += 1;
        // Welford's update: the scatter about the running mean.
        const Eigen::VectorXd delta = Z.row(r).transpose() - c.mean;
        c.mean += delta / c.n;
        c.W.noalias() += ((c.n - 1) / c.n) * delta * delta.transpose();
    }
    for (auto& c : cl) {
        c.trace = c.W.trace();
        c.term = c.n == 1 ? ablog : detail::vvv_term(c.n, c.W, c.trace, alpha, beta);
    }

    std::vector<double> cost(static_cast<std::size_t>(ng) *
                             static_cast<std::size_t>(ng - 1) / 2);
    // column minima: colmin[j] = the smallest cost over slots i < j, the last
    // such i on ties (mclust's scan keeps the last of equal minima).
    std::vector<double> colmin(static_cast<std::size_t>(ng),
                               std::numeric_limits<double>::infinity());
    std::vector<Index> colarg(static_cast<std::size_t>(ng), -1);
    auto rescan = [&](Index j) {
        double best = std::numeric_limits<double>::infinity();
        Index arg = -1;
        for (Index i = 0; i < j; ++i) {
            const double c = cost[detail::packed(i, j)];
            if (arg < 0 || c <= best) {
                best = c;
                arg = i;
            }
        }
        colmin[static_cast<std::size_t>(j)] = best;
        colarg[static_cast<std::size_t>(j)] = arg;
    };

    const Index block = 64;
    {
        const Index n_blocks = (ng + block - 1) / block;
        pool.run(
            n_blocks,
            [&](Index b) {
                detail::HcScratch scratch(p);
                for (Index j = b * block; j < std::min(ng, (b + 1) * block); ++j) {
                    for (Index i = 0; i < j; ++i) {
                        cost[detail::packed(i, j)] =
                            detail::vvv_pair(cl[static_cast<std::size_t>(i)],
                                             cl[static_cast<std::size_t>(j)], alpha,
                                             beta, scratch)
                                .cost;
                    }
                    if (j > 0) rescan(j);
                }
            },
            interrupt);
    }

    // label_of[slot]: the label (mclust's hcPairs numbering) of the cluster in slot.
    std::vector<Index> label_of(static_cast<std::size_t>(ng));
    std::iota(label_of.begin(), label_of.end(), Index{0});
    std::vector<detail::HcPair> fresh(static_cast<std::size_t>(ng));
    Index lg = ng;  // slots 0..lg-1 are live
    while (lg > 1) {
        throw_if_interrupted(interrupt);
        Index jopt = 1;
        for (Index j = 2; j < lg; ++j) {
            if (colmin[static_cast<std::size_t>(j)] <=
                colmin[static_cast<std::size_t>(jopt)])
                jopt = j;
        }
        const Index iopt = colarg[static_cast<std::size_t>(jopt)];
        const double dopt = colmin[static_cast<std::size_t>(jopt)];

        const Index la = label_of[static_cast<std::size_t>(iopt)];
        const Index lb = label_of[static_cast<std::size_t>(jopt)];
        tree.merges.push_back({std::min(la, lb), std::max(la, lb)});
        tree.costs.push_back(dopt);

        // Merge jopt into iopt.
        {
            auto& a = cl[static_cast<std::size_t>(iopt)];
            const auto& b = cl[static_cast<std::size_t>(jopt)];
            const double nab = a.n + b.n;
            const Eigen::VectorXd v = std::sqrt(a.n * b.n / nab) * (a.mean - b.mean);
            const double term = dopt + (a.term + b.term);
            a.W += b.W;
            a.W.noalias() += v * v.transpose();
            a.trace = a.trace + b.trace + v.squaredNorm();
            a.mean = (a.n * a.mean + b.n * b.mean) / nab;
            a.n = nab;
            a.term = term;
        }
        label_of[static_cast<std::size_t>(iopt)] = std::min(la, lb);
        const Index last = lg - 1;
        if (jopt != last) {
            // The last slot moves into jopt, with its costs.
            cl[static_cast<std::size_t>(jopt)] = cl[static_cast<std::size_t>(last)];
            label_of[static_cast<std::size_t>(jopt)] =
                label_of[static_cast<std::size_t>(last)];
            for (Index i = 0; i < jopt; ++i)
                cost[detail::packed(i, jopt)] = cost[detail::packed(i, last)];
            for (Index k = jopt + 1; k < last; ++k)
                cost[detail::packed(jopt, k)] = cost[detail::packed(k, last)];
        }
        lg = last;
        if (lg <= 1) break;

        // Costs of the merged cluster against every other slot.
        const auto& merged = cl[static_cast<std::size_t>(iopt)];
        const Index n_blocks = (lg + block - 1) / block;
        pool.run(
            n_blocks,
            [&](Index b) {
                detail::HcScratch scratch(p);
                for (Index s = b * block; s < std::min(lg, (b + 1) * block); ++s) {
                    if (s == iopt) continue;
                    fresh[static_cast<std::size_t>(s)] = detail::vvv_pair(
                        s < iopt ? cl[static_cast<std::size_t>(s)] : merged,
                        s < iopt ? merged : cl[static_cast<std::size_t>(s)], alpha,
                        beta, scratch);
                }
            },
            interrupt);
        for (Index s = 0; s < lg; ++s) {
            if (s == iopt) continue;
            cost[s < iopt ? detail::packed(s, iopt) : detail::packed(iopt, s)] =
                fresh[static_cast<std::size_t>(s)].cost;
        }
        // Column minima: only rows iopt and jopt changed in the other columns.
        for (Index k = 1; k < lg; ++k) {
            const Index arg = colarg[static_cast<std::size_t>(k)];
            if (k == iopt || k == jopt || arg == iopt || arg == jopt) {
                rescan(k);
                continue;
            }
            for (const Index r : {std::min(iopt, jopt), std::max(iopt, jopt)}) {
                if (r >= k) continue;
                const double c = cost[detail::packed(r, k)];
                auto& m = colmin[static_cast<std::size_t>(k)];
                auto& a = colarg[static_cast<std::size_t>(k)];
                if (c < m || (c == m && r > a)) {
                    m = c;
                    a = r;
                }
            }
        }
    }
    return tree;
}

/// The whole start: transform (hcUse = "SVD"), initial partition of identical
/// rows, agglomeration.
template <class Derived>
HierarchicalTree hierarchical_tree(const Eigen::MatrixBase<Derived>& X,
                                   ThreadPool& pool,
                                   const InterruptCheck& interrupt = {}) {
    if (X.rows() < 1) throw InvalidArgument("X must have at least one row");
    if (!X.allFinite()) throw InvalidArgument("X must not contain NaN or infinity");
    // Every row starts alone: mclust's hc() documents dupPartition as its
    // default, but never passes it on to hcVVV (which then starts from 1:n);
    // the merge sequence here is the one mclust computes.
    const Index ng = X.rows();
    std::vector<Index> initial(static_cast<std::size_t>(ng));
    std::iota(initial.begin(), initial.end(), Index{0});
    const RowMatrixXd Z = svd_transform(X);
    if (Z.cols() == 0) {
        // Every column constant: all rows identical, one initial cluster.
        HierarchicalTree tree;
        tree.initial.assign(static_cast<std::size_t>(ng), 0);
        tree.n_initial = 1;
        return tree;
    }
    return hierarchical_vvv(Z, std::move(initial), ng, pool, interrupt);
}

}  // namespace emclust
