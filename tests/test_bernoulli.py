"""Mixture of Bernoullis: one EM step against the NumPy formula, recovery of a
known model, thread determinism, the reference EM, and the estimator API."""

import itertools

import emclust
import numpy as np
import pytest
from emclust.reference import bernoulli as ref

DTYPES = [np.float64, np.float32]
EPS = {
    np.float64: 10 * np.finfo(np.float64).eps,
    np.float32: 10 * np.finfo(np.float32).eps,
}
# float32 data is computed in float32 (the log-odds and the E-step's matrix
# product), so it agrees with the float64 formula to float32 precision only.
RTOL = {np.float64: 1e-12, np.float32: 2e-5}


def dtype_id(dtype):
    return f"dtype={np.dtype(dtype).name}"


def make_model(k=3, d=12, seed=0):
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0.05, 0.95, size=(k, d))
    weights = rng.dirichlet(np.full(k, 5.0))
    return weights, theta


def sample_model(weights, theta, n, seed=1):
    rng = np.random.default_rng(seed)
    z = rng.choice(len(weights), size=n, p=weights)
    return (rng.random((n, theta.shape[1])) < theta[z]).astype(np.float64), z


@pytest.fixture(scope="module")
def data():
    weights, theta = make_model()
    X, _ = sample_model(weights, theta, 3000)
    return X, weights, theta


def hand_em_step(X, weights, theta, alpha, sample_weight=None, eps=EPS[np.float64]):
    """Seed 001's E-step and M-step, written out in NumPy."""
    log_joint = np.log(weights) + X @ np.log(theta).T + (1 - X) @ np.log(1 - theta).T
    log_prob = np.logaddexp.reduce(log_joint, axis=1)
    gamma = np.exp(log_joint - log_prob[:, None])
    w = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    nk = (w[:, None] * gamma).sum(axis=0) + eps
    theta_new = ((w[:, None] * gamma).T @ X + alpha) / (nk[:, None] + 2 * alpha)
    theta_new = np.clip(theta_new, 1e-10, 1 - 1e-10)
    return nk / nk.sum(), theta_new, (w @ log_prob) / w.sum(), gamma, log_prob


def fit_one_step(X, weights, theta, alpha, **kw):
    bm = emclust.BernoulliMixture(
        len(weights),
        weights_init=weights,
        probabilities_init=theta,
        alpha=alpha,
        max_iter=1,
        tol=0.0,
        **kw,
    )
    with pytest.warns(emclust.ConvergenceWarning):
        return bm.fit(X)


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
@pytest.mark.parametrize("alpha", [0.0, 1e-3, 1.0], ids=lambda a: f"alpha={a}")
def test_one_em_step_equals_numpy_formula(data, dtype, alpha):
    X, weights, theta = data
    bm = fit_one_step(X.astype(dtype), weights, theta, alpha, n_threads=2)
    w_exp, theta_exp, lb_exp, _, _ = hand_em_step(
        X, weights, theta, alpha, eps=EPS[dtype]
    )
    assert bm.n_iter_ == 1
    np.testing.assert_allclose(bm.weights_, w_exp, rtol=RTOL[dtype])
    np.testing.assert_allclose(bm.probabilities_, theta_exp, rtol=RTOL[dtype])
    np.testing.assert_allclose(bm.lower_bound_, lb_exp, rtol=RTOL[dtype])


def test_one_em_step_with_sample_weight(data):
    X, weights, theta = data
    sw = np.random.default_rng(5).integers(0, 4, X.shape[0]).astype(np.float64)
    bm = emclust.BernoulliMixture(
        3, weights_init=weights, probabilities_init=theta, max_iter=1, tol=0.0
    )
    with pytest.warns(emclust.ConvergenceWarning):
        bm.fit(X, sample_weight=sw)
    w_exp, theta_exp, lb_exp, _, _ = hand_em_step(X, weights, theta, 1e-3, sw)
    np.testing.assert_allclose(bm.weights_, w_exp, rtol=1e-12)
    np.testing.assert_allclose(bm.probabilities_, theta_exp, rtol=1e-12)
    np.testing.assert_allclose(bm.lower_bound_, lb_exp, rtol=1e-12)


