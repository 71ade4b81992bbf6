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


def _common_orientation(nk, scatter, d, equal_volume):
    """EVE (equal_volume) and VVE: alternate the closed-form λ, A_k with one MM step for D."""
    n = np.sum(nk)
    k = len(nk)
    omega_max = np.linalg.eigvalsh(scatter)[:, -1]
    _, orientation = _sym_eig_desc(np.sum(scatter, axis=0))
    lam = shapes = None
    for _ in range(MAX_ITER):
        b = np.einsum("ji,kjl,li->ki", orientation, scatter, orientation)
        new_shapes, gmean = _normalise_det(b)
        new_lam = np.full(k, np.sum(gmean) / n) if equal_volume else gmean / nk
        psi = 1.0 / (new_lam[:, None] * new_shapes)
        g = np.einsum("k,ij,jk->ij", omega_max, orientation, psi.T) - np.einsum(
            "kij,jl,kl->il", scatter, orientation, psi
        )
        if not np.all(np.isfinite(g)):  # a singular W_k: leave it to the singular rule
            return np.full((k, d, d), np.nan)
        u, _, vt = np.linalg.svd(g)
        new_orientation = u @ vt
        done = (
            lam is not None
            and max(
                _rel_change(new_lam, lam),
                _rel_change(new_shapes, shapes),
                float(np.max(np.abs(new_orientation - orientation))),
            )
            < TOL
        )
        lam, shapes, orientation = new_lam, new_shapes, new_orientation
        if done:
            break
    # λ, A_k belong to the D they were solved for; the final D moved by < TOL, so
    # recompute them for it to keep the returned parameters consistent.
    b = np.einsum("ji,kjl,li->ki", orientation, scatter, orientation)
    shapes, gmean = _normalise_det(b)
    lam = np.full(k, np.sum(gmean) / n) if equal_volume else gmean / nk
    return _from_parts(lam, shapes, np.broadcast_to(orientation, (k, d, d)))


def covariances(model, nk, scatter):
    """Covariances (k, d, d) of ``model`` from n_k (k,) and scatter W_k (k, d, d)."""
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
        return _common_orientation(nk, scatter, d, equal_volume=model == "EVE")


def m_step(model, nk, first, second):
    """Weights (k,), means (k, d), covariances (k, d, d) from n_k, Σ r x, Σ r x xᵀ."""
    nk = np.asarray(nk, dtype=float)
    means, scatter = scatter_from_moments(nk, np.asarray(first), np.asarray(second))
    return nk / np.sum(nk), means, covariances(model, nk, scatter)


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
