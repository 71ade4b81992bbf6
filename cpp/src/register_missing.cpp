// Bindings of the missing-value (NaN) paths of the Gaussian and Bernoulli
// mixtures: fit, E-step with imputation, and the statistics of one chunk.
// Each entry point sends data without NaN through the complete-data core.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <emclust/bernoulli_missing.hpp>
#include <emclust/gaussian_missing.hpp>

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
py::dict gmm_fit(const CArray<T>& X_, const py::object& sample_weight_,
                 Index n_components, const std::string& covariance_type, double tol,
                 double reg_covar, const py::object& max_iter_,
                 const py::object& n_init_, const std::string& init_params,
                 const py::object& weights_init, const py::object& means_init,
                 const py::object& precisions_init, const py::object& warm_start,
                 double warm_start_lower_bound, std::uint64_t seed,
                 const py::object& n_threads_, const py::object& on_iteration,
                 const py::object& prior, bool relative_tol) {
    const bind::FitCounts counts = bind::fit_counts(n_init_, max_iter_, n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const auto w = bind::view_vector(sample_weight_, "sample_weight");
    GaussianMixtureOptions o =
        bind::gaussian_options(n_components, covariance_type, tol, reg_covar, counts,
                               init_params, weights_init, means_init, precisions_init,
                               warm_start, warm_start_lower_bound, seed, on_iteration);
    o.prior = bind::conjugate_prior(prior);
    o.relative_tol = relative_tol;
    // Every Python object is converted above; the core reads only the Eigen
    // views, whose arrays the caller keeps alive for this call.
    return bind::fit_dict(bind::without_gil([&] {
        return fit_gaussian_mixture_missing<T>(X, w, o, bind::python_interrupt_check());
    }));
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
    const bind::EStepArrays<T> a(X.rows(), p.n_components(), X.cols(), want_resp,
                                 want_log_prob, want_imputed);
    // The output arrays are owned by this frame and written only here.
    bind::on_pool(n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
        missing_e_step<T>(X, p, a.resp_ptr, a.log_prob_ptr, log_resp, a.imputed_ptr,
                          pool, interrupt);
    });
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
    // As above: only converted memory is read.
    return bind::statistics_dict(bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            return missing_e_step_statistics<T>(X, w, p, pool, interrupt, false);
        }));
}

template <class T>
py::dict bernoulli_fit(const CArray<T>& X_, const py::object& sample_weight_,
                       Index n_components, double tol, double alpha,
                       const py::object& max_iter_, const py::object& n_init_,
                       const std::string& init_params, const py::object& weights_init,
                       const py::object& probabilities_init, std::uint64_t seed,
                       const py::object& n_threads_, const py::object& on_iteration) {
    const bind::FitCounts counts = bind::fit_counts(n_init_, max_iter_, n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const auto w = bind::view_vector(sample_weight_, "sample_weight");
    const BernoulliMixtureOptions o =
        bind::bernoulli_options(n_components, tol, alpha, counts, init_params,
                                weights_init, probabilities_init, seed, on_iteration);
    return bind::fit_dict(bind::without_gil([&] {
        return fit_bernoulli_mixture_missing<T>(X, w, o,
                                                bind::python_interrupt_check());
    }));
}

template <class T>
py::tuple bernoulli_e_step(const CArray<T>& X_, const py::object& weights,
                           const py::object& probabilities, bool want_resp,
                           bool want_log_prob, bool log_resp, bool want_imputed,
                           const py::object& n_threads_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const BernoulliMixtureParams p = bernoulli_params(weights, probabilities);
    const bind::EStepArrays<T> a(X.rows(), p.n_components(), X.cols(), want_resp,
                                 want_log_prob, want_imputed);
    bind::on_pool(n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
        bernoulli_missing_e_step<T>(X, p, a.resp_ptr, a.log_prob_ptr, log_resp,
                                    a.imputed_ptr, pool, interrupt);
    });
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
    const BernoulliMissingStatistics st = bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            return bernoulli_missing_e_step_statistics<T>(X, w, p, pool, interrupt,
                                                          false);
        });
    return bind::statistics_dict(st.base, &st.observed_sum);
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
    return bind::params_dict(bernoulli_missing_m_step(st, alpha, nk_eps));
}

template <class T>
void def_for(py::module_& m) {
    bind::def(m, "gmm_missing_fit", &gmm_fit<T>,
              std::tuple_cat(bind::dense_x_arg(), bind::gaussian_fit_args()),
              py::arg("prior") = py::none(), py::arg("relative_tol") = false);
    m.def("gmm_missing_e_step", &gmm_e_step<T>, py::arg("X").noconvert(),
          py::arg("weights"), py::arg("means"), py::arg("precisions_cholesky"),
          py::arg("covariance_type"), py::arg("want_resp"), py::arg("want_log_prob"),
          py::arg("log_resp"), py::arg("want_imputed"), py::arg("n_threads"));
    m.def("gmm_missing_statistics", &gmm_statistics<T>, py::arg("X").noconvert(),
          py::arg("sample_weight"), py::arg("weights"), py::arg("means"),
          py::arg("precisions_cholesky"), py::arg("covariance_type"),
          py::arg("n_threads"));
    bind::def(m, "bernoulli_missing_fit", &bernoulli_fit<T>,
              std::tuple_cat(bind::dense_x_arg(), bind::bernoulli_fit_args()));
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
