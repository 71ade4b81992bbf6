"""GaussianMixture and BernoulliMixture on data with missing (NaN) entries,
through the public API: fits equal the pure-NumPy reference from the same
initial parameters, inference marginalises, impute fills in conditional
means, the statistics API of chunks adds up to the same iteration, data
without NaN is fitted as before, and bad input is named."""

import emclust
import numpy as np
import pytest
from emclust.models.gaussian import gmm_statistics
from emclust.reference import bernoulli_missing, gmm_missing
from numpy.testing import assert_allclose, assert_array_equal

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
RTOL = 1e-10


def incomplete(n, d, rng, fraction=0.25):
    means = rng.normal(scale=3.0, size=(3, d))
    X = means[rng.integers(0, 3, n)] + rng.normal(size=(n, d)) @ (
        np.eye(d) + 0.3 * rng.normal(size=(d, d))
    )
    holes = rng.random((n, d)) < fraction
    holes[np.arange(n), rng.integers(0, d, n)] = False
    holes[0] = True
    holes[0, 0] = False  # a row with a single observed entry
    X[holes] = np.nan
    return X


def given(covariance_type, k, d, rng):
    weights = rng.dirichlet(np.full(k, 4.0))
    means = rng.normal(scale=2.0, size=(k, d))
    a = rng.normal(size=(k, d, d))
    cov = a @ np.swapaxes(a, 1, 2) / d + np.eye(d)
    covariances = {
        "full": cov,
        "tied": cov[0],
        "diag": np.diagonal(cov, axis1=1, axis2=2).copy(),
        "spherical": np.diagonal(cov, axis1=1, axis2=2).mean(axis=1),
    }[covariance_type]
    inverse = (
        np.linalg.inv(covariances)
        if covariance_type in ("full", "tied")
        else 1.0 / covariances
    )
    return weights, means, covariances, inverse


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_and_inference_equal_reference(covariance_type):
    rng = np.random.default_rng(1)
    X = incomplete(400, 4, rng)
    weights, means, covariances, precisions = given(covariance_type, 3, 4, rng)
    gm = emclust.GaussianMixture(
        3,
        covariance_type=covariance_type,
        weights_init=weights,
        means_init=means,
        precisions_init=precisions,
        max_iter=12,
        tol=0.0,
    )
    with pytest.warns(emclust.ConvergenceWarning):
        gm.fit(X)
    w, m, c, bounds, _ = gmm_missing.fit_em(
        X, weights, means, covariances, covariance_type, max_iter=12, tol=0.0
    )
    assert_allclose(gm.lower_bounds_, bounds, rtol=RTOL)
    assert_allclose(gm.weights_, w, rtol=RTOL)
    assert_allclose(gm.means_, m, rtol=RTOL, atol=1e-12)
    assert_allclose(gm.covariances_, c, rtol=RTOL, atol=1e-12)

    resp, log_prob = gmm_missing.e_step(X, w, m, c, covariance_type)
    assert_allclose(gm.score_samples(X), log_prob, rtol=RTOL)
    assert_allclose(gm.predict_proba(X), resp, rtol=1e-9, atol=1e-12)
    assert_array_equal(gm.predict(X), resp.argmax(axis=1))
    assert_allclose(gm.score(X), log_prob.mean(), rtol=RTOL)
    n_params = gm._n_parameters()
    assert_allclose(gm.bic(X), -2 * log_prob.sum() + n_params * np.log(400), rtol=RTOL)
    assert_allclose(gm.aic(X), -2 * log_prob.sum() + 2 * n_params, rtol=RTOL)
    filled = gm.impute(X)
    assert_allclose(filled, gmm_missing.impute(X, w, m, c, covariance_type), rtol=RTOL)
    assert not np.isnan(filled).any()


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_without_nan_the_fit_is_unchanged(covariance_type):
    rng = np.random.default_rng(2)
    X = incomplete(500, 3, rng, fraction=0.0)
    X[0, 1:] = rng.normal(size=2)
    assert not np.isnan(X).any()
    a = emclust.GaussianMixture(
        3, covariance_type=covariance_type, n_init=2, random_state=0
    ).fit(X)
    b = emclust.GaussianMixture(
        3,
        covariance_type=covariance_type,
        n_init=2,
        random_state=0,
        missing_values=None,
    ).fit(X)
    for name in ("weights_", "means_", "covariances_", "lower_bounds_"):
        assert_array_equal(getattr(a, name), getattr(b, name))
    assert_array_equal(a.impute(X), X)


def test_float32_fit_with_missing_values():
    rng = np.random.default_rng(3)
    X = incomplete(2000, 4, rng)
    a = emclust.GaussianMixture(3, random_state=0).fit(X)
    b = emclust.GaussianMixture(3, random_state=0).fit(X.astype(np.float32))
    assert b.means_.dtype == np.float32
    assert_allclose(b.means_, a.means_, rtol=1e-3, atol=1e-3)


