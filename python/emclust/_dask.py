"""Fitting on Dask arrays: EM as one map and one tree reduction per iteration.

Every iteration maps the native per-chunk statistics (``gmm_statistics``,
``bernoulli_statistics`` or ``kmeans_statistics``, GIL released) over the row
chunks of the array, adds the chunks' statistics pairwise in a binary tree of
fixed shape (chunk order, so the same chunking always gives the same bits),
and brings the sum, a few kilobytes, back to the driver, which runs the
M-step and the convergence test exactly as the in-memory fit does. The data
never leave the workers.

Initialisation must not need the whole data set in one place: k-means++ runs
on a uniform sample of rows (see ``_Data.sample``), after which K-means runs
Lloyd iterations over all rows on the cluster and the Gaussian mixture starts,
as scikit-learn's does, from those K-means labels.

K-means relocates empty clusters exactly as the in-memory fit does: when the
summed statistics show an empty cluster, one more map collects every chunk's
rows farthest from their centres (``kmeans_relocation_candidates``), the
driver keeps the best and moves rows as ``relocate_empty_clusters`` in
``kmeans.hpp`` does (``KMeansStatistics.relocate_empty_clusters``).

Dask is imported only when a Dask array is given (``pip install
'emclust[dask]'``); nothing else in emclust needs it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import operator
import warnings

import numpy as np

from . import _core
from ._statistics import (
    BernoulliStatistics,
    GaussianStatistics,
    KMeansStatistics,
    _bernoulli_from_core,
    _from_core,
    _kmeans_from_core,
    _nk_eps,
    _relocation_candidates,
)
from ._validation import check_n_threads, seed_from_random_state

# k-means++ seeding runs on max(_SAMPLE_MIN, _SAMPLE_PER_CLUSTER * K) rows
# (all rows when there are fewer).
_SAMPLE_MIN = 10_000
_SAMPLE_PER_CLUSTER = 100


def is_dask_collection(X):
    """Whether X is a Dask collection (checked without importing dask)."""
    return hasattr(X, "__dask_graph__") and not isinstance(X, np.ndarray)


def _import_dask():
    try:
        import dask
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - dask is a test dependency
        raise ImportError(
            "fitting on a Dask array needs dask: pip install 'emclust[dask]'"
        ) from exc
    return dask, da


# --- the data on the cluster ------------------------------------------------------


class _Data:
    """A validated Dask array cut into row chunks, with its sample weights.

    ``blocks`` and ``weight_blocks`` are one Delayed per row chunk; the
    column axis is one chunk, so each block is whole rows.
    """

    def __init__(self, X, sample_weight, n_threads):
        self.dask, self.da = _import_dask()
        da = self.da
        if not isinstance(X, da.Array):
            raise TypeError(
                f"X must be a dask.array.Array, got {type(X).__name__} (convert a "
                "Dask DataFrame with .to_dask_array(lengths=True))"
            )
        if X.ndim != 2:
            raise ValueError(f"X must be a 2-D array, got {X.ndim}-D")
        if any(np.isnan(c) for c in X.chunks[0]):
            raise ValueError(
                "X has unknown chunk sizes; call X.compute_chunk_sizes() first"
            )
        if X.dtype.kind not in "biuf":
            raise TypeError(f"X must be an array of real numbers, got dtype {X.dtype}")
        if X.shape[1] == 0:
            raise ValueError(f"X has no features (shape {X.shape})")
        if X.shape[0] < 1:
            raise ValueError("X has 0 sample(s), but at least 1 are needed")
        self.dtype = np.dtype(np.float32 if X.dtype == np.float32 else np.float64)
        if X.numblocks[1] != 1:
            X = X.rechunk({1: -1})
        self.X = X
        self.n_samples, self.n_features = X.shape
        self.n_threads = 1 if n_threads is None else check_n_threads(n_threads)
        self.blocks = list(X.to_delayed()[:, 0])
        # Index of every chunk's first row: tasks that rank or move rows by
        # their index in the whole array need it.
        self.offsets = [0, *np.cumsum(X.chunks[0])[:-1].tolist()]
        if sample_weight is None:
            self.w = None
            self.weight_blocks = [None] * len(self.blocks)
            self.weight_sum = float(self.n_samples)
        else:
            self.w = self._weights(sample_weight)
            self.weight_blocks = list(self.w.to_delayed())
            self.weight_sum = None  # computed with the first pass

    def _weights(self, sample_weight):
        da = self.da
        if isinstance(sample_weight, da.Array):
            w = sample_weight
            if w.ndim == 0:
                w = da.full(self.n_samples, w, chunks=(self.X.chunks[0],))
            if w.shape != (self.n_samples,):
                raise ValueError(
                    f"sample_weight must have shape ({self.n_samples},) to match X, "
                    f"got {w.shape}"
                )
            if w.dtype.kind not in "biuf":
                raise TypeError(f"sample_weight must be numeric, got dtype {w.dtype}")
            w = w.astype(np.float64).rechunk((self.X.chunks[0],))
            lo, total, finite = self.dask.compute(
                w.min(), w.sum(), da.isfinite(w).all()
            )
            if not finite:
                raise ValueError("sample_weight contains NaN or infinity")
            if lo < 0:
                raise ValueError("sample_weight must be non-negative")
            if not total > 0:
                raise ValueError("sample_weight must have a positive sum")
            return w
        from ._validation import check_sample_weight

        w = check_sample_weight(sample_weight, self.n_samples)
        return da.from_array(w, chunks=(self.X.chunks[0],))

    def map_reduce(
        self,
        func,
        *args,
        what="a pass over X",
        combine=operator.add,
        with_offset=False,
    ):
        """Sum of func(block, weights, dtype, n_threads, *args) over the row
        blocks (with ``with_offset``, the block's first row index comes
        before args); ``combine`` adds two results.

        The sums are added pairwise, neighbours first, in chunk order: a
        binary tree whose shape depends on the number of chunks only, so the
        result does not depend on where or when the tasks ran.
        """
        delayed = self.dask.delayed
        task = delayed(func, pure=True)
        parts = [
            task(
                b, w, self.dtype, self.n_threads, *((o,) if with_offset else ()), *args
            )
            for b, w, o in zip(self.blocks, self.weight_blocks, self.offsets)
        ]
        add = delayed(combine, pure=True)
        while len(parts) > 1:
            parts = [
                add(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i]
                for i in range(0, len(parts), 2)
            ]
        return self.compute(parts[0], what=what)

    def compute(self, *objs, what="a pass over X"):
        try:
            out = self.dask.compute(*objs)
        except (concurrent.futures.CancelledError, asyncio.CancelledError) as exc:
            raise RuntimeError(
                f"{what} was cancelled on the Dask cluster (was the client "
                "restarted or closed?); the estimator was left unchanged"
            ) from exc
        except Exception as exc:
            if type(exc).__module__.split(".")[0] == "distributed":
                raise RuntimeError(
                    f"{what} failed on the Dask cluster ({type(exc).__name__}: "
                    f"{exc}); the estimator was left unchanged"
                ) from exc
            raise
        return out[0] if len(objs) == 1 else out

    def total_weight(self):
        if self.weight_sum is None:
            self.weight_sum = float(self.compute(self.w.sum()))
        return self.weight_sum

    def sample(self, size, rng):
        """size rows drawn uniformly without replacement (all rows when fewer),
        in row order, with their weights. Which rows depends on the seed and
        the number of rows only, not on the chunking."""
        n = self.n_samples
        idx = np.arange(n) if size >= n else np.sort(rng.choice(n, size, replace=False))
        rows = self.X[idx] if size < n else self.X
        if self.w is None:
            Xs = self.compute(rows, what="drawing a sample of X")
            ws = None
        else:
            wrows = self.w[idx] if size < n else self.w
            Xs, ws = self.compute(rows, wrows, what="drawing a sample of X")
        return _as_chunk(Xs, self.dtype, check=True), ws


def _as_weights(w):
    return None if w is None else np.ascontiguousarray(w, dtype=np.float64)


def _as_chunk(block, dtype, check=False):
    x = np.ascontiguousarray(block, dtype=dtype)
    if check and not np.isfinite(x).all():
        raise ValueError("X contains NaN or infinity")
    return x


def _sample_size(k):
    return max(_SAMPLE_MIN, _SAMPLE_PER_CLUSTER * k)


# --- per-chunk tasks (run on the workers) ------------------------------------------


def _gmm_task(block, w, dtype, n_threads, type_, weights, means, chol, check):
    x, w = _as_chunk(block, dtype, check), _as_weights(w)
    out = _core.gmm_statistics(x, w, weights, means, chol, type_, n_threads)
    return _from_core(out, type_, dtype, means)


def _gmm_label_task(block, w, dtype, n_threads, offset, type_, labels, shift, second):
    x, w = _as_chunk(block, dtype), _as_weights(w)
    lab = labels.of_chunk(x, w, offset, n_threads)
    out = _core.gmm_label_statistics(x, lab, w, type_, shift, second, n_threads)
    return _from_core(out, type_, dtype, shift)


def _kmeans_task(block, w, dtype, n_threads, centers, shift):
    x, w = _as_chunk(block, dtype), _as_weights(w)
    out = _core.kmeans_statistics(x, w, centers, shift, False, n_threads)
    return _kmeans_from_core(out, centers)


def _kmeans_changed_task(block, w, dtype, n_threads, offset, centers, shift, previous):
    """K-means statistics against centers, and how many labels differ from
    the previous iteration's (``previous``, a _Labels)."""
    x, w = _as_chunk(block, dtype), _as_weights(w)
    out = _core.kmeans_statistics(x, w, centers, shift, True, n_threads)
    before = previous.of_chunk(x, w, offset, n_threads)
    changed = int(np.count_nonzero(out["labels"] != before))
    return _kmeans_from_core(out, centers), changed


