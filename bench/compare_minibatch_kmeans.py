"""Time per mini-batch: emclust's MiniBatchKMeans against scikit-learn's.

Both run from the same initial centres and seed, so they draw the same
batches and do the same work (see tests/test_minibatch_kmeans.py: they
agree step for step). Two measures, each the fastest of ``--repeats``
interleaved runs:

- fit: seconds of ``fit`` divided by its steps (``max_no_improvement=None``
  and ``compute_labels=False``, so every run does all its steps);
- partial_fit: seconds per ``partial_fit`` call over consecutive batches.

scikit-learn runs with its default OpenMP threads and again with one
thread (on a loaded machine its OpenMP barriers can cost more than they
save); the better of the two is the ratio's denominator.

    PYTHONPATH=python python bench/compare_minibatch_kmeans.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from emclust.estimators.minibatch_kmeans import MiniBatchKMeans

CASES = [(200_000, 16, 16, 1024), (200_000, 16, 16, 4096), (200_000, 64, 64, 1024)]
PARTIAL_BATCHES = 100


def _fit_seconds(cls, X, init, batch, **kw):
    m = cls(
        len(init),
        init=init,
        batch_size=batch,
        random_state=0,
        max_iter=1,
        max_no_improvement=None,
        compute_labels=False,
        **kw,
    )
    t = time.perf_counter()
    m.fit(X)
    return (time.perf_counter() - t) / m.n_steps_


def _partial_seconds(cls, X, init, batch, **kw):
    m = cls(len(init), init=init, random_state=0, compute_labels=False, **kw)
    m.partial_fit(X[:batch])
    calls = min(PARTIAL_BATCHES, X.shape[0] // batch - 1)
    t = time.perf_counter()
    for i in range(1, calls + 1):
        m.partial_fit(X[i * batch : (i + 1) * batch])
    return (time.perf_counter() - t) / calls


def _sklearn(measure, X, init, batch, threads):
    from sklearn.cluster import MiniBatchKMeans as SK
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads, user_api="openmp"):
        return measure(SK, X, init, batch)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--cases", type=int, default=len(CASES), help="run only the first N cases"
    )
    args = parser.parse_args()
    from threadpoolctl import threadpool_info

    omp = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"]
    print(f"scikit-learn OpenMP threads: {omp[0] if omp else 'n/a'}")
    print(
        "| n | d | K | batch | dtype | measure | emclust ms | sklearn ms (default "
        "threads) | sklearn ms (1 thread) | speed-up |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for n, d, k, batch in CASES[: args.cases]:
        centres = rng.normal(scale=4.0, size=(k, d))
        X64 = centres[rng.integers(0, k, n)] + rng.normal(size=(n, d))
        for dtype in (np.float64, np.float32):
            X = X64.astype(dtype)
            init = X[:k].copy()
            for name, measure in (
                ("fit", _fit_seconds),
                ("partial_fit", _partial_seconds),
            ):
                best = {"ours": np.inf, "sk": np.inf, "sk1": np.inf}
                for _ in range(args.repeats):
                    best["ours"] = min(
                        best["ours"], measure(MiniBatchKMeans, X, init, batch)
                    )
                    best["sk"] = min(
                        best["sk"], _sklearn(measure, X, init, batch, None)
                    )
                    best["sk1"] = min(best["sk1"], _sklearn(measure, X, init, batch, 1))
                ratio = min(best["sk"], best["sk1"]) / best["ours"]
                print(
                    f"| {n} | {d} | {k} | {batch} | {np.dtype(dtype).name} | {name} | "
                    f"{best['ours'] * 1e3:.3f} | {best['sk'] * 1e3:.3f} | "
                    f"{best['sk1'] * 1e3:.3f} | {ratio:.1f}x |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
