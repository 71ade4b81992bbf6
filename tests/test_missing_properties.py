"""Property tests (hypothesis) of the missing-value paths over random
missingness patterns, covariance types, dtypes and weights: one EM iteration
through the public statistics API, cut into random chunks, equals the
pure-NumPy reference; each row's log-likelihood is the mixture of its
observed coordinates' marginals, summed by hand with scipy.stats; integer
weights count rows; the statistics have the same bits for any thread count;
float32 follows float64; impute leaves observed entries alone; the Bernoulli
statistics equal their reference; a feature or a row with nothing observed
is an error that names it."""

import emclust
import numpy as np
import pytest
from emclust.models.gaussian import gmm_statistics, infer
from emclust.reference import bernoulli_missing, gmm_missing, precision_cholesky
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
RTOL = 1e-10

cases = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**32 - 1),
        "k": st.integers(1, 3),
        "d": st.integers(1, 5),
        "n": st.integers(12, 120),
        "fraction": st.sampled_from([0.0, 0.1, 0.3, 0.6, 0.9]),
        "covariance_type": st.sampled_from(COVARIANCE_TYPES),
        "weighted": st.booleans(),
    }
)


def _problem(case):
    """Rows drawn from a random mixture with the case's holes (every row
    keeps one entry, every feature is observed somewhere), the mixture's
    parameters in the case's covariance type, and sample weights or None."""
    rng = np.random.default_rng(case["seed"])
    k, d, n, t = case["k"], case["d"], case["n"], case["covariance_type"]
    weights = rng.dirichlet(np.full(k, 3.0))
    means = rng.normal(scale=3.0, size=(k, d))
    a = rng.normal(size=(k, d, d))
    full = a @ np.swapaxes(a, 1, 2) / d + 0.5 * np.eye(d)
    covariances = {
        "full": full,
        "tied": full[0],
        "diag": np.diagonal(full, axis1=1, axis2=2).copy(),
        "spherical": np.diagonal(full, axis1=1, axis2=2).mean(axis=1),
    }[t]
    dense = gmm_missing.full_covariances(covariances, t, k, d)
    z = rng.choice(k, size=n, p=weights)
    X = np.array([rng.multivariate_normal(means[c], dense[c]) for c in z])
    holes = rng.random((n, d)) < case["fraction"]
    holes[np.arange(n), rng.integers(0, d, n)] = False
    holes[rng.integers(0, n, d), np.arange(d)] = False
    X[holes] = np.nan
    w = rng.uniform(0, 3, n) if case["weighted"] else None
    return X, weights, means, covariances, w, rng


def _statistics(X, weights, means, covariances, t, w, rng, n_threads=None):
    """The sum of the statistics of X cut into random chunks."""
    chol = precision_cholesky(covariances, t)
    cuts = np.sort(rng.choice(np.arange(1, X.shape[0]), 2, replace=False))
    total = 0
    for rows in np.split(np.arange(X.shape[0]), cuts):
        total = total + gmm_statistics(
            X[rows],
            weights,
            means,
            chol,
            t,
            sample_weight=None if w is None else w[rows],
            n_threads=n_threads,
        )
    return total


@settings(max_examples=40, deadline=None)
@given(case=cases)
def test_one_iteration_equals_reference(case):
    X, weights, means, covariances, w, rng = _problem(case)
    t = case["covariance_type"]
    stats = _statistics(X, weights, means, covariances, t, w, rng)
    got = stats.m_step(reg_covar=1e-6)
    want = gmm_missing.m_step(X, weights, means, covariances, t, 1e-6, w)
    assert_allclose(stats.lower_bound, want[3], rtol=RTOL)
    # Absolute floors at the data's scale, for entries that cancel to ~0.
    scale = 1.0 + np.nanmax(np.abs(X))
    assert_allclose(got[0], want[0], rtol=RTOL, atol=1e-14)
    assert_allclose(got[1], want[1], rtol=RTOL, atol=RTOL * scale)
    assert_allclose(got[2], want[2], rtol=RTOL, atol=RTOL * scale**2)


@settings(max_examples=30, deadline=None)
@given(case=cases)
def test_log_likelihood_is_the_marginal_by_hand(case):
    X, weights, means, covariances, _, _ = _problem(case)
    t, k, d = case["covariance_type"], case["k"], case["d"]
    dense = gmm_missing.full_covariances(covariances, t, k, d)
    want = []
    for x in X:
        o = ~np.isnan(x)
        want.append(
            logsumexp(
                [
                    np.log(weights[c])
                    + multivariate_normal(means[c, o], dense[c][np.ix_(o, o)]).logpdf(
                        x[o]
                    )
                    for c in range(k)
                ]
            )
        )
    chol = precision_cholesky(covariances, t)
    _, log_prob = infer(X, weights, means, chol, t, False, True, False, 1)
    assert_allclose(log_prob, want, rtol=RTOL)


@settings(max_examples=30, deadline=None)
@given(case=cases, repeats=st.lists(st.integers(0, 3), min_size=120, max_size=120))
def test_integer_weights_count_rows(case, repeats):
    X, weights, means, covariances, _, _ = _problem(case)
    t = case["covariance_type"]
    counts = np.array(repeats[: X.shape[0]], dtype=np.float64)
    counts[0] = max(counts[0], 1.0)  # a positive total
    chol = precision_cholesky(covariances, t)
    a = gmm_statistics(X, weights, means, chol, t, sample_weight=counts)
    b = gmm_statistics(
        np.repeat(X, counts.astype(int), axis=0), weights, means, chol, t
    )
    for name in ("resp_sum", "first", "second", "log_likelihood", "weight_sum"):
        assert_allclose(
            getattr(a, name), getattr(b, name), rtol=RTOL, atol=1e-12, err_msg=name
        )


