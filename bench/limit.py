"""Fraction of the machine's limit that emclust reaches per EM (and Lloyd)
iteration, measured in one run on 2 threads.

    python bench/limit.py                       # the issue-13 grid
    python bench/limit.py --builds python /tmp/portable   # two builds side by side
    python bench/limit.py --cases 100000,16,16 --covariance-types full --repeats 5

Limit of one Gaussian-mixture iteration = (flops + 20·n·k) / GEMM rate, with
flops = 2·n·k·d² for full and tied covariances and 6·n·k·d for diagonal
and spherical ones, and each
of the n·k exponentials counted as 20 flops. The GEMM rate is numpy's matmul
of two 4000×4000 matrices on the same threads, in float64 and in float32 (the
float32 limit uses the float32 rate), taken in a fresh process with
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, so that OpenBLAS picks its best
kernel for the CPU (some machines set both, which slows a current numpy); the
kernel it ran is printed from threadpoolctl. The K-means limit of a Lloyd
iteration is 2·n·k·d flops at the GEMM rate plus one read of the data at the
memory rate of a 2-thread matrix-vector product (numpy's gemv).

emclust runs in a subprocess per build, case and round; builds are
interleaved within a round. Each subprocess also times a 2000×2000 GEMM of
the case's dtype right before and right after the fit, and the round's
fraction is the limit at the faster of those two rates over the fit's time,
so that the GEMM and the fit see the same load on a shared machine. Cells
show medians over --rounds. Per-iteration time is (fastest m2-iteration fit -
fastest m1-iteration fit) / (m2 - m1) over --repeats, as in compare_gmm.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

GRID = [(100_000, 2, 8), (100_000, 16, 16), (1_000_000, 8, 16), (200_000, 64, 32)]
KMEANS_GRID = [(1_000_000, 16, 64), (200_000, 2, 8)]
EXP_FLOPS = 20

_GEMM_CODE = """
import json, time
import numpy as np
from threadpoolctl import threadpool_info
out = {}
for dt in ("float64", "float32"):
    a = np.random.default_rng(0).random((4000, 4000)).astype(dt)
    a @ a
    best = min(
        (lambda t: (a @ a, time.perf_counter() - t)[1])(time.perf_counter())
        for _ in range(5)
    )
    out[dt] = 2 * 4000**3 / best / 1e9
