"""What the estimators share beyond scikit-learn's base classes."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval

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


__all__ = ["N_THREADS", "RANDOM_STATE", "check_dask_n_features", "check_data"]
