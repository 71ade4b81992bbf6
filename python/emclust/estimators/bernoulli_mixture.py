"""BernoulliMixture: a mixture of Bernoullis for binary data, on the native core."""

from __future__ import annotations

import dataclasses
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.utils._param_validation import Interval, MissingValues, StrOptions
from sklearn.utils._tags import InputTags
from sklearn.utils.validation import check_is_fitted

from .. import io
from .._validation import (
    check_binary_array,
    check_csr,
    check_data,
    check_mixture_weights,
    check_n_threads,
    check_sample_weight,
    is_sparse,
    numpy_generator,
    seed_from_random_state,
)
from ..drivers import dask as dask_driver
from ..drivers import memory
from ..drivers.dask import is_dask_collection
from ..drivers.streaming import BernoulliModel, BernoulliParams
from ..models import bernoulli
from ..models.bernoulli import INIT_PARAMS, check_probabilities
from ..models.kmeans import sample_size
from ._mixture import MixtureMixin, check_n_samples
from ._online import NOT_STREAMED, OnlineMixtureMixin
from ._shared import N_THREADS, RANDOM_STATE, check_fitted, float_result


@dataclasses.dataclass
class BinaryInputTags(InputTags):
    """scikit-learn's input tags, plus ``binary``: X must be 0/1 data."""

    binary: bool = False


