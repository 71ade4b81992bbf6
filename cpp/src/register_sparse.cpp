// Bindings of the sparse (CSR) kernels: K-means, K-medians, k-means++ and the
// mixture of Bernoullis. A CSR matrix arrives as its three arrays (indptr and
// indices of one integer type, int32 or int64; data float32 or float64) plus
// its number of columns, viewed without a copy.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <emclust/sparse_bernoulli.hpp>
#include <emclust/sparse_kmeans.hpp>
#include <emclust/sparse_kmedians.hpp>
#include <string>

#include "bindings.hpp"
#include "fit_options.hpp"
#include "params.hpp"
#include "results.hpp"

namespace py = pybind11;
using namespace emclust;
using emclust::bind::CArray;

namespace {

/// The three arrays of a CSR matrix with n_features columns, checked for
/// shape here; their contents are checked by check_csr (without the GIL).
template <class T, class I>
struct Csr {
    CsrView<T, I> view;
    Index stored = 0;

    Csr(const CArray<I>& indptr, const CArray<I>& indices, const CArray<T>& data,
        Index n_features) {
        if (indptr.ndim() != 1 || indices.ndim() != 1 || data.ndim() != 1)
            throw std::invalid_argument("X.indptr, X.indices and X.data must be 1-D");
        if (indptr.shape(0) < 1)
            throw std::invalid_argument("X.indptr must not be empty");
        if (indices.shape(0) != data.shape(0)) {
            throw std::invalid_argument(
                "X.indices and X.data must have the same length");
        }
        if (n_features < 0) throw std::invalid_argument("n_features must be >= 0");
        view.indptr = indptr.data();
        view.indices = indices.data();
        view.data = data.data();
        view.rows = static_cast<Index>(indptr.shape(0)) - 1;
        view.cols = n_features;
        stored = static_cast<Index>(data.shape(0));
    }

    /// Call without the GIL.
    void check() const { check_csr(view, stored); }
};

using bind::param_matrix;
using bind::param_vector;

/// A mixture of Bernoullis, checked; unlike the dense bindings' it names a
/// probabilities array that is not 2-D before reading the weights.
BernoulliMixtureParams mixture(const py::object& weights,
                               const py::object& probabilities) {
    BernoulliMixtureParams p;
    p.weights = param_vector(weights);
    p.probabilities = param_matrix(probabilities, "probabilities");
    check_bernoulli_params(p);
    return p;
}

// Every binding below converts its Python objects first, then releases the
// GIL: the CSR arrays are owned by arguments that live until the call
// returns, the outputs by its frame, and the core touches no Python object
// (the interrupt check takes the GIL itself). check_csr reads every stored
// entry, so it runs without the GIL too.

template <class T, class I>
py::tuple kmeans_fit(const CArray<I>& indptr, const CArray<I>& indices,
                     const CArray<T>& data, Index n_features,
                     const py::object& sample_weight, const std::string& metric,
                     Index n_clusters, const std::string& init,
                     const py::object& init_centers, int max_iter, double tol,
                     int n_init, std::uint64_t seed, int n_threads) {
    const Csr<T, I> X(indptr, indices, data, n_features);
    const auto w = bind::view_vector(sample_weight, "sample_weight");
    KMeansOptions options =
        bind::kmeans_options(n_clusters, max_iter, tol, n_init, init);
    if (options.init == KMeansInit::array)
        options.initial_centers = param_matrix(init_centers, "init");
    const Distance distance = parse_distance(metric);
    return bind::kmeans_tuple(bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            X.check();
            Rng rng(seed);
            return distance == Distance::squared_euclidean
                       ? sparse_kmeans_fit<T, I>(X.view, w, options, pool, rng,
                                                 interrupt)
                       : sparse_kmedians_fit<T, I>(X.view, w, options, pool, rng,
                                                   interrupt);
        }));
}

template <class T, class I>
py::array_t<std::int64_t> plusplus(const CArray<I>& indptr, const CArray<I>& indices,
                                   const CArray<T>& data, Index n_features,
                                   const py::object& sample_weight, Index n_clusters,
                                   const std::string& metric, std::uint64_t seed,
                                   int n_threads) {
    const Csr<T, I> X(indptr, indices, data, n_features);
    const auto w = bind::view_vector(sample_weight, "sample_weight");
    const Distance distance = parse_distance(metric);
    return bind::index_array(bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            X.check();
            Rng rng(seed);
            return sparse_plusplus<T, I>(X.view, w, n_clusters, distance, rng, pool,
                                         interrupt);
        }));
}

template <class T, class I>
py::tuple assign(const CArray<I>& indptr, const CArray<I>& indices,
                 const CArray<T>& data, Index n_features,
                 const py::object& sample_weight, const CArray<double>& centers_arr,
                 const std::string& metric, int n_threads) {
    const Csr<T, I> X(indptr, indices, data, n_features);
    const auto w = bind::view_vector(sample_weight, "sample_weight");
    const RowMatrixXd centers = bind::view_matrix<double>(centers_arr, "centers");
    const Distance distance = parse_distance(metric);
    return bind::assignment_tuple(bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            X.check();
            return sparse_kmeans_assign<T, I>(X.view, w, centers, distance, pool,
                                              interrupt);
        }));
}

template <class T, class I>
py::array_t<T> distances(const CArray<I>& indptr, const CArray<I>& indices,
                         const CArray<T>& data, Index n_features,
                         const CArray<double>& centers_arr, const std::string& metric,
                         int n_threads) {
    const Csr<T, I> X(indptr, indices, data, n_features);
    const RowMatrixXd centers = bind::view_matrix<double>(centers_arr, "centers");
    const Distance distance = parse_distance(metric);
    return bind::to_numpy<T>(bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            X.check();
            return sparse_kmeans_distances<T, I>(X.view, centers, distance, pool,
                                                 interrupt);
        }));
}

