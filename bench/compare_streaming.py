"""Online EM against batch EM, and the memory of an out-of-core fit.

Three measures (``emclust.drivers.streaming``):

- ``quality``: a mixture of K well-separated Gaussians in d dimensions,
  streamed in batches; one epoch of online EM against batch EM run to
  convergence, both from the same initial parameters (fit's k-means
  initialisation on the first batch). Prints the learning curves against
  wall time and rows processed (online: each batch's mean log-likelihood
  before it is learnt; batch: each iteration's lower bound) and the final
  mean log-likelihood of all rows under both models.
- ``speed``: rows per second of online EM (one epoch of ``partial_fit``
  steps) against one iteration of the in-memory batch EM (difference of
  warm-started fits of M2 and M1 iterations), fastest of ``--repeats``.
- ``memory``: writes a .npy file ``--factor`` times a memory budget, then
  in a child process limited to the budget (RLIMIT_DATA: heap and private
  anonymous memory; the read-only file mapping is not counted) runs exact
  block EM over ``np.load(path, mmap_mode="r")``; the peak anonymous
  memory (RssAnon of /proc/self/status, sampled at every block) and the
  peak resident set (VmHWM, file pages included) are printed.

    PYTHONPATH=python python bench/compare_streaming.py quality [--n 2000000]
    PYTHONPATH=python python bench/compare_streaming.py speed
    PYTHONPATH=python python bench/compare_streaming.py memory [--budget-mib 512]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import emclust
import numpy as np
from emclust.drivers.streaming import (
    GaussianModel,
    GaussianParams,
    OnlineEM,
    RowBlocks,
    block_em,
    exact_block_rows,
)
from emclust.exceptions import ConvergenceWarning


def mixture(n, d, k, seed=0, dtype=np.float64, rows_seed=None):
    """K well-separated Gaussians (centres ~ N(0, 10²), random covariances);
    ``seed`` fixes the mixture, ``rows_seed`` (default: seed) the rows."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=10.0, size=(k, d))
    scales = rng.uniform(0.5, 1.5, size=(k, d, d)) / np.sqrt(d)
    if rows_seed is not None:
        rng = np.random.default_rng([seed, rows_seed])
    X = np.empty((n, d), dtype=dtype)
    step = 1_000_000
    for a in range(0, n, step):
        m = min(step, n - a)
        z = rng.integers(0, k, m)
        X[a : a + m] = centres[z] + np.einsum(
            "nij,nj->ni", scales[z], rng.normal(size=(m, d))
        )
    return X


