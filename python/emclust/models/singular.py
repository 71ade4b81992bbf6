"""The rule that calls a fitted Gaussian mixture singular (issue 23, item 4).

A fit is "singular" when either

- some Σ_k has a reciprocal condition number (smallest over largest
  eigenvalue) below ``RCOND_EPS`` = 2.2e-16, mclust's default ``eps``
  (``.Machine$double.eps``); or
- some component's effective size n_k = n · π_k is below the points its own
  parameters need: 1 for its mean (d numbers, one row's worth) plus v / d,
  where v is the number of covariance parameters the component alone owns
  (mclust's count for k components minus that for k - 1, or all of them
  for k = 1: 0 for EII and EEE, 1 for VII, d for VVI, d (d + 1) / 2 for VVV).

Such a fit is one whose likelihood grows without bound (a component on one
row, duplicated rows); model selection must not pick it.
"""

import numpy as np

from .covariance_models import _n_variance_parameters, canonical_model

__all__ = ["RCOND_EPS", "is_singular", "points_needed"]

RCOND_EPS = float(np.finfo(np.float64).eps)


def points_needed(covariance_type, n_components, n_features):
    """The effective rows a component needs (see the module's rule)."""
    model = canonical_model(covariance_type, n_features)
    k, d = int(n_components), int(n_features)
    own = _n_variance_parameters(model, k, d)
    if k > 1:
        own -= _n_variance_parameters(model, k - 1, d)
    return 1.0 + own / d


def is_singular(full_covariances, weights, n_samples, covariance_type):
    """Whether a fit is singular by the rule; full_covariances is (k, d, d)."""
    cov = np.asarray(full_covariances, dtype=np.float64)
    k, d = cov.shape[0], cov.shape[1]
    values = np.linalg.eigvalsh(cov)
    with np.errstate(divide="ignore", invalid="ignore"):
        rcond = values[:, 0] / values[:, -1]
    if not np.all(np.isfinite(values)) or np.any(~(rcond >= RCOND_EPS)):
        return True
    n_k = float(n_samples) * np.asarray(weights, dtype=np.float64)
    return bool(np.any(n_k < points_needed(covariance_type, k, d)))
