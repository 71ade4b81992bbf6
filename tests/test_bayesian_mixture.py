"""emclust.BayesianGaussianMixture against scikit-learn's: the same state
continued 20 iterations, the priors, quality, sample_weight, thread counts,
Dask and bad input."""

import warnings

import emclust
import numpy as np
import pytest
from emclust import BayesianGaussianMixture
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture as SkBGM

PRIOR_TYPES = ("dirichlet_process", "dirichlet_distribution")
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
STATE = (
    "weight_concentration_",
    "mean_precision_",
    "means_",
    "degrees_of_freedom_",
    "covariances_",
    "precisions_cholesky_",
)
PRIORS = (
    "weight_concentration_prior_",
    "mean_precision_prior_",
    "mean_prior_",
    "degrees_of_freedom_prior_",
    "covariance_prior_",
)
FITTED = STATE + PRIORS + ("weights_", "precisions_", "lower_bound_")


def _blobs(n=200, d=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0] * d, [6.0] * d, [-6.0, 6.0] + [0.0] * (d - 2)])
    X = np.vstack([rng.normal(c, 1.0, (n, d)) for c in centers])
    return X @ rng.normal(size=(d, d)) * 0.5 + 3.0


def _close(a, b, rtol):
    # ravel: scikit-learn keeps the tied lower bounds as arrays of shape (1,)
    a, b = np.asarray(a, float), np.asarray(b, float)
    np.testing.assert_allclose(
        a.reshape(b.shape) if a.size == b.size else a, b, rtol=rtol
    )


