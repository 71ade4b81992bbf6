// Bindings of the sufficient statistics, for EM driven from outside the core
// (Dask, Spark, Ray): the statistics of one chunk of rows go out as a few
// small NumPy arrays, the sums of many chunks come back for the M-step.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <emclust/gaussian_m_step.hpp>
#include <emclust/gaussian_statistics.hpp>
#include <emclust/kmeans.hpp>
#include <string>

#include "bindings.hpp"
#include "results.hpp"

namespace py = pybind11;
using namespace emclust;
using emclust::bind::CArray;

namespace {

/// A copy of a small float64 parameter array as a (rows, cols) matrix; a
/// 1-D array is one column.
RowMatrixXd small_matrix(const CArray<double>& a, const char* name) {
    if (a.ndim() == 1) return Eigen::Map<const RowMatrixXd>(a.data(), a.shape(0), 1);
    return bind::view_matrix<double>(a, name);
}

/// K-means centres for the rows of X: (n_clusters >= 1, n_features).
RowMatrixXd centers_arg(const CArray<double>& centers_, Index n_features) {
    RowMatrixXd centers = bind::view_matrix<double>(centers_, "centers");
    if (centers.cols() != n_features || centers.rows() < 1) {
        throw std::invalid_argument("centers must have shape (n_clusters, " +
                                    std::to_string(n_features) + ")");
    }
    return centers;
}

/// Statistics of the E-step under the given mixture, about its means.
template <class T>
py::dict gmm_statistics(const CArray<T>& X_, const py::object& sample_weight_,
                        const CArray<double>& weights, const CArray<double>& means,
                        const CArray<double>& precisions_cholesky,
                        const std::string& covariance_type,
                        const py::object& n_threads_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const auto w = bind::view_vector(sample_weight_, "sample_weight");
    GaussianMixtureParams p;
    p.covariance_type = parse_covariance_type(covariance_type);
    p.weights = Eigen::Map<const Eigen::VectorXd>(weights.data(), weights.size());
    p.means = bind::view_matrix<double>(means, "means");
    p.precisions_cholesky = small_matrix(precisions_cholesky, "precisions_cholesky");
    check_params_shape(p);
    // X, sample_weight and the parameters are converted above; the core reads
    // only them and touches no Python object.
    return bind::statistics_dict(bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            return e_step_statistics<T>(X, w, p, pool, interrupt);
        }));
}

/// Statistics of hard labels (one-hot responsibilities) about `shift`.
template <class T>
py::dict gmm_label_statistics(const CArray<T>& X_, const CArray<std::int64_t>& labels_,
                              const py::object& sample_weight_,
                              const std::string& covariance_type,
                              const CArray<double>& shift_, bool with_second,
                              const py::object& n_threads_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const auto w = bind::view_vector(sample_weight_, "sample_weight");
    if (labels_.ndim() != 1) throw std::invalid_argument("labels must be 1-D");
    const Eigen::Map<const Labels> labels(labels_.data(), labels_.shape(0));
    const RowMatrixXd shift = bind::view_matrix<double>(shift_, "shift");
    const CovarianceType type = parse_covariance_type(covariance_type);
    // As in gmm_statistics: only converted memory is read.
    return bind::statistics_dict(bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            return label_statistics<T>(X, labels, w, type, shift, with_second, pool,
                                       interrupt);
        }));
}

/// The M-step from summed statistics. Returns the parameters in the core's
/// flat layout (see covariance_storage_shape).
py::dict gmm_m_step_from_statistics(const std::string& covariance_type,
                                    const CArray<double>& shift,
                                    const CArray<double>& resp_sum,
                                    const CArray<double>& first,
                                    const CArray<double>& second, double log_likelihood,
                                    double weight_sum, double reg_covar, double nk_eps,
                                    bool normalize_by_sample_weight) {
    GaussianStatistics s(parse_covariance_type(covariance_type),
                         bind::view_matrix<double>(shift, "shift"));
    const Index k = s.n_components();
    if (resp_sum.ndim() != 1 || resp_sum.shape(0) != k) {
        throw std::invalid_argument("resp_sum must have shape (n_components,)");
    }
    const RowMatrixXd f = bind::view_matrix<double>(first, "first");
    const RowMatrixXd sec = bind::view_matrix<double>(second, "second");
    if (f.rows() != k || f.cols() != s.first.cols())
        throw std::invalid_argument("first must have shape (n_components, n_features)");
    if (sec.rows() != k || sec.cols() != s.second.cols()) {
        throw std::invalid_argument("second has the wrong shape for covariance_type '" +
                                    covariance_type + "'");
    }
    s.resp_sum = Eigen::Map<const Eigen::VectorXd>(resp_sum.data(), k);
    s.first = f;
    s.second = sec;
    s.log_likelihood = log_likelihood;
    s.weight_sum = weight_sum;
    // K x d^2 numbers and K Cholesky factorisations: too little work to be
    // worth releasing the GIL.
    const GaussianMixtureParams p = m_step_from_statistics(
        s, reg_covar, nk_eps,
        normalize_by_sample_weight ? WeightNormalization::by_sample_weight
                                   : WeightNormalization::by_total_responsibility,
        true, parse_covariance_model(covariance_type));
    return bind::params_dict(p);
}

