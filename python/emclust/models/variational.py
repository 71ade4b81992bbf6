"""Variational Bayesian Gaussian mixture on the native Gaussian kernels.

The variational E-step is the Gaussian E-step with the expected precision
and, per component, an additive constant (E[log π_k] plus the digamma and
log-determinant terms of E[log N]): the fused threaded statistics kernel of
GaussianMixture runs unchanged with "weights" exp(constant). Its sums are
the weighted sufficient statistics the variational M-step maps to the
posterior parameters (reference.variational.m_step), and with Σ w log p(x)
they also give Σ w Σ_k r log r, the entropy term of the lower bound, with no
(n_samples, n_components) array.
"""

from __future__ import annotations

import numpy as np

from .. import _core
from ..reference import variational as ref
from ._common import nk_eps
from .gaussian import statistics_from_core, to_core

_LOG_2PI = np.log(2.0 * np.pi)


def component_log_constants(state, n_features, covariance_type, prior_type):
    """log ρ_nk - log N(x_n | μ_k, E[Λ_k]) per component."""
    return ref.log_prob_corrections(state, n_features) + ref.expected_log_weights(
        state["weight_concentration"], prior_type
    )


def core_weights(state, n_features, covariance_type, prior_type):
    """(weights for the Gaussian kernel, the constant taken out): exp of the
    per-component constants less their maximum, so none underflows first."""
    c = component_log_constants(state, n_features, covariance_type, prior_type)
    top = float(np.max(c))
    return np.exp(c - top), top


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


def _precisions(chol, covariance_type):
    if covariance_type == "full":
        return chol @ np.swapaxes(chol, 1, 2)
    if covariance_type == "tied":
        return chol @ chol.T
    return chol**2


def resp_entropy(stats, top, state, covariance_type, prior_type):
    """Σ_n w_n Σ_k r_nk log r_nk from the sums: Σ_k Σ_n w r log ρ_nk minus
    Σ_n w log Σ_k ρ_nk, with Σ_n w r (x-μ)ᵀΛ(x-μ) = tr(Λ S_k)."""
    k, d = stats.shift.shape
    chol = np.asarray(state["precisions_cholesky"], dtype=np.float64)
    prec = _precisions(chol, covariance_type)
    second = np.asarray(stats.second, dtype=np.float64)
    if covariance_type == "full":
        quad = np.einsum("kij,kij->k", prec, second)
    elif covariance_type == "tied":
        quad = np.einsum("ij,kij->k", prec, second)
    elif covariance_type == "diag":
        quad = np.einsum("kj,kj->k", prec, second)
    else:
        quad = prec * second.sum(axis=1)
    log_det = np.broadcast_to(
        ref._log_det_precision_cholesky(chol, covariance_type, d), (k,)
    )
    c = component_log_constants(state, d, covariance_type, prior_type)
    per_row = c + log_det - 0.5 * d * _LOG_2PI
    log_rho = float(stats.resp_sum @ per_row - 0.5 * quad.sum())
    log_norm = stats.log_likelihood + top * stats.weight_sum
    return log_rho - log_norm


def moments(stats, reg_covar):
    """(nk, xk, sk) of scikit-learn's _estimate_gaussian_parameters from
    statistics taken about a shift (the E-step's means)."""
    raw = np.asarray(stats.resp_sum, dtype=np.float64)
    nk = raw + nk_eps(stats.dtype)
    first = np.asarray(stats.first, dtype=np.float64)
    delta = first / nk[:, None]
    xk = stats.shift + delta
    # Σ r (x - x̄)(x - x̄)ᵀ = S - (2 - raw/nk) δ firstᵀ about the shift, exactly
    # scikit-learn's centred sum even for the N_k floor of an empty component.
    f = 2.0 - raw / nk
    second = np.asarray(stats.second, dtype=np.float64)
    d = xk.shape[1]
    t = stats.covariance_type
    if t in ("full", "tied"):
        scatter = second - f[:, None, None] * delta[:, :, None] * first[:, None, :]
        if t == "full":
            sk = scatter / nk[:, None, None]
        else:
            sk = scatter.sum(axis=0) / nk.sum()
        sk = sk.copy()
        sk[..., np.arange(d), np.arange(d)] += reg_covar
    else:
        sk = (second - f[:, None] * delta * first) / nk[:, None] + reg_covar
        if t == "spherical":
            sk = sk.mean(axis=1)
    return nk, xk, sk


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
