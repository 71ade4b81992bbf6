"""Unit weights are no weights: fit(X, sample_weight=np.ones(n)) is fit(X), bit
for bit, for every estimator and every initialisation (scikit-learn's
test_unit_weights_vs_no_weights), while an integer weight still counts as
that many repeated rows."""

import emclust
import numpy as np
import pytest

_rng = np.random.default_rng(42)
X = np.vstack(
    [c + _rng.standard_normal((150, 3)) for c in ([0, 0, 0], [4, 0, 1], [0, 5, 2])]
)
B = (X > 1.0).astype(np.float64)

CASES = [
    *(
        pytest.param(
            lambda i=init: emclust.GaussianMixture(3, init_params=i, random_state=1),
            X,
            id=f"GaussianMixture-{init}",
        )
        for init in ("kmeans", "k-means++", "random", "random_from_data")
    ),
    *(
        pytest.param(
            lambda c=cls, i=init: c(4, init=i, n_init=2, random_state=2),
            X,
            id=f"{cls.__name__}-{init}",
        )
        for cls in (emclust.KMeans, emclust.KMedians)
        for init in ("k-means++", "random")
    ),
    *(
        pytest.param(
            lambda i=init: emclust.BernoulliMixture(3, init_params=i, random_state=3),
            B,
            id=f"BernoulliMixture-{init}",
        )
        for init in ("k-means++", "random", "random_from_data")
    ),
]

FITTED = (
    "weights_",
    "means_",
    "covariances_",
    "precisions_cholesky_",
    "probabilities_",
    "cluster_centers_",
    "labels_",
    "inertia_",
    "n_iter_",
    "lower_bound_",
    "lower_bounds_",
)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("make", "data"), CASES)
def test_unit_weights_are_no_weights(make, data, dtype):
    data = data.astype(dtype)
    a = make().fit(data)
    b = make().fit(data, sample_weight=np.ones(data.shape[0]))
    compared = 0
    for name in FITTED:
        if hasattr(a, name):
            np.testing.assert_array_equal(
                np.asarray(getattr(a, name)), np.asarray(getattr(b, name)), name
            )
            compared += 1
    assert compared >= 4


def test_kmeans_plusplus_unit_weights():
    a = emclust.kmeans_plusplus(X, 5, random_state=7)
    b = emclust.kmeans_plusplus(X, 5, sample_weight=np.ones(len(X)), random_state=7)
    np.testing.assert_array_equal(a[1], b[1])


def test_equal_weights_of_any_size_are_no_weights():
    # Nothing is special about ones: any common weight draws as no weights.
    a = emclust.KMeans(4, random_state=5).fit(X)
    b = emclust.KMeans(4, random_state=5).fit(X, sample_weight=np.full(len(X), 2.5))
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-12)


def test_weighted_first_centre_follows_the_weights():
    # The first k-means++ centre is drawn with probability ∝ weight: over many
    # seeds, a row of weight 3 comes first three times as often as one of
    # weight 1, and rows of weight 0 never do.
    pts = np.arange(4.0).reshape(-1, 1)
    w = np.array([1.0, 3.0, 0.0, 1.0])
    first = [
        emclust.kmeans_plusplus(pts, 1, sample_weight=w, random_state=s)[1][0]
        for s in range(4000)
    ]
    counts = np.bincount(first, minlength=4)
    assert counts[2] == 0
    assert counts[1] / 4000 == pytest.approx(0.6, abs=0.03)
    assert counts[0] / 4000 == pytest.approx(0.2, abs=0.03)


def test_very_unequal_weights_still_draw_proportionally():
    # One heavy row among many light ones: the uniform proposals are mostly
    # rejected and the draw falls back to the cumulative sum.
    pts = np.arange(1000.0).reshape(-1, 1)
    w = np.full(1000, 1e-3)
    w[500] = 1.0
    first = [
        emclust.kmeans_plusplus(pts, 1, sample_weight=w, random_state=s)[1][0]
        for s in range(2000)
    ]
    share = np.mean(np.array(first) == 500)
    assert share == pytest.approx(1.0 / 1.999, abs=0.04)
