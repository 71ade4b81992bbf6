"""The worked examples of the seed documents, checked to the last digit.

Seed 000 works one E-step and one M-step of a two-component Gaussian mixture
by hand, once in 1-D and once in 2-D; seed 003 fits a single Gaussian by
maximum likelihood. The expected values are computed here in closed form:
densities with ``math.exp`` from the written-out Gaussian formula, M-step sums
in exact rational arithmetic (``fractions.Fraction``) from those
responsibilities. Nothing expected is computed by the code under test.
Implementations are compared to them at rtol 1e-12 (the exact values carry
~1e-16 relative error from ``math.exp``; the M-step's N_k + 10·eps guard
moves results by ~1e-15 relative).

The seeds' printed figures are checked as well. Most are correct roundings;
the ones that are wrong (not just rounded) are marked WRONG with the reason.
"""

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from numpy.testing import assert_allclose

RTOL = 1e-12
COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


# ---------------------------------------------------------------------------
# Closed-form helpers (independent of the code under test)


def normal_pdf_1d(x, mean, var):
    """N(x | mean, var) = exp(-(x - mean)² / (2 var)) / sqrt(2π var)."""
    return math.exp(-((x - mean) ** 2) / (2 * var)) / math.sqrt(2 * math.pi * var)


def normal_pdf_2d_identity(x, mean):
    """N(x | mean, I) in 2-D = exp(-‖x - mean‖² / 2) / (2π)."""
    squared = sum((Fraction(a) - Fraction(b)) ** 2 for a, b in zip(x, mean))
    return math.exp(-float(squared) / 2) / (2 * math.pi)


def exact_e_step(densities, weights):
    """γ_ik = π_k p_ik / Σ_j π_j p_ij and log p(x_i), from per-component densities."""
    resp, log_prob = [], []
    for row in densities:
        weighted = [w * p for w, p in zip(weights, row)]
        total = sum(weighted)
        resp.append([v / total for v in weighted])
        log_prob.append(math.log(total))
    return np.array(resp), np.array(log_prob)


def exact_m_step(points, resp):
    """M-step in exact rational arithmetic from float responsibilities.

    Returns N_k (list), means (list of vectors) and full covariances (list of
    matrices) as Fractions: N_k = Σ γ_ik, μ_k = Σ γ_ik x_i / N_k,
    Σ_k = Σ γ_ik (x_i - μ_k)(x_i - μ_k)ᵀ / N_k.
    """
    xs = [[Fraction(c) for c in p] for p in points]
    d = len(xs[0])
    nk, means, covs = [], [], []
    for k in range(len(resp[0])):
        g = [Fraction(row[k]) for row in resp]
        n = sum(g)
        mu = [sum(gi * x[j] for gi, x in zip(g, xs)) / n for j in range(d)]
        cov = [
            [
                sum(gi * (x[a] - mu[a]) * (x[b] - mu[b]) for gi, x in zip(g, xs)) / n
                for b in range(d)
            ]
            for a in range(d)
        ]
        nk.append(n)
        means.append(mu)
        covs.append(cov)
    return nk, means, covs


def shaped_covariances(nk, covs, covariance_type):
    """Exact full covariances -> floats in the shape of covariance_type."""
    d = len(covs[0])
    if covariance_type == "full":
        out = covs
    elif covariance_type == "tied":  # pooled: Σ_k N_k Σ_k / Σ_k N_k
        total = sum(nk)
        out = [
            [sum(n * c[a][b] for n, c in zip(nk, covs)) / total for b in range(d)]
            for a in range(d)
        ]
    elif covariance_type == "diag":
        out = [[c[j][j] for j in range(d)] for c in covs]
    else:  # spherical: mean of the diagonal
        out = [sum(c[j][j] for j in range(d)) / d for c in covs]
    return np.array(out, dtype=float)


def covariances_for(covariance_type, full):
    """Reshape (K, d, d) covariances that covariance_type can express."""
    full = np.asarray(full, dtype=float)
    if covariance_type == "full":
        return full
    if covariance_type == "tied":
        assert all(np.array_equal(full[0], c) for c in full)
        return full[0]
    if covariance_type == "diag":
        return np.array([np.diag(c) for c in full])
    return np.array([c[0, 0] for c in full])