def initial(X, k, covariance_type="full"):
    """fit's initial parameters (k-means on X) and a model to warm-start."""
    g = emclust.GaussianMixture(
        k, covariance_type=covariance_type, max_iter=0, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        g.fit(X)
    p = GaussianParams(g.weights_, g.means_, g.covariances_, g.precisions_cholesky_)
    return g, p


def warm_fit(g, X, max_iter, tol, callback=None):
    g.set_params(warm_start=True, max_iter=max_iter, tol=tol)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        g.fit(X, callback=callback)
    return g


def _copy_init(g):
    c = emclust.GaussianMixture(g.n_components, covariance_type=g.covariance_type)
    for a in (
        "weights_",
        "means_",
        "covariances_",
        "precisions_cholesky_",
        "precisions_",
        "converged_",
        "lower_bound_",
        "n_features_in_",
    ):
        setattr(c, a, getattr(g, a))
    return c


def quality(args):
    n, d, k, batch = args.n, args.d, args.k, args.batch
    X = mixture(n, d, k)
    g, p = initial(X[:batch], k)
    model = GaussianModel("full")
    print(f"(n, d, K) = ({n}, {d}, {k}), batches of {batch}, full covariances")
    print("\n| method | rows processed | wall s | mean log-likelihood |")
    print("|---|---|---|---|", flush=True)
    online = OnlineEM(model, p)
    t0 = time.perf_counter()
    for a in range(0, n, batch):
        bound = online.partial_fit(X[a : a + batch])
        print(
            f"| online (batch, before its step) | {min(a + batch, n)} | "
            f"{time.perf_counter() - t0:.2f} | {bound:.5f} |",
            flush=True,
        )
    online_s = time.perf_counter() - t0
    online_ll = model.statistics(X, online.params).lower_bound
    print(
        f"| online, end of the epoch (all rows) | {n} | {online_s:.2f} | "
        f"{online_ll:.5f} |",
        flush=True,
    )

    iterations = []
    t0 = time.perf_counter()

    def report(init, it, lb, change):
        iterations.append(it)
        print(
            f"| batch EM (iteration bound) | {it * n} | "
            f"{time.perf_counter() - t0:.2f} | {lb:.5f} |",
            flush=True,
        )

    fitted = warm_fit(_copy_init(g), X, args.max_iter, args.tol, report)
    batch_s = time.perf_counter() - t0
    # The fit's last bound is that of the parameters before its last M-step;
    # the returned parameters are scored as the online ones are.
    q = GaussianParams(
        fitted.weights_, fitted.means_, fitted.covariances_, fitted.precisions_cholesky_
    )
    batch_ll = model.statistics(X, q).lower_bound
    gap = (batch_ll - online_ll) / abs(batch_ll)
    print(
        f"\none epoch of online EM: {online_s:.1f} s, mean log-likelihood of all rows "
        f"{online_ll:.5f}\nbatch EM: {len(iterations)} iterations "
        f"(converged: {fitted.converged_}), {batch_s:.1f} s, {batch_ll:.5f}\n"
        f"relative gap: {gap * 100:.3f} %"
    )


def speed(args):
    n, d, k, batch = args.n_speed, args.d, args.k, args.batch
    X = mixture(n, d, k, seed=1)
    g, p = initial(X[:batch], k)
    best_online = best_iter = np.inf
    for _ in range(args.repeats):
        online = OnlineEM(GaussianModel("full"), p)
        t = time.perf_counter()
        for a in range(0, n, batch):
            online.partial_fit(X[a : a + batch])
        best_online = min(best_online, time.perf_counter() - t)
        times = {}
        for m in (1, 3):
            t = time.perf_counter()
            warm_fit(_copy_init(g), X, m, 0.0)
            times[m] = time.perf_counter() - t
        best_iter = min(best_iter, (times[3] - times[1]) / 2)
    print(f"(n, d, K) = ({n}, {d}, {k}), batches of {batch}, full covariances")
    print("| path | s per pass | rows/s |")
    print("|---|---|---|")
    print(f"| batch EM, one iteration | {best_iter:.3f} | {n / best_iter:,.0f} |")
    print(
        f"| online EM, one epoch of partial_fit | {best_online:.3f} | {n / best_online:,.0f} |"
    )
    print(f"online / batch rows/s: {best_iter / best_online * 100:.0f} %")


def _status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # MiB
    return float("nan")


def memory_child(path, k, iterations):
    """Runs in the limited child: block EM over the memmap, sampling RssAnon."""
    M = np.load(path, mmap_mode="r")
    n, d = M.shape
    _, p = initial(np.array(M[:100_000]), k)
    model = GaussianModel("full")
    rows = exact_block_rows(model, n, d, k)
    peak = [_status("RssAnon")]
    base = peak[0]

    class Sampled(RowBlocks):
        def __iter__(self):
            for block in super().__iter__():
                yield block
                peak.append(_status("RssAnon"))

    t = time.perf_counter()
    _, trace = block_em(model, Sampled(M, rows), p, max_iter=iterations, tol=0.0)
    s = time.perf_counter() - t
    print(f"rows {n}, block rows {rows} ({rows * d * M.itemsize / 2**20:.1f} MiB)")
    print(f"iterations {trace.n_iter}, {s:.1f} s, lower bounds {trace.lower_bounds}")
    print(f"RssAnon before the fit {base:.0f} MiB, peak during {max(peak):.0f} MiB")
    print(f"VmHWM (peak resident, file pages included) {_status('VmHWM'):.0f} MiB")


def memory(args):
    budget = args.budget_mib << 20
    d, k = args.d, args.k
    n = (args.factor * budget) // (d * 8)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = os.path.join(tmp, "x.npy")
        out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, d))
        step = 1_000_000
        for a in range(0, n, step):
            out[a : a + step] = mixture(min(step, n - a), d, k, rows_seed=a)
        out.flush()
        del out
        size = os.path.getsize(path) / 2**20
        print(
            f"file {size:.0f} MiB = {size / args.budget_mib:.1f} x the budget of "
            f"{args.budget_mib} MiB (RLIMIT_DATA of the child)"
        )

        def limit():
            resource.setrlimit(resource.RLIMIT_DATA, (budget, budget))

        subprocess.run(
            [sys.executable, __file__, "_child", path, str(k), str(args.iterations)],
            preexec_fn=limit,
            check=True,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["quality", "speed", "memory", "_child"])
    parser.add_argument("rest", nargs="*")
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--n-speed", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--max-iter", type=int, default=100)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budget-mib", type=int, default=512)
    parser.add_argument("--factor", type=int, default=4)
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    if args.what == "_child":
        path, k, iterations = args.rest
        memory_child(path, int(k), int(iterations))
    else:
        {"quality": quality, "speed": speed, "memory": memory}[args.what](args)


if __name__ == "__main__":
    main()
