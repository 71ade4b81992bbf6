"""Variational Bayesian Gaussian mixture on the native core.

The variational E-step is the Gaussian E-step with the expected precision
and, per component, an additive constant (E[log π_k] plus the digamma and
log-determinant terms of E[log N]): the fused threaded statistics kernel of
GaussianMixture runs unchanged with "weights" exp(constant). Its sums are
the weighted sufficient statistics the variational M-step maps to the
posterior parameters, and with Σ w log p(x) they also give Σ w Σ_k r log r,
the entropy term of the lower bound, with no (n_samples, n_components)
array. All of it (the constants, the M-step, the lower bound and the fit
loop) is C++ (cpp/include/emclust/variational_*.hpp); this module converts.
States and priors are dicts in scikit-learn's shapes (reference.variational).
"""

from __future__ import annotations

import numpy as np

from .. import _core
from ._common import nk_eps
from .gaussian import statistics_from_core, to_core


def core_priors(priors):
    """The priors as the core reads them (float64 arrays and floats)."""
    return {
        "weight_concentration_prior": float(priors["weight_concentration_prior"]),
        "mean_precision_prior": float(priors["mean_precision_prior"]),
        "mean_prior": np.ascontiguousarray(priors["mean_prior"], dtype=np.float64),
        "degrees_of_freedom_prior": float(priors["degrees_of_freedom_prior"]),
        "covariance_prior": np.ascontiguousarray(
            np.atleast_1d(priors["covariance_prior"]), dtype=np.float64
        ),
    }


def core_state(state):
    """A state with float64 arrays (a model file's or warm start's attributes
    may be lists or float32)."""
    out = {}
    for name, value in state.items():
        if name == "weight_concentration" and isinstance(value, (tuple, list)):
            out[name] = tuple(np.asarray(v, dtype=np.float64) for v in value)
        else:
            out[name] = np.asarray(value, dtype=np.float64)
    return out


def core_weights(state, n_features, covariance_type, prior_type):
    """(weights for the Gaussian kernel, the constant taken out): exp of the
    per-component constants less their maximum, so none underflows first."""
    weights, top, _ = _core.variational_kernel_weights(
        core_state(state), covariance_type, prior_type
    )
    return weights, top


def core_chol(state, covariance_type, n_features):
    return to_core(
        np.asarray(state["precisions_cholesky"], dtype=np.float64),
        covariance_type,
        n_features,
    )


def statistics(X, w, state, covariance_type, prior_type, n_threads):
    """The E-step's GaussianStatistics about the means, and the constant
    subtracted from the log-weights (add top * weight_sum to its
    log_likelihood)."""
    d = X.shape[1]
    weights, top = core_weights(state, d, covariance_type, prior_type)
    means = np.ascontiguousarray(state["means"], dtype=np.float64)
    out = _core.gmm_missing_statistics(
        X,
        w,
        weights,
        means,
        core_chol(state, covariance_type, d),
        covariance_type,
        n_threads,
    )
    return statistics_from_core(out, covariance_type, X.dtype, means), top


def m_step(stats, priors, covariance_type, prior_type, reg_covar):
    """The posterior from statistics about a shift (the C++ M-step); the
    floor added to N_k is that of the statistics' data type."""
    return _core.variational_m_step(
        np.ascontiguousarray(stats.shift, dtype=np.float64),
        np.ascontiguousarray(stats.resp_sum, dtype=np.float64),
        np.ascontiguousarray(stats.first, dtype=np.float64),
        np.ascontiguousarray(stats.second, dtype=np.float64),
        covariance_type,
        prior_type,
        core_priors(priors),
        float(reg_covar),
        nk_eps(stats.dtype),
    )


def m_step_from_moments(nk, xk, sk, priors, covariance_type, prior_type):
    """The posterior from (nk, xk, sk) of reference.variational.statistics."""
    return _core.variational_m_step_from_moments(
        np.asarray(nk, dtype=np.float64),
        np.asarray(xk, dtype=np.float64),
        np.asarray(sk, dtype=np.float64),
        covariance_type,
        prior_type,
        core_priors(priors),
    )


def step_from_statistics(stats, state, priors, covariance_type, prior_type, reg_covar):
    """(new state, lower bound) from the summed statistics of the E-step under
    ``state`` (the chunked fit)."""
    return _core.variational_step_from_statistics(
        core_state(state),
        np.ascontiguousarray(stats.resp_sum, dtype=np.float64),
        np.ascontiguousarray(stats.first, dtype=np.float64),
        np.ascontiguousarray(stats.second, dtype=np.float64),
        float(stats.log_likelihood),
        float(stats.weight_sum),
        covariance_type,
        prior_type,
        core_priors(priors),
        float(reg_covar),
        nk_eps(stats.dtype),
    )


_STATE_KEYS = (
    "weight_concentration",
    "mean_precision",
    "means",
    "degrees_of_freedom",
    "covariances",
    "precisions_cholesky",
)


def fit(
    X,
    w,
    starts,
    priors,
    covariance_type,
    prior_type,
    *,
    tol,
    reg_covar,
    max_iter,
    warm_start,
    warm_lower_bound,
    n_threads,
    on_iteration=None,
):
    """The C++ fit loop from the starting states: (state, trace dict)."""
    out = _core.variational_fit(
        X,
        w,
        [core_state(s) for s in starts],
        core_priors(priors),
        covariance_type,
        prior_type,
        float(tol),
        float(reg_covar),
        max_iter,
        bool(warm_start),
        float(warm_lower_bound),
        n_threads,
        on_iteration,
    )
    state = {name: out[name] for name in _STATE_KEYS}
    trace = {
        name: out[name]
        for name in ("converged", "n_iter", "lower_bound", "lower_bounds")
    }
    return state, trace


def infer(
    X, state, covariance_type, prior_type, want_resp, want_log_prob, log_resp, n_threads
):
    """(resp, log_prob) of the variational E-step on validated X."""
    d = X.shape[1]
    weights, top = core_weights(state, d, covariance_type, prior_type)
    resp, log_prob, _ = _core.gmm_missing_e_step(
        X,
        weights,
        np.ascontiguousarray(state["means"], dtype=np.float64),
        core_chol(state, covariance_type, d),
        covariance_type,
        want_resp,
        want_log_prob,
        log_resp,
        False,
        n_threads,
    )
    if log_prob is not None:
        log_prob = log_prob + np.asarray(top, dtype=log_prob.dtype)
    return resp, log_prob
