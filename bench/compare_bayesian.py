"""Seconds per variational EM iteration: emclust.BayesianGaussianMixture vs
scikit-learn's, side by side in one run, for the four covariance types.

    python bench/compare_bayesian.py                       # 200,000 x 8, 10 components
    python bench/compare_bayesian.py --n 50000 --repeats 3

Both continue (warm_start, tol=0) from the same variational state, a
scikit-learn fit of one iteration, so every iteration does the same work.
Per-iteration time is (median time of an m2-iteration fit - median time of an
m1-iteration fit) / (m2 - m1) over --repeats interleaved runs: the
difference removes the per-fit costs (validation, priors from X, the final
E-step). scikit-learn runs with its default BLAS threads, emclust with
--threads (default: every core).
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import time
import warnings

import numpy as np
from emclust import BayesianGaussianMixture
from emclust._benchmark import make_data
from sklearn.mixture import BayesianGaussianMixture as SkBGM

STATE = (
    "weight_concentration_",
    "mean_precision_",
    "means_",
    "degrees_of_freedom_",
    "covariances_",
    "precisions_cholesky_",
    "lower_bound_",
    "converged_",
)


def _cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _fit(template, X, iters):
    est = copy.deepcopy(template)
    est.set_params(max_iter=iters)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter is reached on purpose
        t0 = time.perf_counter()
        est.fit(X)
        return time.perf_counter() - t0


def per_iteration(template, X, m1, m2, repeats):
    times = {m1: [], m2: []}
    for _ in range(repeats):
        for m in (m1, m2):
            times[m].append(_fit(template, X, m))
    return (np.median(times[m2]) - np.median(times[m1])) / (m2 - m1)


def templates(X, k, covariance_type, threads):
    params = dict(n_components=k, covariance_type=covariance_type, tol=0.0)
    sk = SkBGM(max_iter=1, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk.fit(X)
    sk.set_params(warm_start=True)
    ours = BayesianGaussianMixture(warm_start=True, n_threads=threads, **params)
    for name in STATE:
        setattr(ours, name, copy.deepcopy(getattr(sk, name)))
    return sk, ours


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=200_000)
    p.add_argument("--d", type=int, default=8)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--iters", default="2,6", help="m1,m2")
    args = p.parse_args(argv)
    m1, m2 = (int(v) for v in args.iters.split(","))
    X = make_data(args.n, args.d, args.k)
    print(f"CPU: {_cpu()}, {os.cpu_count()} logical cores")
    print(
        f"X: {args.n} x {args.d} float64, {args.k} components, median of {args.repeats}"
    )
    print(
        f"{'covariance':<10} {'sklearn s/it':>13} {'emclust s/it':>13} {'speed-up':>9}"
    )
    for ct in ("full", "tied", "diag", "spherical"):
        sk, ours = templates(X, args.k, ct, args.threads)
        s_sk = per_iteration(sk, X, m1, m2, args.repeats)
        s_ours = per_iteration(ours, X, m1, m2, args.repeats)
        print(f"{ct:<10} {s_sk:13.4f} {s_ours:13.4f} {s_sk / s_ours:8.1f}x")


if __name__ == "__main__":
    main()
