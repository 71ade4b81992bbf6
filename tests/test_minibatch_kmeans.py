"""MiniBatchKMeans: scikit-learn's semantics on the native K-means pass."""

import pickle

import numpy as np
import pytest
from emclust.estimators.minibatch_kmeans import MiniBatchKMeans
from sklearn import cluster
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(6000, n_features=4, centers=5, cluster_std=0.7, random_state=0)
    return X, y


def _pair(X, init, **kw):
    ours = MiniBatchKMeans(5, init=init, random_state=1, batch_size=128, **kw).fit(X)
    theirs = cluster.MiniBatchKMeans(
        5, init=init, random_state=1, batch_size=128, **kw
    ).fit(X)
    return ours, theirs


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"tol": 1e-3},
        {"max_no_improvement": None, "max_iter": 2},
        {"reassignment_ratio": 0.3},
        {"init_size": 50},
    ],
    ids=["default", "tol", "no-early-stop", "reassign", "init_size"],
)
def test_fit_follows_scikit_learn_step_for_step_from_the_same_centres(blobs, kw):
    # Same initial centres and seed: scikit-learn's batches are drawn in the
    # same order, so the runs agree to rounding and stop at the same step.
    X, _ = blobs
    init = X[:5].copy()
    ours, theirs = _pair(X, init, **kw)
    assert ours.n_steps_ == theirs.n_steps_
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(
        ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-10, atol=1e-10
    )
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-10)


def test_weighted_fit_draws_the_same_batches_as_scikit_learn(blobs):
    X, _ = blobs
    w = np.random.default_rng(0).uniform(0.1, 3.0, len(X))
    init = X[:5].copy()
    ours = MiniBatchKMeans(5, init=init, random_state=2, batch_size=64).fit(
        X, sample_weight=w
    )
    theirs = cluster.MiniBatchKMeans(5, init=init, random_state=2, batch_size=64).fit(
        X, sample_weight=w
    )
    assert ours.n_steps_ == theirs.n_steps_
    np.testing.assert_allclose(
        ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-9
    )


def test_partial_fit_follows_scikit_learn(blobs):
    X, _ = blobs
    init = X[:5].copy()
    ours = MiniBatchKMeans(5, init=init, random_state=0)
    theirs = cluster.MiniBatchKMeans(5, init=init, random_state=0)
    for a in range(0, len(X), 500):
        ours.partial_fit(X[a : a + 500])
        theirs.partial_fit(X[a : a + 500])
        np.testing.assert_allclose(
            ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-10, atol=1e-10
        )
    assert ours.n_steps_ == theirs.n_steps_ == 12
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-10)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_finds_separated_clusters_as_well_as_scikit_learn(blobs, init, dtype):
    X, y = blobs
    X = X.astype(dtype)
    ours = MiniBatchKMeans(5, init=init, random_state=0, n_init=3).fit(X)
    theirs = cluster.MiniBatchKMeans(5, init=init, random_state=0, n_init=3).fit(X)
    assert ours.cluster_centers_.dtype == dtype
    assert adjusted_rand_score(y, ours.labels_) == pytest.approx(1.0, abs=1e-3)
    assert ours.inertia_ <= theirs.inertia_ * (1 + 1e-3)


def test_float32_and_float64_agree(blobs):
    X, _ = blobs
    init = X[:5].copy()
    a = MiniBatchKMeans(5, init=init, random_state=0).fit(X)
    b = MiniBatchKMeans(5, init=init.astype(np.float32), random_state=0).fit(
        X.astype(np.float32)
    )
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-4)


def test_results_do_not_depend_on_n_threads(blobs):
    X, _ = blobs
    runs = [
        MiniBatchKMeans(5, random_state=3, n_threads=t, batch_size=2048).fit(X)
        for t in (1, 2, 3)
    ]
    for r in runs[1:]:
        assert np.array_equal(r.cluster_centers_, runs[0].cluster_centers_)
        assert r.inertia_ == runs[0].inertia_


