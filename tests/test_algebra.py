"""Mixture algebra (seed 001): moments of a Gaussian mixture and the mixture
of a sum of two independent ones."""

import emclust
import numpy as np
import pytest


def random_mixture(k, d, seed, offset=0.0):
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(k, 2.0))
    means = rng.normal(offset, 3.0, size=(k, d))
    a = rng.normal(size=(k, d, d))
    covariances = a @ np.swapaxes(a, 1, 2) + 0.5 * np.eye(d)
    return weights, means, covariances


def seed_formula_moments(weights, means, covariances):
    """E[x] = Σ π_k μ_k; Cov[x] = Σ π_k (Σ_k + μ_k μ_kᵀ) - E[x]E[x]ᵀ, literally."""
    mean = sum(w * m for w, m in zip(weights, means))
    second = sum(
        w * (c + np.outer(m, m)) for w, m, c in zip(weights, means, covariances)
    )
    return mean, second - np.outer(mean, mean)


@pytest.mark.parametrize("k,d", [(1, 1), (3, 2), (5, 4)], ids=lambda v: str(v))
def test_moments_equal_the_closed_form(k, d):
    mix = random_mixture(k, d, seed=k + d)
    mean, cov = emclust.mixture_moments(*mix)
    mean_exp, cov_exp = seed_formula_moments(*mix)
    np.testing.assert_allclose(mean, mean_exp, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(cov, cov_exp, rtol=1e-12, atol=1e-12)
    assert np.array_equal(cov, cov.T)


def test_moments_far_from_the_origin_do_not_cancel():
    # Means at 1e8 with unit spread: the seed's raw form E[xxᵀ] - E[x]E[x]ᵀ
    # loses every digit in double; the centred form keeps them.
    weights = np.array([0.5, 0.5])
    means = np.array([[1e8 - 1.0], [1e8 + 1.0]])
    covariances = np.array([[[1.0]], [[1.0]]])
    mean, cov = emclust.mixture_moments(weights, means, covariances)
    assert mean[0] == 1e8
    assert cov[0, 0] == 2.0  # 1 within + 1 between


def test_moments_against_monte_carlo():
    mix = random_mixture(4, 3, seed=1)
    gm = emclust.GaussianMixture.from_parameters(*mix, random_state=0)
    mean, cov = gm.moments()
    n = 400_000
    X, _ = gm.sample(n)
    # Standard errors: of the mean sqrt(diag Cov / n); of a covariance entry
    # at most sqrt(Var[(x_i - m_i)(x_j - m_j)] / n), estimated from the sample.
    se_mean = np.sqrt(np.diag(cov) / n)
    assert (np.abs(X.mean(axis=0) - mean) < 5 * se_mean).all()
    centred = X - mean
    products = centred[:, :, None] * centred[:, None, :]
    se_cov = products.std(axis=0) / np.sqrt(n)
    assert (np.abs(products.mean(axis=0) - cov) < 5 * se_cov).all()


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_moments_of_every_covariance_type(covariance_type):
    rng = np.random.default_rng(4)
    k, d = 3, 2
    X = np.vstack([rng.normal(c, 1.0, size=(100, d)) for c in (-5, 0, 5)])
    gm = emclust.GaussianMixture(3, covariance_type=covariance_type, random_state=0)
    gm.fit(X)
    full = emclust.models.algebra.full_covariances(
        gm.covariances_, covariance_type, k, d
    )
    mean_exp, cov_exp = seed_formula_moments(gm.weights_, gm.means_, full)
    mean, cov = gm.moments()
    np.testing.assert_allclose(mean, mean_exp, rtol=1e-12)
    np.testing.assert_allclose(cov, cov_exp, rtol=1e-10)
    np.testing.assert_allclose(
        emclust.mixture_moments(
            gm.weights_, gm.means_, gm.covariances_, covariance_type
        )[1],
        cov,
        rtol=1e-15,
    )


def test_sum_of_mixtures_structure():
    a = random_mixture(2, 3, seed=5)
    b = random_mixture(3, 3, seed=6)
    w, m, c = emclust.sum_of_mixtures(a, b)
    assert w.shape == (6,) and m.shape == (6, 3) and c.shape == (6, 3, 3)
    assert w.sum() == pytest.approx(1.0, rel=1e-15)
    for i in range(2):
        for j in range(3):
            kk = i * 3 + j
            assert w[kk] == a[0][i] * b[0][j]
            np.testing.assert_array_equal(m[kk], a[1][i] + b[1][j])
            np.testing.assert_array_equal(c[kk], a[2][i] + b[2][j])


def test_moments_of_a_sum_are_sums_of_moments():
    # Independence: E[x + y] = E[x] + E[y], Cov[x + y] = Cov[x] + Cov[y].
    a = random_mixture(3, 2, seed=7)
    b = random_mixture(4, 2, seed=8)
    mean, cov = emclust.mixture_moments(*emclust.sum_of_mixtures(a, b))
    (ma, ca), (mb, cb) = emclust.mixture_moments(*a), emclust.mixture_moments(*b)
    np.testing.assert_allclose(mean, ma + mb, rtol=1e-12)
    np.testing.assert_allclose(cov, ca + cb, rtol=1e-12)


def test_density_of_the_sum_is_the_convolution_1d():
    a = (np.array([0.3, 0.7]), np.array([[-2.0], [1.5]]), np.array([[[0.4]], [[1.0]]]))
    b = (
        np.array([0.5, 0.2, 0.3]),
        np.array([[0.0], [3.0], [-1.0]]),
        np.array([[[0.25]], [[0.5]], [[2.0]]]),
    )
    gm_a = emclust.GaussianMixture.from_parameters(*a)
    gm_b = emclust.GaussianMixture.from_parameters(*b)
    gm_sum = gm_a + gm_b
    assert gm_sum.n_components == 6
    # Numerical convolution p_z(z) = ∫ p_a(t) p_b(z - t) dt on a fine grid
    # (the densities are smooth and negligible beyond ±15: the trapezoid rule
    # is then accurate to far below the tolerance).
    h = 0.005
    t = np.arange(-20.0, 20.0 + h / 2, h)
    pa = np.exp(gm_a.score_samples(t[:, None]))
    pb = np.exp(gm_b.score_samples(t[:, None]))
    conv = np.convolve(pa, pb) * h  # on the grid 2 t[0] + h * i
    z_grid = 2 * t[0] + h * np.arange(conv.size)
    z = np.linspace(-8.0, 10.0, 37)
    idx = np.rint((z - z_grid[0]) / h).astype(int)
    np.testing.assert_allclose(z_grid[idx], z, atol=1e-9)
    expected = conv[idx]
    np.testing.assert_allclose(
        np.exp(gm_sum.score_samples(z[:, None])), expected, rtol=1e-6, atol=1e-12
    )


def test_convolve_returns_a_usable_mixture():
    a = random_mixture(2, 2, seed=9)
    b = random_mixture(2, 2, seed=10)
    gm_a = emclust.GaussianMixture.from_parameters(*a, random_state=1)
    gm_b = emclust.GaussianMixture.from_parameters(*b)
    s = gm_a.convolve(gm_b)
    t = gm_a + gm_b
    np.testing.assert_array_equal(s.means_, t.means_)
    X, y = s.sample(1000)
    assert X.shape == (1000, 2) and y.max() < 4
    assert s.predict(X).shape == (1000,)
    w, _, c = emclust.sum_of_mixtures(a, b)
    np.testing.assert_array_equal(s.weights_, w)
    np.testing.assert_allclose(s.precisions_, np.linalg.inv(c), rtol=1e-10)


def test_from_parameters_scores_like_a_fit():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(300, 3))
    gm = emclust.GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)
    again = emclust.GaussianMixture.from_parameters(
        gm.weights_, gm.means_, gm.covariances_, "diag"
    )
    np.testing.assert_allclose(
        again.precisions_cholesky_, gm.precisions_cholesky_, rtol=1e-14
    )
    np.testing.assert_array_equal(again.score_samples(X), gm.score_samples(X))


