"""Model-based agglomerative hierarchical clustering: mclust's default start.

The tree is mclust 6's ``hc(X, modelName="VVV", use="SVD")`` (Banfield and
Raftery, 1993; Fraley, 1998): the columns are standardised, rotated onto
their singular vectors and divided by the square roots of the singular
values; every row starts alone (as mclust's hc() does in practice); then the two clusters whose
merge raises mclust's VVV criterion the least are merged, until one is left.
It costs O(m^2) memory and about O(m^2 d^3) time for m rows, so above
``max_samples`` rows it runs on a seeded uniform subset (mclust's
``subset`` of 2000 rows does the same), and EM then runs on all rows.
The result is deterministic and does not depend on ``n_threads``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import _core
from .._validation import check_data, check_int, check_n_threads

#: The default bound on the rows the tree is built from (mclust's ``subset``).
DEFAULT_MAX_SAMPLES = 2000


@dataclass(frozen=True)
class HierarchicalTree:
    """The merge sequence of an agglomerative clustering of a subset of rows.

    Attributes
    ----------
    sample_indices : ndarray of shape (m,)
        The rows of X (sorted) the tree was built from.
    initial : ndarray of shape (m,)
        The initial partition (every row alone), labels from 0 in
        order of first appearance.
    merges : ndarray of shape (n_initial - 1, 2)
        ``merges[s] = (a, b)``, a < b: at step s the cluster labelled b joins
        the one labelled a (mclust's ``hcPairs`` less one, transposed).
    costs : ndarray of shape (n_initial - 1,)
        The change of the criterion at each merge.
    """

    sample_indices: np.ndarray
    initial: np.ndarray
    merges: np.ndarray
    costs: np.ndarray
    # The cuts made so far, by G: a selection cuts the same tree for every
    # covariance model.
    _partitions: dict = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def n_initial(self):
        """The number of clusters the agglomeration starts from."""
        return int(self.initial.max()) + 1 if self.initial.size else 0

    def partition(self, n_components):
        """Labels of the subset's rows with the tree cut at ``n_components``
        clusters, numbered from 0 in order of first appearance (mclust's
        ``hclass``).

        Returns
        -------
        labels : ndarray of shape (m,)
        """
        k = self.n_initial
        G = check_int(n_components, "n_components", minimum=1)
        if G > k:
            raise ValueError(
                f"n_components={G} exceeds the {k} distinct rows the "
                "hierarchical tree starts from"
            )
        cached = self._partitions.get(G)
        if cached is None:
            cached = self._cut(G)
            cached.flags.writeable = False
            self._partitions[G] = cached
        return cached.copy()

    def _cut(self, G):
        # Every merge (a, b) takes a cluster b that is still a cluster of its
        # own into a, which lives on: so the merges applied so far form a
        # forest in which b's parent is a, and a row's cluster is its initial
        # cluster's root. Pointer jumping finds the roots in O(log depth)
        # vector passes (relabelling one merge at a time cost O(k) per merge,
        # O(k^2) per cut, milliseconds for every cell of a selection).
        k = self.n_initial
        parent = np.arange(k)
        applied = self.merges[: k - G]
        parent[applied[:, 1]] = applied[:, 0]
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        cut = parent[self.initial]
        _, first = np.unique(cut, return_index=True)
        order = np.empty(k, dtype=np.int64)
        order[cut[np.sort(first)]] = np.arange(first.size)
        return order[cut]


def hierarchical_tree(
    X, max_samples=DEFAULT_MAX_SAMPLES, random_state=None, n_threads=None
):
    """Build mclust's VVV agglomerative tree of X (or of a seeded subset).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Finite values (computed in float64).
    max_samples : int, default=2000
        Above this many rows the tree is built from a uniform subset of
        ``max_samples`` rows drawn with ``random_state``.
    random_state : int, RandomState, Generator or None
        Seeds the subset (unused when every row is taken).
    n_threads : int, optional

    Returns
    -------
    HierarchicalTree
    """
    from .._validation import seed_from_random_state

    max_samples = check_int(max_samples, "max_samples", minimum=1)
    X = np.ascontiguousarray(check_data(X), dtype=np.float64)
    if not np.isfinite(X).all():
        raise ValueError(
            "X must not contain NaN or infinity for the hierarchical start"
        )
    seed = seed_from_random_state(random_state) if X.shape[0] > max_samples else 0
    idx, initial, merges, costs = _core.hierarchical_tree(
        X, max_samples, seed, check_n_threads(n_threads)
    )
    return HierarchicalTree(idx, initial, merges, costs)


def hc_start(
    X,
    sample_weight,
    n_components,
    covariance_type,
    reg_covar,
    tree,
    n_threads,
    prior=None,
):
    """The starting parameters of mclust's hierarchical start, in the core's
    layout: an M-step of ``covariance_type`` from the tree cut at
    ``n_components`` clusters, over the tree's rows only (mclust's ``mstep``
    on its ``subset``); EM then runs on every row. ``tree`` is a
    HierarchicalTree of X's rows. The M-step raises ValueError where a
    cluster of the cut is too small for its covariance (with reg_covar=0, a
    singleton), as mclust's start fails there too. With ``prior`` (the core's
    tuple, models/prior.py's core_prior) the M-step is the MAP one, as
    mclust's start with a prior.

    Returns
    -------
    (weights, means, covariances, precisions_cholesky)
    """
    rows = tree.sample_indices
    labels = tree.partition(n_components)
    resp = np.zeros((rows.size, n_components), dtype=X.dtype)
    resp[np.arange(rows.size), labels] = 1
    w = None if sample_weight is None else np.ascontiguousarray(sample_weight[rows])
    try:
        out = _core.gmm_m_step(
            np.ascontiguousarray(X[rows]),
            resp,
            w,
            covariance_type,
            reg_covar,
            n_threads,
            prior,
        )
        chol = _core.gmm_precision_cholesky(
            out["covariances"], covariance_type, X.shape[1]
        )
    except (ValueError, ArithmeticError) as exc:
        raise ValueError(
            f"the hierarchical start with n_components={n_components} and "
            f"covariance_type={covariance_type!r} has no valid covariance: {exc}"
        ) from None
    return out["weights"], out["means"], out["covariances"], chol
