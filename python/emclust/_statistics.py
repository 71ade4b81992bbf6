"""Sufficient statistics of one chunk of rows, and the M-step from their sum.

EM for a mixture is map-reduce: every chunk of rows yields a few small
arrays (for a Gaussian mixture K·(1 + D + D²) numbers), the chunks' arrays
are added, and the M-step needs only the sum. These functions expose that
shape, so that any engine that can map a function over chunks and add the
results (Dask, Spark, Ray, a loop over files) can drive EM with the native
per-chunk kernels::

    stats = sum(gmm_statistics(chunk, weights, means, prec_chol, "full")
                for chunk in chunks)
    weights, means, covariances, prec_chol = stats.m_step(reg_covar=1e-6)

K-means needs one more step to do exactly what ``KMeans.fit`` does when a
cluster ends up empty: a second map that collects each chunk's rows farthest
from their centres (``kmeans_relocation_candidates``), and
``KMeansStatistics.relocate_empty_clusters`` on their sum.

The statistics classes are plain data (NumPy arrays and floats): they pickle
cheaply and add with ``+``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _core
from ._validation import (
    check_array,
    check_binary_array,
    check_choice,
    check_float,
    check_int,
    check_n_threads,
)

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def _nk_eps(dtype):
    """scikit-learn's ``10 * eps`` added to every N_k, for the data's type."""
    return 10.0 * float(np.finfo(dtype).eps)


def _flat(a, covariance_type, n_features):
    """An array in scikit-learn's covariance shape, in the core's flat layout."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    if covariance_type in ("full", "tied"):
        return a.reshape(-1, n_features * n_features)
    if covariance_type == "spherical":
        return a.reshape(-1, 1)
    return a


def _unflat(a, covariance_type, n_components, n_features):
    shape = {
        "full": (n_components, n_features, n_features),
        "tied": (n_features, n_features),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
    }[covariance_type]
    return a.reshape(shape)


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

    Attributes
    ----------
    covariance_type : {"full", "tied", "diag", "spherical"}
    dtype : {"float32", "float64"}
        Type of the data the sums came from; it sets the ``10 * eps`` added to
        every N_k in the M-step, as scikit-learn does.
    shift : ndarray of shape (n_components, n_features)
    resp_sum : ndarray of shape (n_components,)
    first : ndarray of shape (n_components, n_features)
    second : ndarray of shape (n_components, n_features, n_features) or (n_components, n_features)
    log_likelihood : float
    weight_sum : float
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
        return self.shift.shape[0]

    @property
    def n_features(self):
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
        means : ndarray of shape (n_components, n_features)
        covariances : ndarray
            In scikit-learn's shape for ``covariance_type``.
        precisions_cholesky : ndarray
            Same shape; raises ValueError when a covariance is not positive
            definite (increase ``reg_covar``).
        """
        out = self._m_step_flat(
            check_float(reg_covar, "reg_covar", minimum=0.0),
            normalize_by_sample_weight,
        )
        k, d, t = self.n_components, self.n_features, self.covariance_type
        return (
            out["weights"],
            out["means"],
            _unflat(out["covariances"], t, k, d),
            _unflat(out["precisions_cholesky"], t, k, d),
        )

    def _m_step_flat(self, reg_covar, normalize_by_sample_weight=False):
        d = self.n_features
        second = self.second.reshape(self.n_components, -1)
        if self.covariance_type in ("full", "tied"):
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
            _nk_eps(self.dtype),
            bool(normalize_by_sample_weight),
        )


def _from_core(out, covariance_type, dtype, shift):
    k, d = shift.shape
    second = out["second"]
    if covariance_type in ("full", "tied"):
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

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        One chunk of rows; float32 is processed in float32 (float64 sums).
    weights : array-like of shape (n_components,)
    means : array-like of shape (n_components, n_features)
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
    """
    covariance_type = check_choice(covariance_type, "covariance_type", COVARIANCE_TYPES)
    X = check_array(X, min_samples=0)
    means = np.ascontiguousarray(means, dtype=np.float64)
    if means.ndim != 2 or means.shape[1] != X.shape[1]:
        raise ValueError(
            f"means must have shape (n_components, {X.shape[1]}), got {means.shape}"
        )
    k, d = means.shape
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if weights.shape != (k,):
        raise ValueError(f"weights must have shape ({k},), got {weights.shape}")
    chol = np.asarray(precisions_cholesky, dtype=np.float64)
    shape = {
        "full": (k, d, d),
        "tied": (d, d),
        "diag": (k, d),
        "spherical": (k,),
    }[covariance_type]
    if chol.shape != shape:
        raise ValueError(
            f"precisions_cholesky must have shape {shape} for covariance_type="
            f"{covariance_type!r}, got {chol.shape}"
        )
    w = _check_chunk_weight(sample_weight, X.shape[0])
    out = _core.gmm_statistics(
        X,
        w,
        weights,
        means,
        _flat(chol, covariance_type, d),
        covariance_type,
        check_n_threads(n_threads),
    )
    return _from_core(out, covariance_type, X.dtype, means)


