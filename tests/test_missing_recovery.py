"""Recovery: on data drawn from a known 3-component mixture with 20 % of the
entries missing completely at random, exact EM lands closer to the true
parameters than both dropping the incomplete rows and imputing column means.

The distance of a fit to the truth is, after matching components (the
permutation with the least mean error), the largest over components of
|mu_k - mu*_k| / sd plus |Sigma_k - Sigma*_k|_F / |Sigma*_k|_F, sd being the
data's overall standard deviation. Measured with the seed below (n = 3000,
d = 4, about 41 % of the rows complete): exact EM 0.153, drop rows 0.193,
mean imputation 1.63 (seeds 0 to 5 gave the same order every time).
"""

import itertools

import emclust
import numpy as np
import pytest

TRUE_WEIGHTS = np.array([0.3, 0.3, 0.4])
TRUE_MEANS = np.array(
    [[0.0, 0.0, 0.0, 0.0], [4.0, 4.0, 0.0, 2.0], [0.0, 4.0, 4.0, -2.0]]
)


def true_covariances():
    rng = np.random.default_rng(0)
    out = []
    for _ in range(3):
        a = rng.normal(size=(4, 4))
        out.append(a @ a.T / 4 + 0.5 * np.eye(4))
    return np.array(out)


def draw(n, rng):
    cov = true_covariances()
    z = rng.choice(3, size=n, p=TRUE_WEIGHTS)
    L = np.linalg.cholesky(cov)
    return TRUE_MEANS[z] + np.einsum("nij,nj->ni", L[z], rng.normal(size=(n, 4)))


def fit(X):
    gm = emclust.GaussianMixture(3, tol=1e-6, max_iter=500, n_init=5, random_state=0)
    gm.fit(X)
    return gm.means_, gm.covariances_


def distance(params, scale):
    means, cov = params
    truth = true_covariances()
    best = np.inf
    for perm in itertools.permutations(range(3)):
        m, c = means[list(perm)], cov[list(perm)]
        err = max(
            np.linalg.norm((m[k] - TRUE_MEANS[k]) / scale)
            + np.linalg.norm(c[k] - truth[k]) / np.linalg.norm(truth[k])
            for k in range(3)
        )
        best = min(best, err)
    return best


@pytest.fixture(scope="module")
def distances():
    rng = np.random.default_rng(2026)
    X = draw(3000, rng)
    holes = rng.random(X.shape) < 0.2
    holes[holes.all(axis=1), 0] = False
    Y = X.copy()
    Y[holes] = np.nan
    complete = ~np.isnan(Y).any(axis=1)
    scale = X.std()
    return {
        "exact EM": distance(fit(Y), scale),
        "drop rows": distance(fit(Y[complete]), scale),
        "mean imputation": distance(
            fit(np.where(np.isnan(Y), np.nanmean(Y, axis=0), Y)), scale
        ),
    }


def test_exact_em_beats_drop_rows(distances):
    assert distances["exact EM"] < distances["drop rows"], distances


def test_exact_em_beats_mean_imputation(distances):
    assert distances["exact EM"] < distances["mean imputation"], distances
