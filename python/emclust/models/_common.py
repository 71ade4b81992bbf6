"""What every model's statistics share: the N_k guard, chunk weights, and the
conversion of one chunk of rows (a NumPy block of a larger array) for the
core."""

from __future__ import annotations

import numpy as np


def nk_eps(dtype):
    """scikit-learn's ``10 * eps`` added to every N_k, for the data's type."""
    return 10.0 * float(np.finfo(dtype).eps)


def check_chunk_weight(sample_weight, n_samples):
    """Weights of one chunk: as check_sample_weight, but a zero sum is allowed."""
    if sample_weight is None:
        return None
    w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    if w.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X, got {w.shape}"
        )
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("sample_weight must be finite and non-negative")
    check_weight_sum(w)
    return w


def check_weight_sum(w):
    """ValueError when the sum of finite weights overflows (its M-step
    would divide infinity by infinity)."""
    with np.errstate(over="ignore"):
        total = w.sum()
    if not np.isfinite(total):
        raise ValueError(
            "sample_weight: the sum of the weights overflows floating point; "
            "divide them by a common factor (only their ratios matter)"
        )
    return total


def as_weights(w):
    """A chunk's weights (or None) as the core takes them."""
    return None if w is None else np.ascontiguousarray(w, dtype=np.float64)


def as_chunk(block, dtype, check=False, allow_nan=False):
    """A chunk's rows, C-contiguous in the fit's dtype (finite when check;
    with allow_nan, NaN marks a missing entry and only infinity is an error)."""
    x = np.ascontiguousarray(block, dtype=dtype)
    if check and allow_nan and np.isinf(x).any():
        raise ValueError("X contains infinity")
    if check and not allow_nan and not np.isfinite(x).all():
        raise ValueError("X contains NaN or infinity")
    return x


def check_observed_rows(x, offset):
    """A row of a chunk with every entry missing is an error naming its index
    in the whole array (``offset`` is the chunk's first row), as the in-memory
    fit names it."""
    empty = np.flatnonzero(np.isnan(x).all(axis=1)) if x.dtype.kind == "f" else []
    if len(empty):
        raise ValueError(
            f"row {offset + empty[0]} of X has every entry missing; drop such rows"
        )


def no_restart_trace():
    """The trace of a restart that ran no iteration (max_iter=0)."""
    return {"converged": False, "n_iter": 0, "lower_bound": -np.inf, "lower_bounds": []}