def _add_pairs(a, b):
    return a[0] + b[0], a[1] + b[1]


def _candidates_task(block, w, dtype, n_threads, offset, centers, shift):
    x, w = _as_chunk(block, dtype), _as_weights(w)
    return _relocation_candidates(x, w, centers, shift, offset, n_threads)


def _inertia_task(block, w, dtype, n_threads, offset, labels, centers):
    """Σ w · ||x - centers[label]||² with the labels of a _Labels."""
    x, w = _as_chunk(block, dtype), _as_weights(w)
    lab = labels.of_chunk(x, w, offset, n_threads)
    dist = _core.kmeans_own_distances(x, w, centers, lab, n_threads)
    return float(dist.sum() if w is None else w @ dist)


def _bernoulli_task(block, w, dtype, n_threads, offset, weights, theta, check):
    if check:
        _check_binary_chunk(block, offset)
    x, w = _as_chunk(block, dtype), _as_weights(w)
    out = _core.bernoulli_statistics(x, w, weights, theta, n_threads)
    return _bernoulli_from_core(out, dtype)


def _check_binary_chunk(block, offset):
    x = np.asarray(block)
    ok = (x == 0) | (x == 1)
    if not ok.all():
        i, j = np.argwhere(~ok)[0]
        raise ValueError(
            f"X must be binary (every entry 0 or 1), got {x[i, j]!r} at "
            f"[{offset + i}, {j}]"
        )


