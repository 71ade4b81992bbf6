"""Run-time dispatch of the hot kernels (dispatch_table.hpp): a portable build
installs the best build of them for the CPU at import (x86-64-v4, v3, or the
baseline compiled with the module), and EMCLUST_LANES caps it. They are the
Gaussian lane kernels (d <= 16), the tile products of full covariances with
more features (d = 17: lane norms and a GEMM scatter; d = 40: a triangular
GEMM and SYRK; d = 48, k = 16: stacked factors and scatters), K-means'
nearest-centre kernel and K-medians' L1 kernels. Every path must fit the
same model: float64 to 1e-10 relative, and bit-identical for any n_threads.

On a native build (-march=native) there is no dispatch: every cap runs the
kernels "as compiled", and the test still checks that the fits agree."""

import os
import subprocess
import sys
from pathlib import Path

import emclust
import numpy as np
import pytest
from emclust import _core

# d = 16 and 17 straddle the largest feature count of the full lane kernels;
# 40 takes the tile products' matrix path; 23 runs the diagonal kernels with a
# run-time feature count. n = 1003 leaves a partial packet of rows at the end
# of the last tile.
# 48 with 16 components whitens under all components at once (stacked_norms)
# and takes their scatters from one product (stacked_scatter), full and tied.
CASES = [(2, "full"), (16, "full"), (16, "tied"), (17, "full"), (40, "full"),
         (48, "full"), (48, "tied"), (5, "diag"), (23, "diag"),
         (16, "spherical")]  # fmt: skip
# K-means: d = 2 and 16 fill whole SIMD squares of the transposition, 19 does
# not; k = 7 leaves a partial tile of centres.
KMEANS_CASES = [2, 16, 19]
CAPS = {
    "": {"as compiled", "x86-64-v3", "x86-64-v4"},
    "x86-64-v3": {"as compiled", "x86-64-v3"},
    "x86-64": {"as compiled"},
}

_FIT = """
import sys
import numpy as np
import emclust
from emclust import _core
sys.path.insert(0, sys.argv[2])
from _gmm_data import blobs, initial_params
out = {"kernels": np.array([_core.lane_kernels()["float64"],
                            _core.lane_kernels()["float32"]])}
for d, ct in %r:
    for dtype in (np.float64, np.float32):
        k, n = (16, 4003) if d == 48 else (4, 1003)
        X = blobs(n=n, d=d, k=k, seed=d, dtype=dtype)
        init = initial_params(X, k, ct)
        for threads in (1, 2, 3):
            g = emclust.GaussianMixture(k, covariance_type=ct, max_iter=4, tol=0,
                                        n_threads=threads, **init)
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                g.fit(X)
            key = f"{d}_{ct}_{np.dtype(dtype).name}_{threads}"
            out[key + "_means"] = g.means_
            out[key + "_cov"] = g.covariances_
            out[key + "_bound"] = np.array(g.lower_bound_)
for d in %r:
    for dtype in (np.float64, np.float32):
        X = blobs(n=1003, d=d, k=7, seed=d, dtype=dtype)
        for threads in (1, 2, 3):
            km = emclust.KMeans(7, init=X[:7].astype(np.float64), n_init=1,
                                max_iter=5, tol=0, n_threads=threads).fit(X)
            key = f"kmeans_{d}_{np.dtype(dtype).name}_{threads}"
            out[key + "_labels"] = km.labels_
            out[key + "_centres"] = km.cluster_centers_
            # K-medians seeded by the L1 k-means++ (its distance kernel) and
            # iterated (its nearest-centre kernel).
            med = emclust.KMedians(7, n_init=1, max_iter=5, tol=0, random_state=d,
                                   n_threads=threads).fit(X)
            key = f"kmedians_{d}_{np.dtype(dtype).name}_{threads}"
            out[key + "_labels"] = med.labels_
            out[key + "_centres"] = med.cluster_centers_
            out[key + "_inertia"] = np.array(med.inertia_)
np.savez(sys.argv[1], **out)
"""


def _fit_with_cap(cap, path):
    env = dict(os.environ, PYTHONPATH=str(Path(emclust.__file__).parents[1]))
    env.pop("EMCLUST_LANES", None)
    if cap:
        env["EMCLUST_LANES"] = cap
    subprocess.run(
        [
            sys.executable,
            "-c",
            _FIT % (CASES, KMEANS_CASES),
            str(path),
            str(Path(__file__).parent),
        ],
        env=env,
        check=True,
    )
    return dict(np.load(path))


