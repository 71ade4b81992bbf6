"""The 14 Celeux-Govaert covariance models: readable NumPy M-steps (the oracle).

Every covariance is decomposed as Σ_k = λ_k D_k A_k D_kᵀ (volume λ_k > 0,
orientation D_k orthogonal, shape A_k diagonal with det A_k = 1). A model name
has three letters for volume, shape and orientation, each E(qual), V(ariable) or
I(dentity), in mclust's order (``MODELS``).

The M-step works from the weighted sufficient statistics only: n_k = Σ_i r_ik,
the means x̄_k and the scatter matrices W_k = Σ_i r_ik (x_i - x̄_k)(x_i - x̄_k)ᵀ
(``scatter_from_moments`` builds them from n_k, Σ r x and Σ r x xᵀ). Notation
below: n = Σ_k n_k, W = Σ_k W_k, d the dimension, |·| the determinant and
"normalise(B)" = B / |B|^(1/d) (a det-1 matrix).

Closed forms (Celeux and Govaert 1995, table 1):

* EII  λ = tr W / (n d)                     VII  λ_k = tr W_k / (n_k d)
* EEI  Σ = diag(W) / n                      VVI  Σ_k = diag(W_k) / n_k
* EVI  A_k = normalise(diag W_k), λ = Σ_k |diag W_k|^(1/d) / n
* EEE  Σ = W / n                            VVV  Σ_k = W_k / n_k
* EEV  W_k = L_k Ω_k L_kᵀ (eigenvalues decreasing), D_k = L_k,
       A = normalise(Σ_k Ω_k), λ = |Σ_k Ω_k|^(1/d) / n
* EVV  C_k = normalise(W_k), λ = Σ_k |W_k|^(1/d) / n

Iterative models. Each minimises Σ_k [tr(W_k Σ_k⁻¹) + n_k log|Σ_k|] by
alternating closed-form updates, every one of which lowers that objective.
Start and stopping rule are shared with the C++ core (covariance_models.hpp) so
that both produce the same iterates: start as if every λ_k were 1 (and, for a
common orientation, D = the eigenvectors of W, eigenvalues decreasing); stop
when the largest relative change of the solved quantities (λ_k, the diagonal
of A, the entries of D) is below ``TOL`` = 1e-12, after at most
``MAX_ITER`` = 1000 iterations.

* VEI  (Celeux-Govaert) A = normalise(diag Σ_k W_k / λ_k), λ_k = tr(W_k A⁻¹) / (n_k d)
* VEE  (Celeux-Govaert) C = normalise(Σ_k W_k / λ_k),      λ_k = tr(W_k C⁻¹) / (n_k d)
* VEV  (Celeux-Govaert) D_k = eigenvectors of W_k (Ω_k its eigenvalues,
       decreasing), A = normalise(Σ_k Ω_k / λ_k), λ_k = tr(Ω_k A⁻¹) / (n_k d)
* EVE, VVE  given D: B_k = diag(Dᵀ W_k D); VVE λ_k A_k = B_k / n_k; EVE
       A_k = normalise(B_k), λ = Σ_k |B_k|^(1/d) / n. Then one MM step for D
       (Browne and McNicholas 2014): with Ψ_k = (λ_k A_k)⁻¹ and ω_k the largest
       eigenvalue of W_k, G = Σ_k (ω_k I - W_k) D Ψ_k; D ← U Vᵀ where
       G = U S Vᵀ (the majoriser's minimiser over orthogonal matrices).

Degenerate statistics (a singular W_k, n_k = 0) give inf/NaN covariances rather
than an exception: the caller's singularity rule decides what to do with them.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ITERATIVE_MODELS",
    "MAX_ITER",
    "MODELS",
    "TOL",
    "covariances",
    "decompose",
    "m_step",
    "n_parameters",
    "scatter_from_moments",
]

MODELS = (
    "EII",
    "VII",
    "EEI",
    "VEI",
    "EVI",
    "VVI",
    "EEE",
    "VEE",
    "EVE",
    "VVE",
    "EEV",
    "VEV",
    "EVV",
    "VVV",
)
ITERATIVE_MODELS = ("VEI", "VEE", "EVE", "VVE", "VEV")
TOL = 1e-12
MAX_ITER = 1000
NEWTON_RADIUS = 0.2
NEWTON_DONE = 1e-9


def _check_model(model):
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")


def scatter_from_moments(nk, first, second):
    """Means (k, d) and scatter W_k (k, d, d) from n_k, Σ r x (k, d) and Σ r x xᵀ (k, d, d).

    Raw second moments cancel catastrophically far from the origin; callers that
    can should accumulate about a shift and pass centred moments.
    """
    nk = np.asarray(nk, dtype=float)
    means = first / nk[:, None]
    scatter = second - nk[:, None, None] * np.einsum("ki,kj->kij", means, means)
    return means, 0.5 * (scatter + np.swapaxes(scatter, 1, 2))


def _normalise_det(values):
    """values / geometric mean along the last axis (a det-1 diagonal), and that mean."""
    with np.errstate(divide="ignore", invalid="ignore"):
        gmean = np.exp(np.mean(np.log(values), axis=-1))
        return values / gmean[..., None], gmean


def _sym_eig_desc(matrices):
    """Eigenvalues (decreasing) and eigenvectors of symmetric matrices (..., d, d)."""
    values, vectors = np.linalg.eigh(matrices)
    return values[..., ::-1], vectors[..., ::-1]


def _rel_change(new, old):
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(
            np.max(np.abs(new - old) / np.maximum(np.abs(new), np.finfo(float).tiny))
        )


def _from_parts(volumes, shapes, orientations):
    """Σ_k = λ_k D_k diag(A_k) D_kᵀ with broadcasting over k."""
    return volumes[:, None, None] * np.einsum(
        "kij,kj,klj->kil", orientations, shapes, orientations
    )


def _vei(nk, scatter, d):
    diag = np.einsum("kii->ki", scatter)
    lam = np.ones(len(nk))
    shape = None
    for _ in range(MAX_ITER):
        new_shape, _ = _normalise_det(np.sum(diag / lam[:, None], axis=0))
        new_lam = np.sum(diag / new_shape, axis=1) / (nk * d)
        done = (
            shape is not None
            and max(_rel_change(new_lam, lam), _rel_change(new_shape, shape)) < TOL
        )
        lam, shape = new_lam, new_shape
        if done:
            break
    return lam[:, None, None] * np.einsum("ij,j->ij", np.eye(d), shape)[None]


def _vee(nk, scatter, d):
    lam = np.ones(len(nk))
    common = None
    for _ in range(MAX_ITER):
        pooled = np.sum(scatter / lam[:, None, None], axis=0)
        new_common = pooled / np.linalg.det(pooled) ** (1.0 / d)
        inv = np.linalg.inv(new_common)
        new_lam = np.einsum("kij,ji->k", scatter, inv) / (nk * d)
        done = (
            common is not None
            and max(_rel_change(new_lam, lam), _rel_change(new_common, common)) < TOL
        )
        lam, common = new_lam, new_common
        if done:
            break
    return lam[:, None, None] * common[None]


def _vev(nk, scatter, d):
    omega, vectors = _sym_eig_desc(scatter)
    lam = np.ones(len(nk))
    shape = None
    for _ in range(MAX_ITER):
        new_shape, _ = _normalise_det(np.sum(omega / lam[:, None], axis=0))
        new_lam = np.sum(omega / new_shape, axis=1) / (nk * d)
        done = (
            shape is not None
            and max(_rel_change(new_lam, lam), _rel_change(new_shape, shape)) < TOL
        )
        lam, shape = new_lam, new_shape
        if done:
            break
    return _from_parts(lam, np.broadcast_to(shape, omega.shape), vectors)


def common_basis(covs):
    """An orthogonal D (d, d) that diagonalises every Σ_k of ``covs`` (k, d, d)
    when they share their eigenvectors (EVE, VVE, plus any reg_covar·I): the
    eigenvectors of Σ_k c_k Σ_k / tr Σ_k with distinct weights c_k = √(k + 2),
    so that axes where the Σ_k differ cannot tie by accident. The warm start of
    the next M-step's orientation."""
    covs = np.asarray(covs, dtype=float)
    c = np.sqrt(np.arange(len(covs)) + 2.0) / np.trace(covs, axis1=1, axis2=2)
    return _sym_eig_desc(np.einsum("k,kij->ij", c, covs))[1]


