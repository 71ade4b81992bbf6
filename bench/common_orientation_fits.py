"""EVE and VVE fits alone (the two models whose M-step iterates for a common
orientation), on compare_mclust.py's data: milliseconds per EM iteration.

    python bench/common_orientation_fits.py            # n = 10,000, d = 5, G = 1..9
    python bench/common_orientation_fits.py --models VVE --repeats 3

Each fit is GaussianMixture(init_params="hc", tol=1e-5, reg_covar=0,
max_iter=1000, n_threads=1), as the selector runs a cell, from one
hierarchical tree built beforehand (its time is left out). Reports per model the
total time over G, the EM iterations and ms per iteration, and the final mean
log-likelihood per G (to check that a faster M-step lands on the same optimum).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

from emclust import GaussianMixture
from emclust.models.hierarchical import hierarchical_tree

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_mclust import _cpu, make_data


def fit(X, tree, model, g):
    gm = GaussianMixture(
        covariance_type=model,
        n_components=g,
        init_params="hc",
        tol=1e-5,
        reg_covar=0.0,
        max_iter=1000,
        n_threads=1,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        try:
            gm._fit(X, None, None, tree)  # the selector's call: one shared tree
        except Exception as e:  # a singular cell: report it, keep going
            return time.perf_counter() - t0, 0, f"failed: {type(e).__name__}"
        elapsed = time.perf_counter() - t0
    return elapsed, gm.n_iter_, gm.lower_bound_


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--d", type=int, default=5)
    parser.add_argument("--max-g", type=int, default=9)
    parser.add_argument("--models", nargs="+", default=["EVE", "VVE"])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    X = make_data(args.n, args.d)
    tree = hierarchical_tree(X, 2000, 0, 1)  # built once, as the selector does
    print(f"CPU: {_cpu()}; n={args.n}, d={args.d}, G=1..{args.max_g}, 1 thread")
    for model in args.models:
        best = None
        for _ in range(args.repeats):
            rows = [fit(X, tree, model, g) for g in range(1, args.max_g + 1)]
            total = sum(r[0] for r in rows)
            if best is None or total < best[0]:
                best = (total, rows)
        total, rows = best
        iters = sum(r[1] for r in rows)
        print(
            f"{model}: {total:.3f} s, {iters} EM iterations, "
            f"{1e3 * total / max(iters, 1):.3f} ms/iteration"
        )
        for g, (t, it, lb) in enumerate(rows, 1):
            lb_text = lb if isinstance(lb, str) else f"{lb:.12f}"
            print(f"  G={g}: {t:.3f} s, {it} iterations, mean log L {lb_text}")


if __name__ == "__main__":
    main()
