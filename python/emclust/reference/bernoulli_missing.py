"""Pure-NumPy EM for a mixture of Bernoullis on binary data with missing (NaN)
entries: the readable reference of the native core's missing-value pass.

Given the component, the features are independent, so a missing entry
integrates out of the product: its factor Σ_x θ^x (1 - θ)^(1 - x) is 1. With
o_id = 1 where x_id is observed and 0 where it is NaN,

    log p(x_i, z=k) = log π_k + Σ_d o_id [x_id log θ_kd + (1 - x_id) log(1 - θ_kd)],

and the expected log-likelihood is maximised by the same sums restricted to
the observed entries (with r_ik = w_i γ_ik):

    N_k  = Σ_i r_ik + 10 eps,   π_k = N_k / Σ_j N_j,
    θ_kd = clip((Σ_i r_ik o_id x_id + α) / (Σ_i r_ik o_id + 10 eps + 2α),
                1e-10, 1 - 1e-10).

The component z is the only latent variable here (the missing entries are
marginalised, not imputed), so this is an exact EM of the observed-data
likelihood, which never decreases. Without a NaN, o_id = 1 and every formula
is ``reference.bernoulli``'s.
"""

from __future__ import annotations

import numpy as np

from .bernoulli import EPS64, _logsumexp, theta_floor

__all__ = ["e_step", "fit_em", "impute", "m_step"]


def _split(X):
    X = np.asarray(X, dtype=np.float64)
    observed = ~np.isnan(X)
    return np.where(observed, X, 0.0), observed.astype(np.float64)


def e_step(X, weights, probabilities):
    """Responsibilities (n, K) and observed-data log p(x_o,i) (n,)."""
    x, obs = _split(X)
    theta = np.asarray(probabilities, dtype=np.float64)
    joint = (
        np.log(weights) + x @ np.log(theta).T + (obs - x) @ np.log1p(-theta).T
    )  # (obs - x) is 1 - x on observed entries, 0 on missing ones
    log_prob = _logsumexp(joint)
    return np.exp(joint - log_prob[:, None]), log_prob


def m_step(X, resp, alpha, sample_weight=None, eps=EPS64):
    """Weights (K,) and probabilities (K, d) from responsibilities (n, K)."""
    x, obs = _split(X)
    wresp = resp if sample_weight is None else resp * sample_weight[:, None]
    nk = wresp.sum(axis=0) + eps
    theta = (wresp.T @ x + alpha) / (wresp.T @ obs + eps + 2.0 * alpha)
    floor = theta_floor(eps)
    return nk / nk.sum(), np.clip(theta, floor, 1.0 - floor)


def fit_em(
    X, weights, probabilities, *, alpha=1e-3, max_iter=100, tol=1e-3, sample_weight=None
):
    """EM from given parameters; returns (weights, probabilities, lower_bounds,
    converged) as ``reference.bernoulli.fit_em``."""
    w = sample_weight
    total = np.shape(X)[0] if w is None else w.sum()
    bounds, previous, converged = [], -np.inf, False
    for _ in range(max_iter):
        resp, log_prob = e_step(X, weights, probabilities)
        bound = (log_prob.sum() if w is None else w @ log_prob) / total
        weights, probabilities = m_step(X, resp, alpha, w)
        bounds.append(bound)
        if abs(bound - previous) < tol:
            converged = True
            break
        previous = bound
    return weights, probabilities, bounds, converged


def impute(X, weights, probabilities):
    """X with every NaN replaced by its conditional mean Σ_k γ_k θ_kd."""
    X = np.asarray(X, dtype=np.float64)
    resp, _ = e_step(X, weights, probabilities)
    return np.where(np.isnan(X), resp @ np.asarray(probabilities), X)