def test_statistics_of_chunks_add_up_to_one_iteration():
    """The public statistics API on NaN chunks: what a Dask fit adds up."""
    rng = np.random.default_rng(4)
    X = incomplete(600, 4, rng)
    weights, means, covariances, _ = given("full", 3, 4, rng)
    chol = emclust.reference.precision_cholesky(covariances, "full")
    stats = sum(
        gmm_statistics(part, weights, means, chol, "full")
        for part in np.array_split(X, 3)
    )
    w, m, c, _ = stats.m_step(reg_covar=1e-6)
    w_ref, m_ref, c_ref, bound = gmm_missing.m_step(
        X, weights, means, covariances, "full", 1e-6
    )
    assert_allclose(stats.lower_bound, bound, rtol=RTOL)
    assert_allclose(w, w_ref, rtol=RTOL)
    assert_allclose(m, m_ref, rtol=RTOL, atol=1e-12)
    assert_allclose(c, c_ref, rtol=RTOL, atol=1e-12)


@pytest.mark.dask
def test_dask_fit_of_incomplete_data_equals_in_memory():
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(5)
    X = incomplete(1200, 3, rng)
    weights, means, _, precisions = given("full", 3, 3, rng)
    kw = {
        "weights_init": weights,
        "means_init": means,
        "precisions_init": precisions,
        "max_iter": 8,
        "tol": 0.0,
    }
    with pytest.warns(emclust.ConvergenceWarning):
        a = emclust.GaussianMixture(3, **kw).fit(X)
    with pytest.warns(emclust.ConvergenceWarning):
        b = emclust.GaussianMixture(3, **kw).fit(da.from_array(X, chunks=(300, 3)))
    assert_allclose(b.means_, a.means_, rtol=1e-9)
    assert_allclose(b.covariances_, a.covariances_, rtol=1e-9)
    assert_allclose(b.lower_bounds_, a.lower_bounds_, rtol=1e-9)


def test_bad_input_is_named():
    X = np.array([[1.0, np.nan, 2.0], [0.5, np.nan, 1.0], [2.0, np.nan, 0.0]])
    with pytest.raises(ValueError, match="feature 1 of X is missing in every row"):
        emclust.GaussianMixture(1).fit(X)
    X = np.array([[1.0, 2.0], [np.nan, np.nan], [2.0, 0.5], [1.5, 0.3]])
    with pytest.raises(ValueError, match="row 1 of X has every entry missing"):
        emclust.GaussianMixture(1).fit(X)
    with pytest.raises(ValueError, match="NaN"):
        emclust.GaussianMixture(1, missing_values=None).fit(X)
    with pytest.raises(ValueError, match=r"missing_values must be np\.nan"):
        emclust.GaussianMixture(1, missing_values=-1).fit(X)
    X = np.array([[1.0, np.inf], [np.nan, 1.0], [2.0, 0.5]])
    with pytest.raises(ValueError, match="infinity"):
        emclust.GaussianMixture(1).fit(X)
    fitted = emclust.GaussianMixture(1).fit(np.array([[1.0, 2.0], [2.0, 1.0], [0, 0]]))
    with pytest.raises(ValueError, match="row 0 of X has every entry missing"):
        fitted.predict(np.array([[np.nan, np.nan]]))


def test_bernoulli_fit_and_impute_equal_reference():
    rng = np.random.default_rng(6)
    theta = rng.uniform(0.1, 0.9, (3, 6))
    X = (rng.random((800, 6)) < theta[rng.integers(0, 3, 800)]).astype(float)
    X[rng.random(X.shape) < 0.3] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 1.0
    weights = np.array([0.3, 0.3, 0.4])
    start = rng.uniform(0.3, 0.7, (3, 6))
    bm = emclust.BernoulliMixture(
        3, weights_init=weights, probabilities_init=start, max_iter=10, tol=0.0
    )
    with pytest.warns(emclust.ConvergenceWarning):
        bm.fit(X)
    w, t, bounds, _ = bernoulli_missing.fit_em(X, weights, start, max_iter=10, tol=0.0)
    assert_allclose(bm.lower_bounds_, bounds, rtol=RTOL)
    assert_allclose(bm.probabilities_, t, rtol=RTOL)
    assert_allclose(
        bm.score_samples(X), bernoulli_missing.e_step(X, w, t)[1], rtol=RTOL
    )
    assert_allclose(bm.impute(X), bernoulli_missing.impute(X, w, t), rtol=RTOL)
    with pytest.raises(ValueError, match="binary"):
        emclust.BernoulliMixture(2, missing_values=None).fit(X)
