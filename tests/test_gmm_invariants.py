"""Properties every fit must have, whatever the data."""

import pickle
import warnings

import emclust
import numpy as np
import pytest
from _gmm_data import COVARIANCE_TYPES, blobs, initial_params

DTYPES = [
    pytest.param(np.float64, id="float64"),
    pytest.param(np.float32, id="float32"),
]


def _fit(X, covariance_type, **kw):
    init = initial_params(X, 3, covariance_type)
    kw = {"tol": 0.0, "max_iter": 25, **init, **kw}
    gm = emclust.GaussianMixture(3, covariance_type=covariance_type, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emclust.ConvergenceWarning)
        return gm.fit(X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_likelihood_never_decreases(covariance_type):
    X = blobs(seed=11)
    gm = _fit(X, covariance_type, reg_covar=0.0, max_iter=40)
    steps = np.diff(gm.lower_bounds_)
    assert (steps >= -1e-12 * np.abs(gm.lower_bounds_[1:])).all(), steps.min()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_responsibilities_sum_to_one_and_covariances_spd(covariance_type, dtype):
    X = blobs(seed=12, dtype=dtype)
    gm = _fit(X, covariance_type)
    resp = gm.predict_proba(X)
    assert resp.dtype == dtype
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=10 * np.finfo(dtype).eps)
    assert (resp >= 0).all()
    # float32 data gives float32 attributes (as scikit-learn).
    tol = 1e-12 if dtype == np.float64 else 1e-6
    assert gm.weights_.sum() == pytest.approx(1.0, abs=tol)
    cov = np.asarray(gm.covariances_)
    if covariance_type in ("full", "tied"):
        mats = cov.reshape(-1, X.shape[1], X.shape[1])
        np.testing.assert_array_equal(mats, np.swapaxes(mats, 1, 2))
        assert (np.linalg.eigvalsh(mats) > 0).all()
        prec = np.asarray(gm.precisions_).reshape(mats.shape)
        np.testing.assert_allclose(
            prec @ mats,
            np.broadcast_to(np.eye(X.shape[1]), mats.shape),
            atol=1e-8 if dtype == np.float64 else 1e-4,
        )
    else:
        assert (cov > 0).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_bit_identical_for_any_thread_count(covariance_type, dtype):
    X = blobs(n=5000, d=5, seed=13, dtype=dtype)  # many chunks
    fits = [_fit(X, covariance_type, n_threads=t) for t in (1, 2, 3, 7)]
    for other in fits[1:]:
        for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
            np.testing.assert_array_equal(getattr(fits[0], name), getattr(other, name))
        assert fits[0].lower_bounds_ == other.lower_bounds_


@pytest.mark.parametrize("n_threads", [1, 2, 7], ids=lambda t: f"threads={t}")
def test_predictions_identical_for_any_thread_count(n_threads):
    X = blobs(n=3000, seed=14)
    gm = _fit(X, "full", n_threads=1)
    ref = gm.score_samples(X), gm.predict_proba(X)
    gm.set_params(n_threads=n_threads)
    np.testing.assert_array_equal(gm.score_samples(X), ref[0])
    np.testing.assert_array_equal(gm.predict_proba(X), ref[1])


@pytest.mark.parametrize(
    "init_params", ["kmeans", "k-means++", "random", "random_from_data"]
)
def test_same_random_state_same_fit(init_params):
    X = blobs(n=800, seed=15)
    a = emclust.GaussianMixture(
        3, init_params=init_params, random_state=7, n_init=2
    ).fit(X)
    b = emclust.GaussianMixture(
        3, init_params=init_params, random_state=7, n_init=2
    ).fit(X)
    np.testing.assert_array_equal(a.means_, b.means_)
    np.testing.assert_array_equal(a.covariances_, b.covariances_)
    assert a.lower_bound_ == b.lower_bound_
    assert a.converged_


