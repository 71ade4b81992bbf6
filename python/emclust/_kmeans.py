"""K-means, K-medians and k-means++ seeding (native core)."""

from __future__ import annotations

import warnings

import numpy as np

from . import _core, _persist
from ._base import BaseEstimator
from ._dask import is_dask_collection
from ._validation import (
    check_array,
    check_float,
    check_int,
    check_n_threads,
    check_sample_weight,
    seed_from_random_state,
)

INIT_METHODS = ("k-means++", "random")


def _check_n_clusters(n_clusters, n_samples):
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1)
    if n_clusters > n_samples:
        raise ValueError(
            f"n_clusters={n_clusters} must be <= n_samples={n_samples}: "
            "every cluster needs at least one sample"
        )
    return n_clusters


def kmeans_plusplus(
    X, n_clusters, *, sample_weight=None, random_state=None, n_threads=None
):
    """Choose initial centres by greedy k-means++ seeding.

    The first centre is a sample drawn with probability proportional to its
    weight. Each further centre is the best of ``2 + floor(ln n_clusters)``
    samples drawn with probability proportional to weight times the squared
    distance to the nearest centre chosen so far, "best" meaning the lowest
    weighted sum of squared distances once it is added (as scikit-learn's
    ``kmeans_plusplus``). The result depends on ``random_state`` only, not on
    ``n_threads``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_clusters : int
        Number of centres, at most ``n_samples``.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights; a sample of weight 0 is never chosen.
    random_state : int, RandomState, Generator or None
    n_threads : int, optional
        Threads to use; None uses every usable core.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The chosen samples, in X's dtype.
    indices : ndarray of shape (n_clusters,)
        Their row indices in X.
    """
    X = check_array(X)
    n_clusters = _check_n_clusters(n_clusters, X.shape[0])
    sample_weight = check_sample_weight(sample_weight, X.shape[0])
    indices = _core.kmeans_plusplus(
        X,
        sample_weight,
        n_clusters,
        "l2",
        seed_from_random_state(random_state),
        check_n_threads(n_threads),
    )
    return X[indices].copy(), indices


class _CentroidClustering(BaseEstimator):
    """Shared body of KMeans and KMedians; subclasses set the metric."""

    _metric = "l2"

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init=1,
        max_iter=300,
        tol=1e-4,
        random_state=None,
        n_threads=None,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.n_threads = n_threads

    def _check_init(self, X, n_clusters):
        init = self.init
        if isinstance(init, str):
            if init not in INIT_METHODS:
                raise ValueError(
                    f"init must be one of {list(INIT_METHODS)} or an array of shape "
                    f"(n_clusters, n_features), got {init!r}"
                )
            return init, None
        try:
            centers = np.asarray(init, dtype=X.dtype)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"init must be a string or an array of numbers: {exc}"
            ) from None
        if centers.shape != (n_clusters, X.shape[1]):
            raise ValueError(
                f"init must have shape (n_clusters, n_features) = "
                f"({n_clusters}, {X.shape[1]}), got {centers.shape}"
            )
        if not np.isfinite(centers).all():
            raise ValueError("init contains NaN or infinity")
        return "array", np.ascontiguousarray(centers, dtype=np.float64)

    def fit(self, X, y=None, sample_weight=None):
        """Cluster X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            float32 data is clustered in float32 (with float64 sums), anything
            else in float64. KMeans also takes a ``dask.array.Array`` chunked
            by rows: Lloyd iterations run on the Dask cluster (k-means++ on a
            uniform sample of rows; ``labels_`` is then a lazy Dask array).
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights; an integer weight w counts a sample w times.

        Returns
        -------
        self
        """
        if is_dask_collection(X):
            if self._metric != "l2":
                raise TypeError(f"{type(self).__name__} does not accept Dask arrays")
            from ._dask import fit_kmeans

            return fit_kmeans(self, X, sample_weight)
        X = check_array(X)
        n_clusters = _check_n_clusters(self.n_clusters, X.shape[0])
        n_init = check_int(self.n_init, "n_init", minimum=1)
        max_iter = check_int(self.max_iter, "max_iter", minimum=1)
        tol = check_float(self.tol, "tol", minimum=0.0)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        init, init_centers = self._check_init(X, n_clusters)
        if init == "array" and n_init != 1:
            warnings.warn(
                f"Explicit initial centers given: running one initialisation "
                f"instead of n_init={n_init}",
                RuntimeWarning,
                stacklevel=2,
            )
            n_init = 1
        centers, labels, inertia, n_iter = _core.kmeans_fit(
            X,
            sample_weight,
            self._metric,
            n_clusters,
            init,
            init_centers,
            max_iter,
            tol,
            n_init,
            seed_from_random_state(self.random_state),
            check_n_threads(self.n_threads),
        )
        self.cluster_centers_ = centers.astype(X.dtype, copy=False)
        self.labels_ = labels
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        self.n_features_in_ = X.shape[1]
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Cluster X and return ``labels_``, shape (n_samples,)."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def _check_fitted_X(self, X):
        self._check_is_fitted("cluster_centers_")
        X = check_array(X)
        self._check_n_features(X)
        return X

    def _assign(self, X, sample_weight=None):
        return _core.kmeans_assign(
            X,
            sample_weight,
            np.ascontiguousarray(self.cluster_centers_, dtype=np.float64),
            self._metric,
            check_n_threads(self.n_threads),
        )

    def predict(self, X):
        """Index of the nearest centre of every sample, shape (n_samples,).

        On a Dask array (KMeans only): a lazy Dask array with X's row chunks."""
        if is_dask_collection(X) and self._metric == "l2":
            from ._dask import kmeans_predict

            return kmeans_predict(self, X)
        X = self._check_fitted_X(X)
        return self._assign(X)[0]

    def transform(self, X):
        """Distances to every centre, shape (n_samples, n_clusters), X's dtype.

        On a Dask array (KMeans only): a lazy Dask array with X's row chunks."""
        if is_dask_collection(X) and self._metric == "l2":
            from ._dask import kmeans_transform

            return kmeans_transform(self, X)
        X = self._check_fitted_X(X)
        return _core.kmeans_distances(
            X,
            np.ascontiguousarray(self.cluster_centers_, dtype=np.float64),
            self._metric,
            check_n_threads(self.n_threads),
        )

    def fit_transform(self, X, y=None, sample_weight=None):
        """Cluster X and return its distances to the centres, (n_samples, n_clusters)."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the inertia of X under the fitted centres (higher is better).

        On a Dask array (KMeans only): computed on the cluster by one map and
        one tree reduction (sample_weight may be a Dask array too)."""
        if is_dask_collection(X) and self._metric == "l2":
            from ._dask import kmeans_score

            return kmeans_score(self, X, sample_weight)
        X = self._check_fitted_X(X)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        return -float(self._assign(X, sample_weight)[1])

    def save(self, path):
        """Write the fitted model to a JSON model file (see ``emclust.load``)."""
        return _persist.save(self, path)


