"""emclust: clustering with the EM algorithm on a multithreaded C++ core."""

from . import datasets
from ._version import __version__
from .estimators.bayesian_mixture import BayesianGaussianMixture
from .estimators.bernoulli_mixture import BernoulliMixture
from .estimators.gaussian_mixture import GaussianMixture
from .estimators.kmeans import KMeans, KMedians, k_means
from .estimators.minibatch_kmeans import MiniBatchKMeans
from .exceptions import ConvergenceWarning, NotFittedError
from .io import load, save
from .models.algebra import mixture_moments, sum_of_mixtures
from .models.bernoulli import BernoulliStatistics, bernoulli_statistics
from .models.gaussian import GaussianStatistics, e_step, gmm_statistics, m_step
from .models.kmeans import (
    KMeansStatistics,
    RelocationCandidates,
    kmeans_plusplus,
    kmeans_relocation_candidates,
    kmeans_statistics,
)


def __getattr__(name):
    # The pure-NumPy reference is imported on first use only: the native
    # estimators never need it.
    if name == "reference":
        import importlib

        return importlib.import_module(".reference", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BayesianGaussianMixture",
    "BernoulliMixture",
    "BernoulliStatistics",
    "ConvergenceWarning",
    "GaussianMixture",
    "GaussianStatistics",
    "KMeans",
    "KMeansStatistics",
    "KMedians",
    "MiniBatchKMeans",
    "NotFittedError",
    "RelocationCandidates",
    "__version__",
    "bernoulli_statistics",
    "datasets",
    "e_step",
    "gmm_statistics",
    "k_means",
    "kmeans_plusplus",
    "kmeans_relocation_candidates",
    "kmeans_statistics",
    "load",
    "m_step",
    "mixture_moments",
    "save",
    "sum_of_mixtures",
]
