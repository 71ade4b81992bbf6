// Bindings of the Gaussian mixture (work in progress: filled in by the GMM commit).
#include <pybind11/pybind11.h>

namespace py = pybind11;

void register_gmm(py::module_& m) { (void)m; }
