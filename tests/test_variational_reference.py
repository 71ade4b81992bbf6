"""The pure-NumPy variational reference against scikit-learn's
BayesianGaussianMixture: the priors it derives from X, and 20 iterations
continued from the same state."""

import numpy as np
import pytest
from emclust.reference import variational as vb
from sklearn.mixture import BayesianGaussianMixture

PRIORS = (
    "weight_concentration_prior",
    "mean_precision_prior",
    "mean_prior",
    "degrees_of_freedom_prior",
    "covariance_prior",
)
STATE = (
    "weight_concentration",
    "mean_precision",
    "means",
    "degrees_of_freedom",
    "covariances",
    "precisions_cholesky",
)


def _data():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(c, 1.0, (100, 3)) for c in (0.0, 5.0, 10.0)])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("prior_type", vb.PRIOR_TYPES)
@pytest.mark.parametrize("covariance_type", vb.COVARIANCE_TYPES)
def test_reference_continues_as_sklearn(prior_type, covariance_type):
    X = _data()
    sk = BayesianGaussianMixture(
        n_components=5,
        covariance_type=covariance_type,
        weight_concentration_prior_type=prior_type,
        max_iter=3,
        tol=0.0,
        random_state=0,
    ).fit(X)
    priors = vb.check_priors(X, covariance_type, 5)
    for name in PRIORS:
        np.testing.assert_allclose(priors[name], getattr(sk, name + "_"), rtol=1e-12)
    state = {name: getattr(sk, name + "_") for name in STATE}
    state, bounds, n_iter, _ = vb.fit(
        X, state, priors, covariance_type, prior_type, max_iter=20, tol=0.0
    )
    sk.set_params(warm_start=True, max_iter=20).fit(X)
    assert n_iter == 20
    for name in STATE:
        np.testing.assert_allclose(
            np.asarray(state[name]), np.asarray(getattr(sk, name + "_")), rtol=1e-10
        )
    np.testing.assert_allclose(bounds[-1], sk.lower_bound_, rtol=1e-10)
    np.testing.assert_allclose(
        vb.weights(state["weight_concentration"], prior_type), sk.weights_, rtol=1e-10
    )


def test_integer_weights_repeat_rows():
    X = _data()[::3]
    w = np.random.default_rng(1).integers(1, 4, X.shape[0]).astype(float)
    Xr = np.repeat(X, w.astype(int), axis=0)
    resp = np.random.default_rng(2).dirichlet(np.ones(4), X.shape[0])
    rr = np.repeat(resp, w.astype(int), axis=0)
    for ct in vb.COVARIANCE_TYPES:
        pw = vb.check_priors(X, ct, 4, sample_weight=w)
        pr = vb.check_priors(Xr, ct, 4)
        for name in PRIORS:
            np.testing.assert_allclose(pw[name], pr[name], rtol=1e-12)
        sw = vb.statistics(X, resp, ct, 1e-6, w)
        sr = vb.statistics(Xr, rr, ct, 1e-6)
        for a, b in zip(sw, sr):
            np.testing.assert_allclose(a, b, rtol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"mean_prior": [0.0, 1.0]}, "mean_prior"),
        ({"degrees_of_freedom_prior": 2.0}, "degrees_of_freedom_prior"),
        ({"covariance_prior": -np.eye(3)}, "covariance_prior"),
        ({"weight_concentration_prior": -1.0}, "weight_concentration_prior"),
    ],
)
def test_bad_priors_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        vb.check_priors(_data(), "full", 3, **kwargs)
