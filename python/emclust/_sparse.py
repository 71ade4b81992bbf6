"""Sparse input: scipy.sparse matrices handed to the native CSR kernels.

CSR goes to the core as its three arrays, without a copy when its indices are
int32 or int64 and its values float32 or float64. CSC, COO and the other
formats are converted to CSR first (one copy of the nonzeros, never of
n x d). Duplicate entries and unsorted indices are allowed: the core sums
duplicates, as ``toarray()`` does.
"""

from __future__ import annotations

import numpy as np

_FLOAT_DTYPES = (np.float64, np.float32)


def is_sparse(X):
    """Whether X is a scipy.sparse matrix or array (scipy is not imported
    unless X could be one)."""
    module = type(X).__module__
    if not module.startswith("scipy.sparse"):
        return False
    import scipy.sparse as sp

    return sp.issparse(X)


def check_csr(X, name="X", *, min_samples=1, dtype=None):
    """Validate a scipy.sparse matrix and return it as CSR with float32 or
    float64 values (integers and booleans become float64; ``dtype`` forces
    one) and indptr and indices of one integer type.

    The values must be finite; shape and index ranges are checked again by
    the core (ValueError naming ``X.indptr``/``X.indices``).
    """
    import scipy.sparse as sp

    if not sp.issparse(X):
        raise TypeError(f"{name} must be a scipy.sparse matrix, got {type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got {X.ndim}-D")
    if X.format != "csr":
        X = X.tocsr()
    if X.shape[1] == 0:
        raise ValueError(f"{name} has no features (shape {X.shape})")
    if X.shape[0] < min_samples:
        raise ValueError(
            f"{name} has {X.shape[0]} sample(s), but at least {min_samples} are needed"
        )
    kind = X.dtype.kind
    if kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {X.dtype}")
    target = dtype if dtype is not None else X.dtype
    if np.dtype(target) not in _FLOAT_DTYPES:
        target = np.float64
    if X.dtype != target:
        X = X.astype(target)
    if X.indptr.dtype != X.indices.dtype:
        index = np.promote_types(X.indptr.dtype, X.indices.dtype)
        X = sp.csr_matrix(
            (X.data, X.indices.astype(index), X.indptr.astype(index)), shape=X.shape
        )
    if not np.isfinite(X.data).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return X


def csr_arrays(X):
    """The core's view of a checked CSR matrix: (indptr, indices, data, n_features),
    each C-contiguous."""
    return (
        np.ascontiguousarray(X.indptr),
        np.ascontiguousarray(X.indices),
        np.ascontiguousarray(X.data),
        X.shape[1],
    )


def check_binary_csr(X, name="X", *, min_samples=1):
    """check_csr for the mixture of Bernoullis: every entry 0 or 1 after
    duplicates are summed (a copy of the nonzeros only when there are
    duplicates)."""
    X = check_csr(X, name, min_samples=min_samples)
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    if not np.isin(X.data, (0, 1)).all():
        raise ValueError(f"{name} must be binary (every entry 0 or 1)")
    return X


def sparse_rejected(estimator):
    """The TypeError of estimators without a sparse path."""
    return TypeError(
        f"{estimator} does not accept sparse input (a scipy.sparse matrix): a "
        "Gaussian mixture needs dense covariances. Densify small data with "
        "X.toarray(), or reduce it first, e.g. with "
        "sklearn.decomposition.TruncatedSVD."
    )
