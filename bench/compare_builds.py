"""CPU seconds per Gaussian-mixture EM iteration of one build of emclust,
single-threaded, for comparing builds (e.g. -march=native against portable).

    python bench/compare_builds.py python > native.csv
    cmake -S . -B build-portable -DEMCLUST_BUILD_PYTHON=ON -DEMCLUST_NATIVE=OFF \
          -DEMCLUST_DEV_OUTPUT_DIR=/tmp/portable/emclust   # after copying python/emclust there
    python bench/compare_builds.py /tmp/portable > portable.csv

Process time (not wall time) and the minimum of repeats keep the comparison
usable on a shared machine; run the two builds alternately and compare the
minima.
"""

import sys
import time
import warnings

import numpy as np

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "python")
import emclust

CASES = [(100_000, 2, 8), (100_000, 16, 16), (200_000, 8, 16), (40_000, 64, 32)]


def main():
    warnings.simplefilter("ignore")
    for n, d, k in CASES:
        rng = np.random.default_rng(0)
        X = rng.normal(0, 4, (k, d))[rng.integers(0, k, n)] + rng.normal(size=(n, d))
        for ct in ("full", "diag"):
            prec = np.stack([np.eye(d)] * k) if ct == "full" else np.ones((k, d))
            for dt in ("float64", "float32"):
                Xd = X.astype(dt)

                def fit(iters, X=X, Xd=Xd, ct=ct, prec=prec, k=k):
                    gm = emclust.GaussianMixture(
                        k,
                        covariance_type=ct,
                        means_init=X[:k],
                        weights_init=np.full(k, 1 / k),
                        precisions_init=prec,
                        max_iter=iters,
                        tol=0.0,
                        n_threads=1,
                    )
                    t = time.process_time()
                    gm.fit(Xd)
                    return time.process_time() - t

                best = min((fit(4) - fit(1)) / 3 for _ in range(4))
                print(f"{n},{d},{k},{ct},{dt},{best:.6f}", flush=True)


if __name__ == "__main__":
    main()
