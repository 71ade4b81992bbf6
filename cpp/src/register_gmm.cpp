// Bindings of the Gaussian mixture: fit, E-step, M-step, statistics.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <emclust/gaussian_mixture.hpp>

#include "bindings.hpp"
#include "params.hpp"

namespace py = pybind11;
using namespace emclust;
using emclust::bind::CArray;

namespace {

using bind::param_matrix;
using bind::param_vector;

py::dict params_to_dict(const GaussianMixtureParams& p) {
    py::dict out;
    out["weights"] = bind::to_numpy<double>(p.weights);
    out["means"] = bind::to_numpy<double>(p.means);
    out["covariances"] = bind::to_numpy<double>(p.covariances);
    out["precisions_cholesky"] = bind::to_numpy<double>(p.precisions_cholesky);
    return out;
}

template <class T>
py::dict fit(const CArray<T>& X_, const py::object& sample_weight_, Index n_components,
             const std::string& covariance_type, double tol, double reg_covar,
             const py::object& max_iter_, const py::object& n_init_,
             const std::string& init_params, const py::object& weights_init,
             const py::object& means_init, const py::object& precisions_init,
             const py::object& warm_start, double warm_start_lower_bound,
             std::uint64_t seed, const py::object& n_threads_,
             const py::object& on_iteration) {
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
    o.on_iteration = bind::python_callback(on_iteration);
    GaussianMixtureFit result;
    {
        // Every Python object is converted above; the core touches only the
        // Eigen views, whose arrays the caller keeps alive for this call.
        py::gil_scoped_release release;
        result = fit_gaussian_mixture<T>(X, w, o, bind::python_interrupt_check());
    }
    py::dict out = params_to_dict(result.params);
    bind::add_trace(out, result.trace);
    return out;
}

template <class T>
py::tuple e_step(const CArray<T>& X_, const py::object& weights,
                 const py::object& means, const py::object& precisions_cholesky,
                 const std::string& covariance_type, bool want_resp, bool want_log_prob,
                 bool log_resp, const py::object& n_threads_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const GaussianMixtureParams p =
        bind::gaussian_params(covariance_type, weights, means, precisions_cholesky);
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
        gaussian_e_step<T>(X, p, resp_ptr, log_prob_ptr, log_resp, pool,
                           bind::python_interrupt_check());
    }
    return py::make_tuple(resp, log_prob);
}

template <class T>
py::dict m_step(const CArray<T>& X_, const CArray<T>& resp_,
                const py::object& sample_weight_, const std::string& covariance_type,
                double reg_covar, const py::object& n_threads_,
                const py::object& prior_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const auto resp = bind::view_matrix(resp_, "resp");
    const std::optional<ConjugatePrior> prior = bind::conjugate_prior(prior_);
    if (prior) prior->validate(X.cols());
    const auto w = bind::view_vector(sample_weight_, "sample_weight");
    const CovarianceType type = parse_covariance_type(covariance_type);
    GaussianMixtureParams p;
    {
        py::gil_scoped_release release;
        ThreadPool pool(n_threads);
        const auto interrupt = bind::python_interrupt_check();
        p = two_pass_m_step(
            [&](const RowMatrixXd& shift, bool second) {
                return resp_statistics<T>(X, resp, w, type, shift, second, pool,
                                          interrupt);
            },
            resp.cols(), X.cols(), reg_covar, component_eps<T>(),
            WeightNormalization::by_total_responsibility, false,
            parse_covariance_model(covariance_type), prior ? &*prior : nullptr);
    }
    return params_to_dict(p);
}

py::array_t<double> precision_cholesky(const py::object& covariances,
                                       const std::string& covariance_type,
                                       Index n_features) {
    return bind::to_numpy<double>(precision_cholesky_from_covariances(
        param_matrix(covariances), parse_covariance_type(covariance_type), n_features));
}

template <class T>
void def_for(py::module_& m) {
    m.def("gmm_fit", &fit<T>, py::arg("X").noconvert(), py::arg("sample_weight"),
          py::arg("n_components"), py::arg("covariance_type"), py::arg("tol"),
          py::arg("reg_covar"), py::arg("max_iter"), py::arg("n_init"),
          py::arg("init_params"), py::arg("weights_init"), py::arg("means_init"),
          py::arg("precisions_init"), py::arg("warm_start"),
          py::arg("warm_start_lower_bound"), py::arg("seed"), py::arg("n_threads"),
          py::arg("on_iteration"));
    m.def("gmm_e_step", &e_step<T>, py::arg("X").noconvert(), py::arg("weights"),
          py::arg("means"), py::arg("precisions_cholesky"), py::arg("covariance_type"),
          py::arg("want_resp"), py::arg("want_log_prob"), py::arg("log_resp"),
          py::arg("n_threads"));
    m.def("gmm_m_step", &m_step<T>, py::arg("X").noconvert(),
          py::arg("resp").noconvert(), py::arg("sample_weight"),
          py::arg("covariance_type"), py::arg("reg_covar"), py::arg("n_threads"),
          py::arg("prior") = py::none());
}

}  // namespace

void register_gmm(py::module_& m) {
    def_for<double>(m);
    def_for<float>(m);
    m.def("gmm_precision_cholesky", &precision_cholesky, py::arg("covariances"),
          py::arg("covariance_type"), py::arg("n_features"));
}
