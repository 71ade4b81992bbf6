"""The warning and error classes emclust raises: scikit-learn's own, so that
``warnings.filterwarnings("ignore", category=sklearn.exceptions.ConvergenceWarning)``
and ``except sklearn.exceptions.NotFittedError`` work on emclust too."""

from sklearn.exceptions import ConvergenceWarning, NotFittedError

__all__ = ["ConvergenceWarning", "NotFittedError"]
