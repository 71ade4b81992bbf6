"""The public per-chunk statistics: adding chunks' statistics and solving the
M-step from the sum is one EM (or Lloyd) iteration of the in-memory fit."""

import pickle

import emclust
import numpy as np
import pytest
from _gmm_data import COVARIANCE_TYPES, blobs, initial_params

# The in-memory fit sums the same per-row terms, but grouped by the core's
# own chunk plan; here they are grouped by the chunks we cut. Every sum is a
# float64 sum of O(n) terms, so the two groupings differ by a few ulps of the
# sum (relative ~1e-15 here); the M-step is well conditioned on these data,
# so parameters agree to far better than 1e-10.
RTOL = 1e-10


def _chunks(X, bounds):
    edges = [0, *bounds, X.shape[0]]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sum_of_chunk_statistics_is_one_em_step(covariance_type):
    X = blobs(n=900, d=4, k=3, seed=3)
    init = initial_params(X, 3, covariance_type)
    start = emclust.GaussianMixture(
        3, covariance_type=covariance_type, max_iter=0, **init
    ).fit(X)
    one = emclust.GaussianMixture(
        3, covariance_type=covariance_type, max_iter=1, tol=0, **init
    )
    with pytest.warns(emclust.ConvergenceWarning):
        one.fit(X)
    stats = sum(
        emclust.gmm_statistics(
            X[s],
            start.weights_,
            start.means_,
            start.precisions_cholesky_,
            covariance_type,
        )
        for s in _chunks(X, [100, 101, 500])
    )
    weights, means, covariances, chol = stats.m_step(reg_covar=1e-6)
    np.testing.assert_allclose(weights, one.weights_, rtol=RTOL)
    np.testing.assert_allclose(means, one.means_, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(covariances, one.covariances_, rtol=RTOL)
    np.testing.assert_allclose(chol, one.precisions_cholesky_, rtol=RTOL)
    np.testing.assert_allclose(stats.lower_bound, one.lower_bound_, rtol=RTOL)
    assert stats.weight_sum == X.shape[0]


def test_gaussian_statistics_pickle_and_add_checks():
    X = blobs(n=300, d=2, k=2)
    p = emclust.GaussianMixture(2, max_iter=0, **initial_params(X, 2, "full")).fit(X)
    a = emclust.gmm_statistics(
        X[:100], p.weights_, p.means_, p.precisions_cholesky_, "full"
    )
    b = pickle.loads(pickle.dumps(a))
    total = a + b
    np.testing.assert_array_equal(total.first, 2 * a.first)
    assert total.second.shape == (2, 2, 2)
    moved = emclust.gmm_statistics(
        X[:100], p.weights_, p.means_ + 1, p.precisions_cholesky_, "full"
    )
    with pytest.raises(ValueError, match="same shift"):
        a + moved


def test_chunk_with_zero_rows_adds_nothing():
    X = blobs(n=200, d=2, k=2)
    p = emclust.GaussianMixture(2, max_iter=0, **initial_params(X, 2, "diag"))
    p.set_params(covariance_type="diag").fit(X)
    args = (p.weights_, p.means_, p.precisions_cholesky_, "diag")
    empty = emclust.gmm_statistics(X[:0], *args)
    whole = emclust.gmm_statistics(X, *args)
    assert empty.weight_sum == 0
    np.testing.assert_array_equal((whole + empty).first, whole.first)


def test_sum_of_kmeans_statistics_is_one_lloyd_step():
    X = blobs(n=800, d=3, k=4, seed=5)
    centers = X[:4].astype(np.float64)
    w = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    stats = sum(
        emclust.kmeans_statistics(X[s], centers, sample_weight=w[s], shift=X.mean(0))
        for s in _chunks(X, [1, 333, 334])
    )
    # One Lloyd step from `centers`, by hand.
    d2 = ((X[:, None, :] - centers[None]) ** 2).sum(-1)
    first = d2.argmin(1)
    means = np.stack(
        [np.average(X[first == c], axis=0, weights=w[first == c]) for c in range(4)]
    )
    np.testing.assert_allclose(stats.m_step(), means, rtol=RTOL)
    np.testing.assert_array_equal(stats.counts, np.bincount(first, minlength=4))
    np.testing.assert_allclose(
        stats.inertia, (w * d2[np.arange(X.shape[0]), first]).sum(), rtol=RTOL
    )
    assert pickle.loads(pickle.dumps(stats)).inertia == stats.inertia


def test_statistics_bad_input():
    X = blobs(n=50, d=2, k=2)
    with pytest.raises(ValueError, match="precisions_cholesky must have shape"):
        emclust.gmm_statistics(X, [0.5, 0.5], X[:2], np.ones(3), "spherical")
    with pytest.raises(ValueError, match="means must have shape"):
        emclust.gmm_statistics(X, [0.5, 0.5], np.ones((2, 3)), np.ones(2), "spherical")
    with pytest.raises(ValueError, match="centers must have shape"):
        emclust.kmeans_statistics(X, np.ones((2, 3)))
    with pytest.raises(ValueError, match="sample_weight"):
        emclust.kmeans_statistics(X, X[:2], sample_weight=-np.ones(50))


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_kmeans_relocation_by_chunks_is_one_lloyd_step(weighted):
    # Two far initial centres: empty after the assignment. Chunks' statistics
    # and relocation candidates, summed, then relocate_empty_clusters and the
    # M-step: the first iteration of KMeans.fit (max_iter=1).
    X = blobs(n=700, d=3, k=3, seed=9)
    centers = np.vstack([X[:3], [[300.0, 0, 0], [0, -300.0, 0]]])
    w = None
    if weighted:
        w = np.random.default_rng(1).uniform(0, 2, X.shape[0])
        w[::3] = 0
    shift = X.mean(axis=0)
    parts = _chunks(X, [1, 250, 251, 600])
    kw = [{} if w is None else {"sample_weight": w[s]} for s in parts]
    stats = sum(
        emclust.kmeans_statistics(X[s], centers, shift=shift, **k)
        for s, k in zip(parts, kw)
    )
    np.testing.assert_array_equal(stats.empty_clusters, [3, 4])
    candidates = sum(
        emclust.kmeans_relocation_candidates(
            X[s], centers, shift=shift, row_offset=s.start, **k
        )
        for s, k in zip(parts, kw)
    )
    assert candidates.index.shape == (5,)
    assert (np.diff(candidates.distance) <= 0).all()
    moved, moves = stats.relocate_empty_clusters(candidates)
    assert moves.shape == (2, 2)
    np.testing.assert_array_equal(moves[:, 1], [3, 4])
    assert (moved.counts > 0).all()
    assert moved.counts.sum() == stats.counts.sum()
    one = emclust.KMeans(5, init=centers, max_iter=1).fit(X, sample_weight=w)
    np.testing.assert_allclose(moved.m_step(), one.cluster_centers_, rtol=RTOL)
    np.testing.assert_array_equal(one.labels_[moves[:, 0]], [3, 4])
    # The farthest row (by brute force) goes to the lowest empty cluster.
    d2 = ((X[:, None, :] - centers[None]) ** 2).sum(-1)
    own = d2.min(axis=1) * (1 if w is None else (w > 0))
    assert moves[0, 0] == np.argmax(own)
    same, none = moved.relocate_empty_clusters(candidates)
    assert same is moved and none.shape == (0, 2)


def test_relocation_candidates_bad_input():
    X = blobs(n=50, d=2, k=2)
    with pytest.raises(ValueError, match="centers must have shape"):
        emclust.kmeans_relocation_candidates(X, np.ones((2, 3)))
    with pytest.raises(ValueError, match="row_offset"):
        emclust.kmeans_relocation_candidates(X, X[:2], row_offset=-1)
    with pytest.raises(ValueError, match="shift must have shape"):
        emclust.kmeans_relocation_candidates(X, X[:2], shift=np.ones(3))
    stats = emclust.kmeans_statistics(X, X[:2])
    with pytest.raises(TypeError, match="candidates must be a RelocationCandidates"):
        stats.relocate_empty_clusters(stats)
    with pytest.raises(ValueError, match="same centers"):
        stats.relocate_empty_clusters(emclust.kmeans_relocation_candidates(X, X[2:4]))


def _binary(n=900, d=10, seed=4):
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0.1, 0.9, (2, d))
    z = rng.choice(2, n, p=[0.6, 0.4])
    return (rng.random((n, d)) < theta[z]).astype(np.float64)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda t: t.__name__)
