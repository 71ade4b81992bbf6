"""K-medians: medians of members, robustness, the NumPy reference, invariants."""

import emclust
import numpy as np
import pytest
from emclust.reference import kmeans as ref

DTYPES = [
    pytest.param(np.float64, id="float64"),
    pytest.param(np.float32, id="float32"),
]
THREADS = [pytest.param(t, id=f"threads={t}") for t in (1, 2, 3, 4)]


def blobs(n=2000, d=3, k=4, seed=0, spread=1.0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(k, d))
    labels = rng.integers(0, k, size=n)
    return centres[labels] + spread * rng.standard_normal((n, d))


def test_toy_by_hand():
    # Iteration 1: {0, 1, 2} and {100}: medians 1 and 100; iteration 2 keeps
    # the labels. Inertia |0-1| + |1-1| + |2-1| + 0 = 2.
    X = np.array([[0.0], [1.0], [2.0], [100.0]])
    km = emclust.KMedians(2, init=np.array([[0.0], [100.0]])).fit(X)
    np.testing.assert_array_equal(km.labels_, [0, 0, 0, 1])
    np.testing.assert_array_equal(km.cluster_centers_, [[1.0], [100.0]])
    assert km.inertia_ == 2.0
    assert km.n_iter_ == 2
    np.testing.assert_array_equal(km.transform(np.array([[4.0]])), [[3.0, 96.0]])


