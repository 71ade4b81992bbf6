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

RowMatrixXd param_matrix(const py::object& a, const char* name) {
    if (a.is_none()) return {};
    auto arr = py::cast<CArray<double>>(a);
    return bind::view_matrix<double>(arr, name);
}

Eigen::VectorXd param_vector(const py::object& a) {
    if (a.is_none()) return {};
    auto arr = py::cast<CArray<double>>(a);
    return Eigen::Map<const Eigen::VectorXd>(arr.data(), arr.size());
}

template <class T, class I>
py::tuple kmeans_fit(const CArray<I>& indptr, const CArray<I>& indices,
                     const CArray<T>& data, Index n_features,
                     const py::object& sample_weight, const std::string& metric,
                     Index n_clusters, const std::string& init,
                     const py::object& init_centers, int max_iter, double tol,
                     int n_init, std::uint64_t seed, int n_threads) {
    const Csr<T, I> X(indptr, indices, data, n_features);
    const auto w = bind::view_vector(sample_weight, "sample_weight");
    KMeansOptions options;
    options.n_clusters = n_clusters;
    options.max_iter = max_iter;
    options.tol = tol;
    options.n_init = n_init;
    options.init = parse_kmeans_init(init);
    if (options.init == KMeansInit::array)
        options.initial_centers = param_matrix(init_centers, "init");
    const Distance distance = parse_distance(metric);
    const InterruptCheck interrupt = bind::python_interrupt_check();
    KMeansResult result;
    {
        // Safe without the GIL: the arrays are owned by arguments that live
        // until the call returns; the core touches no Python object (the
        // interrupt check takes the GIL itself).
        py::gil_scoped_release release;
        X.check();
        ThreadPool pool(n_threads);
        Rng rng(seed);
        result =
            distance == Distance::squared_euclidean
                ? sparse_kmeans_fit<T, I>(X.view, w, options, pool, rng, interrupt)
                : sparse_kmedians_fit<T, I>(X.view, w, options, pool, rng, interrupt);
    }
    return py::make_tuple(bind::to_numpy<double>(result.centers),
                          bind::to_numpy<std::int64_t>(result.labels), result.inertia,
                          result.n_iter);
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
    const InterruptCheck interrupt = bind::python_interrupt_check();
    std::vector<Index> rows;
    {
        // Safe without the GIL: see kmeans_fit().
        py::gil_scoped_release release;
        X.check();
        ThreadPool pool(n_threads);
        Rng rng(seed);
        rows = sparse_plusplus<T, I>(X.view, w, n_clusters, distance, rng, pool,
                                     interrupt);
    }
    py::array_t<std::int64_t> out(static_cast<py::ssize_t>(rows.size()));
    for (std::size_t i = 0; i < rows.size(); ++i) out.mutable_data()[i] = rows[i];
    return out;
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
    const InterruptCheck interrupt = bind::python_interrupt_check();
    KMeansAssignment result;
    {
        // Safe without the GIL: see kmeans_fit().
        py::gil_scoped_release release;
        X.check();
        ThreadPool pool(n_threads);
        result =
            sparse_kmeans_assign<T, I>(X.view, w, centers, distance, pool, interrupt);
    }
    return py::make_tuple(bind::to_numpy<std::int64_t>(result.labels), result.inertia);
}

