// The sparse (CSR) kernels against the dense ones on the densified matrix:
// same labels and centres (to 1e-12) from the same initial centres, for
// K-means, K-medians and the Bernoulli mixture; canonical form of messy CSR
// input; bits independent of the thread count; malformed input rejected.
#include <algorithm>
#include <cstdint>
#include <emclust/bernoulli_mixture.hpp>
#include <emclust/kmeans.hpp>
#include <emclust/kmedians.hpp>
#include <emclust/sparse_bernoulli.hpp>
#include <emclust/sparse_kmeans.hpp>
#include <emclust/sparse_kmedians.hpp>
#include <numeric>
#include <vector>

#include "check.hpp"

using namespace emclust;

namespace {

/// A CSR matrix that owns its arrays.
template <class T, class I>
struct Csr {
    std::vector<I> indptr{0};
    std::vector<I> indices;
    std::vector<T> data;
    Index cols = 0;

    CsrView<T, I> view() const {
        return {indptr.data(), indices.data(), data.data(),
                static_cast<Index>(indptr.size()) - 1, cols};
    }
};

/// n rows, d columns; cluster c's rows are dense in columns [c*b, c*b + b/2)
/// with background nonzeros elsewhere; rows 3 and 17 are zero, the last two
/// columns empty. With `messy`, entries are stored in reverse column order
/// and every third one is split into two duplicates.
template <class T, class I>
Csr<T, I> clustered(Index n, Index d, Index k, std::uint64_t seed, bool messy) {
    Rng rng(seed);
    Csr<T, I> X;
    X.cols = d;
    const Index b = (d - 2) / k;
    for (Index r = 0; r < n; ++r) {
        std::vector<std::pair<Index, double>> row;
        const Index c = static_cast<Index>(rng.below(static_cast<std::uint64_t>(k)));
        for (Index j = 0; j < d - 2 && r != 3 && r != 17; ++j) {
            const bool own = j >= c * b && j < c * b + b / 2;
            if (own || rng.uniform() < 0.05)
                row.emplace_back(j, own ? 1.0 + 2.0 * rng.uniform() : rng.uniform());
        }
        if (messy) std::reverse(row.begin(), row.end());
        for (std::size_t e = 0; e < row.size(); ++e) {
            const auto col = static_cast<I>(row[e].first);
            const T v = static_cast<T>(row[e].second);
            if (messy && e % 3 == 0) {
                X.indices.push_back(col);
                X.data.push_back(v / T(4));
                X.indices.push_back(col);
                X.data.push_back(v - v / T(4));
            } else {
                X.indices.push_back(col);
                X.data.push_back(v);
            }
        }
        X.indptr.push_back(static_cast<I>(X.indices.size()));
    }
    return X;
}

template <class T, class I>
void fit_matches_dense(bool l1, bool messy) {
    const auto X = clustered<T, I>(700, 40, 4, 5, messy);
    const RowMatrix<T> A = csr_to_dense(X.view());
    KMeansOptions o;
    o.n_clusters = 4;
    o.tol = 0.0;
    o.init = KMeansInit::array;
    o.initial_centers.resize(4, 40);
    for (Index c = 0; c < 4; ++c)
        o.initial_centers.row(c) = A.row(100 * c).template cast<double>();
    const Eigen::VectorXd none;
    ThreadPool pool(2);
    Rng rng(0), rng2(0);
    const KMeansResult s = l1 ? sparse_kmedians_fit<T, I>(X.view(), none, o, pool, rng)
                              : sparse_kmeans_fit<T, I>(X.view(), none, o, pool, rng);
    const ConstRowMatrixRef<T> Ad(A);
    const KMeansResult d = l1 ? kmedians_fit<T>(Ad, none, o, pool, rng2)
                              : kmeans_fit<T>(Ad, none, o, pool, rng2);
    CHECK(s.labels == d.labels);
    CHECK(s.n_iter == d.n_iter);
    CHECK(s.n_iter > 1);
    const double rtol = std::is_same_v<T, double> ? 1e-12 : 1e-5;
    CHECK_CLOSE(s.centers, d.centers, rtol, 1.0);
    CHECK(std::abs(s.inertia - d.inertia) <= 1e-10 * d.inertia);
}

}  // namespace

