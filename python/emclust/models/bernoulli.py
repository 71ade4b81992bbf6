"""The mixture of Bernoullis: parameter checks, sufficient statistics of a
chunk of binary rows, and the per-chunk tasks and initialisation of a chunked
(Dask) fit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _core
from .._validation import (
    check_binary_array,
    check_binary_values,
    check_choice,
    check_float,
    check_n_threads,
    csr_arrays,
    is_sparse,
    plain,
)
from ._common import (
    as_chunk,
    as_weights,
    check_chunk_weight,
    check_observed_rows,
    nk_eps,
)

INIT_PARAMS = ("k-means++", "random", "random_from_data")


def check_probabilities(theta, n_components, n_features, name):
    t = np.asarray(theta, dtype=np.float64)
    if t.shape != (n_components, n_features):
        raise ValueError(
            f"{name} must have shape ({n_components}, {n_features}), got {t.shape}"
        )
    if not ((t > 0) & (t < 1)).all():
        raise ValueError(
            f"{name} must lie strictly between 0 and 1 (a probability of exactly 0 "
            "or 1 gives some binary vectors a log-likelihood of -inf)"
        )
    return np.ascontiguousarray(t)


def infer(X, weights, probabilities, want_resp, want_log_prob, n_threads):
    """(resp, log_prob) of validated binary X under a fitted mixture, either
    None when not asked for. NaN entries are missing and drop out of the
    likelihood; without NaN the complete-data E-step runs, unchanged. A
    binary CSR matrix runs the sparse E-step (X Wᵀ over the nonzeros)."""
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    probabilities = np.ascontiguousarray(probabilities, dtype=np.float64)
    if is_sparse(X):
        return _core.sparse_bernoulli_e_step(
            *csr_arrays(X),
            weights,
            probabilities,
            want_resp,
            want_log_prob,
            False,
            n_threads,
        )
    resp, log_prob, _ = _core.bernoulli_missing_e_step(
        X,
        weights,
        probabilities,
        want_resp,
        want_log_prob,
        False,
        False,
        n_threads,
    )
    return resp, log_prob


def impute(X, weights, probabilities, n_threads):
    """Validated X with every NaN replaced by Σ_k γ_k θ_kd (γ given the row's
    observed entries): the probability that the entry is 1. Sparse X has
    no missing entries: it comes back as it is (a copy)."""
    if is_sparse(X):
        return X.copy()
    return _core.bernoulli_missing_e_step(
        X,
        np.ascontiguousarray(weights, dtype=np.float64),
        np.ascontiguousarray(probabilities, dtype=np.float64),
        False,
        False,
        False,
        True,
        n_threads,
    )[2]


def check_binary_sample(Xs):
    """A chunked fit's seeding sample must be binary like the rest of X."""
    ok = (Xs == 0) | (Xs == 1)
    if not ok.all():
        raise ValueError(
            f"X must be binary (every entry 0 or 1), got {plain(Xs[~ok][0])} in a "
            "sampled row"
        )


