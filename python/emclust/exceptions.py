"""Warnings and errors raised by emclust."""


class ConvergenceWarning(UserWarning):
    """The best initialisation did not converge within ``max_iter`` iterations."""


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before ``fit`` (a ValueError and an AttributeError,
    as scikit-learn's)."""
