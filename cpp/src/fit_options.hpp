// A model's fit as its bindings (dense, missing-value, sparse) share it: the
// names of the fit's arguments, and their conversion into the core's options.
// A new argument of a fit is added here once.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <emclust/bernoulli_mixture.hpp>
#include <emclust/gaussian_mixture.hpp>
#include <emclust/kmeans.hpp>
#include <string>
#include <tuple>

#include "bindings.hpp"
#include "params.hpp"

namespace emclust::bind {

/// The counts of an EM fit. The dense bindings take them as Python integers
/// (int_arg names a bad one); the sparse ones as C++ ints.
struct FitCounts {
    int n_init = 1;
    int max_iter = 100;
    int n_threads = 0;
};

/// Converted in this order, before X: the first bad one is the one reported.
inline FitCounts fit_counts(const py::handle& n_init, const py::handle& max_iter,
                            const py::handle& n_threads) {
    FitCounts c;
    c.n_init = int_arg(n_init, "n_init");
    c.max_iter = int_arg(max_iter, "max_iter");
    c.n_threads = n_threads_arg(n_threads);
    return c;
}

/// The first argument of a dense binding: a C-contiguous array of exactly the
/// overload's dtype (no copy, no conversion).
inline auto dense_x_arg() { return std::make_tuple(py::arg("X").noconvert()); }

/// The arguments of gmm_fit and gmm_missing_fit after X.
inline auto gaussian_fit_args() {
    return std::make_tuple(
        py::arg("sample_weight"), py::arg("n_components"), py::arg("covariance_type"),
        py::arg("tol"), py::arg("reg_covar"), py::arg("max_iter"), py::arg("n_init"),
        py::arg("init_params"), py::arg("weights_init"), py::arg("means_init"),
        py::arg("precisions_init"), py::arg("warm_start"),
        py::arg("warm_start_lower_bound"), py::arg("seed"), py::arg("n_threads"),
        py::arg("on_iteration"));
}

/// The options of a Gaussian fit. warm_start is None or (weights, means,
/// covariances, precisions_cholesky).
inline GaussianMixtureOptions gaussian_options(
    Index n_components, const std::string& covariance_type, double tol,
    double reg_covar, const FitCounts& counts, const std::string& init_params,
    const py::object& weights_init, const py::object& means_init,
    const py::object& precisions_init, const py::object& warm_start,
    double warm_start_lower_bound, std::uint64_t seed, const py::object& on_iteration) {
    GaussianMixtureOptions o;
    o.n_components = n_components;
    o.covariance_type = parse_covariance_type(covariance_type);
    o.covariance_model = parse_covariance_model(covariance_type);
    o.tol = tol;
    o.reg_covar = reg_covar;
    o.max_iter = counts.max_iter;
    o.n_init = counts.n_init;
    o.init = parse_gaussian_init(init_params);
    o.weights_init = param_vector(weights_init);
    o.means_init = param_matrix(means_init);
    o.precisions_init = param_matrix(precisions_init);
    if (!warm_start.is_none()) {
        auto t = py::cast<py::tuple>(warm_start);
        o.warm_start = gaussian_params(covariance_type, t[0], t[1], t[3], t[2]);
        o.warm_start_lower_bound = warm_start_lower_bound;
    }
    o.seed = seed;
    o.n_threads = counts.n_threads;
    o.on_iteration = python_callback(on_iteration);
    return o;
}

/// The arguments of bernoulli_fit, bernoulli_missing_fit and
/// sparse_bernoulli_fit after X (or the CSR arrays).
inline auto bernoulli_fit_args() {
    return std::make_tuple(
        py::arg("sample_weight"), py::arg("n_components"), py::arg("tol"),
        py::arg("alpha"), py::arg("max_iter"), py::arg("n_init"),
        py::arg("init_params"), py::arg("weights_init"), py::arg("probabilities_init"),
        py::arg("seed"), py::arg("n_threads"), py::arg("on_iteration"));
}

/// The options of a Bernoulli fit. probabilities_name: see param_matrix (the
/// sparse fit requires a 2-D probabilities_init and names it).
inline BernoulliMixtureOptions bernoulli_options(
    Index n_components, double tol, double alpha, const FitCounts& counts,
    const std::string& init_params, const py::object& weights_init,
    const py::object& probabilities_init, std::uint64_t seed,
    const py::object& on_iteration, const char* probabilities_name = nullptr) {
    BernoulliMixtureOptions o;
    o.n_components = n_components;
    o.tol = tol;
    o.alpha = alpha;
    o.max_iter = counts.max_iter;
    o.n_init = counts.n_init;
    o.init = parse_bernoulli_init(init_params);
    o.weights_init = param_vector(weights_init);
    o.probabilities_init = param_matrix(probabilities_init, probabilities_name);
    o.seed = seed;
    o.n_threads = counts.n_threads;
    o.on_iteration = python_callback(on_iteration);
    return o;
}

/// The options of a K-means or K-medians fit, but for initial_centers: the
/// dense and sparse bindings convert init_centers each their own way.
inline KMeansOptions kmeans_options(Index n_clusters, int max_iter, double tol,
                                    int n_init, const std::string& init) {
    KMeansOptions o;
    o.n_clusters = n_clusters;
    o.max_iter = max_iter;
    o.tol = tol;
    o.n_init = n_init;
    o.init = parse_kmeans_init(init);
    return o;
}

}  // namespace emclust::bind