def _check_chunk_weight(sample_weight, n_samples):
    """Weights of one chunk: as check_sample_weight, but a zero sum is allowed."""
    if sample_weight is None:
        return None
    w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    if w.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X, got {w.shape}"
        )
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("sample_weight must be finite and non-negative")
    return w


@dataclass
class KMeansStatistics:
    """Sums over rows that a K-means (Lloyd) M-step needs.

    Every row goes to its nearest centre (squared Euclidean distance, ties to
    the lower index); per centre k:

    - ``sums[k] = Σ w_i x_i`` over its members
    - ``weights[k] = Σ w_i`` over its members
    - ``counts[k]``: members of positive weight
    - ``inertia = Σ_i w_i ||x_i - c(x_i)||²`` against ``centers``

    Statistics against the same centres add with ``+``.

    Attributes
    ----------
    centers : ndarray of shape (n_clusters, n_features)
    sums : ndarray of shape (n_clusters, n_features)
    weights : ndarray of shape (n_clusters,)
    counts : ndarray of shape (n_clusters,), int64
    inertia : float
    """

    centers: np.ndarray
    sums: np.ndarray
    weights: np.ndarray
    counts: np.ndarray
    inertia: float = 0.0

    def __add__(self, other):
        if isinstance(other, int) and other == 0:
            return self
        if not isinstance(other, KMeansStatistics):
            return NotImplemented
        if other.centers.shape != self.centers.shape or not np.array_equal(
            other.centers, self.centers
        ):
            raise ValueError("only statistics against the same centers can be added")
        return KMeansStatistics(
            self.centers,
            self.sums + other.sums,
            self.weights + other.weights,
            self.counts + other.counts,
            self.inertia + other.inertia,
        )

    __radd__ = __add__

    @property
    def empty_clusters(self):
        """Indices of the clusters without a member of positive weight."""
        return np.flatnonzero(self.counts == 0)

    def relocate_empty_clusters(self, candidates):
        """Give every empty cluster one row, as ``KMeans.fit`` does.

        The rows farthest from their own centre (exact float64 squared
        distance) go to the empty clusters, the farthest to the empty cluster
        of lowest index; ties between rows go to the lower row index first. A
        row moves only if its distance is positive and its cluster keeps
        another member, so no other cluster empties; an empty cluster left
        without a row keeps its centre. The sums, weights and counts become
        those of the moved rows assigned to their new clusters.

        Parameters
        ----------
        candidates : RelocationCandidates
            The sum over all chunks of ``kmeans_relocation_candidates`` against
            the same centres (and shift) as these statistics. Its
            ``n_clusters`` best rows are always enough: each empty cluster
            takes one row, and at most one row per other cluster is passed
            over.

        Returns
        -------
        stats : KMeansStatistics
            The statistics after the moves (``self`` when no cluster is empty).
        moves : ndarray of shape (n_moved, 2), int64
            (row index, new cluster) of every moved row, in the order moved.
        """
        if not isinstance(candidates, RelocationCandidates):
            raise TypeError(
                "candidates must be a RelocationCandidates (the sum of "
                f"kmeans_relocation_candidates), got {type(candidates).__name__}"
            )
        if candidates.centers.shape != self.centers.shape or not np.array_equal(
            candidates.centers, self.centers
        ):
            raise ValueError(
                "candidates must be taken against the same centers as the statistics"
            )
        moves = []
        empty = self.empty_clusters
        if empty.size == 0:
            return self, np.zeros((0, 2), dtype=np.int64)
        sums = self.sums.copy()
        weights = self.weights.copy()
        counts = self.counts.copy()
        nxt, m = 0, candidates.index.shape[0]
        for e in empty:
            while nxt < m and counts[candidates.label[nxt]] < 2:
                nxt += 1
            if nxt == m:
                break
            r = nxt
            nxt += 1
            src = candidates.label[r]
            w = candidates.weight[r]
            wx = w * candidates.values[r]
            counts[src] -= 1
            counts[e] = 1
            weights[src] -= w
            weights[e] = w
            sums[src] -= wx
            sums[e] = wx
            moves.append((candidates.index[r], e))
        stats = KMeansStatistics(self.centers, sums, weights, counts, self.inertia)
        return stats, np.array(moves, dtype=np.int64).reshape(-1, 2)

    def m_step(self):
        """New centres, shape (n_clusters, n_features): the weighted mean of
        every cluster's members; a cluster without members keeps its centre.

        ``KMeans.fit`` first relocates empty clusters (see
        ``relocate_empty_clusters``); this method alone does not."""
        centers = self.centers.copy()
        full = self.counts > 0
        centers[full] = self.sums[full] / self.weights[full, None]
        return centers


