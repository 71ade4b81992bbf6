"""GaussianMixture: scikit-learn's estimator on the native core."""

from __future__ import annotations

import sys
import time
import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.utils._param_validation import Interval, MissingValues, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import io
from .._validation import (
    check_data,
    check_mixture_weights,
    check_n_threads,
    check_sample_weight,
    numpy_generator,
    seed_from_random_state,
)
from ..drivers import dask as dask_driver
from ..drivers import memory
from ..drivers.dask import is_dask_collection
from ..drivers.streaming import GaussianModel, GaussianParams, is_block_source
from ..exceptions import SingularCovarianceWarning
from ..models import gaussian
from ..models.algebra import full_covariances, mixture_moments, sum_of_mixtures
from ..models.covariance_models import (
    canonical_model,
    decompose,
    is_mclust_model,
    n_parameters,
)
from ..models.gaussian import (
    ALL_COVARIANCE_TYPES,
    check_covariance_type,
    check_covariances,
    check_means,
    check_precisions,
    covariance_shape,
    from_core,
    precision_cholesky,
    precisions_from_cholesky,
    to_core,
)
from ..models.hierarchical import hc_start, hierarchical_tree
from ..models.kmeans import sample_size
from ..models.prior import IN_MEMORY_ONLY, ConjugatePrior, core_prior
from ..models.singular import is_singular
from ._mixture import MixtureMixin, check_n_samples, explain_ill_defined
from ._noise import NoiseMixin
from ._online import NOT_STREAMED, OnlineMixtureMixin
from ._shared import (
    N_THREADS,
    RANDOM_STATE,
    check_dask_n_features,
    check_fitted,
    float_result,
)

INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data", "hc")


