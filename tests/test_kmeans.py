"""K-means and k-means++: toys, the NumPy reference, scikit-learn, invariants."""

import emclust
import numpy as np
import pytest
from emclust.reference import kmeans as ref

DTYPES = [
    pytest.param(np.float64, id="float64"),
    pytest.param(np.float32, id="float32"),
]
THREADS = [pytest.param(t, id=f"threads={t}") for t in (1, 2, 3, 4)]


def blobs(n=3000, d=4, k=5, seed=0, spread=1.0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(k, d))
    labels = rng.integers(0, k, size=n)
    return centres[labels] + spread * rng.standard_normal((n, d))


def real_data(name):
    datasets = pytest.importorskip("sklearn.datasets")
    loader = {"breast_cancer": datasets.load_breast_cancer, "wine": datasets.load_wine}
    return np.ascontiguousarray(loader[name]().data, dtype=np.float64)


# --- hand-computed toys ------------------------------------------------------


def test_toy_1d_by_hand():
    # Iteration 1 from centres 0 and 1: {0} and {1, 10, 11}, centres 0 and 22/3.
    # Iteration 2: 1 is nearer 0 -> {0, 1}, {10, 11}, centres 0.5 and 10.5.
    # Iteration 3: labels unchanged -> stop; inertia 4 * 0.5² = 1.
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    km = emclust.KMeans(2, init=np.array([[0.0], [1.0]]), tol=0).fit(X)
    np.testing.assert_array_equal(km.labels_, [0, 0, 1, 1])
    np.testing.assert_array_equal(km.cluster_centers_, [[0.5], [10.5]])
    assert km.inertia_ == 1.0
    assert km.n_iter_ == 3


def test_toy_2d_weighted_by_hand():
    # Weighted means: (2·(0,0) + 1·(0,3)) / 3 = (0, 1); (4,4) alone.
    X = np.array([[0.0, 0.0], [0.0, 3.0], [4.0, 4.0]])
    w = np.array([2.0, 1.0, 5.0])
    km = emclust.KMeans(2, init=X[[0, 2]]).fit(X, sample_weight=w)
    np.testing.assert_array_equal(km.labels_, [0, 0, 1])
    np.testing.assert_allclose(
        km.cluster_centers_, [[0.0, 1.0], [4.0, 4.0]], rtol=1e-15
    )
    # 2·1² + 1·2² = 6
    assert km.inertia_ == pytest.approx(6.0, rel=1e-15)
    np.testing.assert_allclose(km.transform(X[:1]), [[1.0, np.sqrt(32)]], rtol=1e-15)
    assert km.score(X, sample_weight=w) == pytest.approx(-6.0, rel=1e-15)


def test_predict_fit_predict_and_transform_agree():
    X = blobs(500)
    km = emclust.KMeans(5, random_state=0)
    labels = km.fit_predict(X)
    np.testing.assert_array_equal(labels, km.predict(X))
    D = km.transform(X)
    assert D.shape == (500, 5)
    np.testing.assert_array_equal(D.argmin(axis=1), labels)
    assert km.inertia_ == pytest.approx((D.min(axis=1) ** 2).sum(), rel=1e-12)
    assert km.score(X) == pytest.approx(-km.inertia_, rel=1e-12)


# --- the NumPy reference -----------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_matches_reference(weighted):
    X = blobs(2000, d=3, k=6, seed=1, spread=3.0)
    rng = np.random.default_rng(2)
    w = rng.uniform(0, 2, len(X)) if weighted else None
    init = X[rng.choice(len(X), 6, replace=False)]
    km = emclust.KMeans(6, init=init, tol=1e-6).fit(X, sample_weight=w)
    centres, labels, inertia, n_iter = ref.fit(X, init, w, tol=1e-6)
    assert km.n_iter_ == n_iter
    np.testing.assert_array_equal(km.labels_, labels)
    np.testing.assert_allclose(km.cluster_centers_, centres, rtol=1e-12, atol=1e-12)
    assert km.inertia_ == pytest.approx(inertia, rel=1e-12)