def test_integer_sample_weight_equals_repeated_rows(data):
    X, weights, theta = data
    sw = np.random.default_rng(6).integers(0, 3, X.shape[0])
    kw = dict(weights_init=weights, probabilities_init=theta, max_iter=5, tol=0.0)
    with pytest.warns(emclust.ConvergenceWarning):
        a = emclust.BernoulliMixture(3, **kw).fit(X, sample_weight=sw)
    with pytest.warns(emclust.ConvergenceWarning):
        b = emclust.BernoulliMixture(3, **kw).fit(np.repeat(X, sw, axis=0))
    np.testing.assert_allclose(a.probabilities_, b.probabilities_, rtol=1e-10)
    np.testing.assert_allclose(a.weights_, b.weights_, rtol=1e-10)
    np.testing.assert_allclose(a.lower_bounds_, b.lower_bounds_, rtol=1e-10)


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
def test_e_step_equals_numpy_formula(data, dtype):
    X, weights, theta = data
    bm = emclust.BernoulliMixture(3).fit(X[:50])  # then overwrite the parameters
    bm.weights_, bm.probabilities_ = weights, theta
    _, _, _, gamma, log_prob = hand_em_step(X, weights, theta, 0.0)
    Xd = X.astype(dtype)
    np.testing.assert_allclose(
        bm.predict_proba(Xd), gamma, rtol=RTOL[dtype], atol=1e-12
    )
    np.testing.assert_allclose(bm.score_samples(Xd), log_prob, rtol=RTOL[dtype])
    np.testing.assert_array_equal(bm.predict(X), gamma.argmax(axis=1))
    assert bm.score(X) == pytest.approx(log_prob.mean(), rel=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 1e-2], ids=lambda a: f"alpha={a}")
def test_fit_equals_reference_em(data, alpha):
    X, _, _ = data
    start_w, start_t = make_model(seed=9)
    with pytest.warns(emclust.ConvergenceWarning):
        bm = emclust.BernoulliMixture(
            3,
            weights_init=start_w,
            probabilities_init=start_t,
            alpha=alpha,
            max_iter=25,
            tol=0.0,
        ).fit(X)
    w, t, bounds, _ = ref.fit_em(X, start_w, start_t, alpha=alpha, max_iter=25, tol=0.0)
    np.testing.assert_allclose(bm.weights_, w, rtol=1e-10)
    np.testing.assert_allclose(bm.probabilities_, t, rtol=1e-10)
    np.testing.assert_allclose(bm.lower_bounds_, bounds, rtol=1e-12)


def test_reference_estimator_matches_native_from_same_start(data):
    X, _, _ = data
    start_w, start_t = make_model(seed=9)
    kw = dict(weights_init=start_w, probabilities_init=start_t, tol=1e-8, max_iter=500)
    r = ref.BernoulliMixture(3, **kw).fit(X)
    n = emclust.BernoulliMixture(3, **kw).fit(X)
    assert r.n_iter_ == n.n_iter_
    np.testing.assert_allclose(n.probabilities_, r.probabilities_, rtol=1e-9)
    np.testing.assert_allclose(n.score_samples(X), r.score_samples(X), rtol=1e-12)


def test_log_likelihood_never_decreases_without_smoothing(data):
    X, _, _ = data
    bm = emclust.BernoulliMixture(
        3, alpha=0.0, tol=1e-10, max_iter=300, random_state=0
    ).fit(X)
    lb = np.asarray(bm.lower_bounds_)
    assert len(lb) > 3
    assert (np.diff(lb) >= -1e-12 * np.abs(lb[1:])).all()


def best_permutation(theta_hat, theta):
    k = len(theta)
    return min(
        itertools.permutations(range(k)),
        key=lambda p: np.abs(theta_hat[list(p)] - theta).sum(),
    )


