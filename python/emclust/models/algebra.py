"""Mixture algebra: moments of a Gaussian mixture and the mixture of a sum.

Seed 001, "Theoretical operations on GMMs". For p(x) = Σ_k π_k N(x | μ_k, Σ_k):

* by iterated expectation, E[x] = Σ_k π_k μ_k and
  Cov[x] = Σ_k π_k (Σ_k + μ_k μ_kᵀ) - E[x] E[x]ᵀ
  (within-component spread plus the spread of the means);
* if x ~ GMM_a and y ~ GMM_b are independent, z = x + y is a mixture of
  K_a K_b Gaussians: component (k, l) has weight π_ak π_bl, mean μ_ak + μ_bl
  and covariance Σ_ak + Σ_bl (a sum of independent Gaussians is Gaussian).

Pure NumPy: the work is K_a K_b d² numbers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["full_covariances", "mixture_moments", "sum_of_mixtures"]


def full_covariances(covariances, covariance_type, n_components, n_features):
    """Any covariance storage (scikit-learn's shapes) as (K, d, d) matrices."""
    c = np.asarray(covariances, dtype=np.float64)
    k, d = n_components, n_features
    expected = {
        "full": (k, d, d),
        "tied": (d, d),
        "diag": (k, d),
        "spherical": (k,),
    }
    if covariance_type not in expected:
        raise ValueError(
            f"covariance_type must be one of {sorted(expected)}, got {covariance_type!r}"
        )
    if c.shape != expected[covariance_type]:
        raise ValueError(
            f"covariances must have shape {expected[covariance_type]} for "
            f"covariance_type={covariance_type!r}, got {c.shape}"
        )
    if covariance_type == "full":
        return c.copy()
    if covariance_type == "tied":
        return np.broadcast_to(c, (k, d, d)).copy()
    if covariance_type == "diag":
        return c[:, :, None] * np.eye(d)
    return c[:, None, None] * np.eye(d)


def _check_mixture(weights, means, covariances, covariance_type="full", name="mixture"):
    w = np.asarray(weights, dtype=np.float64)
    m = np.asarray(means, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(f"{name}: weights must be 1-D (n_components,), got {w.ndim}-D")
    if m.ndim != 2 or m.shape[0] != w.shape[0]:
        raise ValueError(
            f"{name}: means must have shape (n_components={w.shape[0]}, n_features), "
            f"got {m.shape}"
        )
    if not (np.isfinite(w).all() and (w >= 0).all()):
        raise ValueError(f"{name}: weights must be finite and non-negative")
    if not np.isclose(w.sum(), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"{name}: weights must sum to 1, got sum {w.sum():.8f}")
    if not np.isfinite(m).all():
        raise ValueError(f"{name}: means contain NaN or infinity")
    c = full_covariances(covariances, covariance_type, m.shape[0], m.shape[1])
    if not np.isfinite(c).all():
        raise ValueError(f"{name}: covariances contain NaN or infinity")
    if not np.allclose(c, np.swapaxes(c, 1, 2), rtol=1e-10, atol=0):
        raise ValueError(f"{name}: covariances must be symmetric")
    # A covariance is positive semi-definite (a zero variance is a point
    # mass, still a distribution); a negative eigenvalue beyond rounding
    # would give the mixture a negative variance.
    for k, ck in enumerate(c):
        eig = np.linalg.eigvalsh(ck)
        if eig[0] < -1e-12 * max(np.abs(eig).max(), np.finfo(float).tiny):
            raise ValueError(
                f"{name}: covariances[{k}] is not positive semi-definite (smallest "
                f"eigenvalue {eig[0]:.6g})"
            )
    return w, m, c


def mixture_moments(weights, means, covariances, covariance_type="full"):
    """Mean and covariance of a Gaussian mixture.

    E[x] = Σ_k π_k μ_k,  Cov[x] = Σ_k π_k (Σ_k + μ_k μ_kᵀ) - E[x] E[x]ᵀ.

    The covariance is computed in the equivalent centred form
    Σ_k π_k (Σ_k + (μ_k - E[x])(μ_k - E[x])ᵀ), which does not cancel when the
    means are far from the origin.

    Parameters
    ----------
    weights : array-like of shape (n_components,)
        Mixing weights, summing to 1.
    means : array-like of shape (n_components, n_features)
        Component means.
    covariances : array-like
        (n_components, n_features, n_features) for "full"; scikit-learn's
        shapes for "tied", "diag" and "spherical".
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"

    Returns
    -------
    mean : ndarray of shape (n_features,)
        E[x] = Σ_k π_k μ_k.
    covariance : ndarray of shape (n_features, n_features)
        Cov[x], within-component spread plus the spread of the means.
    """
    w, m, c = _check_mixture(weights, means, covariances, covariance_type)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = w @ m
        centred = m - mean
        covariance = np.einsum("k,kij->ij", w, c) + (centred.T * w) @ centred
        covariance = (covariance + covariance.T) / 2.0
    _check_finite_result(mean, covariance)
    return mean, covariance


def _check_finite_result(*arrays):
    if not all(np.isfinite(a).all() for a in arrays):
        raise ValueError(
            "the result overflows floating point: the means or covariances are "
            "too large (rescale them)"
        )


def sum_of_mixtures(a, b):
    """The mixture of x + y for independent Gaussian mixtures x and y.

    Parameters
    ----------
    a, b : tuple (weights, means, covariances)
        The two mixtures: weights (K, ), means (K, d), full covariances (K, d, d); K may differ
        between a and b, d may not.

    Returns
    -------
    weights : ndarray of shape (K_a * K_b,)
        The products π_ak π_bl, for component k * K_b + l.
    means : ndarray of shape (K_a * K_b, n_features)
        The sums μ_ak + μ_bl.
    covariances : ndarray of shape (K_a * K_b, n_features, n_features)
        The sums Σ_ak + Σ_bl.
    """
    wa, ma, ca = _check_mixture(*_unpack(a, "a"), name="a")
    wb, mb, cb = _check_mixture(*_unpack(b, "b"), name="b")
    if ma.shape[1] != mb.shape[1]:
        raise ValueError(
            f"a has {ma.shape[1]} features but b has {mb.shape[1]}; a sum needs "
            "the same dimension"
        )
    d = ma.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):
        weights = (wa[:, None] * wb[None, :]).reshape(-1)
        means = (ma[:, None, :] + mb[None, :, :]).reshape(-1, d)
        covariances = (ca[:, None] + cb[None, :]).reshape(-1, d, d)
    _check_finite_result(means, covariances)
    return weights, means, covariances


def _unpack(mixture, name):
    try:
        weights, means, covariances = mixture
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a tuple (weights, means, covariances)"
        ) from None
    return weights, means, covariances