def _pairs(d):
    """The skew generators E_a = e_p e_qᵀ - e_q e_pᵀ, a = (p, q), p < q, in
    row order: index[i, j] = a for {i, j} = {p, q} (-1 on the diagonal), and
    sign[i, j] = +1 if i < j else -1, so that E_a e_j = sign[i, j] e_i."""
    index = -np.ones((d, d), dtype=int)
    rows, cols = np.triu_indices(d, 1)
    index[rows, cols] = index[cols, rows] = np.arange(len(rows))
    sign = np.where(np.arange(d)[:, None] < np.arange(d)[None, :], 1.0, -1.0)
    return index, sign


def _derivatives(rotated, weights, pairs):
    """Along D(θ) = D cayley(Σ_a θ_a E_a), b_kj(θ) = (D(θ)ᵀ W_k D(θ))_jj; at θ = 0,
    with M_k = Dᵀ W_k D (``rotated``): the first derivatives (k, d, m),
    ∂_a b_kj = 2 e_jᵀ M_k E_a e_j, and Σ_kj weights_kj ∂²b_kj (m, m) from
    ∂_a ∂_b b_j = 2 (E_a e_j)ᵀ M (E_b e_j) + e_jᵀ M (E_a E_b + E_b E_a) e_j
    (cayley(S) = (I - S/2)⁻¹ (I + S/2) agrees with exp(S) to second order).
    Only generators touching j move b_j, which leaves the sums below."""
    index, sign = pairs
    k, d, _ = rotated.shape
    m = d * (d - 1) // 2
    first = np.zeros((k, d, m))
    hess = np.zeros((m, m))
    q = np.einsum("kj,kil->jil", weights, rotated)  # Q_j = Σ_k w_kj M_k
    for j in range(d):
        others = [i for i in range(d) if i != j]
        a = index[others, j]
        s = sign[others, j]
        first[:, j, a] = 2.0 * s * rotated[:, j, others]
        # 2 (E_a e_j)ᵀ Q_j (E_b e_j) for a, b both touching j
        hess[np.ix_(a, a)] += 2.0 * np.outer(s, s) * q[j][np.ix_(others, others)]
        # e_jᵀ Q_j E_a E_b e_j with b = {o, j}, E_b e_j = sign[o, j] e_o, and
        # a = {o, t}: e_jᵀ Q_j E_a e_o = -(E_a Q_j e_j)_o = -sign[o, t] (Q_j)_tj;
        # its transpose is the E_b E_a half.
        for o in others:
            t = [i for i in range(d) if i != o]
            part = np.zeros(m)
            part[index[t, o]] = -sign[o, j] * sign[o, t] * q[j][t, j]
            hess[:, index[o, j]] += part
            hess[index[o, j], :] += part
    return first, hess


