"""Model-based agglomerative hierarchical clustering as mclust 6 starts EM (the oracle).

``hc_vvv(X)`` reproduces ``mclust::hc(X, modelName = "VVV", use = "SVD")``: the
merge sequence mclustBIC cuts to start EM for every G (Banfield and Raftery
1993; Fraley 1998).

* Data: standardised (R's ``scale``: column means, standard deviations with
  n - 1), then Z = X_s V S^(-1/2) from the thin SVD X_s = U S Vᵀ (hcUse="SVD").
* Start: every row its own group. (``hc``'s default ``partition =
  dupPartition(data)`` is never passed on to ``hcVVV``, whose default is 1..n;
  ``dup_partition`` gives that grouping of duplicated rows for callers who want it.)
* Criterion (mclust's regularised VVV classification likelihood, Fortran
  ``hcvvv``/``vvvtij``): with α = max(tr(W_Z) / (n d), eps) (W_Z the total
  scatter of Z), β = 1, a group of m rows with scatter W costs
  m log(β (tr W + α) / m) when m <= d, tr W = 0 or W is singular, and
  m log(|W / m| + β (tr W + α) / m) otherwise. Merging the pair (a, b) costs
  cost(a ∪ b) - cost(a) - cost(b); the cheapest pair merges.
* Ties, and the labels written: mclust keeps groups in slots 1..g; a merge of
  slots i < j stores the union in slot i and moves the last slot into slot j.
  Among equal costs the pair that comes last in the packed order (j = 2..g,
  i = 1..j-1) wins. The merged group carries the smaller of the two original
  labels, and each step is written as (smaller label, larger label), which is
  what ``hclass`` expects.

The scatter of a union is updated exactly, W_ab = W_a + W_b + n_a n_b / n_ab
(x̄_a - x̄_b)(x̄_a - x̄_b)ᵀ; mclust updates Cholesky factors by Givens rotations
instead, so costs agree to rounding and only an exact tie could order differently.
Memory and time are O(g²) and O(g² d³) for g starting groups: a reference for
a few thousand rows, not a production code path.
"""

from __future__ import annotations

import numpy as np

__all__ = ["dup_partition", "hc_vvv", "hclass", "svd_transform"]

_EPS = np.finfo(float).eps


def svd_transform(X):
    """mclust's hcUse = "SVD" transform of the rows of X (n, d)."""
    X = np.asarray(X, dtype=float)
    centred = X - X.mean(axis=0)
    scaled = centred / centred.std(axis=0, ddof=1)
    _, s, vt = np.linalg.svd(scaled, full_matrices=False)
    return scaled @ vt.T / np.sqrt(s)


def dup_partition(X):
    """Labels 1..m, equal for identical rows, numbered by first appearance."""
    X = np.asarray(X)
    _, first, inverse = np.unique(X, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))  # rank of each unique row by first appearance
    return order[inverse.ravel()] + 1


def _cost(m, trace, scatter, alpha, beta):
    """mclust's vvvtij for groups of sizes m (g,), traces (g,), scatters (g, d, d)."""
    d = scatter.shape[-1]
    base = beta * (trace + alpha) / m
    out = m * np.log(base)
    big = (m > d) & (trace != 0)
    if np.any(big):
        sign, logdet = np.linalg.slogdet(scatter[big] / m[big, None, None])
        regular = sign > 0
        b = base[big]
        detlog = np.where(regular, logdet, 0.0)
        val = np.where(
            detlog <= 0.0,
            np.log(np.exp(detlog) + b),
            np.log1p(np.exp(-detlog) * b) + detlog,
        )
        # log1p where mclust writes log(1 + .): equal to rounding, and never worse
        out_big = np.where(regular, m[big] * val, out[big])
        out[big] = out_big
    return out


