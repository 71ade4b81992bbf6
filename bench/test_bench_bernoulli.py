"""pytest-benchmark: Bernoulli mixture EM iterations, emclust vs the NumPy
reference, on (n, d, k) = (100000, 784, 10) binary data at 1 and 2 threads.

    PYTHONPATH=python python3 -m pytest bench/test_bench_bernoulli.py --benchmark-only

Every round runs the same fixed number of iterations (tol=0) from the same
start; every benchmark checks its result against the reference.
"""

import warnings

import emclust
import numpy as np
import pytest
from emclust.reference import bernoulli as ref
from threadpoolctl import threadpool_limits

N, D, K = 100_000, 784, 10
ITERS = 3


@pytest.fixture(scope="session")
def binary_data():
    rng = np.random.default_rng(0)
    theta = rng.uniform(0.05, 0.95, (K, D))
    z = rng.integers(0, K, N)
    X = np.empty((N, D), dtype=np.float64)
    for s in range(0, N, 10_000):
        X[s : s + 10_000] = (
            rng.random((min(10_000, N - s), D)) < theta[z[s : s + 10_000]]
        )
    weights = np.full(K, 1.0 / K)
    start = np.clip(X[np.linspace(0, N - 1, K).astype(int)], 0.25, 0.75)
    expected = ref.fit_em(X, weights, start, max_iter=ITERS, tol=0.0)[1]
    return X, weights, start, expected


@pytest.mark.benchmark(group="bernoulli n=1e5,d=784,k=10")
@pytest.mark.parametrize("n_threads", [1, 2], ids=lambda t: f"threads={t}")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_emclust(benchmark, binary_data, n_threads, dtype):
    X, weights, start, expected = binary_data
    X = X.astype(dtype)

    def run():
        bm = emclust.BernoulliMixture(
            K,
            weights_init=weights,
            probabilities_init=start,
            max_iter=ITERS,
            tol=0.0,
            n_threads=n_threads,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", emclust.ConvergenceWarning)
            return bm.fit(X)

    bm = benchmark.pedantic(run, rounds=3, iterations=1)
    # float32: the E-step's log-odds product is rounded to float32.
    tol = dict(rtol=1e-10) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(bm.probabilities_, expected, **tol)


@pytest.mark.benchmark(group="bernoulli n=1e5,d=784,k=10")
@pytest.mark.parametrize("n_threads", [1, 2], ids=lambda t: f"threads={t}")
def test_reference(benchmark, binary_data, n_threads):
    X, weights, start, expected = binary_data

    def run():
        with threadpool_limits(n_threads):
            return ref.fit_em(X, weights, start, max_iter=ITERS, tol=0.0)

    theta = benchmark.pedantic(run, rounds=2, iterations=1)[1]
    # BLAS sums in a thread-dependent order: equal to rounding only.
    np.testing.assert_allclose(theta, expected, rtol=1e-12)