def _kmeans_from_core(out, centers):
    return KMeansStatistics(
        centers, out["sums"], out["weights"], out["counts"], float(out["inertia"])
    )


def _check_chunk_centers(X, centers, shift):
    """(X, centers, shift) of a K-means chunk function, validated; shift
    defaults to the mean of the centres."""
    X = check_array(X, min_samples=0)
    centers = np.ascontiguousarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[1] != X.shape[1] or centers.shape[0] < 1:
        raise ValueError(
            f"centers must have shape (n_clusters, {X.shape[1]}), got {centers.shape}"
        )
    if shift is None:
        shift = centers.mean(axis=0)
    shift = np.ascontiguousarray(shift, dtype=np.float64)
    if shift.shape != (X.shape[1],):
        raise ValueError(f"shift must have shape ({X.shape[1]},), got {shift.shape}")
    return X, centers, shift


def kmeans_statistics(X, centers, *, sample_weight=None, shift=None, n_threads=None):
    """K-means statistics of a chunk of rows against given centres.

    One pass over ``X`` on the native core (GIL released): nearest centres,
    fused with the per-centre sums of the M-step and the inertia. The sum of
    the statistics of all chunks, passed to :meth:`KMeansStatistics.m_step`,
    is one Lloyd iteration.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    centers : array-like of shape (n_clusters, n_features)
    sample_weight : array-like of shape (n_samples,), optional
    shift : array-like of shape (n_features,), optional
        Point the distances are computed about (``||x - c||² = ||(x - s) -
        (c - s)||²``); a point near the data, such as its column mean (what
        ``KMeans.fit`` uses), avoids cancellation. Only rounding depends on
        it. Default: the mean of the centres.
    n_threads : int, optional
        Threads for this chunk; None uses every usable core.

    Returns
    -------
    KMeansStatistics
    """
    X, centers, shift = _check_chunk_centers(X, centers, shift)
    w = _check_chunk_weight(sample_weight, X.shape[0])
    out = _core.kmeans_statistics(
        X, w, centers, shift, False, check_n_threads(n_threads)
    )
    return _kmeans_from_core(out, centers)


