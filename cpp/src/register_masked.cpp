// Bindings of masked EM: the semi-supervised fit (labelled rows fixed to their
// class) and the uniform noise component, one loop (emclust/masked_em.hpp).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <emclust/masked_em.hpp>

#include "bindings.hpp"
#include "params.hpp"

namespace py = pybind11;
using namespace emclust;
using emclust::bind::CArray;

namespace {

/// A 1-D int64 array as a vector (copied: n values); None gives an empty one.
ClassVector class_vector(const py::object& a, const char* name) {
    if (a.is_none()) return {};
    auto arr = py::cast<CArray<std::int64_t>>(a);
    if (arr.ndim() != 1)
        throw std::invalid_argument(std::string(name) + " must be a 1-D array");
    return Eigen::Map<const ClassVector>(arr.data(), arr.shape(0));
}

template <class T>
py::dict fit(const CArray<T>& X_, const py::object& sample_weight_,
             const std::string& covariance_type, const py::object& weights,
             const py::object& means, const py::object& covariances,
             const py::object& precisions_cholesky, double noise_weight, bool noise,
             double log_noise_density, const py::object& row_class,
             const py::object& component_class, double tol, double reg_covar,
             const py::object& max_iter_, const py::object& n_threads_,
             const py::object& on_iteration, bool relative_tol) {
    const auto X = bind::view_matrix(X_, "X");
    const auto w = bind::view_vector(sample_weight_, "sample_weight");
    MaskedParams start;
    start.gaussian = bind::gaussian_params(covariance_type, weights, means,
                                           precisions_cholesky, covariances);
    start.noise_weight = noise_weight;
    MaskedEmOptions o;
    o.covariance_model = parse_covariance_model(covariance_type);
    o.tol = tol;
    o.relative_tol = relative_tol;
    o.reg_covar = reg_covar;
    o.max_iter = bind::int_arg(max_iter_, "max_iter", 0);
    o.n_threads = bind::n_threads_arg(n_threads_);
    o.row_class = class_vector(row_class, "row_class");
    o.component_class = class_vector(component_class, "component_class");
    o.noise = noise;
    o.log_noise_density = log_noise_density;
    o.on_iteration = bind::python_callback(on_iteration);
    MaskedEmFit result;
    {
        // Every Python object is converted above; the core reads only the
        // Eigen views of X and sample_weight, arguments alive for the call.
        py::gil_scoped_release release;
        result = fit_masked_em<T>(X, w, start, o, bind::python_interrupt_check());
    }
    const GaussianMixtureParams& p = result.params.gaussian;
    py::dict out;
    out["weights"] = bind::to_numpy<double>(p.weights);
    out["means"] = bind::to_numpy<double>(p.means);
    out["covariances"] = bind::to_numpy<double>(p.covariances);
    out["precisions_cholesky"] = bind::to_numpy<double>(p.precisions_cholesky);
    out["noise_weight"] = result.params.noise_weight;
    bind::add_trace(out, result.trace);
    return out;
}

template <class T>
void def_for(py::module_& m) {
    m.def("masked_em_fit", &fit<T>, py::arg("X").noconvert(), py::arg("sample_weight"),
          py::arg("covariance_type"), py::arg("weights"), py::arg("means"),
          py::arg("covariances"), py::arg("precisions_cholesky"),
          py::arg("noise_weight"), py::arg("noise"), py::arg("log_noise_density"),
          py::arg("row_class"), py::arg("component_class"), py::arg("tol"),
          py::arg("reg_covar"), py::arg("max_iter"), py::arg("n_threads"),
          py::arg("on_iteration"), py::arg("relative_tol") = false);
}

}  // namespace

void register_masked(py::module_& m) {
    def_for<double>(m);
    def_for<float>(m);
}
