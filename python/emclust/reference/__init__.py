"""Pure-NumPy reference implementations.

Readable, single-threaded, vectorised versions of every model: the oracle the
tests compare the native core against, and the "pure-Python EM" of the
benchmarks. Nothing here imports the native module.
"""

from . import (
    bernoulli,
    bernoulli_missing,
    covariance_models,
    gmm_missing,
    hierarchical,
    masked,
    mclust_em,
    prior,
    variational,
)
from .gmm import (
    GaussianMixture,
    covariances_from_precisions_cholesky,
    e_step,
    log_gaussian_prob,
    m_step,
    n_parameters,
    precision_cholesky,
    precision_cholesky_from_precisions,
)

__all__ = [
    "GaussianMixture",
    "bernoulli",
    "bernoulli_missing",
    "covariance_models",
    "covariances_from_precisions_cholesky",
    "e_step",
    "gmm_missing",
    "hierarchical",
    "log_gaussian_prob",
    "m_step",
    "masked",
    "mclust_em",
    "n_parameters",
    "precision_cholesky",
    "precision_cholesky_from_precisions",
    "prior",
    "variational",
]
