"""KMeans and KMedians: scikit-learn's estimators on the native core, and
``k_means``, the function form."""

from __future__ import annotations

import sys
import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import io
from .._validation import (
    check_data,
    check_n_threads,
    check_sample_weight,
    seed_from_random_state,
)
from ..drivers import dask as dask_driver
from ..drivers import memory
from ..drivers.dask import is_dask_collection
from ..models import kmeans
from ..models.kmeans import INIT_METHODS, check_n_clusters
from ._shared import (
    N_THREADS,
    RANDOM_STATE,
    CachedParamValidation,
    ModelFileMixin,
    check_dask_n_features,
    check_fitted,
)


class _CentroidClustering(
    ModelFileMixin,
    CachedParamValidation,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    ClusterMixin,
    BaseEstimator,
):
    """Shared body of KMeans and KMedians; subclasses set the metric."""

    _metric = "l2"

    _parameter_constraints: ClassVar[dict] = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions(set(INIT_METHODS)), callable, "array-like"],
        "n_init": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0.0, np.inf, closed="left")],
        "verbose": ["verbose"],
        "random_state": RANDOM_STATE,
        "copy_x": ["boolean"],
        "n_threads": N_THREADS,
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        n_threads=None,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.n_threads = n_threads

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _check_init(self, X, n_clusters, centers=None):
        """("k-means++" | "random", None) or ("array", float64 centres); the
        centres of a callable init are passed in as ``centers``."""
        init = self.init if centers is None else centers
        if isinstance(init, str):
            return init, None
        name = "init" if centers is None else "the centers returned by init"
        try:
            centers = np.asarray(init, dtype=X.dtype)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{name} must be a string or an array of numbers: {exc}"
            ) from None
        # scikit-learn's messages, naming the argument.
        if centers.ndim != 2 or centers.shape[0] != n_clusters:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not match "
                f"the number of clusters {n_clusters} ({name} must have shape "
                f"(n_clusters, n_features) = ({n_clusters}, {X.shape[1]}))"
            )
        if centers.shape[1] != X.shape[1]:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not match "
                f"the number of features of the data {X.shape[1]} ({name} must "
                f"have shape (n_clusters, n_features) = ({n_clusters}, "
                f"{X.shape[1]}))"
            )
        if not np.isfinite(centers).all():
            raise ValueError(f"{name} contains NaN or infinity")
        return "array", np.ascontiguousarray(centers, dtype=np.float64)

    def _resolve_n_init(self):
        """Restarts to run: scikit-learn's "auto" is 10 for "random" and a
        callable init, 1 for "k-means++" and given centres; given centres
        always run once (with a warning when n_init asked for more)."""
        init, n_init = self.init, self.n_init
        given = not (isinstance(init, str) or callable(init))
        if n_init == "auto":
            return (
                10
                if (callable(init) or (isinstance(init, str) and init == "random"))
                else 1
            )
        if given and n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init "
                f"in {type(self).__name__} instead of n_init={n_init}.",
                RuntimeWarning,
                stacklevel=4,
            )
            return 1
        return int(n_init)

    def fit(self, X, y=None, sample_weight=None):
        """Cluster X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            float32 data is clustered in float32 (with float64 sums), anything
            else in float64. A scipy.sparse matrix or array is clustered on
            its nonzeros (CSR as it is; CSC, COO and the other formats are
            converted to CSR, a copy of the nonzeros only); from the same
            seed the fit equals that of the dense array. X is never modified (``copy_x`` has nothing to
            protect). KMeans also takes a ``dask.array.Array`` chunked by
            rows: Lloyd iterations run on the Dask cluster (k-means++ on a
            uniform sample of rows; ``labels_`` is then a lazy Dask array).
        y : None
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights; an integer weight w counts a sample w times.

        Returns
        -------
        self
            The fitted estimator.
        """
        self._fit(X, sample_weight)
        return self

    def _fit(self, X, sample_weight):
        """fit; returns X as validated (a Dask array as it came)."""
        self._validate_params()
        if is_dask_collection(X):
            if self._metric != "l2":
                raise TypeError(f"{type(self).__name__} does not accept Dask arrays")
            self._fit_dask(X, sample_weight)
            return X
        X = check_data(X, self, accept_sparse=True)
        n_clusters = check_n_clusters(self.n_clusters, X.shape[0])
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        n_init = self._resolve_n_init()
        self._n_init = n_init  # as scikit-learn stores it
        n_threads = check_n_threads(self.n_threads)
        if getattr(self, "algorithm", "lloyd") == "elkan" and self.n_clusters == 1:
            warnings.warn(
                "algorithm='elkan' doesn't make sense for a single cluster. Using "
                "'lloyd' instead.",
                RuntimeWarning,
                stacklevel=3,
            )
        if callable(self.init):
            # Every restart starts from the centres the callable returns.
            random_state = check_random_state(self.random_state)
            runs = [
                self._check_init(X, n_clusters, self.init(X, n_clusters, random_state))
                for _ in range(n_init)
            ]
            n_init = 1
        else:
            runs = [self._check_init(X, n_clusters)]
        best = None
        for init, init_centers in runs:
            result = memory.fit_centroids(
                X,
                sample_weight,
                metric=self._metric,
                n_clusters=n_clusters,
                init=init,
                init_centers=init_centers,
                max_iter=self.max_iter,
                tol=float(self.tol),
                n_init=n_init,
                seed=seed_from_random_state(self.random_state),
                n_threads=n_threads,
            )
            if best is None or result[2] < best[2]:
                best = result
        centers, labels, inertia, n_iter = best
        self.cluster_centers_ = centers.astype(X.dtype, copy=False)
        self.labels_ = labels
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        self._warn_if_fewer_distinct_clusters(labels)
        if self.verbose:
            # The core runs the iterations; what it reports is the kept run.
            print("Initialization complete", file=sys.stdout)
            print(
                f"Iteration {self.n_iter_ - 1}, inertia {self.inertia_}"
                f" (the kept run of {len(runs) * n_init} initialisation(s))",
                file=sys.stdout,
            )
            if self.n_iter_ < self.max_iter:
                # With tol=0 only unchanged labels stop the run; with tol > 0
                # the centres' squared shift was at most tol times the mean
                # feature variance (unchanged labels included: a shift of 0).
                why = (
                    "strict convergence."
                    if self.tol == 0
                    else "center shift (squared, relative to the mean feature "
                    f"variance) within tolerance {self.tol}."
                )
                print(
                    f"Converged at iteration {self.n_iter_ - 1}: {why}", file=sys.stdout
                )
        return X

    def _warn_if_fewer_distinct_clusters(self, labels):
        # Labels are in [0, n_clusters): counting them is a tenth of np.unique.
        distinct = np.count_nonzero(np.bincount(labels, minlength=self.n_clusters))
        if distinct < self.n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({distinct}) found smaller than "
                f"n_clusters ({self.n_clusters}). Possibly due to duplicate points "
                "in X.",
                ConvergenceWarning,
                stacklevel=3,
            )

    @property
    def _n_features_out(self):
        """Columns of ``transform``: one distance per centre."""
        return self.cluster_centers_.shape[0]

    def _fit_dask(self, X, sample_weight):
        """Lloyd iterations on the Dask cluster (drivers.dask, models.kmeans);
        ``labels_`` is then a lazy Dask array."""
        data = dask_driver.ChunkedData(X, sample_weight, self.n_threads)
        k = check_n_clusters(self.n_clusters, data.n_samples)
        if callable(self.init):
            raise TypeError(
                "a callable init is not available on Dask arrays; give "
                "'k-means++', 'random' or the initial centres"
            )
        n_init = self._resolve_n_init()
        max_iter, tol = self.max_iter, float(self.tol)
        init, init_centers = self._check_init(data.X, k)
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
        """Cluster X and return ``labels_``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The data, one row per sample.
        y : None
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights; None gives every row weight 1.

        Returns
        -------
        ndarray of shape (n_samples,)
            The cluster of every row.
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def _check_fitted_X(self, X):
        check_fitted(self, "cluster_centers_")
        return check_data(X, self, reset=False, accept_sparse=True)

    def _check_fitted_dask(self, X):
        check_is_fitted(self)
        X = dask_driver.rechunk_rows(X)
        check_dask_n_features(self, X)
        return X

    def _score_dask(self, X, sample_weight):
        """Minus the inertia of a Dask array, by one map and one reduction.

        Distances are taken about the centres' mean (in memory: about X's
        column mean); that changes only which of two equidistant centres a row
        goes to, not the inertia beyond rounding."""
        check_is_fitted(self)
        data = dask_driver.ChunkedData(X, sample_weight, self.n_threads)
        check_dask_n_features(self, data.X)
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
        """Return the index of the nearest centre of every sample.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The rows; a Dask array (KMeans only) gives a lazy Dask array with
            X's row chunks.

        Returns
        -------
        ndarray of shape (n_samples,)
            The nearest centre of every row.
        """
        if is_dask_collection(X) and self._metric == "l2":
            X = self._check_fitted_dask(X)
            return dask_driver.map_rows(
                X, _method_block, self, "predict", dtype=np.int64
            )
        X = self._check_fitted_X(X)
        return self._assign(X)[0]

    def transform(self, X):
        """Return the distance of every sample to every centre.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The rows; a Dask array (KMeans only) gives a lazy Dask array with
            X's row chunks.

        Returns
        -------
        ndarray of shape (n_samples, n_clusters)
            The distances (Euclidean for KMeans, L1 for KMedians), in X's dtype.
        """
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
        return self._transform(self._check_fitted_X(X))

    def _transform(self, X):
        return kmeans.distances(
            X, self.cluster_centers_, self._metric, check_n_threads(self.n_threads)
        )

    def fit_transform(self, X, y=None, sample_weight=None):
        """Cluster X and return its distances to the centres.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The data, one row per sample.
        y : None
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights; None gives every row weight 1.

        Returns
        -------
        ndarray of shape (n_samples, n_clusters)
            The distance of every row to every fitted centre.
        """
        X = self._fit(X, sample_weight)
        if is_dask_collection(X):
            return self.transform(X)
        return self._transform(X)

    def score(self, X, y=None, sample_weight=None):
        """Return the opposite of the inertia of X under the fitted centres.

        Higher is better. On a Dask array (KMeans only) it is computed on the
        cluster by one map and one tree reduction (sample_weight may be a
        Dask array too).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The data, one row per sample.
        y : None
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights; None gives every row weight 1.

        Returns
        -------
        float
            Minus the weighted sum of distances to the nearest centre.
        """
        if is_dask_collection(X) and self._metric == "l2":
            return self._score_dask(X, sample_weight)
        X = self._check_fitted_X(X)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        return -float(self._assign(X, sample_weight)[1])


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
        Number of clusters (and of centres).
    init : {"k-means++", "random"}, callable or array-like of shape (n_clusters, n_features)
        "k-means++": greedy k-means++ seeding (see ``kmeans_plusplus``);
        "random": ``n_clusters`` distinct samples drawn with probability
        proportional to their weight; a callable ``init(X, n_clusters,
        random_state)`` returning the initial centres (called once per
        restart, with a RandomState); an array: the initial centres.
    n_init : "auto" or int, default="auto"
        Initialisations to run; the one with the lowest inertia is kept.
        "auto" (scikit-learn's default) is 10 for ``init="random"`` or a
        callable and 1 for "k-means++" or given centres. Given centres run
        once (with a RuntimeWarning when an int other than 1 is given).
    max_iter : int, default=300
        Largest number of iterations of one initialisation.
    tol : float, default=1e-4
        Relative tolerance on the centres' change (see above).
    verbose : int, default=0
        Above 0, print the number of initialisations and the kept inertia.
    random_state : int, RandomState, Generator or None
        Seed of the initialisation; an int gives the same fit on every platform.
    copy_x : bool, default=True
        Accepted for scikit-learn compatibility: X is never modified, so
        there is nothing to copy either way.
    algorithm : {"lloyd", "elkan"}, default="lloyd"
        Both run Lloyd's algorithm on the native core ("elkan" is accepted
        so that scikit-learn code runs unchanged; its results are Lloyd's,
        which Elkan's algorithm only reaches faster).
    n_threads : int, optional
        Threads to use; None uses every usable core.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        float32 when X is float32 (the sums behind it are float64).
    labels_ : ndarray of shape (n_samples,)
    inertia_ : float
        Weighted sum of squared distances of the samples to their centre.
    n_iter_ : int
        Iterations of the kept initialisation.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Set when X has string column names (a pandas DataFrame).

    Notes
    -----
    ``transform`` and ``get_feature_names_out`` make KMeans a transformer
    (distances to the centres, columns "kmeans0", "kmeans1", ...), usable in
    a ColumnTransformer and with ``set_output(transform="pandas")``. Like
    scikit-learn, fit warns (ConvergenceWarning) when X has fewer distinct
    points than clusters.
    """

    _metric = "l2"

    _parameter_constraints: ClassVar[dict] = {
        **_CentroidClustering._parameter_constraints,
        "algorithm": [StrOptions({"lloyd", "elkan"})],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        algorithm="lloyd",
        n_threads=None,
    ):
        super().__init__(
            n_clusters,
            init=init,
            n_init=n_init,
            max_iter=max_iter,
            tol=tol,
            verbose=verbose,
            random_state=random_state,
            copy_x=copy_x,
            n_threads=n_threads,
        )
        self.algorithm = algorithm


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
        Number of clusters (and of centres).
    init : {"k-means++", "random"}, callable or array-like of shape (n_clusters, n_features)
        As in ``KMeans``.
    n_init : "auto" or int, default="auto"
        As in ``KMeans``: "auto" is 10 for "random" or a callable, else 1.
    max_iter : int, default=300
        Largest number of iterations of one initialisation.
    tol : float, default=1e-4
        Stop when the squared Frobenius norm of the centres' change is at
        most ``tol`` times the mean variance of the features.
    verbose : int, default=0
        0 prints nothing; 1 or more prints the progress of the fit.
    random_state : int, RandomState, Generator or None
        Seed of the initialisation; an int gives the same fit on every platform.
    copy_x : bool, default=True
        Accepted for symmetry with KMeans; X is never modified.
    n_threads : int, optional
        Threads for the core; None uses every usable core.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        float32 when X is float32.
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