template <class T, class I>
py::dict bernoulli_fit(const CArray<I>& indptr, const CArray<I>& indices,
                       const CArray<T>& data, Index n_features,
                       const py::object& sample_weight, Index n_components, double tol,
                       double alpha, int max_iter, int n_init,
                       const std::string& init_params, const py::object& weights_init,
                       const py::object& probabilities_init, std::uint64_t seed,
                       int n_threads, const py::object& on_iteration) {
    const Csr<T, I> X(indptr, indices, data, n_features);
    const auto w = bind::view_vector(sample_weight, "sample_weight");
    const BernoulliMixtureOptions o = bind::bernoulli_options(
        n_components, tol, alpha, bind::FitCounts{n_init, max_iter, n_threads},
        init_params, weights_init, probabilities_init, seed, on_iteration,
        "probabilities_init");
    return bind::fit_dict(bind::without_gil([&] {
        X.check();
        return sparse_fit_bernoulli_mixture<T, I>(X.view, w, o,
                                                  bind::python_interrupt_check());
    }));
}

template <class T, class I>
py::tuple bernoulli_e_step(const CArray<I>& indptr, const CArray<I>& indices,
                           const CArray<T>& data, Index n_features,
                           const py::object& weights, const py::object& probabilities,
                           bool want_resp, bool want_log_prob, bool log_resp,
                           int n_threads) {
    const Csr<T, I> X(indptr, indices, data, n_features);
    const BernoulliMixtureParams p = mixture(weights, probabilities);
    const bind::EStepArrays<T> a(X.view.rows, p.n_components(), want_resp,
                                 want_log_prob);
    bind::on_pool(n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
        X.check();
        sparse_bernoulli_e_step<T, I>(X.view, p, a.resp_ptr, a.log_prob_ptr, log_resp,
                                      pool, interrupt);
    });
    return a.tuple();
}

template <class T, class I>
py::dict bernoulli_statistics(const CArray<I>& indptr, const CArray<I>& indices,
                              const CArray<T>& data, Index n_features,
                              const py::object& sample_weight,
                              const py::object& weights,
                              const py::object& probabilities, int n_threads) {
    const Csr<T, I> X(indptr, indices, data, n_features);
    const auto w = bind::view_vector(sample_weight, "sample_weight");
    const BernoulliMixtureParams p = mixture(weights, probabilities);
    return bind::statistics_dict(bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            X.check();
            return sparse_bernoulli_e_step_statistics<T, I>(X.view, w, p, pool,
                                                            interrupt);
        }));
}

#define EMCLUST_CSR_ARGS                                           \
    py::arg("indptr").noconvert(), py::arg("indices").noconvert(), \
        py::arg("data").noconvert(), py::arg("n_features")

template <class T, class I>
void define(py::module_& m) {
    m.def("sparse_kmeans_fit", &kmeans_fit<T, I>, EMCLUST_CSR_ARGS,
          py::arg("sample_weight"), py::arg("metric"), py::arg("n_clusters"),
          py::arg("init"), py::arg("init_centers"), py::arg("max_iter"), py::arg("tol"),
          py::arg("n_init"), py::arg("seed"), py::arg("n_threads"),
          "K-means ('l2') or K-medians ('l1') on CSR arrays; returns (centers, "
          "labels, inertia, n_iter).");
    m.def("sparse_kmeans_plusplus", &plusplus<T, I>, EMCLUST_CSR_ARGS,
          py::arg("sample_weight"), py::arg("n_clusters"), py::arg("metric"),
          py::arg("seed"), py::arg("n_threads"),
          "Greedy ++ seeding on CSR arrays; returns row indices.");
    m.def("sparse_kmeans_assign", &assign<T, I>, EMCLUST_CSR_ARGS,
          py::arg("sample_weight"), py::arg("centers").noconvert(), py::arg("metric"),
          py::arg("n_threads"),
          "Nearest centres of CSR rows and inertia; returns (labels, inertia).");
    m.def("sparse_kmeans_distances", &distances<T, I>, EMCLUST_CSR_ARGS,
          py::arg("centers").noconvert(), py::arg("metric"), py::arg("n_threads"),
          "Euclidean ('l2') or Manhattan ('l1') distances of CSR rows, (n, k).");
    bind::def(
        m, "sparse_bernoulli_fit", &bernoulli_fit<T, I>,
        std::tuple_cat(std::make_tuple(EMCLUST_CSR_ARGS), bind::bernoulli_fit_args()));
    m.def("sparse_bernoulli_e_step", &bernoulli_e_step<T, I>, EMCLUST_CSR_ARGS,
          py::arg("weights"), py::arg("probabilities"), py::arg("want_resp"),
          py::arg("want_log_prob"), py::arg("log_resp"), py::arg("n_threads"));
    m.def("sparse_bernoulli_statistics", &bernoulli_statistics<T, I>, EMCLUST_CSR_ARGS,
          py::arg("sample_weight"), py::arg("weights"), py::arg("probabilities"),
          py::arg("n_threads"));
}

#undef EMCLUST_CSR_ARGS

}  // namespace

void register_sparse(py::module_& m) {
    define<double, std::int32_t>(m);
    define<double, std::int64_t>(m);
    define<float, std::int32_t>(m);
    define<float, std::int64_t>(m);
}
