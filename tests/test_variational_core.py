"""The C++ variational core (cpp/include/emclust/variational_*.hpp, digamma.hpp)
against the pure-NumPy reference: digamma, the M-step, one step from
statistics with its lower bound, the whole fit loop; thread counts, float32,
n_init, and missing values."""

import warnings

import numpy as np
import pytest
from emclust import BayesianGaussianMixture, GaussianMixture, _core
from emclust.models import variational as native
from emclust.reference import variational as ref
from scipy.special import digamma
from sklearn.exceptions import ConvergenceWarning

PRIOR_TYPES = ("dirichlet_process", "dirichlet_distribution")
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
STATE = (
    "mean_precision",
    "means",
    "degrees_of_freedom",
    "covariances",
    "precisions_cholesky",
)


def _blobs(n=150, d=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0] * d, [6.0] * d, [-6.0, 6.0] + [0.0] * (d - 2)])
    X = np.vstack([rng.normal(c, 1.0, (n, d)) for c in centers])
    # A well-conditioned mixing: 1e-10 agreement is about the arithmetic, not
    # about how much a near-singular covariance amplifies rounding.
    return X @ (np.eye(d) + 0.3 * rng.normal(size=(d, d))) * 0.5 + 3.0


def _same_state(a, b, rtol=1e-10):
    for name in STATE:
        np.testing.assert_allclose(
            np.asarray(a[name], float), np.asarray(b[name], float), rtol=rtol
        )
    np.testing.assert_allclose(
        np.asarray(a["weight_concentration"], float),
        np.asarray(b["weight_concentration"], float),
        rtol=rtol,
    )


def _start(X, covariance_type, prior_type, k=5, seed=0, w=None):
    """A reference state and the priors from random responsibilities."""
    priors = ref.check_priors(X, covariance_type, k, sample_weight=w)
    resp = np.random.default_rng(seed).dirichlet(np.ones(k), size=X.shape[0])
    stats = ref.statistics(X, resp, covariance_type, 1e-6, w)
    return ref.m_step(*stats, priors, covariance_type, prior_type), priors, resp


def test_digamma_matches_scipy_over_a_wide_range():
    x = np.concatenate(
        [
            np.geomspace(1e-300, 1e300, 4001),
            np.linspace(1e-3, 40.0, 40001),
            1.4616321449683622 + np.linspace(-0.05, 0.05, 2001),  # the root
        ]
    )
    ours, theirs = _core.digamma(x), digamma(x)
    rel = np.abs(ours - theirs) / np.abs(theirs)
    assert rel.max() < 4e-15, (x[np.argmax(rel)], rel.max())
    # Next to the root psi is tiny: the series keeps its relative accuracy
    # where a recurrence would keep only the absolute one (1e-16).
    near = np.abs(x - 1.4616321449683622) < 1e-3
    assert np.abs(ours[near] - theirs[near]).max() < 1e-18
    neg = -np.linspace(0.01, 9.99, 3001)
    neg = neg[np.abs(neg - np.round(neg)) > 0.02]
    np.testing.assert_allclose(_core.digamma(neg), digamma(neg), rtol=1e-10)
    special = np.array([0.0, -0.0, -3.0, np.inf, np.nan])
    np.testing.assert_array_equal(_core.digamma(special), digamma(special))


@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_m_step_matches_the_reference(prior_type, covariance_type):
    X = _blobs()
    w = np.random.default_rng(3).uniform(0.2, 3.0, X.shape[0])
    priors = ref.check_priors(X, covariance_type, 5, sample_weight=w)
    resp = np.random.default_rng(4).dirichlet(np.ones(5), size=X.shape[0])
    resp[:, 3] = 0.0  # an empty component: the N_k floor
    resp /= resp.sum(axis=1, keepdims=True)
    moments = ref.statistics(X, resp, covariance_type, 1e-6, w)
    expect = ref.m_step(*moments, priors, covariance_type, prior_type)
    got = native.m_step_from_moments(*moments, priors, covariance_type, prior_type)
    _same_state(got, expect)
    if prior_type == "dirichlet_process":
        assert isinstance(got["weight_concentration"], tuple)
    if covariance_type == "tied":
        assert isinstance(got["degrees_of_freedom"], float)


