// Bindings of the Gaussian mixture: fit, E-step, M-step, statistics.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <emclust/gaussian_mixture.hpp>

#include "bindings.hpp"
#include "fit_options.hpp"
#include "params.hpp"
#include "results.hpp"

namespace py = pybind11;
using namespace emclust;
using emclust::bind::CArray;

namespace {

using bind::param_matrix;

template <class T>
py::dict fit(const CArray<T>& X_, const py::object& sample_weight_, Index n_components,
             const std::string& covariance_type, double tol, double reg_covar,
             const py::object& max_iter_, const py::object& n_init_,
             const std::string& init_params, const py::object& weights_init,
             const py::object& means_init, const py::object& precisions_init,
             const py::object& warm_start, double warm_start_lower_bound,
             std::uint64_t seed, const py::object& n_threads_,
             const py::object& on_iteration) {
    const bind::FitCounts counts = bind::fit_counts(n_init_, max_iter_, n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const auto w = bind::view_vector(sample_weight_, "sample_weight");
    const GaussianMixtureOptions o =
        bind::gaussian_options(n_components, covariance_type, tol, reg_covar, counts,
                               init_params, weights_init, means_init, precisions_init,
                               warm_start, warm_start_lower_bound, seed, on_iteration);
    // Every Python object is converted above; the core touches only the Eigen
    // views, whose arrays the caller keeps alive for this call.
    return bind::fit_dict(bind::without_gil([&] {
        return fit_gaussian_mixture<T>(X, w, o, bind::python_interrupt_check());
    }));
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
    const bind::EStepArrays<T> a(X.rows(), p.n_components(), want_resp, want_log_prob);
    // The output arrays are owned by this frame and written only here.
    bind::on_pool(n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
        gaussian_e_step<T>(X, p, a.resp_ptr, a.log_prob_ptr, log_resp, pool, interrupt);
    });
    return a.tuple();
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
    const auto model = parse_covariance_model(covariance_type);
    const GaussianMixtureParams p = bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            return two_pass_m_step(
                [&](const RowMatrixXd& shift, bool second) {
                    return resp_statistics<T>(X, resp, w, type, shift, second, pool,
                                              interrupt);
                },
                resp.cols(), X.cols(), reg_covar, component_eps<T>(),
                WeightNormalization::by_total_responsibility, false, model,
                prior ? &*prior : nullptr);
        });
    return bind::params_dict(p);
}

py::array_t<double> precision_cholesky(const py::object& covariances,
                                       const std::string& covariance_type,
                                       Index n_features) {
    return bind::to_numpy<double>(precision_cholesky_from_covariances(
        param_matrix(covariances), parse_covariance_type(covariance_type), n_features));
}

template <class T>
void def_for(py::module_& m) {
    bind::def(m, "gmm_fit", &fit<T>,
              std::tuple_cat(bind::dense_x_arg(), bind::gaussian_fit_args()));
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