@pytest.fixture(scope="module")
def fits(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lanes")
    return {cap: _fit_with_cap(cap, tmp / f"fit{i}.npz") for i, cap in enumerate(CAPS)}


def test_lane_kernels_names_a_build_for_each_dtype():
    names = _core.lane_kernels()
    assert set(names) == {"float64", "float32"}
    assert names["float64"] in CAPS[""]
    assert names["float32"] == names["float64"]


@pytest.mark.parametrize("cap", list(CAPS))
def test_cap_limits_the_installed_kernels(fits, cap):
    assert set(fits[cap]["kernels"]) <= CAPS[cap]


@pytest.mark.parametrize("cap", list(CAPS))
def test_every_path_is_bit_identical_across_thread_counts(fits, cap):
    # A dispatched kernel must not sum in an order set by its buffers'
    # addresses: the baseline caller aligns them for its own packets only,
    # and each thread's scratch lies elsewhere (d = 40 once differed so).
    f = fits[cap]
    for d, ct in CASES:
        for dtype in ("float64", "float32"):
            for part in ("means", "cov", "bound"):
                one = f[f"{d}_{ct}_{dtype}_1_{part}"]
                for threads in (2, 3):
                    np.testing.assert_array_equal(
                        f[f"{d}_{ct}_{dtype}_{threads}_{part}"], one
                    )


@pytest.mark.parametrize("cap", list(CAPS))
def test_kmeans_is_bit_identical_across_thread_counts(fits, cap):
    f = fits[cap]
    for d in KMEANS_CASES:
        for dtype in ("float64", "float32"):
            for part in ("labels", "centres"):
                one = f[f"kmeans_{d}_{dtype}_1_{part}"]
                for threads in (2, 3):
                    np.testing.assert_array_equal(
                        f[f"kmeans_{d}_{dtype}_{threads}_{part}"], one
                    )


@pytest.mark.parametrize("cap", ["x86-64-v3", "x86-64"])
def test_capped_kmeans_paths_find_the_same_clusters(fits, cap):
    # No row of these blobs is within rounding of a tie, so every path (with
    # or without FMA, any packet width) gives the same labels, and the
    # centres, summed in float64 from them, agree to rounding.
    for d in KMEANS_CASES:
        for dtype in ("float64", "float32"):
            key = f"kmeans_{d}_{dtype}_1_"
            ref = fits[""]
            np.testing.assert_array_equal(
                fits[cap][key + "labels"], ref[key + "labels"], err_msg=key
            )
            np.testing.assert_allclose(
                fits[cap][key + "centres"],
                ref[key + "centres"],
                rtol=1e-10,
                err_msg=key,
            )


@pytest.mark.parametrize("cap", list(CAPS))
def test_kmedians_is_bit_identical_on_every_path(fits, cap):
    # An L1 distance is a sum of |x_j - c_j| in feature order on every path
    # (no FMA, no reassociation), so the kernels of every ISA and any thread
    # count give the same bits, seeding included.
    for d in KMEANS_CASES:
        for dtype in ("float64", "float32"):
            for part in ("labels", "centres", "inertia"):
                ref = fits[""][f"kmedians_{d}_{dtype}_1_{part}"]
                for threads in (1, 2, 3):
                    key = f"kmedians_{d}_{dtype}_{threads}_{part}"
                    np.testing.assert_array_equal(fits[cap][key], ref, err_msg=key)


@pytest.mark.parametrize("cap", ["x86-64-v3", "x86-64"])
def test_capped_paths_fit_the_same_model(fits, cap):
    # float64 within the exactness bound; float32 within its own rounding
    # (each path sums a tile's rows in packets of its own width). The float32
    # lower bound after 4 iterations of the 16-feature full fit (250 rows per
    # 136-parameter covariance) is only good to about 2e-4 on any path: every
    # path is that far from the float64 fit's, as the previous release was.
    for d, ct in CASES:
        for dtype, rtol in (("float64", 1e-10), ("float32", 2e-4)):
            for part in ("means", "cov", "bound"):
                key = f"{d}_{ct}_{dtype}_1_{part}"
                tol = 1e-3 if (dtype, part) == ("float32", "bound") else rtol
                ref = fits[""][key]
                np.testing.assert_allclose(
                    fits[cap][key],
                    ref,
                    rtol=tol,
                    atol=tol * np.abs(ref).max(),
                    err_msg=key,
                )


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("dtype, far", [(np.float64, 1e300), (np.float32, 1e30)])
@pytest.mark.parametrize("n", [100, 103, 256])
def test_rows_beyond_every_mean_give_no_statistics(covariance_type, dtype, far, n):
    # Every row's log-density overflows to -inf; so does that of the zero
    # rows padding the last packet, which must not turn the sums into NaN.
    X = np.random.default_rng(0).normal(size=(n, 3)).astype(dtype)
    precisions_cholesky = {
        "full": np.stack([np.eye(3)] * 2),
        "tied": np.eye(3),
        "diag": np.ones((2, 3)),
        "spherical": np.ones(2),
    }[covariance_type]
    s = emclust.gmm_statistics(
        X, np.full(2, 0.5), np.full((2, 3), far), precisions_cholesky, covariance_type
    )
    assert s.log_likelihood == -np.inf
    for part in (s.resp_sum, s.first, s.second):
        np.testing.assert_array_equal(part, 0)