def units_off(printed, exact):
    """How many units of the printed figure's last digit it is away from exact."""
    unit = 10.0 ** Decimal(printed).as_tuple().exponent
    return abs(float(printed) - exact) / unit


def check_printed(printed, exact, correct, reason=""):
    """A correct figure is within one unit of its last digit (hand rounding of
    rounded intermediates); a WRONG one is further off than that."""
    off = units_off(printed, exact)
    if correct:
        assert off <= 1.0, (
            f"seed prints {printed}, exact {exact!r} ({off:.2f} units off)"
        )
    else:
        assert off > 1.0, (
            f"seed's {printed} was believed wrong ({reason}) but is within rounding of "
            f"the exact {exact!r}"
        )


# ---------------------------------------------------------------------------
# Seed 000, one-dimensional example: X = 1, 2, 5; K = 2; μ = 1, 5; σ² = 1, 1;
# π = 0.5, 0.5.

X_1D = np.array([[1.0], [2.0], [5.0]])
MEANS_1D = np.array([[1.0], [5.0]])
VARS_1D = [1.0, 1.0]
WEIGHTS = np.array([0.5, 0.5])

DENSITIES_1D = [
    [normal_pdf_1d(x, m, v) for m, v in zip([1.0, 5.0], VARS_1D)]
    for x in [1.0, 2.0, 5.0]
]
RESP_1D, LOG_PROB_1D = exact_e_step(DENSITIES_1D, WEIGHTS)
NK_1D, MU_1D, COV_1D = exact_m_step(X_1D.tolist(), RESP_1D.tolist())


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_seed000_1d_e_step(impl, covariance_type):
    covariances = covariances_for(covariance_type, [[[1.0]], [[1.0]]])
    resp, log_prob = impl.e_step(X_1D, WEIGHTS, MEANS_1D, covariances, covariance_type)
    assert_allclose(resp, RESP_1D, rtol=RTOL)
    assert_allclose(log_prob, LOG_PROB_1D, rtol=RTOL)
    # The smallest responsibilities are e⁻⁸/(1 + e⁻⁸): relative accuracy is kept
    # because they are computed in log space, not as 1 - γ.
    assert_allclose(resp[0, 1], math.exp(-8) / (1 + math.exp(-8)), rtol=RTOL)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_seed000_1d_m_step(impl, covariance_type):
    weights, means, covariances = impl.m_step(
        X_1D, RESP_1D, covariance_type, reg_covar=0.0
    )
    assert_allclose(weights, [float(n / 3) for n in NK_1D], rtol=RTOL)
    assert_allclose(means, np.array(MU_1D, dtype=float), rtol=RTOL)
    expected = shaped_covariances(NK_1D, COV_1D, covariance_type)
    assert_allclose(covariances, expected, rtol=RTOL)
    assert weights.sum() == pytest.approx(1.0, rel=1e-15)


