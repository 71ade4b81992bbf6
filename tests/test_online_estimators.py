"""Streaming on the public estimators: partial_fit (online EM), fit with
batch_size, fit over row blocks and memory maps, MiniBatchKMeans exported."""

import pickle
import warnings

import emclust
import numpy as np
import pytest
from emclust.drivers.streaming import GaussianModel, exact_block_rows
from emclust.exceptions import ConvergenceWarning
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def _blobs(n, d, k, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=6.0, size=(k, d)) + 100.0  # far from the origin
    X = centers[rng.integers(0, k, n)] + rng.normal(size=(n, d))
    return X[rng.permutation(n)].astype(dtype)


def _binary(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0.05, 0.95, size=(k, d))
    return (rng.random((n, d)) < theta[rng.integers(0, k, n)]).astype(np.float64)


def _quiet_fit(est, X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, **kw)


def _given_init(X, k, covariance_type="full"):
    """Constructor arguments that fix the initial parameters (those of fit's
    k-means initialisation on X), so that any path starts from them."""
    g = _quiet_fit(
        emclust.GaussianMixture(
            k, covariance_type=covariance_type, max_iter=0, random_state=0
        ),
        X,
    )
    return {
        "covariance_type": covariance_type,
        "weights_init": g.weights_,
        "means_init": g.means_,
        "precisions_init": g.precisions_,
    }


def _same_fit(a, b):
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.lower_bounds_ == b.lower_bounds_


# --- parameters: scikit-learn's machinery ------------------------------------------


@pytest.mark.parametrize("cls", [emclust.GaussianMixture, emclust.BernoulliMixture])
def test_schedule_and_batch_size_are_parameters(cls):
    est = cls(batch_size=64, learning_offset=3.0, learning_decay=0.9)
    params = est.get_params()
    assert (params["batch_size"], params["learning_offset"]) == (64, 3.0)
    assert params["learning_decay"] == 0.9
    assert cls().get_params()["batch_size"] is None
    assert clone(est).get_params() == params
    X = _binary(300, 4, 2) if cls is emclust.BernoulliMixture else _blobs(300, 2, 2)
    for bad in ({"learning_decay": 0.5}, {"learning_decay": 1.5}):
        with pytest.raises(ValueError, match="learning_decay"):
            cls(2, **bad).partial_fit(X)
    with pytest.raises(ValueError, match="learning_offset"):
        cls(2, learning_offset=-1.0).partial_fit(X)
    with pytest.raises(ValueError, match="batch_size"):
        cls(2, batch_size=0).fit(X)


def test_grid_search_over_the_schedule_of_fit_with_batch_size():
    X = _blobs(3000, 2, 3, seed=1)
    search = GridSearchCV(
        emclust.GaussianMixture(3, batch_size=500, max_iter=3, random_state=0),
        {"learning_decay": [0.6, 1.0]},
        cv=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X)
    assert search.best_params_["learning_decay"] in (0.6, 1.0)
    assert search.best_estimator_.batch_size == 500


# --- partial_fit ---------------------------------------------------------------------


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_partial_fit_on_all_of_x_is_one_iteration_of_fit(covariance_type, dtype):
    X = _blobs(3000, 3, 3, dtype, seed=11)
    est = emclust.GaussianMixture(
        3, covariance_type=covariance_type, random_state=0
    ).partial_fit(X)
    ref = _quiet_fit(
        emclust.GaussianMixture(
            3, covariance_type=covariance_type, max_iter=1, random_state=0
        ),
        X,
    )
    _same_fit(est, ref)
    np.testing.assert_array_equal(est.precisions_, ref.precisions_)
    assert est.means_.dtype == dtype
    assert est.n_iter_ == 1 and est.n_features_in_ == 3
    np.testing.assert_array_equal(est.predict(X), ref.predict(X))