template <class T, class I>
py::array_t<T> distances(const CArray<I>& indptr, const CArray<I>& indices,
                         const CArray<T>& data, Index n_features,
                         const CArray<double>& centers_arr, const std::string& metric,
                         int n_threads) {
    const Csr<T, I> X(indptr, indices, data, n_features);
    const RowMatrixXd centers = bind::view_matrix<double>(centers_arr, "centers");
    const Distance distance = parse_distance(metric);
    const InterruptCheck interrupt = bind::python_interrupt_check();
    RowMatrixXd result;
    {
        // Safe without the GIL: see kmeans_fit().
        py::gil_scoped_release release;
        X.check();
        ThreadPool pool(n_threads);
        result =
            sparse_kmeans_distances<T, I>(X.view, centers, distance, pool, interrupt);
    }
    return bind::to_numpy<T>(result);
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
    BernoulliMixtureOptions o;
    o.n_components = n_components;
    o.tol = tol;
    o.alpha = alpha;
    o.max_iter = max_iter;
    o.n_init = n_init;
    o.init = parse_bernoulli_init(init_params);
    o.weights_init = param_vector(weights_init);
    o.probabilities_init = param_matrix(probabilities_init, "probabilities_init");
    o.seed = seed;
    o.n_threads = n_threads;
    if (!on_iteration.is_none()) {
        // Runs on the calling thread between iterations; takes the GIL for the
        // Python call only.
        o.on_iteration = [on_iteration](int r, int it, double lb, double change) {
            py::gil_scoped_acquire gil;
            on_iteration(r, it, lb, change);
        };
    }
    BernoulliMixtureFit result;
    {
        // Every Python object is converted above; the core reads only the
        // arrays, which the caller keeps alive for this call.
        py::gil_scoped_release release;
        X.check();
        result = sparse_fit_bernoulli_mixture<T, I>(X.view, w, o,
                                                    bind::python_interrupt_check());
    }
    py::dict out;
    out["weights"] = bind::to_numpy<double>(result.params.weights);
    out["probabilities"] = bind::to_numpy<double>(result.params.probabilities);
    out["converged"] = result.trace.converged;
    out["n_iter"] = result.trace.n_iter;
    out["lower_bound"] = result.trace.lower_bound;
    out["lower_bounds"] = result.trace.lower_bounds;
    return out;
}

template <class T, class I>
py::tuple bernoulli_e_step(const CArray<I>& indptr, const CArray<I>& indices,
                           const CArray<T>& data, Index n_features,
                           const py::object& weights, const py::object& probabilities,
                           bool want_resp, bool want_log_prob, bool log_resp,
                           int n_threads) {
    const Csr<T, I> X(indptr, indices, data, n_features);
    BernoulliMixtureParams p;
    p.weights = param_vector(weights);
    p.probabilities = param_matrix(probabilities, "probabilities");
    check_bernoulli_params(p);
    const auto n = static_cast<py::ssize_t>(X.view.rows);
    const auto k = static_cast<py::ssize_t>(p.n_components());
    py::object resp = py::none(), log_prob = py::none();
    T* resp_ptr = nullptr;
    T* log_prob_ptr = nullptr;
    if (want_resp) {
        py::array_t<T> a({n, k});
        resp_ptr = a.mutable_data();
        resp = a;
    }
    if (want_log_prob) {
        py::array_t<T> a(n);
        log_prob_ptr = a.mutable_data();
        log_prob = a;
    }
    {
        // The output arrays are owned by this frame and written only here.
        py::gil_scoped_release release;
        X.check();
        ThreadPool pool(n_threads);
        sparse_bernoulli_e_step<T, I>(X.view, p, resp_ptr, log_prob_ptr, log_resp, pool,
                                      bind::python_interrupt_check());
    }
    return py::make_tuple(resp, log_prob);
}

template <class T, class I>
py::dict bernoulli_statistics(const CArray<I>& indptr, const CArray<I>& indices,
                              const CArray<T>& data, Index n_features,
                              const py::object& sample_weight,
                              const py::object& weights,
                              const py::object& probabilities, int n_threads) {
    const Csr<T, I> X(indptr, indices, data, n_features);
    const auto w = bind::view_vector(sample_weight, "sample_weight");
    BernoulliMixtureParams p;
    p.weights = param_vector(weights);
    p.probabilities = param_matrix(probabilities, "probabilities");
    check_bernoulli_params(p);
    BernoulliStatistics st;
    {
        // See bernoulli_fit().
        py::gil_scoped_release release;
        X.check();
        ThreadPool pool(n_threads);
        st = sparse_bernoulli_e_step_statistics<T, I>(X.view, w, p, pool,
                                                      bind::python_interrupt_check());
    }
    py::dict out;
    out["resp_sum"] = bind::to_numpy<double>(st.resp_sum);
    out["x_sum"] = bind::to_numpy<double>(st.x_sum);
    out["log_likelihood"] = st.log_likelihood;
    out["weight_sum"] = st.weight_sum;
    return out;
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
    m.def("sparse_bernoulli_fit", &bernoulli_fit<T, I>, EMCLUST_CSR_ARGS,
          py::arg("sample_weight"), py::arg("n_components"), py::arg("tol"),
          py::arg("alpha"), py::arg("max_iter"), py::arg("n_init"),
          py::arg("init_params"), py::arg("weights_init"),
          py::arg("probabilities_init"), py::arg("seed"), py::arg("n_threads"),
          py::arg("on_iteration"));
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