def _profile(b, nk, equal_volume):
    """The orientation's objective once λ_k and A_k are solved for (minimised):
    VVE Σ_k n_k Σ_j log b_kj; EVE Σ_k |B_k|^(1/d) (= n λ, log-monotone in the
    likelihood)."""
    if equal_volume:
        return float(np.sum(np.exp(np.mean(np.log(b), axis=1))))
    return float(np.sum(nk[:, None] * np.log(b)))


def _newton_step(rotated, nk, equal_volume, pairs):
    """The Newton step θ (m,) for the profile objective at D, or None where its
    Hessian is not positive definite (no minimum nearby to step to). With
    φ the objective as a function of the b_kj: VVE φ = Σ_kj n_k log b_kj;
    EVE φ = Σ_k g_k, g_k = exp(mean_j log b_kj)."""
    b = np.einsum("kjj->kj", rotated)
    d = b.shape[1]
    if equal_volume:
        g = np.exp(np.mean(np.log(b), axis=1))
        w = g[:, None] / (d * b)  # ∂φ/∂b_kj
    else:
        w = nk[:, None] / b
    db, hess = _derivatives(rotated, w, pairs)
    grad = np.einsum("kj,kja->a", w, db)
    # the ∂²φ/∂b² terms: -w_kj / b_kj on each b_kj, and for EVE g_k u_k u_kᵀ
    hess = hess - np.einsum("kj,kja,kjb->ab", w / b, db, db)
    if equal_volume:
        u = np.einsum("kja,kj->ka", db, 1.0 / (d * b))
        hess = hess + np.einsum("k,ka,kb->ab", g, u, u)
    try:
        chol = np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        return None
    return -np.linalg.solve(chol.T, np.linalg.solve(chol, grad))


