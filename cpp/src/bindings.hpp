// Helpers shared by the register_*.cpp files: NumPy <-> Eigen views, integer
// arguments, the interrupt check and the GIL release around a core call.
// Bindings only convert and check shapes; all validation of values lives in
// the Python layer or the core.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <climits>
#include <cstdint>
#include <emclust/interrupt.hpp>
#include <emclust/parallel.hpp>
#include <emclust/types.hpp>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

// The dispatched AVX-512 kernels read scratch that these translation units
// allocate: at Eigen's SSE2 alignment (16 bytes) their 64-byte loads spanned
// two cache lines. CMakeLists.txt sets the alignment for the whole module.
static_assert(EIGEN_MAX_ALIGN_BYTES >= 64,
              "build the module with EIGEN_MAX_ALIGN_BYTES=64 (CMakeLists.txt)");

namespace emclust::bind {

namespace py = pybind11;

/// C-contiguous array of exactly T: pybind11 then neither copies nor converts
/// (the argument must also be declared .noconvert()).
template <class T>
using CArray = py::array_t<T, py::array::c_style>;

/// Zero-copy row-major view of a 2-D C-contiguous array.
template <class T>
Eigen::Map<const RowMatrix<T>> view_matrix(const CArray<T>& a, const char* name) {
    if (a.ndim() != 2) {
        throw std::invalid_argument(std::string(name) + " must be a 2-D array, got " +
                                    std::to_string(a.ndim()) + "-D");
    }
    return {a.data(), static_cast<Index>(a.shape(0)), static_cast<Index>(a.shape(1))};
}

/// Zero-copy view of a 1-D C-contiguous float64 array; an empty view for None.
/// The array must outlive the view (it does: it is an argument of the call).
inline Eigen::Map<const Eigen::VectorXd> view_vector(const py::object& a,
                                                     const char* name) {
    if (a.is_none()) return {nullptr, 0};
    if (!py::isinstance<py::array>(a)) {
        throw std::invalid_argument(std::string(name) +
                                    " must be a NumPy array or None");
    }
    auto arr = py::reinterpret_borrow<py::array>(a);
    if (arr.ndim() != 1 || !arr.dtype().is(py::dtype::of<double>()) ||
        !(arr.flags() & py::array::c_style)) {
        throw std::invalid_argument(std::string(name) +
                                    " must be a 1-D C-contiguous float64 array");
    }
    return {static_cast<const double*>(arr.data()), static_cast<Index>(arr.shape(0))};
}

/// sample_weight (viewed by view_vector) must be empty or have one weight a row.
template <class Weights>
void check_sample_weight(const Weights& w, Index n_samples) {
    if (w.size() != 0 && w.size() != n_samples)
        throw std::invalid_argument("sample_weight must have shape (n_samples,)");
}

/// Copies a row-major matrix into a new NumPy array of the given shape.
template <class T, class Derived>
py::array_t<T> to_numpy(const Eigen::DenseBase<Derived>& m,
                        std::vector<py::ssize_t> shape) {
    py::array_t<T> out(shape);
    Eigen::Map<RowMatrix<T>>(out.mutable_data(), m.rows(), m.cols()) =
        m.template cast<T>();
    return out;
}

template <class T, class Derived>
py::array_t<T> to_numpy(const Eigen::DenseBase<Derived>& m) {
    if (Derived::ColsAtCompileTime == 1) return to_numpy<T>(m, {m.rows()});
    return to_numpy<T>(m, {m.rows(), m.cols()});
}

/// A Python integer argument (int, NumPy integer; not bool) as a C++ int in
/// [minimum, maximum]. Declaring the argument `int` would make pybind11 answer
/// 2**31 with "incompatible function arguments" and its whole signature; this
/// names the argument instead.
inline int int_arg(const py::handle& value, const char* name,
                   long long minimum = INT_MIN, long long maximum = INT_MAX) {
    if (PyBool_Check(value.ptr()) || PyIndex_Check(value.ptr()) == 0) {
        throw py::type_error(
            std::string(name) + " must be an integer, got " +
            std::string(py::str(py::type::of(value).attr("__name__"))));
    }
    const auto index = py::reinterpret_steal<py::object>(PyNumber_Index(value.ptr()));
    if (!index) throw py::error_already_set();
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
    if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
    if (overflow != 0 || v < minimum || v > maximum) {
        throw std::invalid_argument(std::string(name) + " must be " +
                                    (overflow > 0 || v > maximum
                                         ? "<= " + std::to_string(maximum)
                                         : ">= " + std::to_string(minimum)) +
                                    ", got " + std::string(py::str(index)));
    }
    return static_cast<int>(v);
}

/// n_threads as the core takes it: <= 0 means every core, at most kMaxThreads.
inline int n_threads_arg(const py::handle& value) {
    return int_arg(value, "n_threads", INT_MIN, kMaxThreads);
}

/// Interrupt check for the core, called with the GIL released: it takes the
/// GIL just long enough to run Python's signal handlers. When it returns true
/// the KeyboardInterrupt is pending in this thread, and the translator of
/// emclust::Interrupted leaves it in place.
inline InterruptCheck python_interrupt_check() {
    return [] {
        py::gil_scoped_acquire gil;
        return PyErr_CheckSignals() != 0;
    };
}

/// Runs f() without the GIL. Everything f reads must be converted before:
/// plain memory (Eigen views of arguments alive for the call, copies), no
/// Python object.
template <class F>
auto without_gil(F&& f) {
    py::gil_scoped_release release;
    return f();
}

/// Runs f(pool, interrupt) without the GIL, on a pool of n_threads and with
/// the Python interrupt check: the shape of almost every core call.
template <class F>
auto on_pool(int n_threads, F&& f) {
    py::gil_scoped_release release;
    ThreadPool pool(n_threads);
    return f(pool, python_interrupt_check());
}

/// m.def with its py::arg list held in a tuple, so that the bindings of one
/// concept (a model's fit on dense, missing-value and sparse data) name
/// their arguments in one place.
template <class F, class... Args, class... Extra>
void def(py::module_& m, const char* name, F&& f, const std::tuple<Args...>& args,
         const Extra&... extra) {
    std::apply(
        [&](const auto&... a) { m.def(name, std::forward<F>(f), a..., extra...); },
        args);
}

}  // namespace emclust::bind