class BernoulliMixture(OnlineMixtureMixin, MixtureMixin):
    """Mixture of multivariate Bernoulli distributions, for binary data.

    p(x) = Σ_k π_k Π_d θ_kd^x_d (1 - θ_kd)^(1 - x_d), fitted by EM on the
    native multithreaded core. The E-step is one matrix product per block of
    rows, X (log θ - log(1 - θ))ᵀ, plus a per-component constant; results are
    bit-identical for any ``n_threads``.

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    tol : float, default=1e-3
        EM stops when the mean log-likelihood per sample changes by less.
    max_iter : int, default=100
        Largest number of iterations of one initialisation.
    n_init : int, default=1
        Restarts; the one with the largest final lower bound is kept.
    init_params : {"k-means++", "random", "random_from_data"}, default="k-means++"
        "k-means++" and "random_from_data" start from one component per
        seed row (k-means++ seeding uses the squared distance, which on binary
        rows is the Hamming distance), "random" from random responsibilities;
        each is followed by one M-step.
    weights_init : array-like of shape (n_components,), optional
        Initial mixing weights; None lets ``init_params`` choose them.
    probabilities_init : array-like of shape (n_components, n_features), optional
        Starting θ, strictly between 0 and 1. With both ``weights_init`` and
        ``probabilities_init``, ``max_iter=1`` is exactly one E-step and one
        M-step from them.
    alpha : float, default=1e-3
        Additive (Laplace) smoothing of θ. The M-step is

            θ_kd = (Σ_i w_i γ_ik x_id + α) / (Σ_i w_i γ_ik + 2α),

        the maximum a posteriori estimate under a Beta(1 + α, 1 + α) prior
        on every θ_kd: as if every component had seen α extra samples with
        x_d = 1 and α with x_d = 0. Any α > 0 keeps θ strictly inside (0, 1),
        so a pixel never seen "on" in a component costs a finite log(α / N_k)
        instead of making the likelihood of a new image zero. α counts in
        units of (weighted) samples, so its effect fades as N_k grows.
        α = 0 is the plain maximum-likelihood M-step of the seed. In both
        cases θ is finally clipped to [1e-10, 1 - 1e-10], which binds only
        when α is 0 or below ~1e-10 N_k. ``lower_bound_`` is the
        log-likelihood (without the prior's term).
    random_state : int, RandomState, Generator or None
        Seed of the initialisation; an int gives the same fit on every platform.
    n_threads : int, optional
        Threads for the core; None uses every usable core.
    binarize : float or None, default=None
        None: X must be binary (its tags say so). A number t: X > t becomes 1
        and the rest 0 before fitting and inference, as scikit-learn's
        ``BernoulliNB(binarize=t)`` (NaN stays NaN).
    missing_values : np.nan or None, default=np.nan
        With np.nan, NaN entries are missing (at random); given the component the
        features are independent, so a missing entry drops out of the
        likelihood and out of the M-step's sums (θ_kd is the weighted mean
        over the rows that observed feature d). Inference marginalises, and
        ``impute`` fills a missing entry with Σ_k γ_k θ_kd. X without NaN is
        fitted exactly as before. None: NaN is an error. ``partial_fit``
        and ``batch_size`` need complete rows.
    batch_size : int, optional
        None: ``fit`` runs batch EM (exact). An int: ``fit`` runs online
        (stepwise) EM in batches of this many rows for at most ``max_iter``
        epochs (see GaussianMixture and ``partial_fit``).
    learning_offset : float, default=10.0
        The t0 of online EM's step size η_t = (t0 + t)^(−κ) (η_1 = 1).
    learning_decay : float in (0.5, 1], default=0.7
        The κ of the step size (LatentDirichletAllocation's names).

    Attributes
    ----------
    The arrays are float32 when X is float32, float64 otherwise.

    weights_ : ndarray of shape (n_components,)
    probabilities_ : ndarray of shape (n_components, n_features)
        θ_kd = P(x_d = 1 | component k).
    converged_ : bool
    n_iter_ : int
    lower_bound_ : float
        Mean log-likelihood per sample under the parameters the last
        iteration started from.
    lower_bounds_ : list of float
        lower_bound at every iteration of the best initialisation. After
        ``partial_fit``: every batch's mean log-likelihood before its step;
        after a fit with ``batch_size``: every epoch's mean of those.
    batch_lower_bounds_ : list of float
        With ``batch_size``: every batch's bound, over all epochs.
    n_features_in_ : int

    Notes
    -----
    X may be bool, integer or float, with every entry 0 or 1. float32 data is
    computed in float32 (with float64 sums); everything else in float64.
    """

    def __init__(
        self,
        n_components=1,
        *,
        tol=1e-3,
        max_iter=100,
        n_init=1,
        init_params="k-means++",
        weights_init=None,
        probabilities_init=None,
        alpha=1e-3,
        random_state=None,
        n_threads=None,
        binarize=None,
        missing_values=np.nan,
        batch_size=None,
        learning_offset=10.0,
        learning_decay=0.7,
    ):
        self.n_components = n_components
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.probabilities_init = probabilities_init
        self.alpha = alpha
        self.random_state = random_state
        self.n_threads = n_threads
        self.binarize = binarize
        self.missing_values = missing_values
        self.batch_size = batch_size
        self.learning_offset = learning_offset
        self.learning_decay = learning_decay

    _parameter_constraints: ClassVar[dict] = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0.0, np.inf, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init_params": [StrOptions(set(INIT_PARAMS))],
        "weights_init": ["array-like", None],
        "probabilities_init": ["array-like", None],
        "alpha": [Interval(Real, 0.0, np.inf, closed="left")],
        "random_state": RANDOM_STATE,
        "n_threads": N_THREADS,
        "binarize": [Interval(Real, None, None, closed="neither"), None],
        "missing_values": [MissingValues(numeric_only=True), None],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "learning_offset": [Interval(Real, 0.0, None, closed="left")],
        "learning_decay": [Interval(Real, 0.5, 1.0, closed="right")],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        given = {
            f.name: getattr(tags.input_tags, f.name)
            for f in dataclasses.fields(InputTags)
        }
        tags.input_tags = BinaryInputTags(**given, binary=self.binarize is None)
        tags.input_tags.positive_only = self.binarize is None
        tags.input_tags.sparse = True
        return tags

    def _validate_X(self, X, reset, allow_nan=None):
        if allow_nan is None:
            allow_nan = self._allow_nan()
        if self.binarize is None:
            return check_binary_array(
                X, self, reset=reset, allow_nan=allow_nan, accept_sparse=True
            )
        if is_sparse(X):
            return self._binarize_sparse(X, reset)
        X = check_data(X, self, reset=reset, allow_nan=allow_nan)
        binary = (X > self.binarize).astype(X.dtype)
        return np.where(np.isnan(X), X, binary) if allow_nan else binary

    def _binarize_sparse(self, X, reset):
        """X > binarize on a sparse matrix, still sparse: only a threshold
        of at least 0 leaves the implicit zeros at 0 (scikit-learn's
        ``binarize`` refuses a negative one on sparse input too)."""
        if self.binarize < 0:
            raise ValueError(
                f"binarize must be >= 0 for sparse X (got {self.binarize}): a "
                "negative threshold would turn every implicit zero into a 1"
            )
        X = check_csr(X, self, reset=reset).copy()
        X.sum_duplicates()
        X.data = (X.data > self.binarize).astype(X.dtype)
        X.eliminate_zeros()
        return X

    def _validate_fitted(self, X):
        check_fitted(self, "probabilities_")
        return self._validate_X(X, reset=False)

    def fit(self, X, y=None, sample_weight=None, *, callback=None):
        """Estimate the parameters with EM.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Binary data: every entry 0 or 1 (bool, integer or float). A
            scipy.sparse matrix or array (CSR; other formats converted) is
            fitted on its nonzeros: the E-step X Wᵀ + b and the M-step's sums
            touch only them, and from the same seed the fit equals the dense
            one (sparse input has no missing entries). A
            ``dask.array.Array`` chunked by rows is fitted on the Dask
            cluster, one map and one tree reduction per iteration (see
            ``emclust.drivers.dask``); from the same initial parameters the result
            equals the in-memory fit to rounding. ``init_params="random"`` is
            not available there; "k-means++" and "random_from_data" seed
            from a uniform sample of rows. A memory map is fitted in place
            (the in-memory fit, bit for bit); an iterable of 2-D arrays by
            exact EM over its blocks, initialised from the first block. With
            ``batch_size``, X is streamed by online EM (see
            GaussianMixture.fit).
        y : ignored
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights; an integer weight counts the row that many
            times. May be a Dask array when X is one.
        callback : callable, optional
            With ``batch_size``: ``callback(epoch, batch, lower_bound,
            change)`` after every batch; over row blocks: ``callback(init,
            n_iter, lower_bound, change)`` after every iteration. The
            in-memory and Dask fits do not call it.

        Returns
        -------
        self
            The fitted estimator.
        """
        self._fit(X, sample_weight, callback)
        return self

    def _check_parameters(self, n_samples, d):
        """(k, tol, alpha, max_iter, n_init, (weights_init, probabilities_init))."""
        k = self.n_components
        if n_samples < k:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = {k}, "
                f"n_samples = {n_samples}"
            )
        tol, alpha = float(self.tol), float(self.alpha)
        max_iter, n_init = int(self.max_iter), int(self.n_init)
        weights_init = (
            None
            if self.weights_init is None
            else check_mixture_weights(self.weights_init, k, "weights_init")
        )
        probabilities_init = (
            None
            if self.probabilities_init is None
            else check_probabilities(
                self.probabilities_init, k, d, "probabilities_init"
            )
        )
        return k, tol, alpha, max_iter, n_init, (weights_init, probabilities_init)

    def _fit(self, X, sample_weight, callback=None):
        self._validate_params()
        streamed = self._fit_streamed(X, sample_weight, callback)
        if streamed is not NOT_STREAMED:
            return streamed
        if is_dask_collection(X):
            if self.binarize is not None:
                binary = (X > self.binarize).astype(dask_driver.float_dtype(X))
                if self._allow_nan() and X.dtype.kind == "f":
                    _, da = dask_driver.import_dask()
                    binary = da.where(da.isnan(X), X, binary)
                X = binary
            X, result = self._fit_dask(X, sample_weight)
            self.n_features_in_ = X.shape[1]
        else:
            X, result = self._fit_in_memory(X, sample_weight)
        dtype = dask_driver.float_dtype(X)
        self.weights_ = float_result(result["weights"], dtype)
        self.probabilities_ = float_result(result["probabilities"], dtype)
        self.converged_ = bool(result["converged"])
        self.n_iter_ = int(result["n_iter"])
        self.lower_bound_ = float(result["lower_bound"])
        self.lower_bounds_ = list(result["lower_bounds"])
        self._warn_if_not_converged()
        return X

    def _fit_in_memory(self, X, sample_weight):
        X = self._validate_X(X, reset=True)
        k, tol, alpha, max_iter, n_init, given = self._check_parameters(*X.shape)
        weights_init, probabilities_init = given
        w = check_sample_weight(sample_weight, X.shape[0])
        result = memory.fit_bernoulli_mixture(
            X,
            w,
            n_components=k,
            tol=tol,
            alpha=alpha,
            max_iter=max_iter,
            n_init=n_init,
            init_params=self.init_params,
            weights_init=weights_init,
            probabilities_init=probabilities_init,
            seed=seed_from_random_state(self.random_state),
            n_threads=check_n_threads(self.n_threads),
        )
        return X, result

    def _fit_dask(self, X, sample_weight):
        """EM on a Dask array (drivers.dask); from the same initial
        parameters it equals the in-memory fit to rounding."""
        data = dask_driver.ChunkedData(X, sample_weight, self.n_threads)
        k, tol, alpha, max_iter, n_init, given = self._check_parameters(
            data.n_samples, data.n_features
        )
        seed = seed_from_random_state(self.random_state)
        allow_nan = self._allow_nan()
        if allow_nan:
            # Seeded from X with every NaN replaced by its column's observed
            # (unweighted) mean, as the in-memory fit; the values are checked
            # by the first E-step.
            start = data.mean_filled(weighted=False)
            sample = dask_driver.cached_sample(start, sample_size(k), seed)
        else:
            start = data
            sample = dask_driver.cached_sample(
                data, sample_size(k), seed, check=bernoulli.check_binary_sample
            )
        result = dask_driver.fit_em(
            data,
            n_init=n_init,
            max_iter=max_iter,
            tol=tol,
            initial_params=lambda r: bernoulli.chunked_initial_params(
                start, k, self.init_params, seed, r, given, alpha, sample
            ),
            e_step=lambda params, it, check: bernoulli.chunked_e_step(
                data, params, it, check, allow_nan=allow_nan
            ),
            m_step=lambda stats: stats._m_step(alpha),
        )
        return data.X, result

    # -- streaming hooks (OnlineMixtureMixin: partial_fit, batch_size, blocks) --

    def _online_model(self):
        return BernoulliModel(float(self.alpha))

    def _online_validate(self, X, reset):
        return self._validate_X(X, reset, allow_nan=False)

    def _online_initial(self, X, sample_weight, seed=None):
        """The fit's initial parameters drawn from X (max_iter=0 of the
        core's fit: the same draw as ``fit``)."""
        k, _, alpha, _, _, given = self._check_parameters(*X.shape)
        result = memory.fit_bernoulli_mixture(
            X,
            sample_weight,
            n_components=k,
            tol=0.0,
            alpha=alpha,
            max_iter=0,
            n_init=1,
            init_params=self.init_params,
            weights_init=given[0],
            probabilities_init=given[1],
            seed=seed_from_random_state(self.random_state) if seed is None else seed,
            n_threads=check_n_threads(self.n_threads),
        )
        return BernoulliParams(
            np.asarray(result["weights"], dtype=np.float64),
            np.asarray(result["probabilities"], dtype=np.float64),
        )

    def _online_set(self, params, dtype):
        self.weights_ = float_result(params.weights, dtype)
        self.probabilities_ = float_result(params.probabilities, dtype)

    # -- inference (predict, predict_proba, score_samples, score, bic, aic:
    #    MixtureMixin; lazy on Dask arrays) --

    def _impute(self, X):
        return bernoulli.impute(
            X, self.weights_, self.probabilities_, check_n_threads(self.n_threads)
        )

    def _e_step(self, X, want_resp, want_log_prob):
        return bernoulli.infer(
            X,
            self.weights_,
            self.probabilities_,
            want_resp,
            want_log_prob,
            check_n_threads(self.n_threads),
        )

    def _n_parameters(self):
        k, d = self.probabilities_.shape
        return k * d + k - 1

    def sample(self, n_samples=1):
        """Draw samples from the fitted mixture.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to draw.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features), dtype float64
            Entries 0.0 or 1.0.
        y : ndarray of shape (n_samples,)
            The component each sample was drawn from.
        """
        check_is_fitted(self)
        n_samples = check_n_samples(n_samples)
        rng = numpy_generator(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_ / self.weights_.sum())
        y = np.repeat(np.arange(self.weights_.shape[0]), counts)
        u = rng.random((n_samples, self.probabilities_.shape[1]))
        return (u < self.probabilities_[y]).astype(np.float64), y


io.register_kind(BernoulliMixture)
