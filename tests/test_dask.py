"""Fitting on Dask arrays on a real dask.distributed cluster (2 worker
processes): equality with the in-memory fit (Gaussian mixture, K-means with
empty clusters relocated, mixture of Bernoullis), independence of the
chunking, lazy inference, scores by reduction, and a worker killed in the
middle of a fit.

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
        emclust.GaussianMixture(
            2, missing_values=None, **initial_params(X, 2, "full")
        ).fit(_dask(bad, "chunks=4"))
    with pytest.raises(TypeError, match="does not accept Dask"):
        emclust.KMedians(2).fit(_dask(X, "chunks=4"))


# --- K-means: empty clusters ------------------------------------------------------


def _kmeans_chunked(X, chunks):
    return da.from_array(X, chunks=(chunks, (X.shape[1],)))


def _assert_same_kmeans(on_dask, in_memory, X, chunks):
    np.testing.assert_allclose(
        on_dask.cluster_centers_, in_memory.cluster_centers_, rtol=RTOL, atol=1e-12
    )
    np.testing.assert_allclose(on_dask.inertia_, in_memory.inertia_, rtol=RTOL)
    assert on_dask.n_iter_ == in_memory.n_iter_
    np.testing.assert_array_equal(on_dask.labels_.compute(), in_memory.labels_)


EMPTY_CHUNKINGS = {
    "chunks=1": (1200,),
    "chunks=5,uneven": (1, 299, 400, 300, 200),
    "chunks=12": (100,) * 12,
}


@pytest.mark.parametrize("chunking", list(EMPTY_CHUNKINGS))
@pytest.mark.parametrize("tol", [0.0, 1e-4], ids=lambda t: f"tol={t:g}")
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_kmeans_relocates_empty_clusters_as_in_memory(
    client, X, chunking, tol, weighted
):
    # Two of five initial centres lie far from every row: both clusters are
    # empty after the first assignment and take the rows farthest from their
    # centres; the fit then goes on from there. Weights include zeros (rows
    # that are never relocated).
    centers = np.vstack([X[[0, 1, 2]], [[500.0, 500, 500], [-800.0, 0, 0]]])
    w = None
    if weighted:
        w = np.random.default_rng(4).uniform(0, 2, X.shape[0])
        w[::7] = 0
    in_memory = emclust.KMeans(5, init=centers, tol=tol).fit(X, sample_weight=w)
    assert in_memory.n_iter_ >= 3
    assert (np.abs(in_memory.cluster_centers_) < 100).all()  # the far ones moved
    chunks = EMPTY_CHUNKINGS[chunking]
    on_dask = emclust.KMeans(5, init=centers, tol=tol).fit(
        _kmeans_chunked(X, chunks),
        sample_weight=None if w is None else da.from_array(w, chunks=(chunks,)),
    )
    _assert_same_kmeans(on_dask, in_memory, X, chunks)


@pytest.mark.parametrize("chunking", ["chunks=1", "chunks=5,uneven"])
def test_kmeans_stops_when_no_label_changes_after_a_relocation(client, chunking):
    # An outlier left with the big cluster at first: the empty cluster takes
    # it, after which no label changes. The core stops there (the centres
    # still move by rounding: the relocation subtracted the outlier from a
    # sum); so must the Dask fit, with tol=0, in as many iterations.
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(1199, 2)), [[40.0, 40.0]]])
    rng.shuffle(X)
    centers = np.array([[0.0, 0.0], [1e4, 1e4]])
    in_memory = emclust.KMeans(2, init=centers, tol=0).fit(X)
    assert in_memory.n_iter_ == 2
    on_dask = emclust.KMeans(2, init=centers, tol=0).fit(
        _kmeans_chunked(X, EMPTY_CHUNKINGS[chunking])
    )
    _assert_same_kmeans(on_dask, in_memory, X, None)


@pytest.mark.parametrize("chunks", [(4,), (1, 1, 1, 1), (3, 1), (1, 3)])
def test_kmeans_relocation_of_duplicate_rows(client, chunks):
    # Fewer distinct rows than clusters: the first relocation finds no row
    # (every distance is 0); the mean of three copies of 0.1 is not 0.1, so
    # in the next iteration a copy is at a positive distance and moves,
    # while no label changed: the core stops with the moved row's label.
    X = np.array([[0.1], [0.1], [0.1], [5.0]])
    centers = np.array([[0.1], [5.0], [100.0]])
    in_memory = emclust.KMeans(3, init=centers, tol=0).fit(X)
    assert in_memory.n_iter_ == 2
    np.testing.assert_array_equal(in_memory.labels_, [2, 0, 0, 1])
    on_dask = emclust.KMeans(3, init=centers, tol=0).fit(_kmeans_chunked(X, chunks))
    _assert_same_kmeans(on_dask, in_memory, X, chunks)


def test_kmeans_score_and_transform_on_dask(client, X):
    km = emclust.KMeans(3, random_state=0).fit(X)
    Xd = _dask(X, "chunks=7,uneven")
    w = np.random.default_rng(1).uniform(0, 2, X.shape[0])
    np.testing.assert_allclose(km.score(Xd), km.score(X), rtol=RTOL)
    np.testing.assert_allclose(
        km.score(Xd, sample_weight=da.from_array(w, chunks=250)),
        km.score(X, sample_weight=w),
        rtol=RTOL,
    )
    assert isinstance(km.score(Xd), float)
    distances = km.transform(Xd)
    assert isinstance(distances, da.Array)
    assert distances.chunks == (Xd.chunks[0], (3,))
    np.testing.assert_allclose(distances.compute(), km.transform(X), rtol=RTOL)


# --- mixture of Bernoullis ------------------------------------------------------------


@pytest.fixture(scope="module")
def B():
    rng = np.random.default_rng(5)
    theta = rng.uniform(0.05, 0.95, (3, 16))
    z = rng.choice(3, 1200, p=[0.5, 0.3, 0.2])
    return (rng.random((1200, 16)) < theta[z]).astype(np.float64)


def _bernoulli_init(k, d, seed=2):
    rng = np.random.default_rng(seed)
    return {
        "weights_init": rng.dirichlet(np.full(k, 4.0)),
        "probabilities_init": rng.uniform(0.2, 0.8, (k, d)),
    }


def _assert_same_bernoulli(a, b):
    np.testing.assert_allclose(a.weights_, b.weights_, rtol=RTOL)
    np.testing.assert_allclose(a.probabilities_, b.probabilities_, rtol=RTOL)
    np.testing.assert_allclose(a.lower_bounds_, b.lower_bounds_, rtol=RTOL)
    np.testing.assert_allclose(a.lower_bound_, b.lower_bound_, rtol=RTOL)
    assert a.n_iter_ == b.n_iter_
    assert a.converged_ == b.converged_


@pytest.mark.parametrize("chunking", list(CHUNKINGS))
def test_bernoulli_equals_in_memory_fit(client, B, chunking):
    kw = dict(n_components=3, tol=0, max_iter=20, alpha=0.5, **_bernoulli_init(3, 16))
    in_memory = emclust.BernoulliMixture(**kw).fit(B)
    on_dask = emclust.BernoulliMixture(**kw).fit(_dask(B, chunking))
    _assert_same_bernoulli(on_dask, in_memory)


def test_bernoulli_weighted_bool_data_equals_in_memory(client, B):
    # bool data (computed in float64) and Dask weights with zeros; converges.
    w = np.random.default_rng(3).uniform(0, 2, B.shape[0])
    w[::5] = 0
    kw = dict(n_components=3, tol=1e-8, max_iter=300, **_bernoulli_init(3, 16))
    in_memory = emclust.BernoulliMixture(**kw).fit(B.astype(bool), sample_weight=w)
    on_dask = emclust.BernoulliMixture(**kw).fit(
        _dask(B.astype(bool), "chunks=7,uneven"),
        sample_weight=da.from_array(w, chunks=300),
    )
    assert in_memory.converged_
    _assert_same_bernoulli(on_dask, in_memory)


@pytest.mark.parametrize("init_params", ["k-means++", "random_from_data"])
def test_bernoulli_chunkings_agree_from_sampled_init(client, B, init_params):
    fits = [
        emclust.BernoulliMixture(
            3, init_params=init_params, n_init=2, random_state=6
        ).fit(_dask(B, chunking))
        for chunking in CHUNKINGS
    ]
    for other in fits[1:]:
        _assert_same_bernoulli(other, fits[0])
    assert fits[0].converged_
    # Seeded from rows of B: a real fit, close to the in-memory optimum.
    in_memory = emclust.BernoulliMixture(3, n_init=2, random_state=6).fit(B)
    assert abs(fits[0].lower_bound_ - in_memory.lower_bound_) < 0.05


def test_bernoulli_inference_is_lazy_and_equal(client, B):
    bm = emclust.BernoulliMixture(3, random_state=0).fit(B)
    Bd = _dask(B, "chunks=7,uneven")
    for method in ("predict", "predict_proba", "score_samples"):
        out = getattr(bm, method)(Bd)
        assert isinstance(out, da.Array), method
        assert out.chunks[0] == Bd.chunks[0]
        np.testing.assert_allclose(
            out.compute(), getattr(bm, method)(B), rtol=RTOL, atol=1e-300
        )
    labels = emclust.BernoulliMixture(3, **_bernoulli_init(3, 16)).fit_predict(Bd)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(
        labels.compute(),
        emclust.BernoulliMixture(3, **_bernoulli_init(3, 16)).fit_predict(B),
    )


# --- scores by reduction --------------------------------------------------------------


@pytest.mark.parametrize("model", ["gmm", "bernoulli"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_score_bic_aic_on_dask(client, X, B, model, weighted):
    if model == "gmm":
        data = X
        est = emclust.GaussianMixture(3, covariance_type="diag", random_state=0)
    else:
        data = B
        est = emclust.BernoulliMixture(3, random_state=0)
    est.fit(data)
    w = np.random.default_rng(8).uniform(0, 3, data.shape[0]) if weighted else None
    Xd = _dask(data, "chunks=7,uneven")
    wd = None if w is None else da.from_array(w, chunks=400)
    for method in ("score", "bic", "aic"):
        got = getattr(est, method)(Xd, sample_weight=wd)
        assert isinstance(got, float), method
        np.testing.assert_allclose(
            got, getattr(est, method)(data, sample_weight=w), rtol=RTOL, err_msg=method
        )
    # NumPy weights with a Dask X work too.
    np.testing.assert_allclose(
        est.score(Xd, sample_weight=w), est.score(data, sample_weight=w), rtol=RTOL
    )


def test_new_dask_paths_reject_bad_input(client, X, B):
    Bd = _dask(B, "chunks=4")
    bad = B.copy()
    bad[901, 3] = 2
    with pytest.raises(ValueError, match=r"X must be binary.*\[901, 3\]"):
        emclust.BernoulliMixture(3, **_bernoulli_init(3, 16)).fit(
            _dask(bad, "chunks=4")
        )
    with pytest.raises(ValueError, match="init_params='random' is not supported"):
        emclust.BernoulliMixture(3, init_params="random").fit(Bd)
    with pytest.raises(ValueError, match="probabilities_init must have shape"):
        emclust.BernoulliMixture(3, probabilities_init=np.full((3, 4), 0.5)).fit(Bd)
    with pytest.raises(TypeError, match=r"X must be a dask\.array\.Array"):
        emclust.BernoulliMixture(3).fit(Bd.to_delayed()[0, 0])
    gm = emclust.GaussianMixture(3, random_state=0).fit(X)
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        gm.score(_dask(X, "chunks=4"), sample_weight=np.ones(5))
    with pytest.raises(ValueError, match="features"):
        gm.bic(Bd)
    with pytest.raises(emclust.NotFittedError):
        emclust.BernoulliMixture(3).score(Bd)
    km = emclust.KMeans(3, random_state=0).fit(X)
    nan = X.copy()
    nan[5, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        km.score(_dask(nan, "chunks=4"))
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        km.score(_dask(X, "chunks=4"), sample_weight=-da.ones(X.shape[0], chunks=300))


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
