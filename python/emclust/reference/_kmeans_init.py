"""Small NumPy k-means used only to initialise the reference Gaussian mixture.

This is deliberately the plainest correct version (k-means++ seeding followed
by Lloyd's iterations); it is not meant to reproduce the native initialisation.
Tests that compare implementations pass explicit initial parameters instead.
"""

from __future__ import annotations

import numpy as np


def squared_distances(X, centers):
    """Squared Euclidean distances between rows of X and centers.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centers : ndarray of shape (n_clusters, n_features)

    Returns
    -------
    dist : ndarray of shape (n_samples, n_clusters)
    """
    # One column at a time with explicit differences: no ||x||² - 2x·c + ||c||²
    # expansion, so points far from the origin lose no precision.
    dist = np.empty((X.shape[0], centers.shape[0]), dtype=X.dtype)
    for k, center in enumerate(centers):
        diff = X - center
        dist[:, k] = np.einsum("ij,ij->i", diff, diff)
    return dist


def kmeans_plusplus(X, n_clusters, rng, sample_weight=None):
    """Choose initial centres by (weighted) k-means++ D² sampling.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_clusters : int
    rng : numpy.random.Generator
    sample_weight : ndarray of shape (n_samples,) or None
        A row is picked with probability proportional to its weight times its
        squared distance to the nearest centre chosen so far; rows of weight
        zero are never picked.

    Returns
    -------
    indices : ndarray of shape (n_clusters,)
        Row indices of the chosen centres (distinct).
    """
    n_samples = X.shape[0]
    w = (
        np.ones(n_samples)
        if sample_weight is None
        else np.asarray(sample_weight, float)
    )
    indices = np.empty(n_clusters, dtype=np.intp)
    indices[0] = rng.choice(n_samples, p=w / w.sum())
    closest = squared_distances(X, X[indices[:1]])[:, 0]
    for c in range(1, n_clusters):
        score = w * closest
        score[indices[:c]] = 0.0  # never pick a row twice (duplicates have score 0)
        total = score.sum()
        if total > 0:
            indices[c] = rng.choice(n_samples, p=score / total)
        else:  # every remaining row coincides with a centre: pick any unused row
            unused = np.setdiff1d(np.flatnonzero(w > 0), indices[:c])
            if unused.size == 0:
                unused = np.setdiff1d(np.arange(n_samples), indices[:c])
            indices[c] = rng.choice(unused)
        new_center = X[indices[c]][np.newaxis, :]
        closest = np.minimum(closest, squared_distances(X, new_center)[:, 0])
    return indices


def lloyd(X, centers, sample_weight=None, max_iter=300, tol=1e-4):
    """Lloyd's k-means iterations from the given centres.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centers : ndarray of shape (n_clusters, n_features)
        Starting centres (not modified).
    sample_weight : ndarray of shape (n_samples,) or None
    max_iter : int
    tol : float
        Stop when the labels no longer change or the squared centre shift
        summed over clusters is at most ``tol`` times the mean per-feature
        variance of X (scikit-learn's criterion).

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Index of the nearest final centre of every row. A cluster that loses
        all its rows keeps its previous centre.
    """
    n_clusters = centers.shape[0]
    w = (
        np.ones(X.shape[0])
        if sample_weight is None
        else np.asarray(sample_weight, float)
    )
    centers = np.array(centers, dtype=X.dtype)
    threshold = tol * float(np.mean(np.var(X, axis=0)))
    labels = squared_distances(X, centers).argmin(axis=1)
    for _ in range(max_iter):
        previous = centers.copy()
        one_hot = np.zeros((X.shape[0], n_clusters))
        one_hot[np.arange(X.shape[0]), labels] = w
        size = one_hot.sum(axis=0)
        filled = size > 0
        centers[filled] = (one_hot.T @ X)[filled] / size[filled, None]
        new_labels = squared_distances(X, centers).argmin(axis=1)
        shift = float(((centers - previous) ** 2).sum())
        settled = np.array_equal(new_labels, labels) or shift <= threshold
        labels = new_labels
        if settled:
            break
    return labels


def kmeans_labels(X, n_clusters, rng, sample_weight=None):
    """k-means++ seeding followed by Lloyd's iterations; returns the labels."""
    indices = kmeans_plusplus(X, n_clusters, rng, sample_weight)
    return lloyd(X, X[indices], sample_weight)
