"""The native missing-value (NaN) pass against the pure-NumPy reference.

The core's functions are called directly (emclust._core): the statistics of
one E-step and the M-step from them, the E-step's responsibilities,
log-likelihoods and imputations, and whole fits from given parameters, all
to 1e-10 in float64 for every covariance type, with random missingness
patterns and rows with a single observed coordinate. Also: the same bits for
any thread count, data without NaN on today's path bit for bit, and the
errors for rows and features with nothing observed.
"""

import numpy as np
import pytest
from emclust import _core
from emclust.reference import bernoulli_missing, gmm_missing, precision_cholesky
from numpy.testing import assert_allclose, assert_array_equal

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
RTOL = 1e-10
EPS64 = 10 * np.finfo(np.float64).eps


def flat(a, covariance_type, d):
    """scikit-learn's covariance shapes -> the core's 2-D layout."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    if covariance_type in ("full", "tied"):
        return a.reshape(-1, d * d)
    if covariance_type == "diag":
        return a
    return a.reshape(-1, 1)


def unflat(a, covariance_type, k, d):
    return {
        "full": lambda: a.reshape(k, d, d),
        "tied": lambda: a.reshape(d, d),
        "diag": lambda: a,
        "spherical": lambda: a.reshape(k),
    }[covariance_type]()


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


def incomplete_data(n, d, rng, fraction=0.25, k=3):
    """Rows from a random full-covariance mixture, a fraction of entries NaN,
    the first rows with a single observed coordinate each."""
    weights, means, covariances = random_params("full", k, d, rng)
    z = rng.choice(k, size=n, p=weights)
    L = np.linalg.cholesky(covariances)
    X = means[z] + np.einsum("nij,nj->ni", L[z], rng.normal(size=(n, d)))
    holes = rng.random((n, d)) < fraction
    holes[np.arange(n), rng.integers(0, d, size=n)] = False
    for i in range(min(n, 2 * d) if fraction > 0 else 0):
        holes[i] = True
        holes[i, i % d] = False
    X[holes] = np.nan
    return X


def native_iteration(X, params, covariance_type, reg_covar, w=None, n_threads=1):
    weights, means, covariances = params
    k, d = means.shape
    chol = flat(precision_cholesky(covariances, covariance_type), covariance_type, d)
    st = _core.gmm_missing_statistics(
        X, w, weights, means, chol, covariance_type, n_threads
    )
    out = _core.gmm_m_step_from_statistics(
        covariance_type,
        np.ascontiguousarray(means),
        st["resp_sum"],
        st["first"],
        st["second"],
        st["log_likelihood"],
        st["weight_sum"],
        reg_covar,
        EPS64,
        False,
    )
    bound = st["log_likelihood"] / st["weight_sum"]
    cov = unflat(out["covariances"], covariance_type, k, d)
    return out["weights"], out["means"], cov, bound, st


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("d", [1, 3, 6, 13])
def test_one_iteration_equals_reference(covariance_type, d):
    rng = np.random.default_rng(10 + d)
    k = 3
    X = incomplete_data(400, d, rng, fraction=0.3 if d > 1 else 0.0)
    params = random_params(covariance_type, k, d, rng)
    w = rng.uniform(0.2, 2.0, size=X.shape[0])
    got = native_iteration(X, params, covariance_type, 1e-6, w)
    want = gmm_missing.m_step(X, *params, covariance_type, 1e-6, w)
    for a, b in zip(got[:4], want):
        assert_allclose(a, b, rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_e_step_outputs_equal_reference(covariance_type):
    rng = np.random.default_rng(20)
    k, d = 3, 5
    X = incomplete_data(300, d, rng)
    weights, means, covariances = random_params(covariance_type, k, d, rng)
    chol = flat(precision_cholesky(covariances, covariance_type), covariance_type, d)
    resp, log_prob, filled = _core.gmm_missing_e_step(
        X, weights, means, chol, covariance_type, True, True, False, True, 1
    )
    log_resp, _, _ = _core.gmm_missing_e_step(
        X, weights, means, chol, covariance_type, True, False, True, False, 2
    )
    want_resp, want_log_prob = gmm_missing.e_step(
        X, weights, means, covariances, covariance_type
    )
    assert_allclose(log_prob, want_log_prob, rtol=RTOL)
    assert_allclose(resp, want_resp, rtol=RTOL, atol=1e-14)
    assert_allclose(np.exp(log_resp), want_resp, rtol=1e-9, atol=1e-14)
    want_filled = gmm_missing.impute(X, weights, means, covariances, covariance_type)
    assert_allclose(filled, want_filled, rtol=RTOL, atol=1e-12)
    observed = ~np.isnan(X)
    assert_array_equal(filled[observed], X[observed])


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_from_given_parameters_equals_reference(covariance_type):
    rng = np.random.default_rng(30)
    k, d = 3, 4
    X = incomplete_data(500, d, rng)
    weights, means, covariances = random_params(covariance_type, k, d, rng)
    precisions = {
        "full": lambda: np.linalg.inv(covariances),
        "tied": lambda: np.linalg.inv(covariances),
        "diag": lambda: 1 / covariances,
        "spherical": lambda: 1 / covariances,
    }[covariance_type]()
    out = _core.gmm_missing_fit(
        X,
        None,
        k,
        covariance_type,
        0.0,
        1e-6,
        15,
        1,
        "kmeans",
        weights,
        means,
        flat(precisions, covariance_type, d),
        None,
        -np.inf,
        0,
        1,
        None,
    )
    w_ref, m_ref, c_ref, bounds, _ = gmm_missing.fit_em(
        X,
        weights,
        means,
        covariances,
        covariance_type,
        reg_covar=1e-6,
        max_iter=15,
        tol=0.0,
    )
    assert out["n_iter"] == 15
    assert_allclose(out["lower_bounds"], bounds, rtol=RTOL)
    assert_allclose(out["weights"], w_ref, rtol=RTOL)
    assert_allclose(out["means"], m_ref, rtol=RTOL, atol=1e-12)
    cov = unflat(out["covariances"], covariance_type, k, d)
    assert_allclose(cov, c_ref, rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_bits_for_any_thread_count(covariance_type, dtype):
    rng = np.random.default_rng(40)
    k, d = 4, 6
    X = incomplete_data(20000, d, rng, fraction=0.15).astype(dtype)
    params = random_params(covariance_type, k, d, rng)
    w = rng.uniform(0.5, 1.5, size=X.shape[0])
    runs = [
        native_iteration(X, params, covariance_type, 1e-6, w, t)[4] for t in (1, 2, 3)
    ]
    for other in runs[1:]:
        for key in ("resp_sum", "first", "second"):
            assert_array_equal(other[key], runs[0][key])
        assert other["log_likelihood"] == runs[0]["log_likelihood"]
    fits = [
        _core.gmm_missing_fit(
            X,
            None,
            k,
            covariance_type,
            1e-3,
            1e-6,
            20,
            1,
            "kmeans",
            None,
            None,
            None,
            None,
            -np.inf,
            7,
            t,
            None,
        )
        for t in (1, 3)
    ]
    for key in ("weights", "means", "covariances", "lower_bounds"):
        assert_array_equal(fits[0][key], fits[1][key])


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_float32_close_to_float64(covariance_type):
    rng = np.random.default_rng(50)
    X = incomplete_data(3000, 5, rng)
    params = random_params(covariance_type, 3, 5, rng)
    a = native_iteration(X, params, covariance_type, 1e-6)
    b = native_iteration(X.astype(np.float32), params, covariance_type, 1e-6)
    for x, y in zip(a[:4], b[:4]):
        assert_allclose(y, x, rtol=2e-4, atol=1e-4)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_without_nan_the_fit_is_todays_bit_for_bit(covariance_type):
    rng = np.random.default_rng(60)
    X = incomplete_data(2000, 4, rng, fraction=0.0)
    assert not np.isnan(X).any()
    args = (
        X,
        None,
        3,
        covariance_type,
        1e-3,
        1e-6,
        30,
        2,
        "kmeans",
        None,
        None,
        None,
        None,
        -np.inf,
        3,
        2,
        None,
    )
    a, b = _core.gmm_fit(*args), _core.gmm_missing_fit(*args)
    for key in (
        "weights",
        "means",
        "covariances",
        "precisions_cholesky",
        "lower_bounds",
    ):
        assert_array_equal(a[key], b[key])


def test_bad_missing_patterns_are_clear_errors():
    X = np.array([[1.0, np.nan, 2.0], [0.5, np.nan, 1.0], [2.0, np.nan, 0.0]])
    args = (
        None,
        1,
        "full",
        1e-3,
        1e-6,
        5,
        1,
        "kmeans",
        None,
        None,
        None,
        None,
        -np.inf,
        0,
        1,
        None,
    )
    with pytest.raises(ValueError, match="feature 1 of X is missing in every row"):
        _core.gmm_missing_fit(X, *args)
    X = np.array([[1.0, 2.0], [np.nan, np.nan], [2.0, 0.5]])
    with pytest.raises(ValueError, match="row 1 of X has every entry missing"):
        _core.gmm_missing_fit(X, *args)
    X = np.array([[1.0, np.inf], [np.nan, 1.0], [2.0, 0.5]])
    with pytest.raises(ValueError, match="infinity at row 0, feature 1"):
        _core.gmm_missing_fit(X, *args)
    Xb = np.array([[1.0, np.nan], [0.0, np.nan]])
    with pytest.raises(ValueError, match="feature 1 of X is missing in every row"):
        _core.bernoulli_missing_fit(
            Xb, None, 1, 1e-3, 1e-3, 5, 1, "random", None, None, 0, 1, None
        )


# --- Bernoulli ---------------------------------------------------------------


def bernoulli_data(rng, n=600, d=7, k=3, fraction=0.3):
    theta = rng.uniform(0.1, 0.9, size=(k, d))
    z = rng.integers(0, k, size=n)
    X = (rng.random((n, d)) < theta[z]).astype(np.float64)
    holes = rng.random((n, d)) < fraction
    holes[np.arange(n), rng.integers(0, d, size=n)] = False
    X[holes] = np.nan
    return X


def test_bernoulli_iteration_and_e_step_equal_reference():
    rng = np.random.default_rng(70)
    X = bernoulli_data(rng)
    weights = np.array([0.2, 0.3, 0.5])
    theta = rng.uniform(0.2, 0.8, size=(3, X.shape[1]))
    w = rng.uniform(0.5, 2.0, size=X.shape[0])
    st = _core.bernoulli_missing_statistics(X, w, weights, theta, 2)
    got = _core.bernoulli_missing_m_step_from_statistics(
        st["resp_sum"], st["x_sum"], st["observed_sum"], 1e-3, EPS64
    )
    resp, log_prob = bernoulli_missing.e_step(X, weights, theta)
    want = bernoulli_missing.m_step(X, resp, 1e-3, w)
    assert_allclose(got["weights"], want[0], rtol=RTOL)
    assert_allclose(got["probabilities"], want[1], rtol=RTOL)
    assert_allclose(st["log_likelihood"], w @ log_prob, rtol=RTOL)
    r, lp, filled = _core.bernoulli_missing_e_step(
        X, weights, theta, True, True, False, True, 1
    )
    assert_allclose(r, resp, rtol=RTOL, atol=1e-15)
    assert_allclose(lp, log_prob, rtol=RTOL)
    assert_allclose(filled, bernoulli_missing.impute(X, weights, theta), rtol=RTOL)


def test_bernoulli_fit_equals_reference_and_threads_agree():
    rng = np.random.default_rng(80)
    X = bernoulli_data(rng, n=5000)
    weights = np.array([0.3, 0.3, 0.4])
    theta = rng.uniform(0.2, 0.8, size=(3, X.shape[1]))
    fits = [
        _core.bernoulli_missing_fit(
            X, None, 3, 0.0, 1e-3, 12, 1, "random", weights, theta, 0, t, None
        )
        for t in (1, 2, 3)
    ]
    w_ref, t_ref, bounds, _ = bernoulli_missing.fit_em(
        X, weights, theta, alpha=1e-3, max_iter=12, tol=0.0
    )
    assert_allclose(fits[0]["lower_bounds"], bounds, rtol=RTOL)
    assert_allclose(fits[0]["weights"], w_ref, rtol=RTOL)
    assert_allclose(fits[0]["probabilities"], t_ref, rtol=RTOL)
    for other in fits[1:]:
        assert_array_equal(other["probabilities"], fits[0]["probabilities"])
        assert_array_equal(other["lower_bounds"], fits[0]["lower_bounds"])


def test_bernoulli_without_nan_is_todays_fit():
    rng = np.random.default_rng(90)
    X = bernoulli_data(rng, fraction=0.0)
    args = (X, None, 3, 1e-3, 1e-3, 30, 2, "k-means++", None, None, 5, 2, None)
    a, b = _core.bernoulli_fit(*args), _core.bernoulli_missing_fit(*args)
    for key in ("weights", "probabilities", "lower_bounds"):
        assert_array_equal(a[key], b[key])