def test_toy_even_count_takes_the_mean_of_the_middle_pair():
    X = np.array([[0.0, 5.0], [1.0, 7.0], [3.0, 6.0], [10.0, 8.0]])
    km = emclust.KMedians(1, init=np.zeros((1, 2))).fit(X)
    np.testing.assert_array_equal(km.cluster_centers_, [[2.0, 6.5]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_centres_are_medians_of_members(dtype, init):
    X = blobs(1501, d=4, k=5, seed=1, spread=3.0).astype(dtype)
    km = emclust.KMedians(5, init=init, tol=0, random_state=0).fit(X)
    for c in range(5):
        members = X[km.labels_ == c]
        # The final labels are those of the final centres; when they did not
        # change in the last iteration the centres are their medians exactly.
        np.testing.assert_array_equal(
            km.cluster_centers_[c], np.median(members, axis=0)
        )


def test_resists_an_outlier_where_kmeans_does_not():
    rng = np.random.default_rng(2)
    X = np.vstack(
        [
            rng.normal(0, 1, (200, 2)),
            rng.normal(20, 1, (200, 2)),
            [[1e6, 1e6]],
        ]
    )
    init = np.array([[0.0, 0.0], [20.0, 20.0]])
    med = emclust.KMedians(2, init=init).fit(X)
    mean = emclust.KMeans(2, init=init).fit(X)
    # The outlier joins the second cluster in both.
    assert med.labels_[-1] == mean.labels_[-1] == 1
    clean_median = np.median(X[200:400], axis=0)
    assert np.abs(med.cluster_centers_[1] - clean_median).max() < 0.1
    np.testing.assert_array_equal(med.cluster_centers_[1], np.median(X[200:], axis=0))
    # K-means is dragged by 1e6 / 201 ≈ 5000.
    assert mean.cluster_centers_[1].min() > 4000


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_matches_reference(weighted):
    X = blobs(800, d=3, k=5, seed=3, spread=3.0)
    rng = np.random.default_rng(4)
    w = rng.uniform(0, 2, len(X)) if weighted else None
    init = X[rng.choice(len(X), 5, replace=False)]
    km = emclust.KMedians(5, init=init, tol=0).fit(X, sample_weight=w)
    centres, labels, inertia, n_iter = ref.fit(X, init, w, metric="l1", tol=0)
    assert km.n_iter_ == n_iter
    np.testing.assert_array_equal(km.labels_, labels)
    np.testing.assert_array_equal(km.cluster_centers_, centres)
    assert km.inertia_ == pytest.approx(inertia, rel=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_integer_weights_equal_repeated_rows(dtype):
    X = blobs(700, d=3, k=4, seed=5, spread=2.0).astype(dtype)
    w = np.random.default_rng(6).integers(0, 4, len(X))
    init = X[w > 0][:4]
    weighted = emclust.KMedians(4, init=init).fit(X, sample_weight=w)
    repeated = emclust.KMedians(4, init=init).fit(np.repeat(X, w, axis=0))
    np.testing.assert_array_equal(np.repeat(weighted.labels_, w), repeated.labels_)
    # The weighted median equals the plain median of the repeated rows exactly.
    np.testing.assert_array_equal(weighted.cluster_centers_, repeated.cluster_centers_)
    assert weighted.n_iter_ == repeated.n_iter_
    assert weighted.inertia_ == pytest.approx(repeated.inertia_, rel=1e-12)


def _nearest_l1(X, centres):
    # The kernel's order: |x_j - c_j| added to 0 feature after feature, in X's
    # dtype; ties to the lower index, as np.argmin.
    C = centres.astype(X.dtype)
    s = np.zeros((len(X), len(C)), dtype=X.dtype)
    for j in range(X.shape[1]):
        s += np.abs(X[:, j, None] - C[None, :, j])
    return s.argmin(axis=1)


# Integer centres may repeat: the one-iteration fit only makes a fitted estimator.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("d", [1, 2, 7, 16, 33])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 7, 13])
@pytest.mark.parametrize("n", [1, 31, 257])
def test_predict_is_the_nearest_centre_by_l1(dtype, d, k, n):
    # Shapes around the kernel's micro-tile (4 packets of rows, 3 centres):
    # partial strips and partial tiles of centres. Small integers give many
    # exact ties, which must go to the lower index; the continuous rows check
    # the sums' order.
    rng = np.random.default_rng(d * 100 + k * 10 + n)
    for X, C in (
        (rng.integers(0, 3, (n, d)), rng.integers(0, 3, (k, d))),
        (rng.normal(size=(n, d)) * 1e3, rng.normal(size=(k, d)) * 1e3),
    ):
        X = X.astype(dtype)
        fit_on = np.concatenate([X, C.astype(dtype)])  # at least k rows
        km = emclust.KMedians(k, init=C.astype(np.float64), max_iter=1).fit(fit_on)
        km.cluster_centers_ = C.astype(np.float64)
        np.testing.assert_array_equal(km.predict(X), _nearest_l1(X, C))


@pytest.mark.parametrize(
    ("values", "weights"),
    [
        ([3.0, 1.0, 2.0], [1, 1, 1]),
        ([3.0, 1.0, 2.0, 10.0], [1, 1, 1, 1]),
        ([5.0, 1.0, 2.0, 4.0], [3, 1, 1, 1]),
        ([5.0, 1.0, 2.0, 4.0], [2, 1, 1, 0]),
        ([7.0], [4]),
        ([1.0, 2.0, 2.0, 3.0], [1, 2, 0, 1]),
    ],
)
def test_reference_weighted_median_equals_median_of_repeats(values, weights):
    values, weights = np.array(values), np.array(weights)
    assert ref.weighted_median(values, weights.astype(float)) == np.median(
        np.repeat(values, weights)
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_threads", THREADS)
def test_same_bits_for_any_thread_count(dtype, n_threads):
    X = blobs(20000, d=4, k=6, seed=7, spread=4.0).astype(dtype)
    w = np.random.default_rng(8).uniform(0, 2, len(X))
    args = {"n_init": 2, "random_state": 3}
    one = emclust.KMedians(6, n_threads=1, **args).fit(X, sample_weight=w)
    many = emclust.KMedians(6, n_threads=n_threads, **args).fit(X, sample_weight=w)
    np.testing.assert_array_equal(one.cluster_centers_, many.cluster_centers_)
    np.testing.assert_array_equal(one.labels_, many.labels_)
    assert one.inertia_ == many.inertia_


def test_predict_transform_score():
    X = blobs(500, d=2, k=3, seed=9)
    km = emclust.KMedians(3, random_state=0).fit(X)
    D = km.transform(X)
    np.testing.assert_allclose(
        D, np.abs(X[:, None] - km.cluster_centers_[None]).sum(2), rtol=1e-15
    )
    np.testing.assert_array_equal(km.predict(X), D.argmin(axis=1))
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    assert km.score(X) == pytest.approx(-D.min(axis=1).sum(), rel=1e-12)
    assert km.inertia_ == pytest.approx(-km.score(X), rel=1e-12)


def test_empty_cluster_gets_no_nan():
    X = blobs(300, d=2, k=2, seed=10)
    init = np.vstack([X[:2], [[1e4, 1e4]]])
    km = emclust.KMedians(3, init=init).fit(X)
    assert np.isfinite(km.cluster_centers_).all()
    assert np.bincount(km.labels_, minlength=3).min() > 0


def test_bad_input():
    X = blobs(10, d=2, k=2)
    with pytest.raises(ValueError, match="n_clusters"):
        emclust.KMedians(11).fit(X)
    with pytest.raises(ValueError, match="init must have shape"):
        emclust.KMedians(2, init=np.zeros((2, 5))).fit(X)
    bad = X.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        emclust.KMedians(2).fit(bad)
