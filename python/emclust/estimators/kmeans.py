"""KMeans and KMedians: scikit-learn's estimators on the native core."""

from __future__ import annotations

import warnings

import numpy as np

from .. import io
from .._validation import (
    check_array,
    check_float,
    check_int,
    check_n_threads,
    check_sample_weight,
    seed_from_random_state,
)
from ..drivers import dask as dask_driver
from ..drivers import memory
from ..drivers.dask import is_dask_collection
from ..models import kmeans
from ..models.kmeans import INIT_METHODS, check_n_clusters
from ._base import BaseEstimator


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
            return self._fit_dask(X, sample_weight)
        X = check_array(X)
        n_clusters = check_n_clusters(self.n_clusters, X.shape[0])
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
        centers, labels, inertia, n_iter = memory.fit_centroids(
            X,
            sample_weight,
            metric=self._metric,
            n_clusters=n_clusters,
            init=init,
            init_centers=init_centers,
            max_iter=max_iter,
            tol=tol,
            n_init=n_init,
            seed=seed_from_random_state(self.random_state),
            n_threads=check_n_threads(self.n_threads),
        )
        self.cluster_centers_ = centers.astype(X.dtype, copy=False)
        self.labels_ = labels
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        self.n_features_in_ = X.shape[1]
        return self

    def _fit_dask(self, X, sample_weight):
        """Lloyd iterations on the Dask cluster (drivers.dask, models.kmeans);
        ``labels_`` is then a lazy Dask array."""
        data = dask_driver.ChunkedData(X, sample_weight, self.n_threads)
        k = check_n_clusters(self.n_clusters, data.n_samples)
        n_init = check_int(self.n_init, "n_init", minimum=1)
        max_iter = check_int(self.max_iter, "max_iter", minimum=1)
        tol = check_float(self.tol, "tol", minimum=0.0)
        init, init_centers = self._check_init(data.X, k)
        if init == "array" and n_init != 1:
            warnings.warn(
                f"Explicit initial centers given: running one initialisation "
                f"instead of n_init={n_init}",
                RuntimeWarning,
                stacklevel=3,
            )
            n_init = 1
        centers, inertia, n_iter, labels = kmeans.chunked_fit(
            data,
            k,
            init,
            init_centers,
            n_init,
            max_iter,
            tol,
            seed_from_random_state(self.random_state),
        )
        self.cluster_centers_ = centers.astype(data.dtype, copy=False)
        self.labels_ = dask_driver.map_rows(
            data.X, kmeans.labels_block, data.dtype, labels, dtype=np.int64
        )
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        self.n_features_in_ = data.n_features
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Cluster X and return ``labels_``, shape (n_samples,)."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def _check_fitted_X(self, X):
        self._check_is_fitted("cluster_centers_")
        X = check_array(X)
        self._check_n_features(X)
        return X

    def _check_fitted_dask(self, X):
        self._check_is_fitted("cluster_centers_")
        X = dask_driver.rechunk_rows(X)
        self._check_n_features(X)
        return X

    def _score_dask(self, X, sample_weight):
        """Minus the inertia of a Dask array, by one map and one reduction.

        Distances are taken about the centres' mean (in memory: about X's
        column mean); that changes only which of two equidistant centres a row
        goes to, not the inertia beyond rounding."""
        self._check_is_fitted("cluster_centers_")
        data = dask_driver.ChunkedData(X, sample_weight, self.n_threads)
        self._check_n_features(data.X)
        centers = np.ascontiguousarray(self.cluster_centers_, dtype=np.float64)
        return -data.map_reduce(
            kmeans.score_task, centers, centers.mean(axis=0), what="the inertia of X"
        )

    def _assign(self, X, sample_weight=None):
        return kmeans.assign(
            X,
            sample_weight,
            self.cluster_centers_,
            self._metric,
            check_n_threads(self.n_threads),
        )

    def predict(self, X):
        """Index of the nearest centre of every sample, shape (n_samples,).

        On a Dask array (KMeans only): a lazy Dask array with X's row chunks."""
        if is_dask_collection(X) and self._metric == "l2":
            X = self._check_fitted_dask(X)
            return dask_driver.map_rows(
                X, _method_block, self, "predict", dtype=np.int64
            )
        X = self._check_fitted_X(X)
        return self._assign(X)[0]

    def transform(self, X):
        """Distances to every centre, shape (n_samples, n_clusters), X's dtype.

        On a Dask array (KMeans only): a lazy Dask array with X's row chunks."""
        if is_dask_collection(X) and self._metric == "l2":
            X = self._check_fitted_dask(X)
            return dask_driver.map_rows(
                X,
                _method_block,
                self,
                "transform",
                n_columns=self.cluster_centers_.shape[0],
                dtype=dask_driver.float_dtype(X),
            )
        X = self._check_fitted_X(X)
        return kmeans.distances(
            X, self.cluster_centers_, self._metric, check_n_threads(self.n_threads)
        )

    def fit_transform(self, X, y=None, sample_weight=None):
        """Cluster X and return its distances to the centres, (n_samples, n_clusters)."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the inertia of X under the fitted centres (higher is better).

        On a Dask array (KMeans only): computed on the cluster by one map and
        one tree reduction (sample_weight may be a Dask array too)."""
        if is_dask_collection(X) and self._metric == "l2":
            return self._score_dask(X, sample_weight)
        X = self._check_fitted_X(X)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        return -float(self._assign(X, sample_weight)[1])

    def save(self, path):
        """Write the fitted model to a JSON model file (see ``emclust.load``)."""
        return io.save(self, path)


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


def _method_block(block, est, method):
    return getattr(est, method)(np.ascontiguousarray(block))


io.register_kind(KMeans)
io.register_kind(KMedians)
