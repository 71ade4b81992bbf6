"""Run scikit-learn's own KMeans test file against emclust.

Copies sklearn/cluster/tests/test_k_means.py into a temporary folder with
its public estimators and functions (KMeans, k_means, kmeans_plusplus, and
MiniBatchKMeans where emclust exports it) imported from emclust instead, runs it with pytest (the
fixtures of scikit-learn's conftest loaded as a plugin), and prints the
failures grouped by estimator and by input (dense, sparse_matrix,
sparse_array). scikit-learn's private helpers that the file also tests stay
scikit-learn's.

    PYTHONPATH=python python bench/sklearn_kmeans_tests.py [-k EXPR] [-v]
"""

from __future__ import annotations

import argparse
import collections
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import sklearn

SWAP = (
    "from sklearn.cluster import KMeans, MiniBatchKMeans, k_means, kmeans_plusplus",
    "from emclust import KMeans, k_means, kmeans_plusplus\n"
    "try:\n"
    "    from emclust import MiniBatchKMeans\n"
    "except ImportError:  # not exported (yet): scikit-learn's\n"
    "    from sklearn.cluster import MiniBatchKMeans\n",
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
        # The run happens in the temporary folder: a relative PYTHONPATH
        # (PYTHONPATH=python) must still find this emclust.
        env = dict(os.environ)
        paths = env.get("PYTHONPATH", "").split(os.pathsep)
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in paths if p)
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, env=env)
    failed = re.findall(r"^FAILED \S+::(\S+)", out.stdout, flags=re.M)
    groups = collections.Counter()
    for name in failed:
        inp = next((t for t in ("sparse_matrix", "sparse_array") if t in name), "dense")
        est = "MiniBatchKMeans" if "MiniBatch" in name else "KMeans/functions"
        groups[est, inp] += 1
    print(out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr)
    if out.returncode not in (0, 1):
        print(out.stdout[-3000:], out.stderr[-3000:])
    for (est, inp), n in sorted(groups.items()):
        print(f"{est:18} {inp:14} {n:4} failed")
    if args.v:
        print("\n".join(failed))


if __name__ == "__main__":
    main()
