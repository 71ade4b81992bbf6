"""Warnings and errors raised by emclust.

They are defined here, without importing scikit-learn, so that emclust (and
its pure-NumPy reference) works with NumPy alone.
"""

from __future__ import annotations

__all__ = ["ConvergenceWarning", "NotFittedError"]


class ConvergenceWarning(UserWarning):
    """The best initialisation stopped at ``max_iter`` before the change of the
    lower bound fell below ``tol``."""


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before ``fit`` (subclasses ValueError and
    AttributeError, as scikit-learn's NotFittedError does)."""