def _log_likelihood_task(block, w, dtype, n_threads, est):
    """(Σ w log p(x), Σ w) of a chunk under a fitted mixture."""
    est = copy.copy(est)  # the threaded scheduler shares the driver's object
    est.n_threads = n_threads
    log_prob = est.score_samples(np.ascontiguousarray(block)).astype(np.float64)
    if w is None:
        return np.array([log_prob.sum(), log_prob.shape[0]], dtype=np.float64)
    w = _as_weights(w)
    return np.array([w @ log_prob, w.sum()])


def _moments_task(block, w, dtype, n_threads):
    """(rows, Σx, finite) of a chunk, for the column mean."""
    x = np.asarray(block)
    finite = bool(np.isfinite(x).all())
    return np.concatenate([[x.shape[0]], x.sum(axis=0, dtype=np.float64), [finite]])


def _scatter_task(block, w, dtype, n_threads, mean):
    x = np.asarray(block, dtype=np.float64)
    return ((x - mean) ** 2).sum(axis=0)


def _kmeans_labels_block(block, dtype, labels, block_info=None):
    x = _as_chunk(block, dtype)
    return labels.of_chunk(x, None, block_info[0]["array-location"][0][0])


class _Labels:
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


class _KMeansRun:
    """Lloyd iterations on a _Data, as kmeans_detail::single_run does them."""

    def __init__(self, data):
        self.data = data
        moments = data.map_reduce(_moments_task, what="the column mean of X")
        n = moments[0]
        if moments[-1] != n_chunks(data):
            raise ValueError("X contains NaN or infinity")
        # The column mean (unweighted, like the core's): the point distances
        # are computed about, and the centre of the variance behind tol.
        self.mean = moments[1:-1] / n
        self._variance = None

    def mean_feature_variance(self):
        if self._variance is None:
            scatter = self.data.map_reduce(
                _scatter_task, self.mean, what="the variance of X"
            )
            self._variance = float(np.mean(scatter / self.data.n_samples))
        return self._variance

    def statistics(self, centers, what):
        return self.data.map_reduce(_kmeans_task, centers, self.mean, what=what)

    def run(self, centers, max_iter, tol_abs):
        """Lloyd iterations as kmeans_detail::single_run does them.

        Returns (centres, inertia, n_iter, labels), labels a _Labels. Every
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
        previous = None  # _Labels of the last iteration when it had an empty cluster
        exact = False
        while it < max_iter:
            it += 1
            what = f"K-means iteration {it}"
            n_changed = None
            if previous is None:
                stats = self.statistics(centers, what)
            else:
                stats, n_changed = self.data.map_reduce(
                    _kmeans_changed_task,
                    centers,
                    self.mean,
                    previous,
                    what=what,
                    combine=_add_pairs,
                    with_offset=True,
                )
            had_empty = stats.empty_clusters.size > 0
            moves = None
            if had_empty:
                candidates = self.data.map_reduce(
                    _candidates_task,
                    centers,
                    self.mean,
                    what=f"relocating empty clusters in K-means iteration {it}",
                    with_offset=True,
                )
                stats, moves = stats.relocate_empty_clusters(candidates)
            labels = _Labels(centers, self.mean, moves)
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
                _inertia_task,
                labels,
                centers,
                what="the final K-means inertia",
                with_offset=True,
            )
        else:
            labels = _Labels(centers, self.mean)
            inertia = self.statistics(centers, "the final K-means assignment").inertia
        return centers, inertia, it, labels


def n_chunks(data):
    return len(data.blocks)


def _kmeans_seeds(data, k, init, seed, restarts):
    """Initial centres of every restart, from one uniform sample of rows."""
    rng = np.random.default_rng([seed, 0])
    Xs, ws = data.sample(_sample_size(k), rng)
    if Xs.shape[0] < k:
        raise ValueError(f"n_clusters={k} must be <= n_samples={Xs.shape[0]}")
    out = []
    for r in range(restarts):
        if init == "k-means++":
            rows = _core.kmeans_plusplus(
                Xs, ws, k, "l2", (seed + r + 1) % 2**64, data.n_threads
            )
        else:  # "random": distinct rows with probability ∝ weight
            p = None if ws is None else ws / ws.sum()
            rows = np.random.default_rng([seed, r + 1]).choice(
                Xs.shape[0], k, replace=False, p=p
            )
        out.append(np.ascontiguousarray(Xs[rows], dtype=np.float64))
    return out


def fit_kmeans(est, X, sample_weight):
    """KMeans.fit on a Dask array; sets the estimator's fitted attributes."""
    from ._kmeans import _check_n_clusters
    from ._validation import check_float, check_int

    data = _Data(X, sample_weight, est.n_threads)
    k = _check_n_clusters(est.n_clusters, data.n_samples)
    n_init = check_int(est.n_init, "n_init", minimum=1)
    max_iter = check_int(est.max_iter, "max_iter", minimum=1)
    tol = check_float(est.tol, "tol", minimum=0.0)
    init, init_centers = est._check_init(data.X, k)
    if init == "array" and n_init != 1:
        warnings.warn(
            f"Explicit initial centers given: running one initialisation "
            f"instead of n_init={n_init}",
            RuntimeWarning,
            stacklevel=3,
        )
        n_init = 1
    run = _KMeansRun(data)
    tol_abs = 0.0 if tol == 0 else tol * run.mean_feature_variance()
    if init == "array":
        seeds = [init_centers]
    else:
        seeds = _kmeans_seeds(
            data, k, init, seed_from_random_state(est.random_state), n_init
        )
    best = None
    for centers in seeds:
        result = run.run(centers, max_iter, tol_abs)
        if best is None or result[1] < best[1]:
            best = result
    centers, inertia, n_iter, labels = best
    est.cluster_centers_ = centers.astype(data.dtype, copy=False)
    est.labels_ = data.X.map_blocks(
        _kmeans_labels_block, data.dtype, labels, drop_axis=1, dtype=np.int64
    )
    est.inertia_ = float(inertia)
    est.n_iter_ = int(n_iter)
    est.n_features_in_ = data.n_features
    return est