# The seed's figures for the 1-D example: (label, printed, exact, correct, why).
_G = RESP_1D
_SEED_1D_FIGURES = [
    ("N(1|1,1)", "0.3989", DENSITIES_1D[0][0], True, ""),
    ("N(1|5,1)", "0.000134", DENSITIES_1D[0][1], True, ""),
    ("N(2|1,1)", "0.24197", DENSITIES_1D[1][0], True, ""),
    ("N(2|5,1)", "0.00443", DENSITIES_1D[1][1], True, ""),
    ("N(5|1,1)", "0.000134", DENSITIES_1D[2][0], True, ""),
    # WRONG: γ(z_11) = 1/(1 + e⁻⁸) = 0.999665. The seed's own fraction
    # 0.19945/0.19952 is 0.99965; 0.99933 = 1 - 2·0.000335 counts the small
    # density twice. The same wrong value is in the responsibility table.
    ("gamma_11", "0.99933", _G[0, 0], False, "1/(1+e^-8) = 0.999665"),
    ("gamma_12", "0.00067", _G[0, 1], False, "e^-8/(1+e^-8) = 0.000335"),
    ("gamma_21", "0.982", _G[1, 0], True, ""),
    ("gamma_22", "0.018", _G[1, 1], True, ""),
    ("gamma_31 (text)", "0.000335", _G[2, 0], True, ""),
    ("gamma_31 (table)", "0.00034", _G[2, 0], True, ""),
    ("gamma_32 (text)", "0.999665", _G[2, 1], True, ""),
    ("gamma_32 (table)", "0.99966", _G[2, 1], True, ""),
    # WRONG (carried from γ_11): N_1 = 1 + 1/(1 + e⁻⁴) = 1.98201, N_2 = 1.01799.
    ("N_1", "1.9817", float(NK_1D[0]), False, "1 + 1/(1+e^-4) = 1.98201"),
    ("N_2", "1.0183", float(NK_1D[1]), False, "2 - 1/(1+e^-4) = 1.01799"),
    # μ_1 = 1.49614 and μ_2 = 4.94568: the seed's 4.945 is 0.7 units off a
    # correct rounding (4.946) because it used its wrong N_2; accepted as a
    # hand rounding. (Its fractions also print the numerator sums, 2.965 and
    # 5.035, a second time as the denominators: a typo, the quotients use N_k.)
    ("mu_1", "1.496", float(MU_1D[0][0]), True, ""),
    ("mu_2", "4.945", float(MU_1D[1][0]), True, ""),
    ("sigma2_1", "0.25", float(COV_1D[0][0][0]), True, ""),
    # WRONG: "σ_2² = similar steps ≈ 0.25". Carrying out the steps gives
    # σ_2² = 0.16134: cluster 2's responsibility mass sits almost entirely on
    # x = 5, with only γ_22 = 0.018 at distance ~2.9 (contributing 0.153).
    (
        "sigma2_2",
        "0.25",
        float(COV_1D[1][0][0]),
        False,
        "the similar steps give 0.16134",
    ),
    ("pi_1", "0.66", float(NK_1D[0] / 3), True, ""),
    ("pi_2", "0.34", float(NK_1D[1] / 3), True, ""),
]


@pytest.mark.parametrize(
    "printed, exact, correct, reason",
    [f[1:] for f in _SEED_1D_FIGURES],
    ids=[f"{f[0]}={f[1]}" + ("" if f[3] else "(WRONG)") for f in _SEED_1D_FIGURES],
)
def test_seed000_1d_printed_figures(printed, exact, correct, reason):
    check_printed(printed, exact, correct, reason)


# ---------------------------------------------------------------------------
# Seed 000, two-dimensional example: x = (1, 2), (1.5, 1.8), (5, 8); K = 2;
# μ_1 = (1, 2), μ_2 = (5, 8); Σ_1 = Σ_2 = I; π = 0.5, 0.5.

X_2D = np.array([[1.0, 2.0], [1.5, 1.8], [5.0, 8.0]])
MEANS_2D = np.array([[1.0, 2.0], [5.0, 8.0]])
IDENTITY_2D = np.array([np.eye(2), np.eye(2)])

DENSITIES_2D = [
    [normal_pdf_2d_identity(x, m) for m in MEANS_2D.tolist()] for x in X_2D.tolist()
]
RESP_2D, LOG_PROB_2D = exact_e_step(DENSITIES_2D, WEIGHTS)
NK_2D, MU_2D, COV_2D = exact_m_step(X_2D.tolist(), RESP_2D.tolist())