EMCLUST_TEST(canonical_form_sorts_and_sums_duplicates) {
    Csr<double, std::int32_t> X;
    X.cols = 4;
    X.indptr = {0, 3, 3, 5};
    X.indices = {2, 0, 2, 3, 1};
    X.data = {1.0, 5.0, 0.5, 7.0, 2.0};
    const CanonicalCsr<double, std::int32_t> c(X.view());
    CHECK(c.copied());
    CHECK(has_canonical_format(c.view()));
    CHECK(c.view().nnz() == 4);
    CHECK(c.view().indices[0] == 0 && c.view().indices[1] == 2);
    CHECK(c.view().data[1] == 1.5);
    CHECK(csr_to_dense(c.view()) == csr_to_dense(X.view()));
    const CanonicalCsr<double, std::int32_t> again(c.view());
    CHECK(!again.copied());
}

EMCLUST_TEST(malformed_csr_is_invalid_argument) {
    Csr<double, std::int64_t> X;
    X.cols = 3;
    X.indptr = {0, 2, 1};
    X.indices = {0, 1};
    X.data = {1.0, 2.0};
    CHECK_THROWS_AS(check_csr(X.view(), 2), InvalidArgument);
    X.indptr = {0, 1, 2};
    X.indices = {0, 3};
    CHECK_THROWS_AS(check_csr(X.view(), 2), InvalidArgument);
    X.indices = {0, 2};
    CHECK_THROWS_AS(check_csr(X.view(), 1), InvalidArgument);
    X.data = {1.0, std::nan("")};
    CHECK_THROWS_AS(check_csr(X.view(), 2), InvalidArgument);
}

EMCLUST_TEST(sparse_kmeans_matches_dense_float64) {
    fit_matches_dense<double, std::int32_t>(false, false);
    fit_matches_dense<double, std::int64_t>(false, true);
}
EMCLUST_TEST(sparse_kmeans_matches_dense_float32) {
    fit_matches_dense<float, std::int32_t>(false, false);
}
EMCLUST_TEST(sparse_kmedians_matches_dense) {
    fit_matches_dense<double, std::int32_t>(true, false);
    fit_matches_dense<double, std::int64_t>(true, true);
}

EMCLUST_TEST(sparse_kmeans_thread_count_does_not_change_bits) {
    const auto X = clustered<double, std::int32_t>(3000, 50, 5, 9, false);
    KMeansOptions o;
    o.n_clusters = 5;
    o.n_init = 2;
    KMeansResult first;
    for (int t : {1, 2, 3}) {
        ThreadPool pool(t);
        Rng rng(4);
        const KMeansResult r = sparse_kmeans_fit<double, std::int32_t>(
            X.view(), Eigen::VectorXd(), o, pool, rng);
        if (t == 1) {
            first = r;
        } else {
            CHECK(r.centers == first.centers);
            CHECK(r.labels == first.labels);
            CHECK(r.inertia == first.inertia);
        }
    }
}

EMCLUST_TEST(sparse_bernoulli_matches_dense) {
    auto X = clustered<double, std::int32_t>(600, 30, 3, 2, false);
    std::fill(X.data.begin(), X.data.end(), 1.0);
    const RowMatrixXd A = csr_to_dense(X.view());
    BernoulliMixtureOptions o;
    o.n_components = 3;
    o.max_iter = 15;
    o.tol = 0.0;
    o.seed = 3;
    o.n_threads = 2;
    const auto s = sparse_fit_bernoulli_mixture<double, std::int32_t>(
        X.view(), Eigen::VectorXd(), o);
    const auto d = fit_bernoulli_mixture<double>(A, Eigen::VectorXd(), o);
    CHECK(s.trace.n_iter == d.trace.n_iter);
    CHECK_CLOSE(s.params.probabilities, d.params.probabilities, 1e-12, 1e-300);
    CHECK_CLOSE(s.params.weights, d.params.weights, 1e-12, 1e-300);
    CHECK(std::abs(s.trace.lower_bound - d.trace.lower_bound) <=
          1e-12 * std::abs(d.trace.lower_bound));
}

EMCLUST_TEST_MAIN()
