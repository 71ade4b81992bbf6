"""The pure-NumPy reference Gaussian mixture against scikit-learn and invariants.

scikit-learn is the oracle here: both are started from identical initial
parameters (weights_init, means_init, precisions_init), so the whole EM
trajectory must agree, iteration count included. They agree to ~1e-13: the
reference accumulates the "tied" and "diag" scatter in two passes about the
means while scikit-learn uses the one-pass E[x²] - E[x]² form, and those
last-bit differences are carried through every iteration. We test at the
project's float64 tolerance, rtol 1e-10.
"""

import warnings

import numpy as np
import pytest
from emclust import reference
from emclust.exceptions import ConvergenceWarning, NotFittedError
from emclust.reference import GaussianMixture
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
N_COMPONENTS, N_FEATURES = 3, 3
RTOL = 1e-10


@pytest.fixture(scope="module")
def blobs():
    """Three overlapping, anisotropic Gaussian blobs in 3-D, 600 rows, shuffled."""
    rng = np.random.default_rng(20240601)
    centres = np.array([[0.0, 0.0, 0.0], [4.0, 4.0, 0.0], [0.0, 5.0, 4.0]])
    parts = []
    for centre, n in zip(centres, [150, 200, 250]):
        shape = np.eye(N_FEATURES) + 0.4 * rng.normal(size=(N_FEATURES, N_FEATURES))
        parts.append(rng.normal(size=(n, N_FEATURES)) @ shape + centre)
    X = np.vstack(parts)
    return X[rng.permutation(X.shape[0])]


def initial_parameters(covariance_type, seed=7):
    """Deliberately rough but valid starting parameters for every covariance type."""
    rng = np.random.default_rng(seed)
    weights = np.array([0.25, 0.35, 0.4])
    means = np.array([[0.0, 0.0, 0.0], [4.0, 4.0, 0.0], [0.0, 5.0, 4.0]])
    means = means + 0.7 * rng.normal(size=means.shape)
    k, d = N_COMPONENTS, N_FEATURES

    def spd():
        a = rng.normal(size=(d, d))
        return np.linalg.inv(a @ a.T / d + np.eye(d))

    precisions = {
        "full": lambda: np.array([spd() for _ in range(k)]),
        "tied": spd,
        "diag": lambda: rng.uniform(0.5, 1.5, size=(k, d)),
        "spherical": lambda: rng.uniform(0.5, 1.5, size=k),
    }[covariance_type]()
    return {"weights_init": weights, "means_init": means, "precisions_init": precisions}


def fit_both(X, covariance_type, **kwargs):
    params = dict(
        n_components=N_COMPONENTS,
        covariance_type=covariance_type,
        **initial_parameters(covariance_type),
        **kwargs,
    )
    return GaussianMixture(**params).fit(X), SklearnGaussianMixture(**params).fit(X)


def assert_same_fit(ours, theirs, X, rtol=RTOL):
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.converged_ == theirs.converged_
    assert_allclose(ours.weights_, theirs.weights_, rtol=rtol)
    assert_allclose(ours.means_, theirs.means_, rtol=rtol)
    assert_allclose(ours.covariances_, theirs.covariances_, rtol=rtol)
    assert_allclose(ours.precisions_, theirs.precisions_, rtol=rtol)
    assert_allclose(
        ours.precisions_cholesky_, theirs.precisions_cholesky_, rtol=rtol, atol=1e-15
    )
    assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, rel=rtol)
    assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=rtol)
    assert ours.bic(X) == pytest.approx(theirs.bic(X), rel=rtol)
    assert ours.aic(X) == pytest.approx(theirs.aic(X), rel=rtol)
    assert ours.score(X) == pytest.approx(theirs.score(X), rel=rtol)
    assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=rtol)
    # Responsibilities down to ~1e-300 are compared relatively; below that
    # (exp underflow) absolutely.
    assert_allclose(
        ours.predict_proba(X), theirs.predict_proba(X), rtol=rtol, atol=1e-300
    )
    assert_array_equal(ours.predict(X), theirs.predict(X))


