"""The warning and error classes emclust raises: scikit-learn's own, so that
``warnings.filterwarnings("ignore", category=sklearn.exceptions.ConvergenceWarning)``
and ``except sklearn.exceptions.NotFittedError`` work on emclust too, and
emclust's own."""

from sklearn.exceptions import ConvergenceWarning, NotFittedError

__all__ = ["ConvergenceWarning", "NotFittedError", "SingularCovarianceWarning"]


class SingularCovarianceWarning(UserWarning):
    """A fitted Gaussian mixture is singular (``status_ == "singular"``): a
    covariance is numerically singular, or a component holds fewer effective
    points than its own parameters need (see emclust.models.singular)."""