def _cayley(theta, pairs, d):
    index, _ = pairs
    rows, cols = np.triu_indices(d, 1)
    s = np.zeros((d, d))
    s[rows, cols] = theta[index[rows, cols]]
    s = s - s.T
    eye = np.eye(d)
    return np.linalg.solve(eye - 0.5 * s, eye + 0.5 * s)


def _common_orientation(nk, scatter, d, equal_volume, start=None):
    """EVE (equal_volume) and VVE: D minimising the profile objective, by
    safeguarded Newton with Browne and McNicholas's MM step as the fallback."""
    n = np.sum(nk)
    k = len(nk)
    if not np.all(np.isfinite(scatter)):
        return np.full((k, d, d), np.nan)
    omega_max = np.linalg.eigvalsh(scatter)[:, -1]
    orientation = _sym_eig_desc(np.sum(scatter, axis=0))[1] if start is None else start
    pairs = _pairs(d)

    def rotate(dm):
        return np.einsum("ji,kjl,lm->kim", dm, scatter, dm)

    rotated = rotate(orientation)
    if np.any(np.einsum("kjj->kj", rotated) <= 0):
        return np.full((k, d, d), np.nan)  # a singular W_k: the singular rule decides
    value = _profile(np.einsum("kjj->kj", rotated), nk, equal_volume)
    for _ in range(MAX_ITER):
        theta = _newton_step(rotated, nk, equal_volume, pairs) if d > 1 else None
        if theta is not None:
            # a long step (far from the minimum) is cut to NEWTON_RADIUS radians
            theta = theta * min(1.0, NEWTON_RADIUS / np.max(np.abs(theta)))
            trial = orientation @ _cayley(theta, pairs, d)
            trial_rotated = rotate(trial)
            trial_b = np.einsum("kjj->kj", trial_rotated)
            small = np.max(np.abs(theta)) < NEWTON_DONE
            if np.all(trial_b > 0):
                trial_value = _profile(trial_b, nk, equal_volume)
                if small or trial_value <= value:
                    orientation, rotated, value = trial, trial_rotated, trial_value
                    if small:
                        break
                    continue
        # The MM step (Browne and McNicholas 2014): it never increases the objective.
        b = np.einsum("kjj->kj", rotated)
        shapes, gmean = _normalise_det(b)
        lam = np.full(k, np.sum(gmean) / n) if equal_volume else gmean / nk
        psi = 1.0 / (lam[:, None] * shapes)
        g = np.einsum("k,ij,jk->ij", omega_max, orientation, psi.T) - np.einsum(
            "kij,jl,kl->il", scatter, orientation, psi
        )
        u, _, vt = np.linalg.svd(g)
        new_orientation = u @ vt
        change = float(np.max(np.abs(new_orientation - orientation)))
        orientation = new_orientation
        rotated = rotate(orientation)
        b = np.einsum("kjj->kj", rotated)
        if np.any(b <= 0):
            return np.full((k, d, d), np.nan)
        value = _profile(b, nk, equal_volume)
        if change < TOL:
            break
    b = np.einsum("kjj->kj", rotated)
    shapes, gmean = _normalise_det(b)
    lam = np.full(k, np.sum(gmean) / n) if equal_volume else gmean / nk
    return _from_parts(lam, shapes, np.broadcast_to(orientation, (k, d, d)))