def k_means(
    X,
    n_clusters,
    *,
    sample_weight=None,
    init="k-means++",
    n_init="auto",
    max_iter=300,
    verbose=False,
    tol=1e-4,
    random_state=None,
    copy_x=True,
    algorithm="lloyd",
    return_n_iter=False,
    n_threads=None,
):
    """Cluster X by K-means, as a function (scikit-learn's ``k_means``).

    The arguments are those of :class:`KMeans` and of its ``fit``.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
        The data, one row per sample.
    n_clusters : int
        Number of clusters (and of centres).
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative row weights; None gives every row weight 1.
    init : {"k-means++", "random"}, callable or array-like, default="k-means++"
        How the centres start, as in :class:`KMeans`.
    n_init : "auto" or int, default="auto"
        Initialisations; the one with the lowest inertia is kept.
    max_iter : int, default=300
        Largest number of Lloyd iterations of one initialisation.
    verbose : bool, default=False
        Print the progress of the fit.
    tol : float, default=1e-4
        Relative tolerance on the shift of the centres, as in :class:`KMeans`.
    random_state : int, RandomState, Generator or None
        Seed of the initialisation; an int gives the same fit on every platform.
    copy_x : bool, default=True
        Accepted for scikit-learn's API; X is never modified.
    algorithm : {"lloyd", "elkan"}, default="lloyd"
        Both run Lloyd's algorithm.
    return_n_iter : bool, default=False
        Also return the number of iterations.
    n_threads : int, optional
        Threads for the core; None uses every usable core.

    Returns
    -------
    centroid : ndarray of shape (n_clusters, n_features)
        The centres of the best initialisation.
    label : ndarray of shape (n_samples,)
        The nearest centre of every row.
    inertia : float
        Weighted sum of squared distances to the nearest centre.
    best_n_iter : int
        Lloyd iterations of the best initialisation; only with
        ``return_n_iter=True``.
    """
    est = KMeans(
        n_clusters=n_clusters,
        init=init,
        n_init=n_init,
        max_iter=max_iter,
        verbose=verbose,
        tol=tol,
        random_state=random_state,
        copy_x=copy_x,
        algorithm=algorithm,
        n_threads=n_threads,
    ).fit(X, sample_weight=sample_weight)
    if return_n_iter:
        return est.cluster_centers_, est.labels_, est.inertia_, est.n_iter_
    return est.cluster_centers_, est.labels_, est.inertia_
