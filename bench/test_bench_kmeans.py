"""pytest-benchmark: ten Lloyd iterations of emclust.KMeans, scikit-learn and
faiss from the same centres (tol=0, so every round does the same work)."""

import emclust
import numpy as np
import pytest

CASES = [
    pytest.param((1_000_000, 16, 64), id="n=1e6,d=16,k=64"),
    pytest.param((200_000, 2, 8), id="n=2e5,d=2,k=8"),
]
DTYPES = [
    pytest.param(np.float64, id="float64"),
    pytest.param(np.float32, id="float32"),
]
THREADS = [pytest.param(t, id=f"threads={t}") for t in (1, 2)]
ITERATIONS = 10


@pytest.fixture(scope="session")
def datasets():
    rng = np.random.default_rng(0)
    out = {}
    for param in CASES:
        n, d, k = param.values[0]
        X = rng.standard_normal((n, d)) + rng.integers(0, 4, (n, 1))
        out[(n, d, k)] = (X, X[rng.choice(n, k, replace=False)])
    return out


@pytest.mark.parametrize("n_threads", THREADS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_emclust_lloyd(benchmark, datasets, case, dtype, n_threads):
    benchmark.group = f"kmeans {case} {np.dtype(dtype).name} threads={n_threads}"
    X, init = datasets[case]
    X = X.astype(dtype)
    km = emclust.KMeans(
        case[2], init=init, max_iter=ITERATIONS, tol=0, n_threads=n_threads
    )
    benchmark.pedantic(km.fit, args=(X,), rounds=3, iterations=1, warmup_rounds=1)
    assert km.n_iter_ <= ITERATIONS
    assert np.isfinite(km.cluster_centers_).all()


@pytest.mark.parametrize("n_threads", THREADS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_sklearn_lloyd(benchmark, datasets, case, dtype, n_threads):
    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    threadpoolctl = pytest.importorskip("threadpoolctl")
    benchmark.group = f"kmeans {case} {np.dtype(dtype).name} threads={n_threads}"
    X, init = datasets[case]
    X = X.astype(dtype)
    km = sklearn_cluster.KMeans(
        case[2], init=init, n_init=1, max_iter=ITERATIONS, tol=0
    )

    def fit():
        with threadpoolctl.threadpool_limits(n_threads, user_api="openmp"):
            with threadpoolctl.threadpool_limits(1, user_api="blas"):
                return km.fit(X)

    benchmark.pedantic(fit, rounds=3, iterations=1, warmup_rounds=1)
    assert km.n_iter_ <= ITERATIONS


@pytest.mark.parametrize("n_threads", THREADS)
@pytest.mark.parametrize("case", CASES)
def test_faiss_lloyd(benchmark, datasets, case, n_threads):
    faiss = pytest.importorskip("faiss")
    benchmark.group = f"kmeans {case} float32 threads={n_threads}"
    X, init = datasets[case]
    X = X.astype(np.float32)
    _, d, k = case
    faiss.omp_set_num_threads(n_threads)
    km = faiss.Kmeans(d, k, niter=ITERATIONS, max_points_per_centroid=10**9)

    def fit():
        km.train(X, init_centroids=init.astype(np.float32))

    benchmark.pedantic(fit, rounds=3, iterations=1, warmup_rounds=1)
    assert np.isfinite(km.centroids).all()
