// Bindings of model-based agglomerative hierarchical clustering (the "hc" start).
#include <pybind11/pybind11.h>

#include <cstdint>
#include <emclust/hierarchical.hpp>
#include <vector>

#include "bindings.hpp"
#include "results.hpp"

namespace py = pybind11;
using namespace emclust;
using emclust::bind::CArray;

namespace {

py::tuple tree(const CArray<double>& X_arr, const py::object& max_samples_,
               std::uint64_t seed, const py::object& n_threads_) {
    const int max_samples = bind::int_arg(max_samples_, "max_samples", 1);
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix<double>(X_arr, "X");
    const InterruptCheck interrupt = bind::python_interrupt_check();
    std::vector<Index> subset;
    HierarchicalTree result;
    {
        // Safe without the GIL: X is plain memory owned by an argument that
        // lives until the call returns; the core touches no Python object.
        py::gil_scoped_release release;
        subset = hierarchical_subset(X.rows(), max_samples, seed);
        RowMatrixXd Xs(static_cast<Index>(subset.size()), X.cols());
        for (std::size_t r = 0; r < subset.size(); ++r)
            Xs.row(static_cast<Index>(r)) = X.row(subset[r]);
        ThreadPool pool(n_threads);
        result = hierarchical_tree(Xs, pool, interrupt);
    }
    py::array_t<std::int64_t> merges(
        {static_cast<py::ssize_t>(result.merges.size()), py::ssize_t{2}});
    auto* m = merges.mutable_data();
    for (std::size_t s = 0; s < result.merges.size(); ++s) {
        m[2 * s] = static_cast<std::int64_t>(result.merges[s][0]);
        m[2 * s + 1] = static_cast<std::int64_t>(result.merges[s][1]);
    }
    py::array_t<double> costs(static_cast<py::ssize_t>(result.costs.size()));
    std::copy(result.costs.begin(), result.costs.end(), costs.mutable_data());
    return py::make_tuple(bind::index_array(subset), bind::index_array(result.initial),
                          merges, costs);
}

}  // namespace

void register_hierarchical(py::module_& m) {
    m.def("hierarchical_tree", &tree, py::arg("X").noconvert(), py::arg("max_samples"),
          py::arg("seed"), py::arg("n_threads"),
          "VVV agglomerative clustering of a seeded subset (sample_indices, initial, "
          "merges, costs).");
}
