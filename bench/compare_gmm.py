"""Seconds per EM iteration: emclust vs the NumPy reference, scikit-learn and
Intel oneDAL (daal4py), side by side in one run.

    python bench/compare_gmm.py                 # the README grid
    python bench/compare_gmm.py --cases 100000,16,16 --threads 2 --repeats 5

Every implementation starts from the same parameters and runs with tol=0, so
each iteration does the same work. Per-iteration time is the difference
between a fit of m2 and of m1 iterations divided by m2 - m1, which removes
set-up costs (validation, initialisation, the final E-step); the median of
--repeats such differences is reported. Baselines get their best thread
setting: scikit-learn is timed with 1 and with n BLAS threads (threadpoolctl)
and oneDAL with 1 and n threads, and the faster is shown with its setting.
GFLOP/s counts 2·n·k·d² per iteration for full covariances and 2·n·k·d for
diagonal ones.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import warnings

import emclust
import numpy as np

GRID = [(100_000, 2, 8), (100_000, 16, 16), (1_000_000, 8, 16), (200_000, 64, 32)]


def make_data(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 4, (k, d))
    X = centers[rng.integers(0, k, n)] + rng.normal(size=(n, d))
    return X


def start(X, k, covariance_type):
    d = X.shape[1]
    means = X[np.linspace(0, len(X) - 1, k).astype(int)].astype(np.float64)
    weights = np.full(k, 1.0 / k)
    var = float(X.var(axis=0).mean())
    if covariance_type == "full":
        cov = np.stack([np.eye(d) * var] * k)
    else:
        cov = np.full((k, d), var)
    return weights, means, cov


def per_iteration(run, m1, m2, repeats):
    diffs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run(m1)
        t1 = time.perf_counter()
        run(m2)
        t2 = time.perf_counter()
        diffs.append(((t2 - t1) - (t1 - t0)) / (m2 - m1))
    return float(np.median(diffs))


def emclust_runner(module, X, k, ct, threads):
    weights, means, cov = start(X, k, ct)
    prec = np.linalg.inv(cov) if ct == "full" else 1.0 / cov
    kw = {} if module is not emclust else {"n_threads": threads}

    def run(iters):
        gm = module.GaussianMixture(
            k,
            covariance_type=ct,
            weights_init=weights,
            means_init=means,
            precisions_init=prec,
            max_iter=iters,
            tol=0.0,
            **kw,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gm.fit(X)

    return run


def sklearn_runner(X, k, ct, threads):
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    weights, means, cov = start(X, k, ct)
    prec = np.linalg.inv(cov) if ct == "full" else 1.0 / cov

    def run(iters):
        gm = GaussianMixture(
            k,
            covariance_type=ct,
            weights_init=weights,
            means_init=means,
            precisions_init=prec,
            max_iter=iters,
            tol=0.0,
        )
        with threadpool_limits(threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gm.fit(X)

    return run


def daal_runner(X, k, ct, threads):
    import daal4py as d4p

    weights, means, cov = start(X, k, ct)
    fptype = "float" if X.dtype == np.float32 else "double"
    covs = [c if ct == "full" else c.reshape(1, -1) for c in cov]
    storage = "full" if ct == "full" else "diagonal"

    def run(iters):
        d4p.daalinit(threads)
        algo = d4p.em_gmm(
            nComponents=k,
            maxIterations=iters,
            accuracyThreshold=0.0,
            covarianceStorage=storage,
            fptype=fptype,
        )
        algo.compute(
            X,
            weights.reshape(1, -1).astype(X.dtype),
            means.astype(X.dtype),
            [c.astype(X.dtype) for c in covs],
        )

    return run


def gemm_peak(threads):
    """GFLOP/s of a large float64 matmul on `threads` threads with OpenBLAS's
    AVX-512 kernel, measured in a fresh process (the kernel is chosen at load)."""
    code = (
        "import numpy as np, time\n"
        "a = np.random.default_rng(0).random((4000, 4000)); a @ a\n"
        "ts = []\n"
        "for _ in range(5):\n"
        "    t = time.perf_counter(); a @ a; ts.append(time.perf_counter() - t)\n"
        "print(2 * 4000**3 / min(ts) / 1e9)\n"
    )
    env = dict(
        os.environ,
        OPENBLAS_CORETYPE="SkylakeX",
        OPENBLAS_NUM_THREADS=str(threads),
        OMP_NUM_THREADS=str(threads),
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    return float(out.stdout.strip()) if out.returncode == 0 else float("nan")


def best_of(factory, threads, m1, m2, repeats):
    """Time a baseline with 1 and with `threads` threads; return the faster."""
    best = None
    for t in sorted({1, threads}):
        s = per_iteration(factory(t), m1, m2, repeats)
        if best is None or s < best[0]:
            best = (s, t)
    return best


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", nargs="*", default=None, help="n,d,k triples")
    p.add_argument("--covariance-types", nargs="*", default=["full", "diag"])
    p.add_argument("--dtypes", nargs="*", default=["float64", "float32"])
    p.add_argument("--threads", nargs="*", type=int, default=[1, 2])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument(
        "--baselines", nargs="*", default=["reference", "sklearn", "daal4py"]
    )
    p.add_argument("--no-peak", action="store_true")
    args = p.parse_args(argv)
    cases = (
        [tuple(int(v) for v in c.split(",")) for c in args.cases]
        if args.cases
        else GRID
    )

    have = {"reference": True}
    for name, mod in (("sklearn", "sklearn"), ("daal4py", "daal4py")):
        try:
            __import__(mod)
            have[name] = True
        except ImportError:
            have[name] = False
    baselines = [b for b in args.baselines if have.get(b)]

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"numpy {np.__version__}, emclust {emclust.__version__}"
    )
    if not args.no_peak:
        for t in sorted(set(args.threads)):
            print(
                f"float64 GEMM peak (numpy matmul, OpenBLAS SkylakeX, {t} threads): "
                f"{gemm_peak(t):.1f} GFLOP/s"
            )
    header = (
        "| n, d, k | cov | dtype | threads | emclust ms | GFLOP/s | "
        + " | ".join(f"{b} ms" for b in baselines)
        + " | "
        + " | ".join(f"speed-up vs {b}" for b in baselines)
        + " |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for n, d, k in cases:
        X64 = make_data(n, d, k)
        for ct in args.covariance_types:
            for dt in args.dtypes:
                X = X64.astype(dt)
                for threads in args.threads:
                    big = n * k * d * d > 2e9
                    m1, m2 = (1, 3) if big else (2, 6)
                    ours = per_iteration(
                        emclust_runner(emclust, X, k, ct, threads), m1, m2, args.repeats
                    )
                    flops = 2 * n * k * d * (d if ct == "full" else 1)
                    cells, ratios = [], []
                    for b in baselines:
                        if b == "reference":
                            if threads != 1 or n * k * d * d > 3e9:
                                cells.append("–")
                                ratios.append("–")
                                continue
                            from emclust import reference

                            s = per_iteration(
                                emclust_runner(reference, X, k, ct, 1), 1, 2, 1
                            )
                            cells.append(f"{s * 1e3:.1f}")
                        elif b == "sklearn":
                            s, t = best_of(
                                lambda t: sklearn_runner(X, k, ct, t),
                                threads,
                                1,
                                2,
                                max(1, args.repeats // 2),
                            )
                            cells.append(f"{s * 1e3:.1f} ({t}T)")
                        else:
                            s, t = best_of(
                                lambda t: daal_runner(X, k, ct, t),
                                threads,
                                m1,
                                m2,
                                args.repeats,
                            )
                            cells.append(f"{s * 1e3:.1f} ({t}T)")
                        ratios.append(f"{s / ours:.1f}×")
                    print(
                        f"| {n}, {d}, {k} | {ct} | {dt} | {threads} | {ours * 1e3:.2f} | "
                        f"{flops / ours / 1e9:.1f} | "
                        + " | ".join(cells)
                        + " | "
                        + " | ".join(ratios)
                        + " |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