def covariances(model, nk, scatter, start=None):
    """Covariances (k, d, d) of ``model`` from n_k (k,) and scatter W_k (k, d, d);
    ``start``: EVE and VVE's starting orientation (d, d), None for the cold one."""
    _check_model(model)
    nk = np.asarray(nk, dtype=float)
    scatter = np.asarray(scatter, dtype=float)
    k, d, _ = scatter.shape
    n = np.sum(nk)
    eye = np.eye(d)
    diag = np.einsum("kii->ki", scatter)
    with np.errstate(divide="ignore", invalid="ignore"):
        if model == "EII":
            return np.broadcast_to(
                np.trace(scatter.sum(0)) / (n * d) * eye, (k, d, d)
            ).copy()
        if model == "VII":
            return (np.trace(scatter, axis1=1, axis2=2) / (nk * d))[:, None, None] * eye
        if model == "EEI":
            return np.broadcast_to(np.diag(diag.sum(0) / n), (k, d, d)).copy()
        if model == "VVI":
            return np.einsum("ki,ij->kij", diag / nk[:, None], eye)
        if model == "EVI":
            shapes, gmean = _normalise_det(diag)
            return np.einsum("ki,ij->kij", np.sum(gmean) / n * shapes, eye)
        if model == "EEE":
            return np.broadcast_to(scatter.sum(0) / n, (k, d, d)).copy()
        if model == "VVV":
            return scatter / nk[:, None, None]
        if model == "EEV":
            omega, vectors = _sym_eig_desc(scatter)
            shape, gmean = _normalise_det(omega.sum(0))
            return _from_parts(
                np.full(k, gmean / n), np.broadcast_to(shape, (k, d)), vectors
            )
        if model == "EVV":
            det_root = np.linalg.det(scatter) ** (1.0 / d)
            return scatter / det_root[:, None, None] * (np.sum(det_root) / n)
        if model == "VEI":
            return _vei(nk, scatter, d)
        if model == "VEE":
            return _vee(nk, scatter, d)
        if model == "VEV":
            return _vev(nk, scatter, d)
        return _common_orientation(nk, scatter, d, model == "EVE", start)


def m_step(model, nk, first, second, start=None):
    """Weights (k,), means (k, d), covariances (k, d, d) from n_k, Σ r x, Σ r x xᵀ
    (``start`` as in ``covariances``)."""
    nk = np.asarray(nk, dtype=float)
    means, scatter = scatter_from_moments(nk, np.asarray(first), np.asarray(second))
    return nk / np.sum(nk), means, covariances(model, nk, scatter, start)


def decompose(covs):
    """Volumes λ_k (k,), shapes A_k (k, d; det 1, decreasing), orientations D_k (k, d, d)."""
    values, vectors = _sym_eig_desc(np.asarray(covs, dtype=float))
    shapes, volumes = _normalise_det(values)
    return volumes, shapes, vectors


def n_parameters(model, n_components, n_features):
    """Free parameters, as mclust's nMclustParams (equal proportions off, no noise)."""
    _check_model(model)
    g, d = n_components, n_features
    half = d * (d - 1) // 2
    cov = {
        "EII": 1,
        "VII": g,
        "EEI": d,
        "VEI": g + d - 1,
        "EVI": 1 + g * (d - 1),
        "VVI": g * d,
        "EEE": d + half,
        "VEE": g + d - 1 + half,
        "EVE": 1 + g * (d - 1) + half,
        "VVE": g + g * (d - 1) + half,
        "EEV": 1 + (d - 1) + g * half,
        "VEV": g + (d - 1) + g * half,
        "EVV": 1 + g * (d - 1) + g * half,
        "VVV": g * (d + half),
    }[model]
    return (g - 1) + g * d + cov