@dataclass
class RelocationCandidates:
    """The rows farthest from their own centre, for relocating empty clusters.

    At most ``n_clusters`` rows, sorted by squared distance to the centre of
    their cluster (exact float64, largest first), ties by row index; rows of
    zero distance or zero weight are never candidates. Candidates of
    different chunks against the same centres add with ``+``, keeping the
    best ``n_clusters`` of both, so the sum over all chunks holds the best
    rows of the whole data set whatever the chunking.

    Attributes
    ----------
    centers : ndarray of shape (n_clusters, n_features)
    index : ndarray of shape (n_candidates,), int64
        Row index in the whole data set (the chunk's ``row_offset`` added).
    distance : ndarray of shape (n_candidates,)
    label : ndarray of shape (n_candidates,), int64
        The row's nearest centre.
    weight : ndarray of shape (n_candidates,)
    values : ndarray of shape (n_candidates, n_features)
        The rows themselves, in float64.
    """

    centers: np.ndarray
    index: np.ndarray
    distance: np.ndarray
    label: np.ndarray
    weight: np.ndarray
    values: np.ndarray

    def __add__(self, other):
        if isinstance(other, int) and other == 0:
            return self
        if not isinstance(other, RelocationCandidates):
            return NotImplemented
        if other.centers.shape != self.centers.shape or not np.array_equal(
            other.centers, self.centers
        ):
            raise ValueError("only candidates against the same centers can be added")
        return _best_candidates(
            self.centers,
            np.concatenate([self.index, other.index]),
            np.concatenate([self.distance, other.distance]),
            np.concatenate([self.label, other.label]),
            np.concatenate([self.weight, other.weight]),
            np.concatenate([self.values, other.values]),
        )

    __radd__ = __add__


def _best_candidates(centers, index, distance, label, weight, values):
    """The first n_clusters rows by (distance descending, index ascending)."""
    keep = np.lexsort((index, -distance))[: centers.shape[0]]
    return RelocationCandidates(
        centers, index[keep], distance[keep], label[keep], weight[keep], values[keep]
    )


def _relocation_candidates(x, w, centers, shift, row_offset, n_threads):
    """RelocationCandidates of a validated C-contiguous chunk."""
    labels = _core.kmeans_statistics(x, w, centers, shift, True, n_threads)["labels"]
    dist = _core.kmeans_own_distances(x, w, centers, labels, n_threads)
    rows = np.flatnonzero(dist > 0)
    if rows.size > centers.shape[0]:
        # Every row of distance >= the n_clusters-th largest: a superset of
        # the best n_clusters, ties included, without sorting the chunk.
        cut = np.partition(dist[rows], rows.size - centers.shape[0])
        rows = rows[dist[rows] >= cut[rows.size - centers.shape[0]]]
    return _best_candidates(
        centers,
        rows.astype(np.int64) + int(row_offset),
        dist[rows],
        labels[rows],
        np.ones(rows.size) if w is None else w[rows],
        x[rows].astype(np.float64),
    )


def kmeans_relocation_candidates(
    X, centers, *, sample_weight=None, shift=None, row_offset=0, n_threads=None
):
    """The rows of a chunk that could fill an empty K-means cluster.

    When the summed :class:`KMeansStatistics` of an iteration have an empty
    cluster, ``KMeans.fit`` gives it the row farthest from its own centre.
    This is that search on one chunk: its ``n_clusters`` rows farthest from
    their nearest centre (squared Euclidean distance in float64). The sum of
    the candidates of all chunks goes to
    :meth:`KMeansStatistics.relocate_empty_clusters`::

        stats = sum(kmeans_statistics(c, centers, shift=s) for c in chunks)
        if stats.empty_clusters.size:
            cands = sum(kmeans_relocation_candidates(c, centers, shift=s,
                                                     row_offset=start_of(c))
                        for c in chunks)
            stats, moves = stats.relocate_empty_clusters(cands)
        centers = stats.m_step()

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    centers : array-like of shape (n_clusters, n_features)
    sample_weight : array-like of shape (n_samples,), optional
    shift : array-like of shape (n_features,), optional
        As in :func:`kmeans_statistics`; use the same value, so that the
        nearest centres are those the statistics were taken with.
    row_offset : int, default=0
        Index of the chunk's first row in the whole data set: candidates are
        ranked by it among equal distances, and ``moves`` report it.
    n_threads : int, optional

    Returns
    -------
    RelocationCandidates
    """
    X, centers, shift = _check_chunk_centers(X, centers, shift)
    row_offset = check_int(row_offset, "row_offset", minimum=0)
    w = _check_chunk_weight(sample_weight, X.shape[0])
    return _relocation_candidates(
        X, w, centers, shift, row_offset, check_n_threads(n_threads)
    )


