// Bindings of the mixture of Bernoullis: fit, E-step, and the sufficient
// statistics of one chunk of rows with the M-step from their sums (for EM
// driven from outside the core: Dask, Spark, Ray).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <emclust/bernoulli_mixture.hpp>

#include "bindings.hpp"

namespace py = pybind11;
using namespace emclust;
using emclust::bind::CArray;

namespace {

/// Parameter arrays are small (K x d) and copied; None gives an empty one.
RowMatrixXd param_matrix(const py::object& a) {
    if (a.is_none()) return {};
    auto arr = py::cast<CArray<double>>(a);
    if (arr.ndim() != 2) throw std::invalid_argument("probabilities must be 2-D");
    return Eigen::Map<const RowMatrixXd>(arr.data(), arr.shape(0), arr.shape(1));
}

Eigen::VectorXd param_vector(const py::object& a) {
    if (a.is_none()) return {};
    auto arr = py::cast<CArray<double>>(a);
    return Eigen::Map<const Eigen::VectorXd>(arr.data(), arr.size());
}

template <class T>
py::dict fit(const CArray<T>& X_, const py::object& sample_weight_, Index n_components,
             double tol, double alpha, const py::object& max_iter_,
             const py::object& n_init_, const std::string& init_params,
             const py::object& weights_init, const py::object& probabilities_init,
             std::uint64_t seed, const py::object& n_threads_,
             const py::object& on_iteration) {
    const int n_init = bind::int_arg(n_init_, "n_init");
    const int max_iter = bind::int_arg(max_iter_, "max_iter");
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const auto w = bind::view_vector(sample_weight_, "sample_weight");
    BernoulliMixtureOptions o;
    o.n_components = n_components;
    o.tol = tol;
    o.alpha = alpha;
    o.max_iter = max_iter;
    o.n_init = n_init;
    o.init = parse_bernoulli_init(init_params);
    o.weights_init = param_vector(weights_init);
    o.probabilities_init = param_matrix(probabilities_init);
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
        // Every Python object is converted above; the core touches only the
        // Eigen views, whose arrays the caller keeps alive for this call.
        py::gil_scoped_release release;
        result = fit_bernoulli_mixture<T>(X, w, o, bind::python_interrupt_check());
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

template <class T>
py::tuple e_step(const CArray<T>& X_, const py::object& weights,
                 const py::object& probabilities, bool want_resp, bool want_log_prob,
                 bool log_resp, const py::object& n_threads_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    BernoulliMixtureParams p;
    p.weights = param_vector(weights);
    p.probabilities = param_matrix(probabilities);
    check_bernoulli_params(p);
    const auto n = static_cast<py::ssize_t>(X.rows());
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
        ThreadPool pool(n_threads);
        bernoulli_e_step<T>(X, p, resp_ptr, log_prob_ptr, log_resp, pool,
                            bind::python_interrupt_check());
    }
    return py::make_tuple(resp, log_prob);
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
    BernoulliMixtureParams p;
    p.weights = param_vector(weights);
    p.probabilities = param_matrix(probabilities);
    check_bernoulli_params(p);
    if (w.size() != 0 && w.size() != X.rows())
        throw std::invalid_argument("sample_weight must have shape (n_samples,)");
    BernoulliStatistics st;
    {
        // X, sample_weight and the parameters are converted above; the core
        // reads only them and touches no Python object (the interrupt check
        // takes the GIL itself).
        py::gil_scoped_release release;
        ThreadPool pool(n_threads);
        st = bernoulli_e_step_statistics<T>(X, w, p, pool,
                                            bind::python_interrupt_check());
    }
    py::dict out;
    out["resp_sum"] = bind::to_numpy<double>(st.resp_sum);
    out["x_sum"] = bind::to_numpy<double>(st.x_sum);
    out["log_likelihood"] = st.log_likelihood;
    out["weight_sum"] = st.weight_sum;
    return out;
}

/// The M-step from summed statistics (bernoulli_m_step).
py::dict m_step_from_statistics(const CArray<double>& resp_sum,
                                const CArray<double>& x_sum, double alpha,
                                double nk_eps) {
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
    const BernoulliMixtureParams p = bernoulli_m_step(st, alpha, nk_eps);
    py::dict out;
    out["weights"] = bind::to_numpy<double>(p.weights);
    out["probabilities"] = bind::to_numpy<double>(p.probabilities);
    return out;
}

template <class T>
void def_for(py::module_& m) {
    m.def("bernoulli_fit", &fit<T>, py::arg("X").noconvert(), py::arg("sample_weight"),
          py::arg("n_components"), py::arg("tol"), py::arg("alpha"),
          py::arg("max_iter"), py::arg("n_init"), py::arg("init_params"),
          py::arg("weights_init"), py::arg("probabilities_init"), py::arg("seed"),
          py::arg("n_threads"), py::arg("on_iteration"));
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
    m.def("bernoulli_m_step_from_statistics", &m_step_from_statistics,
          py::arg("resp_sum").noconvert(), py::arg("x_sum").noconvert(),
          py::arg("alpha"), py::arg("nk_eps"));
}