@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_step_and_lower_bound_from_statistics_match_the_reference(
    prior_type, covariance_type
):
    X = _blobs()
    w = np.random.default_rng(5).uniform(0.2, 3.0, X.shape[0])
    state, priors, _ = _start(X, covariance_type, prior_type, w=w)
    # The reference's step: E-step, M-step, lower bound.
    _, log_resp = ref.e_step(X, state, covariance_type, prior_type)
    moments = ref.statistics(X, np.exp(log_resp), covariance_type, 1e-6, w)
    expect = ref.m_step(*moments, priors, covariance_type, prior_type)
    expect_lb = ref.lower_bound(
        ref.resp_entropy(log_resp, w), expect, priors, covariance_type, prior_type
    )
    stats, _ = native.statistics(X, w, state, covariance_type, prior_type, 1)
    got, lb = native.step_from_statistics(
        stats, state, priors, covariance_type, prior_type, 1e-6
    )
    _same_state(got, expect)
    np.testing.assert_allclose(lb, expect_lb, rtol=1e-10)
    # The M-step alone from the same statistics.
    _same_state(native.m_step(stats, priors, covariance_type, prior_type, 1e-6), expect)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_loop_matches_the_reference(prior_type, covariance_type):
    X = _blobs()
    state, priors, _ = _start(X, covariance_type, prior_type, seed=1)
    expect, bounds, n_iter, converged = ref.fit(
        X, state, priors, covariance_type, prior_type, max_iter=12, tol=0.0
    )
    est = BayesianGaussianMixture(
        n_components=5,
        covariance_type=covariance_type,
        weight_concentration_prior_type=prior_type,
        max_iter=12,
        tol=0.0,
        warm_start=True,
    )
    for name, value in state.items():
        setattr(est, name + "_", value)
    est.lower_bound_ = -np.inf
    est.converged_ = False
    est.fit(X)
    got = {name: getattr(est, name + "_") for name in (*STATE, "weight_concentration")}
    _same_state(got, expect)
    assert est.n_iter_ == n_iter == 12 and est.converged_ is converged is False
    np.testing.assert_allclose(est.lower_bounds_, bounds, rtol=1e-10)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_is_bit_identical_for_1_2_and_3_threads(covariance_type, dtype):
    X = _blobs(n=2000, d=4, seed=2).astype(dtype)
    fits = [
        BayesianGaussianMixture(
            n_components=6,
            covariance_type=covariance_type,
            random_state=0,
            max_iter=25,
            n_threads=t,
        ).fit(X)
        for t in (1, 2, 3)
    ]
    for other in fits[1:]:
        for name in (*(s + "_" for s in STATE), "weights_", "lower_bounds_"):
            np.testing.assert_array_equal(
                np.asarray(getattr(other, name)), np.asarray(getattr(fits[0], name))
            )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_float32_fit_is_close_to_the_float64_fit():
    X = _blobs(n=500)
    params = dict(n_components=3, random_state=0, max_iter=200, tol=1e-6)
    a = BayesianGaussianMixture(**params).fit(X)
    b = BayesianGaussianMixture(**params).fit(X.astype(np.float32))
    assert b.means_.dtype == np.float64
    np.testing.assert_allclose(np.sort(b.weights_), np.sort(a.weights_), atol=1e-4)
    np.testing.assert_allclose(b.lower_bound_, a.lower_bound_, rtol=1e-5)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_n_init_keeps_the_best_start(capsys):
    X = _blobs(n=100)
    params = dict(n_components=6, init_params="random", max_iter=15, random_state=4)
    one = BayesianGaussianMixture(n_init=1, **params).fit(X)
    three = BayesianGaussianMixture(n_init=3, verbose=1, **params).fit(X)
    # The first of the three starts is the single fit's start (the same
    # random draws), so the best of three is at least as good.
    assert three.lower_bound_ >= one.lower_bound_
    bounds = [
        float(line.rsplit(":", 1)[1])
        for line in capsys.readouterr().out.splitlines()
        if "lower bound" in line
    ]
    assert len(bounds) == 3
    # (printed to 5 decimals)
    assert bounds[0] == pytest.approx(one.lower_bound_, abs=1e-5)
    assert three.lower_bound_ == pytest.approx(max(bounds), abs=1e-5)


def test_missing_values_are_refused_naming_X():
    X = _blobs(n=40)
    X[5, 1] = np.nan
    for method in ("fit", "partial_fit"):
        with pytest.raises(
            ValueError, match=r"does not support missing values \(NaN\) in X"
        ):
            getattr(BayesianGaussianMixture(n_components=2), method)(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = BayesianGaussianMixture(n_components=2).fit(np.nan_to_num(X))
    with pytest.raises(ValueError, match="missing values"):
        est.predict_proba(X)


def test_gaussian_mixture_partial_fit_takes_nan_as_its_docstring_says():
    # "NaN entries are missing values (missing_values=np.nan), handled as fit
    # does": a one-batch stream is fit's first marginal EM iteration, and
    # missing_values=None refuses NaN.
    assert "handled as ``fit`` does" in GaussianMixture.partial_fit.__doc__
    X = _blobs(n=200, seed=6)
    X[np.random.default_rng(6).random(X.shape) < 0.15] = np.nan
    X = X[~np.isnan(X).all(axis=1)]
    a = GaussianMixture(3, covariance_type="diag", random_state=0).partial_fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        b = GaussianMixture(3, covariance_type="diag", random_state=0, max_iter=1)
        b.fit(X)
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-12)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-12)
    with pytest.raises(ValueError, match="NaN"):
        GaussianMixture(3, missing_values=None).partial_fit(X)
