"""The whole model selection: emclust.GaussianMixtureSelector against R's
mclust 6.0 ``Mclust()``, side by side in one run, on the same data.

    python bench/compare_mclust.py                  # n = 10,000, d = 5, G = 1..9, 14 models
    python bench/compare_mclust.py --n 2000 --repeats 5

Both run mclust's procedure: the hierarchical start on a 2,000-row subset
(mclust's ``subset`` option, emclust's ``hc_max_samples``), EM for every
(G, model), selection by BIC. mclust's time is measured inside R with
``system.time`` (R's start-up and the CSV read are left out); emclust's is
the ``fit`` call. Rounds alternate between the two; the medians are reported.
Needs Rscript with mclust (Debian: r-base-core r-cran-mclust).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from emclust import GaussianMixtureSelector

R_SCRIPT = """
suppressPackageStartupMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
X <- as.matrix(read.csv(args[1]))
t <- system.time(fit <- Mclust(X, G = 1:9, verbose = FALSE))[["elapsed"]]
cat(sprintf("%.6f %s %d %.6f\\n", t, fit$modelName, fit$G, fit$bic))
"""


def _cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def make_data(n, d, seed=0):
    """Four elongated, overlapping clusters of unequal size and orientation."""
    rng = np.random.default_rng(seed)
    sizes = rng.multinomial(n, [0.4, 0.3, 0.2, 0.1])
    parts = []
    for k, m in enumerate(sizes):
        a = rng.normal(size=(d, d)) * (0.4 + 0.3 * k)
        mean = rng.normal(scale=4.0, size=d)
        parts.append(rng.normal(size=(m, d)) @ a + mean)
    return rng.permutation(np.concatenate(parts))


def run_r(script, csv):
    out = subprocess.run(
        ["Rscript", script, csv], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), out[1], int(out[2]), float(out[3])


def run_emclust(X, threads):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        s = GaussianMixtureSelector(random_state=0, n_threads=threads).fit(X)
        elapsed = time.perf_counter() - t0
    best = s.best_params_
    return elapsed, best["covariance_type"], best["n_components"], -s.best_score_


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--d", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if shutil.which("Rscript") is None:
        raise SystemExit("Rscript not found: apt-get install r-base-core r-cran-mclust")
    X = make_data(args.n, args.d)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "data.csv"
        np.savetxt(
            csv,
            X,
            delimiter=",",
            header=",".join(f"x{j}" for j in range(args.d)),
            comments="",
            fmt="%.17g",
        )
        script = Path(tmp) / "mclust.R"
        script.write_text(R_SCRIPT)
        r_times, e_times = [], []
        for _ in range(args.repeats):
            r = run_r(str(script), str(csv))
            e = run_emclust(X, args.threads)
            r_times.append(r[0])
            e_times.append(e[0])
    threads = args.threads or len(os.sched_getaffinity(0))
    print(f"CPU: {_cpu()}, {threads} threads for emclust (mclust: 1, as R runs it)")
    print(f"data: n={args.n}, d={args.d}, G = 1..9, 14 models, {args.repeats} rounds")
    print(f"{'':10} {'median s':>9} {'model':>6} {'G':>3} {'BIC (mclust sign)':>18}")
    print(f"{'mclust':10} {np.median(r_times):9.2f} {r[1]:>6} {r[2]:>3} {r[3]:18.3f}")
    print(f"{'emclust':10} {np.median(e_times):9.2f} {e[1]:>6} {e[2]:>3} {e[3]:18.3f}")
    print(f"speed-up: {np.median(r_times) / np.median(e_times):.1f}x")


if __name__ == "__main__":
    main()