@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_continues_sklearn_state_exactly(prior_type, covariance_type):
    X = _blobs()
    params = dict(
        n_components=6,
        covariance_type=covariance_type,
        weight_concentration_prior_type=prior_type,
        tol=0.0,
        random_state=0,
    )
    sk = SkBGM(max_iter=3, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk.fit(X)
    ours = BayesianGaussianMixture(max_iter=20, warm_start=True, **params)
    for name in (*STATE, "lower_bound_", "converged_"):
        setattr(ours, name, getattr(sk, name))
    sk.set_params(max_iter=20, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk.fit(X)
        ours.fit(X)
    assert ours.n_iter_ == sk.n_iter_ == 20
    for name in FITTED:
        _close(getattr(ours, name), getattr(sk, name), 1e-8)
    _close(ours.lower_bounds_, sk.lower_bounds_, 1e-8)
    _close(ours.predict_proba(X), sk.predict_proba(X), 1e-8)
    _close(ours.score_samples(X), sk.score_samples(X), 1e-8)
    np.testing.assert_array_equal(ours.predict(X), sk.predict(X))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_priors_from_X_and_parameters_match_sklearn(covariance_type):
    X = _blobs(d=2)
    cov_prior = {"full": np.eye(2), "tied": np.eye(2), "diag": [1.0, 2.0]}
    params = dict(
        n_components=3,
        covariance_type=covariance_type,
        max_iter=2,
        weight_concentration_prior=0.3,
        mean_prior=[1.0, -1.0],
        degrees_of_freedom_prior=4.0,
        covariance_prior=cov_prior.get(covariance_type, 1.5),
    )
    for p in (params, {"n_components": 3, "covariance_type": covariance_type}):
        p = dict(p, max_iter=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            sk = SkBGM(**p).fit(X)
            ours = BayesianGaussianMixture(**p).fit(X)
        for name in PRIORS:
            _close(getattr(ours, name), getattr(sk, name), 1e-12)


def test_quality_empties_unneeded_components():
    X = _blobs(n=500, d=2, seed=3)
    est = BayesianGaussianMixture(
        n_components=12, weight_concentration_prior=0.01, max_iter=500, random_state=0
    ).fit(X)
    assert int(np.sum(est.weights_ > 0.02)) == 3
    assert est.converged_


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_integer_sample_weight_equals_repeated_rows(covariance_type):
    X = _blobs(n=60)
    w = np.random.default_rng(4).integers(0, 4, X.shape[0])
    Xr = np.repeat(X, w, axis=0)
    params = dict(
        n_components=3,
        covariance_type=covariance_type,
        init_params="random_from_data",
        random_state=0,
        max_iter=10,
        tol=0.0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = BayesianGaussianMixture(**params).fit(Xr)
        a = BayesianGaussianMixture(**params, warm_start=True)
        b = BayesianGaussianMixture(**params, warm_start=True)
        for est in (a, b):
            for name in (*STATE, "lower_bound_", "converged_"):
                setattr(est, name, getattr(start, name))
        a.fit(X, sample_weight=w.astype(float))
        b.fit(Xr)
    for name in FITTED:
        _close(getattr(a, name), getattr(b, name), 1e-9)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_bit_identical_for_any_thread_count():
    X = _blobs(n=3000, d=4).astype(np.float32)
    fits = [
        BayesianGaussianMixture(
            n_components=5, random_state=1, max_iter=30, n_threads=t
        ).fit(X)
        for t in (1, 2, 3)
    ]
    for other in fits[1:]:
        for name in FITTED:
            np.testing.assert_array_equal(
                np.asarray(getattr(other, name)), np.asarray(getattr(fits[0], name))
            )


def test_dask_fit_equals_in_memory_fit():
    da = pytest.importorskip("dask.array")
    X = _blobs(n=300)
    params = dict(n_components=4, max_iter=15, tol=0.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = BayesianGaussianMixture(**dict(params, max_iter=1)).fit(X)
        a = BayesianGaussianMixture(**params, warm_start=True)
        b = BayesianGaussianMixture(**params, warm_start=True)
        for est in (a, b):
            for name in (*STATE, "lower_bound_", "converged_"):
                setattr(est, name, getattr(start, name))
        a.fit(X)
        b.fit(da.from_array(X, chunks=(170, 3)))
        cold = BayesianGaussianMixture(**params).fit(da.from_array(X, chunks=(170, 3)))
    for name in FITTED:
        _close(getattr(b, name), getattr(a, name), 1e-10)
    assert cold.weights_.shape == (4,)
    _close(
        b.predict_proba(da.from_array(X, chunks=(170, 3))).compute(),
        a.predict_proba(X),
        1e-10,
    )


def test_exported_and_sample():
    assert emclust.BayesianGaussianMixture is BayesianGaussianMixture
    est = BayesianGaussianMixture(n_components=3, random_state=0).fit(_blobs())
    Xs, ys = est.sample(50)
    assert Xs.shape == (50, 3) and ys.shape == (50,)
    assert np.isfinite(est.score(Xs))


@pytest.mark.parametrize(
    ("params", "name"),
    [
        (
            {"weight_concentration_prior_type": "beta"},
            "weight_concentration_prior_type",
        ),
        ({"covariance_prior": -np.eye(3)}, "covariance_prior"),
        ({"covariance_prior": np.ones((3, 3))}, "covariance_prior"),
        ({"degrees_of_freedom_prior": 2.0}, "degrees_of_freedom_prior"),
        ({"mean_prior": [0.0, 1.0]}, "mean_prior"),
        ({"weight_concentration_prior": 0.0}, "weight_concentration_prior"),
    ],
)
def test_bad_parameters_name_the_argument(params, name):
    with pytest.raises(ValueError, match=name):
        BayesianGaussianMixture(n_components=2, **params).fit(_blobs(n=20))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_X_is_a_value_error_naming_X(bad):
    X = _blobs(n=20)
    X[3, 1] = bad
    with pytest.raises(ValueError, match="X"):
        BayesianGaussianMixture(n_components=2).fit(X)


@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_model_file_round_trip(tmp_path, prior_type, covariance_type):
    X = _blobs(n=50)
    est = BayesianGaussianMixture(
        n_components=3,
        covariance_type=covariance_type,
        weight_concentration_prior_type=prior_type,
        random_state=0,
    ).fit(X)
    path = tmp_path / "model.json"
    est.save(path)
    back = emclust.load(path)
    assert type(back) is BayesianGaussianMixture
    for name in FITTED:
        # precisions_ is recomputed from the factors: equal up to rounding.
        _close(getattr(back, name), getattr(est, name), 1e-14 * (name == "precisions_"))
    np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))
    np.testing.assert_array_equal(back.score_samples(X), est.score_samples(X))
    # The state a file holds continues as the saved model does.
    more = dict(warm_start=True, max_iter=3, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = est.set_params(**more).fit(X)
        b = back.set_params(**more).fit(X)
    _close(a.lower_bound_, b.lower_bound_, 1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_partial_fit_two_passes_find_the_batch_clusters(covariance_type):
    X = _blobs(n=8000, d=3, seed=5)
    X = X[np.random.default_rng(6).permutation(X.shape[0])]
    params = dict(n_components=3, covariance_type=covariance_type, random_state=0)
    batch = BayesianGaussianMixture(**params).fit(X)
    online = BayesianGaussianMixture(**params, total_samples=X.shape[0])
    for _ in range(2):
        for chunk in np.array_split(X, 40):
            online.partial_fit(chunk)
    assert online.n_iter_ == 80 and len(online.lower_bounds_) == 80
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(batch.predict(X), online.predict(X)) > 0.99
    assert abs(online.score(X) - batch.score(X)) < 0.01 * abs(batch.score(X))


def test_partial_fit_refuses_a_changed_model():
    X = _blobs(n=50)
    est = BayesianGaussianMixture(n_components=2, random_state=0).partial_fit(X)
    est.set_params(n_components=3)
    with pytest.raises(ValueError, match="n_components"):
        est.partial_fit(X)
