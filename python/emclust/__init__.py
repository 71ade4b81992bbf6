"""emclust: clustering with the EM algorithm on a multithreaded C++ core."""

from importlib.metadata import PackageNotFoundError, version

from ._gmm import GaussianMixture, e_step, m_step
from ._kmeans import KMeans, KMedians, kmeans_plusplus
from ._persist import load, save
from .exceptions import ConvergenceWarning, NotFittedError

try:
    __version__ = version("emclust")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "ConvergenceWarning",
    "GaussianMixture",
    "KMeans",
    "KMedians",
    "NotFittedError",
    "__version__",
    "e_step",
    "kmeans_plusplus",
    "load",
    "m_step",
    "save",
]
