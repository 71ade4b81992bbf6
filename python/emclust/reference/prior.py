"""mclust's conjugate prior and its MAP M-steps (Fraley and Raftery 2007): the oracle.

The prior (mclust's ``priorControl()`` / ``defaultPrior``): μ_k | Σ_k ~ N(μ_P, Σ_k / κ_P)
and an inverse-Wishart (inverse-gamma for the spherical and diagonal models)
Σ_k ~ IW(ν_P, Λ_P), with the defaults (``default_prior``)

* κ_P (shrinkage) = 0.01, μ_P = the data mean, ν_P (dof) = d + 2;
* Λ_P (scale) = var(X) / G^(2/d) for the models with full covariances (the
  diagonal of var(X) when n <= d), and the scalar mean(diag var(X)) / G^(2/d) for the
  spherical and diagonal ones (var with n - 1, as R's ``var``).

mclust supports the prior for 10 of the 14 models (``PRIOR_MODELS``: not EVE, VEE,
VVE, EVV). Notation: n_k, x̄_k, W_k as in ``covariance_models``; [κ] = 1 when κ_P > 0;
B_k = (κ_P n_k / (n_k + κ_P)) (x̄_k - μ_P)(x̄_k - μ_P)ᵀ; T_k = Λ_P + W_k + B_k.
The MAP mean is μ̂_k = (n_k x̄_k + κ_P μ_P) / (n_k + κ_P). The covariances are
mclust 6.0's (Fortran ``ms*p``) exactly, including where they depart from the
textbook MAP; the departures are marked (*):

* VVV  Σ_k = T_k / (ν_P + n_k + d + 1 + [κ])
* EEE  Σ = Σ_k (W_k + B_k) + Λ_P, over (ν_P + n + d + 1 + [κ] G)
* EII  σ² = Σ_k [tr(W_k + B_k) + n_k |x̄_k - μ̂_k|²] / (ν_P + n d + 2 + [κ] G d)
       (*) no scale term, and the scatter taken about the MAP mean
* VII  σ²_k = (ς_P + tr(W_k + B_k)) / (ν_P + n_k d + 2 + [κ] d)
* EEI  s = ς_P + Σ_k diag(W_k + B_k); λ = |s|^(1/d) / (ν_P + n + 2 + [κ] G),
       A = normalise(s)                                             (*) means stay x̄_k
* EVI  s_k = ς_P + diag(W_k + B_k); λ = Σ_k |s_k|^(1/d) / (ν_P + n + 2 + [κ] G),
       A_k = normalise(s_k)
* VVI  s_k = ς_P + diag(W_k + B_k); λ_k = |s_k|^(1/d) / (ν_P + n_k + 2 + [κ]),
       A_k = normalise(s_k)
* VEI  w_k = ς_P + diag(W_k + B_k); iterate λ_k = Σ_j w_kj / A_j / (ν_P + n_k d + 2 + [κ]),
       A = normalise(Σ_k w_k / λ_k)
* EEV  (*) mclust zeroes the shrinkage for EEV: μ̂_k = x̄_k, T_k = Λ_P + W_k;
       T_k = L_k Ω_k L_kᵀ, D_k = L_k, A = normalise(Σ_k Ω_k),
       λ = |Σ_k Ω_k|^(1/d) / (ν_P + d + 1 + n)
* VEV  Ω_k the eigenvalues of T_k; iterate λ_k = Σ_j Ω_kj / A_j / (n_k d),
       A = normalise(Σ_k Ω_k / λ_k)                                 (*) no dof term

Iterations (VEI, VEV) start and stop as in ``covariance_models``.

``log_density`` is the log prior density, up to a constant, whose maximiser
together with the likelihood is each formula above (so MAP EM increases
log-likelihood + log_density): -κ_P/2 Σ_k (μ_k - μ_P)ᵀ Σ_k⁻¹ (μ_k - μ_P) (no such
term for EEV), -1/2 tr(L Σ⁻¹) once per distinct covariance (L = Λ_P, or ς_P I for
the diagonal models; ς_P / σ²_k for VII; none for EII), and -c/2 log|Σ| once per
distinct volume, with c = ν+d+1+[κ] (VVV), ν+d+1+[κ]G (EEE), ν+d+1 (EEV),
(ν+2+[κ]d)/d (VII), (ν+2+[κ]Gd)/d (EII), ν+2+[κ] (VVI), ν+2+[κ]G (EEI, EVI),
(ν+2+[κ])/d (VEI) and 0 (VEV). For EII and EEI the formulas marked (*) are not
its exact maximiser (departures of order κ_P / n_k).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import covariance_models as cm

__all__ = ["PRIOR_MODELS", "Prior", "default_prior", "log_density", "m_step"]

PRIOR_MODELS = tuple(m for m in cm.MODELS if m not in ("EVE", "VEE", "VVE", "EVV"))
_SCALAR_SCALE = ("EII", "VII", "EEI", "VEI", "EVI", "VVI")


@dataclass(frozen=True)
class Prior:
    """κ_P, μ_P (d,), ν_P and Λ_P: (d, d), or a scalar for the diagonal models."""

    shrinkage: float
    mean: np.ndarray
    dof: float
    scale: np.ndarray | float

    def m_step(self, model, X, z):
        return m_step(model, self, X, z)


def default_prior(X, n_components, model, *, shrinkage=0.01):
    """mclust's defaultPrior(X, G, model)."""
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    fac = (1.0 / n_components) ** (2.0 / d)
    var = np.cov(X, rowvar=False, ddof=1).reshape(d, d)
    if model in _SCALAR_SCALE:
        scale = fac * float(np.trace(var)) / d
    else:
        scale = fac * (var if n > d else np.diag(np.diag(var)))
    return Prior(float(shrinkage), X.mean(0), float(d + 2), scale)


