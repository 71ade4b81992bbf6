"""The native Gaussian mixture against scikit-learn from identical starts."""

import emclust
import numpy as np
import pytest
from _gmm_data import COVARIANCE_TYPES, blobs, initial_params

sklearn_mixture = pytest.importorskip("sklearn.mixture")


def _pair(X, covariance_type, **kw):
    init = initial_params(X, 3, covariance_type)
    args = {
        "covariance_type": covariance_type,
        "tol": 1e-6,
        "max_iter": 60,
        **init,
        **kw,
    }
    ours = emclust.GaussianMixture(3, **args)
    theirs = sklearn_mixture.GaussianMixture(3, **args)
    return ours, theirs


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_matches_sklearn(covariance_type):
    X = blobs()
    ours, theirs = _pair(X, covariance_type)
    ours.fit(X)
    theirs.fit(X)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.converged_ == theirs.converged_
    np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-10)
    assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, rel=1e-10)
    for name in (
        "weights_",
        "means_",
        "covariances_",
        "precisions_",
        "precisions_cholesky_",
    ):
        a, b = getattr(ours, name), getattr(theirs, name)
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10, err_msg=name)
    np.testing.assert_allclose(
        ours.predict_proba(X), theirs.predict_proba(X), atol=1e-9
    )
    np.testing.assert_allclose(
        ours.score_samples(X), theirs.score_samples(X), rtol=1e-10
    )
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.bic(X) == pytest.approx(theirs.bic(X), rel=1e-10)
    assert ours.aic(X) == pytest.approx(theirs.aic(X), rel=1e-10)
    assert ours.score(X) == pytest.approx(theirs.score(X), rel=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_max_iter_one_is_one_em_step(covariance_type):
    X = blobs(n=200, seed=3)
    ours, theirs = _pair(X, covariance_type, max_iter=1)
    with pytest.warns(emclust.ConvergenceWarning):
        ours.fit(X)
    with pytest.warns(Warning):
        theirs.fit(X)
    assert ours.n_iter_ == theirs.n_iter_ == 1
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-12)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, rtol=1e-12)
    assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, rel=1e-13)


def test_precisions_from_sklearn_model_score_identically():
    """A model fitted by scikit-learn, moved over by its parameters, scores the same."""
    X = blobs(n=300, d=4, seed=5)
    theirs = sklearn_mixture.GaussianMixture(4, random_state=0).fit(X)
    ours = emclust.GaussianMixture(
        4,
        weights_init=theirs.weights_,
        means_init=theirs.means_,
        precisions_init=theirs.precisions_,
        max_iter=0,
    ).fit(X)
    np.testing.assert_allclose(
        ours.score_samples(X), theirs.score_samples(X), rtol=1e-10
    )