@pytest.mark.parametrize(
    "call,error,match",
    [
        (
            lambda: emclust.sum_of_mixtures(
                random_mixture(2, 2, 0), random_mixture(2, 3, 1)
            ),
            ValueError,
            "a has 2 features but b has 3",
        ),
        (
            lambda: emclust.mixture_moments(
                [0.5, 0.6], np.zeros((2, 1)), np.ones((2, 1, 1))
            ),
            ValueError,
            "weights must sum to 1",
        ),
        (
            lambda: emclust.mixture_moments(
                [0.5, 0.5], np.zeros((3, 1)), np.ones((2, 1, 1))
            ),
            ValueError,
            r"means must have shape \(n_components=2, n_features\)",
        ),
        (
            lambda: emclust.mixture_moments(
                [0.5, 0.5], np.zeros((2, 2)), np.ones((2, 1, 1))
            ),
            ValueError,
            r"covariances must have shape \(2, 2, 2\)",
        ),
        (
            lambda: emclust.sum_of_mixtures((1.0, 2.0), random_mixture(1, 1, 0)),
            TypeError,
            "a must be a tuple",
        ),
        (
            lambda: emclust.GaussianMixture.from_parameters(
                [1.0], [[0.0, 0.0]], [[[1.0, 2.0], [2.0, 1.0]]]
            ),
            ValueError,
            "positive definite|increase reg_covar",
        ),
        (
            lambda: emclust.GaussianMixture.from_parameters([1.0], [[0.0]], [[1.0]]),
            ValueError,
            r"covariances must have shape \(1, 1, 1\)",
        ),
        (
            lambda: (
                emclust.GaussianMixture.from_parameters([1.0], [[0.0]], [[[1.0]]]) + 1.0
            ),
            TypeError,
            "unsupported operand",
        ),
    ],
    ids=[
        "dimension-mismatch",
        "weights-sum",
        "means-shape",
        "covariances-shape",
        "not-a-tuple",
        "not-positive-definite",
        "from-parameters-shape",
        "add-a-float",
    ],
)
def test_bad_input_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_a_sum_can_be_saved_and_loaded(tmp_path):
    a = random_mixture(2, 2, seed=12)
    b = random_mixture(3, 2, seed=13)
    z = emclust.GaussianMixture.from_parameters(
        *a
    ) + emclust.GaussianMixture.from_parameters(*b)
    path = tmp_path / "z.json"
    z.save(path)
    back = emclust.load(path)
    X = np.random.default_rng(0).normal(size=(50, 2))
    np.testing.assert_array_equal(back.score_samples(X), z.score_samples(X))
