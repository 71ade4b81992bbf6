"""What the estimators share beyond scikit-learn's base classes."""

from __future__ import annotations

import operator
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from .. import io
from .._validation import check_data

# Parameter constraints every estimator uses in the same sense.
N_THREADS = [Interval(Integral, 1, None, closed="left"), None]
# scikit-learn's random states, plus a Generator and any non-negative int
# (the core takes a 64-bit seed).
RANDOM_STATE = [
    "random_state",
    np.random.Generator,
    Interval(Integral, 0, None, closed="left"),
]


class ModelFileMixin:
    """``save``: the estimator's model file (emclust.io), for every estimator
    whose kind io knows."""

    def save(self, path):
        """Write the fitted estimator to a JSON model file (see ``emclust.load``).

        Parameters
        ----------
        path : str or os.PathLike
            The file to write, atomically.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        return io.save(self, path)


class CachedParamValidation:
    """scikit-learn's _validate_params, remembering the parameter values it
    has passed: a fit with the same (hashable) parameters skips checking
    them again, which on small data would cost as much as the fit's
    arithmetic. Parameters that cannot be hashed (arrays) are checked every
    time."""

    _validated_params = None  # per class: {key: True}, small

    @classmethod
    def _get_param_names(cls):
        names = cls.__dict__.get("_param_names_cache")
        if names is None:
            names = super()._get_param_names()
            cls._param_names_cache = names
        return names

    @classmethod
    def _param_values(cls):
        """A function of an estimator giving its parameter values, in the
        order of _get_param_names (what get_params(deep=False) holds)."""
        getter = cls.__dict__.get("_param_getter_cache")
        if getter is None:
            names = cls._get_param_names()
            if len(names) > 1:
                getter = operator.attrgetter(*names)
            else:  # attrgetter of one name gives the value, not a tuple
                getter = lambda est: tuple(getattr(est, n) for n in names)  # noqa: E731
            cls._param_getter_cache = getter
        return getter

    def _validate_params(self):
        # The names are fixed per class, so the values and their types (1,
        # 1.0 and True are equal and hash alike) identify the parameters.
        values = type(self)._param_values()(self)
        key = (values, tuple(map(type, values)))
        try:
            hash(key)
        except TypeError:
            key = None
        cls = type(self)
        seen = cls.__dict__.get("_validated_params")
        if key is not None and seen is not None and key in seen:
            return
        super()._validate_params()
        if key is not None:
            if seen is None or len(seen) >= 64:
                seen = {}
                cls._validated_params = seen
            seen[key] = True


def check_fitted(est, attribute):
    """scikit-learn's check_is_fitted, run only when ``attribute``, which
    fit sets, is missing: an estimator that has it would pass the check
    anyway, and the check itself (the estimator's tags, then a scan of its
    attributes) costs as much as predicting a few hundred rows. An unfitted
    estimator gets scikit-learn's NotFittedError from scikit-learn."""
    if attribute not in est.__dict__:
        check_is_fitted(est)


def check_dask_n_features(est, X):
    """The check validate_data(reset=False) does, for a Dask array."""
    if X.shape[1] != est.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(est).__name__} is expecting "
            f"{est.n_features_in_} features as input"
        )


def float_result(a, dtype):
    """A fitted array in the data's floating type (float32 data gives
    float32 attributes, as in scikit-learn; the sums behind them were float64)."""
    return np.asarray(a).astype(dtype, copy=False)


__all__ = [
    "N_THREADS",
    "RANDOM_STATE",
    "CachedParamValidation",
    "check_dask_n_features",
    "check_data",
    "check_fitted",
]
