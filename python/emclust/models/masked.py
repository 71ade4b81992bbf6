"""Masked EM and the noise component: the model layer of the semi-supervised
fit and of Banfield and Raftery's (1993) uniform noise.

The EM loop is the core's (``_core.masked_em_fit``, emclust/masked_em.hpp):
labelled rows keep zero responsibility outside their class's components, and
a noise component of constant density 1/V joins the mixture. Inference with
noise is the Gaussian E-step plus one column, done here on its output.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _core
from .._validation import check_n_threads
from .gaussian import covariance_shape, from_core, to_core


def fit_masked(
    X,
    sample_weight,
    covariance_type,
    start,
    *,
    noise_weight=0.0,
    log_noise_density=None,
    row_class=None,
    component_class=None,
    tol=1e-3,
    reg_covar=0.0,
    max_iter=100,
    n_threads=None,
    progress=None,
    relative_tol=False,
):
    """EM from ``start`` = (weights, means, covariances, precisions_cholesky)
    in the core's flat layout; a dict as the core's fit returns, plus
    ``noise_weight``. ``log_noise_density`` = -log V turns the noise on.
    ``relative_tol``: mclust's stopping rule (drivers.memory's)."""
    weights, means, covariances, chol = (
        np.ascontiguousarray(a, dtype=np.float64) for a in start
    )
    d = means.shape[1]
    noise = log_noise_density is not None
    return _core.masked_em_fit(
        X,
        sample_weight,
        covariance_type,
        weights,
        means,
        to_core(covariances, covariance_type, d),
        to_core(chol, covariance_type, d),
        float(noise_weight),
        noise,
        float(log_noise_density) if noise else 0.0,
        None if row_class is None else np.ascontiguousarray(row_class, np.int64),
        None
        if component_class is None
        else np.ascontiguousarray(component_class, np.int64),
        float(tol),
        float(reg_covar),
        int(max_iter),
        check_n_threads(None) if n_threads is None else int(n_threads),
        progress,
        relative_tol=bool(relative_tol),
    )


def shaped(result, covariance_type, n_components, n_features):
    """The covariances and factors of a core result in scikit-learn's shapes."""
    return (
        from_core(result["covariances"], covariance_type, n_components, n_features),
        from_core(
            result["precisions_cholesky"], covariance_type, n_components, n_features
        ),
    )


def add_noise_column(log_resp, log_prob, noise_weight, log_noise_density):
    """The Gaussian E-step's (log_resp, log_prob), whose weights sum to
    1 - noise_weight, with the noise joined: log-responsibilities (n, K + 1),
    the noise last, and log p(x) = log(Σ_k π_k N_k(x) + π_0 / V)."""
    log_prob = np.asarray(log_prob, dtype=np.float64)
    log_noise = (
        math.log(noise_weight) + log_noise_density if noise_weight > 0 else -np.inf
    )
    total = np.logaddexp(log_prob, log_noise)
    out = np.empty((log_prob.shape[0], log_resp.shape[1] + 1), dtype=np.float64)
    out[:, :-1] = np.asarray(log_resp, dtype=np.float64) + (log_prob - total)[:, None]
    out[:, -1] = log_noise - total
    return out, total


# --- the region's volume and the starting noise -----------------------------------


def hypervolume(X):
    """mclust's ``hypvol``: the smaller of the volume of the bounding box and
    of the box in principal axes (the data projected on the eigenvectors of
    its covariance), as a log to avoid overflow in many dimensions."""
    X = np.asarray(X, dtype=np.float64)
    with np.errstate(divide="ignore"):
        box = float(np.sum(np.log(np.ptp(X, axis=0))))
        if X.shape[1] == 1:
            return box
        centred = X - X.mean(axis=0)
        _, vectors = np.linalg.eigh(centred.T @ centred)
        axes = float(np.sum(np.log(np.ptp(centred @ vectors, axis=0))))
    return min(box, axes)


def nearest_neighbour_noise(X, n_neighbors=5, *, max_iter=1000, tol=1e-10):
    """Byers and Raftery's (1998) nearest-neighbour clutter rule: a boolean
    mask of the rows classed as noise.

    For a Poisson process of intensity λ in d dimensions, the volume of the
    ball out to the k-th nearest neighbour, ∝ D_k^d, is Gamma(k, λ). The
    distances are modelled as a mixture of two such processes, a dense one
    (features) and a sparse one (clutter), fitted by EM; a row is noise when
    the sparse one is the more probable. The start splits at the median."""
    from sklearn.neighbors import NearestNeighbors

    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    k = int(min(n_neighbors, n - 1))
    if k < 1:
        raise ValueError("the nearest-neighbour noise rule needs at least 2 rows")
    dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
    log_y = d * np.log(np.maximum(dist[:, k], np.finfo(float).tiny))
    y = np.exp(log_y - np.median(log_y))  # the scale cancels in the rule
    clutter = (y > np.median(y)).astype(float)
    lgk = math.lgamma(k)
    previous = -np.inf
    for _ in range(max_iter):
        p = np.clip(clutter.mean(), 1e-12, 1 - 1e-12)
        lam = np.empty(2)
        for j, r in enumerate((1.0 - clutter, clutter)):
            lam[j] = k * max(r.sum(), 1e-12) / max(float(r @ y), 1e-300)
        with np.errstate(divide="ignore"):
            log_dens = (
                k * np.log(lam)[None, :]
                + (k - 1) * np.log(y)[:, None]
                - lam[None, :] * y[:, None]
                - lgk
            )
        log_dens[:, 0] += np.log1p(-p)
        log_dens[:, 1] += np.log(p)
        total = np.logaddexp(log_dens[:, 0], log_dens[:, 1])
        clutter = np.exp(log_dens[:, 1] - total)
        ll = float(total.sum())
        if abs(ll - previous) <= tol * abs(ll):
            break
        previous = ll
    # The sparse process is the one of smaller intensity.
    if lam[1] > lam[0]:
        clutter = 1.0 - clutter
    return clutter > 0.5


__all__ = [
    "add_noise_column",
    "covariance_shape",
    "fit_masked",
    "hypervolume",
    "nearest_neighbour_noise",
    "shaped",
]
