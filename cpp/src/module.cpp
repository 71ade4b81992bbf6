// emclust._core: the pybind11 module. Each register_*.cpp adds one model.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <emclust/dispatch.hpp>
#include <emclust/errors.hpp>
#include <emclust/parallel.hpp>

namespace py = pybind11;

void register_gmm(py::module_& m);
void register_kmeans(py::module_& m);
void register_statistics(py::module_& m);
void register_bernoulli(py::module_& m);
void register_missing(py::module_& m);
void register_sparse(py::module_& m);
void register_hierarchical(py::module_& m);
void register_masked(py::module_& m);
void register_variational(py::module_& m);

namespace {

/// The lane kernels' exponential (exp_nonpositive) of every entry of x, on
/// the dispatched build: its domain is x <= 0 (-inf, and NaN, included).
template <class T>
py::array_t<T> lane_exp(const py::array_t<T, py::array::c_style>& x) {
    if (x.ndim() != 1) throw emclust::InvalidArgument("x must be one-dimensional");
    const T* in = x.data();
    const auto n = static_cast<std::ptrdiff_t>(x.size());
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        if (in[i] > T(0)) throw emclust::InvalidArgument("x must be <= 0 (or NaN)");
    }
    py::array_t<T> out(n);
    {
        py::gil_scoped_release release;
        emclust::dispatch::table<T>().exp(in, n, out.mutable_data());
    }
    return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "Native core of emclust (use the estimators in emclust instead).";

    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const emclust::Interrupted&) {
            // PyErr_CheckSignals already set KeyboardInterrupt (or whatever a
            // signal handler raised); keep it.
            if (!PyErr_Occurred()) PyErr_SetNone(PyExc_KeyboardInterrupt);
        } catch (const emclust::NumericalError& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const emclust::InvalidArgument& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        }
    });

    // The largest n_threads the core accepts, for the layers above to check
    // against (and document) without repeating the number.
    m.attr("MAX_THREADS") = emclust::kMaxThreads;

    // Which build of the dispatched kernels runs (run-time dispatch in a
    // portable build, capped by the EMCLUST_LANES environment variable), for
    // tests and benchmarks to check.
    m.def("lane_kernels", []() {
        py::dict d;
        d["float64"] = emclust::dispatch::table<double>().name;
        d["float32"] = emclust::dispatch::table<float>().name;
        return d;
    });

    // The lane kernels' exponential over a 1-D array (tests check its error
    // over the whole domain, on each dispatched build).
    m.def("lane_exp", &lane_exp<double>, py::arg("x").noconvert());
    m.def("lane_exp", &lane_exp<float>, py::arg("x").noconvert());

    register_gmm(m);
    register_kmeans(m);
    register_statistics(m);
    register_bernoulli(m);
    register_missing(m);
    register_sparse(m);
    register_hierarchical(m);
    register_masked(m);
    register_variational(m);
}