# --- Gaussian mixture ----------------------------------------------------------------


def _gmm_estep(data, params, type_, it, check=False):
    d = data.n_features
    chol = np.ascontiguousarray(params["precisions_cholesky"], dtype=np.float64)
    if type_ in ("full", "tied"):
        chol = chol.reshape(-1, d * d)
    return data.map_reduce(
        _gmm_task,
        type_,
        np.ascontiguousarray(params["weights"], dtype=np.float64),
        np.ascontiguousarray(params["means"], dtype=np.float64),
        chol,
        check,
        what=f"EM iteration {it}",
    )


def _precisions_cholesky_from_precisions(p, type_, d):
    """The core's precision_cholesky_from_precisions, flat layout."""
    if type_ in ("full", "tied"):
        mats = p.reshape(-1, d, d)
        return np.stack([np.linalg.cholesky(m) for m in mats]).reshape(-1, d * d)
    return np.sqrt(p)


def _covariances_from_chol(chol, type_, d):
    if type_ in ("full", "tied"):
        out = []
        for c in chol.reshape(-1, d, d):
            out.append(np.linalg.inv(c @ c.T))
        return np.stack(out).reshape(-1, d * d)
    return 1.0 / chol**2


def _gmm_initial_params(est, data, k, rng_seed, restart, given, sample):
    """Parameters of one restart, as the core's detail::initial_params."""
    type_, d = est.covariance_type, data.n_features
    weights_init, means_init, precisions_init = given
    eps = _nk_eps(data.dtype)
    if (
        weights_init is not None
        and means_init is not None
        and precisions_init is not None
    ):
        p = {}
    elif est.init_params in ("k-means++", "random_from_data"):
        Xs, ws = sample()
        if est.init_params == "k-means++":
            rows = _core.kmeans_plusplus(
                Xs, ws, k, "l2", (rng_seed + restart + 1) % 2**64, data.n_threads
            )
        else:
            rng = np.random.default_rng([rng_seed, restart + 1])
            rows = rng.choice(Xs.shape[0], k, replace=False)
        # One-hot responsibilities at k rows: each mean on its row, each
        # covariance reg_covar alone.
        second_shape = (k, d, d) if type_ in ("full", "tied") else (k, d)
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
        p = st._m_step_flat(est.reg_covar, normalize_by_sample_weight=True)
    elif est.init_params == "kmeans":
        run = _KMeansRun(data)
        seeds = _kmeans_seeds(data, k, "k-means++", rng_seed + restart, 1)
        # The K-means fit of KMeans on Dask (same Lloyd iterations, same
        # relocation of empty clusters), with KMeans's defaults.
        _, _, _, labels = run.run(seeds[0], 300, 1e-4 * run.mean_feature_variance())
        # Statistics of the K-means labels in two passes: the means from sums
        # about the origin, then the scatter about those means.
        zero = np.zeros((k, d))
        first = data.map_reduce(
            _gmm_label_task, type_, labels, zero, False, what="init", with_offset=True
        )
        means = np.ascontiguousarray(first.first / (first.resp_sum + eps)[:, None])
        second = data.map_reduce(
            _gmm_label_task, type_, labels, means, True, what="init", with_offset=True
        )
        p = second._m_step_flat(est.reg_covar, normalize_by_sample_weight=True)
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
        p["precisions_cholesky"] = _precisions_cholesky_from_precisions(
            precisions_init, type_, d
        )
        p["covariances"] = _covariances_from_chol(p["precisions_cholesky"], type_, d)
    return p


