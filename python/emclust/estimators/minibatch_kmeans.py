"""Mini-batch K-means (Sculley, 2010) on the native K-means pass.

The parameters and the algorithm are scikit-learn's ``MiniBatchKMeans``
(batch sampling, per-centre learning rates 1 / (rows seen), low-count
centre reassignment, early stopping on the smoothed batch inertia); the
random numbers are drawn from a ``RandomState`` in the same order as
scikit-learn draws them, so that from the same initial centres and seed
both pick the same batches. What differs is the per-batch work: the nearest
centres, the per-centre sums and the batch inertia come from one threaded
pass of the core (``kmeans_statistics``), and the centre update is K × d
arithmetic on those sums (in float64 also for float32 data).
"""

from __future__ import annotations

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
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import _core, io
from .._validation import check_n_threads, check_sample_weight, refuse_dates
from ..models.kmeans import kmeans_plusplus
from ._shared import ModelFileMixin

# Below this many distance terms (rows x clusters x features; 16384 rows for
# 16 clusters of 16 features) a batch is assigned on one thread: the core starts its threads on every call,
# which costs more than it saves on a small batch (results do not depend on
# the thread count).
_THREADED_WORK = 1 << 22


def _sample_weight(sample_weight, n_samples, dtype):
    """Weights as scikit-learn's ``_check_sample_weight`` gives them: X's dtype."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    # emclust's checks (a scalar broadcasts, an overflowing sum is named),
    # then X's dtype, in which the sum must still be finite.
    w = check_sample_weight(sample_weight, n_samples)
    with np.errstate(over="ignore"):
        w = w.astype(dtype)
        total = w.sum()
    if not np.isfinite(total):
        raise ValueError(
            f"sample_weight: the sum of the weights overflows {np.dtype(dtype).name}; "
            "divide them by a common factor (only their ratios matter)"
        )
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("sample_weight must be finite and non-negative")
    if not w.sum() > 0:
        raise ValueError(
            "sample_weight must have a positive sum (the weights are all zero)"
        )
    return w


def _draw(cdf, u, uniform):
    """``cdf.searchsorted(u, side="right")``: RandomState.choice's indices.

    With uniform weights cdf[i] is (i + 1) / n up to rounding, so
    floor(u * n) is the answer but for a few rows at a rounding boundary;
    those are checked and searched, the rest is two gathers instead of a
    binary search per draw.
    """
    if not uniform:
        return cdf.searchsorted(u, side="right")
    n = cdf.shape[0]
    idx = np.minimum((u * n).astype(np.intp), n - 1)
    ok = cdf[idx] > u
    ok[idx > 0] &= cdf[idx[idx > 0] - 1] <= u[idx > 0]
    if not ok.all():
        idx[~ok] = cdf.searchsorted(u[~ok], side="right")
    return idx


class MiniBatchKMeans(
    ModelFileMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    ClusterMixin,
    BaseEstimator,
):
    """K-means fitted on random mini-batches, with ``partial_fit`` for streams.

    Same parameters, attributes and semantics as scikit-learn's
    ``MiniBatchKMeans``; every batch is one threaded pass of the native core
    (nearest centres, per-centre sums and inertia at once).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters (and of centres).
    init : {"k-means++", "random"}, callable or array-like, default="k-means++"
        "k-means++" uses emclust's greedy k-means++ seeding on the
        ``init_size`` sample; an array gives the initial centres.
    max_iter : int, default=100
        Passes over the data set (in expectation) before stopping.
    batch_size : int, default=1024
        Rows per mini-batch.
    verbose : int, default=0
        0 prints nothing; 1 or more prints the progress of the fit.
    compute_labels : bool, default=True
        Compute ``labels_`` and ``inertia_`` on the whole data after ``fit``.
    random_state : int, RandomState instance or None, default=None
        Seed of the initialisation; an int gives the same fit on every platform.
    tol : float, default=0.0
        Stop when the squared change of the centres, relative to the mean
        feature variance, is at most ``tol`` (0 disables it).
    max_no_improvement : int or None, default=10
        Stop after this many batches without improvement of the smoothed
        batch inertia (None disables it).
    init_size : int or None, default=None
        Rows sampled for the initialisation (3 * batch_size by default).
    n_init : "auto" or int, default="auto"
        Initialisations tried on the ``init_size`` sample; the one of lowest
        inertia on a validation sample is kept ("auto": 3 for "random", 1
        otherwise).
    reassignment_ratio : float, default=0.01
        Centres whose count falls below this fraction of the largest are
        moved to random rows of the batch.
    n_threads : int or None, default=None
        Threads of the native pass; None uses every usable core. Results do
        not depend on it.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
    inertia_ : float
    n_iter_ : int
    n_steps_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++", "random"}), callable, "array-like"],
        "n_init": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "compute_labels": ["boolean"],
        "max_no_improvement": [Interval(Integral, 0, None, closed="left"), None],
        "init_size": [Interval(Integral, 1, None, closed="left"), None],
        "reassignment_ratio": [Interval(Real, 0, None, closed="left")],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        max_iter=100,
        batch_size=1024,
        verbose=0,
        compute_labels=True,
        random_state=None,
        tol=0.0,
        max_no_improvement=10,
        init_size=None,
        n_init="auto",
        reassignment_ratio=0.01,
        n_threads=None,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.compute_labels = compute_labels
        self.random_state = random_state
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio
        self.n_threads = n_threads

    # -- checks (scikit-learn's, in its order) --

    def _check_params_vs_input(self, X):
        n = X.shape[0]
        if n < self.n_clusters:
            raise ValueError(
                f"n_samples={n} should be >= n_clusters={self.n_clusters}."
            )
        self._tol = float(np.mean(np.var(X, axis=0)) * self.tol) if self.tol else 0.0
        self._n_init = self.n_init
        if self._n_init == "auto":
            self._n_init = (
                3 if isinstance(self.init, str) and self.init == "random" else 1
            )
        if (
            not (isinstance(self.init, str) or callable(self.init))
            and self._n_init != 1
        ):
            warnings.warn(
                "Explicit initial center position passed: performing only one init "
                f"in {type(self).__name__} instead of n_init={self._n_init}.",
                RuntimeWarning,
                stacklevel=3,
            )
            self._n_init = 1
        self._batch_size = min(self.batch_size, n)
        self._init_size = self.init_size
        if self._init_size is None:
            self._init_size = 3 * self._batch_size
            if self._init_size < self.n_clusters:
                self._init_size = 3 * self.n_clusters
        elif self._init_size < self.n_clusters:
            warnings.warn(
                f"init_size={self._init_size} should be larger than n_clusters="
                f"{self.n_clusters}. Setting it to min(3*n_clusters, n_samples)",
                RuntimeWarning,
                stacklevel=3,
            )
            self._init_size = 3 * self.n_clusters
        self._init_size = min(self._init_size, n)
        self._threads = check_n_threads(self.n_threads)

    def _given_centers(self, X):
        centers = np.array(self.init, dtype=X.dtype, order="C", copy=True)
        if centers.shape != (self.n_clusters, X.shape[1]):
            raise ValueError(
                f"init must have shape ({self.n_clusters}, {X.shape[1]}) (n_clusters, "
                f"n_features), got {centers.shape}"
            )
        if not np.isfinite(centers).all():
            raise ValueError("init contains NaN or infinity")
        return centers

    # -- the native pass --

    def _pass(self, X, centers, sample_weight=None, labels=False):
        """Nearest centres of X's rows, per-centre sums, weights and inertia."""
        if sample_weight is not None:
            sample_weight = np.ascontiguousarray(sample_weight, dtype=np.float64)
        with np.errstate(over="ignore"):
            shift = centers.mean(axis=0)
        if not np.isfinite(shift).all():  # centres near the float64 limit
            shift = centers.min(axis=0) / 2 + centers.max(axis=0) / 2
        return _core.kmeans_statistics(
            X,
            sample_weight,
            centers,
            shift,
            labels,
            self._threads if X.shape[0] * centers.size >= _THREADED_WORK else 1,
        )

    def _init_centroids(self, X, sample_weight, init, rs):
        """scikit-learn's ``_init_centroids``, with its random draws."""
        n = X.shape[0]
        if self._init_size < n:
            idx = rs.randint(0, n, self._init_size)
            X, sample_weight, n = X[idx], sample_weight[idx], self._init_size
        if isinstance(init, str) and init == "k-means++":
            centers, _ = kmeans_plusplus(
                X,
                self.n_clusters,
                sample_weight=sample_weight,
                random_state=rs,
                n_threads=self.n_threads,
            )
        elif isinstance(init, str) and init == "random":
            seeds = rs.choice(
                n,
                size=self.n_clusters,
                replace=False,
                p=sample_weight / sample_weight.sum(),
            )
            centers = X[seeds]
        elif callable(init):
            centers = np.asarray(
                init(X, self.n_clusters, random_state=rs), dtype=X.dtype
            )
            if centers.shape != (self.n_clusters, X.shape[1]):
                raise ValueError(
                    f"init returned centres of shape {centers.shape}, expected "
                    f"({self.n_clusters}, {X.shape[1]})"
                )
        else:
            centers = init
        return np.array(centers, dtype=np.float64, order="C")

    def _step(self, Xb, sample_weight, rs, reassign):
        """One mini-batch step: assign, move the centres, maybe reassign.

        Returns the batch inertia against the centres before the step.
        """
        st = self._pass(Xb, self._centers, sample_weight)
        wsum = st["weights"]
        hit = wsum > 0
        counts = self._counts
        centers = self._centers.copy()
        new_counts = counts[hit] + wsum[hit]
        # Data near the float64 limit overflows here; fit and partial_fit
        # refuse a non-finite centre (_check_finite) instead of warning.
        with np.errstate(over="ignore", invalid="ignore"):
            centers[hit] = (centers[hit] * counts[hit, None] + st["sums"][hit]) * (
                1.0 / new_counts
            )[:, None]
        counts[hit] = new_counts
        if reassign and self.reassignment_ratio > 0:
            to_reassign = counts < self.reassignment_ratio * counts.max()
            if to_reassign.sum() > 0.5 * Xb.shape[0]:
                keep = np.argsort(counts)[int(0.5 * Xb.shape[0]) :]
                to_reassign[keep] = False
            n_reassigns = int(to_reassign.sum())
            if n_reassigns:
                rows = rs.choice(Xb.shape[0], replace=False, size=n_reassigns)
                if self.verbose:
                    print(
                        f"[MiniBatchKMeans] Reassigning {n_reassigns} cluster centers."
                    )
                centers[to_reassign] = Xb[rows]
            # scikit-learn's hack: reassigned centres restart from the
            # smallest remaining count, so that they are not moved again at once.
            counts[to_reassign] = np.min(counts[~to_reassign])
        self._centers = centers
        return float(st["inertia"])

    def _random_reassign(self):
        self._n_since_last_reassign += self._batch_size
        if (self._counts == 0).any() or self._n_since_last_reassign >= (
            10 * self.n_clusters
        ):
            self._n_since_last_reassign = 0
            return True
        return False

    def _converged(self, step, n_steps, n_samples, centers_squared_diff, batch_inertia):
        """scikit-learn's early stopping on the smoothed batch inertia."""
        batch_inertia /= self._batch_size
        step += 1
        if step == 1:  # the first inertia is the initialisation's
            if self.verbose:
                print(
                    f"Minibatch step {step}/{n_steps}: mean batch inertia: {batch_inertia}"
                )
            return False
        if self._ewa_inertia is None:
            self._ewa_inertia = batch_inertia
        else:
            alpha = min(self._batch_size * 2.0 / (n_samples + 1), 1)
            self._ewa_inertia = self._ewa_inertia * (1 - alpha) + batch_inertia * alpha
        if self.verbose:
            print(
                f"Minibatch step {step}/{n_steps}: mean batch inertia: "
                f"{batch_inertia}, ewa inertia: {self._ewa_inertia}"
            )
        if self._tol > 0.0 and centers_squared_diff <= self._tol:
            if self.verbose:
                print(f"Converged (small centers change) at step {step}/{n_steps}")
            return True
        if self._ewa_inertia_min is None or self._ewa_inertia < self._ewa_inertia_min:
            self._no_improvement = 0
            self._ewa_inertia_min = self._ewa_inertia
        else:
            self._no_improvement += 1
        if (
            self.max_no_improvement is not None
            and self._no_improvement >= self.max_no_improvement
        ):
            if self.verbose:
                print(
                    f"Converged (lack of improvement in inertia) at step {step}/{n_steps}"
                )
            return True
        return False

    def _set_centers(self, dtype):
        self.cluster_centers_ = self._centers.astype(dtype)
        self._n_features_out = self.n_clusters

    # -- fitting --

    def fit(self, X, y=None, sample_weight=None):
        """Compute the centres on random mini-batches of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data; float32 is kept as float32 (float64 sums); anything else float64.
        y : ignored
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), optional
            Batches are drawn with probability proportional to the weight, as
            in scikit-learn; not used by a given array ``init``.

        Returns
        -------
        self
            The fitted estimator.
        """
        self._validate_params()
        refuse_dates(X)
        with np.errstate(invalid="ignore", over="ignore"):  # see check_data
            X = validate_data(self, X, dtype=[np.float64, np.float32], order="C")
        self._check_params_vs_input(X)
        rs = check_random_state(self.random_state)
        sample_weight = _sample_weight(sample_weight, X.shape[0], X.dtype)
        n_samples = X.shape[0]
        init = self.init
        if not (isinstance(init, str) or callable(init)):
            init = self._given_centers(X)

        validation = rs.randint(0, n_samples, self._init_size)
        X_valid, w_valid = X[validation], sample_weight[validation]
        best_inertia = None
        for i in range(self._n_init):
            if self.verbose:
                print(f"Init {i + 1}/{self._n_init} with method {init}")
            centers = self._init_centroids(X, sample_weight, init, rs)
            inertia = float(self._pass(X_valid, centers, w_valid)["inertia"])
            if self.verbose:
                print(f"Inertia for init {i + 1}/{self._n_init}: {inertia}")
            if best_inertia is None or inertia < best_inertia:
                init_centers, best_inertia = centers, inertia

        self._centers = init_centers
        self._counts = np.zeros(self.n_clusters)
        self._ewa_inertia = None
        self._ewa_inertia_min = None
        self._no_improvement = 0
        self._n_since_last_reassign = 0
        sum_of_weights = float(np.sum(sample_weight))
        n_steps = (self.max_iter * n_samples) // self._batch_size
        # RandomState.choice(n, size, p=p) draws uniforms and searches the
        # cumulative p: the same draws, with the cumulative sum done once.
        cdf = (sample_weight / sample_weight.sum()).astype(np.float64).cumsum()
        cdf /= cdf[-1]
        uniform = bool((sample_weight == sample_weight[0]).all())
        i = 0
        for i in range(n_steps):
            batch = _draw(cdf, rs.random_sample(self._batch_size), uniform)
            previous = self._centers
            batch_inertia = self._step(X[batch], None, rs, self._random_reassign())
            diff = (
                float(np.sum((self._centers - previous) ** 2)) if self._tol > 0.0 else 0
            )
            if self._converged(i, n_steps, n_samples, diff, batch_inertia):
                break
        self._set_centers(X.dtype)
        if self.compute_labels:
            labels, inertia = self._labels_inertia(X, sample_weight)
        else:
            labels, inertia = None, self._ewa_inertia * sum_of_weights
        self._check_finite(inertia)
        self.n_steps_ = i + 1
        self.n_iter_ = int(np.ceil(((i + 1) * self._batch_size) / n_samples))
        if labels is not None:
            self.labels_ = labels
        self.inertia_ = inertia
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the centres with one mini-batch X (the first call initialises).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data, one row per sample.
        y : ignored
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights; None gives every row weight 1.

        Returns
        -------
        self
            The fitted estimator.
        """
        has_centers = hasattr(self, "cluster_centers_")
        if not has_centers:
            self._validate_params()
        X = self._check_batch(X, reset=not has_centers)
        if not hasattr(self, "_random_state"):
            self._random_state = check_random_state(self.random_state)
        unit = sample_weight is None
        sample_weight = _sample_weight(sample_weight, X.shape[0], X.dtype)
        self.n_steps_ = getattr(self, "n_steps_", 0)
        if not has_centers:
            self._check_params_vs_input(X)
            init = self.init
            if not (isinstance(init, str) or callable(init)):
                init = self._given_centers(X)
            self._centers = self._init_centroids(
                X, sample_weight, init, self._random_state
            )
            self._counts = np.zeros(self.n_clusters)
            self._n_since_last_reassign = 0
        elif not hasattr(self, "_counts"):
            # Loaded from a model file: the centres, without their counts.
            self._centers = np.array(self.cluster_centers_, dtype=np.float64)
            self._counts = np.zeros(self.n_clusters)
            self._n_since_last_reassign = 0
            self._batch_size = min(self.batch_size, X.shape[0])
        self._step(
            X,
            None if unit else sample_weight,
            self._random_state,
            self._random_reassign(),
        )
        self._set_centers(X.dtype)
        self._check_finite(0.0)
        if self.compute_labels:
            self.labels_, self.inertia_ = self._labels_inertia(
                X, None if unit else sample_weight
            )
            self._check_finite(self.inertia_)
        self.n_steps_ += 1
        return self

    def _check_finite(self, inertia):
        """A non-finite centre or inertia (data or weights near the float64
        limit) is an error, and leaves no fitted centres behind."""
        if np.isfinite(inertia) and np.isfinite(self.cluster_centers_).all():
            return
        del self.cluster_centers_
        for name in ("_centers", "labels_", "inertia_"):
            if hasattr(self, name):
                delattr(self, name)
        raise ValueError(
            "MiniBatchKMeans stopped: a centre or the inertia overflows floating "
            "point; the scale of X (or of sample_weight) is too large, rescale them"
        )

    # -- inference --

    def _labels_inertia(self, X, sample_weight=None):
        st = self._pass(X, self._fitted_centers(), sample_weight, labels=True)
        return st["labels"].astype(np.int32), float(st["inertia"])

    def _fitted_centers(self):
        check_is_fitted(self, "cluster_centers_")
        return np.ascontiguousarray(self.cluster_centers_, dtype=np.float64)

    def _check_test_data(self, X):
        check_is_fitted(self, "cluster_centers_")
        return self._check_batch(X, reset=False)

    def _check_batch(self, X, reset):
        """validate_data, with a fast path for the common case of a stream:
        a C-contiguous float ndarray of finite numbers after the first batch
        (validate_data's DataFrame checks cost more than a small batch's pass)."""
        if (
            not reset
            and type(X) in (np.ndarray, np.memmap)
            and X.ndim == 2
            and X.dtype in (np.float32, np.float64)
            and X.flags.c_contiguous
            and X.shape[0] > 0
            and X.shape[1] == getattr(self, "n_features_in_", -1)
            and not hasattr(self, "feature_names_in_")
            and np.isfinite(X).all()
        ):
            return X
        refuse_dates(X)
        with np.errstate(invalid="ignore", over="ignore"):  # see check_data
            return validate_data(
                self, X, dtype=[np.float64, np.float32], order="C", reset=reset
            )

    def predict(self, X):
        """Return the index of the nearest centre of every row of X.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The rows to label.

        Returns
        -------
        ndarray of shape (n_samples,)
            The nearest centre of every row.
        """
        X = self._check_test_data(X)
        return self._labels_inertia(X)[0]

    def transform(self, X):
        """Return the Euclidean distance of every row of X to every centre.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        ndarray of shape (n_samples, n_clusters)
            The distances.
        """
        X = self._check_test_data(X)
        centers = self._fitted_centers()
        return _core.kmeans_distances(X, centers, "l2", check_n_threads(self.n_threads))

    def score(self, X, y=None, sample_weight=None):
        """Return the opposite of the inertia of X against the centres.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The rows.
        y : None
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights; None gives every row weight 1.

        Returns
        -------
        float
            Minus the weighted sum of squared distances to the nearest centre.
        """
        X = self._check_test_data(X)
        w = (
            None
            if sample_weight is None
            else _sample_weight(sample_weight, X.shape[0], np.float64)
        )
        return -self._labels_inertia(X, w)[1]


io.register_kind(MiniBatchKMeans)
