"""Shared data and initial parameters for the Gaussian-mixture tests."""

import numpy as np

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def blobs(n=600, d=3, k=3, seed=0, scale=1.0, offset=0.0, dtype=np.float64):
    """k anisotropic Gaussian blobs with distinct shapes and sizes."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 5, (k, d))
    sizes = rng.multinomial(n - k * 5, np.full(k, 1 / k)) + 5
    parts = []
    for c, m in zip(centers, sizes):
        a = rng.normal(size=(d, d)) * 0.5 + np.eye(d)
        parts.append(c + rng.normal(size=(m, d)) @ a.T)
    X = np.vstack(parts) * scale + offset
    rng.shuffle(X)
    return X.astype(dtype)


def initial_params(X, k, covariance_type, seed=1):
    """Deterministic starting weights, means and precisions of every type."""
    rng = np.random.default_rng(seed)
    n, d = X.shape
    weights = rng.uniform(0.5, 1.5, k)
    weights /= weights.sum()
    means = X[rng.choice(n, k, replace=False)].astype(np.float64)
    var = X.var(axis=0).mean()
    precisions = {
        "full": np.stack([np.eye(d) / var] * k),
        "tied": np.eye(d) / var,
        "diag": np.full((k, d), 1 / var),
        "spherical": np.full(k, 1 / var),
    }[covariance_type]
    return {"weights_init": weights, "means_init": means, "precisions_init": precisions}
