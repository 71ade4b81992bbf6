"""What emclust validates beyond scikit-learn.

Arrays go through scikit-learn's ``check_array`` / ``validate_data`` (types,
shapes, finiteness, feature names, ``n_features_in_``), asked for what the
core takes: C-contiguous float64 or float32, never a copy when X already is
one. Here is only what scikit-learn has no word for: binary data, the core's
thread count and 64-bit seed, emclust's sample weights (an integer weight is
a repeated row) and mixing weights.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_scalar
from sklearn.utils.validation import _check_n_features, check_array, validate_data

from . import _core

FLOAT_DTYPES = (np.float64, np.float32)
# The same as dtype objects: ``X.dtype in`` these compares without converting.
_FLOAT_DTYPE_OBJECTS = (np.dtype(np.float64), np.dtype(np.float32))


def plain(value):
    """A value as a message shows it: numpy scalars as the Python numbers and
    strings they hold (1.5, not np.float64(1.5), under NumPy 2's reprs)."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def _array_options(allow_nan, accept_sparse, min_samples, dtype=None):
    return {
        "dtype": list(FLOAT_DTYPES) if dtype is None else dtype,
        "order": "C",
        "accept_sparse": "csr" if accept_sparse else False,
        "ensure_all_finite": "allow-nan" if allow_nan else True,
        "ensure_min_samples": min_samples,
    }


def check_data(
    X,
    estimator=None,
    *,
    reset=True,
    name="X",
    min_samples=1,
    allow_nan=False,
    accept_sparse=False,
    dtype=None,
):
    """A data matrix as the core takes it: C-contiguous float64 or float32.

    float32 and float64 stay as they are (no copy when already
    C-contiguous); anything else numeric becomes float64. With an
    ``estimator``, scikit-learn's ``validate_data`` also sets (``reset``) or
    checks ``n_features_in_`` and ``feature_names_in_``.

    ``allow_nan`` lets NaN through (missing values) and ``accept_sparse``
    lets a scipy.sparse matrix through as CSR (see ``check_csr``; NaN is
    never allowed there); an estimator that accepts either says so here and
    in its tags. ``dtype`` asks for one type instead. Otherwise
    scikit-learn's errors: ValueError for NaN, infinity, complex data, a
    wrong number of dimensions or too few rows; TypeError for sparse input
    (``sparse_rejected``).
    """
    if type(X) is not np.ndarray and hasattr(X, "__dask_graph__"):
        raise TypeError(
            f"{name} is a Dask collection; this function needs a NumPy array"
        )
    if is_sparse(X):
        if not accept_sparse:
            raise sparse_rejected(X, estimator, name)
        return check_csr(X, estimator, reset=reset, name=name, min_samples=min_samples)
    if (
        estimator is not None
        and dtype is None
        and _already_valid(X, min_samples, allow_nan)
        and not hasattr(estimator, "feature_names_in_")
    ):
        # X is what check_array would return unchanged, and a NumPy array
        # has no feature names (nor were any fitted): only the feature count
        # is left, checked (or set) by scikit-learn. This keeps validation as
        # cheap as it was before scikit-learn's (a fit of 272 rows takes
        # well under a millisecond). At inference a matching count is all
        # scikit-learn would check; it is asked only to set or refuse one.
        if reset or X.shape[1] != getattr(estimator, "n_features_in_", None):
            _check_n_features(estimator, X, reset=reset)
        return X
    # A float ndarray (the fast path above) cannot hold dates.
    refuse_dates(X, name)
    options = _array_options(allow_nan, accept_sparse, min_samples, dtype)
    # scikit-learn's finiteness check sums X first: inf - inf warns
    # (RuntimeWarning, an error under -W error) before the ValueError that
    # names X.
    with np.errstate(invalid="ignore", over="ignore"):
        if estimator is None:
            return check_array(X, input_name=name, **options)
        return validate_data(estimator, X, reset=reset, **options)


def refuse_dates(X, name="X"):
    """TypeError for dates and durations (datetime64, timedelta64): numpy
    would turn them into counts of their unit since 1970, which silently
    makes the unit part of the model."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None and not hasattr(dtypes, "kind"):  # a DataFrame
        kinds = {getattr(t, "kind", "O") for t in dtypes}
    else:
        dtype = getattr(X, "dtype", None)
        if dtype is None and isinstance(X, (list, tuple)):
            try:
                dtype = np.asarray(X).dtype
            except (ValueError, TypeError):
                dtype = None  # ragged or odd: check_array says what is wrong
        kinds = {getattr(dtype, "kind", None)}
    if kinds & {"M", "m"}:
        raise TypeError(
            f"{name} holds dates or durations (datetime64/timedelta64); convert "
            "them to numbers in a unit of your choice first (e.g. seconds since "
            "a reference time)"
        )


# --- sparse input (scipy.sparse), for the estimators with a CSR path ---------------


def is_sparse(X):
    """Whether X is a scipy.sparse matrix or array (scipy is imported only
    when X could be one)."""
    if not type(X).__module__.startswith("scipy.sparse"):
        return False
    import scipy.sparse as sp

    return sp.issparse(X)


def sparse_rejected(X, estimator=None, name="X"):
    """The TypeError of a function or estimator without a sparse path."""
    who = type(estimator).__name__ if estimator is not None else "this function"
    return TypeError(
        f"{who} does not accept sparse input: {name} is a scipy.sparse "
        f"{type(X).__name__}. Densify small data with {name}.toarray(), or "
        "reduce it first, e.g. with sklearn.decomposition.TruncatedSVD."
    )


def check_csr(X, estimator=None, *, reset=True, name="X", min_samples=1, dtype=None):
    """A scipy.sparse matrix or array as the core's CSR kernels take it.

    scikit-learn's ``check_array``/``validate_data`` do the checks (formats
    other than CSR converted to CSR, one copy of the nonzeros, never of
    n x d; complex data, NaN and infinity refused; too few rows;
    ``n_features_in_``); integers and booleans become float64, float32 and
    float64 stay. ``indptr`` and ``indices`` end up with one integer type
    (int32 or int64). Duplicate entries and unsorted indices are left as
    they are (the core sums duplicates, as ``toarray()`` does); index ranges
    are checked by the core (ValueError naming ``X.indptr``/``X.indices``).
    """
    if X.dtype.kind == "c":
        # scikit-learn's words, with the argument named (its message prints
        # the matrix instead).
        raise ValueError(
            f"Complex data not supported: {name} is a sparse matrix of dtype {X.dtype}"
        )
    options = _array_options(False, True, min_samples, dtype)
    options["accept_large_sparse"] = True
    if estimator is None:
        X = check_array(X, input_name=name, **options)
    else:
        X = validate_data(estimator, X, reset=reset, **options)
    if X.indptr.dtype != X.indices.dtype:
        index = np.promote_types(X.indptr.dtype, X.indices.dtype)
        X = type(X)(
            (X.data, X.indices.astype(index), X.indptr.astype(index)), shape=X.shape
        )
    if X.indptr.dtype not in (np.int32, np.int64):
        X = type(X)(
            (X.data, X.indices.astype(np.int64), X.indptr.astype(np.int64)),
            shape=X.shape,
        )
    return X


def csr_arrays(X):
    """(indptr, indices, data, n_features) of a checked CSR matrix, the first
    three C-contiguous, as the core's sparse functions take them."""
    return (
        np.ascontiguousarray(X.indptr),
        np.ascontiguousarray(X.indices),
        np.ascontiguousarray(X.data),
        X.shape[1],
    )


