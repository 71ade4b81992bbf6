"""Pure-NumPy exact EM for a Gaussian mixture on data with missing entries.

The algorithm of Ghahramani and Jordan (1994), "Supervised learning from
incomplete data via an EM approach", written for clarity: the oracle the
native core's missing-value pass is tested against. Missing entries are NaN
and are assumed missing at random.

For a row x with observed coordinates o and missing coordinates m, and a
component k with mean μ and covariance Σ:

* E-step. The row's likelihood is the marginal density of what was
  observed, N(x_o | μ_o, Σ_oo), so

      log p(x_o) = log Σ_k π_k N(x_o | μ_ko, Σ_k,oo),   γ_k ∝ π_k N(x_o | ...).

  The missing coordinates have, given x_o and z = k, the Gaussian
  conditional distribution with

      x̂_m = E[x_m | x_o, k] = μ_m + Σ_mo Σ_oo⁻¹ (x_o - μ_o),
      C_mm = Cov[x_m | x_o, k] = Σ_mm - Σ_mo Σ_oo⁻¹ Σ_om.

  x̂ is the row completed with x̂_m (x̂_o = x_o); C is the (d, d) matrix that
  is C_mm on the missing block and zero elsewhere.
* M-step. The expected complete-data sufficient statistics replace the
  complete-data ones: with r_ik = w_i γ_ik and N_k = Σ_i r_ik,

      μ_k = Σ_i r_ik x̂_ik / N_k,
      S_k = Σ_i r_ik [(x̂_ik - μ_k)(x̂_ik - μ_k)ᵀ + C_ik]   (E[(x-μ)(x-μ)ᵀ]),

  and the covariance type only restricts what is kept of S_k:
  full Σ_k = S_k / N_k; tied Σ = Σ_k S_k / Σ_k N_k (one pooled matrix, and
  the conditionals are taken under that shared Σ); diag σ²_kj = (S_k)_jj / N_k
  (the per-feature expected second moment: for a missing j it is the squared
  deviation of μ_kj(old) from μ_kj(new) plus the old variance); spherical
  σ²_k = trace(S_k) / (d N_k), the mean of the diag variances. reg_covar is
  added to every variance, as in the complete-data M-step. Under a diagonal Σ
  the conditional mean of a missing coordinate is just μ_kj and its
  conditional variance σ²_kj; the formulas above give that without a special
  case.

The log-likelihood returned is the observed-data one, Σ_i w_i log p(x_o,i),
which EM never decreases (with reg_covar = 0). Without a NaN, every formula
is the complete-data one and the results equal ``reference.gmm``'s.
"""

from __future__ import annotations

import math

import numpy as np

from .gmm import _check_covariance_type, precision_cholesky

__all__ = [
    "e_step",
    "fit_em",
    "full_covariances",
    "impute",
    "log_prob_observed",
    "m_step",
    "missing_patterns",
]

_LOG_2PI = math.log(2.0 * math.pi)


def full_covariances(covariances, covariance_type, n_components, n_features):
    """Every component's covariance as a (d, d) matrix: shape (K, d, d)."""
    _check_covariance_type(covariance_type)
    cov = np.asarray(covariances, dtype=np.float64)
    if covariance_type == "full":
        return cov.copy()
    if covariance_type == "tied":
        return np.repeat(cov[np.newaxis], n_components, axis=0)
    if covariance_type == "diag":
        return np.array([np.diag(row) for row in cov])
    return np.array([v * np.eye(n_features) for v in cov])


def missing_patterns(X):
    """Groups the rows by which entries are NaN.

    Returns a list of (observed, rows): ``observed`` a boolean mask of the
    observed features, ``rows`` the indices of the rows with that pattern.
    Raises ValueError for infinite entries, a row with no observed entry, or
    a feature missing in every row.
    """
    X = np.asarray(X, dtype=np.float64)
    if np.isinf(X).any():
        raise ValueError("X contains infinity; only NaN marks a missing entry")
    missing = np.isnan(X)
    empty_rows = np.flatnonzero(missing.all(axis=1))
    if empty_rows.size:
        raise ValueError(
            f"row {empty_rows[0]} of X has every entry missing; drop such rows"
        )
    empty_cols = np.flatnonzero(missing.all(axis=0))
    if empty_cols.size:
        raise ValueError(f"feature {empty_cols[0]} of X is missing in every row")
    masks, inverse = np.unique(~missing, axis=0, return_inverse=True)
    return [
        (mask, np.flatnonzero(inverse.ravel() == p)) for p, mask in enumerate(masks)
    ]


def _component_terms(X, means, cov_full):
    """For every row and component: log N(x_o | μ_o, Σ_oo), x̂ and C.

    Returns log_dens (n, K), completed (n, K, d) and cond_cov (n, K, d, d).
    """
    n, d = X.shape
    k = means.shape[0]
    log_dens = np.empty((n, k))
    completed = np.empty((n, k, d))
    cond_cov = np.zeros((n, k, d, d))
    for obs, rows in missing_patterns(X):
        mis = ~obs
        x_o = X[np.ix_(rows, obs)]
        for c in range(k):
            sigma = cov_full[c]
            s_oo = sigma[np.ix_(obs, obs)]
            s_mo = sigma[np.ix_(mis, obs)]
            lower = np.linalg.cholesky(s_oo)
            diff = x_o - means[c, obs]
            # Whitened differences y = L⁻¹ (x_o - μ_o): |y|² is the Mahalanobis
            # distance, Σ_mo L⁻ᵀ y the regression of x_m on x_o.
            white = np.linalg.solve(lower, diff.T).T
            log_dens[rows, c] = (
                -0.5 * (obs.sum() * _LOG_2PI + (white**2).sum(axis=1))
                - np.log(np.diag(lower)).sum()
            )
            gain = np.linalg.solve(lower, s_mo.T).T  # Σ_mo L⁻ᵀ
            full_row = np.empty((rows.size, d))
            full_row[:, obs] = x_o
            full_row[:, mis] = means[c, mis] + white @ gain.T
            completed[rows, c] = full_row
            block = sigma[np.ix_(mis, mis)] - gain @ gain.T
            cc = np.zeros((d, d))
            cc[np.ix_(mis, mis)] = block
            cond_cov[rows, c] = cc
    return log_dens, completed, cond_cov


