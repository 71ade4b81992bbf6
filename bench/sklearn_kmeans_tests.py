"""Run scikit-learn's own KMeans test file against emclust.

Copies sklearn/cluster/tests/test_k_means.py into a temporary folder with
its public estimators and functions (KMeans, MiniBatchKMeans, k_means,
kmeans_plusplus) imported from emclust instead, runs it with pytest (the
fixtures of scikit-learn's conftest loaded as a plugin), and prints the
failures grouped by estimator and by input (dense, sparse_matrix,
sparse_array). scikit-learn's private helpers that the file also tests stay
scikit-learn's.

    PYTHONPATH=python python bench/sklearn_kmeans_tests.py [-k EXPR] [-v]
"""

from __future__ import annotations

import argparse
import collections
import pathlib
import re
import subprocess
import sys
import tempfile

import sklearn

SWAP = (
    "from sklearn.cluster import KMeans, MiniBatchKMeans, k_means, kmeans_plusplus",
    "from emclust import KMeans, MiniBatchKMeans, k_means, kmeans_plusplus",
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default=None, help="pytest -k expression")
    parser.add_argument("-v", action="store_true", help="list every failure")
    args = parser.parse_args()
    source = pathlib.Path(sklearn.__file__).parent / "cluster/tests/test_k_means.py"
    text = source.read_text(encoding="utf-8")
    if SWAP[0] not in text:
        sys.exit(f"the import line to swap is not in {source}")
    with tempfile.TemporaryDirectory() as tmp:
        test = pathlib.Path(tmp) / "test_k_means_emclust.py"
        test.write_text(text.replace(SWAP[0], SWAP[1]), encoding="utf-8")
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            str(test),
            "-q",
            "-p",
            "sklearn.conftest",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "-W",
            "default",
            "-rf",
            "--tb=no",
            "--rootdir",
            tmp,
        ]
        if args.k:
            cmd += ["-k", args.k]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
    failed = re.findall(r"^FAILED \S+::(\S+)", out.stdout, flags=re.M)
    groups = collections.Counter()
    for name in failed:
        inp = next((t for t in ("sparse_matrix", "sparse_array") if t in name), "dense")
        est = "MiniBatchKMeans" if "MiniBatch" in name else "KMeans/functions"
        groups[est, inp] += 1
    print(out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr)
    for (est, inp), n in sorted(groups.items()):
        print(f"{est:18} {inp:14} {n:4} failed")
    if args.v:
        print("\n".join(failed))


if __name__ == "__main__":
    main()
