// Bindings of the mixture of Bernoullis: fit, E-step, and the sufficient
// statistics of one chunk of rows with the M-step from their sums (for EM
// driven from outside the core: Dask, Spark, Ray).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <emclust/bernoulli_mixture.hpp>

#include "bindings.hpp"
#include "fit_options.hpp"
#include "params.hpp"
#include "results.hpp"

namespace py = pybind11;
using namespace emclust;
using emclust::bind::CArray;

namespace {

using bind::bernoulli_params;

template <class T>
py::dict fit(const CArray<T>& X_, const py::object& sample_weight_, Index n_components,
             double tol, double alpha, const py::object& max_iter_,
             const py::object& n_init_, const std::string& init_params,
             const py::object& weights_init, const py::object& probabilities_init,
             std::uint64_t seed, const py::object& n_threads_,
             const py::object& on_iteration) {
    const bind::FitCounts counts = bind::fit_counts(n_init_, max_iter_, n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const auto w = bind::view_vector(sample_weight_, "sample_weight");
    const BernoulliMixtureOptions o =
        bind::bernoulli_options(n_components, tol, alpha, counts, init_params,
                                weights_init, probabilities_init, seed, on_iteration);
    // Every Python object is converted above; the core touches only the Eigen
    // views, whose arrays the caller keeps alive for this call.
    return bind::fit_dict(bind::without_gil([&] {
        return fit_bernoulli_mixture<T>(X, w, o, bind::python_interrupt_check());
    }));
}

template <class T>
py::tuple e_step(const CArray<T>& X_, const py::object& weights,
                 const py::object& probabilities, bool want_resp, bool want_log_prob,
                 bool log_resp, const py::object& n_threads_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const BernoulliMixtureParams p = bernoulli_params(weights, probabilities);
    const bind::EStepArrays<T> a(X.rows(), p.n_components(), want_resp, want_log_prob);
    // The output arrays are owned by this frame and written only here.
    bind::on_pool(n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
        bernoulli_e_step<T>(X, p, a.resp_ptr, a.log_prob_ptr, log_resp, pool,
                            interrupt);
    });
    return a.tuple();
}

/// Statistics of the E-step under the given mixture: N (K), S (K, d), the
/// weighted log-likelihood and the total weight of the chunk.
template <class T>
py::dict statistics(const CArray<T>& X_, const py::object& sample_weight_,
                    const py::object& weights, const py::object& probabilities,
                    const py::object& n_threads_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const auto w = bind::view_vector(sample_weight_, "sample_weight");
    const BernoulliMixtureParams p = bernoulli_params(weights, probabilities);
    bind::check_sample_weight(w, X.rows());
    // X, sample_weight and the parameters are converted above; the core reads
    // only them and touches no Python object.
    return bind::statistics_dict(bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            return bernoulli_e_step_statistics<T>(X, w, p, pool, interrupt);
        }));
}

/// The M-step from summed statistics (bernoulli_m_step).
py::dict m_step_from_sums(const CArray<double>& resp_sum, const CArray<double>& x_sum,
                          double alpha, double nk_eps) {
    if (resp_sum.ndim() != 1)
        throw std::invalid_argument("resp_sum must have shape (n_components,)");
    const Index k = resp_sum.shape(0);
    const auto s = bind::view_matrix<double>(x_sum, "x_sum");
    if (s.rows() != k)
        throw std::invalid_argument("x_sum must have shape (n_components, n_features)");
    BernoulliStatistics st(k, s.cols());
    st.resp_sum = Eigen::Map<const Eigen::VectorXd>(resp_sum.data(), k);
    st.x_sum = s;
    // K x d numbers: too little work to be worth releasing the GIL.
    return bind::params_dict(bernoulli_m_step(st, alpha, nk_eps));
}

template <class T>
void def_for(py::module_& m) {
    bind::def(m, "bernoulli_fit", &fit<T>,
              std::tuple_cat(bind::dense_x_arg(), bind::bernoulli_fit_args()));
    m.def("bernoulli_e_step", &e_step<T>, py::arg("X").noconvert(), py::arg("weights"),
          py::arg("probabilities"), py::arg("want_resp"), py::arg("want_log_prob"),
          py::arg("log_resp"), py::arg("n_threads"));
    m.def("bernoulli_statistics", &statistics<T>, py::arg("X").noconvert(),
          py::arg("sample_weight"), py::arg("weights"), py::arg("probabilities"),
          py::arg("n_threads"));
}

}  // namespace

void register_bernoulli(py::module_& m) {
    def_for<double>(m);
    def_for<float>(m);
    m.def("bernoulli_m_step_from_statistics", &m_step_from_sums,
          py::arg("resp_sum").noconvert(), py::arg("x_sum").noconvert(),
          py::arg("alpha"), py::arg("nk_eps"));
}
