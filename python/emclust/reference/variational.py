"""Variational Bayesian Gaussian mixture: the pure-NumPy reference.

The updates and the lower bound of scikit-learn's BayesianGaussianMixture
(Bishop, PRML §10.2; Blei and Jordan, 2006 for the stick-breaking prior),
written as functions of the weighted sufficient statistics so that the
M-step is the same map whichever E-step produced them. ``sample_weight``
multiplies every row's responsibilities: an integer weight is the same as
repeating the row.

A variational state is a dict with the keys of scikit-learn's fitted
attributes without the trailing underscore: weight_concentration (a pair of
arrays for the Dirichlet process), mean_precision, means, degrees_of_freedom,
covariances (of the expected precision's inverse) and precisions_cholesky.
Priors are a dict: weight_concentration_prior, mean_precision_prior,
mean_prior, degrees_of_freedom_prior, covariance_prior.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, gammaln, xlogy

from .gmm import _log_det_precision_cholesky, log_gaussian_prob, precision_cholesky

PRIOR_TYPES = ("dirichlet_process", "dirichlet_distribution")
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

# scikit-learn adds 10 machine epsilons to every component's count so that an
# empty component divides by a tiny number, not zero; kept for exactness.
_NK_FLOOR = 10 * np.finfo(np.float64).eps


def _weighted(resp, sample_weight):
    return resp if sample_weight is None else resp * sample_weight[:, None]


def _weighted_moments(X, sample_weight):
    """(mean, covariance with ddof=1 in repeated-row terms) of the rows."""
    if sample_weight is None:
        return X.mean(axis=0), np.atleast_2d(np.cov(X.T))
    w = np.asarray(sample_weight, dtype=np.float64)
    total = w.sum()
    mean = w @ X / total
    diff = X - mean
    cov = (diff.T * w) @ diff / (total - 1.0)
    return mean, np.atleast_2d(cov)


def check_priors(
    X,
    covariance_type,
    n_components,
    *,
    weight_concentration_prior=None,
    mean_precision_prior=None,
    mean_prior=None,
    degrees_of_freedom_prior=None,
    covariance_prior=None,
    sample_weight=None,
    moments=None,
):
    """The priors scikit-learn derives from X and the parameters (the
    ``*_prior_`` attributes), checked: a ValueError names the argument.
    ``moments`` (mean, covariance) stands for X's when X is not in memory
    (then X only gives n_features)."""
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(
            f"covariance_type must be one of {COVARIANCE_TYPES}, got {covariance_type!r}"
        )
    X = np.asarray(X, dtype=np.float64)
    d = X.shape[1]
    if moments is None:
        moments = _weighted_moments(X, sample_weight)
    mean, cov = moments
    priors = {}
    if weight_concentration_prior is None:
        priors["weight_concentration_prior"] = 1.0 / n_components
    else:
        if not weight_concentration_prior > 0:
            raise ValueError(
                "weight_concentration_prior must be > 0, got "
                f"{weight_concentration_prior!r}"
            )
        priors["weight_concentration_prior"] = weight_concentration_prior
    if mean_precision_prior is None:
        priors["mean_precision_prior"] = 1.0
    else:
        if not mean_precision_prior > 0:
            raise ValueError(
                f"mean_precision_prior must be > 0, got {mean_precision_prior!r}"
            )
        priors["mean_precision_prior"] = mean_precision_prior
    if mean_prior is None:
        priors["mean_prior"] = mean
    else:
        m = np.asarray(mean_prior, dtype=np.float64)
        if m.shape != (d,):
            raise ValueError(
                f"mean_prior must have shape ({d},) (n_features), got {m.shape}"
            )
        if not np.all(np.isfinite(m)):
            raise ValueError("mean_prior must be finite")
        priors["mean_prior"] = m
    if degrees_of_freedom_prior is None:
        priors["degrees_of_freedom_prior"] = d
    elif degrees_of_freedom_prior > d - 1.0:
        priors["degrees_of_freedom_prior"] = degrees_of_freedom_prior
    else:
        raise ValueError(
            "The parameter 'degrees_of_freedom_prior' should be greater than "
            f"{d - 1}, but got {degrees_of_freedom_prior:.3f}."
        )
    priors["covariance_prior"] = _check_covariance_prior(
        covariance_prior, covariance_type, d, cov
    )
    return priors


def _check_covariance_prior(covariance_prior, covariance_type, d, cov):
    if covariance_prior is None:
        if covariance_type in ("full", "tied"):
            return cov
        if covariance_type == "diag":
            return np.diag(cov).copy()
        return float(np.diag(cov).mean())
    name = f"{covariance_type} covariance_prior"
    if covariance_type in ("full", "tied"):
        c = np.asarray(covariance_prior, dtype=np.float64)
        if c.shape != (d, d):
            raise ValueError(
                f"The parameter '{name}' should have the shape of {(d, d)}, but got {c.shape}"
            )
        if not (np.allclose(c, c.T) and np.all(np.linalg.eigvalsh(c) > 0.0)):
            raise ValueError(f"'{name}' should be symmetric, positive-definite")
        return c
    if covariance_type == "diag":
        c = np.asarray(covariance_prior, dtype=np.float64)
        if c.shape != (d,):
            raise ValueError(
                f"The parameter '{name}' should have the shape of {(d,)}, but got {c.shape}"
            )
        if np.any(np.less_equal(c, 0.0)):
            raise ValueError(f"'{name}' should be positive")
        return c
    c = float(covariance_prior)
    if not c > 0.0:
        raise ValueError(f"'{name}' should be positive")
    return c


def statistics(X, resp, covariance_type, reg_covar, sample_weight=None):
    """(nk, xk, sk): weighted counts, means and covariances (+ reg_covar) of
    the components, as scikit-learn's _estimate_gaussian_parameters."""
    X = np.asarray(X, dtype=np.float64)
    r = _weighted(np.asarray(resp, dtype=np.float64), sample_weight)
    nk = r.sum(axis=0) + _NK_FLOOR
    xk = r.T @ X / nk[:, None]
    d = X.shape[1]
    if covariance_type == "full":
        sk = np.empty((nk.shape[0], d, d))
        for k in range(nk.shape[0]):
            diff = X - xk[k]
            sk[k] = (r[:, k] * diff.T) @ diff / nk[k]
            sk[k].flat[:: d + 1] += reg_covar
    elif covariance_type == "tied":
        w = r.sum(axis=1)
        second = (X.T * w) @ X
        sk = (second - (nk * xk.T) @ xk) / nk.sum()
        sk.flat[:: d + 1] += reg_covar
    else:
        sk = r.T @ (X * X) / nk[:, None] - xk**2 + reg_covar
        if covariance_type == "spherical":
            sk = sk.mean(axis=1)
    return nk, xk, sk