def test_predict_transform_score_match_the_centres(blobs):
    X, _ = blobs
    m = MiniBatchKMeans(5, random_state=0).fit(X)
    d = np.linalg.norm(X[:, None, :] - m.cluster_centers_[None], axis=2)
    np.testing.assert_allclose(m.transform(X), d, rtol=1e-10)
    np.testing.assert_array_equal(m.predict(X), d.argmin(axis=1))
    np.testing.assert_array_equal(m.predict(X), m.labels_)
    assert m.score(X) == pytest.approx(-(d.min(axis=1) ** 2).sum(), rel=1e-10)
    np.testing.assert_array_equal(m.fit_predict(X), m.labels_)
    assert m.fit_transform(X).shape == (len(X), 5)
    assert list(m.get_feature_names_out()) == [f"minibatchkmeans{i}" for i in range(5)]


def test_compute_labels_false_reports_the_smoothed_inertia(blobs):
    X, _ = blobs
    m = MiniBatchKMeans(5, random_state=0, compute_labels=False).fit(X)
    assert not hasattr(m, "labels_")
    assert m.inertia_ > 0


def test_reassignment_moves_a_centre_stuck_away_from_the_data(blobs):
    X, _ = blobs
    init = X[:5].copy()
    init[0] = 1e3  # never the nearest centre
    m = MiniBatchKMeans(5, init=init, random_state=0, batch_size=100)
    for a in range(0, 3000, 100):
        m.partial_fit(X[a : a + 100])
    assert np.abs(m.cluster_centers_[0]).max() < 50


def test_scikit_learn_protocol(blobs):
    X, _ = blobs
    m = MiniBatchKMeans(5, random_state=0)
    c = clone(m)
    assert c.get_params() == m.get_params()
    pipe = make_pipeline(StandardScaler(), MiniBatchKMeans(5, random_state=0)).fit(X)
    assert pipe.predict(X).shape == (len(X),)
    m.fit(X)
    again = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(again.predict(X), m.predict(X))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"n_init": 0}, "n_init"),
        ({"reassignment_ratio": -1.0}, "reassignment_ratio"),
        ({"init": "nope"}, "init"),
        ({"max_no_improvement": -1}, "max_no_improvement"),
    ],
)
def test_bad_parameters_are_named(blobs, params, match):
    X, _ = blobs
    with pytest.raises(ValueError, match=match):
        MiniBatchKMeans(5, **params).fit(X)


def test_bad_input_is_named(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="init must have shape"):
        MiniBatchKMeans(5, init=np.zeros((4, 4))).fit(X)
    with pytest.raises(ValueError, match="n_samples=3 should be >= n_clusters=5"):
        MiniBatchKMeans(5).fit(X[:3])
    m = MiniBatchKMeans(5, random_state=0).partial_fit(X[:100])
    with pytest.raises(ValueError, match="features"):
        m.partial_fit(X[:100, :3])
    with pytest.raises(ValueError, match="NaN"):
        MiniBatchKMeans(5).fit(np.full((10, 2), np.nan))
    bad = X[:100].copy()
    bad[7, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        m.partial_fit(bad)
    with pytest.raises(ValueError, match="0 sample"):
        m.partial_fit(X[:0])


def test_a_model_fitted_with_feature_names_warns_on_plain_arrays(blobs):
    pd = pytest.importorskip("pandas")
    X, _ = blobs
    frame = pd.DataFrame(X, columns=list("abcd"))
    m = MiniBatchKMeans(5, random_state=0).partial_fit(frame)
    m.partial_fit(frame)
    with pytest.warns(UserWarning, match="feature names"):
        m.partial_fit(X)


def test_explicit_centres_with_n_init_warn_as_scikit_learn(blobs):
    X, _ = blobs
    with pytest.warns(RuntimeWarning, match="only one init"):
        MiniBatchKMeans(5, init=X[:5], n_init=3, random_state=0).fit(X)
    with pytest.warns(RuntimeWarning, match="init_size=2 should be larger"):
        MiniBatchKMeans(5, init_size=2, random_state=0).fit(X)