@dataclass
class BernoulliStatistics:
    """Sums over rows that an M-step of a mixture of Bernoullis needs.

    With responsibilities γ_ik from the E-step and row weights w_i:

    - ``resp_sum[k] = Σ_i w_i γ_ik``
    - ``x_sum[k] = Σ_i w_i γ_ik x_i`` (over the observed entries: a missing,
      NaN, entry adds nothing)
    - ``observed_sum[k, d] = Σ_i w_i γ_ik [x_id observed]``, the denominator
      of θ_kd when entries are missing; None means every entry was observed
      (``resp_sum`` in every column)
    - ``log_likelihood = Σ_i w_i log p(x_i)``, ``weight_sum = Σ_i w_i``

    Statistics of the same data type add with ``+`` (``sum()`` works too).

    Parameters
    ----------
    dtype : {"float32", "float64"}
        Type the sums were computed in; it sets the ``10 * eps`` added to
        every N_k in the M-step.
    resp_sum : ndarray of shape (n_components,)
        N_k = Σ_i w_i γ_ik.
    x_sum : ndarray of shape (n_components, n_features)
        Σ_i w_i γ_ik x_i over the observed entries.
    log_likelihood : float
        Σ_i w_i log p(x_i).
    weight_sum : float
        Σ_i w_i.
    observed_sum : ndarray of shape (n_components, n_features) or None
        From ``bernoulli_statistics`` always an array (``resp_sum`` in every
        column where nothing is missing); None in statistics built by hand
        means every entry was observed.
    """

    dtype: str
    resp_sum: np.ndarray
    x_sum: np.ndarray
    log_likelihood: float = 0.0
    weight_sum: float = 0.0
    observed_sum: np.ndarray | None = None

    def _observed(self):
        if self.observed_sum is not None:
            return self.observed_sum
        return np.repeat(self.resp_sum[:, None], self.x_sum.shape[1], axis=1)

    @property
    def lower_bound(self):
        """Mean log-likelihood per unit of weight (``BernoulliMixture.lower_bound_``)."""
        return self.log_likelihood / self.weight_sum

    def __add__(self, other):
        if isinstance(other, int) and other == 0:
            return self
        if not isinstance(other, BernoulliStatistics):
            return NotImplemented
        if other.dtype != self.dtype or other.x_sum.shape != self.x_sum.shape:
            raise ValueError("only statistics of the same shape and dtype can be added")
        observed = None
        if self.observed_sum is not None or other.observed_sum is not None:
            observed = self._observed() + other._observed()
        return BernoulliStatistics(
            self.dtype,
            self.resp_sum + other.resp_sum,
            self.x_sum + other.x_sum,
            self.log_likelihood + other.log_likelihood,
            self.weight_sum + other.weight_sum,
            observed,
        )

    __radd__ = __add__

    def m_step(self, alpha=1e-3):
        """Return the parameters from the summed statistics (the M-step).

        θ_kd = (x_sum_kd + α) / (N_kd + 2α), clipped to [1e-10, 1 - 1e-10] (float32: [2^-24, 1 - 2^-24]),
        with N_kd = observed_sum_kd + 10·eps (resp_sum_k + 10·eps when every
        entry was observed), and π_k = N_k / Σ_j N_j with N_k = resp_sum_k +
        10·eps.

        Parameters
        ----------
        alpha : float, default=1e-3
            Additive smoothing, as ``BernoulliMixture(alpha=...)``.

        Returns
        -------
        weights : ndarray of shape (n_components,)
            Mixing weights π_k.
        probabilities : ndarray of shape (n_components, n_features)
            The θ_kd: the probability that feature d is 1 in component k.
        """
        alpha = check_float(alpha, "alpha", minimum=0.0)
        self._check()
        out = self._m_step(alpha)
        return out["weights"], out["probabilities"]

    def _check(self):
        """ValueError naming the field when these statistics cannot give an
        M-step (fields built by hand)."""
        check_choice(self.dtype, "dtype", ("float32", "float64"))
        resp_sum = np.asarray(self.resp_sum, dtype=np.float64)
        x_sum = np.asarray(self.x_sum, dtype=np.float64)
        if resp_sum.ndim != 1 or resp_sum.size == 0:
            raise ValueError(
                f"resp_sum must have shape (n_components,), got {resp_sum.shape}"
            )
        if x_sum.ndim != 2 or x_sum.shape[0] != resp_sum.shape[0]:
            raise ValueError(
                f"x_sum must have shape ({resp_sum.shape[0]}, n_features), got "
                f"{x_sum.shape}"
            )
        if not (np.isfinite(resp_sum).all() and np.isfinite(x_sum).all()):
            raise ValueError("resp_sum and x_sum must be finite")
        if (resp_sum < 0).any() or not resp_sum.sum() > 0:
            raise ValueError("resp_sum must be non-negative with a positive sum")
        # Σ γ x lies between 0 and Σ γ for binary x (to rounding).
        slack = 1e-9 * (resp_sum[:, None] + 1.0)
        if (x_sum < -slack).any() or (x_sum > resp_sum[:, None] + slack).any():
            raise ValueError("x_sum must lie between 0 and resp_sum (binary data)")

    def _m_step(self, alpha):
        if self.observed_sum is not None:
            # Without NaN observed_sum repeats resp_sum and this is the same
            # arithmetic as the complete-data M-step, bit for bit.
            return _core.bernoulli_missing_m_step_from_statistics(
                np.ascontiguousarray(self.resp_sum, dtype=np.float64),
                np.ascontiguousarray(self.x_sum, dtype=np.float64),
                np.ascontiguousarray(self.observed_sum, dtype=np.float64),
                float(alpha),
                nk_eps(self.dtype),
            )
        return _core.bernoulli_m_step_from_statistics(
            np.ascontiguousarray(self.resp_sum, dtype=np.float64),
            np.ascontiguousarray(self.x_sum, dtype=np.float64),
            float(alpha),
            nk_eps(self.dtype),
        )


def statistics_from_core(out, dtype):
    return BernoulliStatistics(
        np.dtype(dtype).name,
        out["resp_sum"],
        out["x_sum"],
        float(out["log_likelihood"]),
        float(out["weight_sum"]),
        out.get("observed_sum"),
    )