# The seed rounds the responsibilities to 0 and 1 before its M-step.
SEED_RESP_2D = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
SEED_SIGMA_1 = np.array([[0.0625, -0.025], [-0.025, 0.01]])


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_seed000_2d_e_step(impl, covariance_type):
    covariances = covariances_for(covariance_type, IDENTITY_2D)
    resp, log_prob = impl.e_step(X_2D, WEIGHTS, MEANS_2D, covariances, covariance_type)
    assert_allclose(resp, RESP_2D, rtol=RTOL)
    assert_allclose(log_prob, LOG_PROB_2D, rtol=RTOL)
    # The "≈ 0" responsibilities: e⁻²⁶/(1 + e⁻²⁶) and e^(-25.2)/(1 + e^(-25.2)).
    assert_allclose(resp[0, 1], math.exp(-26) / (1 + math.exp(-26)), rtol=1e-12)
    assert_allclose(resp[1, 1], math.exp(-25.2) / (1 + math.exp(-25.2)), rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_seed000_2d_m_step_exact_responsibilities(impl, covariance_type):
    # With the exact (unrounded) responsibilities, the far point keeps a weight
    # of ~5e-12 in cluster 1, so Σ_1 is not exactly singular: its smallest
    # eigenvalue is ~1.3e-10 (and Σ_2 is ~1e-10 in size, not zero).
    weights, means, covariances = impl.m_step(
        X_2D, RESP_2D, covariance_type, reg_covar=0.0
    )
    assert_allclose(weights, [float(n / 3) for n in NK_2D], rtol=RTOL)
    assert_allclose(means, np.array(MU_2D, dtype=float), rtol=RTOL)
    expected = shaped_covariances(NK_2D, COV_2D, covariance_type)
    assert_allclose(covariances, expected, rtol=RTOL)


def test_seed000_2d_m_step_seed_responsibilities_is_singular(impl):
    # The seed's M-step from its rounded responsibilities (1, 1, 0 / 0, 0, 1).
    weights, means, covariances = impl.m_step(X_2D, SEED_RESP_2D, "full", reg_covar=0.0)
    assert_allclose(weights, [2 / 3, 1 / 3], rtol=RTOL)
    assert_allclose(means, [[1.25, 1.9], [5.0, 8.0]], rtol=RTOL)
    assert_allclose(covariances[0], SEED_SIGMA_1, rtol=RTOL)
    # The seed's Σ_1 is singular in exact arithmetic: two points span a line.
    a, b, c = Fraction("0.0625"), Fraction("-0.025"), Fraction("0.01")
    assert a * c - b * b == 0
    # The singleton cluster 2 has no scatter at all (its covariance is undefined).
    assert_allclose(covariances[1], np.zeros((2, 2)), atol=1e-20)
    with pytest.raises(ValueError, match="reg_covar"):
        impl.e_step(X_2D, weights, means, covariances, "full")
    # Σ_1 alone is enough to fail.
    with pytest.raises(ValueError, match="reg_covar"):
        impl.e_step(X_2D, np.array([1.0]), means[:1], SEED_SIGMA_1[np.newaxis], "full")


def test_seed000_2d_m_step_reg_covar_makes_covariances_positive_definite(impl):
    reg = 1e-6
    weights, means, covariances = impl.m_step(X_2D, SEED_RESP_2D, "full", reg_covar=reg)
    assert_allclose(covariances[0], SEED_SIGMA_1 + reg * np.eye(2), rtol=RTOL)
    assert_allclose(covariances[1], reg * np.eye(2), rtol=RTOL, atol=1e-20)
    # Eigenvalues of Σ_1 + reg·I are exactly reg and 0.0725 + reg; the small
    # one is computed to ~eps·0.07 absolute, hence rtol 1e-9.
    assert_allclose(np.linalg.eigvalsh(covariances[0]), [reg, 0.0725 + reg], rtol=1e-9)
    assert (np.linalg.eigvalsh(covariances) > 0).all()
    resp, log_prob = impl.e_step(X_2D, weights, means, covariances, "full")
    assert np.isfinite(log_prob).all()
    assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-15)
    # The clustering result of the seed: the first two points in cluster 1.
    assert resp.argmax(axis=1).tolist() == [0, 0, 1]


