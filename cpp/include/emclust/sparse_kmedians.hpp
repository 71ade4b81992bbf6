// K-medians on sparse rows (CSR). A cluster's median in feature j is that of
// its members' values there, most of which are implicit zeros: all of them
// enter as one item, zero with the weight of the members not stored in column
// j, so no cluster is ever densified.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "kmedians.hpp"
#include "sparse_kmeans.hpp"

namespace emclust {

namespace kmeans_detail {

/// M-step of sparse K-medians: every centre with members becomes the
/// component-wise (weighted) median of its members of positive weight, as
/// median_update computes it on the densified rows; the others keep their
/// centre. One task per cluster: its members' nonzeros sorted by column,
/// then one weighted_median per stored column; other columns are 0.
/// @param centres (k, d) in/out
template <class T, class I>
void sparse_median_update(const CsrView<T, I>& X,
                          const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                          const Labels& labels, RowMatrixXd& centres, ThreadPool& pool,
                          const InterruptCheck& interrupt) {
    const Index k = centres.rows();
    const ClusterMembers g = group_by_cluster(labels, sample_weight, k);
    const bool weighted = sample_weight.size() != 0;
    struct Entry {
        Index column;
        double value;
        double weight;
    };
    pool.run(
        k,
        [&](Index c) {
            const Index begin = g.start[c], end = g.start[c + 1];
            if (begin == end) return;
            std::vector<Entry> entries;
            double total = 0.0;
            for (Index m = begin; m < end; ++m) {
                const Index r = g.members[m];
                const double w = weighted ? sample_weight[r] : 1.0;
                total += w;
                for (Index e = X.begin(r); e < X.end(r); ++e) {
                    entries.push_back({static_cast<Index>(X.indices[e]),
                                       static_cast<double>(X.data[e]), w});
                }
            }
            std::sort(
                entries.begin(), entries.end(),
                [](const Entry& a, const Entry& b) { return a.column < b.column; });
            double* centre = centres.row(c).data();
            std::fill(centre, centre + X.cols, 0.0);
            std::vector<std::pair<double, double>> items;
            for (std::size_t e = 0; e < entries.size();) {
                const Index j = entries[e].column;
                items.clear();
                double stored = 0.0;
                for (; e < entries.size() && entries[e].column == j; ++e) {
                    items.emplace_back(entries[e].value, entries[e].weight);
                    stored += entries[e].weight;
                }
                // Unit weights: an exact count. Weighted: the remainder is the
                // zeros' weight up to rounding, which only matters where the
                // cumulative weight lands exactly on half.
                const double zeros = weighted ? total - stored
                                              : static_cast<double>(end - begin) -
                                                    static_cast<double>(items.size());
                if (zeros > 0.0) items.emplace_back(0.0, zeros);
                centre[j] = weighted_median(items);
            }
        },
        interrupt);
}

}  // namespace kmeans_detail

/// K-medians on a CSR matrix: from the same initial centres, the labels and
/// centres of kmedians_fit on the densified matrix. L1 distances as
/// ||c||₁ + Σ over nonzeros (|x_j - c_j| - |c_j|), seeding by the L1 k-means++,
/// relocation and stopping rule of kmeans_fit. Bit-identical for any number
/// of threads.
/// @param X (n, d) CSR  @param sample_weight (n) or size 0
template <class T, class I>
KMeansResult sparse_kmedians_fit(const CsrView<T, I>& X,
                                 const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
                                 const KMeansOptions& options, ThreadPool& pool,
                                 Rng& rng, const InterruptCheck& interrupt = {}) {
    const CanonicalCsr<T, I> canonical(X);
    const CsrView<T, I>& Xc = canonical.view();
    const kmeans_detail::CentreUpdate median_step =
        [&](const Labels& labels, const kmeans_detail::ClusterStats&,
            RowMatrixXd& centres) {
            kmeans_detail::sparse_median_update<T, I>(Xc, sample_weight, labels,
                                                      centres, pool, interrupt);
        };
    return kmeans_detail::sparse_fit<T, I>(Xc, sample_weight, options,
                                           Distance::manhattan, median_step, pool, rng,
                                           interrupt);
}

}  // namespace emclust
