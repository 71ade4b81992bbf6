"""K-means and the Bernoulli mixture on sparse (CSR) data: speed and memory.

K-means: seconds per Lloyd iteration of emclust's sparse kernel against
scikit-learn's sparse KMeans, float64 and float32, from the same initial
centres with tol=0 (per-iteration time = difference of the fastest M2- and
M1-iteration fits over ``--repeats`` interleaved runs, / (M2 - M1), which
removes fixed costs). BernoulliMixture: seconds per EM iteration of the
sparse path against emclust's own dense path on the densified matrix (a
smaller n for the dense side when n x d would not fit; the table says which n
each side ran, and the ratio is per row).

Peak memory: each measured fit also runs once (one iteration) in a fresh
process, which reports how far the fit raised its peak resident set (VmHWM,
reset after the data is built) above the resident set with the data loaded. Nothing of n x d is formed on the sparse side, so that figure
stays far below n x d x 8 bytes, which the table prints next to it.

    PYTHONPATH=python python bench/compare_sparse.py [--scale 0.1] [--repeats 3]

``--scale`` multiplies every n: --scale 1 is the issue's sizes, about 50
minutes on an idle 2-core machine (scikit-learn's sparse KMeans takes 1.5-2.5
minutes per iteration at (1e6, 1e5)); the default 0.1 takes a few minutes.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import time

import numpy as np
import scipy.sparse as sp
from emclust import _core
from emclust._benchmark import per_iteration

KMEANS_CASES = [(1_000_000, 100_000, 0.001, 100), (100_000, 20_000, 0.01, 100)]
BERNOULLI_CASE = (1_000_000, 10_000, 0.005, 20)
# Bernoulli dense path: n x d float64 entries at most (1.6 GB).
DENSE_BUDGET = 200_000_000


def random_csr(n, d, density, dtype, seed=0, binary=False, topics=100):
    """n x d CSR with round(d * density) entries per row (duplicates merged):
    each row has a topic whose own block of d / topics columns gets a third of
    its entries, the others fall anywhere, so that Lloyd's labels keep moving
    for a while. Values uniform in (0, 1], or ones."""
    rng = np.random.default_rng(seed)
    per_row = max(1, round(d * density))
    block = d // topics
    own = per_row // 3
    topic = rng.integers(0, topics, size=n)
    indices = rng.integers(0, d, size=(n, per_row), dtype=np.int64)
    indices[:, :own] = topic[:, None] * block + rng.integers(0, block, size=(n, own))
    indices = indices.astype(np.int32).ravel()
    data = (
        np.ones(n * per_row, dtype=dtype)
        if binary
        else rng.uniform(0.0, 1.0, n * per_row).astype(dtype) + dtype(1e-3)
    )
    indptr = np.arange(0, n * per_row + 1, per_row, dtype=np.int32)
    X = sp.csr_matrix((data, indices, indptr), shape=(n, d))
    X.sum_duplicates()
    if binary:
        X.data[:] = 1
    return X


def csr_args(X):
    return X.indptr, X.indices, X.data, X.shape[1]


def _status_bytes(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _measure(spec, queue):
    """Child process: build the data, reset the peak resident set (Linux:
    writing 5 to /proc/self/clear_refs resets VmHWM), fit, and report how far
    the fit raised the peak above the resident set with the data loaded."""
    X = random_csr(*spec["data"])
    if spec.get("dense"):
        X = np.ascontiguousarray(X.toarray())
    run = RUNNERS[spec["runner"]](X, spec)
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = _status_bytes("VmRSS")
    run(1)
    queue.put(max(0, _status_bytes("VmHWM") - base))


def peak_memory(spec):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    p = ctx.Process(target=_measure, args=(spec, queue))
    p.start()
    out = queue.get()
    p.join()
    return out


def _init_rows(n, k, seed=1):
    return np.sort(np.random.default_rng(seed).choice(n, k, replace=False))


def ours_kmeans(X, spec):
    init = np.ascontiguousarray(X[_init_rows(X.shape[0], spec["k"])].toarray())
    args = csr_args(X)

    def run(iterations):
        out = _core.sparse_kmeans_fit(
            *args, None, "l2", spec["k"], "array", init, iterations, 0.0, 1, 0, 2
        )
        assert out[3] == iterations, "converged early: use other data"

    return run


def sklearn_kmeans(X, spec):
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    init = X[_init_rows(X.shape[0], spec["k"])].toarray()

    def run(iterations):
        with threadpool_limits(limits=2, user_api="openmp"):
            km = KMeans(spec["k"], init=init, n_init=1, max_iter=iterations, tol=0)
            km.fit(X)
        assert km.n_iter_ == iterations, "converged early: use other data"

    return run


def _bernoulli_start(d, k):
    rng = np.random.default_rng(2)
    return np.full(k, 1.0 / k), rng.uniform(0.001, 0.02, size=(k, d))


def ours_bernoulli_sparse(X, spec):
    weights, theta = _bernoulli_start(X.shape[1], spec["k"])
    args = csr_args(X)

    def run(iterations):
        _core.sparse_bernoulli_fit(
            *args, None, spec["k"], 0.0, 1e-3, iterations, 1, "k-means++",
            weights, theta, 0, 2, None,
        )  # fmt: skip

    return run


def ours_bernoulli_dense(X, spec):
    weights, theta = _bernoulli_start(X.shape[1], spec["k"])

    def run(iterations):
        _core.bernoulli_fit(
            X, None, spec["k"], 0.0, 1e-3, iterations, 1, "k-means++",
            weights, theta, 0, 2, None,
        )  # fmt: skip

    return run


RUNNERS = {
    "ours_kmeans": ours_kmeans,
    "sklearn_kmeans": sklearn_kmeans,
    "bernoulli_sparse": ours_bernoulli_sparse,
    "bernoulli_dense": ours_bernoulli_dense,
}


def timed(spec, X, repeats, m1, m2):
    run = RUNNERS[spec["runner"]](X, spec)
    return per_iteration(run, m1, m2, repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="multiplies every n")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--no-sklearn", action="store_true")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    rows = []
    gib = 2.0**30
    print("K-means, seconds per Lloyd iteration (2 threads each), k = 100")
    print(
        f"{'n':>9} {'d':>7} {'density':>7} {'dtype':<8} {'emclust':>8} "
        f"{'sklearn':>8} {'speed-up':>8} {'peak MiB':>9} {'sk MiB':>8} {'n*d*8 GiB':>9}"
    )
    for n, d, density, k in KMEANS_CASES:
        n = int(n * args.scale)
        for dtype in (np.float64, np.float32):
            data = (n, d, density, dtype)
            X = random_csr(*data)
            spec = {"data": data, "k": k, "runner": "ours_kmeans"}
            t0 = time.perf_counter()
            t_ours = timed(spec, X, args.repeats, 1, 3)
            sk = dict(spec, runner="sklearn_kmeans")
            t_sk = (
                float("nan")
                if args.no_sklearn
                else timed(sk, X, max(1, args.repeats - 1), 1, 2)
            )
            mem = mem_sk = float("nan")
            if not args.no_memory:
                mem = peak_memory(spec) / 2**20
                if not args.no_sklearn:
                    mem_sk = peak_memory(sk) / 2**20
            row = dict(
                n=n, d=d, density=density, dtype=np.dtype(dtype).name, k=k,
                emclust=t_ours, sklearn=t_sk, peak_mib=mem, sklearn_peak_mib=mem_sk,
                dense_gib=n * d * 8 / gib, nnz=X.nnz, wall=time.perf_counter() - t0,
            )  # fmt: skip
            rows.append(row)
            print(
                f"{n:9.0e} {d:7.0e} {density:7.1%} {row['dtype']:<8} {t_ours:8.3f} "
                f"{t_sk:8.3f} {t_sk / t_ours:7.1f}x {mem:9.0f} {mem_sk:8.0f} "
                f"{row['dense_gib']:9.1f}",
                flush=True,
            )
            del X

    n, d, density, k = BERNOULLI_CASE
    n = int(n * args.scale)
    n_dense = min(n, DENSE_BUDGET // d)
    print(f"\nBernoulliMixture, seconds per EM iteration (2 threads), K = {k}")
    print(
        f"{'dtype':<8} {'sparse n':>9} {'s/iter':>8} {'dense n':>9} {'s/iter':>8} "
        f"{'per-row speed-up':>16} {'sparse peak MiB':>15} {'n*d*8 GiB':>9}"
    )
    for dtype in (np.float64, np.float32):
        data = (n, d, density, dtype, 0, True)
        X = random_csr(*data)
        spec = {"data": data, "k": k, "runner": "bernoulli_sparse"}
        t_sparse = timed(spec, X, args.repeats, 1, 3)
        dense_data = (n_dense, d, density, dtype, 0, True)
        Xd = np.ascontiguousarray(random_csr(*dense_data).toarray())
        dspec = {"data": dense_data, "k": k, "runner": "bernoulli_dense", "dense": True}
        t_dense = timed(dspec, Xd, max(1, args.repeats - 1), 1, 2)
        del Xd
        mem = float("nan") if args.no_memory else peak_memory(spec) / 2**20
        speed_up = (t_dense / n_dense) / (t_sparse / n)
        row = dict(
            model="bernoulli", dtype=np.dtype(dtype).name, n=n, d=d, k=k,
            sparse=t_sparse, n_dense=n_dense, dense=t_dense, speed_up=speed_up,
            peak_mib=mem, dense_gib=n * d * 8 / gib, nnz=X.nnz,
        )  # fmt: skip
        rows.append(row)
        print(
            f"{np.dtype(dtype).name:<8} {n:9.0e} {t_sparse:8.3f} {n_dense:9.0e} "
            f"{t_dense:8.3f} {speed_up:15.1f}x {mem:15.0f} {n * d * 8 / gib:9.1f}",
            flush=True,
        )
        del X
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