def fit_gaussian_mixture(est, X, sample_weight, callback=None):
    """EM of GaussianMixture on a Dask array, as the core's run_em.

    Returns (the validated Dask array, the result in the layout of
    _core.gmm_fit); the caller sets the fitted attributes.
    """
    from ._validation import check_int

    data = _Data(X, sample_weight, est.n_threads)
    k = check_int(est.n_components, "n_components", minimum=1)
    if data.n_samples < k:
        raise ValueError(
            f"Expected n_samples >= n_components but got n_components = {k}, "
            f"n_samples = {data.n_samples}"
        )
    given = est._check_parameters(data.n_features)
    type_ = est.covariance_type
    max_iter, tol = int(est.max_iter), float(est.tol)
    seed = seed_from_random_state(est.random_state)
    progress = est._progress(callback) if est.verbose or callback is not None else None
    from ._gmm import _to_core

    warm = None
    lower_bound0 = -np.inf
    if est.warm_start and hasattr(est, "converged_"):
        est._check_n_features(data.X)
        d = data.n_features
        warm = {
            "weights": est.weights_,
            "means": est.means_,
            "covariances": _to_core(est.covariances_, type_, d),
            "precisions_cholesky": _to_core(est.precisions_cholesky_, type_, d),
        }
        lower_bound0 = est.lower_bound_

    cached = []

    def sample():
        if not cached:
            rng = np.random.default_rng([seed, 0])
            cached.append(data.sample(_sample_size(k), rng))
        return cached[0]

    n_init = 1 if warm is not None else int(est.n_init)
    checked = False
    best, best_trace = None, None
    for r in range(n_init):
        params = (
            warm
            if warm is not None
            else _gmm_initial_params(est, data, k, seed, r, given, sample)
        )
        if max_iter == 0:
            best = params
            best_trace = {
                "converged": False,
                "n_iter": 0,
                "lower_bound": -np.inf,
                "lower_bounds": [],
            }
            continue
        trace = {"converged": False, "n_iter": 0, "lower_bounds": []}
        lower_bound = lower_bound0 if warm is not None else -np.inf
        for it in range(1, max_iter + 1):
            previous = lower_bound
            stats = _gmm_estep(data, params, type_, it, check=not checked)
            checked = True
            if data.weight_sum is None:
                data.weight_sum = stats.weight_sum
            params = stats._m_step_flat(est.reg_covar)
            lower_bound = stats.lower_bound
            trace["lower_bounds"].append(lower_bound)
            trace["n_iter"] = it
            change = lower_bound - previous
            if progress is not None:
                progress(r, it, lower_bound, change)
            if abs(change) < tol:
                trace["converged"] = True
                break
        trace["lower_bound"] = lower_bound
        if _better_restart(trace, best_trace):
            best, best_trace = params, trace
    result = dict(best)
    result.update(best_trace)
    return data.X, result


