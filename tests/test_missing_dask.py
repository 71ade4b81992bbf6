"""Incomplete data (NaN entries) on Dask arrays, on a dask.distributed
cluster of 2 worker processes: the Gaussian mixture and the mixture of
Bernoullis from the same initial parameters equal the in-memory fit to 1e-10
(every covariance type, uneven chunks, weights, float32), the sampled
initialisations run on X with each NaN replaced by its column's observed
mean (as the in-memory fits initialise) and do not depend on the chunking,
inference and impute are lazy and equal, and bad patterns are named with
their index in the whole array.

Tolerance as in test_dask.py: only the grouping of the float64 sums differs.
"""

import emclust
import numpy as np
import pytest
from _gmm_data import COVARIANCE_TYPES, blobs, initial_params
from emclust.drivers.dask import ChunkedData
from numpy.testing import assert_allclose, assert_array_equal

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

pytestmark = [
    pytest.mark.dask,
    pytest.mark.filterwarnings("ignore::emclust.ConvergenceWarning"),
]

RTOL = 1e-10
CHUNKINGS = {
    "chunks=1": (1200,),
    "chunks=4": (300, 300, 300, 300),
    "chunks=7,uneven": (1, 199, 250, 250, 250, 249, 1),
}


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            worker_dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster, timeout=60) as c,
    ):
        yield c


def _holes(X, rng, fraction):
    """X with a fraction of its entries NaN; every row keeps one entry, and
    row 0 keeps only its first."""
    X = X.copy()
    n, d = X.shape
    holes = rng.random((n, d)) < fraction
    holes[np.arange(n), rng.integers(0, d, n)] = False
    holes[0] = True
    holes[0, 0] = False
    X[holes] = np.nan
    return X


@pytest.fixture(scope="module")
def X():
    return _holes(blobs(n=1200, d=3, k=3, seed=11), np.random.default_rng(1), 0.25)


@pytest.fixture(scope="module")
def B():
    rng = np.random.default_rng(5)
    theta = rng.uniform(0.05, 0.95, (3, 16))
    z = rng.choice(3, 1200, p=[0.5, 0.3, 0.2])
    full = (rng.random((1200, 16)) < theta[z]).astype(np.float64)
    return _holes(full, rng, 0.3)


def _dask(X, chunking):
    return da.from_array(X, chunks=(CHUNKINGS[chunking], (X.shape[1],)))


def _observed_means(X, w=None):
    """The core's mean imputation, in NumPy: each column's (weighted)
    observed mean."""
    seen = ~np.isnan(X)
    w = np.ones(X.shape[0]) if w is None else w
    return (np.where(seen, X, 0) * w[:, None]).sum(0) / (seen * w[:, None]).sum(0)


def _assert_same(a, b, names):
    for name in names:
        assert_allclose(getattr(a, name), getattr(b, name), rtol=RTOL, err_msg=name)
    assert a.n_iter_ == b.n_iter_
    assert a.converged_ == b.converged_


GMM = ("weights_", "means_", "covariances_", "precisions_cholesky_", "lower_bounds_")
BERNOULLI = ("weights_", "probabilities_", "lower_bounds_")


def _bernoulli_init(k, d, seed=2):
    rng = np.random.default_rng(seed)
    return {
        "weights_init": rng.dirichlet(np.full(k, 4.0)),
        "probabilities_init": rng.uniform(0.2, 0.8, (k, d)),
    }


# --- from given initial parameters: the in-memory fit ---------------------------------


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gmm_equals_in_memory_fit(client, X, covariance_type):
    kw = dict(
        n_components=3,
        covariance_type=covariance_type,
        tol=0,
        max_iter=15,
        **initial_params(np.nan_to_num(X), 3, covariance_type),
    )
    in_memory = emclust.GaussianMixture(**kw).fit(X)
    on_dask = emclust.GaussianMixture(**kw).fit(_dask(X, "chunks=7,uneven"))
    _assert_same(on_dask, in_memory, GMM)


