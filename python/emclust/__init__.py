"""emclust: clustering with the EM algorithm on a multithreaded C++ core."""

from importlib.metadata import PackageNotFoundError, version

from ._gmm import GaussianMixture, e_step, m_step
from ._kmeans import KMeans, KMedians, kmeans_plusplus
from ._persist import load, save
from ._statistics import (
    GaussianStatistics,
    KMeansStatistics,
    gmm_statistics,
    kmeans_statistics,
)
from .exceptions import ConvergenceWarning, NotFittedError

try:
    __version__ = version("emclust")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "ConvergenceWarning",
    "GaussianMixture",
    "GaussianStatistics",
    "KMeans",
    "KMeansStatistics",
    "KMedians",
    "NotFittedError",
    "__version__",
    "e_step",
    "gmm_statistics",
    "kmeans_plusplus",
    "kmeans_statistics",
    "load",
    "m_step",
    "save",
]