def test_bernoulli_partial_fit_on_all_of_x_is_one_iteration_of_fit():
    X = _binary(2000, 12, 3, seed=2)
    est = emclust.BernoulliMixture(3, random_state=0).partial_fit(X)
    ref = _quiet_fit(emclust.BernoulliMixture(3, max_iter=1, random_state=0), X)
    np.testing.assert_array_equal(est.probabilities_, ref.probabilities_)
    np.testing.assert_array_equal(est.weights_, ref.weights_)
    assert est.lower_bounds_ == ref.lower_bounds_


def test_integer_weights_are_repeated_rows_in_a_step():
    X = _blobs(2000, 2, 3, seed=3)
    init = _given_init(X, 3)
    w = np.random.default_rng(0).integers(0, 4, size=2000)
    a = emclust.GaussianMixture(3, **init)
    b = emclust.GaussianMixture(3, **init)
    for s in range(0, 2000, 500):
        a.partial_fit(X[s : s + 500], sample_weight=w[s : s + 500])
        b.partial_fit(np.repeat(X[s : s + 500], w[s : s + 500], axis=0))
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-10)
    np.testing.assert_allclose(a.lower_bounds_, b.lower_bounds_, rtol=1e-10)


@settings(max_examples=15, deadline=None)
@given(
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
    batch=st.integers(min_value=3, max_value=400),
    decay=st.floats(min_value=0.51, max_value=1.0),
    offset=st.floats(min_value=0.0, max_value=50.0),
)
def test_every_step_keeps_the_parameters_valid(covariance_type, batch, decay, offset):
    X = _blobs(1200, 3, 3, seed=4)
    est = emclust.GaussianMixture(
        3,
        covariance_type=covariance_type,
        reg_covar=1e-6,
        learning_decay=decay,
        learning_offset=offset,
        random_state=0,
    )
    for s in range(0, 1200, batch):
        if 1200 - s < 3 and s == 0:
            break
        est.partial_fit(X[s : s + batch] if s else X[: max(batch, 3)])
        assert np.isclose(est.weights_.sum(), 1.0, rtol=0, atol=1e-12)
        assert (est.weights_ >= 0).all()
        cov = emclust.GaussianMixture.from_parameters(
            est.weights_, est.means_, est.covariances_, covariance_type
        )._full_parameters()[2]
        assert (np.linalg.eigvalsh(cov) > 0).all()
    assert len(est.lower_bounds_) == est.n_iter_


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_partial_fit_is_bit_identical_for_any_thread_count(covariance_type):
    X = _blobs(40_000, 4, 3, seed=5)
    fits = []
    for threads in (1, 2, 3):
        est = emclust.GaussianMixture(
            3, covariance_type=covariance_type, random_state=0, n_threads=threads
        )
        for s in range(0, 40_000, 9000):
            est.partial_fit(X[s : s + 9000])
        fits.append(est)
    for other in fits[1:]:
        _same_fit(fits[0], other)


def test_partial_fit_streams_and_scores_held_out_batches():
    X = _blobs(30_000, 3, 4, seed=12)
    train, held_out = X[:25_000], X[25_000:]
    est = emclust.GaussianMixture(4, random_state=0)
    for a in range(0, len(train), 2500):
        est.partial_fit(train[a : a + 2500])
    assert len(est.lower_bounds_) == est.n_iter_ == 10
    assert est.lower_bound_ == est.lower_bounds_[-1]
    batch = _quiet_fit(emclust.GaussianMixture(4, random_state=0), train)
    assert est.score(held_out) == pytest.approx(batch.score(held_out), rel=2e-3)


def test_shape_is_fixed_after_the_first_partial_fit_and_fit_starts_over():
    X = _blobs(3000, 3, 3, seed=6)
    est = emclust.GaussianMixture(3, random_state=0).partial_fit(X[:1000])
    with pytest.raises(ValueError, match="X has 2 features, but GaussianMixture"):
        est.partial_fit(X[:100, :2])
    est.set_params(covariance_type="diag")
    with pytest.raises(ValueError, match="fixed after the first partial_fit"):
        est.partial_fit(X)
    est.set_params(covariance_type="full", n_components=2)
    with pytest.raises(ValueError, match="fixed after the first partial_fit"):
        est.partial_fit(X)
    _quiet_fit(est, X)  # a fit starts over: any shape, then a fresh stream
    assert est.covariances_.shape == (2, 3, 3)
    est.partial_fit(X[:500, :2])
    assert est.n_iter_ == 1 and est.n_features_in_ == 2