# ---------------------------------------------------------------------------
# Against scikit-learn


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_matches_sklearn(blobs, covariance_type):
    ours, theirs = fit_both(
        blobs, covariance_type, tol=1e-8, max_iter=500, reg_covar=1e-6
    )
    assert ours.converged_
    assert ours.n_iter_ > 5  # a real trajectory, not an immediate stop
    assert_same_fit(ours, theirs, blobs)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_unconverged_fit_matches_sklearn_and_warns(blobs, covariance_type):
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        ours = GaussianMixture(
            N_COMPONENTS,
            covariance_type=covariance_type,
            max_iter=3,
            tol=1e-12,
            **initial_parameters(covariance_type),
        ).fit(blobs)
    with pytest.warns(SklearnConvergenceWarning):
        theirs = SklearnGaussianMixture(
            N_COMPONENTS,
            covariance_type=covariance_type,
            max_iter=3,
            tol=1e-12,
            **initial_parameters(covariance_type),
        ).fit(blobs)
    assert not ours.converged_
    assert ours.n_iter_ == 3
    assert len(ours.lower_bounds_) == 3
    assert_same_fit(ours, theirs, blobs)


def test_convergence_warning_is_a_user_warning():
    assert issubclass(ConvergenceWarning, UserWarning)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_warm_start_continues_the_same_trajectory(blobs, covariance_type):
    init = initial_parameters(covariance_type)
    whole = GaussianMixture(
        N_COMPONENTS, covariance_type=covariance_type, max_iter=4, tol=0.0, **init
    )
    halves = GaussianMixture(
        N_COMPONENTS,
        covariance_type=covariance_type,
        max_iter=2,
        tol=0.0,
        warm_start=True,
        **init,
    )
    with pytest.warns(ConvergenceWarning):
        whole.fit(blobs)
    with pytest.warns(ConvergenceWarning):
        halves.fit(blobs)
    with pytest.warns(ConvergenceWarning):
        halves.fit(blobs)
    assert_array_equal(halves.means_, whole.means_)
    assert_array_equal(halves.covariances_, whole.covariances_)
    assert halves.lower_bounds_ == whole.lower_bounds_[2:]


