"""The native core against the pure-NumPy reference on random data."""

import warnings

import emclust
import numpy as np
import pytest
from _gmm_data import COVARIANCE_TYPES, blobs, initial_params
from emclust import reference

DTYPES = [
    pytest.param(np.float64, 1e-10, id="float64"),
    # float32 data is processed in float32 (float64 sums): agreement is at
    # the level of float32 rounding amplified over a few EM iterations.
    pytest.param(np.float32, 2e-4, id="float32"),
]


@pytest.mark.parametrize(("dtype", "rtol"), DTYPES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_steps_match_reference(covariance_type, dtype, rtol):
    X = blobs(n=700, d=4, seed=40)
    rng = np.random.default_rng(1)
    resp = rng.dirichlet(np.ones(3), size=len(X))
    w = rng.uniform(0.2, 3.0, len(X))
    ours = emclust.m_step(
        X.astype(dtype), resp.astype(dtype), covariance_type, 1e-6, sample_weight=w
    )
    theirs = reference.m_step(X, resp, covariance_type, 1e-6, sample_weight=w)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-2)
    weights, means, cov = theirs
    r1, lp1 = emclust.e_step(X.astype(dtype), weights, means, cov, covariance_type)
    r2, lp2 = reference.e_step(X, weights, means, cov, covariance_type)
    np.testing.assert_allclose(lp1, lp2, rtol=rtol)
    np.testing.assert_allclose(r1, r2, rtol=rtol, atol=rtol * 1e-2)


@pytest.mark.parametrize(("dtype", "rtol"), DTYPES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_matches_reference(covariance_type, dtype, rtol):
    X = blobs(n=900, d=3, seed=41)
    init = initial_params(X, 3, covariance_type)
    kw = dict(covariance_type=covariance_type, tol=0.0, max_iter=8, **init)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emclust.ConvergenceWarning)
        ours = emclust.GaussianMixture(3, **kw).fit(X.astype(dtype))
        theirs = reference.GaussianMixture(3, **kw).fit(X)
    np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=rtol)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        np.testing.assert_allclose(
            getattr(ours, name),
            getattr(theirs, name),
            rtol=rtol,
            atol=rtol * 1e-2,
            err_msg=name,
        )
