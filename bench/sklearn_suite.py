"""scikit-learn's own test files for GaussianMixture and KMeans, run against
emclust with only the import swapped.

    PYTHONPATH=python python bench/sklearn_suite.py          # dev build
    python bench/sklearn_suite.py                            # installed emclust
    python bench/sklearn_suite.py --files gmm -- -x -k init  # extra pytest args
    python bench/sklearn_suite.py --keep /tmp/suite          # keep the copies
    python bench/sklearn_suite.py --files gmm --keep-sklearn KMeans

The installed scikit-learn's ``sklearn/mixture/tests/test_gaussian_mixture.py``
and ``sklearn/cluster/tests/test_k_means.py`` are copied to a temporary
directory. In each, the public names ``GaussianMixture``, ``KMeans``,
``k_means`` and ``kmeans_plusplus`` are imported from emclust instead of
scikit-learn; everything else (``MiniBatchKMeans``, private helpers such as
``_estimate_gaussian_parameters``, datasets, metrics) still comes from
scikit-learn. The copies run under pytest with scikit-learn's own conftest
loaded as a plugin (its ``global_random_seed`` and ``global_dtype``
fixtures; ``SKLEARN_TESTS_GLOBAL_RANDOM_SEED`` works as in scikit-learn) and
with an empty pytest configuration, so emclust's ``filterwarnings=error``
does not apply to them. The float32 cases run too (scikit-learn's
``SKLEARN_RUN_FLOAT32_TESTS=1``; ``--no-float32`` leaves them out), since
emclust keeps float32 input in float32. ``--keep-sklearn KMeans`` leaves
scikit-learn's KMeans in place (the GMM file builds expected values from it).

The table gives passed/failed/skipped per file, then every failure with a
category:

- ``sparse``: a sparse-input case (parametrised with a sparse container);
- ``MiniBatchKMeans``: a case of scikit-learn's MiniBatchKMeans, or a test that
  drives one;
- ``private internal``: the test reaches into scikit-learn internals (a
  private method or attribute of the estimator, or a patched private module);
  a private function called only to compute expected values does not count;
- ``other``: none of these; a real difference to look at.

The category is read from the test id, the failure message and the test's
source; ``--verbose`` prints each failure's message too. The exit status is 1
when a failure is ``other``, so that the script can gate a release.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

# The names emclust provides with scikit-learn's meaning.
SWAPPED = {"GaussianMixture", "KMeans", "k_means", "kmeans_plusplus"}

FILES = {
    "gmm": ("mixture", "tests", "test_gaussian_mixture.py"),
    "kmeans": ("cluster", "tests", "test_k_means.py"),
}

# What each file must import from scikit-learn for the swap to mean anything:
# a file that stops importing one of these has changed under us.
EXPECTED = {
    "gmm": {"GaussianMixture", "KMeans"},
    "kmeans": {"KMeans", "k_means", "kmeans_plusplus"},
}

# ``obj._private``: a private method or attribute, or a private module.
_PRIVATE_CALL = re.compile(r"\.(_[a-z]\w*)\b")


def swap_imports(source: str, swapped_names=SWAPPED) -> tuple[str, list[str]]:
    """Rewrite ``from sklearn.x import A, B`` so that the names in SWAPPED come
    from emclust. Returns the new source and the names swapped."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits = []
    swapped = []
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom) or node.module is None:
            continue
        if not node.module.startswith("sklearn") or node.module.split(".")[
            -1
        ].startswith("_"):
            continue
        ours = [a for a in node.names if a.name in swapped_names]
        if not ours:
            continue
        theirs = [a for a in node.names if a.name not in swapped_names]

        def names(aliases):
            return ", ".join(
                a.name + (f" as {a.asname}" if a.asname else "") for a in aliases
            )

        new = f"from emclust import {names(ours)}\n"
        if theirs:
            new = f"from {node.module} import {names(theirs)}\n" + new
        edits.append((node.lineno - 1, node.end_lineno, new))
        swapped += [a.name for a in ours]
    for start, end, new in reversed(edits):
        lines[start:end] = [new]
    return "".join(lines), swapped


