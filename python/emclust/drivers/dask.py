"""Fitting on Dask arrays: EM as one map and one tree reduction per iteration.

Every iteration maps a model's per-chunk statistics (``gmm_chunk_task``,
``bernoulli_chunk_task`` or ``kmeans_chunk_task`` in ``emclust.models``, GIL
released) over the row chunks of the array, adds the chunks' statistics
pairwise in a binary tree of fixed shape (chunk order, so the same chunking
always gives the same bits), and brings the sum, a few kilobytes, back to the
driver, which runs the M-step and the convergence test exactly as the
in-memory fit does. The data never leave the workers.

This module knows how to cut, map and reduce; what is mapped, how a model is
initialised from a uniform sample of rows and how K-means relocates empty
clusters live with each model (``emclust.models``), which see the data only
through ``ChunkedData``'s ``map_reduce``, ``sample`` and ``total_weight``.

Dask is imported only when a Dask array is given (``pip install
'emclust[dask]'``); nothing else in emclust needs it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import operator

import numpy as np

from .._validation import check_n_threads, check_sample_weight
from ..models._common import as_chunk, no_restart_trace


def is_dask_collection(X):
    """Whether X is a Dask collection (checked without importing dask)."""
    return hasattr(X, "__dask_graph__") and not isinstance(X, np.ndarray)


def import_dask():
    try:
        import dask
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - dask is a test dependency
        raise ImportError(
            "fitting on a Dask array needs dask: pip install 'emclust[dask]'"
        ) from exc
    return dask, da


# --- the data on the cluster ------------------------------------------------------


class ChunkedData:
    """A validated Dask array cut into row chunks, with its sample weights.

    ``blocks`` and ``weight_blocks`` are one Delayed per row chunk; the
    column axis is one chunk, so each block is whole rows.
    """

    def __init__(self, X, sample_weight, n_threads):
        self.dask, self.da = import_dask()
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

    def mean_filled(self, weighted):
        """This data with every NaN replaced by the mean of its column's
        observed entries (weighted by sample_weight when ``weighted``): what
        the in-memory fits initialise from (the core's mean imputation). A
        feature observed in no row is an error that names it, as in memory.

        One pass over X (a column sum and count); integer and bool X have no
        NaN and come back unchanged, without a pass.
        """
        if self.X.dtype.kind != "f":
            return self
        da = self.da
        seen = ~da.isnan(self.X)
        values = da.where(seen, self.X, 0).astype(np.float64)
        counts = seen.sum(axis=0, dtype=np.float64)
        if weighted and self.w is not None:
            w = self.w[:, None]
            sums, weight, counts = self.compute(
                (values * w).sum(axis=0),
                (seen * w).sum(axis=0),
                counts,
                what="the column means of X",
            )
        else:
            sums, counts = self.compute(
                values.sum(axis=0), counts, what="the column means of X"
            )
            weight = counts
        never = np.flatnonzero(counts == 0)
        if never.size:
            raise ValueError(f"feature {never[0]} of X is missing in every row")
        if np.array_equal(counts, np.full(self.n_features, float(self.n_samples))):
            return self
        safe = np.where(weight > 0, weight, 1.0)
        means = np.where(weight > 0, sums / safe, 0.0).astype(self.X.dtype)
        filled = copy.copy(self)
        filled.X = da.where(seen, self.X, means)
        filled.blocks = list(filled.X.to_delayed()[:, 0])
        return filled

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
        return as_chunk(Xs, self.dtype, check=True), ws


# --- the EM loop of a mixture ------------------------------------------------------


def _converged(change, lower_bound, tol, relative_tol, weight_sum):
    if not relative_tol:
        return abs(change) < tol
    offset = 1.0 / weight_sum if weight_sum > 0 else 0.0
    return abs(change) <= tol * (offset + abs(lower_bound))


def fit_em(
    data,
    *,
    n_init,
    max_iter,
    tol,
    initial_params,
    e_step,
    m_step,
    warm=None,
    warm_lower_bound=-np.inf,
    progress=None,
    relative_tol=False,
):
    """EM of a mixture on chunked data, as the core's run_em.

    ``initial_params(restart)`` gives a restart's parameters,
    ``e_step(params, iteration, check)`` the summed statistics of a pass over
    the data (checking the values on the first pass), ``m_step(stats)`` the
    next parameters. With ``warm`` (parameters), one run continues from them
    with ``warm_lower_bound`` as the previous lower bound. With
    ``relative_tol``, mclust's rule: |change| <= tol (1 / W + |lower bound|)
    for the weight sum W (the core's EmOptions::relative_tol).

    Returns the best restart's parameters (a dict) updated with its trace:
    ``converged``, ``n_iter``, ``lower_bound``, ``lower_bounds``, the layout
    of the core's fit results.
    """
    n_init = 1 if warm is not None else int(n_init)
    checked = False
    best, best_trace = None, None
    for r in range(n_init):
        params = warm if warm is not None else initial_params(r)
        if max_iter == 0:
            best, best_trace = params, no_restart_trace()
            continue
        trace = {"converged": False, "n_iter": 0, "lower_bounds": []}
        lower_bound = warm_lower_bound if warm is not None else -np.inf
        for it in range(1, max_iter + 1):
            previous = lower_bound
            stats = e_step(params, it, not checked)
            checked = True
            if data.weight_sum is None:
                data.weight_sum = stats.weight_sum
            params = m_step(stats)
            lower_bound = stats.lower_bound
            trace["lower_bounds"].append(lower_bound)
            trace["n_iter"] = it
            change = lower_bound - previous
            if progress is not None:
                progress(r, it, lower_bound, change)
            if _converged(change, lower_bound, tol, relative_tol, data.weight_sum):
                trace["converged"] = True
                break
        trace["lower_bound"] = lower_bound
        if better_restart(trace, best_trace):
            best, best_trace = params, trace
    result = dict(best)
    result.update(best_trace)
    return result


def better_restart(trace, best_trace):
    """Whether a restart's trace beats the best so far (the first one always
    does, as does any after a best of -inf), as the in-memory fits decide."""
    return (
        best_trace is None
        or trace["lower_bound"] > best_trace["lower_bound"]
        or best_trace["lower_bound"] == -np.inf
    )


def cached_sample(data, size, seed, check=None):
    """A function returning the uniform sample of ``size`` rows that seeding
    runs on, drawn (and checked by ``check(rows)``) on its first call only."""
    cached = []

    def sample():
        if not cached:
            Xs, ws = data.sample(size, np.random.default_rng([seed, 0]))
            if check is not None:
                check(Xs)
            cached.append((Xs, ws))
        return cached[0]

    return sample


# --- inference: lazy maps over the row chunks ----------------------------------------


def rechunk_rows(X):
    """X as a 2-D Dask array of whole rows (one chunk across the columns)."""
    _, da = import_dask()
    if not isinstance(X, da.Array) or X.ndim != 2:
        raise TypeError("X must be a 2-D dask.array.Array")
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    return X


def map_rows(X, func, *args, n_columns=None, dtype):
    """func(block, *args) over the row chunks of X, lazily: a 1-D Dask array
    (n_columns None) or one of n_columns columns, with X's row chunks."""
    if n_columns is None:
        return X.map_blocks(func, *args, drop_axis=1, dtype=dtype)
    return X.map_blocks(func, *args, chunks=(X.chunks[0], (n_columns,)), dtype=dtype)


def float_dtype(X):
    """The floating type a fit computes X in."""
    return np.float32 if X.dtype == np.float32 else np.float64
