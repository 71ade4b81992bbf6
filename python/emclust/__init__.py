"""emclust: clustering with the EM algorithm on a multithreaded C++ core."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("emclust")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
