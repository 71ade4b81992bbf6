"""EVE and VVE's common orientation: the Newton derivatives of the reference,
the warm start from the previous EM iteration (never worse than its start,
so EM cannot fall), and the warm-started EM of the core against the
reference's, iteration by iteration."""

import warnings

import numpy as np
import pytest
from emclust import GaussianMixture
from emclust.models import masked
from emclust.models.gaussian import precision_cholesky
from emclust.reference import covariance_models as cm
from emclust.reference import masked as ref


def _scatter(seed, k=3, d=4):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(k, d, d))
    return np.einsum("kij,klj->kil", a, a) + 0.1 * np.eye(d), rng.uniform(5, 50, k)


def _objective(nk, scatter, covs):
    # -2 x the M-step's expected complete log-likelihood, up to a constant.
    inv = np.linalg.inv(covs)
    return float(
        np.sum(np.einsum("kij,kji->k", scatter, inv) + nk * np.linalg.slogdet(covs)[1])
    )


@pytest.mark.parametrize("d", [2, 3, 5])
@pytest.mark.parametrize("equal_volume", [False, True], ids=["VVE", "EVE"])
def test_newton_gradient_and_hessian_match_finite_differences(d, equal_volume):
    scatter, nk = _scatter(d, d=d)
    rng = np.random.default_rng(10 + d)
    start = np.linalg.qr(rng.normal(size=(d, d)))[0]
    pairs = cm._pairs(d)
    m = d * (d - 1) // 2

    def phi(theta):
        dm = start @ cm._cayley(theta, pairs, d)
        b = np.einsum("ji,kjl,li->ki", dm, scatter, dm)
        return cm._profile(b, nk, equal_volume)

    h = 1e-4
    steps = np.eye(m) * h
    grad = np.array([(phi(e) - phi(-e)) / (2 * h) for e in steps])
    hess = np.array(
        [
            [
                (phi(e + f) - phi(e - f) - phi(f - e) + phi(-e - f)) / (4 * h * h)
                for f in steps
            ]
            for e in steps
        ]
    )
    rotated = np.einsum("ji,kjl,lm->kim", start, scatter, start)
    b = np.einsum("kjj->kj", rotated)
    if equal_volume:
        g = np.exp(np.mean(np.log(b), axis=1))
        w = g[:, None] / (d * b)
    else:
        w = nk[:, None] / b
    db, d2 = cm._derivatives(rotated, w, pairs)
    got_grad = np.einsum("kj,kja->a", w, db)
    got_hess = d2 - np.einsum("kj,kja,kjb->ab", w / b, db, db)
    if equal_volume:
        u = np.einsum("kja,kj->ka", db, 1.0 / (d * b))
        got_hess = got_hess + np.einsum("k,ka,kb->ab", g, u, u)
    np.testing.assert_allclose(
        got_grad, grad, rtol=1e-6, atol=1e-6 * np.abs(grad).max()
    )
    np.testing.assert_allclose(
        got_hess, hess, rtol=1e-5, atol=1e-5 * np.abs(hess).max()
    )


@pytest.mark.parametrize("model", ["EVE", "VVE"])
@pytest.mark.parametrize("seed", range(4))
def test_warm_started_m_step_is_no_worse_than_its_start(model, seed):
    # What makes EM monotone: from the previous D (with its closed-form
    # volumes and shapes) the M-step only goes down.
    scatter, nk = _scatter(seed)
    d = scatter.shape[1]
    start = np.linalg.qr(np.random.default_rng(seed + 20).normal(size=(d, d)))[0]
    b = np.einsum("ji,kjl,li->ki", start, scatter, start)
    shapes, gmean = cm._normalise_det(b)
    lam = np.full(len(nk), gmean.sum() / nk.sum()) if model == "EVE" else gmean / nk
    at_start = _objective(
        nk, scatter, cm._from_parts(lam, shapes, np.stack([start] * 3))
    )
    covs = cm.covariances(model, nk, scatter, start)
    assert _objective(nk, scatter, covs) <= at_start + 1e-12 * abs(at_start)
    # and the result has one orientation, which common_basis recovers
    basis = cm.common_basis(covs)
    rotated = np.einsum("ji,kjl,lm->kim", basis, covs, basis)
    off = rotated - np.einsum("kii,ij->kij", rotated, np.eye(d))
    assert np.abs(off).max() <= 1e-10 * np.abs(covs).max()


def _bench_like_data(n, d, seed=0):
    # bench/compare_mclust.py's data: elongated, overlapping clusters.
    rng = np.random.default_rng(seed)
    sizes = rng.multinomial(n, [0.4, 0.3, 0.2, 0.1])
    parts = []
    for k, m in enumerate(sizes):
        a = rng.normal(size=(d, d)) * (0.4 + 0.3 * k)
        parts.append(rng.normal(size=(m, d)) @ a + rng.normal(scale=4.0, size=d))
    return rng.permutation(np.concatenate(parts))


@pytest.mark.parametrize("model", ["VVE", "EVE"])
def test_em_never_falls_where_a_cold_start_did(model):
    # With D restarted from the eigenvectors of W at every M-step, VVE at G=8
    # here fell by 0.27 per row in its first iteration and 100 times after.
    X = _bench_like_data(10_000, 5)
    gm = GaussianMixture(
        covariance_type=model,
        n_components=8,
        init_params="hc",
        tol=1e-5,
        reg_covar=0.0,
        max_iter=300,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm.fit(X)
    lb = np.array(gm.lower_bounds_)
    assert np.all(np.diff(lb) >= -1e-12 * np.abs(lb[1:]))
    assert gm.converged_


@pytest.mark.parametrize("model", ["EVE", "VVE"])
def test_warm_started_em_equals_the_reference(model):
    X = _bench_like_data(600, 3, seed=2)
    resp = np.random.default_rng(3).dirichlet(np.ones(3), size=len(X))
    weights, means, covs, _ = ref.masked_m_step(X, resp, model)
    chol = precision_cholesky(covs, model, X.shape[1])
    got = masked.fit_masked(
        X, None, model, (weights, means, covs, chol), tol=0.0, max_iter=25
    )
    w, m, c, _, bounds = ref.masked_em(
        X, (weights, means, covs), model, tol=0.0, max_iter=25
    )
    np.testing.assert_allclose(got["lower_bounds"], bounds, rtol=1e-10)
    np.testing.assert_allclose(got["weights"], w, rtol=1e-10)
    np.testing.assert_allclose(got["means"], m, rtol=1e-10)
    scale = np.abs(c).max()
    np.testing.assert_allclose(
        got["covariances"].ravel(), np.asarray(c).ravel(), rtol=1e-9, atol=1e-10 * scale
    )
