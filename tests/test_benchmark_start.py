"""The benchmarks' common start: every implementation they time must begin
from the same parameters, so that each iteration does the same work."""

import warnings

import emclust
import numpy as np
import pytest
from emclust._benchmark import make_data, precisions, start
from sklearn.mixture import GaussianMixture as SkGaussianMixture

TYPES = ["full", "tied", "diag", "spherical"]


@pytest.mark.parametrize("covariance_type", TYPES)
def test_start_is_the_same_fit_for_emclust_and_sklearn(covariance_type):
    X = make_data(600, 3, 4)
    weights, means, cov = start(X, 4, covariance_type)
    kw = dict(
        covariance_type=covariance_type,
        weights_init=weights,
        means_init=means,
        precisions_init=precisions(cov, covariance_type),
        max_iter=3,
        tol=0.0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter is reached on purpose
        ours = emclust.GaussianMixture(4, **kw).fit(X)
        theirs = SkGaussianMixture(4, **kw).fit(X)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-10)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, rtol=1e-10)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_start_precisions_invert_the_covariances(covariance_type):
    X = make_data(100, 3, 2)
    _, _, cov = start(X, 2, covariance_type)
    prec = precisions(cov, covariance_type)
    if covariance_type in ("full", "tied"):
        eye = np.broadcast_to(np.eye(3), np.shape(cov))
        np.testing.assert_allclose(np.matmul(cov, prec), eye, atol=1e-12)
    else:
        np.testing.assert_allclose(cov * prec, 1.0)