def test_empty_cluster_is_relocated_to_the_farthest_sample():
    X = blobs(400, d=2, k=3, seed=4)
    init = np.vstack([X[:2], [[1e3, 1e3]]])  # the third centre attracts nobody
    km = emclust.KMeans(3, init=init, max_iter=1).fit(X)
    assert np.isfinite(km.cluster_centers_).all()
    centres_ref, _, _, _ = ref.fit(X, init, max_iter=1)
    np.testing.assert_allclose(km.cluster_centers_, centres_ref, rtol=1e-12)
    # After one iteration cluster 2 is exactly the sample farthest from its centre.
    d = (
        (X - init[:2][((X[:, None] - init[None, :2]) ** 2).sum(2).argmin(1)]) ** 2
    ).sum(1)
    np.testing.assert_array_equal(km.cluster_centers_[2], X[d.argmax()])
    km = emclust.KMeans(3, init=init).fit(X)
    assert np.bincount(km.labels_, minlength=3).min() > 0


def test_more_clusters_than_distinct_points_gives_no_nan():
    X = np.repeat([[0.0, 0.0], [1.0, 1.0]], 5, axis=0)
    for init in ("k-means++", "random"):
        # As scikit-learn, fit warns that it found fewer clusters.
        with pytest.warns(emclust.ConvergenceWarning, match="distinct clusters"):
            km = emclust.KMeans(4, init=init, random_state=0).fit(X)
        assert np.isfinite(km.cluster_centers_).all()
        assert km.inertia_ == 0.0


# --- scikit-learn ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["breast_cancer", "wine"])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_matches_sklearn_from_same_centres(name, seed, weighted):
    # Real data without exact distance ties (integer data such as the digits
    # has them, and then the label of a tied sample depends on rounding).
    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    X = real_data(name)
    rng = np.random.default_rng(seed)
    k = 6
    init = X[rng.choice(len(X), k, replace=False)]
    w = rng.integers(1, 4, len(X)).astype(float) if weighted else None
    ours = emclust.KMeans(k, init=init).fit(X, sample_weight=w)
    theirs = sklearn_cluster.KMeans(k, init=init, n_init=1, algorithm="lloyd").fit(
        X, sample_weight=w
    )
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(
        ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-10, atol=1e-12
    )
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-10)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-10)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_matches_sklearn_with_an_empty_cluster():
    # One empty cluster: both take the sample farthest from its own centre.
    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    X = real_data("wine")
    init = np.vstack([X[:3], X[:1] + 1e6])
    ours = emclust.KMeans(4, init=init).fit(X)
    theirs = sklearn_cluster.KMeans(4, init=init, n_init=1).fit(X)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(
        ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-10
    )


def test_float32_close_to_sklearn():
    # scikit-learn computes in float32 throughout; we sum in float64, so the
    # centres agree to float32 precision.
    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    X = real_data("wine").astype(np.float32)
    init = X[[0, 60, 130]]
    ours = emclust.KMeans(3, init=init).fit(X)
    theirs = sklearn_cluster.KMeans(3, init=init, n_init=1).fit(X)
    assert ours.cluster_centers_.dtype == np.float32
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(
        ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-5
    )
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-5)


# --- the σ → 0 limit of a spherical Gaussian mixture -------------------------


def test_spherical_mixture_with_tiny_variance_assigns_like_kmeans():
    X = blobs(1000, d=3, k=4, seed=5, spread=2.0)
    km = emclust.KMeans(4, random_state=0).fit(X)
    k = km.cluster_centers_.shape[0]
    resp, _ = emclust.e_step(
        X, np.full(k, 1.0 / k), km.cluster_centers_, np.full(k, 1e-4), "spherical"
    )
    np.testing.assert_array_equal(resp.argmax(axis=1), km.labels_)
    # Hard assignments: all but a vanishing fraction of rows are one-hot.
    assert np.mean(resp.max(axis=1) > 1 - 1e-12) > 0.99