@pytest.mark.parametrize("init", ["k-means++", "random", "random_from_data"])
def test_recovers_known_theta(init):
    rng = np.random.default_rng(3)
    theta = np.where(rng.random((4, 40)) < 0.5, 0.85, 0.15)
    weights = np.array([0.4, 0.3, 0.2, 0.1])
    X, _ = sample_model(weights, theta, 20000, seed=4)
    bm = emclust.BernoulliMixture(4, init_params=init, n_init=3, random_state=0)
    bm.fit(X.astype(bool))
    assert bm.converged_
    perm = list(best_permutation(bm.probabilities_, theta))
    # Each theta is a mean over >= 2000 rows: standard error <= 0.008.
    np.testing.assert_allclose(bm.probabilities_[perm], theta, atol=0.04)
    np.testing.assert_allclose(bm.weights_[perm], weights, atol=0.02)


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
@pytest.mark.parametrize("n_threads", [2, 3, 5], ids=lambda t: f"threads={t}")
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_bit_identical_across_thread_counts(dtype, n_threads, weighted):
    weights, theta = make_model(k=5, d=64, seed=11)
    X, _ = sample_model(weights, theta, 9000, seed=12)  # 36 blocks, 36 chunks
    X = X.astype(dtype)
    sw = np.random.default_rng(2).random(X.shape[0]) if weighted else None

    def fit(t):
        kw = dict(n_init=2, max_iter=20, tol=0.0, random_state=7, n_threads=t)
        with pytest.warns(emclust.ConvergenceWarning):
            return emclust.BernoulliMixture(5, **kw).fit(X, sample_weight=sw)

    one, many = fit(1), fit(n_threads)
    np.testing.assert_array_equal(one.weights_, many.weights_)
    np.testing.assert_array_equal(one.probabilities_, many.probabilities_)
    np.testing.assert_array_equal(one.lower_bounds_, many.lower_bounds_)
    np.testing.assert_array_equal(one.predict_proba(X), many.predict_proba(X))
    np.testing.assert_array_equal(one.score_samples(X), many.score_samples(X))


def test_smoothing_keeps_theta_inside_the_open_interval():
    # Feature 0 is always 1, feature 1 always 0: the ML theta would be 1 and 0.
    X = np.zeros((200, 3))
    X[:, 0] = 1
    X[::2, 2] = 1
    bm = emclust.BernoulliMixture(1, alpha=0.5).fit(X)
    n = 200 + EPS[np.float64]
    np.testing.assert_allclose(
        bm.probabilities_[0], [200.5 / (n + 1), 0.5 / (n + 1), 100.5 / (n + 1)]
    )
    new = np.array([[0.0, 1.0, 1.0]])  # never seen: still a finite likelihood
    assert np.isfinite(bm.score_samples(new)).all()
    ml = emclust.BernoulliMixture(1, alpha=0.0).fit(X)
    assert ml.probabilities_[0, 0] == 1 - 1e-10
    assert ml.probabilities_[0, 1] == 1e-10
    assert np.isfinite(ml.score_samples(new)).all()


@pytest.mark.parametrize(
    "X_in",
    [
        np.array([[0, 1], [1, 1], [1, 0]], dtype=bool),
        np.array([[0, 1], [1, 1], [1, 0]], dtype=np.uint8),
        np.array([[0, 1], [1, 1], [1, 0]], dtype=np.int64),
        [[0, 1], [1, 1], [1, 0]],
    ],
    ids=["bool", "uint8", "int64", "list"],
)
def test_binary_dtypes_accepted(X_in):
    kw = dict(weights_init=[0.5, 0.5], probabilities_init=[[0.2, 0.7], [0.6, 0.4]])
    a = emclust.BernoulliMixture(2, **kw).fit(X_in)
    b = emclust.BernoulliMixture(2, **kw).fit(np.asarray(X_in, dtype=np.float64))
    np.testing.assert_array_equal(a.probabilities_, b.probabilities_)
    np.testing.assert_array_equal(a.score_samples(X_in), b.score_samples(X_in))


def test_max_iter_zero_returns_the_start(data):
    X, weights, theta = data
    bm = emclust.BernoulliMixture(
        3, weights_init=weights, probabilities_init=theta, max_iter=0
    ).fit(X)
    np.testing.assert_array_equal(bm.probabilities_, theta)
    np.testing.assert_array_equal(bm.weights_, weights)


