"""The in-memory fit: the native core runs the whole loop (initialisation,
restarts, iterations, convergence) on a validated NumPy array, with the GIL
released. This module only names the core's arguments; the estimators have
validated every one of them."""

from __future__ import annotations

from .. import _core
from .._validation import csr_arrays, is_sparse

_C_INT_MAX = 2**31 - 1


def _check_counts(**counts):
    # The sparse bindings take these as C ints; a larger Python int is a
    # usage error, not pybind11's signature mismatch.
    for name, value in counts.items():
        if value > _C_INT_MAX:
            raise ValueError(f"{name} must be <= {_C_INT_MAX}, got {value}")


def fit_gaussian_mixture(
    X,
    sample_weight,
    *,
    n_components,
    covariance_type,
    tol,
    reg_covar,
    max_iter,
    n_init,
    init_params,
    weights_init,
    means_init,
    precisions_init,
    warm,
    warm_lower_bound,
    seed,
    n_threads,
    progress,
    prior=None,
    relative_tol=False,
):
    """EM of a Gaussian mixture; a dict of the best restart's parameters (in
    the core's flat layout) and trace. ``warm`` is None or (weights, means,
    covariances, precisions_cholesky) to continue from; ``progress`` None or
    ``progress(init, n_iter, lower_bound, change)``. NaN entries of X are
    missing values (exact EM); X without NaN runs today's fit, bit for bit.
    ``prior`` is None or (shrinkage, mean, dof, scale) (models/prior.py's
    core_prior): MAP EM, whose lower bound is the mean log posterior. With
    ``relative_tol`` the run stops by mclust's rule, |L - L_old| / (1 + |L|)
    <= tol on the total log-likelihood L, instead of |change| < tol on the
    mean."""
    return _core.gmm_missing_fit(
        X,
        sample_weight,
        n_components,
        covariance_type,
        float(tol),
        float(reg_covar),
        max_iter,
        n_init,
        init_params,
        weights_init,
        means_init,
        precisions_init,
        warm,
        float(warm_lower_bound),
        seed,
        n_threads,
        progress,
        prior,
        relative_tol=bool(relative_tol),
    )


def fit_bernoulli_mixture(
    X,
    sample_weight,
    *,
    n_components,
    tol,
    alpha,
    max_iter,
    n_init,
    init_params,
    weights_init,
    probabilities_init,
    seed,
    n_threads,
    progress=None,
):
    """EM of a mixture of Bernoullis; a dict of the best restart's
    parameters and trace. NaN entries of X are missing values (they drop out
    of the likelihood and of the sums); X without NaN runs today's fit. A
    binary CSR matrix (from check_binary_array) runs the sparse kernels."""
    if is_sparse(X):
        _check_counts(max_iter=max_iter, n_init=n_init)
        fit, data = _core.sparse_bernoulli_fit, csr_arrays(X)
    else:
        fit, data = _core.bernoulli_missing_fit, (X,)
    return fit(
        *data,
        sample_weight,
        n_components,
        tol,
        alpha,
        max_iter,
        n_init,
        init_params,
        weights_init,
        probabilities_init,
        seed,
        n_threads,
        progress,
    )


def fit_centroids(
    X,
    sample_weight,
    *,
    metric,
    n_clusters,
    init,
    init_centers,
    max_iter,
    tol,
    n_init,
    seed,
    n_threads,
):
    """K-means ("l2") or K-medians ("l1"): (centres, labels, inertia, n_iter)
    of the restart of lowest inertia. A CSR matrix (from check_csr) runs the
    sparse kernels, which from the same seed give the dense fit."""
    _check_counts(max_iter=max_iter, n_init=n_init)
    if is_sparse(X):
        fit, X = _core.sparse_kmeans_fit, csr_arrays(X)
    else:
        fit, X = _core.kmeans_fit, (X,)
    return fit(
        *X,
        sample_weight,
        metric,
        n_clusters,
        init,
        init_centers,
        max_iter,
        tol,
        n_init,
        seed,
        n_threads,
    )