/// K-means statistics of one chunk against `centers`: per-centre weighted
/// sums of the rows nearest to it, their total weight, the number of
/// members of positive weight, the inertia, and optionally the labels.
/// `shift` (d) is the point the distances are computed about (the data's
/// column mean keeps them accurate); it does not change the result beyond
/// rounding.
template <class T>
py::dict kmeans_statistics(const CArray<T>& X_, const py::object& sample_weight_,
                           const CArray<double>& centers_, const CArray<double>& shift_,
                           bool return_labels, const py::object& n_threads_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const auto w = bind::view_vector(sample_weight_, "sample_weight");
    const RowMatrixXd centers = centers_arg(centers_, X.cols());
    if (shift_.ndim() != 1 || shift_.shape(0) != X.cols())
        throw std::invalid_argument("shift must have shape (n_features,)");
    bind::check_sample_weight(w, X.rows());
    const Eigen::VectorXd shift =
        Eigen::Map<const Eigen::VectorXd>(shift_.data(), shift_.shape(0));
    Labels labels = Labels::Constant(X.rows(), -1);
    kmeans_detail::PassOptions what;
    what.accumulate_sums = true;
    what.count = true;
    what.inertia = true;
    // As in gmm_statistics: only converted memory is read, and `labels` is
    // owned by this frame.
    const kmeans_detail::ClusterStats st = bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            return kmeans_detail::assign_pass<T>(X, w, centers, shift,
                                                 Distance::squared_euclidean, labels,
                                                 what, pool, interrupt);
        });
    py::dict out;
    out["sums"] = bind::to_numpy<double>(st.sums);
    out["weights"] = bind::to_numpy<double>(st.weights);
    out["counts"] = bind::to_numpy<std::int64_t>(st.counts);
    out["inertia"] = st.inertia;
    out["labels"] = return_labels ? py::object(bind::to_numpy<std::int64_t>(labels))
                                  : py::object(py::none());
    return out;
}

/// Exact float64 distance of every row of a chunk to the centre of its label
/// (0 for rows of weight 0): what the relocation of empty clusters ranks rows
/// by (kmeans_detail::own_centre_distances).
template <class T>
py::array_t<double> kmeans_own_distances(const CArray<T>& X_,
                                         const py::object& sample_weight_,
                                         const CArray<double>& centers_,
                                         const CArray<std::int64_t>& labels_,
                                         const py::object& n_threads_) {
    const int n_threads = bind::n_threads_arg(n_threads_);
    const auto X = bind::view_matrix(X_, "X");
    const auto w = bind::view_vector(sample_weight_, "sample_weight");
    const RowMatrixXd centers = centers_arg(centers_, X.cols());
    bind::check_sample_weight(w, X.rows());
    if (labels_.ndim() != 1 || labels_.shape(0) != X.rows())
        throw std::invalid_argument("labels must have shape (n_samples,)");
    const Eigen::Map<const Labels> labels(labels_.data(), labels_.shape(0));
    if (X.rows() > 0 && (labels.minCoeff() < 0 || labels.maxCoeff() >= centers.rows()))
        throw std::invalid_argument("labels must lie in [0, n_clusters)");
    // As in gmm_statistics: only converted memory is read.
    const Eigen::VectorXd dist = bind::on_pool(
        n_threads, [&](ThreadPool& pool, const InterruptCheck& interrupt) {
            return kmeans_detail::own_centre_distances<T>(
                X, w, centers, labels, Distance::squared_euclidean, pool, interrupt);
        });
    return bind::to_numpy<double>(dist);
}

template <class T>
void def_for(py::module_& m) {
    m.def("gmm_statistics", &gmm_statistics<T>, py::arg("X").noconvert(),
          py::arg("sample_weight"), py::arg("weights").noconvert(),
          py::arg("means").noconvert(), py::arg("precisions_cholesky").noconvert(),
          py::arg("covariance_type"), py::arg("n_threads"));
    m.def("gmm_label_statistics", &gmm_label_statistics<T>, py::arg("X").noconvert(),
          py::arg("labels").noconvert(), py::arg("sample_weight"),
          py::arg("covariance_type"), py::arg("shift").noconvert(),
          py::arg("with_second"), py::arg("n_threads"));
    m.def("kmeans_statistics", &kmeans_statistics<T>, py::arg("X").noconvert(),
          py::arg("sample_weight"), py::arg("centers").noconvert(),
          py::arg("shift").noconvert(), py::arg("return_labels"), py::arg("n_threads"));
    m.def("kmeans_own_distances", &kmeans_own_distances<T>, py::arg("X").noconvert(),
          py::arg("sample_weight"), py::arg("centers").noconvert(),
          py::arg("labels").noconvert(), py::arg("n_threads"));
}

}  // namespace

void register_statistics(py::module_& m) {
    def_for<double>(m);
    def_for<float>(m);
    m.def("gmm_m_step_from_statistics", &gmm_m_step_from_statistics,
          py::arg("covariance_type"), py::arg("shift").noconvert(),
          py::arg("resp_sum").noconvert(), py::arg("first").noconvert(),
          py::arg("second").noconvert(), py::arg("log_likelihood"),
          py::arg("weight_sum"), py::arg("reg_covar"), py::arg("nk_eps"),
          py::arg("normalize_by_sample_weight"));
}