m = np.random.default_rng(1).random((8000, 4000))  # 256 MB, read once by gemv
v = np.ones(4000)
m @ v
best = min(
    (lambda t: (m @ v, time.perf_counter() - t)[1])(time.perf_counter())
    for _ in range(5)
)
out["memory_gbs"] = m.nbytes / best / 1e9
blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
out["blas"] = ", ".join(
    f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
    f"({i.get('num_threads')} threads)"
    for i in blas
)
print(json.dumps(out))
"""


def gemm_rates(threads):
    """GFLOP/s of numpy's matmul (float64, float32), the gemv read rate in
    GB/s and the BLAS kernel, measured in a fresh process (OpenBLAS picks its
    kernel at load)."""
    env = dict(
        os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads)
    )
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    out = subprocess.run(
        [sys.executable, "-c", _GEMM_CODE], env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout)


def _gemm_now(dtype, size=2000, repeats=2):
    """GFLOP/s of the fastest of ``repeats`` numpy matmuls, this process."""
    import time

    import numpy as np

    a = np.random.default_rng(0).random((size, size)).astype(dtype)
    a @ a
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - t)
    return 2 * size**3 / best / 1e9


def _worker(spec):
    """Runs in a subprocess: seconds per iteration of one case with the
    emclust found first on sys.path, and the GEMM rate of its dtype taken
    just before and after."""
    import warnings

    import numpy as np

    sys.path.insert(0, spec["path"])
    import emclust
    from emclust._benchmark import emclust_runner, make_data, per_iteration

    n, d, k = spec["case"]
    X = make_data(n, d, k).astype(spec["dtype"])
    threads = spec["threads"]
    if spec["model"] == "kmeans":
        init = X[np.linspace(0, n - 1, k).astype(int)]

        def run(iters):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                emclust.KMeans(
                    k, init=init, max_iter=iters, tol=0, n_threads=threads
                ).fit(X)

        m1, m2 = 2, 12
    else:
        run = emclust_runner(emclust, X, k, spec["model"], threads)
        m1, m2 = (1, 3) if n * k * d * d > 2e9 else (2, 6)
    before = _gemm_now(spec["dtype"])
    seconds = per_iteration(run, m1, m2, spec["repeats"])
    after = _gemm_now(spec["dtype"])
    return {"seconds": seconds, "gemm": max(before, after), "lanes": _lanes(emclust)}


def _lanes(module):
    core = getattr(module, "_core", None)
    kernels = getattr(core, "lane_kernels", None)
    return kernels()["float64"] if kernels is not None else "-"


def measure(path, model, case, dtype, threads, repeats):
    spec = {
        "path": os.path.abspath(path),
        "model": model,
        "case": case,
        "dtype": dtype,
        "threads": threads,
        "repeats": repeats,
    }
    env = dict(
        os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads)
    )
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    out = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def limit_seconds(model, case, dtype, rates, gemm=None):
    """The limit at ``rates`` (from gemm_rates), with the GEMM rate of
    ``dtype`` replaced by ``gemm`` when given."""
    n, d, k = case
    gflops = (gemm if gemm is not None else rates[dtype]) * 1e9
    if model == "kmeans":
        itemsize = 8 if dtype == "float64" else 4
        return 2 * n * k * d / gflops + n * d * itemsize / (rates["memory_gbs"] * 1e9)
    flops = 2 * n * k * d * d if model in ("full", "tied") else 6 * n * k * d
    return (flops + EXP_FLOPS * n * k) / gflops


def _cell(secs, fracs):
    """Median ms and median fraction of the limit of one build's rounds."""
    if not secs:
        return "- | -"
    ms = statistics.median(secs) * 1e3
    return f"{ms:.2f} | {100 * statistics.median(fracs):.0f} %"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--builds", nargs="*", default=["python"], help="emclust dirs")
    p.add_argument("--cases", nargs="*", default=None, help="n,d,k triples")
    p.add_argument("--covariance-types", nargs="*", default=["full", "diag"])
    p.add_argument("--kmeans-cases", nargs="*", default=None, help="n,d,k triples")
    p.add_argument("--dtypes", nargs="*", default=["float64", "float32"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3, help="interleaved fits per round")
    p.add_argument("--rounds", type=int, default=3, help="subprocesses per cell")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(_worker(json.loads(args.worker))))
        return

    def parse(cases, default):
        return (
            [tuple(int(v) for v in c.split(",")) for c in cases] if cases else default
        )

    cells = [
        (ct, case) for case in parse(args.cases, GRID) for ct in args.covariance_types
    ]
    cells += [("kmeans", case) for case in parse(args.kmeans_cases, KMEANS_GRID)]

    rates = gemm_rates(args.threads)
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores; BLAS: {rates['blas']}"
    )
    head = " | ".join(f"{b} ms | {b} %" for b in args.builds)
    print(f"| n, d, k | model | dtype | GEMM GFLOP/s | limit ms | {head} |")
    print("|" + "---|" * (5 + 2 * len(args.builds)))
    all_rates = [rates]
    lanes = {}
    for model, case in cells:
        for dtype in args.dtypes:
            secs = {b: [] for b in args.builds}
            fracs = {b: [] for b in args.builds}
            gemms = []
            for r in range(args.rounds):
                order = args.builds if r % 2 == 0 else args.builds[::-1]
                for b in order:
                    m = measure(b, model, case, dtype, args.threads, args.repeats)
                    lanes[b] = m["lanes"]
                    gemms.append(m["gemm"])
                    s = m["seconds"]
                    if s == s:  # NaN when noise swamped the difference
                        secs[b].append(s)
                        lim = limit_seconds(model, case, dtype, rates, m["gemm"])
                        fracs[b].append(lim / s)
            gemm = statistics.median(gemms)
            lim = limit_seconds(model, case, dtype, rates, gemm)
            row = " | ".join(_cell(secs[b], fracs[b]) for b in args.builds)
            n, d, k = case
            print(
                f"| {n}, {d}, {k} | {model} | {dtype} | {gemm:.1f} | {lim * 1e3:.2f}"
                f" | {row} |",
                flush=True,
            )
    print("lane kernels: " + ", ".join(f"{b}: {v}" for b, v in lanes.items()))
    # The rates again at the end, to show how much the load drifted meanwhile.
    again = gemm_rates(args.threads)
    all_rates.append(again)
    print(
        "GEMM GFLOP/s (start, end): "
        + ", ".join(
            f"{dt} {all_rates[0][dt]:.1f}, {again[dt]:.1f}"
            for dt in ("float64", "float32")
        )
        + f"; gemv read GB/s {all_rates[0]['memory_gbs']:.1f}, {again['memory_gbs']:.1f}"
    )


if __name__ == "__main__":
    main()
