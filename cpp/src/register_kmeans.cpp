// Bindings of K-means, K-medians and k-means++ seeding.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <emclust/kmeans.hpp>
#include <emclust/kmeans_plusplus.hpp>
#include <emclust/kmedians.hpp>
#include <string>

#include "bindings.hpp"
#include "fit_options.hpp"
#include "results.hpp"

namespace py = pybind11;
using namespace emclust;
using emclust::bind::CArray;

namespace {

template <class T>
py::tuple fit(const CArray<T>& X_arr, const py::object& sample_weight,
              const std::string& metric, Index n_clusters, const std::string& init,
              const py::object& init_centers, const py::object& max_iter_, double tol,
              const py::object& n_init_, std::uint64_t seed,
              const py::object& n_threads_) {
    const int n_init = bind::int_arg(n_init_, "n_init");
    const int max_iter = bind::int_arg(max_iter_, "max_iter");
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix<T>(X_arr, "X");
    const auto w = bind::view_vector(sample_weight, "sample_weight");
    KMeansOptions options =
        bind::kmeans_options(n_clusters, max_iter, tol, n_init, init);
    if (options.init == KMeansInit::array) {
        const auto centers = py::cast<CArray<double>>(init_centers);
        options.initial_centers = bind::view_matrix<double>(centers, "init");
    }
    const Distance distance = parse_distance(metric);
    // Safe without the GIL: X, sample_weight and the options are plain memory
    // owned by arguments that live until the call returns, and the core
    // touches no Python object (the interrupt check takes the GIL).
    return bind::kmeans_tuple(bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            Rng rng(seed);
            return distance == Distance::squared_euclidean
                       ? kmeans_fit<T>(X, w, options, pool, rng, interrupt)
                       : kmedians_fit<T>(X, w, options, pool, rng, interrupt);
        }));
}

template <class T>
py::array_t<std::int64_t> plusplus(const CArray<T>& X_arr,
                                   const py::object& sample_weight, Index n_clusters,
                                   const std::string& metric, std::uint64_t seed,
                                   const py::object& n_threads_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix<T>(X_arr, "X");
    const auto w = bind::view_vector(sample_weight, "sample_weight");
    const Distance distance = parse_distance(metric);
    // Safe without the GIL: see fit().
    return bind::index_array(bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            Rng rng(seed);
            return distance == Distance::squared_euclidean
                       ? kmeans_plusplus<T>(X, w, n_clusters, rng, pool, interrupt)
                       : kmedians_plusplus<T>(X, w, n_clusters, rng, pool, interrupt);
        }));
}

template <class T>
py::tuple assign(const CArray<T>& X_arr, const py::object& sample_weight,
                 const CArray<double>& centers_arr, const std::string& metric,
                 const py::object& n_threads_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix<T>(X_arr, "X");
    const auto w = bind::view_vector(sample_weight, "sample_weight");
    const RowMatrixXd centers = bind::view_matrix<double>(centers_arr, "centers");
    const Distance distance = parse_distance(metric);
    // Safe without the GIL: see fit().
    return bind::assignment_tuple(bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            return kmeans_assign<T>(X, w, centers, distance, pool, interrupt);
        }));
}

template <class T>
py::array_t<T> distances(const CArray<T>& X_arr, const CArray<double>& centers_arr,
                         const std::string& metric, const py::object& n_threads_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix<T>(X_arr, "X");
    const RowMatrixXd centers = bind::view_matrix<double>(centers_arr, "centers");
    const Distance distance = parse_distance(metric);
    // Safe without the GIL: see fit().
    return bind::to_numpy<T>(bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            return kmeans_distances<T>(X, centers, distance, pool, interrupt);
        }));
}

template <class T>
void define(py::module_& m) {
    m.def(
        "kmeans_fit", &fit<T>, py::arg("X").noconvert(), py::arg("sample_weight"),
        py::arg("metric"), py::arg("n_clusters"), py::arg("init"),
        py::arg("init_centers"), py::arg("max_iter"), py::arg("tol"), py::arg("n_init"),
        py::arg("seed"), py::arg("n_threads"),
        "K-means (metric 'l2') or K-medians ('l1'); returns (centers, labels, inertia, "
        "n_iter).");
    m.def("kmeans_plusplus", &plusplus<T>, py::arg("X").noconvert(),
          py::arg("sample_weight"), py::arg("n_clusters"), py::arg("metric"),
          py::arg("seed"), py::arg("n_threads"),
          "Greedy ++ seeding; returns row indices.");
    m.def("kmeans_assign", &assign<T>, py::arg("X").noconvert(),
          py::arg("sample_weight"), py::arg("centers").noconvert(), py::arg("metric"),
          py::arg("n_threads"),
          "Nearest centres and inertia; returns (labels, inertia).");
    m.def("kmeans_distances", &distances<T>, py::arg("X").noconvert(),
          py::arg("centers").noconvert(), py::arg("metric"), py::arg("n_threads"),
          "Euclidean ('l2') or Manhattan ('l1') distances to every centre, (n, k).");
}

}  // namespace

void register_kmeans(py::module_& m) {
    define<float>(m);
    define<double>(m);
}
