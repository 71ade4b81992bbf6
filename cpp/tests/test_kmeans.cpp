// K-means and K-medians against brute-force Lloyd iterations on dense
// distance matrices (from given initial centres), identical bits for any
// thread count, and errors as exceptions.
#include <algorithm>
#include <emclust/kmeans.hpp>
#include <emclust/kmedians.hpp>

#include "check.hpp"
#include "dense_reference.hpp"

using namespace emclust;
using dense::Mat;
using dense::Vec;

namespace {

constexpr Index kRows = 900, kDims = 3, kClusters = 4;

/// Plain Lloyd: label every row with its nearest centre (first on ties),
/// recompute every centre from its members (mean, or component-wise median
/// for L1), stop when no label changes. Returns centres, labels, inertia.
struct Lloyd {
    Mat centres;
    std::vector<Index> labels;
    double inertia = 0;
    int n_iter = 0;
};

double distance(const Mat& X, Index i, const Mat& C, Index c, bool l1) {
    const Vec r = X.row(i) - C.row(c);
    return l1 ? r.cwiseAbs().sum() : r.squaredNorm();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 == 1 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

Lloyd lloyd(const Mat& X, Mat centres, bool l1, int max_iter) {
    const Index n = X.rows(), k = centres.rows();
    Lloyd out;
    out.labels.assign(static_cast<std::size_t>(n), -1);
    for (out.n_iter = 1; out.n_iter <= max_iter; ++out.n_iter) {
        std::vector<Index> labels(static_cast<std::size_t>(n));
        for (Index i = 0; i < n; ++i) {
            Index best = 0;
            for (Index c = 1; c < k; ++c) {
                if (distance(X, i, centres, c, l1) < distance(X, i, centres, best, l1))
                    best = c;
            }
            labels[static_cast<std::size_t>(i)] = best;
        }
        for (Index c = 0; c < k; ++c) {
            for (Index j = 0; j < X.cols(); ++j) {
                std::vector<double> members;
                for (Index i = 0; i < n; ++i) {
                    if (labels[static_cast<std::size_t>(i)] == c)
                        members.push_back(X(i, j));
                }
                double mean = 0;
                for (double v : members) mean += v;
                centres(c, j) = l1 ? median(members) : mean / members.size();
            }
        }
        const bool stable = labels == out.labels;
        out.labels = labels;
        if (stable) break;
    }
    out.centres = centres;
    for (Index i = 0; i < n; ++i) {
        out.inertia +=
            distance(X, i, centres, out.labels[static_cast<std::size_t>(i)], l1);
    }
    return out;
}

template <class T>
void matches_lloyd(bool l1) {
    const RowMatrix<T> X = dense::blobs(kRows, kDims, kClusters, 3.0, 111).cast<T>();
    const Mat Xd = X.template cast<double>();
    KMeansOptions o;
    o.n_clusters = kClusters;
    o.init = KMeansInit::array;
    o.initial_centers = Xd.topRows(kClusters);  // one row of each blob
    o.tol = 0.0;
    o.max_iter = 100;
    const KMeansResult got =
        l1 ? kmedians_fit<T>(X, Vec(), o, 2, 0) : kmeans_fit<T>(X, Vec(), o, 2, 0);
    const Lloyd ref = lloyd(Xd, o.initial_centers, l1, o.max_iter);
    CHECK(ref.n_iter > 2 && ref.n_iter < o.max_iter);
    CHECK(got.n_iter == ref.n_iter);
    bool same_labels = got.labels.size() == kRows;
    for (Index i = 0; same_labels && i < kRows; ++i) {
        same_labels = got.labels[i] == ref.labels[static_cast<std::size_t>(i)];
    }
    CHECK(same_labels);
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    CHECK_CLOSE(got.centers, ref.centres, tol, 1.0);
    CHECK(std::abs(got.inertia - ref.inertia) <= tol * ref.inertia);
}

}  // namespace

EMCLUST_TEST(kmeans_matches_lloyd_float64) { matches_lloyd<double>(false); }
EMCLUST_TEST(kmeans_matches_lloyd_float32) { matches_lloyd<float>(false); }
EMCLUST_TEST(kmedians_matches_lloyd_float64) { matches_lloyd<double>(true); }

EMCLUST_TEST(kmeans_thread_count_does_not_change_bits) {
    const RowMatrixXd X = dense::blobs(6000, 4, 5, 2.0, 121);
    for (bool l1 : {false, true}) {
        for (KMeansInit init : {KMeansInit::kmeans_plusplus, KMeansInit::random}) {
            KMeansOptions o;
            o.n_clusters = 5;
            o.init = init;
            o.n_init = 2;
            auto fit = [&](int threads) {
                return l1 ? kmedians_fit<double>(X, Vec(), o, threads, 7)
                          : kmeans_fit<double>(X, Vec(), o, threads, 7);
            };
            const KMeansResult serial = fit(1);
            for (int threads : {2, 3}) {
                const KMeansResult r = fit(threads);
                CHECK(r.centers == serial.centers);
                CHECK(r.labels == serial.labels);
                CHECK(r.inertia == serial.inertia);
                CHECK(r.n_iter == serial.n_iter);
            }
        }
    }
}

EMCLUST_TEST(kmeans_bad_options_are_invalid_argument) {
    const RowMatrixXd X = dense::blobs(20, 2, 2, 3.0, 131);
    KMeansOptions o;
    o.n_clusters = 0;
    CHECK_THROWS_AS(kmeans_fit<double>(X, Vec(), o, 1, 0), std::invalid_argument);
    o.n_clusters = 21;
    CHECK_THROWS_AS(kmeans_fit<double>(X, Vec(), o, 1, 0), std::invalid_argument);
    o.n_clusters = 2;
    CHECK_THROWS_AS(kmeans_fit<double>(X, Vec::Ones(19), o, 1, 0),
                    std::invalid_argument);
    o.init = KMeansInit::array;
    o.initial_centers = RowMatrixXd::Zero(2, 3);
    CHECK_THROWS_AS(kmedians_fit<double>(X, Vec(), o, 1, 0), std::invalid_argument);
}

EMCLUST_TEST_MAIN()