def test_sample(data):
    X, weights, theta = data
    bm = fit_one_step(X, weights, theta, 1e-3, random_state=0)
    Xs, y = bm.sample(40000)
    assert Xs.shape == (40000, 12) and y.shape == (40000,)
    assert set(np.unique(Xs)) <= {0.0, 1.0}
    np.testing.assert_allclose(
        np.bincount(y, minlength=3) / 40000, bm.weights_, atol=0.015
    )
    np.testing.assert_allclose(
        Xs.mean(axis=0), bm.weights_ @ bm.probabilities_, atol=0.015
    )


def test_bic_aic(data):
    X, weights, theta = data
    bm = fit_one_step(X, weights, theta, 1e-3)
    ll = bm.score_samples(X).sum()
    p = 3 * 12 + 2
    assert bm.bic(X) == pytest.approx(-2 * ll + p * np.log(X.shape[0]), rel=1e-12)
    assert bm.aic(X) == pytest.approx(-2 * ll + 2 * p, rel=1e-12)


def test_get_params_and_clone():
    sklearn_base = pytest.importorskip("sklearn.base")
    bm = emclust.BernoulliMixture(4, alpha=0.1, init_params="random")
    c = sklearn_base.clone(bm)
    assert c.get_params() == bm.get_params()
    assert "alpha=0.1" in repr(bm)


def test_digits_fit():
    X, y = emclust.datasets.load_digits_binary()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert set(np.unique(X)) == {0, 1} and set(y) == set(range(10))
    bm = emclust.BernoulliMixture(10, n_init=2, random_state=0, tol=1e-6, max_iter=300)
    labels = bm.fit_predict(X)
    assert bm.converged_
    assert bm.probabilities_.shape == (10, 64)
    # Mostly pure clusters: the majority digit covers most of each cluster.
    purity = sum(np.bincount(y[labels == c]).max() for c in np.unique(labels)) / len(y)
    assert purity > 0.6
    # Better than one component, by BIC.
    one = emclust.BernoulliMixture(1).fit(X)
    assert bm.bic(X) < one.bic(X)


def test_load_faithful():
    X = emclust.datasets.load_faithful()
    assert X.shape == (272, 2) and X.dtype == np.float64


def test_save_and_load(tmp_path, data):
    X, _, _ = data
    bm = emclust.BernoulliMixture(3, random_state=0, n_threads=2).fit(X)
    bm.save(tmp_path / "bm.json")
    back = emclust.load(tmp_path / "bm.json")
    assert isinstance(back, emclust.BernoulliMixture)
    np.testing.assert_array_equal(back.probabilities_, bm.probabilities_)
    np.testing.assert_array_equal(back.score_samples(X), bm.score_samples(X))


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "missing"])
def test_float32_alpha_zero_keeps_theta_inside_the_unit_interval(missing):
    # A column that is all ones (or all zeros) in a component drives theta to
    # the clip bound; float32 stores theta in X's type, where 1 - 1e-10 is
    # 1.0f, which the E-step refuses. External fuzzing found this in 5 of 80
    # float32 cases with alpha=0.
    rng = np.random.default_rng(0)
    X = (rng.uniform(size=(100, 5)) < 0.5).astype(np.float32)
    X[:, 0], X[:, 1] = 1, 0
    if missing:
        X[::7, 3] = np.nan
    bm = emclust.BernoulliMixture(2, alpha=0.0, random_state=0).fit(X)
    theta = bm.probabilities_
    assert theta.dtype == np.float32
    assert ((theta > 0) & (theta < 1)).all()
    np.testing.assert_array_equal(theta[:, 0], np.float32(1 - 2.0**-24))
    np.testing.assert_array_equal(theta[:, 1], np.float32(2.0**-24))
    assert np.isfinite(bm.score_samples(X)).all()
    assert bm.predict(X).shape == (100,)
    # float64 keeps its bound of 1e-10.
    bm64 = emclust.BernoulliMixture(2, alpha=0.0, random_state=0).fit(X.astype(float))
    np.testing.assert_allclose(bm64.probabilities_[:, 0], 1 - 1e-10, rtol=0, atol=0)