def test_partial_fit_refuses_missing_values_and_too_small_a_first_batch():
    X = _blobs(100, 2, 2)
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        emclust.GaussianMixture(2, missing_values=None).partial_fit(X)
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        emclust.GaussianMixture(5).partial_fit(X[5:8])
    with pytest.raises(ValueError, match=r"binary|0 or 1"):
        emclust.BernoulliMixture(2).partial_fit(_binary(10, 3, 2) + 0.5)


def test_partial_fit_with_missing_values_is_exact_online_em():
    # The stream's statistics are the marginal E-step's, as fit's: the first
    # step (η = 1) is fit's first EM iteration from the same initialisation.
    rng = np.random.default_rng(11)
    X = _blobs(600, 3, 2, seed=11)
    X[rng.random(X.shape) < 0.1] = np.nan
    X = X[~np.isnan(X).all(axis=1)]
    a = emclust.GaussianMixture(2, random_state=0).partial_fit(X)
    b = emclust.GaussianMixture(2, random_state=0, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        b.fit(X)
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-12)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-12)
    np.testing.assert_allclose(a.lower_bound_, b.lower_bound_, rtol=1e-12)
    a.partial_fit(X[:300])
    assert a.n_iter_ == 2 and np.isfinite(a.means_).all()


def test_a_pickled_stream_continues_bit_for_bit():
    X = _blobs(6000, 2, 3, seed=7)
    a = emclust.GaussianMixture(3, random_state=0).partial_fit(X[:2000])
    b = pickle.loads(pickle.dumps(a))
    for est in (a, b):
        est.partial_fit(X[2000:4000]).partial_fit(X[4000:])
    _same_fit(a, b)


def test_a_saved_stream_loads_and_continues_from_its_parameters(tmp_path):
    X = _blobs(6000, 2, 3, seed=8)
    a = emclust.GaussianMixture(
        3, random_state=0, learning_decay=0.8, warm_start=True
    ).partial_fit(X[:3000])
    a.save(tmp_path / "m.json")
    b = emclust.load(tmp_path / "m.json")
    for name in ("batch_size", "learning_offset", "learning_decay", "warm_start"):
        assert b.get_params()[name] == a.get_params()[name]
    np.testing.assert_array_equal(b.predict(X), a.predict(X))
    assert b.lower_bounds_ == a.lower_bounds_
    # warm_start: a loaded model's partial_fit starts from its parameters
    # (the running statistics are not in the file: the first step after a
    # load is one EM step on its batch).
    b.partial_fit(X[3000:])
    ref = _quiet_fit(
        emclust.GaussianMixture(
            3,
            max_iter=1,
            tol=0.0,
            weights_init=a.weights_,
            means_init=a.means_,
            precisions_init=a.precisions_,
        ),
        X[3000:],
    )
    np.testing.assert_allclose(b.means_, ref.means_, rtol=1e-12)


# --- fit with batch_size: epochs of online EM ------------------------------------------


def test_fit_with_batch_size_runs_epochs_over_a_memmap(tmp_path):
    X = _blobs(20_000, 3, 3, seed=13)
    np.save(tmp_path / "x.npy", X)
    M = np.load(tmp_path / "x.npy", mmap_mode="r")
    seen = []
    est = _quiet_fit(
        emclust.GaussianMixture(3, batch_size=2000, max_iter=5, random_state=0),
        M,
        callback=lambda e, i, lb, ch: seen.append((e, i)),
    )
    assert 2 <= est.n_iter_ <= 5
    assert len(est.lower_bounds_) == est.n_iter_
    assert len(est.batch_lower_bounds_) == 10 * est.n_iter_
    assert est.lower_bounds_[0] == np.mean(est.batch_lower_bounds_[:10])
    assert est.lower_bound_ == est.lower_bounds_[-1]
    assert seen == [(e, i) for e in range(1, est.n_iter_ + 1) for i in range(1, 11)]
    batch = _quiet_fit(emclust.GaussianMixture(3, random_state=0), X)
    assert est.score(X) == pytest.approx(batch.score(X), rel=1e-3)
    # The same epochs on the array in memory give the same model.
    again = _quiet_fit(
        emclust.GaussianMixture(3, batch_size=2000, max_iter=5, random_state=0), X
    )
    _same_fit(est, again)


