"""Pure-NumPy mixture of Bernoullis fitted by EM: the readable reference.

The model (seed 001): p(x | z=k) = Π_d θ_kd^x_d (1 - θ_kd)^(1 - x_d) for
x in {0, 1}^d. Everything is computed in log space, and the E-step uses the
two matrix products of the seed's formula as written,

    log p(x_i, z=k) = log π_k + X log θᵀ + (1 - X) log(1 - θ)ᵀ,

not the native core's rearrangement into one product with the log-odds.

The M-step smooths θ additively (see ``m_step``), exactly like the core:

    N_k  = Σ_i w_i γ_ik + 10 eps,   π_k = N_k / Σ_j N_j,
    θ_kd = clip((Σ_i w_i γ_ik x_id + α) / (N_k + 2α), 1e-10, 1 - 1e-10).
"""

from __future__ import annotations

import warnings

import numpy as np

from .._validation import (
    check_binary_array,
    check_float,
    check_int,
    check_sample_weight,
    numpy_generator,
)
from ..exceptions import ConvergenceWarning

__all__ = ["BernoulliMixture", "e_step", "fit_em", "m_step"]

THETA_FLOOR = 1e-10
EPS64 = 10 * np.finfo(np.float64).eps  # added to N_k, as in the core


def theta_floor(eps):
    """The clip bound for the dtype whose N_k eps is ``eps``, as in the core:
    1e-10 in float64, 2^-24 in float32 (1 - 1e-10 rounds to 1.0 there)."""
    return max(THETA_FLOOR, eps / 20.0)


def _logsumexp(a):
    top = a.max(axis=1, keepdims=True)
    return (top + np.log(np.exp(a - top).sum(axis=1, keepdims=True)))[:, 0]


def e_step(X, weights, probabilities):
    """Responsibilities (n, K) and log p(x_i) (n,) under the mixture."""
    X = np.asarray(X, dtype=np.float64)
    theta = np.asarray(probabilities, dtype=np.float64)
    joint = np.log(weights) + X @ np.log(theta).T + (1.0 - X) @ np.log1p(-theta).T
    log_prob = _logsumexp(joint)
    return np.exp(joint - log_prob[:, None]), log_prob


def m_step(X, resp, alpha, sample_weight=None, eps=EPS64):
    """Weights (K,) and probabilities (K, d) from responsibilities (n, K)."""
    X = np.asarray(X, dtype=np.float64)
    wresp = resp if sample_weight is None else resp * sample_weight[:, None]
    nk = wresp.sum(axis=0) + eps
    theta = (wresp.T @ X + alpha) / (nk + 2.0 * alpha)[:, None]
    floor = theta_floor(eps)
    return nk / nk.sum(), np.clip(theta, floor, 1.0 - floor)


def fit_em(
    X, weights, probabilities, *, alpha=1e-3, max_iter=100, tol=1e-3, sample_weight=None
):
    """EM from given parameters. Returns (weights, probabilities, lower_bounds,
    converged); lower_bounds[t] is the mean log-likelihood under the parameters
    entering iteration t + 1, as in the native core."""
    X = np.asarray(X, dtype=np.float64)
    w = sample_weight
    total = X.shape[0] if w is None else w.sum()
    lower_bounds, previous, converged = [], -np.inf, False
    for _ in range(max_iter):
        resp, log_prob = e_step(X, weights, probabilities)
        bound = (log_prob.sum() if w is None else w @ log_prob) / total
        weights, probabilities = m_step(X, resp, alpha, w)
        lower_bounds.append(bound)
        if abs(bound - previous) < tol:
            converged = True
            break
        previous = bound
    return weights, probabilities, lower_bounds, converged


class BernoulliMixture:
    """Minimal reference estimator: EM from rows drawn at random
    (``init_params="random_from_data"``) or from given parameters.
    Fitted attributes as in ``emclust.BernoulliMixture``."""

    def __init__(
        self,
        n_components=1,
        *,
        tol=1e-3,
        max_iter=100,
        alpha=1e-3,
        weights_init=None,
        probabilities_init=None,
        random_state=None,
    ):
        self.n_components = n_components
        self.tol = tol
        self.max_iter = max_iter
        self.alpha = alpha
        self.weights_init = weights_init
        self.probabilities_init = probabilities_init
        self.random_state = random_state

    def fit(self, X, y=None, sample_weight=None):
        X = check_binary_array(X)
        k = check_int(self.n_components, "n_components", minimum=1)
        alpha = check_float(self.alpha, "alpha", minimum=0.0)
        w = check_sample_weight(sample_weight, X.shape[0])
        if self.weights_init is not None and self.probabilities_init is not None:
            weights = np.asarray(self.weights_init, dtype=np.float64)
            theta = np.asarray(self.probabilities_init, dtype=np.float64)
        else:
            rng = numpy_generator(self.random_state)
            rows = rng.choice(X.shape[0], size=k, replace=False)
            resp = np.zeros((X.shape[0], k))
            resp[rows, np.arange(k)] = 1.0
            weights, theta = m_step(X, resp, alpha, w)
        weights, theta, bounds, converged = fit_em(
            X,
            weights,
            theta,
            alpha=alpha,
            max_iter=self.max_iter,
            tol=self.tol,
            sample_weight=w,
        )
        self.weights_, self.probabilities_ = weights, theta
        self.lower_bounds_ = bounds
        self.lower_bound_ = bounds[-1] if bounds else -np.inf
        self.n_iter_ = len(bounds)
        self.converged_ = converged
        if not converged and self.max_iter > 0:
            warnings.warn("EM did not converge", ConvergenceWarning, stacklevel=2)
        return self

    def score_samples(self, X):
        return e_step(check_binary_array(X), self.weights_, self.probabilities_)[1]

    def predict_proba(self, X):
        return e_step(check_binary_array(X), self.weights_, self.probabilities_)[0]