def m_step(nk, xk, sk, priors, covariance_type, prior_type):
    """The variational posterior parameters from the statistics."""
    k = xk.shape[0]
    a0 = priors["weight_concentration_prior"]
    if prior_type == "dirichlet_process":
        tail = np.hstack((np.cumsum(nk[::-1])[-2::-1], 0))
        concentration = (1.0 + nk, a0 + tail)
    else:
        concentration = a0 + nk
    beta0, m0 = priors["mean_precision_prior"], priors["mean_prior"]
    nu0, psi0 = priors["degrees_of_freedom_prior"], priors["covariance_prior"]
    beta = beta0 + nk
    means = (beta0 * m0 + nk[:, None] * xk) / beta[:, None]
    diff = xk - m0
    if covariance_type == "full":
        dof = nu0 + nk
        shrink = nk * beta0 / beta
        cov = (
            psi0
            + nk[:, None, None] * sk
            + shrink[:, None, None] * (diff[:, :, None] * diff[:, None, :])
        )
        cov /= dof[:, None, None]
    elif covariance_type == "tied":
        dof = nu0 + nk.sum() / k
        cov = psi0 + sk * nk.sum() / k + beta0 / k * ((nk / beta) * diff.T) @ diff
        cov /= dof
    elif covariance_type == "diag":
        dof = nu0 + nk
        cov = psi0 + nk[:, None] * (sk + (beta0 / beta)[:, None] * diff**2)
        cov /= dof[:, None]
    else:
        dof = nu0 + nk
        cov = psi0 + nk * (sk + beta0 / beta * np.mean(diff**2, axis=1))
        cov /= dof
    return {
        "weight_concentration": concentration,
        "mean_precision": beta,
        "means": means,
        "degrees_of_freedom": dof,
        "covariances": cov,
        "precisions_cholesky": precision_cholesky(cov, covariance_type),
    }


def expected_log_weights(weight_concentration, prior_type):
    """E[log π_k] under the variational Dirichlet (or stick-breaking Beta) posterior."""
    if prior_type == "dirichlet_process":
        a, b = weight_concentration
        dsum = digamma(a + b)
        return digamma(a) - dsum + np.hstack((0, np.cumsum(digamma(b) - dsum)[:-1]))
    return digamma(weight_concentration) - digamma(np.sum(weight_concentration))


