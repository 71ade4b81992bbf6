"""Fitting on Dask arrays on a real dask.distributed cluster (2 worker
processes): equality with the in-memory fit, independence of the chunking,
lazy inference, and a worker killed in the middle of a fit.

Tolerance: within one Dask chunk the statistics come from the same
deterministic core as the in-memory fit; only the grouping of the float64
sums differs (the core adds its own fixed blocks in order, Dask adds its
chunks' sums pairwise). Each sum of n terms then differs by a few ulps
(relative ~n·eps in the worst case, ~1e-15 here), and EM near its fixed point
does not amplify that, so the fitted parameters agree to 1e-10 relative.
"""

import os
import signal
import threading
import time

import emclust
import numpy as np
import pytest
from _gmm_data import COVARIANCE_TYPES, blobs, initial_params

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

pytestmark = [
    pytest.mark.dask,
    pytest.mark.filterwarnings("ignore::emclust.ConvergenceWarning"),
]

RTOL = 1e-10
CHUNKINGS = {
    "chunks=1": ((1200,),),
    "chunks=4": ((300, 300, 300, 300),),
    "chunks=7,uneven": ((1, 199, 250, 250, 250, 249, 1),),
}


def _cluster(**kw):
    return distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        worker_dashboard_address=None,
        **kw,
    )


@pytest.fixture(scope="module")
def client():
    with _cluster() as cluster, distributed.Client(cluster, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def X():
    return blobs(n=1200, d=3, k=3, seed=11)


def _dask(X, chunking):
    return da.from_array(X, chunks=(CHUNKINGS[chunking][0], (X.shape[1],)))


def _assert_same_gmm(a, b):
    np.testing.assert_allclose(a.weights_, b.weights_, rtol=RTOL)
    np.testing.assert_allclose(a.means_, b.means_, rtol=RTOL)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=RTOL)
    np.testing.assert_allclose(
        a.precisions_cholesky_, b.precisions_cholesky_, rtol=RTOL
    )
    np.testing.assert_allclose(a.lower_bounds_, b.lower_bounds_, rtol=RTOL)
    assert a.n_iter_ == b.n_iter_
    assert a.converged_ == b.converged_


@pytest.mark.parametrize("chunking", list(CHUNKINGS))
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gmm_equals_in_memory_fit(client, X, covariance_type, chunking):
    kw = dict(
        n_components=3,
        covariance_type=covariance_type,
        tol=0,
        max_iter=15,
        **initial_params(X, 3, covariance_type),
    )
    in_memory = emclust.GaussianMixture(**kw).fit(X)
    on_dask = emclust.GaussianMixture(**kw).fit(_dask(X, chunking))
    _assert_same_gmm(on_dask, in_memory)


def test_gmm_weighted_with_dask_weights_equals_in_memory(client, X):
    w = np.random.default_rng(2).uniform(0, 3, X.shape[0])
    kw = dict(n_components=3, tol=1e-6, **initial_params(X, 3, "full"))
    in_memory = emclust.GaussianMixture(**kw).fit(X, sample_weight=w)
    on_dask = emclust.GaussianMixture(**kw).fit(
        _dask(X, "chunks=4"), sample_weight=da.from_array(w, chunks=500)
    )
    _assert_same_gmm(on_dask, in_memory)


def test_gmm_chunkings_agree_from_sampled_init(client, X):
    # k-means++ on a uniform sample of rows: the sample is drawn by row
    # index, so the initialisation, and the fit, do not depend on chunking.
    fits = [
        emclust.GaussianMixture(3, init_params="kmeans", random_state=4).fit(
            _dask(X, chunking)
        )
        for chunking in CHUNKINGS
    ]
    for other in fits[1:]:
        _assert_same_gmm(other, fits[0])
    assert fits[0].converged_