# ---------------------------------------------------------------------------
# Invariants


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_responsibilities_sum_to_one(blobs, covariance_type):
    gm = GaussianMixture(
        N_COMPONENTS, covariance_type=covariance_type, random_state=0
    ).fit(blobs)
    resp = gm.predict_proba(blobs)
    assert resp.shape == (blobs.shape[0], N_COMPONENTS)
    assert (resp >= 0).all() and (resp <= 1).all()
    assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-14)
    resp_step, _ = reference.e_step(
        blobs, gm.weights_, gm.means_, gm.covariances_, covariance_type
    )
    assert_allclose(resp_step, resp, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_likelihood_never_decreases(blobs, covariance_type):
    # EM's monotonicity holds for the exact M-step, i.e. with reg_covar = 0.
    # Allowed decrease: rounding of the mean log-likelihood (|bound|·1e-13).
    gm = GaussianMixture(
        N_COMPONENTS,
        covariance_type=covariance_type,
        reg_covar=0.0,
        tol=0.0,
        max_iter=60,
        **initial_parameters(covariance_type),
    )
    with pytest.warns(ConvergenceWarning):
        gm.fit(blobs)
    bounds = np.array(gm.lower_bounds_)
    assert bounds.size == 60
    assert (np.diff(bounds) >= -1e-13 * np.abs(bounds[1:])).all()
    assert bounds[-1] > bounds[0] + 0.1  # it did climb


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_covariances_symmetric_positive_definite(blobs, covariance_type):
    gm = GaussianMixture(
        N_COMPONENTS, covariance_type=covariance_type, random_state=1
    ).fit(blobs)
    cov, prec = gm.covariances_, gm.precisions_
    if covariance_type in ("full", "tied"):
        assert_array_equal(cov, np.swapaxes(cov, -1, -2))
        assert (np.linalg.eigvalsh(cov) > 0).all()
        eye = np.broadcast_to(np.eye(N_FEATURES), cov.shape)
        assert_allclose(cov @ prec, eye, atol=1e-12)
        # precisions_cholesky_ is upper triangular with a positive diagonal.
        chol = gm.precisions_cholesky_
        assert_array_equal(np.tril(chol, -1), 0.0)
        assert (np.diagonal(chol, axis1=-2, axis2=-1) > 0).all()
    else:
        assert (cov > 0).all()
        assert_allclose(cov * prec, 1.0, rtol=1e-14)


def test_fit_predict_equals_fit_then_predict(blobs):
    gm = GaussianMixture(N_COMPONENTS, max_iter=2, tol=0.0, random_state=3)
    with pytest.warns(ConvergenceWarning):
        labels = gm.fit_predict(blobs)
    assert_array_equal(labels, gm.predict(blobs))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_m_step_two_pass_survives_a_large_offset(blobs, covariance_type):
    # Shifting the data by 1e8 moves the means and nothing else. A one-pass
    # E[x²] - E[x]² would lose ~16 digits here (x² ~ 1e16); two passes keep
    # the covariances to ~1e-8 relative (the shifted data's rounding: 1e8·eps
    # on values of size 1).
    resp = GaussianMixture(N_COMPONENTS, random_state=0).fit(blobs).predict_proba(blobs)
    offset = 1e8
    w0, m0, c0 = reference.m_step(blobs, resp, covariance_type)
    w1, m1, c1 = reference.m_step(blobs + offset, resp, covariance_type)
    assert_allclose(w1, w0, rtol=1e-15)
    assert_allclose(c1, c0, rtol=1e-6, atol=1e-7)
    # The means are sums of ~600 numbers of size 1e8: their rounding (~1e-7
    # absolute) is the one-pass sum's, and it enters the scatter only squared.
    assert_allclose(m1 - offset, m0, atol=1e-5)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_empty_component(blobs, covariance_type):
    # A component with no responsibility: weight ~10·eps/N, mean 0 and
    # covariance reg_covar·I (documented behaviour of m_step).
    resp = np.zeros((blobs.shape[0], 2))
    resp[:, 0] = 1.0
    weights, means, covariances = reference.m_step(
        blobs, resp, covariance_type, reg_covar=1e-3
    )
    assert weights[1] < 1e-16
    assert_array_equal(means[1], 0.0)
    expected = {
        "full": 1e-3 * np.eye(N_FEATURES),
        "diag": np.full(N_FEATURES, 1e-3),
        "spherical": 1e-3,
    }
    if covariance_type != "tied":
        assert_allclose(covariances[1], expected[covariance_type], rtol=1e-15)


# ---------------------------------------------------------------------------
# sample_weight == repeated rows


@pytest.fixture(scope="module")
def repeats(blobs):
    """Integer weights 0..3 (zero removes a row) and the data with rows repeated."""
    weights = np.random.default_rng(5).integers(0, 4, size=blobs.shape[0])
    return weights, np.repeat(blobs, weights, axis=0)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_m_step_sample_weight_equals_repeated_rows(blobs, repeats, covariance_type):
    weights, X_rep = repeats
    resp = np.random.default_rng(2).dirichlet(
        np.ones(N_COMPONENTS), size=blobs.shape[0]
    )
    weighted = reference.m_step(
        blobs, resp, covariance_type, 1e-6, sample_weight=weights
    )
    repeated = reference.m_step(
        X_rep, np.repeat(resp, weights, axis=0), covariance_type, 1e-6
    )
    for a, b in zip(weighted, repeated):
        assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_sample_weight_equals_repeated_rows(blobs, repeats, covariance_type):
    weights, X_rep = repeats
    params = dict(
        n_components=N_COMPONENTS,
        covariance_type=covariance_type,
        tol=1e-8,
        max_iter=500,
        **initial_parameters(covariance_type),
    )
    weighted = GaussianMixture(**params).fit(blobs, sample_weight=weights)
    repeated = GaussianMixture(**params).fit(X_rep)
    assert weighted.n_iter_ == repeated.n_iter_
    rtol = 1e-10  # sums over the same terms in a different order
    assert_allclose(weighted.weights_, repeated.weights_, rtol=rtol)
    assert_allclose(weighted.means_, repeated.means_, rtol=rtol)
    assert_allclose(weighted.covariances_, repeated.covariances_, rtol=rtol)
    assert weighted.lower_bound_ == pytest.approx(repeated.lower_bound_, rel=rtol)
    assert_allclose(weighted.lower_bounds_, repeated.lower_bounds_, rtol=rtol)
    assert weighted.bic(blobs, sample_weight=weights) == pytest.approx(
        repeated.bic(X_rep), rel=rtol
    )
    assert weighted.aic(blobs, sample_weight=weights) == pytest.approx(
        repeated.aic(X_rep), rel=rtol
    )
    assert weighted.score(blobs, sample_weight=weights) == pytest.approx(
        repeated.score(X_rep), rel=rtol
    )
    # And the same fit as scikit-learn on the repeated rows.
    assert_same_fit(repeated, SklearnGaussianMixture(**params).fit(X_rep), X_rep)


def test_unit_sample_weight_equals_none(blobs):
    init = initial_parameters("full")
    plain = GaussianMixture(N_COMPONENTS, **init).fit(blobs)
    ones = GaussianMixture(N_COMPONENTS, **init).fit(
        blobs, sample_weight=np.ones(len(blobs))
    )
    assert_allclose(ones.means_, plain.means_, rtol=1e-12)
    assert_allclose(ones.covariances_, plain.covariances_, rtol=1e-12)
    assert ones.bic(blobs, np.ones(len(blobs))) == pytest.approx(
        plain.bic(blobs), rel=1e-12
    )


# ---------------------------------------------------------------------------
# Initialisation, errors, sampling


@pytest.mark.parametrize(
    "init_params", ["kmeans", "k-means++", "random", "random_from_data"]
)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_every_initialisation_fits(blobs, init_params, covariance_type):
    kwargs = dict(
        covariance_type=covariance_type,
        init_params=init_params,
        random_state=0,
        n_init=5,
    )
    with warnings.catch_warnings():
        # "random" may need more than max_iter iterations; that is not the point here.
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm = GaussianMixture(N_COMPONENTS, **kwargs).fit(blobs)
        again = GaussianMixture(N_COMPONENTS, **kwargs).fit(blobs)
    assert_array_equal(gm.means_, again.means_)  # random_state makes it reproducible
    assert gm.weights_.sum() == pytest.approx(1.0, rel=1e-14)
    # Never worse than one Gaussian (which "random" can collapse to: its nearly
    # uniform responsibilities start all components almost equal), and the
    # data-driven starts find the three blobs.
    single = GaussianMixture(1, covariance_type=covariance_type).fit(blobs)
    assert gm.lower_bound_ > single.lower_bound_ - 1e-6
    if init_params != "random":
        assert gm.lower_bound_ > single.lower_bound_ + 0.5


def test_n_init_keeps_the_best(blobs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        single = [
            GaussianMixture(
                N_COMPONENTS, init_params="random", max_iter=5, random_state=s
            )
            for s in range(4)
        ]
        best = GaussianMixture(N_COMPONENTS, init_params="random", max_iter=5, n_init=4)
        best.fit(blobs)
        bounds = [gm.fit(blobs).lower_bound_ for gm in single]
    # Different random draws, so compare against the distribution: the best of
    # four runs is never worse than the worst single run.
    assert best.lower_bound_ >= min(bounds)
    assert best.lower_bound_ == max(best.lower_bounds_)


@pytest.mark.parametrize(
    "covariance_type, covariances",
    [
        ("full", np.array([np.eye(2), [[1.0, 1.0], [1.0, 1.0]]])),
        ("tied", np.array([[1.0, 2.0], [2.0, 1.0]])),
        ("diag", np.array([[1.0, 1.0], [1.0, 0.0]])),
        ("spherical", np.array([1.0, -1.0])),
    ],
)
def test_not_positive_definite_names_reg_covar(covariance_type, covariances):
    with pytest.raises(ValueError, match="reg_covar"):
        reference.precision_cholesky(covariances, covariance_type)
    with pytest.raises(ValueError, match="reg_covar"):
        reference.e_step(
            np.zeros((4, 2)),
            np.array([0.5, 0.5]),
            np.zeros((2, 2)),
            covariances,
            covariance_type,
        )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_precision_cholesky_round_trip(blobs, covariance_type):
    gm = GaussianMixture(
        N_COMPONENTS, covariance_type=covariance_type, random_state=0
    ).fit(blobs)
    from_cov = reference.precision_cholesky(gm.covariances_, covariance_type)
    from_prec = reference.precision_cholesky_from_precisions(
        gm.precisions_, covariance_type
    )
    assert_allclose(from_prec, from_cov, rtol=1e-10, atol=1e-14)
    back = reference.covariances_from_precisions_cholesky(from_cov, covariance_type)
    assert_allclose(back, gm.covariances_, rtol=1e-10, atol=1e-14)


def test_errors(blobs):
    with pytest.raises(NotFittedError):
        GaussianMixture().predict(blobs)
    with pytest.raises(ValueError, match="covariance_type"):
        GaussianMixture(covariance_type="banana").fit(blobs)
    with pytest.raises(ValueError, match="n_components"):
        GaussianMixture(n_components=5).fit(blobs[:4])
    with pytest.raises(ValueError, match="weights_init"):
        GaussianMixture(2, weights_init=[0.2, 0.2]).fit(blobs)
    with pytest.raises(ValueError, match="means_init"):
        GaussianMixture(2, means_init=np.zeros((3, 3))).fit(blobs)
    with pytest.raises(ValueError, match="sample_weight"):
        GaussianMixture(2).fit(blobs, sample_weight=-np.ones(len(blobs)))
    gm = GaussianMixture(2, random_state=0).fit(blobs)
    with pytest.raises(ValueError, match="features"):
        gm.predict(blobs[:, :2])


def test_sample(blobs):
    gm = GaussianMixture(N_COMPONENTS, random_state=0).fit(blobs)
    X, y = gm.sample(20000)
    assert X.shape == (20000, N_FEATURES)
    assert_array_equal(np.diff(y) >= 0, True)  # grouped by component
    X_again, _ = gm.sample(20000)
    assert_array_equal(X, X_again)
    # Component frequencies and means agree with the model within ~5 standard errors.
    freq = np.bincount(y, minlength=N_COMPONENTS) / y.size
    assert_allclose(freq, gm.weights_, atol=5 * np.sqrt(0.25 / y.size))
    for k in range(N_COMPONENTS):
        spread = np.sqrt(np.diag(gm.covariances_[k]) / (y == k).sum())
        assert (np.abs(X[y == k].mean(axis=0) - gm.means_[k]) < 5 * spread).all()


def test_get_set_params():
    gm = GaussianMixture(3, covariance_type="diag")
    params = gm.get_params()
    assert params["n_components"] == 3 and params["covariance_type"] == "diag"
    assert set(params) == set(SklearnGaussianMixture().get_params())
    assert gm.set_params(tol=1e-5) is gm and gm.tol == 1e-5
    with pytest.raises(ValueError, match="banana"):
        gm.set_params(banana=1)
