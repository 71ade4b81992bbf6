"""Cost of exact EM on data with missing (NaN) entries, in ms per EM iteration.

    python bench/compare_missing.py                        # (1000000, 8, 16) full
    python bench/compare_missing.py --case 200000,8,16 --repeats 3

Three tables:
1. no NaN: today's fit (``gmm_fit``) beside the missing-value entry point
   (``gmm_missing_fit``) on the same complete data; the latter checks for NaN
   and hands the data to the same kernels, so the two should match;
2. 10 % of the entries missing completely at random, full covariance: the
   missing-value iteration against the complete-data iteration on the same
   rows with nothing removed (the issue's target is at most 3x);
3. the cost as the number of distinct missingness patterns grows (each row's
   pattern drawn from P masks: the complete row and P - 1 random masks with
   at least one and on average ~10 % + 1/d missing), with the one-off
   grouping of rows by pattern (``gmm_missing_statistics`` of the whole data,
   which groups the rows on every call, minus one fit iteration).

Every fit starts from the same given parameters with tol=0, so every iteration
does the same work; per-iteration time is the difference between the fastest
fits of m2 and m1 iterations over --repeats, divided by m2 - m1 (set-up,
validation and the grouping by pattern cancel).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from emclust import _core
from emclust._benchmark import per_iteration


def make_data(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=4.0, size=(k, d))
    z = rng.integers(0, k, n)
    X = np.empty((n, d))
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        X[start:stop] = means[z[start:stop]] + rng.normal(size=(stop - start, d))
    return X


def start_params(X, k, seed=1):
    rng = np.random.default_rng(seed)
    d = X.shape[1]
    means = X[rng.choice(X.shape[0], k, replace=False)]
    precisions = np.repeat(np.eye(d)[np.newaxis], k, axis=0).reshape(k, d * d)
    return np.full(k, 1.0 / k), np.ascontiguousarray(means), precisions


def mcar(X, fraction, seed=2):
    rng = np.random.default_rng(seed)
    holes = rng.random(X.shape) < fraction
    holes[np.arange(X.shape[0]), rng.integers(0, X.shape[1], X.shape[0])] = False
    Y = X.copy()
    Y[holes] = np.nan
    return Y


def from_patterns(X, n_patterns, fraction=0.1, seed=3):
    """X with each row's NaN mask drawn from n_patterns distinct masks: the
    complete row and n_patterns - 1 random ones."""
    rng = np.random.default_rng(seed)
    n, d = X.shape
    masks = {np.zeros(d, dtype=bool).tobytes()}
    while len(masks) < n_patterns:
        m = rng.random(d) < fraction
        m[rng.integers(0, d)] = True
        if m.all():
            continue
        masks.add(m.tobytes())
    masks = np.array([np.frombuffer(m, dtype=bool) for m in masks])
    Y = X.copy()
    Y[masks[rng.integers(0, n_patterns, n)]] = np.nan
    return Y


def fitter(fn, X, k, params, threads):
    weights, means, precisions = params

    def run(m):
        return fn(
            X,
            None,
            k,
            "full",
            0.0,
            1e-6,
            m,
            1,
            "kmeans",
            weights,
            means,
            precisions,
            None,
            -np.inf,
            0,
            threads,
            None,
        )

    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="1000000,8,16", help="n,d,k")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--iters", default="1,4", help="m1,m2")
    parser.add_argument("--patterns", default="2,8,64,255", help="for table 3")
    parser.add_argument("--patterns-case", default="200000,8,16", help="n,d,k")
    args = parser.parse_args(argv)
    n, d, k = (int(v) for v in args.case.split(","))
    m1, m2 = (int(v) for v in args.iters.split(","))
    t = args.threads
    X = make_data(n, d, k)
    params = start_params(X, k)

    print(f"\n1. No NaN, (n={n}, d={d}, k={k}) full, {t} threads: ms per iteration\n")
    print("| entry point | ms / iteration |")
    print("|---|---:|")
    for name, fn in (
        ("gmm_fit (today)", _core.gmm_fit),
        ("gmm_missing_fit", _core.gmm_missing_fit),
    ):
        sec = per_iteration(fitter(fn, X, k, params, t), m1, m2, args.repeats)
        print(f"| {name} | {sec * 1e3:.1f} |")

    Y = mcar(X, 0.1)
    n_complete = int((~np.isnan(Y).any(axis=1)).sum())
    n_patterns = len(np.unique(np.isnan(Y), axis=0))
    print(
        f"\n2. 10% MCAR, (n={n}, d={d}, k={k}) full, {t} threads "
        f"({n_complete / n:.0%} of rows complete, {n_patterns} patterns)\n"
    )
    print("| data | ms / iteration | vs complete |")
    print("|---|---:|---:|")
    base = per_iteration(fitter(_core.gmm_fit, X, k, params, t), m1, m2, args.repeats)
    miss = per_iteration(
        fitter(_core.gmm_missing_fit, Y, k, params, t), m1, m2, args.repeats
    )
    print(f"| complete (today's kernels) | {base * 1e3:.1f} | 1.0x |")
    print(f"| 10% missing (exact EM) | {miss * 1e3:.1f} | {miss / base:.2f}x |")

    pn, pd, pk = (int(v) for v in args.patterns_case.split(","))
    Xp = make_data(pn, pd, pk, seed=5)
    pparams = start_params(Xp, pk)
    base = per_iteration(
        fitter(_core.gmm_fit, Xp, pk, pparams, t), m1, m2, args.repeats
    )
    print(
        f"\n3. Cost vs distinct patterns, (n={pn}, d={pd}, k={pk}) full, {t} threads "
        f"(complete data: {base * 1e3:.1f} ms / iteration)\n"
    )
    print("| patterns | ms / iteration | vs complete | grouping rows by pattern, ms |")
    print("|---:|---:|---:|---:|")
    for p in (int(v) for v in args.patterns.split(",")):
        Yp = from_patterns(Xp, p)
        sec = per_iteration(
            fitter(_core.gmm_missing_fit, Yp, pk, pparams, t), m1, m2, args.repeats
        )
        w, mu, prec = pparams
        best = float("inf")
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            _core.gmm_missing_statistics(Yp, None, w, mu, prec, "full", t)
            best = min(best, time.perf_counter() - t0)
        print(
            f"| {p} | {sec * 1e3:.1f} | {sec / base:.2f}x | "
            f"{max(0.0, best - sec) * 1e3:.1f} |"
        )


if __name__ == "__main__":
    main()
