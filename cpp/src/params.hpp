// Conversions the model bindings share: small parameter arrays from Python
// (copied: they are K x d at most, so any float array-like is accepted), the
// parameters of each mixture, the per-iteration Python callback, and a fit's
// trace into its result dict.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <emclust/bernoulli_params.hpp>
#include <emclust/conjugate_prior.hpp>
#include <emclust/em.hpp>
#include <emclust/gaussian_mixture_params.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "bindings.hpp"

namespace emclust::bind {

/// A 1-D (one column) or 2-D float64 parameter array as a matrix; None gives
/// an empty one.
inline RowMatrixXd param_matrix(const py::object& a) {
    if (a.is_none()) return {};
    auto arr = py::cast<CArray<double>>(a);
    if (arr.ndim() == 1)
        return Eigen::Map<const RowMatrixXd>(arr.data(), arr.shape(0), 1);
    if (arr.ndim() != 2)
        throw std::invalid_argument("parameter arrays must be 1-D or 2-D");
    return Eigen::Map<const RowMatrixXd>(arr.data(), arr.shape(0), arr.shape(1));
}

/// Any float64 parameter array, flattened; None gives an empty vector.
inline Eigen::VectorXd param_vector(const py::object& a) {
    if (a.is_none()) return {};
    auto arr = py::cast<CArray<double>>(a);
    return Eigen::Map<const Eigen::VectorXd>(arr.data(), arr.size());
}

/// mclust's conjugate prior from (shrinkage, mean (d), dof, scale (d, d)), as
/// models/prior.py's core_prior resolves it; None gives none.
inline std::optional<ConjugatePrior> conjugate_prior(const py::object& prior) {
    if (prior.is_none()) return std::nullopt;
    auto t = py::cast<py::tuple>(prior);
    if (t.size() != 4)
        throw std::invalid_argument("prior must be (shrinkage, mean, dof, scale)");
    ConjugatePrior cp;
    cp.shrinkage = py::cast<double>(t[0]);
    cp.mean = param_vector(t[1]);
    cp.dof = py::cast<double>(t[2]);
    cp.scale = param_matrix(t[3]);
    return cp;
}

/// A Gaussian mixture in the core's flat layout, shapes checked.
inline GaussianMixtureParams gaussian_params(
    const std::string& covariance_type, const py::object& weights,
    const py::object& means, const py::object& precisions_cholesky,
    const py::object& covariances = py::none()) {
    GaussianMixtureParams p;
    p.covariance_type = parse_covariance_type(covariance_type);
    p.weights = param_vector(weights);
    p.means = param_matrix(means);
    p.precisions_cholesky = param_matrix(precisions_cholesky);
    p.covariances = param_matrix(covariances);
    check_params_shape(p);
    return p;
}

/// A mixture of Bernoullis, checked (probabilities must be 2-D).
inline BernoulliMixtureParams bernoulli_params(const py::object& weights,
                                               const py::object& probabilities) {
    if (!probabilities.is_none() && py::cast<CArray<double>>(probabilities).ndim() != 2)
        throw std::invalid_argument("probabilities must be 2-D");
    BernoulliMixtureParams p;
    p.weights = param_vector(weights);
    p.probabilities = param_matrix(probabilities);
    check_bernoulli_params(p);
    return p;
}

/// The core's per-iteration callback calling a Python callable (or none for
/// None). It runs on the thread that called the fit, between iterations, and
/// takes the GIL for the Python call only.
inline IterationCallback python_callback(const py::object& on_iteration) {
    if (on_iteration.is_none()) return {};
    return [on_iteration](int r, int it, double lb, double change) {
        py::gil_scoped_acquire gil;
        on_iteration(r, it, lb, change);
    };
}

/// A fit's trace into its result dict.
inline void add_trace(py::dict& out, const EmTrace& trace) {
    out["converged"] = trace.converged;
    out["n_iter"] = trace.n_iter;
    out["lower_bound"] = trace.lower_bound;
    out["lower_bounds"] = trace.lower_bounds;
}

}  // namespace emclust::bind