def _better_restart(trace, best_trace):
    """Whether a restart's trace beats the best so far (the first one always
    does, as does any after a best of -inf), as the in-memory fits decide."""
    return (
        best_trace is None
        or trace["lower_bound"] > best_trace["lower_bound"]
        or best_trace["lower_bound"] == -np.inf
    )


# --- mixture of Bernoullis -----------------------------------------------------------


def _bernoulli_estep(data, params, it, check=False):
    return data.map_reduce(
        _bernoulli_task,
        np.ascontiguousarray(params["weights"], dtype=np.float64),
        np.ascontiguousarray(params["probabilities"], dtype=np.float64),
        check,
        what=f"EM iteration {it}",
        with_offset=True,
    )


def _bernoulli_initial_params(est, data, k, seed, restart, given, alpha, sample):
    """Parameters of one restart, as the core's bernoulli_initial_params."""
    weights_init, probabilities_init = given
    if weights_init is not None and probabilities_init is not None:
        return {"weights": weights_init, "probabilities": probabilities_init}
    if est.init_params == "random":
        raise ValueError(
            "init_params='random' is not supported on Dask arrays (its "
            "responsibilities would depend on the chunking); use 'k-means++' or "
            "'random_from_data', or give weights_init and probabilities_init"
        )
    Xs, ws = sample()
    if est.init_params == "k-means++":
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


def fit_bernoulli_mixture(est, X, sample_weight):
    """EM of BernoulliMixture on a Dask array, as the core's run_em.

    Returns (the validated Dask array, the result in the layout of
    _core.bernoulli_fit); the caller sets the fitted attributes.
    """
    data = _Data(X, sample_weight, est.n_threads)
    k, tol, alpha, max_iter, n_init, given = est._check_parameters(
        data.n_samples, data.n_features
    )
    seed = seed_from_random_state(est.random_state)
    cached = []

    def sample():
        if not cached:
            rng = np.random.default_rng([seed, 0])
            Xs, ws = data.sample(_sample_size(k), rng)
            ok = (Xs == 0) | (Xs == 1)
            if not ok.all():
                raise ValueError(
                    "X must be binary (every entry 0 or 1), got "
                    f"{Xs[~ok][0]!r} in a sampled row"
                )
            cached.append((Xs, ws))
        return cached[0]

    checked = False
    best, best_trace = None, None
    for r in range(n_init):
        params = _bernoulli_initial_params(est, data, k, seed, r, given, alpha, sample)
        if max_iter == 0:
            best = params
            best_trace = {
                "converged": False,
                "n_iter": 0,
                "lower_bound": -np.inf,
                "lower_bounds": [],
            }
            continue
        trace = {"converged": False, "n_iter": 0, "lower_bounds": []}
        lower_bound = -np.inf
        for it in range(1, max_iter + 1):
            previous = lower_bound
            stats = _bernoulli_estep(data, params, it, check=not checked)
            checked = True
            params = stats._m_step(alpha)
            lower_bound = stats.lower_bound
            trace["lower_bounds"].append(lower_bound)
            trace["n_iter"] = it
            if abs(lower_bound - previous) < tol:
                trace["converged"] = True
                break
        trace["lower_bound"] = lower_bound
        if _better_restart(trace, best_trace):
            best, best_trace = params, trace
    result = dict(best)
    result.update(best_trace)
    return data.X, result


