"""The default build runs on a CPU without AVX: every model fits under
qemu-x86_64 -cpu Nehalem (SSE4.2, the x86-64-v2 level), where the module
must install its baseline kernels, and agrees with the same fits on this
machine's dispatched kernels to 1e-10.

A module built with EMCLUST_NATIVE=ON on an AVX machine dies here with
SIGILL: that is what this test is for. It needs Debian's qemu-user, which
pip cannot bring, so the README's test command skips it where qemu-x86_64 is
missing; CI installs qemu-user after the README's commands and runs this file
again with EMCLUST_REQUIRE_QEMU=1, where a missing qemu is a failure."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import emclust
import numpy as np
import pytest

QEMU = shutil.which("qemu-x86_64")

_FITS = """
import json, sys
import numpy as np
import emclust
from emclust import _core

rng = np.random.default_rng(0)
X = np.concatenate([rng.normal(size=(300, 3)), rng.normal(size=(300, 3)) + 4])
out = {"kernels": _core.lane_kernels()["float64"]}
for ct in ("full", "tied", "diag", "spherical"):
    for dtype in ("float64", "float32"):
        g = emclust.GaussianMixture(2, covariance_type=ct, random_state=0)
        g.fit(X.astype(dtype))
        out[f"gmm_{ct}_{dtype}"] = [g.lower_bound_, *g.means_.ravel().tolist()]
for name in ("KMeans", "KMedians", "MiniBatchKMeans"):
    m = getattr(emclust, name)(2, random_state=0, n_init=1).fit(X)
    out[name] = [float(m.inertia_), *np.sort(m.cluster_centers_, axis=0).ravel().tolist()]
b = emclust.BernoulliMixture(2, random_state=0).fit((X > 2).astype(float))
out["BernoulliMixture"] = [b.lower_bound_, *b.probabilities_.ravel().tolist()]
json.dump(out, sys.stdout)
"""


def _run(prefix):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(emclust.__file__).parents[1]), env.get("PYTHONPATH", "")]
    )
    r = subprocess.run(
        [*prefix, sys.executable, "-c", _FITS],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    return json.loads(r.stdout)


@pytest.mark.skipif(
    QEMU is None and not os.environ.get("EMCLUST_REQUIRE_QEMU"),
    reason="qemu-x86_64 (Debian's qemu-user) is not installed",
)
def test_every_model_fits_on_a_cpu_without_avx():
    assert QEMU is not None, "EMCLUST_REQUIRE_QEMU is set but qemu-x86_64 is missing"
    old = _run([QEMU, "-cpu", "Nehalem"])
    here = _run([])
    # Nehalem has no AVX: the dispatch falls back to the baseline build.
    assert old.pop("kernels") == "as compiled"
    here.pop("kernels")
    assert old.keys() == here.keys()
    for key in here:
        rtol = 1e-4 if key.endswith("float32") else 1e-10
        np.testing.assert_allclose(old[key], here[key], rtol=rtol, err_msg=key)