def test_gmm_weighted_float32_equals_in_memory(client, X):
    w = np.random.default_rng(2).uniform(0, 3, X.shape[0])
    X32 = X.astype(np.float32)
    kw = dict(n_components=3, tol=0, max_iter=10)
    kw.update(initial_params(np.nan_to_num(X32), 3, "diag"))
    kw["covariance_type"] = "diag"
    in_memory = emclust.GaussianMixture(**kw).fit(X32, sample_weight=w)
    on_dask = emclust.GaussianMixture(**kw).fit(
        _dask(X32, "chunks=4"), sample_weight=da.from_array(w, chunks=500)
    )
    assert on_dask.means_.dtype == np.float32
    # float32 arithmetic with float64 sums: the sums are grouped differently
    # and each iteration's parameters enter the E-step rounded to float32, so
    # the two fits agree to float32 precision, not to 1e-10.
    for name in ("weights_", "means_", "covariances_", "lower_bounds_"):
        assert_allclose(getattr(on_dask, name), getattr(in_memory, name), rtol=1e-5)


@pytest.mark.parametrize("chunking", list(CHUNKINGS))
def test_bernoulli_equals_in_memory_fit(client, B, chunking):
    kw = dict(n_components=3, tol=0, max_iter=20, alpha=0.5, **_bernoulli_init(3, 16))
    in_memory = emclust.BernoulliMixture(**kw).fit(B)
    on_dask = emclust.BernoulliMixture(**kw).fit(_dask(B, chunking))
    _assert_same(on_dask, in_memory, BERNOULLI)


def test_bernoulli_weighted_converged_equals_in_memory(client, B):
    w = np.random.default_rng(3).uniform(0, 2, B.shape[0])
    w[::5] = 0
    kw = dict(n_components=3, tol=1e-8, max_iter=500, **_bernoulli_init(3, 16))
    in_memory = emclust.BernoulliMixture(**kw).fit(B, sample_weight=w)
    on_dask = emclust.BernoulliMixture(**kw).fit(
        _dask(B, "chunks=7,uneven"), sample_weight=da.from_array(w, chunks=300)
    )
    assert in_memory.converged_
    _assert_same(on_dask, in_memory, BERNOULLI)


def test_bernoulli_binarize_keeps_missing_entries(client, B):
    # binarize=0.5 on values in {0.2, 0.9, NaN}: NaN stays missing on Dask
    # as in memory (a comparison would read it as 0).
    soft = np.where(B == 1, 0.9, 0.2)
    soft[np.isnan(B)] = np.nan
    kw = dict(
        n_components=3, tol=0, max_iter=10, binarize=0.5, **_bernoulli_init(3, 16)
    )
    in_memory = emclust.BernoulliMixture(**kw).fit(soft)
    on_dask = emclust.BernoulliMixture(**kw).fit(_dask(soft, "chunks=4"))
    _assert_same(on_dask, in_memory, BERNOULLI)
    exact = emclust.BernoulliMixture(**{**kw, "binarize": None}).fit(B)
    _assert_same(on_dask, exact, BERNOULLI)