class GaussianMixture(NoiseMixin, OnlineMixtureMixin, MixtureMixin):
    """Gaussian mixture fitted by EM on the native multithreaded core.

    Parameters, attributes and methods are those of scikit-learn's
    ``sklearn.mixture.GaussianMixture``; from the same initial parameters the
    two give the same fitted model. Additions: ``sample_weight`` in
    ``fit``/``score``/``bic``/``aic`` (an integer weight is the same as
    repeating the row), ``n_threads``, missing values, and streaming:
    ``partial_fit`` (online EM), ``fit`` in mini-batches (``batch_size``) and
    ``fit`` over an iterable of row blocks or a memory map (exact EM in
    bounded memory). Results are bit-identical for any ``n_threads``.

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    covariance_type : str, default="full"
        One of scikit-learn's "full", "tied", "diag", "spherical" (their shapes), or
        one of mclust's 14 models EII, VII, EEI, VEI, EVI, VVI, EEE, VEE, EVE,
        VVE, EEV, VEV, EVV, VVV (Σ_k = λ_k D_k A_k D_kᵀ: volume, shape,
        orientation Equal, Variable or Identity), "E" or "V" for one feature.
        spherical = VII, diag = VVI, tied = EEE, full = VVV. The mclust names
        store (k, d, d) ``covariances_``, ``precisions_`` and
        ``precisions_cholesky_`` and add ``volumes_``, ``shapes_`` and
        ``orientations_``. reg_covar is added to the diagonal after the
        constrained M-step (the constraints hold exactly at reg_covar=0).
        ``bic``/``aic`` count parameters as mclust's ``nMclustParams``.
    tol : float, default=1e-3
        EM stops when the mean log-likelihood per sample changes by less.
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance, so that singleton and
        collapsed components stay positive definite.
    max_iter : int, default=100
        Largest number of iterations of one initialisation.
    n_init : int, default=1
        Restarts; the one with the largest final lower bound is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data", "hc"}, default="kmeans"
        How the starting responsibilities are chosen. "hc" is mclust's
        default start: model-based agglomerative hierarchical clustering
        (VVV merges on SVD-transformed data; Banfield and Raftery 1993,
        Fraley 1998), cut at ``n_components`` clusters, then an M-step of
        ``covariance_type`` from that partition. It is deterministic (the
        restarts of ``n_init`` would repeat it, so it runs once), and above
        ``hc_max_samples`` rows the tree is built on a seeded uniform subset
        of that many rows, whose M-step starts EM on all rows (as mclust's
        ``subset``). It needs complete rows. With a Dask array the subset is
        a seeded sample of its rows.
    weights_init : array-like of shape (n_components,), optional
        Initial mixing weights; None lets ``init_params`` choose them.
    means_init : array-like of shape (n_components, n_features), optional
        Initial means; None lets ``init_params`` choose them.
    precisions_init : array-like, optional
        Inverse covariances, in the shape of ``covariances_``.
    random_state : int, RandomState, Generator or None
        Seed of the initialisation; an int gives the same fit on every platform.
    warm_start : bool, default=False
        Continue from the current fit on the next call of ``fit``.
    verbose : int, default=0
        1 prints each initialisation's result, 2 also every
        ``verbose_interval`` iterations.
    verbose_interval : int, default=10
        Iterations between two progress lines when ``verbose=2``.
    n_threads : int, optional
        Threads for the core; None uses every usable core.
    missing_values : np.nan or None, default=np.nan
        With np.nan, NaN entries of X are missing (at random) and the fit is the
        exact EM of Ghahramani and Jordan (1994): each row's likelihood is
        that of its observed entries, and the M-step completes the missing
        ones with their conditional means and adds their conditional
        covariance to the scatter. ``predict``, ``predict_proba``,
        ``score_samples``, ``score``, ``bic`` and ``aic`` marginalise over
        the missing entries, and ``impute`` fills them in. A row with every
        entry missing, or a feature missing in every row, is an error; X
        without NaN is fitted exactly as before. None: NaN is an error.
        ``partial_fit`` and ``batch_size`` need complete rows.
    batch_size : int, optional
        None: ``fit`` runs batch EM (exact). An int: ``fit`` runs online
        (stepwise) EM over X in batches of this many rows, in row order, for
        at most ``max_iter`` epochs, stopping when the mean of an epoch's
        batch bounds changes by less than ``tol`` (as scikit-learn's online
        LatentDirichletAllocation); see ``partial_fit``.
    learning_offset : float, default=10.0
        The t0 of online EM's step size η_t = (t0 + t)^(−κ), t the batch count
        (η_1 = 1); larger values damp the early steps. As in
        LatentDirichletAllocation.
    learning_decay : float in (0.5, 1], default=0.7
        The κ of the step size; κ in (0.5, 1] makes online EM converge
        (Robbins–Monro). ``learning_offset=0, learning_decay=1`` gives
        η_t = 1/t: every batch's statistics weigh the same.
    noise : bool, default=False
        Add a noise component of uniform density 1/V over the data's region
        (Banfield and Raftery, 1993), which absorbs outliers. ``predict``
        returns -1 for rows the noise explains best, ``predict_proba`` has a
        last column for it, ``score_samples``, ``bic`` and ``aic`` include it
        (two more parameters, the proportion and V, as mclust's nMclustParams counts). ``weights_`` and
        ``noise_weight_`` then sum to 1. In-memory batch EM on complete rows
        only (no Dask, streaming, warm start or missing values).
    noise_volume : float, optional
        V; None estimates it as mclust's ``hypvol`` does: the smaller of the
        bounding box and the box in the principal axes of X.
    noise_init : array-like of bool of shape (n_samples,), optional
        The rows the noise starts with; None uses the nearest-neighbour
        clutter rule of Byers and Raftery (1998). The other rows are
        initialised by ``init_params``.
    hc_max_samples : int, default=2000
        With ``init_params="hc"``: the most rows the tree is built from (its
        cost is quadratic in them).
    prior : None, "conjugate" or emclust.ConjugatePrior, default=None
        The conjugate prior of mclust (Fraley and Raftery 2007): EM becomes MAP EM,
        whose M-step is mclust 6.0's. "conjugate" is ``priorControl()``'s
        defaults from X and n_components (shrinkage 0.01, the data mean,
        n_features + 2 degrees of freedom, scale var(X) / G^(2/d)); a
        ConjugatePrior's None fields take those defaults. For the models
        EII, VII, EEI, VEI, EVI, VVI, EEE, EEV, VEV, VVV and scikit-learn's
        four (full = VVV, tied = EEE, diag = VVI, spherical = VII); the
        in-memory fit only (missing values included: the defaults then use
        the complete rows). ``lower_bound_`` is then the mean log posterior
        (up to a constant; see ``emclust.reference.prior.log_density``),
        which never decreases; ``bic``, ``aic`` and ``icl`` use the
        log-likelihood at the MAP estimate, as mclust does.

    Attributes
    ----------
    The arrays are float32 when X is float32 (as in scikit-learn), float64
    otherwise; the sums behind them are float64 either way.

    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariances_, precisions_, precisions_cholesky_ : ndarray
        (n_components, n_features, n_features) for "full", (n_features,
        n_features) for "tied", (n_components, n_features) for "diag",
        (n_components,) for "spherical".
    converged_ : bool
    status_ : {"ok", "singular"}
        After ``fit``: "singular" when a covariance is numerically singular
        or a component holds too few points for its parameters (the rule of
        ``emclust.models.singular``); a SingularCovarianceWarning is issued.
    volumes_, shapes_, orientations_ : ndarray
        For mclust's names only: λ_k (k,), the diagonal of A_k (k, d;
        determinant 1, decreasing) and D_k (k, d, d), from ``covariances_``.
    n_iter_ : int
        EM iterations of the best initialisation.
    lower_bound_ : float
        Mean log-likelihood per sample of the best initialisation, as
        computed in its last E-step (with ``prior``: the mean log posterior).
    lower_bounds_ : list of float
        lower_bound at every iteration of the best initialisation. After
        ``partial_fit``: every batch's mean log-likelihood before its step
        (``n_iter_`` counts the batches); after a fit with ``batch_size``:
        the mean of every epoch's batch bounds (``n_iter_`` counts epochs).
    batch_lower_bounds_ : list of float
        With ``batch_size``: every batch's mean log-likelihood before its
        step, over all epochs (the online learning curve).
    noise_weight_ : float
        With ``noise=True``: the fitted proportion of the noise.
    noise_volume_, log_noise_volume_ : float
        With ``noise=True``: V and log V of the noise density 1/V.
    n_features_in_ : int
    """

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
        n_threads=None,
        missing_values=np.nan,
        batch_size=None,
        learning_offset=10.0,
        learning_decay=0.7,
        noise=False,
        noise_volume=None,
        noise_init=None,
        hc_max_samples=2000,
        prior=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.n_threads = n_threads
        self.missing_values = missing_values
        self.batch_size = batch_size
        self.learning_offset = learning_offset
        self.learning_decay = learning_decay
        self.noise = noise
        self.noise_volume = noise_volume
        self.noise_init = noise_init
        self.hc_max_samples = hc_max_samples
        self.prior = prior

    # Not a parameter: GaussianMixtureSelector sets it on its fits so that
    # they stop by mclust's relative rule (drivers.memory.fit_gaussian_mixture)
    # rather than scikit-learn's change of the mean log-likelihood.
    _relative_tol = False

    _parameter_constraints: ClassVar[dict] = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "covariance_type": [StrOptions(set(ALL_COVARIANCE_TYPES))],
        "tol": [Interval(Real, 0.0, np.inf, closed="left")],
        "reg_covar": [Interval(Real, 0.0, np.inf, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init_params": [StrOptions(set(INIT_PARAMS))],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "precisions_init": ["array-like", None],
        "random_state": RANDOM_STATE,
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "verbose_interval": [Interval(Integral, 1, None, closed="left")],
        "n_threads": N_THREADS,
        "missing_values": [MissingValues(numeric_only=True), None],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "learning_offset": [Interval(Real, 0.0, None, closed="left")],
        "learning_decay": [Interval(Real, 0.5, 1.0, closed="right")],
        "noise": ["boolean"],
        "noise_volume": [Real, None],
        "noise_init": ["array-like", None],
        "hc_max_samples": [Interval(Integral, 1, None, closed="left")],
        "prior": [None, StrOptions({"conjugate"}), ConjugatePrior],
    }

    # -- fitting --

    def _check_parameters(self, n_features):
        """The initial parameters given, checked against n_features (the
        scalars were checked by _validate_params)."""
        k = self.n_components
        canonical_model(self.covariance_type, n_features)  # "E"/"V" need d == 1
        return (
            None
            if self.weights_init is None
            else check_mixture_weights(self.weights_init, k, "weights_init"),
            None
            if self.means_init is None
            else check_means(self.means_init, k, n_features),
            None
            if self.precisions_init is None
            else check_precisions(
                self.precisions_init, self.covariance_type, k, n_features
            ),
        )

    def fit(self, X, y=None, sample_weight=None, *, callback=None):
        """Estimate the parameters with EM.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data. float32 data is fitted in float32 arithmetic (float64 sums);
            anything else numeric in float64. A ``dask.array.Array`` chunked
            by rows is fitted on the Dask cluster, one map and one tree
            reduction per iteration (see ``emclust.drivers.dask``); from the same
            initial parameters the result equals the in-memory fit to
            rounding. ``init_params="random"`` is not available there.

            Data larger than memory, without Dask: a memory map
            (``np.load(path, mmap_mode="r")``) is fitted in place by the
            in-memory fit (the same fit, bit for bit: the core reads the
            file's pages as it walks its row chunks and copies nothing; its
            scratch is per chunk). Its initialisation reads the whole map:
            "random_from_data" and given ``*_init`` parameters add no memory
            per row, "kmeans" and "k-means++" 16 bytes per row, "random" 8·K.
            An iterable of 2-D arrays (a list, or an object whose
            ``__iter__`` starts over; a list of slices of a memory map too)
            is fitted by exact EM over its blocks, one pass per iteration,
            initialised from the first block (``_fit_blocks`` of
            ``emclust.estimators._online``): its memory stays near one block
            whatever ``init_params`` is.
            With ``batch_size`` set, X (array, memmap or iterable, even a
            one-shot iterator) is streamed by online EM instead.
        y : ignored
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights; an integer weight counts the row that many
            times, zero removes it. May be a Dask array when X is one.
        callback : callable, optional
            Called after every EM iteration as ``callback(init, n_iter,
            lower_bound, change)``: the initialisation (from 0), the iteration
            in it (from 1), the mean log-likelihood per sample and its change.
            An exception it raises stops the fit. Progress displays use it.
            With ``batch_size``: called after every batch as ``callback(epoch,
            batch, lower_bound, change)`` (both counted from 1; the batch's
            mean log-likelihood before its step, and its change from the
            previous batch's).

        Returns
        -------
        self
            The fitted estimator.
        """
        self._fit(X, sample_weight, callback)
        return self

    def _fit(self, X, sample_weight, callback=None, hc_tree=None):
        # hc_tree: a HierarchicalTree of X's rows for init_params="hc", built
        # once by GaussianMixtureSelector and cut for every n_components.
        self._validate_params()
        self._drop_noise()
        if self.prior is not None and (
            self.noise
            or self.batch_size is not None
            or is_dask_collection(X)
            or is_dask_collection(sample_weight)
            or is_block_source(X)
        ):
            raise ValueError(IN_MEMORY_ONLY)
        if self.noise:  # the separate path of estimators/_noise.py
            return self._fit_noise(X, sample_weight, callback, hc_tree)
        streamed = self._fit_streamed(X, sample_weight, callback)
        if streamed is not NOT_STREAMED:
            return streamed
        try:
            if is_dask_collection(X):
                X, result = self._fit_dask(X, sample_weight, callback)
                self.n_features_in_ = X.shape[1]
            else:
                X, result = self._fit_in_memory(X, sample_weight, callback, hc_tree)
        except ValueError as exc:
            if str(exc).startswith("Fitting the mixture failed"):
                raise explain_ill_defined(exc) from None
            raise
        self._set_fitted(result, X.shape[1], dask_driver.float_dtype(X))
        self._set_status(X, sample_weight)
        self._warn_if_not_converged()
        return X

    def _set_status(self, X, sample_weight):
        """status_ by the singular rule of emclust.models.singular, warned."""
        n = float(X.shape[0])
        if sample_weight is not None:
            # A scalar weighs every row alike; an array (NumPy or Dask) sums.
            w = sample_weight
            if not is_dask_collection(w):
                w = np.asarray(w, dtype=np.float64)  # any array-like, as fit took it
            n = float(w.sum()) if w.ndim else float(w) * n
        k, d = self.means_.shape
        cov = full_covariances(
            np.asarray(self.covariances_, dtype=np.float64), self.covariance_type, k, d
        )
        self.status_ = (
            "singular"
            if is_singular(cov, self.weights_, n, self.covariance_type)
            else "ok"
        )
        if self.status_ == "singular":
            warnings.warn(
                f"The fitted mixture (n_components={k}, covariance_type="
                f"{self.covariance_type!r}) is singular: a covariance is "
                "numerically singular or a component holds too few points for "
                "its parameters (see emclust.models.singular).",
                SingularCovarianceWarning,
                stacklevel=3,
            )

    def _continues(self):
        return bool(self.warm_start) and hasattr(self, "converged_")

    def _warm_parameters(self, d):
        """The current fit in the core's layout, to continue from, or None.
        Nothing is changed before the fit it continues is known to match the
        parameters (n_components, covariance_type, n_features)."""
        if not self._continues():
            return None
        k, t = self.n_components, self.covariance_type
        fitted = (
            np.shape(self.means_),
            np.shape(self.covariances_),
            np.shape(self.precisions_cholesky_),
            np.shape(self.weights_),
        )
        cshape = covariance_shape(t, k, d)
        expected = ((k, d), cshape, cshape, (k,))
        # "tied" and "diag" shapes coincide when k == d: the type is compared
        # too (a model from before this was recorded has only its shapes).
        fitted_type = getattr(self, "_fitted_covariance_type", t)
        if fitted != expected or fitted_type != t:
            raise ValueError(
                "warm_start=True continues the current fit, whose parameters "
                f"(means_ {fitted[0]}, {fitted_type!r} covariances_ {fitted[1]}) "
                "do not match "
                f"n_components={k}, covariance_type={t!r} and {d} features; set "
                "warm_start=False to fit afresh, or restore those parameters"
            )
        return (
            np.ascontiguousarray(self.weights_, dtype=np.float64),
            np.ascontiguousarray(self.means_, dtype=np.float64),
            to_core(self.covariances_, self.covariance_type, d),
            to_core(self.precisions_cholesky_, self.covariance_type, d),
        )

    def _hc_start(self, X, sample_weight, tree=None, prior=None):
        """The starting parameters of init_params="hc" (core layout), with
        any given ``*_init`` in place of their part; ``tree`` is built from X
        when None."""
        if not np.isfinite(X).all():
            raise ValueError(
                "init_params='hc' needs complete rows: X contains NaN (missing "
                "values); use init_params='kmeans' for incomplete data"
            )
        n_threads = check_n_threads(self.n_threads)
        if tree is None:
            tree = hierarchical_tree(
                X, self.hc_max_samples, self.random_state, self.n_threads
            )
        weights, means, covariances, chol = hc_start(
            X,
            sample_weight,
            self.n_components,
            self.covariance_type,
            self.reg_covar,
            tree,
            n_threads,
            prior,
        )
        d, t = X.shape[1], self.covariance_type
        weights_init, means_init, precisions_init = self._check_parameters(d)
        if weights_init is not None:
            weights = np.asarray(weights_init, dtype=np.float64)
        if means_init is not None:
            means = np.ascontiguousarray(means_init, dtype=np.float64)
        if precisions_init is not None:
            chol = gaussian.precisions_cholesky_from_precisions(
                to_core(precisions_init, t, d), t, d
            )
            covariances = gaussian.covariances_from_cholesky(chol, t, d)
        return weights, means, covariances, chol

    def _fit_in_memory(self, X, sample_weight, callback=None, hc_tree=None):
        n_components = self.n_components
        # A warm start checks that X has the features of the fit it continues.
        X = check_data(
            X, self, reset=not self._continues(), allow_nan=self._allow_nan()
        )
        if X.shape[0] < n_components:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = "
                f"{n_components}, n_samples = {X.shape[0]}"
            )
        weights_init, means_init, precisions_init = self._check_parameters(X.shape[1])
        w = check_sample_weight(sample_weight, X.shape[0])
        warm = self._warm_parameters(X.shape[1])
        prior = core_prior(self.prior, X, n_components, self.covariance_type)
        warm_lower_bound = -np.inf if warm is None else self.lower_bound_
        if warm is None and self.init_params == "hc":
            warm = self._hc_start(X, w, hc_tree, prior)  # one run from it
        result = memory.fit_gaussian_mixture(
            X,
            w,
            n_components=n_components,
            covariance_type=self.covariance_type,
            tol=self.tol,
            reg_covar=self.reg_covar,
            max_iter=self.max_iter,
            n_init=self.n_init,
            # With "hc" the core continues from its start (warm), unused here.
            init_params="kmeans" if self.init_params == "hc" else self.init_params,
            weights_init=weights_init,
            means_init=means_init,
            precisions_init=precisions_init,
            warm=warm,
            warm_lower_bound=warm_lower_bound,
            seed=seed_from_random_state(self.random_state),
            n_threads=check_n_threads(self.n_threads),
            progress=self._progress(callback)
            if self.verbose or callback is not None
            else None,
            prior=prior,
            relative_tol=self._relative_tol,
        )
        return X, result

    def _fit_dask(self, X, sample_weight, callback=None):
        """EM on a Dask array (drivers.dask); from the same initial
        parameters it equals the in-memory fit to rounding."""
        data = dask_driver.ChunkedData(X, sample_weight, self.n_threads)
        k = self.n_components
        if self._continues():
            check_dask_n_features(self, data.X)
        if data.n_samples < k:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = {k}, "
                f"n_samples = {data.n_samples}"
            )
        given = self._check_parameters(data.n_features)
        type_, reg_covar = self.covariance_type, self.reg_covar
        seed = seed_from_random_state(self.random_state)
        warm = self._warm_parameters(data.n_features)
        if warm is not None:
            warm = dict(
                zip(("weights", "means", "covariances", "precisions_cholesky"), warm)
            )
        allow_nan = self._allow_nan()
        # With missing values, initialisation runs on X with every NaN replaced
        # by its column's (weighted) observed mean, as the in-memory fit's.
        start = data.mean_filled(weighted=True) if allow_nan else data
        sample = dask_driver.cached_sample(start, sample_size(k), seed)
        warm_lower_bound = -np.inf if warm is None else self.lower_bound_
        if warm is None and self.init_params == "hc":
            # The tree's subset is a seeded sample of the array's rows.
            rows, row_weights = dask_driver.cached_sample(
                data, min(self.hc_max_samples, data.n_samples), seed
            )()
            warm = dict(
                zip(
                    ("weights", "means", "covariances", "precisions_cholesky"),
                    self._hc_start(rows, row_weights),
                )
            )
        result = dask_driver.fit_em(
            data,
            n_init=self.n_init,
            max_iter=int(self.max_iter),
            tol=float(self.tol),
            initial_params=lambda r: gaussian.chunked_initial_params(
                start, k, type_, self.init_params, reg_covar, seed, r, given, sample
            ),
            e_step=lambda params, it, check: gaussian.chunked_e_step(
                data, params, type_, it, check, allow_nan=allow_nan
            ),
            m_step=lambda stats: stats._m_step_flat(reg_covar),
            warm=warm,
            warm_lower_bound=warm_lower_bound,
            progress=self._progress(callback)
            if self.verbose or callback is not None
            else None,
            relative_tol=self._relative_tol,
        )
        return data.X, result

    def _progress(self, callback=None):
        start = [time.perf_counter()]

        def report(init, n_iter, lower_bound, change):
            if callback is not None:
                callback(init, n_iter, lower_bound, change)
            if not self.verbose:
                return
            if n_iter == 1:
                print(f"Initialization {init}", file=sys.stdout)
            if self.verbose >= 2 and n_iter % self.verbose_interval == 0:
                now = time.perf_counter()
                print(
                    f"  Iteration {n_iter}\t time lapse {now - start[0]:.5f}s\t "
                    f"ll change {change:.5f}"
                )
                start[0] = now

        return report

    def _set_fitted(self, result, n_features, dtype):
        k, t = self.n_components, self.covariance_type
        # precisions_ from the stored factors (float32 ones included), so that
        # a model file's precisions_ come out the same.
        chol = float_result(
            from_core(result["precisions_cholesky"], t, k, n_features), dtype
        )
        weights = result["weights"]
        if result["n_iter"] == 0 and self.weights_init is None:
            # No M-step has run: k-means++ and random_from_data seed weights
            # of N_k / n for one-hot rows (scikit-learn's initialisation,
            # summing to K/n). A fitted mixture's weights sum to 1, as
            # score_samples and model files need.
            weights = np.asarray(weights, dtype=np.float64)
            weights = weights / weights.sum()
        # Every array is shaped before any attribute changes: a fit never
        # leaves a half-updated model.
        covariances = float_result(
            from_core(result["covariances"], t, k, n_features), dtype
        )
        self.weights_ = float_result(weights, dtype)
        self.means_ = float_result(result["means"], dtype)
        self.covariances_ = covariances
        self.precisions_cholesky_ = chol
        self.precisions_ = float_result(
            precisions_from_cholesky(chol.astype(np.float64, copy=False), t), dtype
        )
        self._fitted_covariance_type = t
        if is_mclust_model(t):
            self.volumes_, self.shapes_, self.orientations_ = decompose(
                np.asarray(covariances, dtype=np.float64)
            )
        self.converged_ = bool(result["converged"])
        self.n_iter_ = int(result["n_iter"])
        self.lower_bound_ = float(result["lower_bound"])
        self.lower_bounds_ = list(result["lower_bounds"])

    # -- streaming hooks (OnlineMixtureMixin: partial_fit, batch_size, blocks) --

    def _online_model(self):
        return GaussianModel(self.covariance_type, float(self.reg_covar))

    def _online_validate(self, X, reset):
        # NaN entries are missing values here as in fit: the streaming
        # statistics are the marginal E-step's (gmm_statistics), so each step
        # is exact online EM on the observed entries.
        if self.prior is not None:
            raise ValueError(IN_MEMORY_ONLY)
        return check_data(X, self, reset=reset, allow_nan=self._allow_nan())

    def _online_initial(self, X, sample_weight, seed=None):
        """The fit's initial parameters drawn from X (max_iter=0 of the
        core's fit: the same draw as ``fit``), or the current fit's with
        warm_start=True."""
        k, t, d = self.n_components, self.covariance_type, X.shape[1]
        if self._continues():
            return GaussianParams(
                np.array(self.weights_, dtype=np.float64),
                np.array(self.means_, dtype=np.float64),
                np.array(self.covariances_, dtype=np.float64),
                np.array(self.precisions_cholesky_, dtype=np.float64),
            )
        if self.init_params == "hc":
            weights, means, covariances, chol = self._hc_start(X, sample_weight)
            return GaussianParams(
                np.asarray(weights, dtype=np.float64),
                np.asarray(means, dtype=np.float64),
                from_core(covariances, t, k, d),
                from_core(chol, t, k, d),
            )
        weights_init, means_init, precisions_init = self._check_parameters(d)
        result = memory.fit_gaussian_mixture(
            X,
            sample_weight,
            n_components=k,
            covariance_type=t,
            tol=0.0,
            reg_covar=self.reg_covar,
            max_iter=0,
            n_init=1,
            init_params=self.init_params,
            weights_init=weights_init,
            means_init=means_init,
            precisions_init=precisions_init,
            warm=None,
            warm_lower_bound=-np.inf,
            seed=seed_from_random_state(self.random_state) if seed is None else seed,
            n_threads=check_n_threads(self.n_threads),
            progress=None,
        )
        return GaussianParams(
            np.asarray(result["weights"], dtype=np.float64),
            np.asarray(result["means"], dtype=np.float64),
            from_core(result["covariances"], t, k, d),
            from_core(result["precisions_cholesky"], t, k, d),
        )

    def _online_set(self, params, dtype):
        chol = float_result(params.precisions_cholesky, dtype)
        self.weights_ = float_result(params.weights, dtype)
        self.means_ = float_result(params.means, dtype)
        self.covariances_ = float_result(params.covariances, dtype)
        self.precisions_cholesky_ = chol
        self.precisions_ = float_result(
            precisions_from_cholesky(
                chol.astype(np.float64, copy=False), self.covariance_type
            ),
            dtype,
        )

    # -- inference (predict, predict_proba, score_samples, score, bic, aic:
    #    MixtureMixin; lazy on Dask arrays) --

    def _validate_fitted(self, X):
        check_fitted(self, "precisions_cholesky_")
        return check_data(X, self, reset=False, allow_nan=self._allow_nan())

    def _impute(self, X):
        return gaussian.impute(
            X,
            self.weights_,
            self.means_,
            self.precisions_cholesky_,
            self.covariance_type,
            check_n_threads(self.n_threads),
        )

    def _e_step(self, X, want_resp, want_log_prob, log_resp=False):
        if self._has_noise():
            return self._noise_e_step(X, want_resp, want_log_prob, log_resp)
        return gaussian.infer(
            X,
            self.weights_,
            self.means_,
            self.precisions_cholesky_,
            self.covariance_type,
            want_resp,
            want_log_prob,
            log_resp,
            check_n_threads(self.n_threads),
        )

    def _n_parameters(self):
        k, d = self.means_.shape
        # mclust's nMclustParams; scikit-learn's four count as their aliases.
        # The noise adds its proportion and its volume: mclust's
        # nMclustParams(noise=TRUE) counts 2 (also when V is given).
        return n_parameters(self.covariance_type, k, d) + 2 * int(self._has_noise())

    def sample(self, n_samples=1):
        """Draw samples from the fitted mixture.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to draw.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The samples.
        y : ndarray of shape (n_samples,)
            The component each sample was drawn from.
        """
        check_is_fitted(self)
        n_samples = check_n_samples(n_samples)
        rng = numpy_generator(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_ / self.weights_.sum())
        k, d = self.means_.shape
        parts, labels = [], []
        for j in range(k):
            z = rng.standard_normal((counts[j], d))
            if self.covariance_type == "full" or is_mclust_model(self.covariance_type):
                z = z @ np.linalg.cholesky(self.covariances_[j]).T
            elif self.covariance_type == "tied":
                z = z @ np.linalg.cholesky(self.covariances_).T
            elif self.covariance_type == "diag":
                z = z * np.sqrt(self.covariances_[j])
            else:
                z = z * np.sqrt(self.covariances_[j])
            parts.append(self.means_[j] + z)
            labels.append(np.full(counts[j], j, dtype=np.int64))
        return np.vstack(parts), np.concatenate(labels)

    # -- mixture algebra (seed 001) --

    @classmethod
    def from_parameters(
        cls, weights, means, covariances, covariance_type="full", **params
    ):
        """A mixture with known parameters, ready to use without fitting.

        Parameters
        ----------
        weights : array-like of shape (n_components,)
            Mixing weights, summing to 1.
        means : array-like of shape (n_components, n_features)
            Component means.
        covariances : array-like
            In the shape of ``covariances_`` for ``covariance_type``.
        covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        **params
            Other constructor arguments (``n_threads``, ``random_state`` for
            ``sample``, ...).

        Returns
        -------
        GaussianMixture
            With ``weights_``, ``means_``, ``covariances_``, ``precisions_``
            and ``precisions_cholesky_`` set, so that ``score_samples``,
            ``predict``, ``sample``, ``save`` and the algebra methods work
            (``n_iter_`` is 0 and ``lower_bound_`` -inf: no EM has run).
        """
        covariance_type = check_covariance_type(covariance_type)
        means = np.asarray(means, dtype=np.float64)
        if means.ndim != 2:
            raise ValueError(
                f"means must be 2-D (n_components, n_features), got {means.ndim}-D"
            )
        k, d = means.shape
        gm = cls(n_components=k, covariance_type=covariance_type, **params)
        gm.weights_ = check_mixture_weights(weights, k, "weights")
        gm.means_ = check_means(means, k, d, "means")
        # Symmetric to rounding, stored exactly symmetric (what save writes
        # must load), positive definite.
        cov = check_covariances(covariances, covariance_type, k, d)
        gm.covariances_ = cov
        gm.precisions_cholesky_ = from_core(
            precision_cholesky(cov, covariance_type, d), covariance_type, k, d
        )
        gm.precisions_ = precisions_from_cholesky(
            gm.precisions_cholesky_, covariance_type
        )
        gm.n_features_in_ = d
        # No EM has run: the fit history is empty (fit with warm_start=True
        # continues from these parameters).
        gm.converged_, gm.n_iter_ = False, 0
        gm.lower_bound_, gm.lower_bounds_ = -np.inf, []
        return gm

    def _full_parameters(self):
        check_is_fitted(self)
        k, d = self.means_.shape
        return (
            self.weights_,
            self.means_,
            full_covariances(self.covariances_, self.covariance_type, k, d),
        )

    def moments(self):
        """Return the mean and covariance of the mixture.

        Returns
        -------
        mean : ndarray of shape (n_features,)
            E[x] of the mixture.
        covariance : ndarray of shape (n_features, n_features)
            Cov[x] of the mixture (see :func:`emclust.mixture_moments`).
        """
        return mixture_moments(*self._full_parameters())

    def convolve(self, other):
        """Return the mixture of x + y for independent x ~ self and y ~ other.

        ``self + other`` is the same.

        Parameters
        ----------
        other : GaussianMixture
            The distribution of y, fitted or built by ``from_parameters``.

        Returns
        -------
        GaussianMixture
            A "full" mixture with ``self.n_components * other.n_components``
            components (see :func:`emclust.sum_of_mixtures`).
        """
        if not isinstance(other, GaussianMixture):
            raise TypeError(
                f"can only convolve with a GaussianMixture, got {type(other).__name__}"
            )
        weights, means, covariances = sum_of_mixtures(
            self._full_parameters(), other._full_parameters()
        )
        return type(self).from_parameters(
            weights,
            means,
            covariances,
            "full",
            n_threads=self.n_threads,
            random_state=self.random_state,
        )

    def __add__(self, other):
        if not isinstance(other, GaussianMixture):
            return NotImplemented
        return self.convolve(other)


io.register_kind(GaussianMixture)
