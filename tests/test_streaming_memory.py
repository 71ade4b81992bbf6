"""Out-of-core fits keep their anonymous memory near one block.

Each measure runs in a fresh Python process: a thread samples RssAnon
(/proc/self/status: the process's private memory, without the file pages
of the memory map, which the kernel may evict) while the fit runs, and the
peak growth over the memory before the fit is compared with the file's
size. A copy of the data, or any per-row array, would grow it by a sizeable
fraction of the file.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import emclust
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="needs /proc/self/status (Linux)"
)

_CHILD = textwrap.dedent(
    """
    import json, sys, threading, time, warnings
    import numpy as np
    import emclust
    from emclust.drivers.streaming import GaussianModel, exact_block_rows

    def anon_mib():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024

    path, how = sys.argv[1], sys.argv[2]
    M = np.load(path, mmap_mode="r")
    n, d = M.shape
    k = 4
    if how == "blocks":
        rows = exact_block_rows(GaussianModel("full"), n, d, k)
        X = [M[a : a + rows] for a in range(0, n, rows)]
        est = emclust.GaussianMixture(k, max_iter=2, tol=0.0, random_state=0)
    elif how == "memmap":
        X = M
        est = emclust.GaussianMixture(
            k, max_iter=2, tol=0.0, init_params="random_from_data", random_state=0
        )
    else:  # online epochs over the memmap
        X = M
        est = emclust.GaussianMixture(k, batch_size=20_000, max_iter=1, random_state=0)
    # Warm the imports and the core's thread pool on a small slice first.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        emclust.GaussianMixture(k, max_iter=1).fit(np.array(M[:2000]))
    base = anon_mib()
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak.append(anon_mib())
            time.sleep(0.002)

    t = threading.Thread(target=sample)
    t.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X)
    done.set()
    t.join()
    print(json.dumps({"growth_mib": max(peak) - base, "n_iter": est.n_iter_}))
    """
)


@pytest.fixture(scope="module")
def big_npy(tmp_path_factory):
    """A 64 MiB .npy file: 524,288 rows of 16 float64."""
    path = tmp_path_factory.mktemp("memmap") / "x.npy"
    n, d = 1 << 19, 16
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, d))
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=8.0, size=(4, d))
    for a in range(0, n, 1 << 16):
        m = min(1 << 16, n - a)
        out[a : a + m] = centres[rng.integers(0, 4, m)] + rng.normal(size=(m, d))
    out.flush()
    del out
    return path


@pytest.mark.parametrize("how", ["blocks", "memmap", "online"])
def test_an_out_of_core_fit_keeps_anonymous_memory_near_one_block(big_npy, how):
    file_mib = big_npy.stat().st_size / 2**20
    env = dict(os.environ, OMP_NUM_THREADS="2")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(emclust.__file__).parents[1]), env.get("PYTHONPATH", "")]
    )
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(big_npy), how],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["n_iter"] >= 1
    # A copy of X would add 64 MiB, one float64 per row 4 MiB; a block is
    # 4096 rows (0.5 MiB), an online batch 20,000 (2.4 MiB, a view of the
    # map). Measured: 0.5 to 1.3 MiB.
    assert out["growth_mib"] < file_mib / 16, out
