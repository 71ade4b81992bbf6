"""Per-iteration time and throughput of EM on Dask arrays against the
in-memory fit, and an out-of-core run over a memory-mapped .npy.

    PYTHONPATH=python python3 bench/dask_scaling.py [--rows 200000] [--memmap-gb 4]

Every fit starts from the same given parameters and runs a fixed number of
iterations (tol=0), so every configuration does the same work; the script
checks that the Dask fits equal the in-memory one before printing the table.
Dask times include the scheduler's per-iteration overhead (graph build,
task dispatch, reduction, result transfer): that is the cost being measured.

The out-of-core run writes a .npy of --memmap-gb GiB (in EMCLUST_BENCH_DIR, or
the system's temporary directory; deleted afterwards), fits it on two
workers limited to --worker-memory each, so that the data cannot all be held
by the workers, and checks the result against an in-memory fit of the
memory-mapped file.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings

import emclust
import numpy as np


def initial(X, k, covariance_type, seed=0):
    rng = np.random.default_rng(seed)
    d = X.shape[1]
    var = X[:10_000].var(axis=0).mean()
    prec = {
        "full": np.stack([np.eye(d) / var] * k),
        "diag": np.full((k, d), 1 / var),
    }[covariance_type]
    return {
        "weights_init": np.full(k, 1 / k),
        "means_init": X[rng.choice(min(10_000, X.shape[0]), k, replace=False)].astype(
            np.float64
        ),
        "precisions_init": prec,
    }


def timed_fit(X, k, covariance_type, iters, init, **kw):
    gm = emclust.GaussianMixture(
        k, covariance_type=covariance_type, tol=0, max_iter=iters, **init, **kw
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emclust.ConvergenceWarning)
        t0 = time.perf_counter()
        gm.fit(X)
        seconds = time.perf_counter() - t0
    return gm, seconds / iters


def make_data(n, d, k, seed=0, out=None):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 4, (k, d))
    X = np.empty((n, d)) if out is None else out
    step = 1_000_000
    for a in range(0, n, step):
        b = min(n, a + step)
        X[a:b] = centers[rng.integers(0, k, b - a)] + rng.normal(size=(b - a, d))
    return X


def _load_rows(path, start, stop):
    return np.load(path, mmap_mode="r")[start:stop]


def memmap_array(path, chunk_rows):
    """A Dask array whose tasks read their rows from the .npy file themselves
    (the graph carries only the path and the row range, not the data)."""
    import dask
    import dask.array as da

    shape = np.load(path, mmap_mode="r").shape
    blocks = []
    for a in range(0, shape[0], chunk_rows):
        b = min(shape[0], a + chunk_rows)
        blocks.append(
            da.from_delayed(
                dask.delayed(_load_rows)(path, a, b), (b - a, shape[1]), np.float64
            )
        )
    return da.concatenate(blocks)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--features", type=int, default=32)
    ap.add_argument("--components", type=int, default=8)
    ap.add_argument("--iters", type=int, default=4)
    ap.add_argument("--chunk-rows", type=int, default=25_000)
    ap.add_argument("--memmap-gb", type=float, default=1.0)
    ap.add_argument("--memmap-iters", type=int, default=2)
    ap.add_argument("--memmap-chunk-rows", type=int, default=250_000)
    ap.add_argument("--worker-memory", default="1GiB")
    args = ap.parse_args()

    import dask.array as da
    from distributed import Client, LocalCluster

    n, d, k, iters = args.rows, args.features, args.components, args.iters
    X = make_data(n, d, k)
    init = initial(X, k, "full")
    rows, fixed = [], {}
    ref, per_iter = timed_fit(X, k, "full", iters, init, n_threads=1)
    rows.append(("in-memory, 1 thread", per_iter))
    _, per_iter = timed_fit(X, k, "full", iters, init, n_threads=2)
    rows.append(("in-memory, 2 threads", per_iter))
    for workers in (1, 2):
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            Xd = client.persist(da.from_array(X, chunks=(args.chunk_rows, d)))
            gm, per_iter = timed_fit(Xd, k, "full", iters, init)
            np.testing.assert_allclose(gm.means_, ref.means_, rtol=1e-10)
            rows.append((f"dask, {workers} worker(s) x 1 thread", per_iter))
            # Dask's fixed cost per iteration: as many chunks, 100 rows each.
            n_chunks = len(Xd.chunks[0])
            tiny = client.persist(da.from_array(X[: 100 * n_chunks], chunks=(100, d)))
            fixed[workers] = timed_fit(tiny, k, "full", iters, init)[1]

    print(f"\nGaussianMixture full, n={n:.0e}, d={d}, K={k}, {iters} iterations")
    print(
        f"chunks of {args.chunk_rows} rows; statistics per chunk: "
        f"{k * (1 + d + d * d)} numbers\n"
    )
    print("| configuration | s / iteration | rows / s | µs / row |")
    print("|---|---|---|---|")
    for name, s in rows:
        print(f"| {name} | {s:.3f} | {n / s:.3g} | {s / n * 1e6:.2f} |")
    print(
        "\nfixed cost of a Dask iteration (same number of chunks, 100 rows each): "
        + ", ".join(f"{w} worker(s) {s * 1e3:.0f} ms" for w, s in fixed.items())
    )

    if args.memmap_gb > 0:
        out_of_core(args)


def out_of_core(args):
    from distributed import Client, LocalCluster

    d, k, iters = args.features, args.components, args.memmap_iters
    n = int(args.memmap_gb * 2**30 / (8 * d))
    with tempfile.TemporaryDirectory(dir=os.environ.get("EMCLUST_BENCH_DIR")) as tmp:
        path = os.path.join(tmp, "X.npy")
        t0 = time.perf_counter()
        mm = np.lib.format.open_memmap(path, "w+", np.float64, (n, d))
        make_data(n, d, k, seed=1, out=mm)
        mm.flush()
        init = initial(mm, k, "diag")
        del mm
        size = os.path.getsize(path)
        print(
            f"\nwrote {path}: {size / 1e9:.2f} GB in {time.perf_counter() - t0:.0f} s"
        )
        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                memory_limit=args.worker_memory,
            ) as cluster,
            Client(cluster),
        ):
            Xd = memmap_array(path, args.memmap_chunk_rows)
            gm, per_iter = timed_fit(Xd, k, "diag", iters, init)
        # The same fit in memory, reading the memory-mapped file.
        ref, ref_per_iter = timed_fit(
            np.load(path, mmap_mode="r"), k, "diag", iters, init, n_threads=2
        )
        np.testing.assert_allclose(gm.means_, ref.means_, rtol=1e-10)
        np.testing.assert_allclose(gm.covariances_, ref.covariances_, rtol=1e-10)
        np.testing.assert_allclose(gm.lower_bounds_, ref.lower_bounds_, rtol=1e-10)
    print(
        f"out-of-core: {n:.3g} rows x {d} float64 ({size / 1e9:.2f} GB .npy, "
        f"memory-mapped, read by the tasks in chunks of {args.memmap_chunk_rows} "
        f"rows; 2 workers x 1 thread limited to {args.worker_memory} each), diag, "
        f"K={k}, {iters} iterations: {per_iter:.2f} s / iteration, "
        f"{n / per_iter:.3g} rows/s, {per_iter / n * 1e6:.2f} µs/row; in memory "
        f"on the mapped file, 2 threads: {ref_per_iter:.2f} s / iteration "
        f"(results equal to 1e-10)"
    )


if __name__ == "__main__":
    main()
