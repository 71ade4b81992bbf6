"""Pure-NumPy masked EM, the noise component and the EDDA classifier: the
oracle of emclust/masked_em.hpp and of GaussianMixtureClassifier.

Masked EM: a labelled row (``row_class[i] >= 0``) has zero responsibility
outside the components of its class (``component_class``) and for the
noise; an unlabelled row (-1) spreads over every component. The noise is a
component of constant density 1/V (Banfield and Raftery, 1993). The
objective EM increases is

    Σ_labelled log Σ_{k in class} π_k N_k(x) + Σ_free log(Σ_k π_k N_k(x) + π_0/V),

and the M-step is the ordinary one of the Gaussian responsibilities, with
π_k = N_k / (Σ_j N_j + N_0) and π_0 = N_0 / (Σ_j N_j + N_0).
"""

from __future__ import annotations

import math

import numpy as np

from . import covariance_models
from .gmm import _logsumexp_rows, log_gaussian_prob, m_step, precision_cholesky

_SKLEARN = ("full", "tied", "diag", "spherical")


def _layout(covariance_type):
    return covariance_type if covariance_type in _SKLEARN else "full"


def masked_log_joint(
    X,
    weights,
    means,
    covariances,
    covariance_type="full",
    *,
    noise_weight=0.0,
    log_noise_density=None,
    row_class=None,
    component_class=None,
):
    """log π_k N_k(x_i) (n, K), with -inf where the mask forbids, and the
    noise column log π_0 - log V appended when ``log_noise_density`` is given."""
    X = np.asarray(X, dtype=np.float64)
    layout = _layout(covariance_type)
    chol = precision_cholesky(np.asarray(covariances, dtype=np.float64), layout)
    with np.errstate(divide="ignore"):
        logp = log_gaussian_prob(X, means, chol, layout) + np.log(weights)
    columns = [logp]
    free = np.ones(X.shape[0], dtype=bool)
    if row_class is not None:
        row_class = np.asarray(row_class)
        component_class = np.asarray(component_class)
        free = row_class < 0
        forbid = (~free)[:, None] & (row_class[:, None] != component_class[None, :])
        logp[forbid] = -np.inf
    if log_noise_density is not None:
        with np.errstate(divide="ignore"):
            noise = np.full(X.shape[0], math.log(noise_weight) + log_noise_density)
        noise[~free] = -np.inf
        columns.append(noise[:, None])
    return np.hstack(columns)


def masked_m_step(
    X, resp, covariance_type, reg_covar=0.0, sample_weight=None, previous=None
):
    """Parameters from the Gaussian responsibilities (n, K) and the noise
    weight from what is left of each row: (weights, means, covariances,
    noise_weight), the covariances in scikit-learn's shape (mclust's models:
    (K, d, d)). ``previous``: the covariances of the EM iteration before, from
    which EVE and VVE start their orientation (as the core does)."""
    X = np.asarray(X, dtype=np.float64)
    w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight)
    n0 = float(w @ (1.0 - resp.sum(axis=1)))
    eps = 10 * np.finfo(X.dtype).eps
    if covariance_type in _SKLEARN:
        _, means, covs = m_step(X, resp, covariance_type, reg_covar, w)
        nk = (resp * w[:, None]).sum(axis=0) + eps
    else:
        r = resp * w[:, None]
        nk = r.sum(axis=0) + eps
        means = r.T @ X / nk[:, None]
        scatter = np.stack(
            [
                (r[:, k, None] * (X - means[k])).T @ (X - means[k])
                for k in range(len(nk))
            ]
        )
        start = None
        if previous is not None and covariance_type in ("EVE", "VVE"):
            start = covariance_models.common_basis(previous)
        covs = covariance_models.covariances(covariance_type, nk, scatter, start)
        covs = covs + reg_covar * np.eye(X.shape[1])
    total = nk.sum()
    return nk / (total + n0), means, covs, n0 / (total + n0)


def masked_em(
    X,
    start,
    covariance_type="full",
    *,
    noise_weight=0.0,
    log_noise_density=None,
    row_class=None,
    component_class=None,
    reg_covar=0.0,
    tol=1e-3,
    max_iter=100,
    sample_weight=None,
):
    """EM from ``start`` = (weights, means, covariances) with the mask and the
    noise; returns (weights, means, covariances, noise_weight, lower_bounds):
    the mean log-likelihood under the parameters of each iteration's E-step,
    as the core reports them (the noise is present when log_noise_density
    is given)."""
    X = np.asarray(X, dtype=np.float64)
    w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight)
    weights, means, covs = (np.asarray(a, dtype=np.float64) for a in start)
    k = weights.shape[0]
    bounds = []
    for _ in range(max_iter):
        joint = masked_log_joint(
            X,
            weights,
            means,
            covs,
            covariance_type,
            noise_weight=noise_weight,
            log_noise_density=log_noise_density,
            row_class=row_class,
            component_class=component_class,
        )
        lse = _logsumexp_rows(joint)
        with np.errstate(under="ignore"):
            resp = np.exp(joint - lse[:, None])[:, :k]
        bounds.append(float(w @ lse / w.sum()))
        weights, means, covs, noise_weight = masked_m_step(
            X, resp, covariance_type, reg_covar, w, covs
        )
        if log_noise_density is None:
            noise_weight = 0.0
        if len(bounds) > 1 and abs(bounds[-1] - bounds[-2]) < tol:
            break
    return weights, means, covs, noise_weight, bounds


def hypervolume(X):
    """log V, mclust's hypvol: the smaller of the bounding box and the box in
    the principal axes (princomp's scores)."""
    X = np.asarray(X, dtype=np.float64)
    box = np.sum(np.log(X.max(axis=0) - X.min(axis=0)))
    if X.shape[1] == 1:
        return float(box)
    centred = X - X.mean(axis=0)
    _, vectors = np.linalg.eigh(np.cov(centred, rowvar=False, bias=True))
    scores = centred @ vectors
    return float(min(box, np.sum(np.log(scores.max(axis=0) - scores.min(axis=0)))))


def edda_fit(X, y, covariance_type="full"):
    """EDDA with one Gaussian per class: one M-step of the model from the
    one-hot class responsibilities. Returns (classes, priors, means,
    covariances (C, d, d))."""
    X = np.asarray(X, dtype=np.float64)
    classes, index = np.unique(y, return_inverse=True)
    resp = np.eye(len(classes))[index]
    weights, means, covs, _ = masked_m_step(X, resp, covariance_type)
    layout = _layout(covariance_type)
    d = X.shape[1]
    if layout == "tied":
        covs = np.broadcast_to(covs, (len(classes), d, d))
    elif layout == "diag":
        covs = np.stack([np.diag(c) for c in covs])
    elif layout == "spherical":
        covs = np.stack([c * np.eye(d) for c in covs])
    return classes, weights / weights.sum(), means, np.asarray(covs)


def gaussian_classifier_proba(X, priors, means, covariances):
    """Posterior class probabilities of a Gaussian class-conditional model
    with full covariances (C, d, d): the closed-form Bayes classifier."""
    X = np.asarray(X, dtype=np.float64)
    logp = log_gaussian_prob(X, means, precision_cholesky(covariances, "full"), "full")
    logp = logp + np.log(priors)
    return np.exp(logp - _logsumexp_rows(logp)[:, None])