# --- invariants ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_threads", THREADS)
@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_same_bits_for_any_thread_count(dtype, n_threads, init):
    X = blobs(20000, d=5, k=7, seed=6, spread=4.0).astype(dtype)
    w = np.random.default_rng(7).uniform(0, 3, len(X))
    args = {"init": init, "n_init": 2, "random_state": 11}
    one = emclust.KMeans(7, n_threads=1, **args).fit(X, sample_weight=w)
    many = emclust.KMeans(7, n_threads=n_threads, **args).fit(X, sample_weight=w)
    np.testing.assert_array_equal(one.cluster_centers_, many.cluster_centers_)
    np.testing.assert_array_equal(one.labels_, many.labels_)
    assert one.inertia_ == many.inertia_
    assert one.n_iter_ == many.n_iter_
    c1, i1 = emclust.kmeans_plusplus(X, 7, sample_weight=w, random_state=3, n_threads=1)
    c2, i2 = emclust.kmeans_plusplus(
        X, 7, sample_weight=w, random_state=3, n_threads=n_threads
    )
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(c1, c2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_integer_weights_equal_repeated_rows(dtype):
    X = blobs(600, d=3, k=4, seed=8).astype(dtype)
    w = np.random.default_rng(9).integers(0, 4, len(X))
    init = X[w > 0][:4]
    weighted = emclust.KMeans(4, init=init).fit(X, sample_weight=w)
    repeated = emclust.KMeans(4, init=init).fit(np.repeat(X, w, axis=0))
    np.testing.assert_array_equal(np.repeat(weighted.labels_, w), repeated.labels_)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(
        weighted.cluster_centers_, repeated.cluster_centers_, rtol=rtol
    )
    assert weighted.inertia_ == pytest.approx(repeated.inertia_, rel=rtol)


def test_float32_agrees_with_float64():
    X = blobs(3000, d=4, k=5, seed=10)
    init = X[:5]
    a = emclust.KMeans(5, init=init).fit(X)
    b = emclust.KMeans(5, init=init.astype(np.float32)).fit(X.astype(np.float32))
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-5)


def test_data_far_from_the_origin_in_float32():
    # Distances are computed about the data's mean: an offset of 1e4 would
    # otherwise eat every digit of a float32 cross product.
    X = blobs(2000, d=3, k=3, seed=12, spread=0.5)
    init = X[:3]
    a = emclust.KMeans(3, init=init).fit(X)
    b = emclust.KMeans(3, init=(init + 1e4).astype(np.float32)).fit(
        (X + 1e4).astype(np.float32)
    )
    np.testing.assert_array_equal(a.labels_, b.labels_)


def test_more_restarts_never_worse():
    X = blobs(2000, d=2, k=8, seed=13, spread=2.5)
    one = emclust.KMeans(8, n_init=1, random_state=5).fit(X)
    five = emclust.KMeans(8, n_init=5, random_state=5).fit(X)
    assert five.inertia_ <= one.inertia_


def test_fit_is_reproducible_and_random_state_matters():
    X = blobs(2000, d=2, k=8, seed=14, spread=3.0)
    a = emclust.KMeans(8, random_state=1).fit(X)
    b = emclust.KMeans(8, random_state=1).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    _, i1 = emclust.kmeans_plusplus(X, 8, random_state=1)
    _, i2 = emclust.kmeans_plusplus(X, 8, random_state=2)
    assert not np.array_equal(i1, i2)


# --- k-means++ -------------------------------------------------------------------


