"""pytest-benchmark: seconds per Gaussian-mixture EM iteration, emclust vs the
NumPy reference vs scikit-learn, from the same start with tol=0.

    PYTHONPATH=python python3 -m pytest bench/test_bench_gmm.py --benchmark-only
    PYTHONPATH=python python3 -m pytest bench/test_bench_gmm.py -k "emclust and full" --benchmark-only

Each round runs ITERS iterations, so every round does the same work; the
groups put the three implementations of one case side by side. Every
benchmark checks its fitted means against scikit-learn's (or, for the largest
cases, against emclust in float64), so `--benchmark-disable` turns this file
into a test. bench/compare_gmm.py prints the same comparison as one table,
with oneDAL and per-iteration times that exclude set-up.
"""

import warnings

import emclust
import numpy as np
import pytest
from emclust import reference
from threadpoolctl import threadpool_limits

ITERS = 3
CASES = {
    "n=1e5,d=2,k=8": (100_000, 2, 8),
    "n=1e5,d=16,k=16": (100_000, 16, 16),
    "n=1e6,d=8,k=16": (1_000_000, 8, 16),
    "n=2e5,d=64,k=32": (200_000, 64, 32),
}


def _start(X, k, covariance_type):
    d = X.shape[1]
    var = float(X.var(axis=0).mean())
    precisions = (
        np.stack([np.eye(d) / var] * k)
        if covariance_type == "full"
        else np.full((k, d), 1 / var)
    )
    return {
        "weights_init": np.full(k, 1.0 / k),
        "means_init": X[np.linspace(0, len(X) - 1, k).astype(int)].astype(np.float64),
        "precisions_init": precisions,
    }


@pytest.fixture(scope="session", params=list(CASES), ids=list(CASES))
def case(request):
    n, d, k = CASES[request.param]
    rng = np.random.default_rng(0)
    X = rng.normal(0, 4, (k, d))[rng.integers(0, k, n)] + rng.normal(size=(n, d))
    return request.param, X, k


@pytest.fixture(scope="session")
def expected(case):
    """Means after ITERS iterations, by emclust in float64 (checked against
    scikit-learn in tests/), keyed by covariance type."""
    _, X, k = case
    out = {}
    for ct in ("full", "diag"):
        gm = emclust.GaussianMixture(
            k, covariance_type=ct, max_iter=ITERS, tol=0.0, **_start(X, k, ct)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[ct] = gm.fit(X).means_
    return out


def _run(cls, X, k, ct, **kw):
    gm = cls(k, covariance_type=ct, max_iter=ITERS, tol=0.0, **_start(X, k, ct), **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gm.fit(X)


COV = pytest.mark.parametrize("covariance_type", ["full", "diag"])
DTYPE = pytest.mark.parametrize(
    "dtype", [np.float64, np.float32], ids=["float64", "float32"]
)
THREADS = pytest.mark.parametrize("n_threads", [1, 2], ids=lambda t: f"threads={t}")


@COV
@DTYPE
@THREADS
def test_emclust(benchmark, case, expected, covariance_type, dtype, n_threads):
    name, X, k = case
    benchmark.group = f"gmm {name} {covariance_type}"
    Xd = X.astype(dtype)
    gm = benchmark.pedantic(
        _run,
        args=(emclust.GaussianMixture, Xd, k, covariance_type),
        kwargs={"n_threads": n_threads},
        rounds=3,
        iterations=1,
    )
    rtol = 1e-9 if dtype == np.float64 else 1e-3
    np.testing.assert_allclose(
        gm.means_, expected[covariance_type], rtol=rtol, atol=rtol
    )


@COV
def test_reference(benchmark, case, expected, covariance_type):
    name, X, k = case
    if X.shape[0] * k * X.shape[1] ** 2 > 3e9:
        pytest.skip("the NumPy reference takes minutes per round here")
    benchmark.group = f"gmm {name} {covariance_type}"
    with threadpool_limits(1):
        gm = benchmark.pedantic(
            _run,
            args=(reference.GaussianMixture, X, k, covariance_type),
            rounds=1,
            iterations=1,
        )
    np.testing.assert_allclose(
        gm.means_, expected[covariance_type], rtol=1e-9, atol=1e-9
    )


@COV
@THREADS
def test_sklearn(benchmark, case, expected, covariance_type, n_threads):
    mixture = pytest.importorskip("sklearn.mixture")
    name, X, k = case
    benchmark.group = f"gmm {name} {covariance_type}"
    with threadpool_limits(n_threads):
        gm = benchmark.pedantic(
            _run,
            args=(mixture.GaussianMixture, X, k, covariance_type),
            rounds=1,
            iterations=1,
        )
    np.testing.assert_allclose(
        gm.means_, expected[covariance_type], rtol=1e-8, atol=1e-8
    )
