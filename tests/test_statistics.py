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
