"""Seconds per EM iteration: emclust vs the NumPy reference, scikit-learn and
Intel oneDAL (daal4py), side by side in one run.

    python bench/compare_gmm.py --grid acceptance --threads 2   # docs' table
    python bench/compare_gmm.py --cases 100000,16,16 --threads 2 --repeats 5

The acceptance grid spans d from 2 to 64, k from 4 to 32 and n from 5·10⁴
to 2·10⁶ in all four covariance types (oneDAL has no tied or spherical
model: those rows compare against scikit-learn alone).

Every implementation starts from the same parameters and runs with tol=0, so
each iteration does the same work. Per-iteration time is the difference
between the fastest fit of m2 and the fastest of m1 iterations (over
--repeats interleaved runs) divided by m2 - m1, which removes set-up costs
(validation, initialisation, the final E-step); on a shared machine the
fastest run is the one least disturbed by other work. Baselines get their best thread
setting: scikit-learn is timed with 1 and with n BLAS threads (threadpoolctl)
and oneDAL with 1 and n threads, and the faster is shown with its setting.
The speed-up against oneDAL is the median of --pairs ratios, each from an
emclust and a oneDAL measurement taken back to back (at oneDAL's best
setting), so that both sides of a ratio ran under the same load.
GFLOP/s counts 2·n·k·d² per iteration for full and tied covariances and
2·n·k·d for diagonal and spherical ones.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys

import emclust
import numpy as np
from emclust._benchmark import (
    best_of,
    emclust_runner,
    iteration_counts,
    make_data,
    per_iteration,
    sklearn_runner,
    start,
)

GRID = [(100_000, 2, 8), (100_000, 16, 16), (1_000_000, 8, 16), (200_000, 64, 32)]
ACCEPTANCE = [
    (50_000, 2, 4),
    (2_000_000, 2, 8),
    (500_000, 8, 32),
    (1_000_000, 16, 4),
    (200_000, 32, 16),
    (100_000, 64, 8),
    (50_000, 64, 32),
]
DAAL_TYPES = ("full", "diag")


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


def paired_ratio(ours, theirs, m1, m2, pairs):
    """Median over ``pairs`` of theirs/ours, each pair timed back to back, so
    that both sides of a ratio see the same load on a shared machine."""
    ratios = []
    for _ in range(pairs):
        a = per_iteration(ours, m1, m2, 1)
        b = per_iteration(theirs, m1, m2, 1)
        if a > 0 and b > 0:
            ratios.append(b / a)
    return float(np.median(ratios)) if ratios else float("nan")


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


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", nargs="*", default=None, help="n,d,k triples")
    p.add_argument("--grid", choices=["default", "acceptance"], default="default")
    p.add_argument("--covariance-types", nargs="*", default=None)
    p.add_argument("--dtypes", nargs="*", default=["float64", "float32"])
    p.add_argument("--threads", nargs="*", type=int, default=[1, 2])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument(
        "--baselines", nargs="*", default=["reference", "sklearn", "daal4py"]
    )
    p.add_argument(
        "--pairs",
        type=int,
        default=5,
        help="back-to-back emclust/oneDAL pairs behind the oneDAL speed-up",
    )
    p.add_argument("--no-peak", action="store_true")
    args = p.parse_args(argv)
    cases = (
        [tuple(int(v) for v in c.split(",")) for c in args.cases]
        if args.cases
        else (ACCEPTANCE if args.grid == "acceptance" else GRID)
    )
    if args.covariance_types is None:
        args.covariance_types = (
            ["full", "tied", "diag", "spherical"]
            if args.grid == "acceptance"
            else ["full", "diag"]
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
                    m1, m2 = iteration_counts(n, d, k)
                    ours_run = emclust_runner(emclust, X, k, ct, threads)
                    ours = per_iteration(ours_run, m1, m2, args.repeats)
                    flops = 2 * n * k * d * (d if ct in ("full", "tied") else 1)
                    cells, ratios = [], []
                    for b in baselines:
                        if b == "reference":
                            if threads != 1 or n * k * d * d > 3e9:
                                cells.append("-")
                                ratios.append("-")
                                continue
                            from emclust import reference

                            s = per_iteration(
                                emclust_runner(reference, X, k, ct, 1), 1, 3, 2
                            )
                            cells.append(f"{s * 1e3:.1f}")
                        elif b == "sklearn":
                            s, t = best_of(
                                lambda t, X=X, k=k, ct=ct: sklearn_runner(X, k, ct, t),
                                threads,
                                1,
                                3,
                                max(2, args.repeats // 2),
                            )
                            cells.append(f"{s * 1e3:.1f} ({t}T)")
                        elif ct not in DAAL_TYPES:
                            cells.append("-")
                            ratios.append("-")
                            continue
                        else:
                            s, t = best_of(
                                lambda t, X=X, k=k, ct=ct: daal_runner(X, k, ct, t),
                                threads,
                                m1,
                                m2,
                                args.repeats,
                            )
                            cells.append(f"{s * 1e3:.1f} ({t}T)")
                            theirs_run = daal_runner(X, k, ct, t)
                            r = paired_ratio(ours_run, theirs_run, m1, m2, args.pairs)
                            ratios.append(f"{r:.2f}x")
                            continue
                        ratios.append(f"{s / ours:.1f}x")
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
