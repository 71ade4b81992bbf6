"""Seconds per Lloyd iteration: emclust.KMeans against scikit-learn and faiss.

Every library runs ``ITERATIONS`` iterations (tol=0, the same initial
centres); a fit is timed whole, so fixed costs (scikit-learn's data
centring, faiss's float32 copy, our mean/variance and final passes) are
spread over the iterations. The table gives the median over ``--repeats``
fits. scikit-learn runs at its best BLAS thread setting (1 BLAS thread, or
as many as OpenMP threads, whichever is faster); faiss is skipped when not
importable and always computes in float32.

    PYTHONPATH=python python bench/compare_kmeans.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import emclust
import numpy as np

CASES = [(1_000_000, 16, 64), (200_000, 2, 8)]
ITERATIONS = 10


def median_seconds(fit, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) / ITERATIONS


def ours(X, init, threads):
    def fit():
        km = emclust.KMeans(
            len(init), init=init, max_iter=ITERATIONS, tol=0, n_threads=threads
        ).fit(X)
        assert km.n_iter_ <= ITERATIONS  # fewer on a strict stop
        assert np.isfinite(km.inertia_)

    return fit


def sklearn_fit(X, init, threads, blas_threads):
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    def fit():
        with threadpool_limits(limits=threads, user_api="openmp"):
            with threadpool_limits(limits=blas_threads, user_api="blas"):
                KMeans(len(init), init=init, n_init=1, max_iter=ITERATIONS, tol=0).fit(
                    X
                )

    return fit


def faiss_fit(X, init, threads):
    import faiss

    def fit():
        faiss.omp_set_num_threads(threads)
        km = faiss.Kmeans(
            X.shape[1], len(init), niter=ITERATIONS, max_points_per_centroid=10**9
        )
        km.train(np.ascontiguousarray(X, dtype=np.float32), init_centroids=init32)

    init32 = np.ascontiguousarray(init, dtype=np.float32)
    return fit


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    try:
        import faiss  # noqa: F401

        have_faiss = True
    except ImportError:
        have_faiss = False
    rng = np.random.default_rng(0)
    print(f"seconds per Lloyd iteration, median of {args.repeats} fits of {ITERATIONS}")
    print(
        f"{'case':<22} {'dtype':<8} {'thr':>3} {'emclust':>9} {'sklearn':>9} "
        f"{'faiss':>9} {'vs best':>8}"
    )
    for n, d, k in CASES:
        X64 = rng.standard_normal((n, d)) + rng.integers(0, 4, (n, 1))
        for dtype in (np.float64, np.float32):
            X = X64.astype(dtype)
            init = X[rng.choice(n, k, replace=False)]
            for threads in (1, 2):
                t_ours = median_seconds(ours(X, init, threads), args.repeats)
                t_sk = min(
                    median_seconds(sklearn_fit(X, init, threads, b), args.repeats)
                    for b in sorted({1, threads})
                )
                t_fa = (
                    median_seconds(faiss_fit(X, init, threads), args.repeats)
                    if have_faiss
                    else float("nan")
                )
                best = np.nanmin([t_sk, t_fa])
                print(
                    f"n={n:.0e},d={d},k={k:<5} {np.dtype(dtype).name:<8} {threads:>3} "
                    f"{t_ours:9.4f} {t_sk:9.4f} {t_fa:9.4f} {best / t_ours:7.2f}x",
                    flush=True,
                )


if __name__ == "__main__":
    main()
