"""Input validation shared by every estimator.

All argument checking happens here, before the native core is called, so that
errors name the argument that was wrong and say what was expected.
"""

from __future__ import annotations

import numbers

import numpy as np

_FLOAT_DTYPES = (np.float64, np.float32)


def check_array(
    X, name="X", *, min_samples=1, dtype="numeric", ensure_2d=True, allow_nan=False
):
    """Validate a data matrix and return it as a C-contiguous float array.

    float32 and float64 arrays that are already C-contiguous are returned as
    they are (no copy); integer and boolean arrays become float64. Complex,
    object and string data raise ``TypeError``; NaN (unless ``allow_nan``,
    where NaN marks a missing entry) or infinity, a wrong number of
    dimensions or too few rows raise ``ValueError``.
    """
    if hasattr(X, "__dask_graph__"):
        raise TypeError(
            f"{name} is a Dask collection; this function needs a NumPy array"
        )
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers: {exc}") from None
    if arr.dtype.kind in "OSUV" or arr.dtype.kind == "c":
        if arr.dtype.kind == "O":
            try:
                arr = arr.astype(np.float64)
            except (TypeError, ValueError):
                raise TypeError(
                    f"{name} must contain numbers only, got dtype object with "
                    "non-numeric entries"
                ) from None
        else:
            raise TypeError(
                f"{name} must be an array of real numbers, got dtype {arr.dtype}"
            )
    if ensure_2d:
        if arr.ndim != 2:
            hint = (
                " (reshape a single feature with X.reshape(-1, 1))"
                if arr.ndim == 1
                else ""
            )
            raise ValueError(f"{name} must be a 2-D array, got {arr.ndim}-D{hint}")
        if arr.shape[1] == 0:
            raise ValueError(f"{name} has no features (shape {arr.shape})")
    if arr.shape[0] < min_samples:
        raise ValueError(
            f"{name} has {arr.shape[0]} sample(s), but at least {min_samples} are needed"
        )
    if dtype == "numeric":
        if arr.dtype not in _FLOAT_DTYPES:
            arr = arr.astype(np.float64)
    else:
        arr = arr.astype(dtype, copy=False)
    arr = np.ascontiguousarray(arr)
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        if allow_nan:
            bad = np.flatnonzero(np.isinf(arr).reshape(arr.shape[0], -1).any(axis=1))
            if bad.size:
                raise ValueError(
                    f"{name} contains infinity in {bad.size} row(s), first at row "
                    f"{bad[0]} (only NaN marks a missing entry)"
                )
            return arr
        bad = np.flatnonzero(~np.isfinite(arr).reshape(arr.shape[0], -1).all(axis=1))
        raise ValueError(
            f"{name} contains NaN or infinity in {bad.size} row(s), first at row {bad[0]}"
        )
    return arr


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
    w = np.ascontiguousarray(w, dtype=np.float64)
    if w.ndim == 0:
        w = np.full(n_samples, float(w))
    if w.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X, got {w.shape}"
        )
    if not np.isfinite(w).all():
        raise ValueError("sample_weight contains NaN or infinity")
    if (w < 0).any():
        raise ValueError("sample_weight must be non-negative")
    if not w.sum() > 0:
        raise ValueError("sample_weight must have a positive sum")
    return w


def check_mixture_weights(weights, n_components, name):
    """Mixing weights: shape (n_components,), each in [0, 1], summing to 1."""
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n_components,):
        raise ValueError(f"{name} must have shape ({n_components},), got {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any() or (w > 1).any():
        raise ValueError(f"{name} must lie in [0, 1]")
    if not np.isclose(w.sum(), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"{name} must sum to 1, got sum {w.sum():.8f}")
    return np.ascontiguousarray(w)


def check_int(value, name, *, minimum=None, allow_none=False):
    """Check that value is an integer (not a bool) of at least ``minimum``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_float(value, name, *, minimum=None, strict=False):
    """Check that value is a finite real number above (or at) ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and (value < minimum or (strict and value == minimum)):
        op = ">" if strict else ">="
        raise ValueError(f"{name} must be {op} {minimum}, got {value}")
    return value


def check_choice(value, name, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def check_n_threads(n_threads):
    """Return the thread count for the core: 0 means every usable core."""
    if n_threads is None:
        return 0
    return check_int(n_threads, "n_threads", minimum=1)


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


def check_binary_array(X, name="X", *, min_samples=1, allow_nan=False):
    """Validate binary data (every entry 0 or 1) for the Bernoulli mixture.

    bool, integer and float arrays are accepted. float32 and float64 arrays
    that are already C-contiguous come back as they are (float32 data is
    fitted in float32 arithmetic); bool and integer arrays become float64.
    Any other value (2, 0.5, -1, NaN unless ``allow_nan``) raises
    ``ValueError`` naming the first offending entry. The values are checked in slices that stay in cache, in
    one pass and without (n_samples, n_features) temporaries.
    """
    arr = X if hasattr(X, "__dask_graph__") else np.asarray(X)
    n_ok = getattr(arr, "ndim", 0) == 2 and arr.shape[0] >= min_samples
    if not (arr.dtype.kind in "biuf" and n_ok and arr.shape[1] > 0):
        arr = check_array(arr, name, min_samples=min_samples)  # raises what is wrong
    step = max(1, 65536 // arr.shape[1])
    for start in range(0, arr.shape[0], step):
        part = arr[start : start + step]
        ok = (part == 0) | (part == 1)
        if allow_nan and part.dtype.kind == "f":
            ok |= np.isnan(part)
        if not ok.all():
            i, j = np.argwhere(~ok)[0]
            raise ValueError(
                f"{name} must be binary (every entry 0 or 1), got {part[i, j]!r} at "
                f"[{start + i}, {j}]"
            )
    if arr.dtype not in _FLOAT_DTYPES:
        arr = arr.astype(np.float64)
    return np.ascontiguousarray(arr)
