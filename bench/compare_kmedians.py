"""Seconds per K-medians iteration, and per L1 assignment pass, of one or more
builds of emclust side by side (scikit-learn has no K-medians to compare).

Every fit starts from the same centres with tol=0, so every iteration does
the same work; per-iteration time is the difference between the fastest fit
of M2 and of M1 iterations divided by M2 - M1. The assignment alone is
``predict`` (one L1 nearest-centre pass, no medians). With several package
directories each build runs in its own process, interleaved repeat by repeat.

    PYTHONPATH=python python bench/compare_kmedians.py
    python bench/compare_kmedians.py --builds /work/base python   # before, after
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CASES = [(1_000_000, 16, 64), (1_000_000, 4, 16), (200_000, 2, 8)]
M1, M2 = 2, 6

_ONE = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
import emclust
n, d, k, threads = map(int, sys.argv[2:6])
rng = np.random.default_rng(0)
X = rng.normal(0, 4, (k, d))[rng.integers(0, k, n)] + rng.normal(size=(n, d))
init = X[:k].copy()
def fit(m):
    t = time.perf_counter()
    km = emclust.KMedians(k, init=init, max_iter=m, tol=0, n_threads=threads).fit(X)
    assert km.n_iter_ == m, "converged early"
    return time.perf_counter() - t, km
_, km = fit(1)
t1 = min(fit(M1)[0] for _ in range(2))
t2 = min(fit(M2)[0] for _ in range(2))
def predict():
    t = time.perf_counter()
    km.predict(X)
    return time.perf_counter() - t
tp = min(predict() for _ in range(3))
json.dump({"iteration": (t2 - t1) / (M2 - M1), "assign": tp}, sys.stdout)
""".replace("M1", str(M1)).replace("M2", str(M2))


def measure(path, case, threads):
    out = subprocess.run(
        [sys.executable, "-c", _ONE, path, *map(str, case), str(threads)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--builds", nargs="+", default=["python"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cases", nargs="*", help="n,d,k triples")
    args = parser.parse_args()
    cases = [tuple(map(int, c.split(","))) for c in args.cases] if args.cases else CASES
    print(f"threads={args.threads}, median of {args.repeats} runs (ms)")
    header = ["n, d, k"] + [f"{b}: iteration / assign" for b in args.builds]
    print(" | ".join(header))
    for case in cases:
        runs = {b: [] for b in args.builds}
        for _ in range(args.repeats):
            for b in args.builds:
                runs[b].append(measure(b, case, args.threads))
        cells = [", ".join(map(str, case))]
        for b in args.builds:
            it = sorted(r["iteration"] for r in runs[b])[len(runs[b]) // 2]
            asg = sorted(r["assign"] for r in runs[b])[len(runs[b]) // 2]
            cells.append(f"{it * 1e3:.1f} / {asg * 1e3:.1f}")
        print(" | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
