"""The native M-step of each of the 14 covariance models against the NumPy
oracle (emclust.reference.covariance_models), from the same responsibilities,
and the native parameter counts against the reference's (mclust's
nMclustParams)."""

import numpy as np
import pytest
from emclust import reference
from emclust.models import covariance_models, gaussian

ref = reference.covariance_models


def _data(seed, n=400, d=3):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(3, d))
    A = rng.normal(size=(3, d, d))
    labels = rng.integers(0, 3, n)
    return centres[labels] + np.einsum("nij,nj->ni", A[labels], rng.normal(size=(n, d)))


@pytest.mark.parametrize("model", covariance_models.MODELS)
@pytest.mark.parametrize("seed", [0, 1])
def test_native_m_step_equals_reference(model, seed):
    X = _data(seed)
    resp = np.random.default_rng(seed + 10).dirichlet(np.ones(3), size=len(X))
    weights, means, covs = gaussian.m_step(X, resp, model, reg_covar=0.0)
    # The same statistics the core uses: n_k with its 10-eps, sum r x, sum r x x^T.
    nk = resp.sum(0) + 10 * np.finfo(float).eps
    first = resp.T @ X
    second = np.einsum("nk,ni,nj->kij", resp, X, X)
    r_weights, r_means, r_covs = ref.m_step(model, nk, first, second)
    np.testing.assert_allclose(weights, r_weights, rtol=1e-12)
    np.testing.assert_allclose(means, r_means, rtol=1e-10, atol=1e-12)
    scale = np.abs(r_covs).max()
    np.testing.assert_allclose(
        covs, r_covs, rtol=1e-10, atol=1e-10 * scale, err_msg=model
    )


@pytest.mark.parametrize("model", covariance_models.MODELS)
def test_parameter_counts_agree(model):
    for g in (1, 2, 5):
        for d in (2, 3, 7):
            assert covariance_models.n_parameters(model, g, d) == ref.n_parameters(
                model, g, d
            )