def check_binary_csr(X, name="X"):
    """A checked CSR matrix whose every entry is 0 or 1 once duplicates are
    summed (a canonical copy of the nonzeros only when it has duplicates)."""
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    bad = (X.data != 0) & (X.data != 1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        row = int(np.searchsorted(X.indptr, first, side="right") - 1)
        raise ValueError(
            f"{name} must be binary (every entry 0 or 1), got {plain(X.data[first])} at "
            f"[{row}, {X.indices[first]}]"
        )
    return X


def _already_valid(X, min_samples, allow_nan):
    """Whether check_array would return X itself: a C-contiguous 2-D float64
    or float32 ndarray with enough rows, a feature, and no infinity (nor NaN,
    unless allowed). The finiteness test is one sum: a non-finite sum sends X
    down the full check, which says what is wrong."""
    if (
        type(X) is not np.ndarray
        or X.ndim != 2
        or X.dtype not in _FLOAT_DTYPE_OBJECTS
        or not X.flags.c_contiguous
        or X.shape[0] < min_samples
        or X.shape[0] < 1
        or X.shape[1] < 1
    ):
        return False
    # inf - inf or an overflowing sum is only a reason to take the full check.
    with np.errstate(all="ignore"):
        total = X.sum(dtype=np.float64) if X.size > 0 else 0.0
    return bool(np.isfinite(total))


def check_binary_array(
    X,
    estimator=None,
    *,
    reset=True,
    name="X",
    min_samples=1,
    allow_nan=False,
    accept_sparse=False,
):
    """check_data, then every entry must be 0 or 1 (mixture of Bernoullis).

    bool and integer arrays become float64; float32 data is fitted in
    float32. Any other value (2, 0.5, -1) raises ``ValueError`` naming the
    first offending entry. The values are checked in slices that stay in
    cache, without (n_samples, n_features) temporaries. With
    ``accept_sparse`` a scipy.sparse matrix comes back as a canonical CSR
    matrix (``check_csr``, then ``check_binary_csr``; no NaN).
    """
    if accept_sparse and is_sparse(X):
        X = check_csr(X, estimator, reset=reset, name=name, min_samples=min_samples)
        return check_binary_csr(X, name)
    # NaN passes scikit-learn's check here so that the binary check names
    # the first bad entry, NaN or not, with its position.
    arr = check_data(
        X,
        estimator,
        reset=reset,
        name=name,
        min_samples=min_samples,
        allow_nan=True,
    )
    check_binary_values(arr, name, allow_nan=allow_nan)
    return arr


def check_binary_values(arr, name="X", row_offset=0, allow_nan=False):
    """ValueError unless every entry of a 2-D array is 0 or 1 (or NaN, a
    missing entry, with allow_nan)."""
    step = max(1, 65536 // max(1, arr.shape[1]))
    for start in range(0, arr.shape[0], step):
        part = arr[start : start + step]
        ok = (part == 0) | (part == 1)
        if allow_nan and part.dtype.kind == "f":
            ok |= np.isnan(part)
        if not ok.all():
            i, j = np.argwhere(~ok)[0]
            raise ValueError(
                f"{name} must be binary (every entry 0 or 1), got {plain(part[i, j])} at "
                f"[{row_offset + start + i}, {j}]"
            )


def check_sample_weight(sample_weight, n_samples):
    """Return sample weights as a C-contiguous float64 vector, or None.

    Weights must be finite and non-negative with a positive sum; a weight of
    zero means the row is absent and an integer weight w means the row
    counts w times.
    """
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be numeric, got dtype {w.dtype}")
    if w.ndim == 0:  # a scalar weighs every row alike, as in scikit-learn
        w = np.full(n_samples, float(w))
    w = np.ascontiguousarray(w, dtype=np.float64)
    if w.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X, got {w.shape}"
        )
    if not np.isfinite(w).all():
        raise ValueError("sample_weight contains NaN or infinity")
    if (w < 0).any():
        raise ValueError("sample_weight must be non-negative")
    with np.errstate(over="ignore"):
        total = w.sum()
    if not np.isfinite(total):
        raise ValueError(
            "sample_weight: the sum of the weights overflows floating point; "
            "divide them by a common factor (only their ratios matter)"
        )
    if not total > 0:
        raise ValueError(
            "sample_weight must have a positive sum (the weights are all zero)"
        )
    return w


def argument_suffix(name, parameter):
    """ " (name)" when the argument's name is not the parameter's."""
    return "" if name == parameter else f" ({name})"


def check_mixture_weights(weights, n_components, name):
    """Mixing weights: shape (n_components,), each in [0, 1], summing to 1
    (scikit-learn's messages, with the argument named)."""
    w = np.asarray(weights, dtype=np.float64)
    at = argument_suffix(name, "weights")
    if w.shape != (n_components,):
        raise ValueError(
            f"The parameter 'weights' should have the shape of ({n_components},), "
            f"but got {w.shape}{at}"
        )
    if not np.isfinite(w).all() or (w < 0).any() or (w > 1).any():
        # scikit-learn's message, which its test file matches, labels the
        # smallest weight "max value" and the largest "min value"; the words
        # after it say which is which.
        low, high = np.min(w), np.max(w)
        raise ValueError(
            "The parameter 'weights' should be in the range [0, 1], but got max "
            f"value {low:.5f}, min value {high:.5f} (smallest weight {low:.5f}, "
            f"largest {high:.5f}){at}"
        )
    if not np.isclose(w.sum(), 1.0, rtol=0, atol=1e-6):
        raise ValueError(
            "The parameter 'weights' should be normalized, but got sum(weights) = "
            f"{w.sum():.5f}{at}"
        )
    return np.ascontiguousarray(w)


def check_int(value, name, *, minimum=None):
    """An integer (not a bool) of at least ``minimum`` (scikit-learn's
    check_scalar, for functions; estimators use parameter constraints)."""
    if type(value) is int and (minimum is None or value >= minimum):
        return value  # what check_scalar would pass, without its cost
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an instance of int, not bool.")
    return int(check_scalar(value, name, numbers.Integral, min_val=minimum))


def check_float(value, name, *, minimum=None):
    """A finite real number of at least ``minimum`` (check_scalar)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an instance of float, not bool.")
    value = float(check_scalar(value, name, numbers.Real, min_val=minimum))
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_choice(value, name, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {plain(value)}")
    return value


def check_n_threads(n_threads):
    """Return the thread count for the core: 0 means every usable core.

    At most ``_core.MAX_THREADS`` (1024), the bound the core enforces too."""
    if n_threads is None:
        return 0
    if type(n_threads) is int and 1 <= n_threads <= _core.MAX_THREADS:
        return n_threads
    n_threads = check_int(n_threads, "n_threads", minimum=1)
    if n_threads > _core.MAX_THREADS:
        raise ValueError(f"n_threads must be <= {_core.MAX_THREADS}, got {n_threads}")
    return n_threads


def seed_from_random_state(random_state):
    """Turn scikit-learn's ``random_state`` into a 64-bit seed for the core.

    None draws from NumPy's global RandomState (so ``np.random.seed`` makes
    fits reproducible, as in scikit-learn); an int is used as the seed; a
    RandomState or Generator supplies one draw.
    """
    if random_state is None:
        return int(np.random.randint(0, 2**63 - 1, dtype=np.int64))  # noqa: NPY002
    if isinstance(random_state, numbers.Integral) and not isinstance(
        random_state, bool
    ):
        if random_state < 0:
            raise ValueError(f"random_state must be non-negative, got {random_state}")
        return int(random_state) % 2**64
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**63 - 1, dtype=np.int64))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63 - 1))
    raise TypeError(
        "random_state must be None, an int, a numpy RandomState or Generator, "
        f"got {type(random_state).__name__}"
    )


def numpy_generator(random_state):
    """A numpy Generator for Python-side sampling, seeded like the core."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(seed_from_random_state(random_state))