def test_gmm_inference_is_lazy_and_equal(client, X):
    gm = emclust.GaussianMixture(3, **initial_params(X, 3, "full")).fit(X)
    Xd = _dask(X, "chunks=7,uneven")
    for method in ("predict", "predict_proba", "score_samples"):
        out = getattr(gm, method)(Xd)
        assert isinstance(out, da.Array), method
        assert out.chunks[0] == Xd.chunks[0]
        # atol: responsibilities below 1e-300 are subnormal, with few digits.
        np.testing.assert_allclose(
            out.compute(),
            getattr(gm, method)(X),
            rtol=RTOL,
            atol=1e-300,
            err_msg=method,
        )


@pytest.mark.parametrize("chunking", list(CHUNKINGS))
def test_kmeans_equals_in_memory_fit(client, X, chunking):
    centers = X[[0, 1, 2]]
    in_memory = emclust.KMeans(3, init=centers, tol=0).fit(X)
    on_dask = emclust.KMeans(3, init=centers, tol=0).fit(_dask(X, chunking))
    np.testing.assert_allclose(
        on_dask.cluster_centers_, in_memory.cluster_centers_, rtol=RTOL
    )
    np.testing.assert_allclose(on_dask.inertia_, in_memory.inertia_, rtol=RTOL)
    assert on_dask.n_iter_ == in_memory.n_iter_
    assert isinstance(on_dask.labels_, da.Array)
    np.testing.assert_array_equal(on_dask.labels_.compute(), in_memory.labels_)
    np.testing.assert_array_equal(
        on_dask.predict(_dask(X, chunking)).compute(), in_memory.predict(X)
    )


def test_kmeans_plusplus_on_sample_does_not_depend_on_chunking(client, X):
    fits = [
        emclust.KMeans(3, random_state=7, n_init=2).fit(_dask(X, c)) for c in CHUNKINGS
    ]
    for other in fits[1:]:
        np.testing.assert_allclose(
            other.cluster_centers_, fits[0].cluster_centers_, rtol=RTOL
        )
        assert other.n_iter_ == fits[0].n_iter_


def test_dask_input_errors(client, X):
    with pytest.raises(ValueError, match="not supported on Dask"):
        emclust.GaussianMixture(2, init_params="random").fit(_dask(X, "chunks=4"))
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        emclust.GaussianMixture(2).fit(
            _dask(X, "chunks=4"), sample_weight=-da.ones(X.shape[0], chunks=300)
        )
    bad = X.copy()
    bad[700, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        emclust.KMeans(2, random_state=0).fit(_dask(bad, "chunks=4"))
    with pytest.raises(ValueError, match="NaN or infinity"):
        emclust.GaussianMixture(2, **initial_params(X, 2, "full")).fit(
            _dask(bad, "chunks=4")
        )
    with pytest.raises(TypeError, match="does not accept Dask"):
        emclust.KMedians(2).fit(_dask(X, "chunks=4"))


def test_worker_killed_mid_fit(client):
    """SIGKILL a worker process while it runs a task of the fit: the
    scheduler reruns the lost tasks elsewhere, so the fit must complete with
    the in-memory result, or fail with a clear RuntimeError and leave the
    estimator unfitted. Nothing in between is acceptable. (Last test of the
    module: the nanny restarts the killed worker afterwards.)"""
    X = blobs(n=40_000, d=8, k=4, seed=3)
    kw = dict(n_components=4, tol=0, max_iter=25, **initial_params(X, 4, "full"))
    expected = emclust.GaussianMixture(**kw).fit(X)
    pids = client.run(os.getpid)
    Xd = client.persist(da.from_array(X, chunks=(1000, 8)))
    distributed.wait(Xd)
    killed = threading.Event()

    def kill_a_busy_worker():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = [a for a, keys in client.processing().items() if keys]
            if busy and busy[0] in pids:
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.set()
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_a_busy_worker, daemon=True)
    gm = emclust.GaussianMixture(**kw)
    killer.start()
    try:
        gm.fit(Xd)
    except RuntimeError as exc:
        assert "Dask cluster" in str(exc)
        assert not hasattr(gm, "means_")
    else:
        _assert_same_gmm(gm, expected)
    killer.join(timeout=70)
    assert killed.is_set()
