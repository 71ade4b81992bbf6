"""float32 data: the sufficient statistics are formed in double.

External fuzzing found a one-component full-covariance fit of float32 data
(265 rows, 4 features at scale ~270, sample weights, reg_covar 1e-7,
rank-deficient) that failed where the same values in float64 fit: the
per-tile scatter products and sums were formed in float32, an error of
eps32 * 270^2 ~ 4e-3 against a covariance eigenvalue of 1e-7.
"""

import warnings

import emclust
import numpy as np
import pytest
from emclust.exceptions import SingularCovarianceWarning


def rank_deficient(seed, n=265):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, 3)) @ rng.normal(size=(3, 4))
    X = A * 270 / A.std() + rng.normal(size=4) * 270
    X[:, 3] = X[:, 0]  # a duplicated feature: the scatter is singular
    return X.astype(np.float32), rng.uniform(0.1, 3.0, size=n)


def fit(X, w, covariance_type="full", **kw):
    return emclust.GaussianMixture(
        1, covariance_type=covariance_type, reg_covar=1e-7, random_state=0, **kw
    ).fit(X, sample_weight=w)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_rank_deficient_float32_fits_as_float64(seed, covariance_type):
    X, w = rank_deficient(seed)
    with warnings.catch_warnings():
        # Rounded to float32, the covariance (condition ~1e12) may lose its
        # positive definiteness: the fit then says it is singular (below).
        warnings.simplefilter("ignore", SingularCovarianceWarning)
        g32 = fit(X, w, covariance_type)  # raised "not positive definite" before
    g64 = fit(X.astype(np.float64), w, covariance_type)
    assert g32.means_.dtype == np.float32
    np.testing.assert_allclose(g32.means_, g64.means_, rtol=1e-6, atol=1e-4)
    c32 = np.asarray(g32.covariances_, dtype=np.float64).reshape(4, 4)
    c64 = g64.covariances_.reshape(4, 4)
    # float32 rounding of the entries, no more: float32 sums erred by ~1e-2.
    np.testing.assert_allclose(c32, c64, rtol=0, atol=4 * 2.0**-24 * np.abs(c64).max())
    # The fitted factor is what the float64 fit gives (its null direction has
    # precision ~1e7, set by reg_covar), up to float32 rounding.
    p32 = np.asarray(g32.precisions_cholesky_, dtype=np.float64).reshape(4, 4)
    p64 = g64.precisions_cholesky_.reshape(4, 4)
    np.testing.assert_allclose(p32, p64, rtol=1e-3, atol=1e-3 * np.abs(p64).max())
    assert np.isfinite(g32.score_samples(X)).all()
    assert g64.status_ == "ok"
    if np.linalg.eigvalsh(c32)[0] <= 0:
        assert g32.status_ == "singular"


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("d", [3, 8, 16, 20, 40])
def test_float32_statistics_are_float64_sums(covariance_type, d):
    # Far from the origin with a spread of 1, about a shift off the mean: a
    # float32 sum of (x - c)^2 erred by eps32 * |x - c|^2 per term. Formed in
    # double, the statistics of one component (every responsibility exactly
    # 1) equal the float64 statistics of the same values to double rounding.
    rng = np.random.default_rng(d)
    n = 3000
    X = (rng.normal(size=(n, d)) + 1000).astype(np.float32)
    w = rng.uniform(0.5, 2.0, size=n).astype(np.float32).astype(np.float64)
    means = np.full((1, d), 1000.0) + 0.37
    if covariance_type in ("full", "tied"):
        prec = np.eye(d)[None] if covariance_type == "full" else np.eye(d)
    elif covariance_type == "diag":
        prec = np.ones((1, d))
    else:
        prec = np.ones(1)
    s32, s64 = (
        emclust.gmm_statistics(
            Z, np.ones(1), means, prec, covariance_type, sample_weight=w
        )
        for Z in (X, X.astype(np.float64))
    )
    for a in ("resp_sum", "first", "second"):
        np.testing.assert_allclose(
            np.asarray(getattr(s32, a)),
            np.asarray(getattr(s64, a)),
            rtol=1e-12,
            atol=1e-12 * n,
            err_msg=a,
        )


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("d", [4, 24])
def test_float32_fit_is_bit_identical_across_thread_counts(covariance_type, d):
    rng = np.random.default_rng(1)
    X = (rng.normal(size=(20000, d)) * 270).astype(np.float32)
    X[:10000] += 500
    fits = [
        emclust.GaussianMixture(
            3, covariance_type=covariance_type, random_state=0, n_threads=t
        ).fit(X)
        for t in (1, 2, 3)
    ]
    for g in fits[1:]:
        for a in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
            np.testing.assert_array_equal(getattr(g, a), getattr(fits[0], a))
        assert g.lower_bound_ == fits[0].lower_bound_
