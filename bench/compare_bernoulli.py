"""Milliseconds per EM iteration of the mixture of Bernoullis: emclust (float64
and float32) vs the NumPy reference, at 1 and 2 threads.

    python bench/compare_bernoulli.py                       # (100000, 784, 10)
    python bench/compare_bernoulli.py --case 20000,64,10 --repeats 5

Both start from the same parameters and run with tol=0, so every iteration
does the same work. Per-iteration time is the difference between the fastest
run of m2 and of m1 iterations over --repeats, divided by m2 - m1 (set-up and
validation cancel). The reference's matrix products run on
NumPy's BLAS, limited to the same thread count with threadpoolctl. GFLOP/s
counts the two (n, d) x (d, k) products of an iteration: 4 n d k.
"""

from __future__ import annotations

import argparse
import warnings

import emclust
import numpy as np
from emclust._benchmark import per_iteration
from emclust.reference import bernoulli as ref
from threadpoolctl import threadpool_limits


def make_data(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0.05, 0.95, (k, d))
    z = rng.integers(0, k, n)
    X = np.empty((n, d), dtype=np.uint8)
    for start in range(0, n, 10_000):  # in slices: no (n, d) float temporary
        stop = min(n, start + 10_000)
        X[start:stop] = rng.random((stop - start, d)) < theta[z[start:stop]]
    return X


def start_params(X, k):
    rows = X[np.linspace(0, len(X) - 1, k).astype(int)].astype(np.float64)
    return np.full(k, 1.0 / k), np.clip(rows, 0.25, 0.75)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="100000,784,10", help="n,d,k")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--iters", default="2,6", help="m1,m2")
    args = parser.parse_args(argv)
    n, d, k = (int(v) for v in args.case.split(","))
    m1, m2 = (int(v) for v in args.iters.split(","))
    threads = [int(t) for t in args.threads.split(",")]
    X8 = make_data(n, d, k)
    weights, theta = start_params(X8, k)
    X64 = X8.astype(np.float64)
    X32 = X8.astype(np.float32)
    flops = 4.0 * n * d * k

    def native(X, t):
        def run(m):
            bm = emclust.BernoulliMixture(
                k,
                weights_init=weights,
                probabilities_init=theta,
                max_iter=m,
                tol=0.0,
                n_threads=t,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", emclust.ConvergenceWarning)
                bm.fit(X)
            return bm

        return run

    def reference(t):
        def run(m):
            with threadpool_limits(t):
                return ref.fit_em(X64, weights, theta, max_iter=m, tol=0.0)

        return run

    # The three agree before they are timed.
    a = native(X64, 1)(2).probabilities_
    b = ref.fit_em(X64, weights, theta, max_iter=2, tol=0.0)[1]
    c = native(X32, 1)(2).probabilities_
    assert np.allclose(a, b, rtol=1e-10) and np.allclose(c, b, rtol=1e-4)

    rows = []
    for t in threads:
        for name, run in (
            ("emclust float64", native(X64, t)),
            ("emclust float32", native(X32, t)),
            ("NumPy reference (float64)", reference(t)),
        ):
            sec = per_iteration(run, m1, m2, args.repeats)
            rows.append((name, t, sec))
    print(
        f"\nBernoulli mixture, n={n}, d={d}, k={k}: ms per EM iteration "
        f"(fastest of {args.repeats}, iterations {m1}->{m2})\n"
    )
    print("| implementation | threads | ms / iteration | GFLOP/s | vs reference |")
    print("|---|---:|---:|---:|---:|")
    ref_time = {t: s for name, t, s in rows if name.startswith("NumPy")}
    for name, t, sec in rows:
        print(
            f"| {name} | {t} | {sec * 1e3:.1f} | {flops / sec / 1e9:.1f} | "
            f"{ref_time[t] / sec:.1f}x |"
        )


if __name__ == "__main__":
    main()