def _iterate(weights_fn, values, denominators):
    """VEI/VEV MAP iteration: λ_k = Σ_j v_kj / A_j / den_k, A = normalise(Σ_k v_k / λ_k)."""
    lam = np.ones(len(values))
    shape = None
    for _ in range(cm.MAX_ITER):
        new_shape, _ = cm._normalise_det(np.sum(values / lam[:, None], axis=0))
        new_lam = np.sum(values / new_shape, axis=1) / denominators
        done = (
            shape is not None
            and max(cm._rel_change(new_lam, lam), cm._rel_change(new_shape, shape))
            < cm.TOL
        )
        lam, shape = new_lam, new_shape
        if done:
            break
    return lam, weights_fn(shape)


def m_step(model, prior, X, z):
    """MAP weights (k,), means (k, d), covariances (k, d, d) from data and responsibilities."""
    if model not in PRIOR_MODELS:
        raise ValueError(
            f"model must be one of {', '.join(PRIOR_MODELS)} with a prior; got {model!r}"
        )
    X = np.asarray(X, dtype=float)
    z = np.asarray(z, dtype=float)
    nk = z.sum(0)
    g, d = z.shape[1], X.shape[1]
    n = float(np.sum(nk))
    kappa = 0.0 if model == "EEV" else max(prior.shrinkage, 0.0)
    has = 1.0 if kappa > 0 else 0.0
    xbar = (z.T @ X) / nk[:, None]
    centred = X[None, :, :] - xbar[:, None, :]
    W = np.einsum("ik,kij,kil->kjl", z, centred, centred)
    diff = xbar - prior.mean
    B = (kappa * nk / (nk + kappa))[:, None, None] * np.einsum("ki,kj->kij", diff, diff)
    means = (nk[:, None] * xbar + kappa * prior.mean) / (nk + kappa)[:, None]
    weights = nk / n
    eye = np.eye(d)
    nu = prior.dof
    scale = prior.scale
    S = W + B
    diag = np.einsum("kii->ki", S)
    if model == "VVV":
        covs = (scale + S) / (nu + nk + d + 1 + has)[:, None, None]
    elif model == "EEE":
        covs = np.broadcast_to(
            (scale + S.sum(0)) / (nu + n + d + 1 + has * g), (g, d, d)
        ).copy()
    elif model == "EII":
        shift = nk * np.sum((xbar - means) ** 2, axis=1)
        sig = (np.trace(S.sum(0)) + np.sum(shift)) / (nu + n * d + 2 + has * g * d)
        covs = np.broadcast_to(sig * eye, (g, d, d)).copy()
    elif model == "VII":
        sig = (scale + np.einsum("kii->k", S)) / (nu + nk * d + 2 + has * d)
        covs = sig[:, None, None] * eye
    elif model == "EEI":
        means = xbar  # mclust's mseeip leaves the means unshrunk
        shape, gm = cm._normalise_det(scale + diag.sum(0))
        covs = np.broadcast_to(
            np.diag(gm / (nu + n + 2 + has * g) * shape), (g, d, d)
        ).copy()
    elif model == "EVI":
        shapes, gm = cm._normalise_det(scale + diag)
        lam = np.sum(gm) / (nu + n + 2 + has * g)
        covs = np.einsum("ki,ij->kij", lam * shapes, eye)
    elif model == "VVI":
        shapes, gm = cm._normalise_det(scale + diag)
        lam = gm / (nu + nk + 2 + has)
        covs = np.einsum("ki,ij->kij", lam[:, None] * shapes, eye)
    elif model == "VEI":
        lam, shape = _iterate(lambda a: a, scale + diag, nu + nk * d + 2 + has)
        covs = lam[:, None, None] * np.diag(shape)[None]
    elif model == "EEV":
        omega, vectors = cm._sym_eig_desc(scale + W)
        shape, gm = cm._normalise_det(omega.sum(0))
        lam = np.full(g, gm / (nu + d + 1 + n))
        covs = cm._from_parts(lam, np.broadcast_to(shape, (g, d)), vectors)
    else:  # VEV
        omega, vectors = cm._sym_eig_desc(scale + S)
        lam, shape = _iterate(lambda a: a, omega, nk * d)
        covs = cm._from_parts(lam, np.broadcast_to(shape, (g, d)), vectors)
    return weights, means, covs


