"""The pure-NumPy missing-value EM (reference.gmm_missing, bernoulli_missing).

Checked against what it must equal: the observed-data log-likelihood summed
by hand with scipy.stats on each row's observed coordinates, the complete-data
reference when nothing is missing, and EM's monotone increase of the
observed-data log-likelihood (reg_covar = 0, so each step is an exact EM step).
"""

import numpy as np
import pytest
from emclust.reference import bernoulli, gmm_missing
from emclust.reference import gmm as gmm_reference
from numpy.testing import assert_allclose
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def random_params(covariance_type, k, d, rng):
    weights = rng.dirichlet(np.full(k, 3.0))
    means = rng.normal(scale=2.0, size=(k, d))

    def spd():
        a = rng.normal(size=(d, d))
        return a @ a.T / d + 0.5 * np.eye(d)

    covariances = {
        "full": lambda: np.array([spd() for _ in range(k)]),
        "tied": spd,
        "diag": lambda: rng.uniform(0.5, 2.0, size=(k, d)),
        "spherical": lambda: rng.uniform(0.5, 2.0, size=k),
    }[covariance_type]()
    return weights, means, covariances


def with_holes(X, fraction, rng, single_observed_rows=3):
    """X with a fraction of its entries set to NaN at random (every row keeps
    one entry), and a few rows with a single observed coordinate."""
    X = X.copy()
    n, d = X.shape
    holes = rng.random((n, d)) < fraction
    holes[np.arange(n), rng.integers(0, d, size=n)] = False
    for i in range(single_observed_rows):
        holes[i] = True
        holes[i, i % d] = False
    X[holes] = np.nan
    return X