class KMeans(_CentroidClustering):
    """K-means clustering by Lloyd's algorithm.

    Hard-assignment EM: every sample goes to its nearest centre (squared
    Euclidean distance), every centre becomes the weighted mean of its
    samples. It is the limit of a Gaussian mixture with one shared isotropic
    variance σ² → 0. Iterations stop as scikit-learn's ``KMeans`` (lloyd):
    when the labels stop changing, or when the squared Frobenius norm of the
    centres' change is at most ``tol`` times the mean variance of the
    features; so from the same initial centres both give the same labels,
    centres and inertia. A cluster left without samples takes the sample
    farthest from its own centre (among clusters that keep another member),
    so no centre is ever NaN. Results are bit-identical for any ``n_threads``.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means++", "random"} or array-like of shape (n_clusters, n_features)
        "k-means++": greedy k-means++ seeding (see ``kmeans_plusplus``);
        "random": ``n_clusters`` distinct samples drawn with probability
        proportional to their weight; an array: the initial centres.
    n_init : int, default=1
        Initialisations to run; the one with the lowest inertia is kept.
        Ignored (with a RuntimeWarning) when ``init`` is an array.
    max_iter : int, default=300
    tol : float, default=1e-4
        Relative tolerance on the centres' change (see above).
    random_state : int, RandomState, Generator or None
    n_threads : int, optional
        Threads to use; None uses every usable core.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
    inertia_ : float
        Weighted sum of squared distances of the samples to their centre.
    n_iter_ : int
        Iterations of the kept initialisation.
    n_features_in_ : int
    """

    _metric = "l2"


class KMedians(_CentroidClustering):
    """K-medians clustering: K-means with the L1 (Manhattan) distance.

    Every sample goes to the centre nearest in L1 distance; every centre
    becomes the component-wise median of its samples (the weighted median
    with ``sample_weight``; for integer weights it equals the median of the
    samples repeated by their weights). The median moves by at most one rank
    when an outlier joins a cluster, so outliers do not drag centres as they
    do in K-means. Seeding is k-means++ with L1 distances in place of squared
    Euclidean ones. Stopping rule, restarts and empty clusters are handled as
    in ``KMeans``. scikit-learn does not provide this estimator.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means++", "random"} or array-like of shape (n_clusters, n_features)
    n_init : int, default=1
    max_iter : int, default=300
    tol : float, default=1e-4
        Stop when the squared Frobenius norm of the centres' change is at
        most ``tol`` times the mean variance of the features.
    random_state : int, RandomState, Generator or None
    n_threads : int, optional

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
    inertia_ : float
        Weighted sum of L1 distances of the samples to their centre.
    n_iter_ : int
    n_features_in_ : int

    Notes
    -----
    ``transform`` returns L1 distances, ``score`` the opposite of the L1 inertia.
    """

    _metric = "l1"