def hc_vvv(X, partition=None, *, transform=True, alpha=1.0, beta=1.0):
    """Merge pairs (g - 1, 2) of 1-based group labels, as mclust's hc(X, "VVV", use="SVD").

    ``partition`` gives the starting groups, labels 1..g (default: one row each).
    """
    X = np.asarray(X, dtype=float)
    Z = svd_transform(X) if transform else X
    n, d = Z.shape
    labels0 = np.arange(1, n + 1) if partition is None else np.asarray(partition)
    g = int(labels0.max())
    alpha = max(alpha * np.sum((Z - Z.mean(0)) ** 2) / (n * d), _EPS)

    size = np.zeros(g)
    mean = np.zeros((g, d))
    scatter = np.zeros((g, d, d))
    for k in range(g):
        rows = Z[labels0 == k + 1]
        size[k] = len(rows)
        mean[k] = rows.mean(0)
        c = rows - mean[k]
        scatter[k] = c.T @ c
    trace = np.einsum("kii->k", scatter)
    cost = _cost(size, trace, scatter, alpha, beta)
    label = np.arange(1, g + 1)

    def pair_costs(a, others):
        na, nb = size[a], size[others]
        diff = mean[others] - mean[a]
        w = (
            scatter[a]
            + scatter[others]
            + (na * nb / (na + nb))[:, None, None] * np.einsum("ki,kj->kij", diff, diff)
        )
        merged = _cost(na + nb, np.einsum("kii->k", w), w, alpha, beta)
        return merged - cost[a] - cost[others], w

    # symmetric pair costs, inf on the diagonal; slots 0..live-1 are in use
    merge_cost = np.full((g, g), np.inf)
    for j in range(1, g):
        merge_cost[j, :j] = pair_costs(j, np.arange(j))[0]
    merge_cost = np.minimum(merge_cost, merge_cost.T)

    pairs = []
    live = g
    while live > 1:
        # the last minimum in packed order (j major, then i): mclust's `.le.` scan
        lower = np.where(
            np.tri(live, k=-1, dtype=bool), merge_cost[:live, :live], np.inf
        )
        js, is_ = np.nonzero(lower == lower.min())
        last = np.lexsort((is_, js))[-1]
        i, j = int(is_[last]), int(js[last])
        a, b = label[i], label[j]
        pairs.append((min(a, b), max(a, b)))
        # the union goes into slot i
        nij = size[i] + size[j]
        diff = mean[j] - mean[i]
        scatter[i] = (
            scatter[i] + scatter[j] + size[i] * size[j] / nij * np.outer(diff, diff)
        )
        mean[i] = (size[i] * mean[i] + size[j] * mean[j]) / nij
        size[i] = nij
        label[i] = min(a, b)
        trace[i] = np.trace(scatter[i])
        cost[i] = _cost(
            size[i : i + 1], trace[i : i + 1], scatter[i : i + 1], alpha, beta
        )[0]
        # and the last slot moves into slot j
        end = live - 1
        if j != end:
            for arr in (size, mean, scatter, trace, cost, label):
                arr[j] = arr[end]
            merge_cost[j, :] = merge_cost[end, :]
            merge_cost[:, j] = merge_cost[:, end]
            merge_cost[j, j] = np.inf
        live -= 1
        merge_cost[end, :] = merge_cost[:, end] = np.inf
        others = np.array([k for k in range(live) if k != i], dtype=int)
        if len(others):
            values = pair_costs(i, others)[0]
            merge_cost[i, others] = values
            merge_cost[others, i] = values
    return np.array(pairs, dtype=int).reshape(-1, 2)


def hclass(pairs, initial, G):
    """Labels 1..G (mclust's hclass): apply the first n_groups - G merges to ``initial``."""
    labels = np.asarray(initial).copy()
    g = int(labels.max())
    for a, b in pairs[: g - G]:
        labels[labels == b] = a
    _, relabel = np.unique(labels, return_inverse=True)
    # mclust's partconv(consec=TRUE): numbered by first appearance
    _, first = np.unique(relabel, return_index=True)
    rank = np.argsort(np.argsort(first))
    return rank[relabel] + 1