def _logsumexp_rows(a):
    top = a.max(axis=1)
    return top + np.log(np.exp(a - top[:, np.newaxis]).sum(axis=1))


def log_prob_observed(X, means, covariances, covariance_type="full"):
    """log N(x_o,i | μ_k,o, Σ_k,oo) for every row and component: (n, K)."""
    X = np.asarray(X, dtype=np.float64)
    means = np.asarray(means, dtype=np.float64)
    cov = full_covariances(covariances, covariance_type, *means.shape)
    return _component_terms(X, means, cov)[0]


def e_step(X, weights, means, covariances, covariance_type="full"):
    """Responsibilities (n, K) and observed-data log p(x_o,i) (n,)."""
    log_dens = log_prob_observed(X, means, covariances, covariance_type)
    joint = log_dens + np.log(np.asarray(weights, dtype=np.float64))
    log_prob = _logsumexp_rows(joint)
    return np.exp(joint - log_prob[:, np.newaxis]), log_prob


def m_step(
    X,
    weights,
    means,
    covariances,
    covariance_type="full",
    reg_covar=0.0,
    sample_weight=None,
):
    """One EM iteration from the given parameters (the E-step inside).

    Returns (weights, means, covariances, lower_bound): the new parameters in
    scikit-learn's shapes and the weighted mean observed-data log-likelihood
    under the *given* parameters.
    """
    X = np.asarray(X, dtype=np.float64)
    means = np.asarray(means, dtype=np.float64)
    k, d = means.shape
    cov = full_covariances(covariances, covariance_type, k, d)
    log_dens, completed, cond_cov = _component_terms(X, means, cov)
    joint = log_dens + np.log(np.asarray(weights, dtype=np.float64))
    log_prob = _logsumexp_rows(joint)
    resp = np.exp(joint - log_prob[:, np.newaxis])
    w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight)
    lower_bound = float(w @ log_prob / w.sum())

    r = resp * w[:, np.newaxis]
    nk = r.sum(axis=0) + 10 * np.finfo(np.float64).eps
    new_means = np.einsum("ik,ikd->kd", r, completed) / nk[:, np.newaxis]
    scatter = np.empty((k, d, d))
    for c in range(k):
        diff = completed[:, c] - new_means[c]
        scatter[c] = (r[:, c, np.newaxis] * diff).T @ diff
        scatter[c] += np.einsum("i,ijl->jl", r[:, c], cond_cov[:, c])
        scatter[c] = 0.5 * (scatter[c] + scatter[c].T)
    if covariance_type == "full":
        new_cov = scatter / nk[:, np.newaxis, np.newaxis] + reg_covar * np.eye(d)
    elif covariance_type == "tied":
        new_cov = scatter.sum(axis=0) / nk.sum() + reg_covar * np.eye(d)
    elif covariance_type == "diag":
        new_cov = np.diagonal(scatter, axis1=1, axis2=2) / nk[:, np.newaxis] + reg_covar
    else:
        variances = np.diagonal(scatter, axis1=1, axis2=2) / nk[:, np.newaxis]
        new_cov = (variances + reg_covar).mean(axis=1)
    return nk / nk.sum(), new_means, new_cov, lower_bound


def fit_em(
    X,
    weights,
    means,
    covariances,
    covariance_type="full",
    *,
    reg_covar=1e-6,
    max_iter=100,
    tol=1e-3,
    sample_weight=None,
):
    """EM from given parameters, stopping when the mean observed-data
    log-likelihood changes by less than ``tol``.

    Returns (weights, means, covariances, lower_bounds, converged), with
    lower_bounds[t] the bound under the parameters entering iteration t + 1,
    as in the native core.
    """
    bounds, previous, converged = [], -np.inf, False
    for _ in range(max_iter):
        weights, means, covariances, bound = m_step(
            X, weights, means, covariances, covariance_type, reg_covar, sample_weight
        )
        precision_cholesky(covariances, covariance_type)  # raises if singular
        bounds.append(bound)
        if abs(bound - previous) < tol:
            converged = True
            break
        previous = bound
    return weights, means, covariances, bounds, converged


def impute(X, weights, means, covariances, covariance_type="full"):
    """X with every NaN replaced by its conditional mean under the mixture,
    Σ_k γ_k E[x_m | x_o, k] (γ the responsibilities given x_o)."""
    X = np.asarray(X, dtype=np.float64)
    means = np.asarray(means, dtype=np.float64)
    cov = full_covariances(covariances, covariance_type, *means.shape)
    log_dens, completed, _ = _component_terms(X, means, cov)
    joint = log_dens + np.log(np.asarray(weights, dtype=np.float64))
    resp = np.exp(joint - _logsumexp_rows(joint)[:, np.newaxis])
    return np.where(np.isnan(X), np.einsum("ik,ikd->id", resp, completed), X)