def test_kmeans_plusplus_picks_one_centre_per_separated_blob():
    rng = np.random.default_rng(15)
    centres = np.arange(6)[:, None] * np.array([[100.0, -50.0]])
    X = np.repeat(centres, 50, axis=0) + rng.standard_normal((300, 2))
    for seed in range(10):
        chosen, idx = emclust.kmeans_plusplus(X, 6, random_state=seed)
        np.testing.assert_array_equal(chosen, X[idx])
        assert sorted(idx // 50) == list(range(6))


def test_kmeans_plusplus_never_picks_zero_weight_rows():
    X = blobs(500, d=2, k=4, seed=16)
    w = np.zeros(len(X))
    w[::7] = 1.0
    for seed in range(5):
        _, idx = emclust.kmeans_plusplus(X, 10, sample_weight=w, random_state=seed)
        assert (w[idx] > 0).all()
        assert len(set(idx.tolist())) == 10


def test_kmeans_plusplus_returns_x_dtype():
    X = blobs(100, d=2, k=2).astype(np.float32)
    centres, idx = emclust.kmeans_plusplus(X, 3, random_state=0)
    assert centres.dtype == np.float32
    assert idx.shape == (3,)


def test_random_init_draws_distinct_weighted_rows():
    X = np.arange(20, dtype=float)[:, None]
    w = np.zeros(20)
    w[[3, 9, 15]] = 1.0
    km = emclust.KMeans(3, init="random", max_iter=1, random_state=0).fit(
        X, sample_weight=w
    )
    np.testing.assert_array_equal(np.sort(km.cluster_centers_[:, 0]), [3.0, 9.0, 15.0])


# --- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_clusters": 0}, ValueError, "n_clusters"),
        ({"n_clusters": 2.5}, TypeError, "n_clusters"),
        ({"n_clusters": 11}, ValueError, "n_samples=10 should be >= n_clusters=11"),
        ({"init": "kmeans"}, ValueError, "'init' parameter of KMeans"),
        (
            {"init": np.zeros((3, 2))},
            ValueError,
            r"number of clusters 2 \(init must have shape .*\(2, 2\)",
        ),
        ({"init": np.zeros((2, 3))}, ValueError, r"number of features.*init must"),
        ({"init": np.array([[0, 0], [np.nan, 0]])}, ValueError, "init contains NaN"),
        ({"n_init": 0}, ValueError, "n_init"),
        ({"max_iter": 0}, ValueError, "max_iter"),
        ({"tol": -1.0}, ValueError, "tol"),
        ({"n_threads": 0}, ValueError, "n_threads"),
        ({"random_state": "x"}, TypeError, "random_state"),
    ],
)
def test_bad_parameters(kwargs, error, match):
    X = blobs(10, d=2, k=2)
    args = {"n_clusters": 2, **kwargs}
    with pytest.raises(error, match=match):
        emclust.KMeans(**args).fit(X)


def test_bad_data():
    X = blobs(10, d=2, k=2)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        emclust.KMeans(2).fit(bad)
    with pytest.raises(ValueError, match="2D"):
        emclust.KMeans(2).fit(X[:, 0])
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        emclust.KMeans(2).fit(X, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        emclust.KMeans(2).fit(X, sample_weight=-np.ones(10))
    with pytest.raises(ValueError, match="n_clusters"):
        emclust.kmeans_plusplus(X, 11)
    km = emclust.KMeans(2, random_state=0)
    with pytest.raises(emclust.NotFittedError):
        km.predict(X)
    km.fit(X)
    with pytest.raises(ValueError, match="3 features"):
        km.predict(np.zeros((4, 3)))


def test_array_init_with_several_restarts_warns():
    X = blobs(50, d=2, k=2)
    with pytest.warns(RuntimeWarning, match="performing only one init"):
        km = emclust.KMeans(2, init=X[:2], n_init=3).fit(X)
    assert km.n_iter_ >= 1


def test_get_params_round_trip():
    km = emclust.KMeans(3, init="random", n_init=2, tol=0.0, n_threads=2)
    params = km.get_params()
    assert params["n_clusters"] == 3 and params["init"] == "random"
    clone = emclust.KMeans(**params)
    assert clone.get_params() == params
