"""What fit and predict cost around the core on small data (Old Faithful,
272 rows): validation, dispatch and storing the fitted attributes, for one
emclust build or two side by side.

    python bench/small_data_overhead.py python                 # this checkout
    python bench/small_data_overhead.py /tmp/old/python python --rounds 5

Each PATH is a directory holding an ``emclust`` package (a dev build's
``python/``). Every build runs in its own process, the builds alternately,
``--rounds`` times. Two columns per build:

- ``python``: the call with every function of ``emclust._core`` replaced by a
  stub that returns the result the real function gave on the first call, so
  that only the Python side is timed;
- ``total``: the real call (default ``n_threads``, as a user would call it).

A figure is the fastest of many batches of 10 calls, per call, in
microseconds; the table shows the median over rounds. On a shared machine
the fastest short batch is the one no other process interrupted, which
makes the figures repeatable where a mean is not.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np

CHILD = r"""
import json, sys, timeit, warnings
sys.path.insert(0, sys.argv[1])
import numpy as np
import emclust
from emclust import _core

warnings.simplefilter("ignore")
X = np.ascontiguousarray(emclust.datasets.load_faithful(), dtype=np.float64)
gm = emclust.GaussianMixture(2, random_state=0).fit(X)
km = emclust.KMeans(2, random_state=0).fit(X)
cases = {
    "GaussianMixture().fit": lambda: emclust.GaussianMixture().fit(X),
    "GaussianMixture(2, random_state=0).fit": lambda: emclust.GaussianMixture(
        2, random_state=0
    ).fit(X),
    "KMeans(2, random_state=0).fit": lambda: emclust.KMeans(
        2, random_state=0
    ).fit(X),
    "GaussianMixture.predict": lambda: gm.predict(X),
    "GaussianMixture.score": lambda: gm.score(X),
    "KMeans.predict": lambda: km.predict(X),
}


def fastest(f):
    return min(timeit.repeat(f, number=10, repeat=int(sys.argv[2]))) / 10


out = {name: [fastest(f)] for name, f in cases.items()}
recorded = {}
for name in dir(_core):
    real = getattr(_core, name)
    if callable(real) and not isinstance(real, type) and not name.startswith("_"):

        def stub(*args, _name=name, _real=real, **kwargs):
            if _name not in recorded:
                recorded[_name] = _real(*args, **kwargs)
            return recorded[_name]

        setattr(_core, name, stub)
for name, f in cases.items():
    recorded.clear()
    f()
    out[name].insert(0, fastest(f))
print(json.dumps(out))
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="directories holding emclust")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=300)
    args = parser.parse_args(argv)
    runs = {p: [] for p in args.paths}
    for r in range(args.rounds):
        order = args.paths if r % 2 == 0 else args.paths[::-1]
        for path in order:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, path, str(args.batches)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            runs[path].append(json.loads(out))
    cases = list(runs[args.paths[0]][0])
    print(
        f"us per call, fastest batch of 10, median of {args.rounds} rounds "
        "(python: core stubbed; total: real call)"
    )
    head = "| case | " + " | ".join(f"{p} python | {p} total" for p in args.paths)
    if len(args.paths) == 2:
        head += " | python ratio (2nd/1st)"
    print(head + " |")
    n_columns = 1 + 2 * len(args.paths) + (len(args.paths) == 2)
    print("|---" * n_columns + "|")
    for case in cases:
        cells, medians = [], []
        for p in args.paths:
            m = np.median([run[case] for run in runs[p]], axis=0) * 1e6
            medians.append(m)
            cells += [f"{m[0]:.1f}", f"{m[1]:.1f}"]
        if len(args.paths) == 2:
            ratios = [
                b[case][0] / a[case][0]
                for a, b in zip(runs[args.paths[0]], runs[args.paths[1]])
            ]
            cells.append(f"{np.median(ratios):.2f}")
        print(f"| {case} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
