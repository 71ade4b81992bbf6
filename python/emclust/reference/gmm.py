"""Pure-NumPy Gaussian mixture fitted by EM: the readable reference.

This module is the oracle the tests compare the native core against and the
"pure-Python EM" of the benchmarks. It is single-threaded, vectorised over
samples, and written for clarity; it imports nothing but NumPy (and emclust's
own NumPy-only validation helpers), never the native module.

Conventions (the same as scikit-learn's ``GaussianMixture``):

* Covariance shapes by ``covariance_type``: ``"full"`` (n_components,
  n_features, n_features), ``"tied"`` (n_features, n_features), ``"diag"``
  (n_components, n_features), ``"spherical"`` (n_components,).
* Densities are handled through the Cholesky factor of the *precision*
  matrix: if Σ = L Lᵀ (L lower triangular) then Σ⁻¹ = U Uᵀ with U = L⁻ᵀ upper
  triangular, the Mahalanobis distance is ‖(x - μ) U‖² and
  -½ log|Σ| = Σ_j log U_jj. "diag"/"spherical" store 1/σ.
* Everything stays in log space; responsibilities come from a log-sum-exp,
  never from raw densities (which underflow a few dozen σ from a mean).
* ``sample_weight`` w_i: an integer weight counts the row w_i times, a zero
  weight removes it. N_k = Σ_i w_i γ_ik, the mixture weight is N_k / Σ_k N_k
  and the lower bound is Σ_i w_i log p(x_i) / Σ_i w_i.
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np

from .._validation import (
    check_choice,
    check_data,
    check_float,
    check_int,
    check_sample_weight,
    numpy_generator,
)
from ..exceptions import ConvergenceWarning, NotFittedError
from ._kmeans_init import kmeans_labels, kmeans_plusplus

__all__ = [
    "COVARIANCE_TYPES",
    "GaussianMixture",
    "covariances_from_precisions_cholesky",
    "e_step",
    "log_gaussian_prob",
    "m_step",
    "n_parameters",
    "precision_cholesky",
    "precision_cholesky_from_precisions",
]

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")

_LOG_2PI = math.log(2.0 * math.pi)

_NOT_POSITIVE_DEFINITE = (
    "a component's covariance is not positive definite (typically a component "
    "that collapsed onto a single point or onto a lower-dimensional subspace, "
    "e.g. a singleton cluster). Increase reg_covar, use fewer components, or "
    "rescale the data."
)


def _check_covariance_type(covariance_type):
    return check_choice(covariance_type, "covariance_type", COVARIANCE_TYPES)


def _float_dtype(*arrays):
    """The floating dtype NumPy promotion gives these arrays (at least float32)."""
    return np.result_type(np.float32, *arrays)


# ---------------------------------------------------------------------------
# Precision Cholesky factors


def _invert_lower_triangular(lower):
    """Inverse of lower-triangular matrices of shape (..., d, d).

    Forward substitution on L Z = I, row by row: Z_i = (e_i - Σ_{j<i} L_ij Z_j)
    / L_ii. Unlike a general solve, the result is exactly lower triangular.
    """
    n = lower.shape[-1]
    inverse = np.zeros_like(lower)
    for i in range(n):
        row = -np.einsum("...j,...jc->...c", lower[..., i, :i], inverse[..., :i, :])
        row[..., i] += 1.0
        inverse[..., i, :] = row / lower[..., i, i, np.newaxis]
    return inverse


def precision_cholesky(covariances, covariance_type="full"):
    """Cholesky factor of the precision matrices, from the covariances.

    Parameters
    ----------
    covariances : ndarray
        Shape (n_components, n_features, n_features) for "full",
        (n_features, n_features) for "tied", (n_components, n_features) for
        "diag", (n_components,) for "spherical".
    covariance_type : {"full", "tied", "diag", "spherical"}

    Returns
    -------
    precisions_cholesky : ndarray of the same shape as ``covariances``
        "full"/"tied": the upper-triangular U with Σ⁻¹ = U Uᵀ;
        "diag"/"spherical": 1 / sqrt(covariances).

    Raises
    ------
    ValueError
        If a covariance is not positive definite (the message says to
        increase reg_covar).
    """
    _check_covariance_type(covariance_type)
    cov = np.asarray(covariances)
    cov = cov.astype(_float_dtype(cov), copy=False)
    if not np.isfinite(cov).all():
        raise ValueError(_NOT_POSITIVE_DEFINITE)
    if covariance_type in ("full", "tied"):
        try:
            lower = np.linalg.cholesky(cov)  # Σ = L Lᵀ, batched over components
        except np.linalg.LinAlgError:
            raise ValueError(_NOT_POSITIVE_DEFINITE) from None
        return np.swapaxes(_invert_lower_triangular(lower), -1, -2)  # U = L⁻ᵀ
    if not (cov > 0).all():
        raise ValueError(_NOT_POSITIVE_DEFINITE)
    return 1.0 / np.sqrt(cov)


def precision_cholesky_from_precisions(precisions, covariance_type="full"):
    """Cholesky factor U (upper triangular, U Uᵀ = P) of given precisions.

    NumPy's Cholesky gives P = L Lᵀ with L lower triangular; to get an upper
    factor we reverse rows and columns with the exchange matrix J:
    J P J = M Mᵀ gives P = (J M J)(J M J)ᵀ, and J M J is upper triangular.

    Parameters
    ----------
    precisions : ndarray
        Same shapes as covariances (see :func:`precision_cholesky`).
    covariance_type : {"full", "tied", "diag", "spherical"}

    Returns
    -------
    precisions_cholesky : ndarray of the same shape as ``precisions``
    """
    _check_covariance_type(covariance_type)
    prec = np.asarray(precisions)
    prec = prec.astype(_float_dtype(prec), copy=False)
    if covariance_type in ("full", "tied"):
        try:
            flipped_factor = np.linalg.cholesky(prec[..., ::-1, ::-1])
        except np.linalg.LinAlgError:
            raise ValueError(
                f"{covariance_type} precision must be symmetric positive definite"
            ) from None
        return np.ascontiguousarray(flipped_factor[..., ::-1, ::-1])
    if not (prec > 0).all():
        raise ValueError(f"{covariance_type} precision must be positive")
    return np.sqrt(prec)


def _precisions(precisions_cholesky, covariance_type):
    """P = U Uᵀ for full/tied, U² for diag/spherical."""
    if covariance_type in ("full", "tied"):
        return precisions_cholesky @ np.swapaxes(precisions_cholesky, -1, -2)
    return precisions_cholesky**2


def covariances_from_precisions_cholesky(precisions_cholesky, covariance_type="full"):
    """Covariances Σ = (U Uᵀ)⁻¹ = U⁻ᵀ U⁻¹ from precision Cholesky factors.

    Parameters and return shapes as for :func:`precision_cholesky`.
    """
    _check_covariance_type(covariance_type)
    factor = np.asarray(precisions_cholesky)
    if covariance_type in ("full", "tied"):
        # U⁻ᵀ = (Uᵀ)⁻¹ is lower triangular; Σ = U⁻ᵀ (U⁻ᵀ)ᵀ.
        inverse_transpose = _invert_lower_triangular(np.swapaxes(factor, -1, -2))
        return inverse_transpose @ np.swapaxes(inverse_transpose, -1, -2)
    return 1.0 / factor**2


def _log_det_precision_cholesky(precisions_cholesky, covariance_type, n_features):
    """Σ_j log U_jj = -½ log|Σ| per component: shape (n_components,) or scalar."""
    if covariance_type == "full":
        return np.log(np.diagonal(precisions_cholesky, axis1=1, axis2=2)).sum(axis=1)
    if covariance_type == "tied":
        return np.log(np.diagonal(precisions_cholesky)).sum()
    if covariance_type == "diag":
        return np.log(precisions_cholesky).sum(axis=1)
    return n_features * np.log(precisions_cholesky)


# ---------------------------------------------------------------------------
# E-step


def log_gaussian_prob(X, means, precisions_cholesky, covariance_type="full"):
    """log N(x_i | μ_k, Σ_k) for every sample and component.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    means : ndarray of shape (n_components, n_features)
    precisions_cholesky : ndarray
        As returned by :func:`precision_cholesky`.
    covariance_type : {"full", "tied", "diag", "spherical"}

    Returns
    -------
    log_prob : ndarray of shape (n_samples, n_components)
    """
    _check_covariance_type(covariance_type)
    X = np.asarray(X)
    means = np.asarray(means)
    factor = np.asarray(precisions_cholesky)
    n_samples, n_features = X.shape
    n_components = means.shape[0]
    log_det = np.broadcast_to(
        _log_det_precision_cholesky(factor, covariance_type, n_features),
        (n_components,),
    )
    log_prob = np.empty((n_samples, n_components), dtype=_float_dtype(X, means, factor))
    for k in range(n_components):
        # Differences first, then the whitening: no ‖x‖² - 2x·μ + ‖μ‖²
        # expansion, so data far from the origin loses no digits.
        diff = X - means[k]
        if covariance_type == "full":
            y = diff @ factor[k]
        elif covariance_type == "tied":
            y = diff @ factor
        else:  # diag: factor[k] is (n_features,); spherical: a scalar
            y = diff * factor[k]
        mahalanobis = np.einsum("ij,ij->i", y, y)
        log_prob[:, k] = -0.5 * (n_features * _LOG_2PI + mahalanobis) + log_det[k]
    return log_prob


def _logsumexp_rows(a):
    """log Σ_k exp(a_ik) for each row, shifted by the row maximum."""
    top = a.max(axis=1)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(under="ignore"):
        return top + np.log(np.exp(a - top[:, np.newaxis]).sum(axis=1))


def _estimate_resp(X, weights, means, precisions_cholesky, covariance_type):
    """Responsibilities (n_samples, n_components) and log p(x_i) (n_samples,)."""
    with np.errstate(divide="ignore"):  # an empty component has log weight -inf
        log_weights = np.log(weights)
    weighted = log_gaussian_prob(X, means, precisions_cholesky, covariance_type)
    weighted += log_weights
    log_prob = _logsumexp_rows(weighted)
    with np.errstate(under="ignore"):
        resp = np.exp(weighted - log_prob[:, np.newaxis])
    return resp, log_prob


def e_step(X, weights, means, covariances, covariance_type="full"):
    """One E-step: responsibilities and per-sample log-likelihood.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    weights : ndarray of shape (n_components,)
        Mixture weights π_k.
    means : ndarray of shape (n_components, n_features)
    covariances : ndarray
        Shape by ``covariance_type`` (see the module docstring).
    covariance_type : {"full", "tied", "diag", "spherical"}

    Returns
    -------
    resp : ndarray of shape (n_samples, n_components)
        γ_ik = π_k N(x_i|μ_k,Σ_k) / Σ_j π_j N(x_i|μ_j,Σ_j); rows sum to 1.
    log_prob : ndarray of shape (n_samples,)
        log p(x_i) = log Σ_k π_k N(x_i | μ_k, Σ_k).

    Raises
    ------
    ValueError
        If a covariance is not positive definite (increase reg_covar).
    """
    X = np.asarray(X)
    weights = np.asarray(weights)
    means = np.asarray(means)
    _check_shapes(X, weights, means, covariances, covariance_type)
    factor = precision_cholesky(covariances, covariance_type)
    return _estimate_resp(X, weights, means, factor, covariance_type)


def _check_shapes(X, weights, means, covariances, covariance_type):
    _check_covariance_type(covariance_type)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array, got {X.ndim}-D")
    n_components, n_features = weights.shape[0], X.shape[1]
    expected = {
        "full": (n_components, n_features, n_features),
        "tied": (n_features, n_features),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
    }[covariance_type]
    if weights.ndim != 1:
        raise ValueError(f"weights must be 1-D, got shape {weights.shape}")
    if means.shape != (n_components, n_features):
        raise ValueError(
            f"means must have shape {(n_components, n_features)}, got {means.shape}"
        )
    if np.shape(covariances) != expected:
        raise ValueError(
            f"covariances must have shape {expected} for covariance_type="
            f"{covariance_type!r}, got {np.shape(covariances)}"
        )


# ---------------------------------------------------------------------------
# M-step


def _covariances_full(X, resp, nk, means, reg_covar):
    n_components, n_features = means.shape
    covariances = np.empty((n_components, n_features, n_features), dtype=means.dtype)
    for k in range(n_components):
        diff = X - means[k]  # second pass: scatter about the new mean
        scatter = (resp[:, k, np.newaxis] * diff).T @ diff / nk[k]
        covariances[k] = 0.5 * (scatter + scatter.T)  # exactly symmetric
        covariances[k].flat[:: n_features + 1] += reg_covar
    return covariances


def _covariances_tied(X, resp, nk, means, reg_covar):
    n_features = means.shape[1]
    scatter = np.zeros((n_features, n_features), dtype=means.dtype)
    for k in range(means.shape[0]):
        diff = X - means[k]
        scatter += (resp[:, k, np.newaxis] * diff).T @ diff
    covariance = 0.5 * (scatter + scatter.T) / nk.sum()
    covariance.flat[:: n_features + 1] += reg_covar
    return covariance


def _covariances_diag(X, resp, nk, means, reg_covar):
    covariances = np.empty_like(means)
    for k in range(means.shape[0]):
        diff = X - means[k]
        covariances[k] = resp[:, k] @ (diff * diff) / nk[k]
    return covariances + reg_covar


def _covariances_spherical(X, resp, nk, means, reg_covar):
    return _covariances_diag(X, resp, nk, means, reg_covar).mean(axis=1)


_COVARIANCE_ESTIMATORS = {
    "full": _covariances_full,
    "tied": _covariances_tied,
    "diag": _covariances_diag,
    "spherical": _covariances_spherical,
}


def m_step(X, resp, covariance_type="full", reg_covar=0.0, sample_weight=None):
    """One M-step: mixture parameters from (weighted) responsibilities.

    With r_ik = w_i γ_ik (w_i = 1 without sample weights),
    N_k = Σ_i r_ik + 10·eps, π_k = N_k / Σ_j N_j, μ_k = Σ_i r_ik x_i / N_k and
    Σ_k = Σ_i r_ik (x_i - μ_k)(x_i - μ_k)ᵀ / N_k + reg_covar·I, computed in
    two passes (means first, then the scatter about them) so that a large
    common offset in X does not cancel. "tied" pools the scatter of all
    components and divides by Σ_k N_k; "diag" keeps the diagonal;
    "spherical" averages the diagonal over features.

    Empty components: 10·eps (machine epsilon of the data's dtype, as in
    scikit-learn) is added to every N_k so nothing divides by zero. A
    component with no responsibility at all (N_k = 0) then gets weight
    ≈ 10·eps/N, mean 0 (Σ_i r_ik x_i / (10·eps) = 0) and covariance
    reg_covar·I, which is singular when reg_covar = 0.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    resp : ndarray of shape (n_samples, n_components)
        Responsibilities γ_ik.
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float, default=0.0
        Added to the diagonal of every covariance.
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights; an integer weight counts a row that many times.

    Returns
    -------
    weights : ndarray of shape (n_components,)
        Sums to 1.
    means : ndarray of shape (n_components, n_features)
    covariances : ndarray
        Shape by ``covariance_type`` (see the module docstring).
    """
    _check_covariance_type(covariance_type)
    X = np.asarray(X)
    resp = np.asarray(resp)
    if X.ndim != 2 or resp.ndim != 2 or resp.shape[0] != X.shape[0]:
        raise ValueError(
            "X and resp must be 2-D with the same number of rows, got shapes "
            f"{X.shape} and {resp.shape}"
        )
    reg_covar = check_float(reg_covar, "reg_covar", minimum=0.0)
    weight = check_sample_weight(sample_weight, X.shape[0])
    dtype = _float_dtype(X, resp)
    X = X.astype(dtype, copy=False)
    resp = resp.astype(dtype, copy=False)
    if weight is not None:
        resp = resp * weight.astype(dtype)[:, np.newaxis]
    nk = resp.sum(axis=0) + 10 * np.finfo(dtype).eps
    means = resp.T @ X / nk[:, np.newaxis]
    covariances = _COVARIANCE_ESTIMATORS[covariance_type](X, resp, nk, means, reg_covar)
    return nk / nk.sum(), means, covariances


def n_parameters(covariance_type, n_components, n_features):
    """Number of free parameters of a Gaussian mixture (for BIC and AIC)."""
    _check_covariance_type(covariance_type)
    cov_params = {
        "full": n_components * n_features * (n_features + 1) // 2,
        "tied": n_features * (n_features + 1) // 2,
        "diag": n_components * n_features,
        "spherical": n_components,
    }[covariance_type]
    return cov_params + n_components * n_features + n_components - 1


def _weighted_mean(values, sample_weight):
    if sample_weight is None:
        return float(np.mean(values))
    return float(sample_weight @ values / sample_weight.sum())


# ---------------------------------------------------------------------------
# Estimator


class GaussianMixture:
    """Gaussian mixture fitted by EM, in plain NumPy.

    The constructor, fitted attributes and methods are those of
    scikit-learn's ``sklearn.mixture.GaussianMixture``, plus ``sample_weight``
    in ``fit``, ``fit_predict``, ``score``, ``bic`` and ``aic``. The fit loop is
    the same: each iteration runs an E-step (whose weighted mean log-likelihood
    is that iteration's lower bound) and an M-step; a run stops when the bound
    changes by less than ``tol``; of ``n_init`` runs the one with the largest
    final bound is kept; a final E-step gives ``fit_predict``'s labels.

    Parameters
    ----------
    n_components : int, default=1
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
    tol : float, default=1e-3
        Convergence threshold on the change of the lower bound.
    reg_covar : float, default=1e-6
        Non-negative regularisation added to the diagonal of covariances.
    max_iter : int, default=100
        EM iterations per initialisation (0 keeps the initial parameters).
    n_init : int, default=1
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, \
default="kmeans"
        How initial responsibilities are drawn when not all of
        ``weights_init``, ``means_init`` and ``precisions_init`` are given.
        "kmeans" runs a small NumPy k-means (k-means++ seeding + Lloyd); it
        does not reproduce scikit-learn's or the native initialisation.
    weights_init : array-like of shape (n_components,), default=None
    means_init : array-like of shape (n_components, n_features), default=None
    precisions_init : array-like, default=None
        Shape by ``covariance_type`` as for covariances.
    random_state : None, int, numpy RandomState or Generator, default=None
    warm_start : bool, default=False
        Start each ``fit`` from the previous solution (then ``n_init`` = 1).
    verbose : int, default=0
    verbose_interval : int, default=10

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariances_ : ndarray, shape by ``covariance_type``
    precisions_ : ndarray, shape by ``covariance_type``
    precisions_cholesky_ : ndarray, shape by ``covariance_type``
    converged_ : bool
    n_iter_ : int
    lower_bound_ : float
        Weighted mean log-likelihood of the training data at the last E-step
        of the best run.
    lower_bounds_ : list of float
        The lower bound of every iteration of the best run.
    n_features_in_ : int
    """

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval

    # -- scikit-learn estimator protocol -------------------------------------

    @classmethod
    def _param_names(cls):
        signature = inspect.signature(cls.__init__)
        return sorted(name for name in signature.parameters if name != "self")

    def get_params(self, deep=True):
        """The constructor arguments as a dict."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set constructor arguments; unknown names raise ValueError."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = inspect.signature(type(self).__init__).parameters
        changed = [
            f"{name}={value!r}"
            for name, value in self.get_params().items()
            if not (
                isinstance(value, (str, int, float, bool, type(None)))
                and value == defaults[name].default
            )
        ]
        return f"{type(self).__name__}({', '.join(changed)})"

    # -- validation -----------------------------------------------------------

    def _check_parameters(self):
        check_int(self.n_components, "n_components", minimum=1)
        _check_covariance_type(self.covariance_type)
        check_float(self.tol, "tol", minimum=0.0)
        check_float(self.reg_covar, "reg_covar", minimum=0.0)
        check_int(self.max_iter, "max_iter", minimum=0)
        check_int(self.n_init, "n_init", minimum=1)
        check_choice(self.init_params, "init_params", INIT_PARAMS)
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise TypeError(
                f"warm_start must be a bool, got {type(self.warm_start).__name__}"
            )
        check_int(self.verbose, "verbose", minimum=0)
        check_int(self.verbose_interval, "verbose_interval", minimum=1)

    def _checked_initial_parameters(self, n_features, dtype):
        """weights_init, means_init, precisions_init validated, as ``dtype``."""
        k, d = self.n_components, n_features
        weights = means = precisions = None
        if self.weights_init is not None:
            weights = np.array(self.weights_init, dtype=dtype)
            if weights.shape != (k,):
                raise ValueError(
                    f"weights_init must have shape {(k,)}, got {weights.shape}"
                )
            if (
                not np.isfinite(weights).all()
                or (weights < 0).any()
                or (weights > 1).any()
            ):
                raise ValueError("weights_init must lie in [0, 1]")
            atol = 1e-6 if dtype == np.float32 else 1e-8
            if abs(1.0 - float(weights.sum())) > atol:
                raise ValueError(
                    f"weights_init must sum to 1, got sum {float(weights.sum())!r}"
                )
        if self.means_init is not None:
            means = check_data(self.means_init, name="means_init", dtype=dtype)
            if means.shape != (k, d):
                raise ValueError(
                    f"means_init must have shape {(k, d)}, got {means.shape}"
                )
        if self.precisions_init is not None:
            precisions = np.array(self.precisions_init, dtype=dtype)
            expected = {
                "full": (k, d, d),
                "tied": (d, d),
                "diag": (k, d),
                "spherical": (k,),
            }[self.covariance_type]
            if precisions.shape != expected:
                raise ValueError(
                    f"precisions_init must have shape {expected} for covariance_type="
                    f"{self.covariance_type!r}, got {precisions.shape}"
                )
            if self.covariance_type in ("full", "tied"):
                if not np.allclose(precisions, np.swapaxes(precisions, -1, -2)):
                    raise ValueError("precisions_init must be symmetric")
            if not np.isfinite(precisions).all():
                raise ValueError("precisions_init must be finite")
        return weights, means, precisions

    def _check_is_fitted(self):
        if not hasattr(self, "precisions_cholesky_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit first"
            )

    def _check_X(self, X):
        self._check_is_fitted()
        X = check_data(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but this model was fitted with "
                f"{self.n_features_in_}"
            )
        return X

    # -- initialisation -------------------------------------------------------

    def _initial_resp(self, X, sample_weight, rng):
        n_samples, k = X.shape[0], self.n_components
        resp = np.zeros((n_samples, k), dtype=X.dtype)
        if self.init_params == "kmeans":
            labels = kmeans_labels(X, k, rng, sample_weight)
            resp[np.arange(n_samples), labels] = 1
        elif self.init_params == "k-means++":
            indices = kmeans_plusplus(X, k, rng, sample_weight)
            resp[indices, np.arange(k)] = 1
        elif self.init_params == "random":
            resp[:] = rng.uniform(size=(n_samples, k))
            resp /= resp.sum(axis=1, keepdims=True)
        else:  # random_from_data: k distinct rows, drawn in proportion to weight
            p = None if sample_weight is None else sample_weight / sample_weight.sum()
            indices = rng.choice(n_samples, size=k, replace=False, p=p)
            resp[indices, np.arange(k)] = 1
        return resp

    def _initial_parameters(self, X, sample_weight, rng, initial):
        """(weights, means, covariances, precisions_cholesky) to start a run."""
        weights_init, means_init, precisions_init = initial
        weights = means = covariances = None
        if weights_init is None or means_init is None or precisions_init is None:
            resp = self._initial_resp(X, sample_weight, rng)
            weights, means, covariances = m_step(
                X, resp, self.covariance_type, self.reg_covar, sample_weight
            )
        if weights_init is not None:
            weights = weights_init
        if means_init is not None:
            means = means_init
        if precisions_init is None:
            factor = precision_cholesky(covariances, self.covariance_type)
        else:
            factor = precision_cholesky_from_precisions(
                precisions_init, self.covariance_type
            )
            covariances = covariances_from_precisions_cholesky(
                factor, self.covariance_type
            )
        return weights, means, covariances, factor

    # -- fitting --------------------------------------------------------------

    def fit(self, X, y=None, sample_weight=None):
        """Fit the mixture by EM.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an integer weight counts a row that many
            times and a zero weight removes it.

        Returns
        -------
        self : GaussianMixture
        """
        self.fit_predict(X, y, sample_weight=sample_weight)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit the mixture by EM and return the labels of X.

        The labels come from a final E-step with the fitted parameters, so they
        equal ``fit(X).predict(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        X = check_data(X, min_samples=2)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        self._check_parameters()
        n_rows = (
            X.shape[0] if sample_weight is None else np.count_nonzero(sample_weight)
        )
        if n_rows < self.n_components:
            raise ValueError(
                f"n_components={self.n_components} is larger than the number of "
                f"samples with positive weight ({n_rows})"
            )
        initial = self._checked_initial_parameters(X.shape[1], X.dtype)
        covariance_type, reg_covar = self.covariance_type, self.reg_covar

        do_init = not (self.warm_start and hasattr(self, "converged_"))
        n_init = self.n_init if do_init else 1
        rng = numpy_generator(self.random_state)

        max_lower_bound = -np.inf
        best_params, best_n_iter, best_lower_bounds = None, 0, []
        self.converged_ = False
        for init in range(n_init):
            self._verbose_init_begin(init)
            if do_init:
                params = self._initial_parameters(X, sample_weight, rng, initial)
            else:
                params = (
                    self.weights_,
                    self.means_,
                    self.covariances_,
                    self.precisions_cholesky_,
                )
            lower_bound = -np.inf if do_init else self.lower_bound_
            lower_bounds = []

            if self.max_iter == 0:
                best_params, best_n_iter = params, 0
                continue

            converged = False
            for n_iter in range(1, self.max_iter + 1):
                previous = lower_bound
                weights, means, _, factor = params
                resp, log_prob = _estimate_resp(
                    X, weights, means, factor, covariance_type
                )
                lower_bound = _weighted_mean(log_prob, sample_weight)
                weights, means, covariances = m_step(
                    X, resp, covariance_type, reg_covar, sample_weight
                )
                params = (
                    weights,
                    means,
                    covariances,
                    precision_cholesky(covariances, covariance_type),
                )
                lower_bounds.append(lower_bound)
                change = lower_bound - previous
                self._verbose_iter_end(n_iter, change)
                if abs(change) < self.tol:
                    converged = True
                    break
            self._verbose_init_end(lower_bound, converged)

            if lower_bound > max_lower_bound or max_lower_bound == -np.inf:
                max_lower_bound = lower_bound
                best_params, best_n_iter = params, n_iter
                best_lower_bounds = lower_bounds
                self.converged_ = converged

        if not self.converged_ and self.max_iter > 0:
            warnings.warn(
                "The best initialisation did not converge: the lower bound still "
                f"changed by more than tol={self.tol} after max_iter={self.max_iter} "
                "iterations. Increase max_iter or tol, try other initial "
                "parameters, or check for degenerate data.",
                ConvergenceWarning,
                stacklevel=2,
            )

        weights, means, covariances, factor = best_params
        self.weights_ = weights
        self.means_ = means
        self.covariances_ = covariances
        self.precisions_cholesky_ = factor
        self.precisions_ = _precisions(factor, covariance_type)
        self.n_iter_ = best_n_iter
        self.lower_bound_ = max_lower_bound
        self.lower_bounds_ = best_lower_bounds
        self.n_features_in_ = X.shape[1]

        resp, _ = _estimate_resp(X, weights, means, factor, covariance_type)
        return resp.argmax(axis=1)

    # -- verbose output (as scikit-learn prints it) ---------------------------

    def _verbose_init_begin(self, init):
        if self.verbose >= 1:
            print(f"Initialization {init}")

    def _verbose_iter_end(self, n_iter, change):
        if self.verbose >= 1 and n_iter % self.verbose_interval == 0:
            if self.verbose == 1:
                print(f"  Iteration {n_iter}")
            else:
                print(f"  Iteration {n_iter}\t ll change {change:.5f}")

    def _verbose_init_end(self, lower_bound, converged):
        if self.verbose >= 1:
            status = "converged" if converged else "did not converge"
            tail = f"\t lower bound {lower_bound:.5f}." if self.verbose >= 2 else ""
            print(f"Initialization {status}.{tail}")

    # -- prediction -----------------------------------------------------------

    def _estimate(self, X):
        X = self._check_X(X)
        return _estimate_resp(
            X,
            self.weights_,
            self.means_,
            self.precisions_cholesky_,
            self.covariance_type,
        )

    def score_samples(self, X):
        """log p(x_i) under the fitted mixture: ndarray of shape (n_samples,)."""
        return self._estimate(X)[1]

    def score(self, X, y=None, sample_weight=None):
        """Weighted mean log-likelihood Σ w_i log p(x_i) / Σ w_i (a float)."""
        log_prob = self.score_samples(X)
        return _weighted_mean(
            log_prob, check_sample_weight(sample_weight, log_prob.size)
        )

    def predict(self, X):
        """Index of the most probable component: ndarray of shape (n_samples,)."""
        return self._estimate(X)[0].argmax(axis=1)

    def predict_proba(self, X):
        """Responsibilities: ndarray of shape (n_samples, n_components)."""
        return self._estimate(X)[0]

    def _n_parameters(self):
        return n_parameters(
            self.covariance_type, self.n_components, self.n_features_in_
        )

    def _total_log_likelihood(self, X, sample_weight):
        log_prob = self.score_samples(X)
        sample_weight = check_sample_weight(sample_weight, log_prob.size)
        if sample_weight is None:
            return float(log_prob.sum()), float(log_prob.size)
        return float(sample_weight @ log_prob), float(sample_weight.sum())

    def bic(self, X, sample_weight=None):
        """Bayesian information criterion -2 Σ w_i log p(x_i) + p log Σ w_i.

        p is the number of free parameters; lower is better.
        """
        log_likelihood, n = self._total_log_likelihood(X, sample_weight)
        return -2.0 * log_likelihood + self._n_parameters() * math.log(n)

    def aic(self, X, sample_weight=None):
        """Akaike information criterion -2 Σ w_i log p(x_i) + 2 p."""
        log_likelihood, _ = self._total_log_likelihood(X, sample_weight)
        return -2.0 * log_likelihood + 2.0 * self._n_parameters()

    def sample(self, n_samples=1):
        """Draw from the fitted mixture.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Grouped by component (all draws of component 0 first).
        y : ndarray of shape (n_samples,)
            Component of each draw.
        """
        self._check_is_fitted()
        n_samples = check_int(n_samples, "n_samples", minimum=1)
        rng = numpy_generator(self.random_state)
        weights = np.asarray(self.weights_, dtype=np.float64)
        counts = rng.multinomial(n_samples, weights / weights.sum())
        n_features = self.means_.shape[1]
        draws = []
        for k, count in enumerate(counts):
            z = rng.standard_normal(size=(count, n_features))
            if self.covariance_type == "full":
                z = z @ np.linalg.cholesky(self.covariances_[k]).T
            elif self.covariance_type == "tied":
                z = z @ np.linalg.cholesky(self.covariances_).T
            else:
                z = z * np.sqrt(self.covariances_[k])
            draws.append(self.means_[k] + z)
        labels = np.repeat(np.arange(self.n_components), counts)
        return np.vstack(draws), labels