def mixture_data(k, d, n, rng):
    weights, means, covariances = random_params("full", k, d, rng)
    z = rng.choice(k, size=n, p=weights)
    return np.array([rng.multivariate_normal(means[c], covariances[c]) for c in z])


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_likelihood_equals_scipy_on_observed_coordinates(covariance_type):
    rng = np.random.default_rng(1)
    k, d = 3, 4
    X = with_holes(rng.normal(size=(40, d)) * 2, 0.3, rng)
    weights, means, covariances = random_params(covariance_type, k, d, rng)
    full = gmm_missing.full_covariances(covariances, covariance_type, k, d)
    expected = []
    for x in X:
        o = ~np.isnan(x)
        terms = [
            np.log(weights[c])
            + multivariate_normal(means[c, o], full[c][np.ix_(o, o)]).logpdf(x[o])
            for c in range(k)
        ]
        expected.append(logsumexp(terms))
    _, log_prob = gmm_missing.e_step(X, weights, means, covariances, covariance_type)
    assert_allclose(log_prob, expected, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_without_nan_equals_complete_data_reference(covariance_type):
    rng = np.random.default_rng(2)
    k, d = 3, 3
    X = mixture_data(k, d, 200, rng)
    weights, means, covariances = random_params(covariance_type, k, d, rng)
    resp, log_prob = gmm_reference.e_step(
        X, weights, means, covariances, covariance_type
    )
    w, m, c, bound = gmm_missing.m_step(
        X, weights, means, covariances, covariance_type, 1e-6
    )
    w_ref, m_ref, c_ref = gmm_reference.m_step(X, resp, covariance_type, 1e-6)
    assert_allclose(bound, log_prob.mean(), rtol=1e-12)
    assert_allclose(w, w_ref, rtol=1e-12)
    assert_allclose(m, m_ref, rtol=1e-12, atol=1e-13)
    assert_allclose(c, c_ref, rtol=1e-12)
    assert_allclose(
        gmm_missing.e_step(X, weights, means, covariances, covariance_type)[0],
        resp,
        rtol=1e-12,
        atol=1e-300,
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_likelihood_never_decreases(covariance_type):
    rng = np.random.default_rng(3)
    k, d = 3, 4
    X = with_holes(mixture_data(k, d, 300, rng), 0.25, rng)
    weights, means, covariances = random_params(covariance_type, k, d, rng)
    *_, bounds, _ = gmm_missing.fit_em(
        X,
        weights,
        means,
        covariances,
        covariance_type,
        reg_covar=0.0,
        max_iter=40,
        tol=0.0,
    )
    steps = np.diff(bounds)
    assert len(bounds) == 40
    assert (steps >= -1e-10 * np.abs(bounds[1:])).all(), steps.min()
    assert bounds[-1] > bounds[0]


def test_m_step_means_by_hand_single_component():
    """One component: the mean of a half-missing coordinate is the mean of its
    observed values plus the regression of the missing ones on the other
    coordinate, μ_m + Σ_mo/Σ_oo (x_o - μ_o), averaged with the observed ones."""
    X = np.array([[1.0, 2.0], [3.0, np.nan], [-1.0, 0.0], [0.5, np.nan]])
    mean = np.array([[0.2, 0.3]])
    cov = np.array([[[2.0, 0.6], [0.6, 1.0]]])
    _, new_mean, new_cov, _ = gmm_missing.m_step(X, np.ones(1), mean, cov, "full")
    slope = 0.6 / 2.0
    filled = [2.0, 0.3 + slope * (3.0 - 0.2), 0.0, 0.3 + slope * (0.5 - 0.2)]
    assert_allclose(new_mean[0], [X[:, 0].mean(), np.mean(filled)], rtol=1e-12)
    cond_var = 1.0 - 0.6**2 / 2.0
    dev = np.array(filled) - np.mean(filled)
    assert_allclose(new_cov[0, 1, 1], (dev @ dev + 2 * cond_var) / 4, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_impute_fills_only_holes_with_conditional_means(covariance_type):
    rng = np.random.default_rng(4)
    k, d = 2, 3
    X = with_holes(rng.normal(size=(30, d)), 0.3, rng)
    params = random_params(covariance_type, k, d, rng)
    filled = gmm_missing.impute(X, *params, covariance_type)
    observed = ~np.isnan(X)
    assert np.isfinite(filled).all()
    assert_allclose(filled[observed], X[observed], rtol=0, atol=0)
    # Under a diagonal covariance the conditional mean of a missing entry is
    # the responsibility-weighted component mean.
    if covariance_type in ("diag", "spherical"):
        resp, _ = gmm_missing.e_step(X, *params, covariance_type)
        expected = resp @ params[1]
        assert_allclose(filled[~observed], expected[~observed], rtol=1e-12)


def test_bad_missing_patterns():
    with pytest.raises(ValueError, match="row 1 of X has every entry missing"):
        gmm_missing.missing_patterns(np.array([[1.0, 2.0], [np.nan, np.nan]]))
    with pytest.raises(ValueError, match="feature 1 of X is missing in every row"):
        gmm_missing.missing_patterns(np.array([[1.0, np.nan], [2.0, np.nan]]))
    with pytest.raises(ValueError, match="infinity"):
        gmm_missing.missing_patterns(np.array([[1.0, np.inf], [2.0, 1.0]]))


# --- Bernoulli ---------------------------------------------------------------


def bernoulli_data(rng, n=200, d=6, k=3):
    theta = rng.uniform(0.1, 0.9, size=(k, d))
    z = rng.integers(0, k, size=n)
    return (rng.random((n, d)) < theta[z]).astype(np.float64), theta


def test_bernoulli_without_nan_equals_complete_reference():
    rng = np.random.default_rng(5)
    X, theta = bernoulli_data(rng)
    weights = np.full(3, 1 / 3)
    got = bernoulli_missing_fit(X, weights, theta)
    want = bernoulli.fit_em(X, weights, theta, max_iter=20, tol=0.0)
    for a, b in zip(got, want):
        assert_allclose(a, b, rtol=1e-12)


def bernoulli_missing_fit(X, weights, theta):
    from emclust.reference import bernoulli_missing

    return bernoulli_missing.fit_em(X, weights, theta, max_iter=20, tol=0.0)


def test_bernoulli_missing_entries_drop_out():
    rng = np.random.default_rng(6)
    X, theta = bernoulli_data(rng, n=50, d=4, k=2)
    X[rng.random(X.shape) < 0.3] = np.nan
    X[0] = [np.nan, 1.0, np.nan, np.nan]
    weights = np.array([0.4, 0.6])
    from emclust.reference import bernoulli_missing

    _, log_prob = bernoulli_missing.e_step(X, weights, theta)
    # Row 0 by hand: only feature 1 is observed.
    assert_allclose(log_prob[0], np.log(weights @ theta[:, 1]), rtol=1e-13)
    # The observed-data log-likelihood never decreases.
    *_, bounds, _ = bernoulli_missing.fit_em(
        X, weights, theta, alpha=0.0, max_iter=30, tol=0.0
    )
    assert (np.diff(bounds) >= -1e-12).all()
    filled = bernoulli_missing.impute(X, weights, theta)
    assert ((filled >= 0) & (filled <= 1)).all()
    assert_allclose(filled[~np.isnan(X)], X[~np.isnan(X)], atol=0)