def bernoulli_statistics(
    X, weights, probabilities, *, sample_weight=None, n_threads=None
):
    """E-step statistics of a chunk of binary rows under a mixture of Bernoullis.

    One pass over ``X`` on the native core (GIL released): responsibilities
    are folded at once into :class:`BernoulliStatistics`. The sum over all
    chunks, passed to :meth:`BernoulliStatistics.m_step`, is one EM iteration
    of ``BernoulliMixture``::

        stats = sum(bernoulli_statistics(chunk, weights, probabilities)
                    for chunk in chunks)
        weights, probabilities = stats.m_step(alpha=1e-3)

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Binary data (every entry 0 or 1); float32 is processed in float32
        (float64 sums), anything else in float64. NaN marks a missing entry:
        it drops out of the row's likelihood and of the sums, and
        ``observed_sum`` counts, per component and feature, the
        responsibility of the rows that observed it (a row with every entry
        missing is an error). The sum of the chunks' statistics M-steps as
        ``BernoulliMixture`` does on incomplete data.
    weights : array-like of shape (n_components,)
        Mixing weights π_k, summing to 1.
    probabilities : array-like of shape (n_components, n_features)
        The θ_kd, strictly between 0 and 1.
    sample_weight : array-like of shape (n_samples,), optional
        Zero weights are allowed (the chunk's sum may be zero).
    n_threads : int, optional
        Threads for this chunk; None uses every usable core.

    Returns
    -------
    BernoulliStatistics
        The sums of this chunk; they add with ``+``.
    """
    X = check_binary_array(X, min_samples=0, allow_nan=True)
    theta = np.asarray(probabilities, dtype=np.float64)
    if theta.ndim != 2 or theta.shape[1] != X.shape[1]:
        raise ValueError(
            f"probabilities must have shape (n_components, {X.shape[1]}), got "
            f"{theta.shape}"
        )
    k = theta.shape[0]
    theta = check_probabilities(theta, k, X.shape[1], "probabilities")
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if weights.shape != (k,):
        raise ValueError(f"weights must have shape ({k},), got {weights.shape}")
    if not (np.isfinite(weights).all() and (weights >= 0).all()):
        raise ValueError("weights must be finite and non-negative")
    if not weights.sum() > 0:
        raise ValueError("weights must have a positive sum (they are all zero)")
    w = check_chunk_weight(sample_weight, X.shape[0])
    out = _core.bernoulli_missing_statistics(
        X, w, weights, theta, check_n_threads(n_threads)
    )
    return statistics_from_core(out, X.dtype)


# --- a chunked (Dask) fit: per-chunk tasks and initialisation ----------------------


def bernoulli_chunk_task(
    block, w, dtype, n_threads, offset, weights, theta, check, allow_nan
):
    if check:
        check_binary_values(np.asarray(block), row_offset=offset, allow_nan=allow_nan)
    x, w = as_chunk(block, dtype), as_weights(w)
    if not allow_nan:
        out = _core.bernoulli_statistics(x, w, weights, theta, n_threads)
        return statistics_from_core(out, dtype)
    if check:
        check_observed_rows(x, offset)
    out = _core.bernoulli_missing_statistics(x, w, weights, theta, n_threads)
    return statistics_from_core(out, dtype)


def chunked_e_step(data, params, it, check=False, *, allow_nan=False):
    return data.map_reduce(
        bernoulli_chunk_task,
        np.ascontiguousarray(params["weights"], dtype=np.float64),
        np.ascontiguousarray(params["probabilities"], dtype=np.float64),
        check,
        allow_nan,
        what=f"EM iteration {it}",
        with_offset=True,
    )


def chunked_initial_params(data, k, init_params, seed, restart, given, alpha, sample):
    """Parameters of one restart of a chunked fit, as the core's
    bernoulli_initial_params (see ``gaussian.chunked_initial_params``)."""
    weights_init, probabilities_init = given
    if weights_init is not None and probabilities_init is not None:
        return {"weights": weights_init, "probabilities": probabilities_init}
    if init_params == "random":
        raise ValueError(
            "init_params='random' is not supported on Dask arrays (its "
            "responsibilities would depend on the chunking); use 'k-means++' or "
            "'random_from_data', or give weights_init and probabilities_init"
        )
    Xs, ws = sample()
    if init_params == "k-means++":
        # On binary rows the squared distance is the Hamming distance.
        rows = _core.kmeans_plusplus(
            Xs, ws, k, "l2", (seed + restart + 1) % 2**64, data.n_threads
        )
    else:
        rng = np.random.default_rng([seed, restart + 1])
        rows = rng.choice(Xs.shape[0], k, replace=False)
    # One-hot responsibilities at the k seed rows (bernoulli_seed_statistics).
    w = np.ones(k) if ws is None else ws[rows].astype(np.float64)
    st = BernoulliStatistics(
        data.dtype.name,
        w,
        w[:, None] * Xs[rows].astype(np.float64),
        0.0,
        data.total_weight(),
    )
    p = dict(st._m_step(alpha))
    if weights_init is not None:
        p["weights"] = weights_init
    if probabilities_init is not None:
        p["probabilities"] = probabilities_init
    return p