def log_density(model, prior, means, covs):
    """log p(μ, Σ) up to a constant (see the module docstring)."""
    if model not in PRIOR_MODELS:
        raise ValueError(
            f"model must be one of {', '.join(PRIOR_MODELS)}; got {model!r}"
        )
    means = np.asarray(means, dtype=float)
    covs = np.asarray(covs, dtype=float)
    g, d = means.shape
    kappa = 0.0 if model == "EEV" else max(prior.shrinkage, 0.0)
    has = 1.0 if kappa > 0 else 0.0
    nu = prior.dof
    if model in _SCALAR_SCALE:
        scale = float(np.trace(np.asarray(prior.scale) * np.eye(d))) / d * np.eye(d)
    else:
        scale = np.asarray(prior.scale, dtype=float)
    c = {
        "VVV": nu + d + 1 + has,
        "EEE": nu + d + 1 + has * g,
        "EEV": nu + d + 1,
        "VII": (nu + 2 + has * d) / d,
        "EII": (nu + 2 + has * g * d) / d,
        "VVI": nu + 2 + has,
        "EEI": nu + 2 + has * g,
        "EVI": nu + 2 + has * g,
        "VEI": (nu + 2 + has) / d,
        "VEV": 0.0,
    }[model]
    one_matrix = model in ("EII", "EEI", "EEE")
    one_volume = one_matrix or model in ("EVI", "EEV")
    out = 0.0
    for k in range(g):
        inv = np.linalg.inv(covs[k])
        diff = means[k] - prior.mean
        out -= 0.5 * kappa * diff @ inv @ diff
        if not one_volume or k == 0:
            out -= 0.5 * c * np.linalg.slogdet(covs[k])[1]
        if (not one_matrix or k == 0) and model != "EII":
            out -= 0.5 * np.trace(scale @ inv) / (d if model == "VII" else 1)
    return float(out)