def weights(weight_concentration, prior_type):
    """The posterior mean weights (scikit-learn's weights_)."""
    if prior_type == "dirichlet_process":
        a, b = weight_concentration
        total = a + b
        w = a / total * np.hstack((1, np.cumprod(b / total)[:-1]))
        return w / np.sum(w)
    return weight_concentration / np.sum(weight_concentration)


def log_prob_corrections(state, n_features):
    """Per component: what E_q[log N(x | μ, Λ)] adds to the Gaussian log-density
    with the expected precision (the digamma and log-determinant terms)."""
    dof, beta, d = state["degrees_of_freedom"], state["mean_precision"], n_features
    dof_k = np.broadcast_to(dof, beta.shape)
    log_lambda = d * np.log(2.0) + np.sum(
        digamma(0.5 * (dof_k - np.arange(d)[:, None])), axis=0
    )
    return -0.5 * d * np.log(dof_k) + 0.5 * (log_lambda - d / beta)


def weighted_log_prob(X, state, covariance_type, prior_type):
    """log ρ_nk = E[log π_k] + E[log N(x_n | μ_k, Λ_k)] (unnormalised)."""
    X = np.asarray(X, dtype=np.float64)
    log_gauss = log_gaussian_prob(
        X, state["means"], state["precisions_cholesky"], covariance_type
    )
    return (
        log_gauss
        + log_prob_corrections(state, X.shape[1])
        + expected_log_weights(state["weight_concentration"], prior_type)
    )


def e_step(X, state, covariance_type, prior_type):
    """(log_prob_norm per row, log_resp) of the variational E-step."""
    wlp = weighted_log_prob(X, state, covariance_type, prior_type)
    top = wlp.max(axis=1, keepdims=True)
    norm = np.log(np.exp(wlp - top).sum(axis=1)) + top[:, 0]
    return norm, wlp - norm[:, None]


def _log_wishart_norm(dof, log_det_precisions_chol, d):
    return -(
        dof * log_det_precisions_chol
        + dof * d * 0.5 * np.log(2.0)
        + np.sum(gammaln(0.5 * (dof - np.arange(d)[:, None])), axis=0)
    )


def lower_bound(resp_entropy, state, priors, covariance_type, prior_type):
    """scikit-learn's lower bound (up to a constant) from Σ_n w_n Σ_k r log r
    (``resp_entropy``, the negative entropy) and the posterior parameters."""
    d = priors["mean_prior"].shape[0]
    k = state["mean_precision"].shape[0]
    dof = state["degrees_of_freedom"]
    log_det = _log_det_precision_cholesky(
        state["precisions_cholesky"], covariance_type, d
    ) - 0.5 * d * np.log(dof)
    if covariance_type == "tied":
        log_wishart = k * np.sum(_log_wishart_norm(dof, log_det, d))
    else:
        log_wishart = np.sum(_log_wishart_norm(dof, log_det, d))
    conc = state["weight_concentration"]
    if prior_type == "dirichlet_process":
        log_norm_weight = -np.sum(betaln(conc[0], conc[1]))
    else:
        log_norm_weight = gammaln(np.sum(conc)) - np.sum(gammaln(conc))
    return float(
        -resp_entropy
        - log_wishart
        - log_norm_weight
        - 0.5 * d * np.sum(np.log(state["mean_precision"]))
    )


def resp_entropy(log_resp, sample_weight=None):
    """Σ_n w_n Σ_k r_nk log r_nk."""
    r = np.exp(log_resp)
    terms = (r * log_resp).sum(axis=1)
    return float(terms.sum() if sample_weight is None else sample_weight @ terms)


def resp_entropy_from_resp(resp, sample_weight=None):
    """The same from the responsibilities (0 log 0 = 0)."""
    terms = xlogy(resp, resp).sum(axis=1)
    return float(terms.sum() if sample_weight is None else sample_weight @ terms)


def fit(
    X,
    state,
    priors,
    covariance_type,
    prior_type,
    *,
    reg_covar=1e-6,
    max_iter=100,
    tol=1e-3,
    sample_weight=None,
    lower_bound_start=-np.inf,
):
    """Variational EM from ``state``: (state, lower_bounds, n_iter, converged)."""
    lb = lower_bound_start
    bounds = []
    converged = False
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        previous = lb
        _, log_resp = e_step(X, state, covariance_type, prior_type)
        stats = statistics(
            X, np.exp(log_resp), covariance_type, reg_covar, sample_weight
        )
        state = m_step(*stats, priors, covariance_type, prior_type)
        lb = lower_bound(
            resp_entropy(log_resp, sample_weight),
            state,
            priors,
            covariance_type,
            prior_type,
        )
        bounds.append(lb)
        if abs(lb - previous) < tol:
            converged = True
            break
    return state, bounds, n_iter, converged