# --- sampled initialisations on incomplete data -------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_mean_filled_is_the_in_memory_mean_imputation(client, X, weighted):
    w = np.random.default_rng(4).uniform(0, 2, X.shape[0]) if weighted else None
    data = ChunkedData(_dask(X, "chunks=7,uneven"), w, 1)
    filled = data.mean_filled(weighted=True).X.compute()
    want = np.where(np.isnan(X), _observed_means(X, w), X)
    assert_allclose(filled, want, rtol=1e-14)
    assert_array_equal(filled[~np.isnan(X)], X[~np.isnan(X)])
    complete = ChunkedData(_dask(np.nan_to_num(X), "chunks=4"), None, 1)
    assert complete.mean_filled(weighted=True) is complete


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random_from_data"])
def test_gmm_sampled_init_on_nan_data(client, X, init_params):
    # The starting means are rows (or K-means centres) of the mean-filled
    # data: finite, and for the seeded inits a filled row of X.
    start = emclust.GaussianMixture(
        3, init_params=init_params, max_iter=0, random_state=3
    ).fit(_dask(X, "chunks=4"))
    assert np.isfinite(start.means_).all()
    if init_params != "kmeans":
        filled = np.where(np.isnan(X), _observed_means(X), X)
        for mean in start.means_:
            assert np.abs(filled - mean).max(axis=1).min() < 1e-12
    fits = [
        emclust.GaussianMixture(3, init_params=init_params, random_state=3).fit(
            _dask(X, chunking)
        )
        for chunking in CHUNKINGS
    ]
    for other in fits[1:]:
        _assert_same(other, fits[0], GMM)
    assert fits[0].converged_
    # A real fit: as good as the in-memory one's optimum, to sampling.
    in_memory = emclust.GaussianMixture(3, n_init=3, random_state=0).fit(X)
    assert fits[0].lower_bound_ > in_memory.lower_bound_ - 0.05


@pytest.mark.parametrize("init_params", ["k-means++", "random_from_data"])
def test_bernoulli_sampled_init_on_nan_data(client, B, init_params):
    fits = [
        emclust.BernoulliMixture(
            3, init_params=init_params, n_init=2, random_state=6
        ).fit(_dask(B, chunking))
        for chunking in CHUNKINGS
    ]
    for other in fits[1:]:
        _assert_same(other, fits[0], BERNOULLI)
    assert fits[0].converged_
    in_memory = emclust.BernoulliMixture(3, n_init=2, random_state=6).fit(B)
    assert abs(fits[0].lower_bound_ - in_memory.lower_bound_) < 0.05


# --- inference, impute, errors ------------------------------------------------------


@pytest.mark.parametrize("model", ["gmm", "bernoulli"])
def test_inference_and_impute_are_lazy_and_equal(client, X, B, model):
    if model == "gmm":
        data, est = X, emclust.GaussianMixture(3, random_state=0).fit(X)
    else:
        data, est = B, emclust.BernoulliMixture(3, random_state=0).fit(B)
    Xd = _dask(data, "chunks=7,uneven")
    for method in ("predict", "predict_proba", "score_samples", "impute"):
        out = getattr(est, method)(Xd)
        assert isinstance(out, da.Array), method
        assert out.chunks[0] == Xd.chunks[0]
        assert_allclose(
            out.compute(), getattr(est, method)(data), rtol=RTOL, atol=1e-300
        )
    for method in ("score", "bic", "aic"):
        assert_allclose(getattr(est, method)(Xd), getattr(est, method)(data), rtol=RTOL)


@pytest.mark.parametrize("model", ["gmm", "bernoulli"])
def test_bad_patterns_are_named_in_the_whole_array(client, X, B, model):
    data = (X if model == "gmm" else B).copy()
    if model == "gmm":
        est = emclust.GaussianMixture(3, **initial_params(np.nan_to_num(X), 3, "full"))
    else:
        est = emclust.BernoulliMixture(3, **_bernoulli_init(3, 16))
    empty_row = data.copy()
    empty_row[905] = np.nan
    with pytest.raises(ValueError, match="row 905 of X has every entry missing"):
        est.fit(_dask(empty_row, "chunks=4"))
    empty_column = data.copy()
    empty_column[:, 1] = np.nan
    with pytest.raises(ValueError, match="feature 1 of X is missing in every row"):
        est.fit(_dask(empty_column, "chunks=4"))
    infinite = data.copy()
    infinite[700, 2] = np.inf
    with pytest.raises(ValueError, match=r"infinity|binary"):
        est.fit(_dask(infinite, "chunks=4"))
    with pytest.raises(ValueError, match=r"NaN|binary"):
        est.set_params(missing_values=None).fit(_dask(data, "chunks=4"))
