"""Fuzzing the estimators and the public functions (issue 12): data of any
shape, dtype and scale (1e-300 to 1e300), with or without sample weights,
for every estimator and covariance type. Each case ends in one of two ways:

- a fit that is finite and consistent (finite parameters, mixing weights
  summing to 1, labels in range, probabilities summing to 1, finite scores);
- a ValueError or TypeError that names what to change.

Never a crash, a hang (the watchdog ends a case after two minutes), a NaN
parameter or a warning other than a ConvergenceWarning.
"""

from __future__ import annotations

import warnings

import emclust
import numpy as np
import pytest
from _fuzz import assert_clean_refusal, count, fuzz_settings, no_hang
from emclust.estimators.minibatch_kmeans import MiniBatchKMeans
from emclust.exceptions import SingularCovarianceWarning
from hypothesis import given
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

pytestmark = pytest.mark.fuzz

SCALES = st.one_of(
    st.sampled_from([0, 0, 0, -300, -150, -20, 20, 150, 300]),
    st.integers(-300, 300),
)


@st.composite
def data(draw, binary=False):
    """(X, sample_weight): X of 1 to 30 rows and 1 to 4 columns, in a dtype
    and at a scale and offset drawn from wide ranges (some casts overflow to
    infinity, which must be refused)."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(1, 30))
    d = draw(st.integers(1, 4))
    dtype = draw(st.sampled_from(["float64", "float64", "float32", "int64", "bool"]))
    shape_kind = draw(
        st.sampled_from(["normal", "normal", "duplicates", "constant", "heavy"])
    )
    if shape_kind == "duplicates":
        X = np.repeat(rng.normal(size=(max(1, n // 3), d)), 3, axis=0)[:n]
    elif shape_kind == "constant":
        X = np.full((n, d), rng.normal())
    elif shape_kind == "heavy":
        X = rng.standard_cauchy(size=(n, d))
    else:
        X = rng.normal(size=(n, d))
    if binary:
        X = (X > 0).astype(np.float64)
        if draw(st.booleans()):
            X[0, 0] = draw(st.sampled_from([2.0, -1.0, 0.5, np.nan, np.inf]))
    else:
        scale = draw(SCALES)
        offset = draw(SCALES)
        with np.errstate(all="ignore"):
            X = X * 10.0**scale + (10.0**offset if draw(st.booleans()) else 0.0)
            if draw(st.booleans()) and X.size > 1:
                X.flat[draw(st.integers(0, X.size - 1))] = draw(
                    st.sampled_from([np.nan, np.inf, -np.inf, 1e308, -1e308, 5e-324])
                )
    with np.errstate(all="ignore"):
        X = X.astype(dtype)
    sample_weight = draw(
        st.one_of(
            st.none(),
            st.sampled_from([0.0, 1.0, 2.5, 1e300, -1.0, np.nan]),
            st.sampled_from(["uniform", "zeros", "some-zero", "huge", "tiny", "bad"]),
        )
    )
    if isinstance(sample_weight, str):
        w = rng.uniform(0, 3, size=n)
        if sample_weight == "zeros":
            w[:] = 0
        elif sample_weight == "some-zero":
            w[: max(1, n // 2)] = 0
        elif sample_weight == "huge":
            w *= 1e307
        elif sample_weight == "tiny":
            w *= 1e-300
        elif sample_weight == "bad":
            w[0] = draw(st.sampled_from([-1.0, np.nan, np.inf]))
        sample_weight = w
    return X, sample_weight


def _finite(*arrays):
    for a in arrays:
        a = np.asarray(a, dtype=np.float64)
        assert np.isfinite(a).all(), a


def _check_mixture(est, X):
    k = est.n_components
    _finite(est.weights_, est.lower_bound_)
    tol = 1e-5 if est.weights_.dtype == np.float32 else 1e-9
    assert abs(float(np.sum(est.weights_, dtype=np.float64)) - 1.0) <= tol
    assert (est.weights_ >= 0).all()
    labels = est.predict(X)
    assert labels.shape == (X.shape[0],) and labels.min() >= 0 and labels.max() < k
    proba = est.predict_proba(X)
    _finite(proba)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-5)
    _finite(est.score_samples(X))


def _check_centroids(est, X):
    _finite(est.cluster_centers_, est.inertia_)
    assert est.inertia_ >= 0
    labels = est.predict(X)
    assert labels.min() >= 0 and labels.max() < est.cluster_centers_.shape[0]


def _fit_or_refuse(make, X, sample_weight, check, target):
    count(target)
    est = make()
    with no_hang(), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Degenerate fuzz data may fit a singular mixture: a warning by design.
        warnings.simplefilter("ignore", SingularCovarianceWarning)
        try:
            kw = {} if sample_weight is None else {"sample_weight": sample_weight}
            est.fit(X, **kw)
        except (ValueError, TypeError) as exc:
            assert_clean_refusal(exc)
            return None
        check(est, np.asarray(X, dtype=est_dtype(est)))
    return est


def est_dtype(est):
    for name in ("means_", "cluster_centers_", "probabilities_"):
        if hasattr(est, name):
            return getattr(est, name).dtype
    return np.float64


COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


@fuzz_settings(40)
@given(
    data(),
    st.integers(1, 4),
    st.sampled_from(COVARIANCE_TYPES),
    st.sampled_from([0.0, 1e-6, 1e-3]),
    st.sampled_from(["kmeans", "k-means++", "random", "random_from_data"]),
    st.integers(0, 15),
)
def test_gaussian_mixture(xw, k, covariance_type, reg_covar, init_params, max_iter):
    X, w = xw

    def make():
        return emclust.GaussianMixture(
            k,
            covariance_type=covariance_type,
            reg_covar=reg_covar,
            init_params=init_params,
            max_iter=max_iter,
            random_state=0,
        )

    est = _fit_or_refuse(make, X, w, _check_mixture_if_iterated, "GaussianMixture")
    if est is not None:
        _finite(est.means_, est.covariances_, est.precisions_cholesky_)


def _check_mixture_if_iterated(est, X):
    if est.n_iter_ == 0:  # no E-step ran: lower_bound_ is -inf
        _finite(est.weights_, est.means_)
        assert abs(float(est.weights_.sum()) - 1.0) < 1e-5
        return
    _check_mixture(est, X)


@pytest.mark.parametrize("cls", [emclust.KMeans, emclust.KMedians, MiniBatchKMeans])
@fuzz_settings(25)
@given(data(), st.integers(1, 4), st.integers(1, 30))
def test_centroid_estimators(cls, xw, k, max_iter):
    X, w = xw

    def make():
        return cls(k, n_init=1, max_iter=max_iter, random_state=0)

    _fit_or_refuse(make, X, w, _check_centroids, cls.__name__)


@fuzz_settings(30)
@given(data(binary=True), st.integers(1, 4), st.sampled_from([0.0, 1e-3, 1.0]))
def test_bernoulli_mixture(xw, k, alpha):
    X, w = xw

    def make():
        return emclust.BernoulliMixture(k, alpha=alpha, max_iter=20, random_state=0)

    est = _fit_or_refuse(make, X, w, _check_mixture, "BernoulliMixture")
    if est is not None:
        p = est.probabilities_
        assert ((p > 0) & (p < 1)).all()


@fuzz_settings(30)
@given(data(), st.sampled_from(COVARIANCE_TYPES), st.integers(1, 3))
def test_fitted_model_on_new_data_of_any_scale(xw, covariance_type, k):
    """predict_proba of points far away (once a row of zeros for 1e155):
    finite probabilities summing to 1, or a ValueError naming X."""
    X_new, _ = xw
    count("GaussianMixture.predict (new data)")
    rng = np.random.default_rng(0)
    train = rng.normal(size=(40, X_new.shape[1]))
    gm = emclust.GaussianMixture(k, covariance_type=covariance_type, random_state=0)
    with no_hang(), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Degenerate fuzz data may fit a singular mixture: a warning by design.
        warnings.simplefilter("ignore", SingularCovarianceWarning)
        gm.fit(train)
        try:
            proba = gm.predict_proba(X_new)
            scores = gm.score_samples(X_new)
        except (ValueError, TypeError) as exc:
            assert_clean_refusal(exc)
            return
    _finite(proba)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-5)
    assert not np.isnan(scores).any()


# --- the public functions -----------------------------------------------------------


@st.composite
def parameters(draw, d):
    """Mixture parameters for d features, valid or subtly not: weights not
    summing to 1, negative, NaN; covariances asymmetric, indefinite, zero;
    means at extreme scales."""
    k = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    w = rng.uniform(0.1, 1, size=k)
    w /= w.sum()
    means = rng.normal(size=(k, d)) * 10.0 ** draw(SCALES)
    a = rng.normal(size=(k, d, d))
    cov = a @ np.swapaxes(a, 1, 2) + np.eye(d)
    flaw = draw(
        st.sampled_from(
            [
                None,
                None,
                "weights",
                "nan-weight",
                "asymmetric",
                "indefinite",
                "zero",
                "scale",
            ]
        )
    )
    with np.errstate(all="ignore"):
        if flaw == "weights":
            w = w * 2
        elif flaw == "nan-weight":
            w[0] = np.nan
        elif flaw == "asymmetric" and d > 1:
            cov[0, 0, 1] += 1.0
        elif flaw == "indefinite":
            cov[0] = -cov[0]
        elif flaw == "zero":
            cov[0] = 0.0
        elif flaw == "scale":
            cov *= 10.0 ** draw(SCALES)
    return w, means, cov


def _call_or_refuse(target, f):
    count(target)
    with no_hang(), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Degenerate fuzz data may fit a singular mixture: a warning by design.
        warnings.simplefilter("ignore", SingularCovarianceWarning)
        try:
            return f()
        except (ValueError, TypeError) as exc:
            assert_clean_refusal(exc)
            return None


@fuzz_settings(40)
@given(st.data(), st.integers(1, 3))
def test_mixture_functions(draw, d):
    w, means, cov = draw.draw(parameters(d))
    X = np.random.default_rng(0).normal(size=(20, d))

    out = _call_or_refuse(
        "mixture_moments", lambda: emclust.mixture_moments(w, means, cov)
    )
    if out is not None:
        _mean, c = out
        if np.isfinite(c).all():
            assert np.linalg.eigvalsh(c).min() >= -1e-9 * max(1.0, np.abs(c).max())
    out = _call_or_refuse(
        "sum_of_mixtures",
        lambda: emclust.sum_of_mixtures((w, means, cov), (w, means, cov)),
    )
    if out is not None:
        assert abs(out[0].sum() - 1) < 1e-6
    out = _call_or_refuse("e_step", lambda: emclust.e_step(X, w, means, cov))
    if out is not None:
        resp, log_prob = out
        _finite(resp)
        assert not np.isnan(log_prob).any()
    gm = _call_or_refuse(
        "GaussianMixture.from_parameters",
        lambda: emclust.GaussianMixture.from_parameters(w, means, cov),
    )
    if gm is not None:
        _finite(gm.precisions_cholesky_)
        np.testing.assert_array_equal(
            gm.covariances_, np.swapaxes(gm.covariances_, 1, 2)
        )
        chol = gm.precisions_cholesky_
    else:
        chol = np.stack([np.eye(d)] * means.shape[0]) * draw.draw(
            st.sampled_from([1.0, 0.0, -1.0, np.nan])
        )
    stats = _call_or_refuse(
        "gmm_statistics",
        lambda: emclust.gmm_statistics(X, w, means, chol, "full"),
    )
    if stats is not None:
        assert not np.isnan(stats.log_likelihood)
        out = _call_or_refuse("GaussianStatistics.m_step", lambda: stats.m_step(1e-6))
        if out is not None:
            _finite(*out)


@fuzz_settings(40)
@given(data(), st.integers(1, 3), st.sampled_from([None, "nan", "inf", "far"]))
def test_kmeans_functions(xw, k, flaw):
    X, w = xw
    rng = np.random.default_rng(1)
    d = X.shape[1] if np.ndim(X) == 2 else 1
    centers = rng.normal(size=(k, d))
    shift = None
    if flaw == "nan":
        centers[0, 0] = np.nan
    elif flaw == "inf":
        shift = np.full(d, np.inf)
    elif flaw == "far":
        centers *= 1e300
    st_ = _call_or_refuse(
        "kmeans_statistics",
        lambda: emclust.kmeans_statistics(X, centers, sample_weight=w, shift=shift),
    )
    if st_ is not None:
        assert np.isfinite(st_.inertia) and st_.inertia >= 0
    out = _call_or_refuse(
        "kmeans_relocation_candidates",
        lambda: emclust.kmeans_relocation_candidates(
            X, centers, sample_weight=w, shift=shift
        ),
    )
    if out is not None:
        _finite(out.values, out.distance)
    out = _call_or_refuse(
        "kmeans_plusplus",
        lambda: emclust.kmeans_plusplus(X, k, sample_weight=w, random_state=0),
    )
    if out is not None:
        _finite(out[0])
    out = _call_or_refuse(
        "k_means",
        lambda: emclust.k_means(X, k, sample_weight=w, n_init=1, random_state=0),
    )
    if out is not None:
        _finite(out[0], out[2])


@fuzz_settings(30)
@given(
    data(binary=True), st.integers(1, 3), st.sampled_from([None, "zero", "edge", "nan"])
)
def test_bernoulli_functions(xw, k, flaw):
    X, w = xw
    d = X.shape[1]
    theta = np.full((k, d), 0.5)
    weights = np.full(k, 1.0 / k)
    if flaw == "zero":
        weights[:] = 0
    elif flaw == "edge":
        theta[0, 0] = 1.0
    elif flaw == "nan":
        weights[0] = np.nan
    stats = _call_or_refuse(
        "bernoulli_statistics",
        lambda: emclust.bernoulli_statistics(X, weights, theta, sample_weight=w),
    )
    if stats is not None:
        assert not np.isnan(stats.log_likelihood)
        out = _call_or_refuse("BernoulliStatistics.m_step", lambda: stats.m_step())
        if out is not None:
            _finite(*out)


@fuzz_settings(40)
@given(
    data(),
    st.integers(1, 3),
    st.sampled_from(COVARIANCE_TYPES),
    st.sampled_from([0.0, 1e-6, 1.0]),
    st.sampled_from([None, "negative", "nan", "zero-column", "unnormalised"]),
)
def test_m_step(xw, k, covariance_type, reg_covar, flaw):
    X, w = xw
    n = np.shape(X)[0]
    resp = np.random.default_rng(2).dirichlet(np.ones(k), size=n)
    if flaw == "negative":
        resp[0, 0] = -0.5
    elif flaw == "nan":
        resp[0, 0] = np.nan
    elif flaw == "zero-column":
        resp[:, 0] = 0.0
    elif flaw == "unnormalised":
        resp *= 3.0
    out = _call_or_refuse(
        "m_step",
        lambda: emclust.m_step(X, resp, covariance_type, reg_covar, sample_weight=w),
    )
    if out is not None:
        weights, means, covariances = out
        _finite(weights, means, covariances)
        assert abs(weights.sum() - 1.0) < 1e-6
