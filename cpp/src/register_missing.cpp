// Bindings of the missing-value (NaN) paths of the Gaussian and Bernoulli
// mixtures: fit, E-step with imputation, and the statistics of one chunk.
// Each entry point sends data without NaN through the complete-data core.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <emclust/bernoulli_missing.hpp>
#include <emclust/gaussian_missing.hpp>

#include "bindings.hpp"
#include "params.hpp"

namespace py = pybind11;
using namespace emclust;
using emclust::bind::CArray;

namespace {

using bind::add_trace;
using bind::bernoulli_params;
using bind::param_matrix;
using bind::param_vector;
using bind::python_callback;

/// Output arrays of an E-step, allocated on request: resp (n, K),
/// log_prob (n), imputed (n, d).
template <class T>
struct EStepArrays {
    py::object resp = py::none(), log_prob = py::none(), imputed = py::none();
    T* resp_ptr = nullptr;
    T* log_prob_ptr = nullptr;
    T* imputed_ptr = nullptr;

    EStepArrays(py::ssize_t n, py::ssize_t k, py::ssize_t d, bool want_resp,
                bool want_log_prob, bool want_imputed) {
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
        if (want_imputed) {
            py::array_t<T> a({n, d});
            imputed_ptr = a.mutable_data();
            imputed = a;
        }
    }
    py::tuple tuple() const { return py::make_tuple(resp, log_prob, imputed); }
};

template <class T>
py::dict gmm_fit(const CArray<T>& X_, const py::object& sample_weight_,
                 Index n_components, const std::string& covariance_type, double tol,
                 double reg_covar, const py::object& max_iter_,
                 const py::object& n_init_, const std::string& init_params,
                 const py::object& weights_init, const py::object& means_init,
                 const py::object& precisions_init, const py::object& warm_start,
                 double warm_start_lower_bound, std::uint64_t seed,
                 const py::object& n_threads_, const py::object& on_iteration,
                 const py::object& prior, bool relative_tol) {
    const int n_init = bind::int_arg(n_init_, "n_init");
    const int max_iter = bind::int_arg(max_iter_, "max_iter");
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const auto w = bind::view_vector(sample_weight_, "sample_weight");
    GaussianMixtureOptions o;
    o.n_components = n_components;
    o.covariance_type = parse_covariance_type(covariance_type);
    o.covariance_model = parse_covariance_model(covariance_type);
    o.tol = tol;
    o.relative_tol = relative_tol;
    o.reg_covar = reg_covar;
    o.max_iter = max_iter;
    o.n_init = n_init;
    o.init = parse_gaussian_init(init_params);
    o.weights_init = param_vector(weights_init);
    o.means_init = param_matrix(means_init);
    o.precisions_init = param_matrix(precisions_init);
    if (!warm_start.is_none()) {
        auto t = py::cast<py::tuple>(warm_start);
        o.warm_start = bind::gaussian_params(covariance_type, t[0], t[1], t[3], t[2]);
        o.warm_start_lower_bound = warm_start_lower_bound;
    }
    o.seed = seed;
    o.n_threads = n_threads;
    o.on_iteration = python_callback(on_iteration);
    o.prior = bind::conjugate_prior(prior);
    GaussianMixtureFit result;
    {
        // Every Python object is converted above; the core reads only the
        // Eigen views, whose arrays the caller keeps alive for this call.
        py::gil_scoped_release release;
        result =
            fit_gaussian_mixture_missing<T>(X, w, o, bind::python_interrupt_check());
    }
    py::dict out;
    out["weights"] = bind::to_numpy<double>(result.params.weights);
    out["means"] = bind::to_numpy<double>(result.params.means);
    out["covariances"] = bind::to_numpy<double>(result.params.covariances);
    out["precisions_cholesky"] =
        bind::to_numpy<double>(result.params.precisions_cholesky);
    add_trace(out, result.trace);
    return out;
}

template <class T>
py::tuple gmm_e_step(const CArray<T>& X_, const py::object& weights,
                     const py::object& means, const py::object& precisions_cholesky,
                     const std::string& covariance_type, bool want_resp,
                     bool want_log_prob, bool log_resp, bool want_imputed,
                     const py::object& n_threads_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const GaussianMixtureParams p =
        bind::gaussian_params(covariance_type, weights, means, precisions_cholesky);
    EStepArrays<T> a(X.rows(), p.n_components(), X.cols(), want_resp, want_log_prob,
                     want_imputed);
    {
        // The output arrays are owned by this frame and written only here.
        py::gil_scoped_release release;
        ThreadPool pool(n_threads);
        missing_e_step<T>(X, p, a.resp_ptr, a.log_prob_ptr, log_resp, a.imputed_ptr,
                          pool, bind::python_interrupt_check());
    }
    return a.tuple();
}

/// Statistics of one chunk that may hold NaN, in the layout of gmm_statistics
/// (gmm_m_step_from_statistics takes their sums). A feature missing in the
/// whole chunk is allowed: another chunk may observe it.
template <class T>
py::dict gmm_statistics(const CArray<T>& X_, const py::object& sample_weight_,
                        const py::object& weights, const py::object& means,
                        const py::object& precisions_cholesky,
                        const std::string& covariance_type,
                        const py::object& n_threads_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const auto w = bind::view_vector(sample_weight_, "sample_weight");
    const GaussianMixtureParams p =
        bind::gaussian_params(covariance_type, weights, means, precisions_cholesky);
    GaussianStatistics st;
    {
        // As above: only converted memory is read.
        py::gil_scoped_release release;
        ThreadPool pool(n_threads);
        st = missing_e_step_statistics<T>(X, w, p, pool, bind::python_interrupt_check(),
                                          false);
    }
    py::dict out;
    out["resp_sum"] = bind::to_numpy<double>(st.resp_sum);
    out["first"] = bind::to_numpy<double>(st.first);
    out["second"] = bind::to_numpy<double>(st.second);
    out["log_likelihood"] = st.log_likelihood;
    out["weight_sum"] = st.weight_sum;
    return out;
}

template <class T>
py::dict bernoulli_fit(const CArray<T>& X_, const py::object& sample_weight_,
                       Index n_components, double tol, double alpha,
                       const py::object& max_iter_, const py::object& n_init_,
                       const std::string& init_params, const py::object& weights_init,
                       const py::object& probabilities_init, std::uint64_t seed,
                       const py::object& n_threads_, const py::object& on_iteration) {
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
    o.on_iteration = python_callback(on_iteration);
    BernoulliMixtureFit result;
    {
        py::gil_scoped_release release;
        result =
            fit_bernoulli_mixture_missing<T>(X, w, o, bind::python_interrupt_check());
    }
    py::dict out;
    out["weights"] = bind::to_numpy<double>(result.params.weights);
    out["probabilities"] = bind::to_numpy<double>(result.params.probabilities);
    add_trace(out, result.trace);
    return out;
}

template <class T>
py::tuple bernoulli_e_step(const CArray<T>& X_, const py::object& weights,
                           const py::object& probabilities, bool want_resp,
                           bool want_log_prob, bool log_resp, bool want_imputed,
                           const py::object& n_threads_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const BernoulliMixtureParams p = bernoulli_params(weights, probabilities);
    EStepArrays<T> a(X.rows(), p.n_components(), X.cols(), want_resp, want_log_prob,
                     want_imputed);
    {
        py::gil_scoped_release release;
        ThreadPool pool(n_threads);
        bernoulli_missing_e_step<T>(X, p, a.resp_ptr, a.log_prob_ptr, log_resp,
                                    a.imputed_ptr, pool,
                                    bind::python_interrupt_check());
    }
    return a.tuple();
}

template <class T>
py::dict bernoulli_statistics(const CArray<T>& X_, const py::object& sample_weight_,
                              const py::object& weights,
                              const py::object& probabilities,
                              const py::object& n_threads_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const auto w = bind::view_vector(sample_weight_, "sample_weight");
    const BernoulliMixtureParams p = bernoulli_params(weights, probabilities);
    BernoulliMissingStatistics st;
    {
        py::gil_scoped_release release;
        ThreadPool pool(n_threads);
        st = bernoulli_missing_e_step_statistics<T>(
            X, w, p, pool, bind::python_interrupt_check(), false);
    }
    py::dict out;
    out["resp_sum"] = bind::to_numpy<double>(st.base.resp_sum);
    out["x_sum"] = bind::to_numpy<double>(st.base.x_sum);
    out["observed_sum"] = bind::to_numpy<double>(st.observed_sum);
    out["log_likelihood"] = st.base.log_likelihood;
    out["weight_sum"] = st.base.weight_sum;
    return out;
}

py::dict bernoulli_m_step_missing(const CArray<double>& resp_sum,
                                  const CArray<double>& x_sum,
                                  const CArray<double>& observed_sum, double alpha,
                                  double nk_eps) {
    if (resp_sum.ndim() != 1)
        throw std::invalid_argument("resp_sum must have shape (n_components,)");
    const Index k = resp_sum.shape(0);
    const auto s = bind::view_matrix<double>(x_sum, "x_sum");
    const auto o = bind::view_matrix<double>(observed_sum, "observed_sum");
    if (s.rows() != k || o.rows() != k || o.cols() != s.cols()) {
        throw std::invalid_argument(
            "x_sum and observed_sum must have shape (n_components, n_features)");
    }
    BernoulliMissingStatistics st(k, s.cols());
    st.base.resp_sum = Eigen::Map<const Eigen::VectorXd>(resp_sum.data(), k);
    st.base.x_sum = s;
    st.observed_sum = o;
    const BernoulliMixtureParams p = bernoulli_missing_m_step(st, alpha, nk_eps);
    py::dict out;
    out["weights"] = bind::to_numpy<double>(p.weights);
    out["probabilities"] = bind::to_numpy<double>(p.probabilities);
    return out;
}

template <class T>
void def_for(py::module_& m) {
    m.def("gmm_missing_fit", &gmm_fit<T>, py::arg("X").noconvert(),
          py::arg("sample_weight"), py::arg("n_components"), py::arg("covariance_type"),
          py::arg("tol"), py::arg("reg_covar"), py::arg("max_iter"), py::arg("n_init"),
          py::arg("init_params"), py::arg("weights_init"), py::arg("means_init"),
          py::arg("precisions_init"), py::arg("warm_start"),
          py::arg("warm_start_lower_bound"), py::arg("seed"), py::arg("n_threads"),
          py::arg("on_iteration"), py::arg("prior") = py::none(),
          py::arg("relative_tol") = false);
    m.def("gmm_missing_e_step", &gmm_e_step<T>, py::arg("X").noconvert(),
          py::arg("weights"), py::arg("means"), py::arg("precisions_cholesky"),
          py::arg("covariance_type"), py::arg("want_resp"), py::arg("want_log_prob"),
          py::arg("log_resp"), py::arg("want_imputed"), py::arg("n_threads"));
    m.def("gmm_missing_statistics", &gmm_statistics<T>, py::arg("X").noconvert(),
          py::arg("sample_weight"), py::arg("weights"), py::arg("means"),
          py::arg("precisions_cholesky"), py::arg("covariance_type"),
          py::arg("n_threads"));
    m.def("bernoulli_missing_fit", &bernoulli_fit<T>, py::arg("X").noconvert(),
          py::arg("sample_weight"), py::arg("n_components"), py::arg("tol"),
          py::arg("alpha"), py::arg("max_iter"), py::arg("n_init"),
          py::arg("init_params"), py::arg("weights_init"),
          py::arg("probabilities_init"), py::arg("seed"), py::arg("n_threads"),
          py::arg("on_iteration"));
    m.def("bernoulli_missing_e_step", &bernoulli_e_step<T>, py::arg("X").noconvert(),
          py::arg("weights"), py::arg("probabilities"), py::arg("want_resp"),
          py::arg("want_log_prob"), py::arg("log_resp"), py::arg("want_imputed"),
          py::arg("n_threads"));
    m.def("bernoulli_missing_statistics", &bernoulli_statistics<T>,
          py::arg("X").noconvert(), py::arg("sample_weight"), py::arg("weights"),
          py::arg("probabilities"), py::arg("n_threads"));
}

}  // namespace

void register_missing(py::module_& m) {
    def_for<double>(m);
    def_for<float>(m);
    m.def("bernoulli_missing_m_step_from_statistics", &bernoulli_m_step_missing,
          py::arg("resp_sum").noconvert(), py::arg("x_sum").noconvert(),
          py::arg("observed_sum").noconvert(), py::arg("alpha"), py::arg("nk_eps"));
}
