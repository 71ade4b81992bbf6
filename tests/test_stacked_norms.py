"""Full and tied mixtures with 32 or more features whiten a tile under all
components at once (products::stacked_norms): the tile is centred on the
mixture's mean c once, multiplied by the factors of many components stacked
in blocks of 16 output features, and each component's offset C_k^T (mu_k - c)
is taken off. Their fits then take every component's scatter about c from
one product (stacked_scatter) and move it to the means, unless some
component lies so far from c, in its own units, that the move would cancel
digits. These tests hold both to the reference at 1e-10, far from the
origin, with clusters far apart, for every thread count, and at the sizes
where the layout has edges: a partial last block (d = 70), more components
than one product takes (k = 20 > 16), a single shared factor (tied), and
the thresholds (d = 32; k = 16 for the scatter)."""

import warnings

import emclust
import numpy as np
import pytest
from _gmm_data import blobs, initial_params
from emclust import reference

# (d, k): the threshold; a partial block and two groups of components; and
# few components, where the fit keeps per-component differences for the
# statistics and only the E-step arrays (predict_proba) take the stacked path.
CASES = [(32, 8), (70, 20), (48, 3)]


def random_covariances(d, k, seed, covariance_type):
    """Well-conditioned covariances of every shape the type has, anisotropic
    and correlated so that the factors are dense triangles."""
    rng = np.random.default_rng(seed)

    def one():
        a = rng.normal(size=(d, d)) / np.sqrt(d)
        return a @ a.T + np.diag(rng.uniform(0.3, 2.0, d))

    if covariance_type == "tied":
        return one()
    return np.stack([one() for _ in range(k)])


def mixture(d, k, covariance_type, seed=0, offset=0.0):
    X = blobs(n=1003, d=d, k=k, seed=seed, offset=offset)
    rng = np.random.default_rng(seed + 1)
    weights = rng.dirichlet(np.full(k, 3.0))
    means = X[rng.choice(len(X), k, replace=False)]
    cov = random_covariances(d, k, seed + 2, covariance_type)
    return X, weights, means, cov


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
@pytest.mark.parametrize(("d", "k"), CASES)
def test_e_step_matches_reference(d, k, covariance_type):
    X, weights, means, cov = mixture(d, k, covariance_type)
    resp, log_prob = emclust.e_step(X, weights, means, cov, covariance_type)
    ref_resp, ref_log_prob = reference.e_step(X, weights, means, cov, covariance_type)
    np.testing.assert_allclose(log_prob, ref_log_prob, rtol=1e-10)
    np.testing.assert_allclose(resp, ref_resp, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
@pytest.mark.parametrize("offset", [1e5, -3e7])
def test_far_from_the_origin_keeps_its_digits(covariance_type, offset):
    # Centring on the mixture's mean makes x - c small: whitening x itself
    # and subtracting C^T mu would cancel |C^T x| ~ 1e7 down to ~1.
    X, weights, means, cov = mixture(40, 12, covariance_type, seed=3, offset=offset)
    resp, log_prob = emclust.e_step(X, weights, means, cov, covariance_type)
    ref_resp, ref_log_prob = reference.e_step(X, weights, means, cov, covariance_type)
    np.testing.assert_allclose(log_prob, ref_log_prob, rtol=1e-10)
    np.testing.assert_allclose(resp, ref_resp, rtol=1e-9, atol=1e-11)


def fit(X, k, covariance_type, n_threads=2, max_iter=6):
    init = initial_params(X, k, covariance_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emclust.ConvergenceWarning)
        return emclust.GaussianMixture(
            k,
            covariance_type=covariance_type,
            tol=0.0,
            max_iter=max_iter,
            n_threads=n_threads,
            **init,
        ).fit(X)


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
# Enough rows per component (n / k > 3 d) that no fitted covariance is
# singular; 17 components take two products per block.
@pytest.mark.parametrize(("n", "d", "k"), [(1003, 32, 8), (4001, 70, 17)])
def test_fit_matches_reference(n, d, k, covariance_type):
    X = blobs(n=n, d=d, k=k, seed=d)
    ours = fit(X, k, covariance_type)
    init = initial_params(X, k, covariance_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emclust.ConvergenceWarning)
        theirs = reference.GaussianMixture(
            k, covariance_type=covariance_type, tol=0.0, max_iter=6, **init
        ).fit(X)
    np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-10)
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(
            getattr(ours, name), getattr(theirs, name), rtol=1e-10, atol=1e-12
        )
    np.testing.assert_allclose(
        ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9, atol=1e-11
    )


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bit_identical_for_any_thread_count(covariance_type, dtype):
    X = blobs(n=4001, d=70, k=17, seed=5, dtype=dtype)
    fits = [fit(X, 17, covariance_type, n_threads=t, max_iter=3) for t in (1, 2, 3)]
    for other in fits[1:]:
        assert np.array_equal(other.means_, fits[0].means_)
        assert np.array_equal(other.covariances_, fits[0].covariances_)
        assert np.array_equal(other.predict_proba(X), fits[0].predict_proba(X))
        assert np.array_equal(other.score_samples(X), fits[0].score_samples(X))


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_float32_follows_float64(covariance_type):
    X, weights, means, cov = mixture(70, 20, covariance_type, seed=7)
    _, lp64 = emclust.e_step(X, weights, means, cov, covariance_type)
    resp32, lp32 = emclust.e_step(
        X.astype(np.float32), weights, means, cov, covariance_type
    )
    ref_resp, _ = reference.e_step(X, weights, means, cov, covariance_type)
    assert lp32.dtype == np.float32
    # log p is ~ -100 here: float32 rounding of the whitened values, summed
    # over 70 features, leaves a few units in its sixth digit.
    np.testing.assert_allclose(lp32, lp64, rtol=2e-5)
    np.testing.assert_allclose(resp32, ref_resp, atol=2e-3)


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_clusters_far_apart_keep_their_scatter(covariance_type):
    # Two groups 2e4 apart, clusters of standard deviation ~5 in each. The
    # start's covariances span both groups, so the model lets the fit take
    # the scatters about the mixture's mean; but its responsibilities
    # already split the groups, and moving such a scatter to a mean 1e4 away
    # would lose 7 digits. Each tile sees the cancellation and takes that
    # component's scatter about its mean instead: one M-step agrees with
    # the reference to rounding (EM's later iterations amplify rounding of
    # the near-zero covariances, on every path alike).
    X = blobs(n=3001, d=40, k=16, seed=11)
    X[::2] += 2e4
    ours = fit(X, 16, covariance_type, max_iter=1)
    init = initial_params(X, 16, covariance_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emclust.ConvergenceWarning)
        theirs = reference.GaussianMixture(
            16, covariance_type=covariance_type, tol=0.0, max_iter=1, **init
        ).fit(X)
    np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=1e-12)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-12)
    scale = np.abs(theirs.covariances_).max()
    np.testing.assert_allclose(
        ours.covariances_, theirs.covariances_, rtol=0, atol=1e-12 * scale
    )
