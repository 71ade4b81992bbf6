"""Seconds per EM iteration of Gaussian mixture implementations.

Shared by ``emclust bench`` and ``bench/compare_gmm.py``. Every
implementation starts from the same parameters and runs with tol=0, so each
iteration does the same work; the time per iteration is the difference
between a fit of m2 and one of m1 iterations divided by m2 - m1, which
removes the set-up costs (validation, initialisation, the final E-step);
each fit is repeated and the fastest kept (see ``per_iteration``).
"""

from __future__ import annotations

import time
import warnings

import numpy as np


def make_data(n, d, k, seed=0):
    """n points in d dimensions around k well-separated random centres."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 4, (k, d))
    return centers[rng.integers(0, k, n)] + rng.normal(size=(n, d))


def start(X, k, covariance_type):
    """Initial (weights, means, covariances): k evenly spaced rows as means,
    the mean feature variance on every diagonal, in scikit-learn's shape for
    ``covariance_type`` ("full", "tied", "diag" or "spherical")."""
    d = X.shape[1]
    means = X[np.linspace(0, len(X) - 1, k).astype(int)].astype(np.float64)
    weights = np.full(k, 1.0 / k)
    var = float(X.var(axis=0).mean())
    cov = {
        "full": lambda: np.stack([np.eye(d) * var] * k),
        "tied": lambda: np.eye(d) * var,
        "diag": lambda: np.full((k, d), var),
        "spherical": lambda: np.full(k, var),
    }[covariance_type]()
    return weights, means, cov


def precisions(cov, covariance_type):
    """The precisions_init that matches ``start``'s covariances."""
    return np.linalg.inv(cov) if covariance_type in ("full", "tied") else 1.0 / cov


def per_iteration(run, m1, m2, repeats):
    """(fastest run(m2) - fastest run(m1)) / (m2 - m1), the two interleaved
    ``repeats`` times. The fastest of several runs is what other work on a
    shared machine disturbs least (a median of differences can even come out
    negative there); NaN when noise still makes the difference non-positive."""
    best = {m1: float("inf"), m2: float("inf")}
    for _ in range(repeats):
        for m in (m1, m2):
            t0 = time.perf_counter()
            run(m)
            best[m] = min(best[m], time.perf_counter() - t0)
    s = (best[m2] - best[m1]) / (m2 - m1)
    return s if s > 0 else float("nan")


def _fit_quietly(gm, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter is reached on purpose
        gm.fit(X)


def emclust_runner(module, X, k, covariance_type, threads):
    """run(iters) fitting ``module.GaussianMixture`` (emclust or
    emclust.reference) for exactly ``iters`` iterations from ``start``."""
    import emclust

    weights, means, cov = start(X, k, covariance_type)
    prec = precisions(cov, covariance_type)
    kw = {"n_threads": threads} if module is emclust else {}

    def run(iters):
        gm = module.GaussianMixture(
            k,
            covariance_type=covariance_type,
            weights_init=weights,
            means_init=means,
            precisions_init=prec,
            max_iter=iters,
            tol=0.0,
            **kw,
        )
        _fit_quietly(gm, X)

    return run


def sklearn_runner(X, k, covariance_type, threads):
    """As ``emclust_runner`` for scikit-learn, with ``threads`` BLAS threads."""
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    weights, means, cov = start(X, k, covariance_type)
    prec = precisions(cov, covariance_type)

    def run(iters):
        gm = GaussianMixture(
            k,
            covariance_type=covariance_type,
            weights_init=weights,
            means_init=means,
            precisions_init=prec,
            max_iter=iters,
            tol=0.0,
        )
        with threadpool_limits(threads):
            _fit_quietly(gm, X)

    return run


def best_of(factory, threads, m1, m2, repeats):
    """Time factory(1) and factory(threads); return (seconds, threads) of the faster."""
    best = None
    for t in sorted({1, threads}):
        s = per_iteration(factory(t), m1, m2, repeats)
        if best is None or s < best[0] or np.isnan(best[0]):
            best = (s, t)
    return best


def iteration_counts(n, d, k):
    """(m1, m2) for per_iteration: fewer iterations on the largest problems."""
    return (1, 3) if n * k * d * d > 2e9 else (2, 6)
