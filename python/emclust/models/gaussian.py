"""The Gaussian mixture model: covariance shapes and their conversion to and
from the core, the E and M steps, sufficient statistics of a chunk of rows,
and the per-chunk tasks and initialisation of a chunked (Dask) fit.

EM for a mixture is map-reduce: every chunk of rows yields K·(1 + D + D²)
numbers, the chunks' statistics are added, and the M-step needs only the sum::

    stats = sum(gmm_statistics(chunk, weights, means, prec_chol, "full")
                for chunk in chunks)
    weights, means, covariances, prec_chol = stats.m_step(reg_covar=1e-6)

The statistics classes are plain data (NumPy arrays and floats): they pickle
cheaply and add with ``+``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _core
from .._validation import (
    argument_suffix,
    check_choice,
    check_data,
    check_float,
    check_mixture_weights,
    check_n_threads,
    check_sample_weight,
)
from ._common import (
    as_chunk,
    as_weights,
    check_chunk_weight,
    check_observed_rows,
    nk_eps,
)

# COVARIANCE_TYPES and ALL_COVARIANCE_TYPES live with the model names (numpy only,
# for the CLI); the Gaussian code and its callers read them here too.
from .covariance_models import ALL_COVARIANCE_TYPES, COVARIANCE_TYPES, layout  # noqa: F401
from .kmeans import LloydOnChunks, seed_centers

INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")


# --- covariance shapes -------------------------------------------------------
# The core stores matrices flat, one row-major (d, d) matrix per row; these
# reshape between that and scikit-learn's shapes without copying.


def covariance_shape(covariance_type, n_components, n_features):
    """Shape of ``covariances_`` (and ``precisions_``) for a covariance type."""
    covariance_type = layout(covariance_type)
    return {
        "full": (n_components, n_features, n_features),
        "tied": (n_features, n_features),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
    }[covariance_type]


def to_core(a, covariance_type, n_features):
    a = np.ascontiguousarray(a, dtype=np.float64)
    if layout(covariance_type) in ("full", "tied"):
        return a.reshape(-1, n_features * n_features)
    if layout(covariance_type) == "spherical":
        return a.reshape(-1, 1)
    return a


def from_core(a, covariance_type, n_components, n_features):
    return a.reshape(covariance_shape(covariance_type, n_components, n_features))


def precisions_from_cholesky(chol, covariance_type):
    if layout(covariance_type) == "full":
        return np.einsum("kij,klj->kil", chol, chol)
    if layout(covariance_type) == "tied":
        return chol @ chol.T
    return chol**2


def precision_cholesky(covariances, covariance_type, n_features):
    flat = _core.gmm_precision_cholesky(
        to_core(covariances, covariance_type, n_features), covariance_type, n_features
    )
    return flat


# --- parameter checks (what scikit-learn checks, with the argument named) ---


def check_means(means, n_components, n_features, name="means_init"):
    m = np.asarray(means, dtype=np.float64)
    if m.shape != (n_components, n_features):
        raise ValueError(
            "The parameter 'means' should have the shape of "
            f"({n_components}, {n_features}), but got {m.shape}"
            + argument_suffix(name, "means")
        )
    if not np.isfinite(m).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return np.ascontiguousarray(m)


def check_precisions(
    precisions, covariance_type, n_components, n_features, name="precisions_init"
):
    p = np.asarray(precisions, dtype=np.float64)
    shape = covariance_shape(covariance_type, n_components, n_features)
    label = f"'{covariance_type} precision'"  # scikit-learn's words
    if p.shape != shape:
        raise ValueError(
            f"The parameter {label} should have the shape of {shape}, but got "
            f"{p.shape} ({name})"
        )
    if not np.isfinite(p).all():
        raise ValueError(f"{name} contains NaN or infinity")
    if layout(covariance_type) in ("full", "tied"):
        for k, m in enumerate(p.reshape(-1, n_features, n_features)):
            if not np.allclose(m, m.T) or np.linalg.eigvalsh(m).min() <= 0:
                raise ValueError(
                    f"{label} should be symmetric, positive-definite ({name}[{k}] "
                    "is not)"
                )
    elif (p <= 0).any():
        raise ValueError(f"{label} should be positive ({name})")
    return to_core(p, covariance_type, n_features)


def check_covariances(
    covariances, covariance_type, n_components, n_features, name="covariances"
):
    """Covariances given as parameters (e_step, from_parameters): the shape of
    ``covariance_type``, finite, symmetric to rounding and positive definite.

    A matrix symmetric to 1e-10 of its largest entry is returned exactly
    symmetric (the mean of it and its transpose): the core reads only one
    triangle, and a model file refuses a matrix that is not symmetric."""
    c = np.asarray(covariances, dtype=np.float64)
    shape = covariance_shape(covariance_type, n_components, n_features)
    if c.shape != shape:
        raise ValueError(
            f"{name} must have shape {shape} for covariance_type="
            f"{covariance_type!r}, got {c.shape}"
        )
    if not np.isfinite(c).all():
        raise ValueError(f"{name} contains NaN or infinity")
    if layout(covariance_type) not in ("full", "tied"):
        if (c <= 0).any():
            raise ValueError(f"{name} must be positive (variances)")
        return np.array(c)
    mats = c.reshape(-1, n_features, n_features)
    out = (mats + np.swapaxes(mats, 1, 2)) / 2.0
    for k, (m, sym) in enumerate(zip(mats, out)):
        where = f"{name}[{k}]" if layout(covariance_type) == "full" else name
        if np.abs(m - m.T).max() > 1e-10 * np.abs(m).max():
            raise ValueError(f"{where} is not symmetric")
        try:
            np.linalg.cholesky(sym)
        except np.linalg.LinAlgError:
            raise ValueError(
                f"{where} is not positive definite (a covariance from a fit "
                "with reg_covar=0 can be singular: fit with reg_covar > 0)"
            ) from None
    return out.reshape(shape)


def check_precisions_cholesky(chol, covariance_type, n_components, n_features, name):
    """Cholesky factors of precisions: finite, with a positive diagonal, and
    for "full" and "tied" triangular. Fit stores upper factors, but a
    max_iter=0 fit from ``precisions_init`` keeps the lower one, as
    scikit-learn does; the core needs only P = C Cᵀ with C triangular (its
    log-determinant is the sum of the diagonal's logarithms)."""
    c = np.asarray(chol, dtype=np.float64)
    shape = covariance_shape(covariance_type, n_components, n_features)
    if c.shape != shape:
        raise ValueError(
            f"{name} must have shape {shape} for covariance_type="
            f"{covariance_type!r}, got {c.shape}"
        )
    if not np.isfinite(c).all():
        raise ValueError(f"{name} contains NaN or infinity")
    if layout(covariance_type) in ("full", "tied"):
        mats = c.reshape(-1, n_features, n_features)
        diagonal = np.diagonal(mats, axis1=1, axis2=2)
        both = np.tril(mats, -1).any(axis=(1, 2)) & np.triu(mats, 1).any(axis=(1, 2))
        if both.any() or (diagonal <= 0).any():
            raise ValueError(
                f"{name} must be triangular (upper as fit stores it, or lower) "
                "with a positive diagonal"
            )
    elif (c <= 0).any():
        raise ValueError(f"{name} must be positive")
    return c


def check_component_weights(weights, n_components, name="weights"):
    """Mixing weights of a chunk function: finite, non-negative, a positive
    sum (they need not sum to 1: only the E-step's ratios use them)."""
    w = np.ascontiguousarray(weights, dtype=np.float64)
    if w.shape != (n_components,):
        raise ValueError(f"{name} must have shape ({n_components},), got {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(f"{name} must be finite and non-negative")
    if not w.sum() > 0:
        raise ValueError(f"{name} must have a positive sum (they are all zero)")
    return w


def check_covariance_type(covariance_type):
    return check_choice(covariance_type, "covariance_type", ALL_COVARIANCE_TYPES)


# --- low-level steps ------------------------------------------------------------


def e_step(X, weights, means, covariances, covariance_type="full", *, n_threads=None):
    """One E-step: responsibilities and log-likelihood of every sample.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data, one row per sample.
    weights : array-like of shape (n_components,)
        Mixing weights, summing to 1.
    means : array-like of shape (n_components, n_features)
        Component means.
    covariances : array-like
        (n_components, n_features, n_features) for "full", (n_features,
        n_features) for "tied", (n_components, n_features) for "diag",
        (n_components,) for "spherical".
    covariance_type : {"full", "tied", "diag", "spherical"}
    n_threads : int, optional
        Threads to use; None uses every usable core.

    Returns
    -------
    resp : ndarray of shape (n_samples, n_components)
        Posterior probability of each component for each sample.
    log_prob : ndarray of shape (n_samples,)
        The log-density log p(x_i) under the mixture.
    """
    covariance_type = check_covariance_type(covariance_type)
    X = check_data(X)
    means = np.asarray(means, dtype=np.float64)
    if means.ndim != 2:
        raise ValueError(
            f"means must be 2-D (n_components, n_features), got {means.ndim}-D"
        )
    n_components, n_features = means.shape
    if X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features but means has {n_features}")
    w = check_mixture_weights(weights, n_components, "weights")
    means = check_means(means, n_components, n_features, "means")
    cov = check_covariances(covariances, covariance_type, n_components, n_features)
    chol = precision_cholesky(cov, covariance_type, n_features)
    return _core.gmm_e_step(
        X,
        w,
        means,
        chol,
        covariance_type,
        True,
        True,
        False,
        check_n_threads(n_threads),
    )


def infer(
    X,
    weights,
    means,
    precisions_cholesky,
    covariance_type,
    want_resp,
    want_log_prob,
    log_resp,
    n_threads,
):
    """(resp, log_prob) of validated X under a fitted mixture, either None
    when not asked for; resp as log-responsibilities with ``log_resp``.

    NaN entries of X are missing: each row's responsibilities and
    log-likelihood are those of its observed coordinates (the mixture
    marginalised over the missing ones). Without NaN the core's complete-data
    E-step runs, unchanged."""
    resp, log_prob, _ = _core.gmm_missing_e_step(
        X,
        np.ascontiguousarray(weights, dtype=np.float64),
        np.ascontiguousarray(means, dtype=np.float64),
        to_core(precisions_cholesky, covariance_type, X.shape[1]),
        covariance_type,
        want_resp,
        want_log_prob,
        log_resp,
        False,
        n_threads,
    )
    _check_finite_rows(resp, log_prob, log_resp)
    return resp, log_prob


def _check_finite_rows(resp, log_prob, log_resp):
    """The complete-data E-step refuses a row whose log-density overflows;
    a row with missing entries is marginalised, and its overflow shows here
    as a -inf log-density and responsibilities of zero."""
    bad = None
    if log_prob is not None:
        bad = ~np.isfinite(log_prob)
    if resp is not None:
        with np.errstate(invalid="ignore"):
            lost = (
                ~np.isfinite(resp.max(axis=1))
                if log_resp
                else ~(resp.sum(axis=1) > 0.5)
            )
        bad = lost if bad is None else bad | lost
    if bad is not None and bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"X row {i} is too far from every component mean: its log-density "
            "overflows float64 (rescale X)"
        )


def impute(X, weights, means, precisions_cholesky, covariance_type, n_threads):
    """Validated X with every NaN replaced by its conditional mean under the
    mixture, Σ_k γ_k E[x_m | x_o, k] (γ the responsibilities given the
    row's observed coordinates); a new array, X's dtype."""
    return _core.gmm_missing_e_step(
        X,
        np.ascontiguousarray(weights, dtype=np.float64),
        np.ascontiguousarray(means, dtype=np.float64),
        to_core(precisions_cholesky, covariance_type, X.shape[1]),
        covariance_type,
        False,
        False,
        False,
        True,
        n_threads,
    )[2]


def m_step(
    X,
    resp,
    covariance_type="full",
    reg_covar=0.0,
    *,
    sample_weight=None,
    n_threads=None,
):
    """One M-step: maximum-likelihood parameters from responsibilities.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data, one row per sample.
    resp : array-like of shape (n_samples, n_components)
        Responsibilities: the weight of every component for every row.
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float, default=0.0
        Added to the diagonal of every covariance.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative row weights; None gives every row weight 1.
    n_threads : int, optional
        Threads for the core; None uses every usable core.

    Returns
    -------
    weights : ndarray of shape (n_components,)
        Mixing weights π_k = N_k / n.
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray
        In the shape of ``covariance_type`` (see :func:`e_step`). Not checked
        for positive definiteness: with ``reg_covar=0`` a singleton component
        has a zero covariance.
    """
    covariance_type = check_covariance_type(covariance_type)
    reg_covar = check_float(reg_covar, "reg_covar", minimum=0.0)
    X = check_data(X)
    resp = check_data(resp, name="resp", dtype=X.dtype)
    if resp.shape[0] != X.shape[0]:
        raise ValueError(
            f"resp has {resp.shape[0]} rows but X has {X.shape[0]} samples"
        )
    if (resp < 0).any():
        raise ValueError("resp must be non-negative")
    w = check_sample_weight(sample_weight, X.shape[0])
    out = _core.gmm_m_step(
        X, resp, w, covariance_type, reg_covar, check_n_threads(n_threads)
    )
    if not all(
        np.isfinite(out[key]).all() for key in ("weights", "means", "covariances")
    ):
        raise ValueError(
            "the M-step overflows floating point: the scale of X (or of "
            "sample_weight) is too large, rescale them"
        )
    k, d = resp.shape[1], X.shape[1]
    return (
        out["weights"],
        out["means"],
        from_core(out["covariances"], covariance_type, k, d),
    )


# --- sufficient statistics ------------------------------------------------------


@dataclass
class GaussianStatistics:
    """Sums over rows that an M-step of a Gaussian mixture needs.

    With responsibilities γ_ik from the E-step, row weights w_i and the
    shift c_k (the means of the E-step's mixture):

    - ``resp_sum[k] = Σ_i w_i γ_ik``
    - ``first[k] = Σ_i w_i γ_ik (x_i - c_k)``
    - ``second[k] = Σ_i w_i γ_ik (x_i - c_k)(x_i - c_k)ᵀ`` ("full", "tied"),
      or its diagonal ("diag", "spherical")
    - ``log_likelihood = Σ_i w_i log p(x_i)`` (0 for statistics of given
      responsibilities), ``weight_sum = Σ_i w_i``

    Sums are taken about the shift, not the origin, so that the scatter of a
    cluster far from the origin does not cancel. Statistics of the same
    covariance type, shift and data type add with ``+`` (``sum()`` works too).

    Parameters
    ----------
    covariance_type : {"full", "tied", "diag", "spherical"}
        The covariance type the sums were taken for.
    dtype : {"float32", "float64"}
        Type of the data the sums came from; it sets the ``10 * eps`` added to
        every N_k in the M-step, as scikit-learn does.
    shift : ndarray of shape (n_components, n_features)
        The points c_k the sums are taken about.
    resp_sum : ndarray of shape (n_components,)
        N_k = Σ_i w_i γ_ik.
    first : ndarray of shape (n_components, n_features)
        Σ_i w_i γ_ik (x_i - c_k).
    second : ndarray of shape (n_components, n_features, n_features) or (n_components, n_features)
        The scatter about c_k, full or diagonal by ``covariance_type``.
    log_likelihood : float
        Σ_i w_i log p(x_i); 0 for statistics of given responsibilities.
    weight_sum : float
        Σ_i w_i.
    """

    covariance_type: str
    dtype: str
    shift: np.ndarray
    resp_sum: np.ndarray
    first: np.ndarray
    second: np.ndarray
    log_likelihood: float = 0.0
    weight_sum: float = 0.0

    @property
    def n_components(self):
        """Number of mixture components."""
        return self.shift.shape[0]

    @property
    def n_features(self):
        """Number of features."""
        return self.shift.shape[1]

    @property
    def lower_bound(self):
        """Mean log-likelihood per unit of weight (scikit-learn's lower bound)."""
        return self.log_likelihood / self.weight_sum

    def __add__(self, other):
        if isinstance(other, int) and other == 0:  # sum() starts from 0
            return self
        if not isinstance(other, GaussianStatistics):
            return NotImplemented
        if (
            other.covariance_type != self.covariance_type
            or other.dtype != self.dtype
            or other.shift.shape != self.shift.shape
            or not np.array_equal(other.shift, self.shift)
        ):
            raise ValueError(
                "only statistics of the same covariance_type and dtype, taken about "
                "the same shift (the same E-step means), can be added"
            )
        return GaussianStatistics(
            self.covariance_type,
            self.dtype,
            self.shift,
            self.resp_sum + other.resp_sum,
            self.first + other.first,
            self.second + other.second,
            self.log_likelihood + other.log_likelihood,
            self.weight_sum + other.weight_sum,
        )

    __radd__ = __add__

    def m_step(self, reg_covar=1e-6, *, normalize_by_sample_weight=False):
        """Maximum-likelihood parameters from the summed statistics.

        Parameters
        ----------
        reg_covar : float, default=1e-6
            Added to the diagonal of every covariance.
        normalize_by_sample_weight : bool, default=False
            Mixing weights N_k / Σ w_i (scikit-learn's initialisation) instead
            of N_k / Σ_j N_j (every EM iteration).

        Returns
        -------
        weights : ndarray of shape (n_components,)
            Mixing weights π_k.
        means : ndarray of shape (n_components, n_features)
            Component means μ_k.
        covariances : ndarray
            In scikit-learn's shape for ``covariance_type``.
        precisions_cholesky : ndarray
            Same shape; raises ValueError when a covariance is not positive
            definite (increase ``reg_covar``).
        """
        reg_covar = check_float(reg_covar, "reg_covar", minimum=0.0)
        self._check()
        out = self._m_step_flat(reg_covar, normalize_by_sample_weight)
        k, d, t = self.n_components, self.n_features, self.covariance_type
        return (
            out["weights"],
            out["means"],
            from_core(out["covariances"], t, k, d),
            from_core(out["precisions_cholesky"], t, k, d),
        )

    def _check(self):
        """ValueError naming the field when these statistics cannot give an
        M-step (fields built by hand: wrong shapes, NaN, negative or zero
        weight)."""
        check_covariance_type(self.covariance_type)
        check_choice(self.dtype, "dtype", ("float32", "float64"))
        shift = np.asarray(self.shift)
        if shift.ndim != 2 or 0 in shift.shape:
            raise ValueError(
                f"shift must have shape (n_components, n_features), got {shift.shape}"
            )
        k, d = shift.shape
        second = (
            (k, d, d) if layout(self.covariance_type) in ("full", "tied") else (k, d)
        )
        for name, shape in (
            ("shift", (k, d)),
            ("resp_sum", (k,)),
            ("first", (k, d)),
            ("second", second),
        ):
            a = np.asarray(getattr(self, name), dtype=np.float64)
            if a.shape != shape:
                raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
            if not np.isfinite(a).all():
                raise ValueError(f"{name} contains NaN or infinity")
        resp_sum = np.asarray(self.resp_sum, dtype=np.float64)
        if (resp_sum < 0).any() or not resp_sum.sum() > 0:
            raise ValueError("resp_sum must be non-negative with a positive sum")
        weight_sum = float(self.weight_sum)
        if not (np.isfinite(weight_sum) and weight_sum > 0):
            raise ValueError(
                f"weight_sum must be finite and positive, got {weight_sum} (no "
                "row was summed: there is nothing to estimate from)"
            )

    def _m_step_flat(self, reg_covar, normalize_by_sample_weight=False):
        d = self.n_features
        second = self.second.reshape(self.n_components, -1)
        if layout(self.covariance_type) in ("full", "tied"):
            second = second.reshape(self.n_components, d * d)
        return _core.gmm_m_step_from_statistics(
            self.covariance_type,
            np.ascontiguousarray(self.shift, dtype=np.float64),
            np.ascontiguousarray(self.resp_sum, dtype=np.float64),
            np.ascontiguousarray(self.first, dtype=np.float64),
            np.ascontiguousarray(second, dtype=np.float64),
            float(self.log_likelihood),
            float(self.weight_sum),
            float(reg_covar),
            nk_eps(self.dtype),
            bool(normalize_by_sample_weight),
        )


def statistics_from_core(out, covariance_type, dtype, shift):
    k, d = shift.shape
    second = out["second"]
    if layout(covariance_type) in ("full", "tied"):
        second = second.reshape(k, d, d)
    return GaussianStatistics(
        covariance_type,
        np.dtype(dtype).name,
        shift,
        out["resp_sum"],
        out["first"],
        second,
        float(out["log_likelihood"]),
        float(out["weight_sum"]),
    )


def gmm_statistics(
    X,
    weights,
    means,
    precisions_cholesky,
    covariance_type="full",
    *,
    sample_weight=None,
    n_threads=None,
):
    """E-step statistics of a chunk of rows under a Gaussian mixture.

    One pass over ``X`` on the native core (GIL released): responsibilities
    under the mixture are folded at once into :class:`GaussianStatistics`
    about ``means``; no (n_samples, n_components) array is formed. The sum of
    the statistics of all chunks of a data set, passed to
    :meth:`GaussianStatistics.m_step`, is one EM iteration.

    NaN entries of X are missing values: a row's responsibilities are those
    of its observed coordinates, its missing coordinates enter the sums as
    their conditional means given the observed ones, their conditional
    covariance is added to ``second``, and ``log_likelihood`` is the
    observed-data one (Ghahramani and Jordan's exact EM). The statistics have
    the same shape and add and M-step the same way, so a chunked fit of
    incomplete data is the same loop. A chunk without NaN takes the
    complete-data pass, unchanged.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        One chunk of rows; float32 is processed in float32 (float64 sums).
        NaN marks a missing entry (infinity is an error, and so is a row
        with every entry missing).
    weights : array-like of shape (n_components,)
        Mixing weights π_k, summing to 1.
    means : array-like of shape (n_components, n_features)
        Component means; the statistics are taken about them.
    precisions_cholesky : array-like
        As scikit-learn's ``precisions_cholesky_``: (n_components,
        n_features, n_features) for "full", (n_features, n_features) for
        "tied", (n_components, n_features) for "diag", (n_components,) for
        "spherical".
    covariance_type : {"full", "tied", "diag", "spherical"}
    sample_weight : array-like of shape (n_samples,), optional
        Zero weights are allowed (the chunk's sum may be zero).
    n_threads : int, optional
        Threads for this chunk; None uses every usable core.

    Returns
    -------
    GaussianStatistics
        The sums of this chunk; they add with ``+``.
    """
    covariance_type = check_choice(
        covariance_type, "covariance_type", ALL_COVARIANCE_TYPES
    )
    X = check_data(X, min_samples=0, allow_nan=True)
    means = np.ascontiguousarray(means, dtype=np.float64)
    if means.ndim != 2 or means.shape[1] != X.shape[1]:
        raise ValueError(
            f"means must have shape (n_components, {X.shape[1]}), got {means.shape}"
        )
    k, d = means.shape
    if not np.isfinite(means).all():
        raise ValueError("means contains NaN or infinity")
    weights = check_component_weights(weights, k)
    chol = check_precisions_cholesky(
        precisions_cholesky, covariance_type, k, d, "precisions_cholesky"
    )
    w = check_chunk_weight(sample_weight, X.shape[0])
    out = _core.gmm_missing_statistics(
        X,
        w,
        weights,
        means,
        to_core(chol, covariance_type, d),
        covariance_type,
        check_n_threads(n_threads),
    )
    return statistics_from_core(out, covariance_type, X.dtype, means)


# --- a chunked fit (Dask): per-chunk tasks and initialisation ----------------------


def gmm_chunk_task(
    block, w, dtype, n_threads, offset, type_, weights, means, chol, check, allow_nan
):
    x, w = as_chunk(block, dtype, check, allow_nan=allow_nan), as_weights(w)
    if check and allow_nan:
        check_observed_rows(x, offset)
    out = _core.gmm_missing_statistics(x, w, weights, means, chol, type_, n_threads)
    return statistics_from_core(out, type_, dtype, means)


def gmm_label_task(block, w, dtype, n_threads, offset, type_, labels, shift, second):
    x, w = as_chunk(block, dtype), as_weights(w)
    lab = labels.of_chunk(x, w, offset, n_threads)
    out = _core.gmm_label_statistics(x, lab, w, type_, shift, second, n_threads)
    return statistics_from_core(out, type_, dtype, shift)


def chunked_e_step(data, params, type_, it, check=False, *, allow_nan=False):
    d = data.n_features
    chol = np.ascontiguousarray(params["precisions_cholesky"], dtype=np.float64)
    if layout(type_) in ("full", "tied"):
        chol = chol.reshape(-1, d * d)
    return data.map_reduce(
        gmm_chunk_task,
        type_,
        np.ascontiguousarray(params["weights"], dtype=np.float64),
        np.ascontiguousarray(params["means"], dtype=np.float64),
        chol,
        check,
        allow_nan,
        what=f"EM iteration {it}",
        with_offset=True,
    )


def precisions_cholesky_from_precisions(p, type_, d):
    """The core's precision_cholesky_from_precisions, flat layout."""
    if layout(type_) in ("full", "tied"):
        mats = p.reshape(-1, d, d)
        return np.stack([np.linalg.cholesky(m) for m in mats]).reshape(-1, d * d)
    return np.sqrt(p)


def covariances_from_cholesky(chol, type_, d):
    if layout(type_) in ("full", "tied"):
        out = []
        for c in chol.reshape(-1, d, d):
            out.append(np.linalg.inv(c @ c.T))
        return np.stack(out).reshape(-1, d * d)
    return 1.0 / chol**2


def chunked_initial_params(
    data, k, type_, init_params, reg_covar, rng_seed, restart, given, sample
):
    """Parameters of one restart of a chunked fit, as the core's
    detail::initial_params. ``data`` is the driver's chunked data (its
    ``map_reduce``, ``n_features``, ``dtype``, ``n_threads`` and
    ``total_weight``); ``sample()`` returns the uniform sample of rows
    (and their weights) that seeding runs on."""
    d = data.n_features
    weights_init, means_init, precisions_init = given
    eps = nk_eps(data.dtype)
    if (
        weights_init is not None
        and means_init is not None
        and precisions_init is not None
    ):
        p = {}
    elif init_params in ("k-means++", "random_from_data"):
        Xs, ws = sample()
        if init_params == "k-means++":
            rows = _core.kmeans_plusplus(
                Xs, ws, k, "l2", (rng_seed + restart + 1) % 2**64, data.n_threads
            )
        else:
            rng = np.random.default_rng([rng_seed, restart + 1])
            rows = rng.choice(Xs.shape[0], k, replace=False)
        # One-hot responsibilities at k rows: each mean on its row, each
        # covariance reg_covar alone.
        second_shape = (k, d, d) if layout(type_) in ("full", "tied") else (k, d)
        st = GaussianStatistics(
            type_,
            data.dtype.name,
            np.ascontiguousarray(Xs[rows], dtype=np.float64),
            np.ones(k) if ws is None else ws[rows].astype(np.float64),
            np.zeros((k, d)),
            np.zeros(second_shape),
            0.0,
            data.total_weight(),
        )
        p = st._m_step_flat(reg_covar, normalize_by_sample_weight=True)
    elif init_params == "kmeans":
        run = LloydOnChunks(data)
        seeds = seed_centers(data, k, "k-means++", rng_seed + restart, 1)
        # The K-means fit of KMeans on Dask (same Lloyd iterations, same
        # relocation of empty clusters), with KMeans's defaults.
        _, _, _, labels = run.run(seeds[0], 300, 1e-4 * run.mean_feature_variance())
        # Statistics of the K-means labels in two passes: the means from sums
        # about the origin, then the scatter about those means.
        zero = np.zeros((k, d))
        first = data.map_reduce(
            gmm_label_task, type_, labels, zero, False, what="init", with_offset=True
        )
        means = np.ascontiguousarray(first.first / (first.resp_sum + eps)[:, None])
        second = data.map_reduce(
            gmm_label_task, type_, labels, means, True, what="init", with_offset=True
        )
        p = second._m_step_flat(reg_covar, normalize_by_sample_weight=True)
    else:
        raise ValueError(
            "init_params='random' is not supported on Dask arrays (its "
            "responsibilities would depend on the chunking); use 'kmeans', "
            "'k-means++' or 'random_from_data', or give weights_init, means_init "
            "and precisions_init"
        )
    p = dict(p)
    if weights_init is not None:
        p["weights"] = weights_init
    if means_init is not None:
        p["means"] = means_init
    if precisions_init is not None:
        p["precisions_cholesky"] = precisions_cholesky_from_precisions(
            precisions_init, type_, d
        )
        p["covariances"] = covariances_from_cholesky(p["precisions_cholesky"], type_, d)
    return p
