// Bindings of the variational Bayesian Gaussian mixture: the fit loop, the
// M-step and one step from summed statistics (for the chunked and stochastic
// fits driven from Python), the E-step's kernel weights, and digamma. They
// convert (states and priors are dicts of small arrays in scikit-learn's
// shapes) and release the GIL; the Python layer validates.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <emclust/digamma.hpp>
#include <emclust/variational_fit.hpp>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "params.hpp"

namespace py = pybind11;
using namespace emclust;
using emclust::bind::CArray;

namespace {

using bind::param_matrix;
using bind::param_vector;

/// A covariance-shaped array (scikit-learn's shape) in the core's flat storage.
RowMatrixXd storage_arg(const py::object& a, CovarianceType type, Index k, Index d,
                        const char* name) {
    const Eigen::VectorXd v = param_vector(a);
    const auto [rows, cols] = covariance_storage_shape(type, k, d);
    if (v.size() != rows * cols)
        throw std::invalid_argument(std::string(name) + " has the wrong shape");
    return Eigen::Map<const RowMatrixXd>(v.data(), rows, cols);
}

/// scikit-learn's shape of covariance storage.
std::vector<py::ssize_t> storage_shape(CovarianceType type, Index k, Index d) {
    switch (type) {
        case CovarianceType::full:
            return {k, d, d};
        case CovarianceType::tied:
            return {d, d};
        case CovarianceType::diag:
            return {k, d};
        case CovarianceType::spherical:
            return {k};
    }
    return {};
}

VariationalState state_arg(const py::handle& obj, const std::string& covariance_type,
                           WeightPrior prior) {
    const auto d = py::cast<py::dict>(obj);
    VariationalState s;
    s.covariance_type = parse_covariance_type(covariance_type);
    s.means = param_matrix(d["means"]);
    const Index k = s.means.rows(), nf = s.means.cols();
    const py::object wc = d["weight_concentration"];
    if (prior == WeightPrior::dirichlet_process) {
        s.concentration_a = param_vector(wc[py::int_(0)]);
        s.concentration_b = param_vector(wc[py::int_(1)]);
    } else {
        s.concentration_a = param_vector(wc);
    }
    s.mean_precision = param_vector(d["mean_precision"]);
    s.degrees_of_freedom = param_vector(d["degrees_of_freedom"]);
    s.precisions_cholesky = storage_arg(d["precisions_cholesky"], s.covariance_type, k,
                                        nf, "precisions_cholesky");
    if (d.contains("covariances")) {
        s.covariances =
            storage_arg(d["covariances"], s.covariance_type, k, nf, "covariances");
    }
    check_variational_state(s, prior);
    return s;
}

VariationalPriors priors_arg(const py::dict& d, const std::string& covariance_type,
                             const std::string& prior_type, Index n_features) {
    VariationalPriors p;
    p.weight_prior = parse_weight_prior(prior_type);
    p.weight_concentration = py::cast<double>(d["weight_concentration_prior"]);
    p.mean_precision = py::cast<double>(d["mean_precision_prior"]);
    p.mean = param_vector(d["mean_prior"]);
    p.degrees_of_freedom = py::cast<double>(d["degrees_of_freedom_prior"]);
    const CovarianceType type = parse_covariance_type(covariance_type);
    p.covariance =
        storage_arg(d["covariance_prior"], type, 1, n_features, "covariance_prior");
    check_variational_priors(p, type, n_features);
    return p;
}

py::dict state_dict(const VariationalState& s, WeightPrior prior) {
    const Index k = s.n_components(), d = s.n_features();
    py::dict out;
    if (prior == WeightPrior::dirichlet_process) {
        out["weight_concentration"] =
            py::make_tuple(bind::to_numpy<double>(s.concentration_a),
                           bind::to_numpy<double>(s.concentration_b));
    } else {
        out["weight_concentration"] = bind::to_numpy<double>(s.concentration_a);
    }
    out["mean_precision"] = bind::to_numpy<double>(s.mean_precision);
    out["means"] = bind::to_numpy<double>(s.means);
    if (s.covariance_type == CovarianceType::tied) {
        out["degrees_of_freedom"] = py::float_(s.degrees_of_freedom[0]);
    } else {
        out["degrees_of_freedom"] = bind::to_numpy<double>(s.degrees_of_freedom);
    }
    const auto shape = storage_shape(s.covariance_type, k, d);
    out["covariances"] = bind::to_numpy<double>(s.covariances, shape);
    out["precisions_cholesky"] = bind::to_numpy<double>(s.precisions_cholesky, shape);
    return out;
}

/// Statistics about `shift` from the arrays of GaussianStatistics (second in
/// (K, d, d) or (K, d)).
GaussianStatistics statistics_arg(CovarianceType type, const RowMatrixXd& shift,
                                  const py::object& resp_sum, const py::object& first,
                                  const py::object& second, double log_likelihood,
                                  double weight_sum) {
    const Index k = shift.rows(), d = shift.cols();
    GaussianStatistics st(type, shift);
    const Eigen::VectorXd r = param_vector(resp_sum), f = param_vector(first),
                          s = param_vector(second);
    if (r.size() != k || f.size() != k * d || s.size() != st.second.size()) {
        throw std::invalid_argument(
            "resp_sum, first and second do not match the state's shape");
    }
    st.resp_sum = r;
    st.first = Eigen::Map<const RowMatrixXd>(f.data(), k, d);
    st.second = Eigen::Map<const RowMatrixXd>(s.data(), k, st.second.cols());
    st.log_likelihood = log_likelihood;
    st.weight_sum = weight_sum;
    return st;
}

template <class T>
py::dict fit(const CArray<T>& X_, const py::object& sample_weight_,
             const py::list& starts_, const py::dict& priors_,
             const std::string& covariance_type, const std::string& prior_type,
             double tol, double reg_covar, const py::object& max_iter_, bool warm_start,
             double warm_lower_bound, const py::object& n_threads_,
             const py::object& on_iteration) {
    const auto X = bind::view_matrix(X_, "X");
    const auto w = bind::view_vector(sample_weight_, "sample_weight");
    const WeightPrior prior = parse_weight_prior(prior_type);
    std::vector<VariationalState> starts;
    for (const py::handle s : starts_)
        starts.push_back(state_arg(s, covariance_type, prior));
    const VariationalPriors priors =
        priors_arg(priors_, covariance_type, prior_type, X.cols());
    VariationalFitOptions o;
    o.tol = tol;
    o.reg_covar = reg_covar;
    o.max_iter = bind::int_arg(max_iter_, "max_iter", 0);
    o.warm_start = warm_start;
    o.warm_lower_bound = warm_lower_bound;
    o.n_threads = bind::n_threads_arg(n_threads_);
    o.on_iteration = bind::python_callback(on_iteration);
    VariationalFit result;
    {
        // Every Python object is converted above; the core reads only the
        // converted copies and the views of X and sample_weight.
        py::gil_scoped_release release;
        result = fit_variational_mixture<T>(X, w, starts, priors, o,
                                            bind::python_interrupt_check());
    }
    py::dict out = state_dict(result.state, prior);
    bind::add_trace(out, result.trace);
    return out;
}

py::dict m_step_from_moments(const py::object& nk, const py::object& xk,
                             const py::object& sk, const std::string& covariance_type,
                             const std::string& prior_type, const py::dict& priors_) {
    ComponentMoments m;
    m.nk = param_vector(nk);
    m.xk = param_matrix(xk);
    const Index k = m.xk.rows(), d = m.xk.cols();
    if (m.nk.size() != k) throw std::invalid_argument("nk and xk do not match");
    const CovarianceType type = parse_covariance_type(covariance_type);
    m.sk = storage_arg(sk, type, k, d, "sk");
    const VariationalPriors priors =
        priors_arg(priors_, covariance_type, prior_type, d);
    VariationalState s;
    {
        py::gil_scoped_release release;
        s = variational_m_step(m, type, priors);
    }
    return state_dict(s, priors.weight_prior);
}

py::dict m_step(const py::object& shift_, const py::object& resp_sum,
                const py::object& first, const py::object& second,
                const std::string& covariance_type, const std::string& prior_type,
                const py::dict& priors_, double reg_covar, double nk_eps) {
    const RowMatrixXd shift = param_matrix(shift_);
    const CovarianceType type = parse_covariance_type(covariance_type);
    const GaussianStatistics st =
        statistics_arg(type, shift, resp_sum, first, second, 0.0, 0.0);
    const VariationalPriors priors =
        priors_arg(priors_, covariance_type, prior_type, shift.cols());
    VariationalState s;
    {
        py::gil_scoped_release release;
        s = variational_m_step(st, reg_covar, nk_eps, priors);
    }
    return state_dict(s, priors.weight_prior);
}

/// One iteration from the summed statistics of the E-step under `state`
/// (about its means): (new state, lower bound).
py::tuple step_from_statistics(const py::dict& state_, const py::object& resp_sum,
                               const py::object& first, const py::object& second,
                               double log_likelihood, double weight_sum,
                               const std::string& covariance_type,
                               const std::string& prior_type, const py::dict& priors_,
                               double reg_covar, double nk_eps) {
    const WeightPrior prior = parse_weight_prior(prior_type);
    const VariationalState old = state_arg(state_, covariance_type, prior);
    const GaussianStatistics st =
        statistics_arg(old.covariance_type, old.means, resp_sum, first, second,
                       log_likelihood, weight_sum);
    const VariationalPriors priors =
        priors_arg(priors_, covariance_type, prior_type, old.n_features());
    VariationalState next;
    double bound = 0.0;
    {
        py::gil_scoped_release release;
        next = variational_m_step(st, reg_covar, nk_eps, priors);
        const VariationalKernel kern = variational_kernel(old, prior);
        bound = variational_lower_bound(variational_resp_entropy(st, old, kern), next,
                                        priors);
    }
    return py::make_tuple(state_dict(next, prior), bound);
}

/// (weights, top, log_constants) of the Gaussian kernel whose E-step is the
/// variational one.
py::tuple kernel_weights(const py::dict& state_, const std::string& covariance_type,
                         const std::string& prior_type) {
    const WeightPrior prior = parse_weight_prior(prior_type);
    const VariationalState s = state_arg(state_, covariance_type, prior);
    const VariationalKernel kern = variational_kernel(s, prior);
    return py::make_tuple(bind::to_numpy<double>(kern.params.weights), kern.top,
                          bind::to_numpy<double>(kern.log_constants));
}

py::array_t<double> digamma_array(const CArray<double>& x) {
    py::array_t<double> out(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
    const double* in = x.data();
    double* o = out.mutable_data();
    for (py::ssize_t i = 0; i < x.size(); ++i) o[i] = digamma(in[i]);
    return out;
}

template <class T>
void def_fit(py::module_& m) {
    m.def("variational_fit", &fit<T>, py::arg("X").noconvert(),
          py::arg("sample_weight"), py::arg("starts"), py::arg("priors"),
          py::arg("covariance_type"), py::arg("prior_type"), py::arg("tol"),
          py::arg("reg_covar"), py::arg("max_iter"), py::arg("warm_start"),
          py::arg("warm_lower_bound"), py::arg("n_threads"), py::arg("on_iteration"));
}

}  // namespace

void register_variational(py::module_& m) {
    def_fit<double>(m);
    def_fit<float>(m);
    m.def("variational_m_step_from_moments", &m_step_from_moments, py::arg("nk"),
          py::arg("xk"), py::arg("sk"), py::arg("covariance_type"),
          py::arg("prior_type"), py::arg("priors"));
    m.def("variational_m_step", &m_step, py::arg("shift"), py::arg("resp_sum"),
          py::arg("first"), py::arg("second"), py::arg("covariance_type"),
          py::arg("prior_type"), py::arg("priors"), py::arg("reg_covar"),
          py::arg("nk_eps"));
    m.def("variational_step_from_statistics", &step_from_statistics, py::arg("state"),
          py::arg("resp_sum"), py::arg("first"), py::arg("second"),
          py::arg("log_likelihood"), py::arg("weight_sum"), py::arg("covariance_type"),
          py::arg("prior_type"), py::arg("priors"), py::arg("reg_covar"),
          py::arg("nk_eps"));
    m.def("variational_kernel_weights", &kernel_weights, py::arg("state"),
          py::arg("covariance_type"), py::arg("prior_type"));
    m.def("digamma", &digamma_array, py::arg("x").noconvert());
}
