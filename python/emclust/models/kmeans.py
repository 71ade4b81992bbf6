"""K-means and K-medians: k-means++ seeding, sufficient statistics of a chunk
of rows against given centres, the relocation of empty clusters, and the
per-chunk tasks and Lloyd iterations of a chunked (Dask) fit.

K-means needs one more step than a mixture to do exactly what ``KMeans.fit``
does when a cluster ends up empty: a second map that collects each chunk's
rows farthest from their centres (``kmeans_relocation_candidates``), and
``KMeansStatistics.relocate_empty_clusters`` on their sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _core
from .._validation import (
    check_data,
    check_int,
    check_n_threads,
    check_sample_weight,
    csr_arrays,
    is_sparse,
    seed_from_random_state,
)
from ._common import as_chunk, as_weights, check_chunk_weight

INIT_METHODS = ("k-means++", "random")


def check_n_clusters(n_clusters, n_samples):
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1)
    if n_clusters > n_samples:
        raise ValueError(
            f"n_samples={n_samples} should be >= n_clusters={n_clusters}: every "
            "cluster needs at least one sample"
        )
    return n_clusters


def kmeans_plusplus(
    X,
    n_clusters,
    *,
    sample_weight=None,
    x_squared_norms=None,
    random_state=None,
    n_threads=None,
):
    """Choose initial centres by greedy k-means++ seeding.

    The first centre is a sample drawn with probability proportional to its
    weight. Each further centre is the best of ``2 + floor(ln n_clusters)``
    samples drawn with probability proportional to weight times the squared
    distance to the nearest centre chosen so far, "best" meaning the lowest
    weighted sum of squared distances once it is added (as scikit-learn's
    ``kmeans_plusplus``). The result depends on ``random_state`` only, not on
    ``n_threads``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        A scipy.sparse matrix is seeded on its nonzeros (CSR; other formats
        are converted); the same rows as dense data give the same centres.
    n_clusters : int
        Number of centres, at most ``n_samples``.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights; a sample of weight 0 is never chosen.
    x_squared_norms : array-like of shape (n_samples,), optional
        Accepted as in scikit-learn (its length is checked); the core
        computes distances about the column mean instead, so it is not used.
    random_state : int, RandomState, Generator or None
        Seed of the initialisation; an int gives the same fit on every platform.
    n_threads : int, optional
        Threads to use; None uses every usable core.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The chosen samples, in X's dtype (dense also for sparse X).
    indices : ndarray of shape (n_clusters,)
        Their row indices in X.
    """
    X = check_data(X, accept_sparse=True)
    n_clusters = check_n_clusters(n_clusters, X.shape[0])
    sample_weight = check_sample_weight(sample_weight, X.shape[0])
    if x_squared_norms is not None and len(x_squared_norms) != X.shape[0]:
        raise ValueError(
            f"The length of x_squared_norms {len(x_squared_norms)} should "
            f"be equal to the length of n_samples {X.shape[0]}."
        )
    indices = plusplus_rows(
        X,
        sample_weight,
        n_clusters,
        "l2",
        seed_from_random_state(random_state),
        check_n_threads(n_threads),
    )
    if is_sparse(X):
        return X[indices].toarray(), indices
    return X[indices].copy(), indices


# The core's functions for validated data: dense (a C-contiguous array) or
# sparse (a CSR matrix from check_csr, passed as its three arrays).


def plusplus_rows(X, sample_weight, n_clusters, metric, seed, n_threads):
    """Row indices of k-means++ (metric "l2") or its L1 variant ("l1")."""
    if is_sparse(X):
        return _core.sparse_kmeans_plusplus(
            *csr_arrays(X), sample_weight, n_clusters, metric, seed, n_threads
        )
    return _core.kmeans_plusplus(X, sample_weight, n_clusters, metric, seed, n_threads)


def assign(X, sample_weight, centers, metric, n_threads):
    """(labels, inertia) of validated X against fitted centres."""
    centers = np.ascontiguousarray(centers, dtype=np.float64)
    if is_sparse(X):
        return _core.sparse_kmeans_assign(
            *csr_arrays(X), sample_weight, centers, metric, n_threads
        )
    return _core.kmeans_assign(X, sample_weight, centers, metric, n_threads)


def distances(X, centers, metric, n_threads):
    """Distances of validated X to every centre, shape (n_samples, n_clusters)."""
    centers = np.ascontiguousarray(centers, dtype=np.float64)
    if is_sparse(X):
        return _core.sparse_kmeans_distances(*csr_arrays(X), centers, metric, n_threads)
    return _core.kmeans_distances(X, centers, metric, n_threads)


# --- sufficient statistics ------------------------------------------------------


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

    Parameters
    ----------
    centers : ndarray of shape (n_clusters, n_features)
        The centres the rows were assigned to.
    sums : ndarray of shape (n_clusters, n_features)
        Weighted sum of every cluster's members.
    weights : ndarray of shape (n_clusters,)
        Total weight of every cluster's members.
    counts : ndarray of shape (n_clusters,), int64
        Members of positive weight per cluster.
    inertia : float
        Weighted sum of squared distances to the nearest centre.
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
        """Return the new centres: the weighted mean of every cluster's members.

        A cluster without members keeps its centre. ``KMeans.fit`` first
        relocates empty clusters (see ``relocate_empty_clusters``); this
        method alone does not.

        Returns
        -------
        ndarray of shape (n_clusters, n_features)
            The centres of the next Lloyd iteration.
        """
        centers = self.centers.copy()
        full = self.counts > 0
        centers[full] = self.sums[full] / self.weights[full, None]
        return centers


def statistics_from_core(out, centers):
    return KMeansStatistics(
        centers, out["sums"], out["weights"], out["counts"], float(out["inertia"])
    )


def _check_chunk_centers(X, centers, shift):
    """(X, centers, shift) of a K-means chunk function, validated; shift
    defaults to the mean of the centres."""
    X = check_data(X, min_samples=0)
    centers = np.ascontiguousarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[1] != X.shape[1] or centers.shape[0] < 1:
        raise ValueError(
            f"centers must have shape (n_clusters, {X.shape[1]}), got {centers.shape}"
        )
    # A NaN centre or shift makes every distance NaN, and every row would
    # silently go to cluster 0 with a finite inertia.
    if not np.isfinite(centers).all():
        raise ValueError("centers contains NaN or infinity")
    if shift is None:
        shift = centers.mean(axis=0)
    shift = np.ascontiguousarray(shift, dtype=np.float64)
    if shift.shape != (X.shape[1],):
        raise ValueError(f"shift must have shape ({X.shape[1]},), got {shift.shape}")
    if not np.isfinite(shift).all():
        raise ValueError("shift contains NaN or infinity")
    return X, centers, shift


def kmeans_statistics(X, centers, *, sample_weight=None, shift=None, n_threads=None):
    """Compute the K-means statistics of a chunk of rows against given centres.

    One pass over ``X`` on the native core (GIL released): nearest centres,
    fused with the per-centre sums of the M-step and the inertia. The sum of
    the statistics of all chunks, passed to :meth:`KMeansStatistics.m_step`,
    is one Lloyd iteration.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        A chunk of rows.
    centers : array-like of shape (n_clusters, n_features)
        The centres, one row per cluster.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative row weights; None gives every row weight 1.
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
        The sums of this chunk; they add with ``+``.
    """
    X, centers, shift = _check_chunk_centers(X, centers, shift)
    w = check_chunk_weight(sample_weight, X.shape[0])
    out = _core.kmeans_statistics(
        X, w, centers, shift, False, check_n_threads(n_threads)
    )
    if not np.isfinite(out["inertia"]):
        # Squared distances beyond float64: every centre is "infinitely" far
        # and the nearest one is arbitrary.
        raise ValueError(
            "the inertia overflows floating point: X, centers or sample_weight "
            "are too large (rescale them)"
        )
    return statistics_from_core(out, centers)


@dataclass
class RelocationCandidates:
    """The rows farthest from their own centre, for relocating empty clusters.

    At most ``n_clusters`` rows, sorted by squared distance to the centre of
    their cluster (exact float64, largest first), ties by row index; rows of
    zero distance or zero weight are never candidates. Candidates of
    different chunks against the same centres add with ``+``, keeping the
    best ``n_clusters`` of both, so the sum over all chunks holds the best
    rows of the whole data set whatever the chunking.

    Parameters
    ----------
    centers : ndarray of shape (n_clusters, n_features)
        The centres the distances were measured against.
    index : ndarray of shape (n_candidates,), int64
        Row index in the whole data set (the chunk's ``row_offset`` added).
    distance : ndarray of shape (n_candidates,)
        Squared distance of each candidate to its centre, largest first.
    label : ndarray of shape (n_candidates,), int64
        The row's nearest centre.
    weight : ndarray of shape (n_candidates,)
        Sample weight of each candidate.
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


def relocation_candidates(x, w, centers, shift, row_offset, n_threads):
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
        A chunk of rows.
    centers : array-like of shape (n_clusters, n_features)
        The centres, one row per cluster.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative row weights; None gives every row weight 1.
    shift : array-like of shape (n_features,), optional
        As in :func:`kmeans_statistics`; use the same value, so that the
        nearest centres are those the statistics were taken with.
    row_offset : int, default=0
        Index of the chunk's first row in the whole data set: candidates are
        ranked by it among equal distances, and ``moves`` report it.
    n_threads : int, optional
        Threads for the core; None uses every usable core.

    Returns
    -------
    RelocationCandidates
        The best candidates of this chunk; they combine with ``+``.
    """
    X, centers, shift = _check_chunk_centers(X, centers, shift)
    row_offset = check_int(row_offset, "row_offset", minimum=0)
    w = check_chunk_weight(sample_weight, X.shape[0])
    out = relocation_candidates(
        X, w, centers, shift, row_offset, check_n_threads(n_threads)
    )
    if not np.isfinite(out.distance).all():  # as in kmeans_statistics
        raise ValueError(
            "squared distances overflow floating point: X or centers are too "
            "large (rescale them)"
        )
    return out


# --- a chunked (Dask) fit: per-chunk tasks and Lloyd iterations ----------------------

# k-means++ seeding runs on max(_SAMPLE_MIN, _SAMPLE_PER_CLUSTER * K) rows
# (all rows when there are fewer).
_SAMPLE_MIN = 10_000
_SAMPLE_PER_CLUSTER = 100


def sample_size(k):
    """Rows of the uniform sample a chunked fit seeds from."""
    return max(_SAMPLE_MIN, _SAMPLE_PER_CLUSTER * k)


def kmeans_chunk_task(block, w, dtype, n_threads, centers, shift):
    x, w = as_chunk(block, dtype), as_weights(w)
    out = _core.kmeans_statistics(x, w, centers, shift, False, n_threads)
    return statistics_from_core(out, centers)


def kmeans_changed_task(block, w, dtype, n_threads, offset, centers, shift, previous):
    """K-means statistics against centers, and how many labels differ from
    the previous iteration's (``previous``, a Labels)."""
    x, w = as_chunk(block, dtype), as_weights(w)
    out = _core.kmeans_statistics(x, w, centers, shift, True, n_threads)
    before = previous.of_chunk(x, w, offset, n_threads)
    changed = int(np.count_nonzero(out["labels"] != before))
    return statistics_from_core(out, centers), changed


def add_pairs(a, b):
    return a[0] + b[0], a[1] + b[1]


def candidates_task(block, w, dtype, n_threads, offset, centers, shift):
    x, w = as_chunk(block, dtype), as_weights(w)
    return relocation_candidates(x, w, centers, shift, offset, n_threads)


def inertia_task(block, w, dtype, n_threads, offset, labels, centers):
    """Σ w · ||x - centers[label]||² with the labels of a Labels."""
    x, w = as_chunk(block, dtype), as_weights(w)
    lab = labels.of_chunk(x, w, offset, n_threads)
    dist = _core.kmeans_own_distances(x, w, centers, lab, n_threads)
    return float(dist.sum() if w is None else w @ dist)


def moments_task(block, w, dtype, n_threads):
    """(rows, Σx, finite) of a chunk, for the column mean."""
    x = np.asarray(block)
    finite = bool(np.isfinite(x).all())
    return np.concatenate([[x.shape[0]], x.sum(axis=0, dtype=np.float64), [finite]])


def scatter_task(block, w, dtype, n_threads, mean):
    x = np.asarray(block, dtype=np.float64)
    return ((x - mean) ** 2).sum(axis=0)


def labels_block(block, dtype, labels, block_info=None):
    x = as_chunk(block, dtype)
    return labels.of_chunk(x, None, block_info[0]["array-location"][0][0])


class Labels:
    """The labels of a K-means iteration without storing them: every row's
    nearest centre (computed about ``shift``), then the rows that the
    relocation of empty clusters moved (``moves``: (row index, cluster))."""

    def __init__(self, centers, shift, moves=None):
        self.centers = centers
        self.shift = shift
        self.moves = np.zeros((0, 2), np.int64) if moves is None else moves

    def of_chunk(self, x, w, offset, n_threads=1):
        """Labels of the rows [offset, offset + len(x)) of the data."""
        out = _core.kmeans_statistics(x, w, self.centers, self.shift, True, n_threads)
        labels = out["labels"]
        rows = self.moves[:, 0] - offset
        mine = (rows >= 0) & (rows < x.shape[0])
        labels[rows[mine]] = self.moves[mine, 1]
        return labels


# --- K-means -------------------------------------------------------------------------


class LloydOnChunks:
    """Lloyd iterations on chunked data (the Dask driver's ChunkedData), as kmeans_detail::single_run does them."""

    def __init__(self, data):
        self.data = data
        moments = data.map_reduce(moments_task, what="the column mean of X")
        n = moments[0]
        if moments[-1] != len(data.blocks):
            raise ValueError("X contains NaN or infinity")
        # The column mean (unweighted, like the core's): the point distances
        # are computed about, and the centre of the variance behind tol.
        self.mean = moments[1:-1] / n
        self._variance = None

    def mean_feature_variance(self):
        if self._variance is None:
            scatter = self.data.map_reduce(
                scatter_task, self.mean, what="the variance of X"
            )
            self._variance = float(np.mean(scatter / self.data.n_samples))
        return self._variance

    def statistics(self, centers, what):
        return self.data.map_reduce(kmeans_chunk_task, centers, self.mean, what=what)

    def run(self, centers, max_iter, tol_abs):
        """Lloyd iterations as kmeans_detail::single_run does them.

        Returns (centres, inertia, n_iter, labels), labels a Labels. Every
        iteration: statistics against the centres; if a cluster is empty,
        one more map for the relocation candidates and the relocation on the
        driver; the M-step. Stops when no label changed, when the centres
        move by at most tol_abs (squared Frobenius norm) or after max_iter
        iterations.

        Labels are not stored, so "no label changed" is checked only where it
        can decide something: after an iteration without an empty cluster,
        unchanged labels give bit-identical sums, hence a zero move, which
        stops the loop anyway. After an iteration with one (rows were moved,
        or a cluster stayed empty) the next iteration's map also counts the
        labels that differ from the previous iteration's, recomputed from
        its centres and moves.
        """
        it = 0
        previous = None  # Labels of the last iteration when it had an empty cluster
        exact = False
        while it < max_iter:
            it += 1
            what = f"K-means iteration {it}"
            n_changed = None
            if previous is None:
                stats = self.statistics(centers, what)
            else:
                stats, n_changed = self.data.map_reduce(
                    kmeans_changed_task,
                    centers,
                    self.mean,
                    previous,
                    what=what,
                    combine=add_pairs,
                    with_offset=True,
                )
            had_empty = stats.empty_clusters.size > 0
            moves = None
            if had_empty:
                candidates = self.data.map_reduce(
                    candidates_task,
                    centers,
                    self.mean,
                    what=f"relocating empty clusters in K-means iteration {it}",
                    with_offset=True,
                )
                stats, moves = stats.relocate_empty_clusters(candidates)
            labels = Labels(centers, self.mean, moves)
            updated = stats.m_step()
            move = float(((updated - centers) ** 2).sum())
            centers = updated
            if n_changed == 0:
                exact = True
                break
            if move <= tol_abs:
                break
            previous = labels if had_empty else None
        if exact:
            # As the core: the inertia of the last iteration's labels (moved
            # rows included) against the final centres.
            inertia = self.data.map_reduce(
                inertia_task,
                labels,
                centers,
                what="the final K-means inertia",
                with_offset=True,
            )
        else:
            labels = Labels(centers, self.mean)
            inertia = self.statistics(centers, "the final K-means assignment").inertia
        return centers, inertia, it, labels


def seed_centers(data, k, init, seed, restarts):
    """Initial centres of every restart, from one uniform sample of rows."""
    rng = np.random.default_rng([seed, 0])
    Xs, ws = data.sample(sample_size(k), rng)
    if Xs.shape[0] < k:
        raise ValueError(f"n_clusters={k} must be <= n_samples={Xs.shape[0]}")
    out = []
    for r in range(restarts):
        if init == "k-means++":
            rows = _core.kmeans_plusplus(
                Xs, ws, k, "l2", (seed + r + 1) % 2**64, data.n_threads
            )
        else:  # "random": distinct rows with probability ∝ weight
            # One way of drawing with and without weights, so that unit
            # weights draw the rows no weights do.
            w = np.ones(Xs.shape[0]) if ws is None else ws
            p = w / w.sum()
            rows = np.random.default_rng([seed, r + 1]).choice(
                Xs.shape[0], k, replace=False, p=p
            )
        out.append(np.ascontiguousarray(Xs[rows], dtype=np.float64))
    return out


def chunked_fit(data, k, init, init_centers, n_init, max_iter, tol, seed):
    """Lloyd iterations of every restart on chunked data; the restart of the
    lowest inertia as (centres, inertia, n_iter, labels), labels a Labels."""
    run = LloydOnChunks(data)
    tol_abs = 0.0 if tol == 0 else tol * run.mean_feature_variance()
    if init == "array":
        seeds = [init_centers]
    else:
        seeds = seed_centers(data, k, init, seed, n_init)
    best = None
    for centers in seeds:
        result = run.run(centers, max_iter, tol_abs)
        if best is None or result[1] < best[1]:
            best = result
    return best


def score_task(block, w, dtype, n_threads, centers, shift):
    x, w = as_chunk(block, dtype, check=True), as_weights(w)
    return float(
        _core.kmeans_statistics(x, w, centers, shift, False, n_threads)["inertia"]
    )