def test_fit_with_batch_size_is_partial_fit_over_the_batches():
    X = _blobs(5000, 2, 3, seed=14)
    est = _quiet_fit(
        emclust.GaussianMixture(3, batch_size=1500, max_iter=1, random_state=0), X
    )
    ref = emclust.GaussianMixture(3, random_state=0)
    for s in range(0, 5000, 1500):
        ref.partial_fit(X[s : s + 1500])
    est.lower_bounds_ = est.batch_lower_bounds_
    _same_fit(est, ref)
    assert est.n_iter_ == 1 and ref.n_iter_ == 4


def test_fit_with_batch_size_streams_a_one_shot_iterator_once():
    X = _blobs(6000, 2, 3, seed=15)
    est = emclust.GaussianMixture(3, batch_size=1000, random_state=0)
    est.fit(X[s : s + 1500] for s in range(0, 6000, 1500))
    assert est.n_iter_ == 1 and est.converged_
    # Each block is cut on its own: 1000 + 500 rows per block of 1500.
    assert len(est.batch_lower_bounds_) == 8 and len(est.lower_bounds_) == 1
    with pytest.raises(ValueError, match="sample_weight"):
        est.fit([X[:3000], X[3000:]], sample_weight=np.ones(6000))


def test_fit_with_batch_size_refuses_a_dask_array():
    da = pytest.importorskip("dask.array")
    X = da.from_array(_blobs(400, 2, 2), chunks=(100, 2))
    with pytest.raises(ValueError, match="Dask"):
        emclust.GaussianMixture(2, batch_size=100).fit(X)


def test_bernoulli_fit_with_batch_size():
    X = _binary(6000, 15, 3, seed=4)
    est = emclust.BernoulliMixture(3, random_state=0)
    for a in range(0, 6000, 500):
        est.partial_fit(X[a : a + 500])
    assert len(est.lower_bounds_) == 12
    assert np.isclose(est.weights_.sum(), 1.0)
    assert est.lower_bounds_[-1] > est.lower_bounds_[0]
    batch = _quiet_fit(emclust.BernoulliMixture(3, random_state=0), X)
    epochs = _quiet_fit(
        emclust.BernoulliMixture(3, random_state=0, batch_size=500, tol=1e-5), X
    )
    assert len(epochs.lower_bounds_) == epochs.n_iter_
    assert epochs.score(X) == pytest.approx(batch.score(X), rel=5e-3)


# --- fit over row blocks and memory maps: exact batch EM ------------------------------


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_over_the_cores_blocks_equals_the_in_memory_fit(covariance_type):
    n, d, k = 9000, 3, 3
    X = _blobs(n, d, k, seed=16)
    init = _given_init(X, k, covariance_type)
    rows = exact_block_rows(GaussianModel(covariance_type), n, d, k)
    assert rows < n
    blocks = [X[a : a + rows] for a in range(0, n, rows)]
    a = _quiet_fit(emclust.GaussianMixture(k, tol=1e-6, **init), blocks)
    b = _quiet_fit(emclust.GaussianMixture(k, tol=1e-6, **init), X)
    _same_fit(a, b)
    assert (a.n_iter_, a.converged_) == (b.n_iter_, b.converged_)


def test_fit_over_any_blocks_equals_the_in_memory_fit_to_rounding():
    X = _blobs(7000, 2, 3, seed=17)
    init = _given_init(X, 3)
    seen = []
    a = _quiet_fit(
        emclust.GaussianMixture(3, max_iter=5, tol=0.0, **init),
        [X[s : s + 999] for s in range(0, 7000, 999)],
        callback=lambda *args: seen.append(args[:2]),
    )
    b = _quiet_fit(emclust.GaussianMixture(3, max_iter=5, tol=0.0, **init), X)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-10)
    np.testing.assert_allclose(a.lower_bounds_, b.lower_bounds_, rtol=1e-12)
    assert seen == [(0, i) for i in range(1, 6)]