def test_n_init_keeps_the_best_restart():
    X = blobs(n=600, k=4, seed=16)
    # restart r uses the random stream r, so restart 0 of both fits is the same
    single = emclust.GaussianMixture(4, init_params="random_from_data", random_state=3)
    best = emclust.GaussianMixture(
        4, init_params="random_from_data", random_state=3, n_init=6
    )
    single.fit(X)
    best.fit(X)
    assert best.lower_bound_ >= single.lower_bound_


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_float32_agrees_with_float64(covariance_type):
    X = blobs(n=2000, seed=17)
    a = _fit(X, covariance_type, max_iter=10)
    b = _fit(X.astype(np.float32), covariance_type, max_iter=10)
    np.testing.assert_allclose(b.means_, a.means_, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(b.covariances_, a.covariances_, rtol=1e-3, atol=1e-4)
    assert b.lower_bound_ == pytest.approx(a.lower_bound_, rel=1e-5)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_large_offset_float32(covariance_type):
    """Values near 1e4 with unit spread: shifted sums keep float32 accurate,
    where raw second moments (1e8 - 1e8) would lose every digit."""
    X = blobs(n=3000, seed=18)
    far = (X + 1e4).astype(np.float32)
    init = initial_params(X, 3, covariance_type)
    init_far = dict(init, means_init=init["means_init"] + 1e4)
    kw = dict(covariance_type=covariance_type, tol=0.0, max_iter=10)
    near = emclust.GaussianMixture(3, **kw, **init)
    shifted = emclust.GaussianMixture(3, **kw, **init_far)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emclust.ConvergenceWarning)
        near.fit(X)
        shifted.fit(far)
    cov = np.asarray(shifted.covariances_)
    variances = (
        np.diagonal(cov, axis1=-2, axis2=-1)
        if cov.ndim >= 2 and covariance_type != "diag"
        else cov
    )
    assert (variances > 0).all()
    np.testing.assert_allclose(shifted.means_ - 1e4, near.means_, atol=5e-3)
    np.testing.assert_allclose(
        shifted.covariances_, near.covariances_, rtol=2e-2, atol=2e-3
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_singleton_and_duplicate_clusters_stay_finite(covariance_type):
    X = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [10.0, 10.0], [5.0, -3.0]])
    gm = emclust.GaussianMixture(
        3,
        covariance_type=covariance_type,
        means_init=X[[0, 3, 4]],
        tol=1e-8,
        max_iter=50,
    )
    # Two components on one row each: the singular rule (issue 23) flags it,
    # except for tied, whose one shared covariance is well estimated.
    if covariance_type == "tied":
        gm.fit(X)
        assert gm.status_ == "ok"
    else:
        with pytest.warns(emclust.exceptions.SingularCovarianceWarning):
            gm.fit(X)
        assert gm.status_ == "singular"
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert np.isfinite(getattr(gm, name)).all(), name
    np.testing.assert_array_equal(gm.predict(X), [0, 0, 0, 1, 2])
    np.testing.assert_allclose(gm.weights_, [0.6, 0.2, 0.2], atol=1e-6)
    if covariance_type == "full":
        # the collapsed and the singleton clusters get reg_covar * I; the other
        # rows' responsibilities are floored at e^-500 (never subnormal), so
        # the off-diagonal terms are ~1e-216 rather than exactly 0
        np.testing.assert_allclose(
            gm.covariances_[1], 1e-6 * np.eye(2), rtol=1e-6, atol=1e-200
        )
        np.testing.assert_allclose(
            gm.covariances_[0], 1e-6 * np.eye(2), rtol=1e-6, atol=1e-200
        )


def test_singular_covariance_without_regularisation_is_a_clear_error():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [10.0, 10.0]])
    gm = emclust.GaussianMixture(
        2, reg_covar=0.0, means_init=[[1.0, 1.0], [10.0, 10.0]]
    )
    with pytest.raises(ValueError, match="reg_covar"):
        gm.fit(X)


