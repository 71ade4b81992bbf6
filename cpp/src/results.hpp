// The core's results as the Python layer reads them: parameter dicts, fit
// dicts (parameters and trace), sufficient-statistics dicts, the output
// arrays of an E-step and the K-means tuples. One function a kind of result,
// so that the dense, missing-value and sparse bindings of a model return the
// same keys in the same order.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <emclust/bernoulli_params.hpp>
#include <emclust/bernoulli_statistics.hpp>
#include <emclust/em.hpp>
#include <emclust/gaussian_mixture_params.hpp>
#include <emclust/gaussian_statistics.hpp>
#include <emclust/kmeans.hpp>
#include <vector>

#include "bindings.hpp"

namespace emclust::bind {

/// A fit's trace into its result dict.
inline void add_trace(py::dict& out, const EmTrace& trace) {
    out["converged"] = trace.converged;
    out["n_iter"] = trace.n_iter;
    out["lower_bound"] = trace.lower_bound;
    out["lower_bounds"] = trace.lower_bounds;
}

inline py::dict params_dict(const GaussianMixtureParams& p) {
    py::dict out;
    out["weights"] = to_numpy<double>(p.weights);
    out["means"] = to_numpy<double>(p.means);
    out["covariances"] = to_numpy<double>(p.covariances);
    out["precisions_cholesky"] = to_numpy<double>(p.precisions_cholesky);
    return out;
}

inline py::dict params_dict(const BernoulliMixtureParams& p) {
    py::dict out;
    out["weights"] = to_numpy<double>(p.weights);
    out["probabilities"] = to_numpy<double>(p.probabilities);
    return out;
}

/// A fit's parameters then its trace (GaussianMixtureFit, BernoulliMixtureFit).
template <class Fit>
py::dict fit_dict(const Fit& fit) {
    py::dict out = params_dict(fit.params);
    add_trace(out, fit.trace);
    return out;
}

inline py::dict statistics_dict(const GaussianStatistics& s) {
    py::dict out;
    out["resp_sum"] = to_numpy<double>(s.resp_sum);
    out["first"] = to_numpy<double>(s.first);
    out["second"] = to_numpy<double>(s.second);
    out["log_likelihood"] = s.log_likelihood;
    out["weight_sum"] = s.weight_sum;
    return out;
}

/// With observed_sum (the missing-value statistics) after x_sum.
inline py::dict statistics_dict(const BernoulliStatistics& s,
                                const RowMatrixXd* observed_sum = nullptr) {
    py::dict out;
    out["resp_sum"] = to_numpy<double>(s.resp_sum);
    out["x_sum"] = to_numpy<double>(s.x_sum);
    if (observed_sum != nullptr) out["observed_sum"] = to_numpy<double>(*observed_sum);
    out["log_likelihood"] = s.log_likelihood;
    out["weight_sum"] = s.weight_sum;
    return out;
}

/// Row indices as an int64 array.
inline py::array_t<std::int64_t> index_array(const std::vector<Index>& v) {
    py::array_t<std::int64_t> out(static_cast<py::ssize_t>(v.size()));
    auto* p = out.mutable_data();
    for (std::size_t i = 0; i < v.size(); ++i) p[i] = static_cast<std::int64_t>(v[i]);
    return out;
}

/// (centers, labels, inertia, n_iter) of a K-means or K-medians fit.
inline py::tuple kmeans_tuple(const KMeansResult& r) {
    return py::make_tuple(to_numpy<double>(r.centers), to_numpy<std::int64_t>(r.labels),
                          r.inertia, r.n_iter);
}

/// (labels, inertia) of an assignment to given centres.
inline py::tuple assignment_tuple(const KMeansAssignment& r) {
    return py::make_tuple(to_numpy<std::int64_t>(r.labels), r.inertia);
}

/// The output arrays of an E-step, allocated (with the GIL) on request and
/// written by the core without it: resp (n, K), log_prob (n) and, for the
/// missing-value E-steps, imputed (n, d). A pointer is null where its array
/// was not asked for, and the array is None.
template <class T>
struct EStepArrays {
    py::object resp = py::none(), log_prob = py::none(), imputed = py::none();
    T* resp_ptr = nullptr;
    T* log_prob_ptr = nullptr;
    T* imputed_ptr = nullptr;

    /// (resp, log_prob)
    EStepArrays(Index n, Index k, bool want_resp, bool want_log_prob) {
        if (want_resp) resp_ptr = allocate(resp, {n, k});
        if (want_log_prob) log_prob_ptr = allocate(log_prob, {n});
    }

    /// (resp, log_prob, imputed)
    EStepArrays(Index n, Index k, Index d, bool want_resp, bool want_log_prob,
                bool want_imputed)
        : EStepArrays(n, k, want_resp, want_log_prob) {
        with_imputed_ = true;
        if (want_imputed) imputed_ptr = allocate(imputed, {n, d});
    }

    py::tuple tuple() const {
        if (with_imputed_) return py::make_tuple(resp, log_prob, imputed);
        return py::make_tuple(resp, log_prob);
    }

  private:
    bool with_imputed_ = false;

    static T* allocate(py::object& slot, std::vector<py::ssize_t> shape) {
        py::array_t<T> a(std::move(shape));
        T* data = a.mutable_data();
        slot = std::move(a);
        return data;
    }
};

}  // namespace emclust::bind
