"""Seconds per Lloyd iteration: emclust.KMeans against scikit-learn and faiss.

Every library runs from the same initial centres with tol=0, so every
iteration does the same work. Per-iteration time is the difference between
the fastest fit of M2 and the fastest of M1 iterations (``--repeats``
interleaved runs each) divided by M2 - M1, which removes fixed costs
(scikit-learn's data centring, faiss's float32 copy, our mean/variance and
final passes). scikit-learn runs at its best BLAS thread setting (1 BLAS thread, or
as many as OpenMP threads, whichever is faster); faiss is skipped when not
importable and always computes in float32.

    PYTHONPATH=python python bench/compare_kmeans.py [--repeats 5]
    PYTHONPATH=python python bench/compare_kmeans.py --cases 100000,8,16 \
        --threads 1 --baselines          # emclust alone, one small case
"""

from __future__ import annotations

import argparse

import emclust
import numpy as np
from emclust._benchmark import per_iteration

CASES = [(1_000_000, 16, 64), (200_000, 2, 8)]
M1, M2 = 2, 12


def seconds(factory, repeats):
    """Seconds per iteration of factory(iterations)()."""
    runs = {m: factory(m) for m in (M1, M2)}
    return per_iteration(lambda m: runs[m](), M1, M2, repeats)


def ours(X, init, threads):
    def factory(iterations):
        def fit():
            km = emclust.KMeans(
                len(init), init=init, max_iter=iterations, tol=0, n_threads=threads
            ).fit(X)
            # A strict stop (no label changed) would make the difference meaningless.
            assert km.n_iter_ == iterations, "converged early: use other data"

        return fit

    return factory


def sklearn_fit(X, init, threads, blas_threads):
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    def factory(iterations):
        def fit():
            with threadpool_limits(limits=threads, user_api="openmp"):
                with threadpool_limits(limits=blas_threads, user_api="blas"):
                    KMeans(
                        len(init), init=init, n_init=1, max_iter=iterations, tol=0
                    ).fit(X)

        return fit

    return factory


def faiss_fit(X, init, threads):
    import faiss

    init32 = np.ascontiguousarray(init, dtype=np.float32)

    def factory(iterations):
        def fit():
            faiss.omp_set_num_threads(threads)
            km = faiss.Kmeans(
                X.shape[1], len(init), niter=iterations, max_points_per_centroid=10**9
            )
            km.train(np.ascontiguousarray(X, dtype=np.float32), init_centroids=init32)

        return fit

    return factory


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cases", nargs="*", default=None, help="n,d,k triples")
    parser.add_argument("--threads", nargs="*", type=int, default=[1, 2])
    parser.add_argument("--dtypes", nargs="*", default=["float64", "float32"])
    parser.add_argument(
        "--baselines",
        nargs="*",
        default=["sklearn", "faiss"],
        help="of sklearn, faiss; none (the flag alone) times emclust only",
    )
    args = parser.parse_args()
    cases = (
        [tuple(int(v) for v in c.split(",")) for c in args.cases]
        if args.cases
        else CASES
    )
    have_faiss = False
    if "faiss" in args.baselines:
        try:
            import faiss  # noqa: F401

            have_faiss = True
        except ImportError:
            pass
    rng = np.random.default_rng(0)
    print(
        f"seconds per Lloyd iteration: fastest {M2}-iteration fit minus fastest "
        f"{M1}-iteration fit over {args.repeats} runs, / {M2 - M1}"
    )
    print(
        f"{'case':<22} {'dtype':<8} {'thr':>3} {'emclust':>9} {'sklearn':>9} "
        f"{'faiss':>9} {'vs best':>8}"
    )
    for n, d, k in cases:
        X64 = rng.standard_normal((n, d)) + rng.integers(0, 4, (n, 1))
        for dtype in args.dtypes:
            X = X64.astype(dtype)
            init = X[rng.choice(n, k, replace=False)]
            for threads in args.threads:
                t_ours = seconds(ours(X, init, threads), args.repeats)
                t_sk = (
                    min(
                        seconds(sklearn_fit(X, init, threads, b), args.repeats)
                        for b in sorted({1, threads})
                    )
                    if "sklearn" in args.baselines
                    else float("nan")
                )
                t_fa = (
                    seconds(faiss_fit(X, init, threads), args.repeats)
                    if have_faiss
                    else float("nan")
                )
                timed = [t for t in (t_sk, t_fa) if not np.isnan(t)]
                best = min(timed) if timed else float("nan")
                print(
                    f"n={n:.0e},d={d},k={k:<5} {np.dtype(dtype).name:<8} {threads:>3} "
                    f"{t_ours:9.4f} {t_sk:9.4f} {t_fa:9.4f} {best / t_ours:7.2f}x",
                    flush=True,
                )


if __name__ == "__main__":
    main()