def test_empty_component_never_produces_nan():
    X = blobs(n=300, seed=19)
    far_mean = np.vstack(
        [initial_params(X, 2, "full")["means_init"], [[1e6, 1e6, 1e6]]]
    )
    gm = emclust.GaussianMixture(3, means_init=far_mean, max_iter=5, tol=0.0)
    with (
        pytest.warns(emclust.ConvergenceWarning),
        pytest.warns(emclust.exceptions.SingularCovarianceWarning),
    ):
        gm.fit(X)
    assert gm.status_ == "singular"  # the empty component
    assert np.isfinite(gm.means_).all() and np.isfinite(gm.covariances_).all()
    assert gm.weights_[2] < 1e-12


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_integer_sample_weight_equals_repeated_rows(covariance_type):
    X = blobs(n=400, seed=20)
    rng = np.random.default_rng(0)
    w = rng.integers(0, 4, X.shape[0])
    Xr = np.repeat(X, w, axis=0)
    init = initial_params(X, 3, covariance_type)
    kw = dict(covariance_type=covariance_type, tol=1e-8, max_iter=30, **init)
    a = emclust.GaussianMixture(3, **kw).fit(X, sample_weight=w)
    b = emclust.GaussianMixture(3, **kw).fit(Xr)
    assert a.n_iter_ == b.n_iter_
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(
            getattr(a, name), getattr(b, name), rtol=1e-9, atol=1e-12
        )
    assert a.lower_bound_ == pytest.approx(b.lower_bound_, rel=1e-10)
    assert a.bic(X, sample_weight=w) == pytest.approx(b.bic(Xr), rel=1e-10)
    assert a.aic(X, sample_weight=w) == pytest.approx(b.aic(Xr), rel=1e-10)
    assert a.score(X, sample_weight=w) == pytest.approx(b.score(Xr), rel=1e-10)


def test_zero_weight_rows_are_absent():
    X = blobs(n=300, seed=21)
    junk = np.full((7, X.shape[1]), 1e3)
    init = initial_params(X, 3, "full")
    a = emclust.GaussianMixture(3, **init, tol=1e-8).fit(X)
    b = emclust.GaussianMixture(3, **init, tol=1e-8).fit(
        np.vstack([X, junk]), sample_weight=np.r_[np.ones(len(X)), np.zeros(7)]
    )
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-10)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-10)


def test_fit_predict_equals_fit_then_predict():
    X = blobs(seed=22)
    a = emclust.GaussianMixture(3, random_state=0).fit_predict(X)
    b = emclust.GaussianMixture(3, random_state=0).fit(X).predict(X)
    np.testing.assert_array_equal(a, b)


def test_warm_start_continues_from_the_previous_fit():
    X = blobs(seed=23)
    init = initial_params(X, 3, "full")
    cold = emclust.GaussianMixture(3, **init, max_iter=20, tol=0.0)
    warm = emclust.GaussianMixture(3, **init, max_iter=10, tol=0.0, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emclust.ConvergenceWarning)
        cold.fit(X)
        warm.fit(X)
        warm.fit(X)
    np.testing.assert_allclose(warm.means_, cold.means_, rtol=1e-12)
    assert warm.lower_bounds_ == pytest.approx(cold.lower_bounds_[10:], rel=1e-13)


def test_max_iter_zero_returns_the_initialisation():
    X = blobs(seed=24)
    init = initial_params(X, 3, "diag")
    gm = emclust.GaussianMixture(3, covariance_type="diag", **init, max_iter=0).fit(X)
    np.testing.assert_array_equal(gm.means_, init["means_init"])
    np.testing.assert_allclose(gm.precisions_, init["precisions_init"], rtol=1e-14)
    assert gm.n_iter_ == 0 and not gm.converged_


def test_pickle_round_trip_and_params():
    X = blobs(seed=25)
    gm = emclust.GaussianMixture(3, covariance_type="tied", random_state=1).fit(X)
    again = pickle.loads(pickle.dumps(gm))
    np.testing.assert_array_equal(again.score_samples(X), gm.score_samples(X))
    np.testing.assert_equal(again.get_params(), gm.get_params())  # NaN == NaN
    assert "covariance_type='tied'" in repr(gm)
    sklearn_base = pytest.importorskip("sklearn.base")
    clone = sklearn_base.clone(gm)
    np.testing.assert_equal(clone.get_params(), gm.get_params())  # NaN == NaN
    assert not hasattr(clone, "means_")


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample_follows_the_mixture(covariance_type):
    X = blobs(seed=26)
    gm = _fit(X, covariance_type, max_iter=5)
    S, labels = gm.sample(20000)
    assert S.shape == (20000, 3) and labels.shape == (20000,)
    counts = np.bincount(labels, minlength=3) / 20000
    np.testing.assert_allclose(counts, gm.weights_, atol=0.02)
    for k in range(3):
        np.testing.assert_allclose(S[labels == k].mean(axis=0), gm.means_[k], atol=0.25)
