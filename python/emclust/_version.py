"""The installed emclust version (ground floor: model files record it)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("emclust")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+unknown"