_SEED_2D_FIGURES = [
    ("p(x1|z=1)", "0.15915", DENSITIES_2D[0][0], True, ""),
    # WRONG: e⁻²⁶ = 5.109e-12, so p(x1|z=2) = e⁻²⁶/(2π) = 8.13e-13.
    ("p(x1|z=2)", "5.71e-13", DENSITIES_2D[0][1], False, "e^-26/(2π) = 8.13e-13"),
    ("exp(-0.145)", "0.865", math.exp(-0.145), True, ""),
    ("p(x2|z=1)", "0.1377", DENSITIES_2D[1][0], True, ""),
    # WRONG: p(x2|z=2) = e^(-25.345)/(2π) = 1.57e-12; the seed's 1.0e-11 is
    # e^(-25.345) = 9.8e-12 without the 1/(2π) factor it wrote in front.
    ("p(x2|z=2)", "1.0e-11", DENSITIES_2D[1][1], False, "e^-25.345/(2π) = 1.57e-12"),
    ("p(x3|z=1)", "5.71e-13", DENSITIES_2D[2][0], False, "e^-26/(2π) = 8.13e-13"),
    ("p(x3|z=2)", "0.15915", DENSITIES_2D[2][1], True, ""),
    ("gamma_11", "1.0", RESP_2D[0, 0], True, ""),
    ("gamma_21", "1.0", RESP_2D[1, 0], True, ""),
    ("gamma_32", "1.0", RESP_2D[2, 1], True, ""),
    ("pi_1", "0.66667", float(NK_2D[0] / 3), True, ""),
]


@pytest.mark.parametrize(
    "printed, exact, correct, reason",
    [f[1:] for f in _SEED_2D_FIGURES],
    ids=[f"{f[0]}={f[1]}" + ("" if f[3] else "(WRONG)") for f in _SEED_2D_FIGURES],
)
def test_seed000_2d_printed_figures(printed, exact, correct, reason):
    check_printed(printed, exact, correct, reason)


# ---------------------------------------------------------------------------
# Seed 003, maximum-likelihood fit of one Gaussian. The seed lists the data
# twice: first as 1, 3, 4, 5, 6, 7, 9 and, on the "ML estimation" slide, as
# 1, 3, 4, 5, 6, 9. We use the first, complete list: the second is the same
# table with the row "7" lost, and only the complete list gives the round
# answer such a slide is built for (μ_ML = 35/7 = 5, σ²_ML = 42/7 = 6; the
# six-point list would give 14/3 and 56/9).

MLE_X = [1, 3, 4, 5, 6, 7, 9]


def exact_mle(xs):
    n = len(xs)
    mean = Fraction(sum(xs), n)
    var = sum((Fraction(x) - mean) ** 2 for x in xs) / n
    return mean, var


def test_seed003_mle_closed_form():
    mean, var = exact_mle(MLE_X)
    assert (mean, var) == (5, 6)
    assert exact_mle([1, 3, 4, 5, 6, 9]) == (Fraction(14, 3), Fraction(56, 9))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_seed003_mle_m_step(impl, covariance_type):
    mean, var = exact_mle(MLE_X)
    X = np.array(MLE_X, dtype=float)[:, np.newaxis]
    weights, means, covariances = impl.m_step(
        X, np.ones((len(MLE_X), 1)), covariance_type, reg_covar=0.0
    )
    assert_allclose(weights, [1.0], rtol=RTOL)
    assert_allclose(means, [[float(mean)]], rtol=RTOL)
    expected = covariances_for(covariance_type, [[[float(var)]]])
    assert_allclose(covariances, expected, rtol=RTOL)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_seed003_mle_fit(impl, covariance_type):
    # With one component EM reaches the MLE in its first M-step; the second
    # iteration's lower bound equals the first, so it converges with n_iter_ 2.
    mean, var = exact_mle(MLE_X)
    X = np.array(MLE_X, dtype=float)[:, np.newaxis]
    gm = impl.GaussianMixture(
        n_components=1,
        covariance_type=covariance_type,
        reg_covar=0.0,
        tol=1e-10,
        random_state=0,
    ).fit(X)
    assert_allclose(gm.weights_, [1.0], rtol=RTOL)
    assert_allclose(gm.means_, [[float(mean)]], rtol=RTOL)
    assert_allclose(
        gm.covariances_, covariances_for(covariance_type, [[[float(var)]]]), rtol=RTOL
    )
    # Mean log-likelihood at the MLE: -½ log(2π σ²) - ½.
    expected_bound = -0.5 * math.log(2 * math.pi * float(var)) - 0.5
    assert gm.lower_bound_ == pytest.approx(expected_bound, rel=RTOL)
    assert gm.score(X) == pytest.approx(expected_bound, rel=RTOL)
    assert gm.converged_
    assert gm.n_iter_ == 2
