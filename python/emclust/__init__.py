"""emclust: clustering with the EM algorithm on a multithreaded C++ core."""

from importlib.metadata import PackageNotFoundError, version

from . import datasets
from ._algebra import mixture_moments, sum_of_mixtures
from ._bernoulli import BernoulliMixture
from ._gmm import GaussianMixture, e_step, m_step
from ._kmeans import KMeans, KMedians, kmeans_plusplus
from ._persist import load, save
from ._statistics import (
    BernoulliStatistics,
    GaussianStatistics,
    KMeansStatistics,
    RelocationCandidates,
    bernoulli_statistics,
    gmm_statistics,
    kmeans_relocation_candidates,
    kmeans_statistics,
)
from .exceptions import ConvergenceWarning, NotFittedError

try:
    __version__ = version("emclust")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "BernoulliMixture",
    "BernoulliStatistics",
    "ConvergenceWarning",
    "GaussianMixture",
    "GaussianStatistics",
    "KMeans",
    "KMeansStatistics",
    "KMedians",
    "NotFittedError",
    "RelocationCandidates",
    "__version__",
    "bernoulli_statistics",
    "datasets",
    "e_step",
    "gmm_statistics",
    "kmeans_plusplus",
    "kmeans_relocation_candidates",
    "kmeans_statistics",
    "load",
    "m_step",
    "mixture_moments",
    "save",
    "sum_of_mixtures",
]
