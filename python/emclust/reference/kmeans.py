"""Pure-NumPy K-means (Lloyd) and K-medians: the readable statement of what
the native core computes, for tests. Slow, float64, no threads."""

from __future__ import annotations

import numpy as np


def distances(X, centers, metric="l2"):
    """Squared Euclidean ("l2") or Manhattan ("l1") distances, (n, k)."""
    diff = X[:, None, :] - centers[None, :, :]
    if metric == "l2":
        return (diff**2).sum(axis=2)
    return np.abs(diff).sum(axis=2)


def weighted_median(values, weights):
    """The value where the cumulative weight (by increasing value) passes half
    the total; the mean of it and the next value when it lands exactly on half.
    Equals ``np.median(np.repeat(values, weights))`` for integer weights."""
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    cumulative = np.cumsum(weights)
    half = cumulative[-1] / 2
    i = int(np.searchsorted(cumulative, half, side="left"))
    if cumulative[i] == half and i + 1 < len(values):
        return (values[i] + values[i + 1]) / 2
    return values[i]


def _update(X, w, labels, centers, metric):
    new = centers.copy()
    for c in range(len(centers)):
        members = (labels == c) & (w > 0)
        if not members.any():
            continue
        if metric == "l2":
            new[c] = (w[members, None] * X[members]).sum(axis=0) / w[members].sum()
        else:
            new[c] = [
                weighted_median(X[members, j], w[members]) for j in range(X.shape[1])
            ]
    return new


def _relocate(X, w, labels, centers, metric):
    """Empty clusters (in index order) take the farthest rows from their own
    centre, skipping rows whose cluster would empty or whose distance is 0."""
    k = len(centers)
    counts = np.bincount(labels[w > 0], minlength=k)
    empty = np.flatnonzero(counts == 0)
    if empty.size == 0:
        return labels
    labels = labels.copy()
    d = distances(X, centers, metric)[np.arange(len(X)), labels]
    d[w <= 0] = 0
    candidates = np.flatnonzero(d > 0)
    candidates = candidates[np.lexsort((candidates, -d[candidates]))]
    pos = 0
    for e in empty:
        while pos < len(candidates) and counts[labels[candidates[pos]]] < 2:
            pos += 1
        if pos == len(candidates):
            break
        r = candidates[pos]
        pos += 1
        counts[labels[r]] -= 1
        counts[e] = 1
        labels[r] = e
    return labels


def fit(X, centers, sample_weight=None, *, metric="l2", max_iter=300, tol=1e-4):
    """Lloyd ("l2") or K-medians ("l1") iterations from ``centers`` with
    scikit-learn's stopping rule. Returns (centers, labels, inertia, n_iter)."""
    X = np.asarray(X, dtype=np.float64)
    centers = np.array(centers, dtype=np.float64)
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
    tol_abs = tol * np.var(X, axis=0).mean()
    labels = np.full(len(X), -1)
    strict = False
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (n_iter is returned)
        new_labels = distances(X, centers, metric).argmin(axis=1)
        changed = not np.array_equal(new_labels, labels)
        labels = _relocate(X, w, new_labels, centers, metric)
        new_centers = _update(X, w, labels, centers, metric)
        shift = ((new_centers - centers) ** 2).sum()
        centers = new_centers
        if not changed:
            strict = True
            break
        if shift <= tol_abs:
            break
    if not strict:
        labels = distances(X, centers, metric).argmin(axis=1)
    inertia = float(
        (w * distances(X, centers, metric)[np.arange(len(X)), labels]).sum()
    )
    return centers, labels, inertia, n_iter
