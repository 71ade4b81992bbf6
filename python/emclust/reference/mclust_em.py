"""EM for the 14 covariance models as mclust's ``me()`` runs it: the reference fit.

``me(model, X, z)`` starts with an M-step from the responsibilities ``z`` (mclust
starts from the hard partition of its hierarchical tree, ``unmap(hclass(...))``),
then alternates E- and M-steps until the relative change of the log-likelihood,
|L - L_old| / (1 + |L|), is at most ``tol`` (mclust's emControl()$tol[1] = 1e-5).
With a ``prior`` (a ``reference.prior.Prior``) the M-step is the MAP one; the
returned log-likelihood is still the data's, as mclust reports it and uses in BIC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import covariance_models

__all__ = ["MclustFit", "bic", "log_likelihood", "me"]

_LOG_2PI = math.log(2.0 * math.pi)


@dataclass
class MclustFit:
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    z: np.ndarray
    log_likelihood: float
    n_iter: int
    converged: bool


def _log_joint(X, weights, means, covs):
    """log(π_k N(x_i; μ_k, Σ_k)), shape (n, k); NaN where a Σ_k is not positive definite."""
    n, d = X.shape
    out = np.empty((n, len(weights)))
    for k in range(len(weights)):
        try:
            chol = np.linalg.cholesky(covs[k])
        except np.linalg.LinAlgError:
            out[:, k] = np.nan
            continue
        sol = np.linalg.solve(chol, (X - means[k]).T)
        logdet = 2.0 * np.sum(np.log(np.diag(chol)))
        out[:, k] = math.log(weights[k]) - 0.5 * (
            d * _LOG_2PI + logdet + np.sum(sol**2, 0)
        )
    return out


def log_likelihood(X, weights, means, covs):
    """Σ_i log Σ_k π_k N(x_i; μ_k, Σ_k) and the responsibilities."""
    joint = _log_joint(X, weights, means, covs)
    top = np.max(joint, axis=1, keepdims=True)
    norm = top + np.log(np.sum(np.exp(joint - top), axis=1, keepdims=True))
    return float(np.sum(norm)), np.exp(joint - norm)


def _m_step(model, X, z, prior, previous=None):
    nk = z.sum(0)
    if prior is not None:
        return prior.m_step(model, X, z)
    first = z.T @ X
    second = np.einsum("ik,ij,il->kjl", z, X, X)
    # EVE and VVE start their orientation from the previous iteration's, as
    # the core does (and mclust): EM's log-likelihood then cannot fall.
    start = None
    if previous is not None and model in ("EVE", "VVE"):
        start = covariance_models.common_basis(previous)
    return covariance_models.m_step(model, nk, first, second, start)


def me(model, X, z, *, prior=None, tol=1e-5, max_iter=10000):
    """mclust's me(): EM from responsibilities ``z`` (n, k) to convergence."""
    X = np.asarray(X, dtype=float)
    z = np.asarray(z, dtype=float)
    old = None
    ll = math.nan
    covs = None
    for it in range(1, max_iter + 1):
        weights, means, covs = _m_step(model, X, z, prior, covs)
        if not np.all(np.isfinite(covs)):
            return MclustFit(weights, means, covs, z, math.nan, it, False)
        ll, z = log_likelihood(X, weights, means, covs)
        if not math.isfinite(ll):
            return MclustFit(weights, means, covs, z, math.nan, it, False)
        if old is not None and abs(ll - old) / (1.0 + abs(ll)) <= tol:
            return MclustFit(weights, means, covs, z, ll, it, True)
        old = ll
    return MclustFit(weights, means, covs, z, ll, max_iter, False)


def bic(model, log_lik, n_samples, n_components, n_features):
    """mclust's sign: 2 log L - p log n (higher is better)."""
    p = covariance_models.n_parameters(model, n_components, n_features)
    return 2.0 * log_lik - p * math.log(n_samples)