def test_fit_over_blocks_initialises_from_the_first_block_and_restarts():
    X = _blobs(6000, 2, 3, seed=18)
    blocks = [X[:2000], X[2000:4000], X[4000:]]
    one = _quiet_fit(emclust.GaussianMixture(3, random_state=0), blocks)
    three = _quiet_fit(emclust.GaussianMixture(3, n_init=3, random_state=0), blocks)
    assert three.lower_bound_ >= one.lower_bound_ - 1e-9
    batch = _quiet_fit(emclust.GaussianMixture(3, random_state=0), X)
    assert one.score(X) == pytest.approx(batch.score(X), rel=1e-6)


def test_fit_over_blocks_refuses_what_it_cannot_walk_again():
    X = _blobs(600, 2, 2)
    with pytest.raises(TypeError, match="one-shot"):
        emclust.GaussianMixture(2).fit(iter([X[:300], X[300:]]))
    with pytest.raises(TypeError, match="fit_predict needs X as one array"):
        emclust.GaussianMixture(2).fit_predict([X[:300], X[300:]])
    with pytest.raises(ValueError, match="block 1 of X has 3 features"):
        emclust.GaussianMixture(2).fit([X, np.ones((5, 3))])


def test_bernoulli_fit_over_blocks_equals_the_in_memory_fit():
    X = _binary(6000, 10, 3, seed=9)
    rng = np.random.default_rng(2)
    init = {
        "weights_init": np.full(3, 1 / 3),
        "probabilities_init": rng.uniform(0.2, 0.8, size=(3, 10)),
    }
    a = _quiet_fit(
        emclust.BernoulliMixture(3, tol=0.0, max_iter=4, **init), [X[:2500], X[2500:]]
    )
    b = _quiet_fit(emclust.BernoulliMixture(3, tol=0.0, max_iter=4, **init), X)
    np.testing.assert_allclose(a.probabilities_, b.probabilities_, rtol=1e-10)
    np.testing.assert_allclose(a.lower_bounds_, b.lower_bounds_, rtol=1e-12)
    with pytest.raises(ValueError, match="binary"):
        emclust.BernoulliMixture(2).fit([X[:100], X[100:200] * 2])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_memmap_fit_is_the_in_memory_fit_bit_for_bit(tmp_path, dtype):
    X = _blobs(12_000, 3, 3, dtype, seed=19)
    np.save(tmp_path / "x.npy", X)
    M = np.load(tmp_path / "x.npy", mmap_mode="r")
    a = _quiet_fit(emclust.GaussianMixture(3, random_state=0), M)
    b = _quiet_fit(emclust.GaussianMixture(3, random_state=0), X)
    _same_fit(a, b)
    assert a.means_.dtype == dtype


# --- MiniBatchKMeans is public, and saves ---------------------------------------------


def test_minibatch_kmeans_is_exported_and_round_trips_a_model_file(tmp_path):
    from emclust.estimators.minibatch_kmeans import MiniBatchKMeans

    assert emclust.MiniBatchKMeans is MiniBatchKMeans
    assert "MiniBatchKMeans" in emclust.__all__
    X = _blobs(3000, 2, 4, seed=20)
    m = emclust.MiniBatchKMeans(4, random_state=0, n_init=1)
    m.partial_fit(X[:1000]).partial_fit(X[1000:2000])
    m.save(tmp_path / "m.json")
    b = emclust.load(tmp_path / "m.json")
    assert type(b) is emclust.MiniBatchKMeans and b.n_steps_ == 2
    np.testing.assert_array_equal(b.cluster_centers_, m.cluster_centers_)
    np.testing.assert_array_equal(b.predict(X), m.predict(X))
    b.partial_fit(X[2000:])  # continues from the centres, with fresh counts
    assert b.n_steps_ == 3 and np.isfinite(b.cluster_centers_).all()