@settings(max_examples=20, deadline=None)
@given(
    case=cases,
    dtype=st.sampled_from([np.float32, np.float64]),
    n=st.integers(300, 1500),
)
def test_same_bits_for_any_thread_count(case, dtype, n):
    X, weights, means, covariances, w, _ = _problem({**case, "n": n})
    t = case["covariance_type"]
    X = X.astype(dtype)
    chol = precision_cholesky(covariances, t)
    runs = [
        gmm_statistics(X, weights, means, chol, t, sample_weight=w, n_threads=threads)
        for threads in (1, 2, 5)
    ]
    for other in runs[1:]:
        for name in ("resp_sum", "first", "second"):
            assert_array_equal(getattr(other, name), getattr(runs[0], name))
        assert other.log_likelihood == runs[0].log_likelihood
    resp = [
        infer(X, weights, means, chol, t, True, True, False, threads)
        for threads in (1, 3)
    ]
    assert_array_equal(resp[0][0], resp[1][0])
    assert_array_equal(resp[0][1], resp[1][1])


@settings(max_examples=30, deadline=None)
@given(case=cases)
def test_float32_follows_float64(case):
    X, weights, means, covariances, w, _ = _problem(case)
    t = case["covariance_type"]
    chol = precision_cholesky(covariances, t)
    a = gmm_statistics(X, weights, means, chol, t, sample_weight=w)
    b = gmm_statistics(X.astype(np.float32), weights, means, chol, t, sample_weight=w)
    assert b.dtype == "float32"
    scale = a.weight_sum * (1.0 + np.nanmax(np.abs(X))) ** 2
    assert_allclose(b.log_likelihood, a.log_likelihood, rtol=1e-4, atol=1e-4 * scale)
    assert_allclose(b.resp_sum, a.resp_sum, rtol=1e-3, atol=1e-4 * a.weight_sum)
    assert_allclose(b.first, a.first, rtol=1e-3, atol=1e-4 * scale)
    assert_allclose(b.second, a.second, rtol=1e-3, atol=1e-4 * scale)


# The generated problems include a dozen rows for three components, whose fit
# the singular rule rightly flags (emclust.models.singular); imputation from
# that fit must still fill only the holes, as the reference does.
@pytest.mark.filterwarnings("ignore::emclust.exceptions.SingularCovarianceWarning")
@settings(max_examples=30, deadline=None)
@given(case=cases)
def test_impute_fills_only_the_holes(case):
    X, weights, means, covariances, _, _ = _problem(case)
    t = case["covariance_type"]
    gm = emclust.GaussianMixture(
        case["k"],
        covariance_type=t,
        weights_init=weights,
        means_init=means,
        precisions_init=np.linalg.inv(covariances)
        if t in ("full", "tied")
        else 1.0 / covariances,
        max_iter=1,
    )
    with pytest.warns(emclust.ConvergenceWarning):
        gm.fit(X)
    filled = gm.impute(X)
    observed = ~np.isnan(X)
    assert np.isfinite(filled).all()
    assert_array_equal(filled[observed], X[observed])
    want = gmm_missing.impute(X, gm.weights_, gm.means_, gm.covariances_, t)
    assert_allclose(filled, want, rtol=RTOL, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(case=cases, alpha=st.sampled_from([0.0, 1e-3, 0.5]))
def test_bernoulli_iteration_equals_reference(case, alpha):
    rng = np.random.default_rng(case["seed"])
    k, d, n = case["k"], case["d"], case["n"]
    theta = rng.uniform(0.05, 0.95, (k, d))
    weights = rng.dirichlet(np.full(k, 3.0))
    X = (rng.random((n, d)) < theta[rng.choice(k, n, p=weights)]).astype(float)
    holes = rng.random((n, d)) < case["fraction"]
    holes[np.arange(n), rng.integers(0, d, n)] = False
    X[holes] = np.nan
    w = rng.uniform(0, 3, n) if case["weighted"] else None
    half = n // 2
    stats = emclust.bernoulli_statistics(
        X[:half], weights, theta, sample_weight=None if w is None else w[:half]
    ) + emclust.bernoulli_statistics(
        X[half:], weights, theta, sample_weight=None if w is None else w[half:]
    )
    resp, log_prob = bernoulli_missing.e_step(X, weights, theta)
    want_w, want_t = bernoulli_missing.m_step(X, resp, alpha, w)
    got_w, got_t = stats.m_step(alpha=alpha)
    assert_allclose(got_w, want_w, rtol=RTOL)
    assert_allclose(got_t, want_t, rtol=RTOL)
    ww = np.ones(n) if w is None else w
    assert_allclose(stats.lower_bound, ww @ log_prob / ww.sum(), rtol=RTOL)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    d=st.integers(2, 5),
    dtype=st.sampled_from([np.float32, np.float64]),
    model=st.sampled_from(["gmm", "bernoulli"]),
)
def test_nothing_observed_is_named(seed, d, dtype, model):
    rng = np.random.default_rng(seed)
    X = (rng.random((30, d)) < 0.5).astype(dtype)
    est = (
        emclust.GaussianMixture(2, random_state=0)
        if model == "gmm"
        else emclust.BernoulliMixture(2, random_state=0)
    )
    column, row = int(rng.integers(0, d)), int(rng.integers(0, 30))
    no_column = X.copy()
    no_column[:, column] = np.nan
    with pytest.raises(ValueError, match=f"feature {column} of X is missing in every"):
        est.fit(no_column)
    no_row = X.copy()
    no_row[row] = np.nan
    with pytest.raises(ValueError, match=f"row {row} of X has every entry missing"):
        est.fit(no_row)