@dataclass
class BernoulliStatistics:
    """Sums over rows that an M-step of a mixture of Bernoullis needs.

    With responsibilities γ_ik from the E-step and row weights w_i:

    - ``resp_sum[k] = Σ_i w_i γ_ik``
    - ``x_sum[k] = Σ_i w_i γ_ik x_i``
    - ``log_likelihood = Σ_i w_i log p(x_i)``, ``weight_sum = Σ_i w_i``

    Statistics of the same data type add with ``+`` (``sum()`` works too).

    Attributes
    ----------
    dtype : {"float32", "float64"}
        Type the sums were computed in; it sets the ``10 * eps`` added to
        every N_k in the M-step.
    resp_sum : ndarray of shape (n_components,)
    x_sum : ndarray of shape (n_components, n_features)
    log_likelihood : float
    weight_sum : float
    """

    dtype: str
    resp_sum: np.ndarray
    x_sum: np.ndarray
    log_likelihood: float = 0.0
    weight_sum: float = 0.0

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
        return BernoulliStatistics(
            self.dtype,
            self.resp_sum + other.resp_sum,
            self.x_sum + other.x_sum,
            self.log_likelihood + other.log_likelihood,
            self.weight_sum + other.weight_sum,
        )

    __radd__ = __add__

    def m_step(self, alpha=1e-3):
        """Parameters from the summed statistics (``BernoulliMixture``'s M-step).

        θ_kd = (x_sum_kd + α) / (N_k + 2α), clipped to [1e-10, 1 - 1e-10], with
        N_k = resp_sum_k + 10·eps, and π_k = N_k / Σ_j N_j.

        Parameters
        ----------
        alpha : float, default=1e-3
            Additive smoothing, as ``BernoulliMixture(alpha=...)``.

        Returns
        -------
        weights : ndarray of shape (n_components,)
        probabilities : ndarray of shape (n_components, n_features)
        """
        out = self._m_step(check_float(alpha, "alpha", minimum=0.0))
        return out["weights"], out["probabilities"]

    def _m_step(self, alpha):
        return _core.bernoulli_m_step_from_statistics(
            np.ascontiguousarray(self.resp_sum, dtype=np.float64),
            np.ascontiguousarray(self.x_sum, dtype=np.float64),
            float(alpha),
            _nk_eps(self.dtype),
        )


def _bernoulli_from_core(out, dtype):
    return BernoulliStatistics(
        np.dtype(dtype).name,
        out["resp_sum"],
        out["x_sum"],
        float(out["log_likelihood"]),
        float(out["weight_sum"]),
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
        (float64 sums), anything else in float64.
    weights : array-like of shape (n_components,)
    probabilities : array-like of shape (n_components, n_features)
        θ, strictly between 0 and 1.
    sample_weight : array-like of shape (n_samples,), optional
        Zero weights are allowed (the chunk's sum may be zero).
    n_threads : int, optional
        Threads for this chunk; None uses every usable core.

    Returns
    -------
    BernoulliStatistics
    """
    from ._bernoulli import _check_probabilities

    X = check_binary_array(X, min_samples=0)
    theta = np.asarray(probabilities, dtype=np.float64)
    if theta.ndim != 2 or theta.shape[1] != X.shape[1]:
        raise ValueError(
            f"probabilities must have shape (n_components, {X.shape[1]}), got "
            f"{theta.shape}"
        )
    k = theta.shape[0]
    theta = _check_probabilities(theta, k, X.shape[1], "probabilities")
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if weights.shape != (k,):
        raise ValueError(f"weights must have shape ({k},), got {weights.shape}")
    if not (np.isfinite(weights).all() and (weights >= 0).all()):
        raise ValueError("weights must be finite and non-negative")
    w = _check_chunk_weight(sample_weight, X.shape[0])
    out = _core.bernoulli_statistics(X, w, weights, theta, check_n_threads(n_threads))
    return _bernoulli_from_core(out, X.dtype)