def test_sum_of_bernoulli_statistics_is_one_em_step(dtype):
    X = _binary().astype(dtype)
    rng = np.random.default_rng(0)
    weights, theta = np.array([0.3, 0.7]), rng.uniform(0.2, 0.8, (2, X.shape[1]))
    w = rng.uniform(0, 2, X.shape[0])
    one = emclust.BernoulliMixture(
        2, weights_init=weights, probabilities_init=theta, max_iter=1, alpha=0.1
    )
    with pytest.warns(emclust.ConvergenceWarning):
        one.fit(X, sample_weight=w)
    parts = _chunks(X, [0, 1, 400])
    stats = sum(
        emclust.bernoulli_statistics(X[s], weights, theta, sample_weight=w[s])
        for s in parts
    )
    assert stats.dtype == np.dtype(dtype).name
    new_weights, new_theta = stats.m_step(alpha=0.1)
    # float32 rows are multiplied in float32 within each block of rows.
    rtol = RTOL if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(new_weights, one.weights_, rtol=rtol)
    np.testing.assert_allclose(new_theta, one.probabilities_, rtol=rtol)
    np.testing.assert_allclose(stats.lower_bound, one.lower_bound_, rtol=rtol)
    np.testing.assert_allclose(stats.weight_sum, w.sum(), rtol=1e-12)
    again = pickle.loads(pickle.dumps(stats))
    np.testing.assert_array_equal((again + stats).x_sum, 2 * stats.x_sum)


def test_bernoulli_statistics_bad_input():
    X = _binary(n=20, d=3)
    theta = np.full((2, 3), 0.5)
    with pytest.raises(ValueError, match="X must be binary"):
        emclust.bernoulli_statistics(X + 0.5, [0.5, 0.5], theta)
    with pytest.raises(ValueError, match="probabilities must have shape"):
        emclust.bernoulli_statistics(X, [0.5, 0.5], np.full((2, 4), 0.5))
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        emclust.bernoulli_statistics(X, [0.5, 0.5], np.ones((2, 3)))
    with pytest.raises(ValueError, match="weights must have shape"):
        emclust.bernoulli_statistics(X, [1.0], theta)
    with pytest.raises(ValueError, match="alpha"):
        emclust.bernoulli_statistics(X, [0.5, 0.5], theta).m_step(alpha=-1)
    a = emclust.bernoulli_statistics(X, [0.5, 0.5], theta)
    b = emclust.bernoulli_statistics(X[:, :2], [0.5, 0.5], theta[:, :2])
    with pytest.raises(ValueError, match="same shape"):
        a + b