# --- inference on Dask arrays ----------------------------------------------------------


def _mixture_block(block, est, what):
    x = np.ascontiguousarray(block)
    if what == "predict":
        return est.predict(x)
    if what == "predict_proba":
        return est.predict_proba(x)
    return est.score_samples(x)


def _check_dask_input(est, X, fitted_attribute):
    _, da = _import_dask()
    est._check_is_fitted(fitted_attribute)
    if not isinstance(X, da.Array) or X.ndim != 2:
        raise TypeError("X must be a 2-D dask.array.Array")
    est._check_n_features(X)
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    return X


def mixture_predict(est, X, what):
    """predict / predict_proba / score_samples of a fitted mixture
    (GaussianMixture, BernoulliMixture) on a Dask array, as a lazy Dask array
    with X's row chunks."""
    X = _check_dask_input(est, X, est._fitted_attribute)
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    if what == "predict":
        return X.map_blocks(_mixture_block, est, what, drop_axis=1, dtype=np.int64)
    if what == "predict_proba":
        k = est.weights_.shape[0]
        return X.map_blocks(
            _mixture_block, est, what, chunks=(X.chunks[0], (k,)), dtype=dtype
        )
    return X.map_blocks(_mixture_block, est, what, drop_axis=1, dtype=dtype)


def mixture_log_likelihood(est, X, sample_weight):
    """(Σ w log p(x), Σ w) of a fitted mixture over a Dask array: one map and
    one tree reduction, for score, bic and aic."""
    est._check_is_fitted(est._fitted_attribute)
    data = _Data(X, sample_weight, est.n_threads)
    est._check_n_features(data.X)
    total = data.map_reduce(_log_likelihood_task, est, what="the log-likelihood of X")
    return float(total[0]), float(total[1])


def kmeans_predict(est, X):
    """KMeans.predict on a Dask array, lazily."""
    X = _check_dask_input(est, X, "cluster_centers_")
    return X.map_blocks(
        _kmeans_method_block, est, "predict", drop_axis=1, dtype=np.int64
    )


def kmeans_transform(est, X):
    """KMeans.transform on a Dask array, lazily: (n_samples, n_clusters)."""
    X = _check_dask_input(est, X, "cluster_centers_")
    k = est.cluster_centers_.shape[0]
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    return X.map_blocks(
        _kmeans_method_block, est, "transform", chunks=(X.chunks[0], (k,)), dtype=dtype
    )


def _kmeans_method_block(block, est, method):
    return getattr(est, method)(np.ascontiguousarray(block))


def kmeans_score(est, X, sample_weight):
    """KMeans.score on a Dask array: minus the inertia, by one reduction.

    Distances are taken about the centres' mean (in memory: about X's column
    mean); that changes only which of two equidistant centres a row goes to,
    not the inertia beyond rounding."""
    est._check_is_fitted("cluster_centers_")
    data = _Data(X, sample_weight, est.n_threads)
    est._check_n_features(data.X)
    centers = np.ascontiguousarray(est.cluster_centers_, dtype=np.float64)
    return -data.map_reduce(
        _kmeans_score_task, centers, centers.mean(axis=0), what="the inertia of X"
    )


def _kmeans_score_task(block, w, dtype, n_threads, centers, shift):
    x, w = _as_chunk(block, dtype, check=True), _as_weights(w)
    return float(
        _core.kmeans_statistics(x, w, centers, shift, False, n_threads)["inertia"]
    )


__all__ = [
    "BernoulliStatistics",
    "KMeansStatistics",
    "fit_bernoulli_mixture",
    "fit_gaussian_mixture",
    "fit_kmeans",
]
