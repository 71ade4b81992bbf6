"""The C++ library as another project uses it: install emclust with CMake,
build cpp/examples against the installed package (find_package), run it on
the Old Faithful data and compare its fitted model with the Python estimator's
from the same initial parameters.

The two builds differ in compiler flags (the extension's kernels are
dispatched to AVX2/AVX-512 builds, or compiled with -march=native when
EMCLUST_NATIVE=ON; the example takes the consumer's defaults), so fused
multiply-adds can change the last bits of each iteration: parameters agree
to 1e-10 relative, not bit for bit.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
from emclust import GaussianMixture

ROOT = Path(__file__).resolve().parents[1]
FAITHFUL = ROOT / "python" / "emclust" / "data" / "faithful.csv"


# Where `pip install ".[test]"` put cmake and ninja: the interpreter's scripts
# directory, which is on PATH only in an activated virtual environment.
_SCRIPTS = sysconfig.get_path("scripts")
_PATH = os.pathsep.join([_SCRIPTS, os.environ.get("PATH", "")])


def _which(name):
    return shutil.which(name, path=_PATH)


if not (ROOT / "cpp" / "examples" / "CMakeLists.txt").is_file():
    pytest.skip("not a source checkout", allow_module_level=True)


def _require_tools():
    """The test extra brings CMake, Ninja and Eigen; a missing one is a
    failure of the set-up, not a reason to skip."""
    missing = [name for name in ("cmake", "ninja") if _which(name) is None]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not found (looked in {_SCRIPTS} and PATH): "
            "pip install '.[test]' installs them"
        )
    if not any(_which(c) for c in ("c++", "g++", "clang++")):
        pytest.fail("no C++ compiler (c++, g++ or clang++) on PATH; one is needed")


def _run(*args, cwd=None):
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": _PATH},
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, args))} failed ({result.returncode}):\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout


@pytest.fixture(scope="module")
def fit_csv(tmp_path_factory):
    """Path of the example program, built against an installed emclust."""
    _require_tools()
    tmp = tmp_path_factory.mktemp("cpp_example")
    generator = ["-G", "Ninja", f"-DCMAKE_MAKE_PROGRAM={_which('ninja')}"]
    python = f"-DPython_EXECUTABLE={sys.executable}"
    _run(
        _which("cmake"),
        "-S",
        ROOT,
        "-B",
        tmp / "build",
        *generator,
        python,
        "-DEMCLUST_BUILD_TESTS=OFF",
        "-DEMCLUST_INSTALL=ON",
    )
    _run(_which("cmake"), "--install", tmp / "build", "--prefix", tmp / "prefix")
    assert (tmp / "prefix" / "include" / "emclust" / "gaussian_mixture.hpp").is_file()
    # Only the emclust prefix: Eigen must come through find_dependency.
    _run(
        _which("cmake"),
        "-S",
        ROOT / "cpp" / "examples",
        "-B",
        tmp / "example",
        *generator,
        f"-DCMAKE_PREFIX_PATH={tmp / 'prefix'}",
        "-DCMAKE_BUILD_TYPE=Release",
    )
    _run(_which("cmake"), "--build", tmp / "example")
    exe = tmp / "example" / ("fit_csv.exe" if os.name == "nt" else "fit_csv")
    assert exe.is_file()
    return exe


def _parse(output):
    """The example's "key [index] values..." lines as a dict of arrays."""
    out = {}
    for line in output.splitlines():
        key, *values = line.split()
        if key in ("weight", "mean", "covariance"):
            out.setdefault(key, []).append([float(v) for v in values[1:]])
        else:
            out[key] = float(values[0])
    return {k: np.asarray(v) for k, v in out.items()}


def test_installed_example_matches_python(fit_csv, tmp_path):
    X = np.loadtxt(FAITHFUL, delimiter=",", skiprows=1)
    means = X[[0, 1]]  # rows 0 and 1: one long and one short eruption
    means_file = tmp_path / "means.csv"
    np.savetxt(means_file, means, delimiter=",", fmt="%.17g")

    got = _parse(_run(fit_csv, FAITHFUL, "2", means_file))

    gmm = GaussianMixture(
        n_components=2,
        covariance_type="full",
        weights_init=np.full(2, 0.5),
        means_init=means,
        precisions_init=np.stack([np.eye(2)] * 2),
    ).fit(X)
    assert got["n_samples"] == X.shape[0] and got["n_features"] == 2
    assert bool(got["converged"]) == gmm.converged_
    assert got["n_iter"] == gmm.n_iter_
    np.testing.assert_allclose(got["lower_bound"], gmm.lower_bound_, rtol=1e-10)
    np.testing.assert_allclose(got["weight"].ravel(), gmm.weights_, rtol=1e-10)
    np.testing.assert_allclose(got["mean"], gmm.means_, rtol=1e-10)
    np.testing.assert_allclose(
        got["covariance"], gmm.covariances_.reshape(2, 4), rtol=1e-10
    )
    # The fit separates the two kinds of eruption, it did not stall.
    assert gmm.converged_ and np.ptp(gmm.means_[:, 1]) > 20


def test_installed_example_rejects_bad_arguments(fit_csv, tmp_path):
    result = subprocess.run(
        [fit_csv, FAITHFUL, "0"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "invalid argument: n_components must be >= 1" in result.stderr