def test_sources(source: str) -> dict[str, str]:
    """Source text of each top-level test function, by name."""
    tree = ast.parse(source)
    return {
        node.name: ast.get_source_segment(source, node) or ""
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


def categorise(test_id: str, message: str, source: str) -> str:
    params = test_id.partition("[")[2]
    lowered = params.lower()
    if (
        any(s in lowered for s in ("sparse", "csr", "csc"))
        or "sparse" in message.lower()
    ):
        return "sparse"
    if "MiniBatchKMeans" in params or "MiniBatchKMeans" in source:
        return "MiniBatchKMeans"
    attr = re.search(r"has no attribute '(_\w*)'", message)
    if attr:
        return "private internal"
    # A private method or attribute of the estimator, or a patched private
    # module (``sklearn.mixture._gaussian_mixture``). A private function the
    # test merely calls to compute its expected values does not count: the
    # failure is then about emclust's result.
    used = {m.group(1) for m in _PRIVATE_CALL.finditer(source)}
    if {u for u in used if not u.startswith("__")}:
        return "private internal"
    return "other"


def run_file(
    key: str,
    workdir: Path,
    pytest_args: list[str],
    float32: bool = True,
    keep_sklearn: frozenset = frozenset(),
) -> list[dict]:
    import sklearn

    src_path = Path(sklearn.__file__).parent.joinpath(*FILES[key])
    source, swapped = swap_imports(src_path.read_text(), SWAPPED - keep_sklearn)
    missing = EXPECTED[key] - keep_sklearn - set(swapped)
    if missing:
        raise SystemExit(f"{src_path}: no import of {sorted(missing)} found to swap")
    target = workdir / src_path.name
    target.write_text(source)
    report = workdir / f"{key}.xml"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(target),
        "-p",
        "sklearn.conftest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(workdir),
        "-c",
        str(workdir / "pytest.ini"),
        f"--junitxml={report}",
        *pytest_args,
    ]
    import emclust

    # The copies run in another directory: pin the emclust this process
    # imported, so that a relative PYTHONPATH does not fall back to another one.
    env = dict(os.environ)
    here = str(Path(emclust.__file__).parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([here, env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    if float32:
        env["SKLEARN_RUN_FLOAT32_TESTS"] = "1"
    subprocess.run(cmd, cwd=workdir, env=env, stdout=subprocess.DEVNULL, check=False)
    sources = test_sources(source)
    results = []
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("name")
        outcome, message = "passed", ""
        for tag in ("failure", "error"):
            el = case.find(tag)
            if el is not None:
                outcome = "failed"
                message = (el.get("message") or "") + "\n" + (el.text or "")
        if case.find("skipped") is not None:
            outcome = "skipped"
        func = name.partition("[")[0]
        category = ""
        if outcome == "failed":
            category = categorise(name, message, sources.get(func, ""))
        results.append(
            {"id": name, "outcome": outcome, "category": category, "message": message}
        )
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--files", default="gmm,kmeans", help="gmm, kmeans or both (default)"
    )
    parser.add_argument("--keep", help="directory to write the copies to (kept)")
    parser.add_argument(
        "--no-float32",
        action="store_true",
        help="skip the float32 cases (scikit-learn skips them unless SKLEARN_RUN_FLOAT32_TESTS=1)",
    )
    parser.add_argument(
        "--keep-sklearn",
        default="",
        help="names (comma-separated) to leave imported from scikit-learn",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="print each failure's message"
    )
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest")
    args = parser.parse_args(argv)
    keep_sklearn = frozenset(filter(None, args.keep_sklearn.split(",")))
    if keep_sklearn - SWAPPED:
        parser.error(f"--keep-sklearn: not one of {sorted(SWAPPED)}")

    import emclust
    import sklearn

    print(f"emclust {emclust.__version__} from {Path(emclust.__file__).parent}")
    print(f"scikit-learn {sklearn.__version__} from {Path(sklearn.__file__).parent}")
    seed = os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", "42 (default)")
    print(f"global_random_seed: {seed}\n")

    workdir = (
        Path(args.keep)
        if args.keep
        else Path(tempfile.mkdtemp(prefix="sklearn_suite_"))
    )
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "pytest.ini").write_text("[pytest]\n")
    try:
        all_results = {
            key: run_file(
                key, workdir, args.pytest_args, not args.no_float32, keep_sklearn
            )
            for key in args.files.split(",")
        }
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"{'file':<28} {'passed':>7} {'failed':>7} {'skipped':>8}")
    for key, results in all_results.items():
        count = {
            o: sum(r["outcome"] == o for r in results)
            for o in ("passed", "failed", "skipped")
        }
        print(
            f"{FILES[key][-1]:<28} {count['passed']:>7} {count['failed']:>7} {count['skipped']:>8}"
        )

    n_other = 0
    for key, results in all_results.items():
        failed = [r for r in results if r["outcome"] == "failed"]
        if not failed:
            continue
        print(f"\nfailures in {FILES[key][-1]}:")
        by_category = {}
        for r in failed:
            by_category[r["category"]] = by_category.get(r["category"], 0) + 1
        print("  " + ", ".join(f"{c}: {n}" for c, n in sorted(by_category.items())))
        for r in sorted(failed, key=lambda r: (r["category"], r["id"])):
            print(f"  {r['category']:<17} {r['id']}")
            if args.verbose:
                first = r["message"].strip().splitlines()[:1]
                print(f"  {'':<17}   {first[0][:200] if first else ''}")
            n_other += r["category"] == "other"
    return 1 if n_other else 0


if __name__ == "__main__":
    sys.exit(main())
