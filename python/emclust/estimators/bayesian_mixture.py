"""BayesianGaussianMixture: scikit-learn's variational estimator on the native
Gaussian kernels."""

from __future__ import annotations

import sys
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import io
from .._validation import check_data, check_n_threads, check_sample_weight
from ..drivers import dask as dask_driver
from ..drivers.dask import is_dask_collection
from ..drivers.streaming import StepwiseAverage, scale_statistics
from ..models import variational as native
from ..models.gaussian import (
    COVARIANCE_TYPES,
    gmm_chunk_task,
    precisions_from_cholesky,
)
from ..reference import variational as ref
from ._mixture import MixtureMixin, check_n_samples, explain_ill_defined
from ._shared import N_THREADS, check_fitted

INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")
STATE = (
    "weight_concentration",
    "mean_precision",
    "means",
    "degrees_of_freedom",
    "covariances",
    "precisions_cholesky",
)
# Why NaN is refused: under the Normal-Wishart posterior the precision of a
# marginal Sigma_oo^-1 is Wishart with nu - d + |o| degrees of freedom, so the
# expected quadratic form and log-determinant of a row depend on which of its
# features are observed, and the M-step would need conditional moments under
# the posterior, not the plug-in completion: the marginal E-step of
# GaussianMixture (a Gaussian with the expected precision) is not exact here.
NO_MISSING_VALUES = (
    "BayesianGaussianMixture does not support missing values (NaN) in X: the "
    "variational E-step's digamma, log-determinant and quadratic terms of a "
    "row depend on which of its features are observed, so GaussianMixture's "
    "marginal E-step is not exact for it. Impute X first, or use "
    "GaussianMixture (which fits NaN exactly)."
)

PRIORS = (
    "weight_concentration_prior",
    "mean_precision_prior",
    "mean_prior",
    "degrees_of_freedom_prior",
    "covariance_prior",
)


class BayesianGaussianMixture(MixtureMixin):
    """Variational Bayesian Gaussian mixture on the native multithreaded core.

    Parameters, fitted attributes and methods are those of scikit-learn's
    ``sklearn.mixture.BayesianGaussianMixture``, and from the same state the
    two give the same model (to rounding): the variational E-step is the
    native fused Gaussian E-step with the expected precisions and, per
    component, E[log π_k] plus the digamma and log-determinant terms; its
    weighted sums feed the variational M-step and the lower bound, so no
    (n_samples, n_components) array is formed while fitting.

    Additions: ``sample_weight`` in ``fit``/``score`` (an integer weight is the
    same as repeating the row; the default priors are the weighted ones),
    ``n_threads`` (results are bit-identical for any value), Dask arrays in
    ``fit`` (an exact batch fit, the statistics summed over the chunks) and in
    the inference methods.

    Missing values (NaN) are refused with a ValueError (in fit, partial_fit
    and the inference methods): the digamma, log-determinant and quadratic
    terms of the variational E-step depend on which coordinates are
    observed, so GaussianMixture's marginal E-step does not carry over
    exactly.

    Parameters
    ----------
    n_components : int, default=1
        Upper bound on the number of components; the prior empties those
        the data do not support.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
    tol : float, default=1e-3
        Stops when the lower bound changes by less.
    reg_covar : float, default=1e-6
        Added to the diagonal of every component's scatter.
    max_iter : int, default=100
        Iterations of variational EM per initialisation.
    n_init : int, default=1
        Initialisations; the one with the largest lower bound is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
    weight_concentration_prior_type : {"dirichlet_process", "dirichlet_distribution"}, \
default="dirichlet_process"
    weight_concentration_prior : float, optional
        Default 1 / n_components.
    mean_precision_prior : float, optional
        Default 1.
    mean_prior : array-like of shape (n_features,), optional
        Default the (weighted) mean of X.
    degrees_of_freedom_prior : float, optional
        Default n_features; must be > n_features - 1.
    covariance_prior : float or array-like, optional
        Default the (weighted) covariance of X, in the covariance type's shape.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation and ``sample``.
    warm_start : bool, default=False
        Continue from the variational state the attributes hold.
    verbose : int, default=0
        1 prints each initialisation's result, 2 also every
        ``verbose_interval`` iterations.
    verbose_interval : int, default=10
        Iterations between progress lines.
    n_threads : int, optional
        Threads of the native core; None uses every usable core.
    learning_offset : float, default=10.0
        The t0 of ``partial_fit``'s step sizes ρ_t = (t0 + t)^(-κ) (ρ_1 = 1),
        as the streaming GaussianMixture's.
    learning_decay : float, default=0.7
        The κ of the step sizes, in (0.5, 1] (Robbins-Monro).
    total_samples : float, optional
        N, the size of the data set that ``partial_fit``'s stream samples
        (scikit-learn's LatentDirichletAllocation convention); None takes
        the total sample weight of the batches seen so far.
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "covariance_type": [StrOptions(set(COVARIANCE_TYPES))],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init_params": [StrOptions(set(INIT_PARAMS))],
        "weight_concentration_prior_type": [StrOptions(set(ref.PRIOR_TYPES))],
        "weight_concentration_prior": [
            None,
            Interval(Real, 0.0, None, closed="neither"),
        ],
        "mean_precision_prior": [None, Interval(Real, 0.0, None, closed="neither")],
        "mean_prior": [None, "array-like"],
        "degrees_of_freedom_prior": [None, Interval(Real, 0.0, None, closed="neither")],
        "covariance_prior": [
            None,
            "array-like",
            Interval(Real, 0.0, None, closed="neither"),
        ],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "verbose_interval": [Interval(Integral, 1, None, closed="left")],
        "n_threads": N_THREADS,
        "learning_offset": [Interval(Real, 0.0, None, closed="left")],
        "learning_decay": [Interval(Real, 0.5, 1.0, closed="right")],
        "total_samples": [None, Interval(Real, 0.0, None, closed="neither")],
    }

    missing_values = None  # NaN is an error (see the class docstring)

    def __init__(
        self,
        *,
        n_components=1,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weight_concentration_prior_type="dirichlet_process",
        weight_concentration_prior=None,
        mean_precision_prior=None,
        mean_prior=None,
        degrees_of_freedom_prior=None,
        covariance_prior=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
        n_threads=None,
        learning_offset=10.0,
        learning_decay=0.7,
        total_samples=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weight_concentration_prior_type = weight_concentration_prior_type
        self.weight_concentration_prior = weight_concentration_prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.n_threads = n_threads
        self.learning_offset = learning_offset
        self.learning_decay = learning_decay
        self.total_samples = total_samples

    # -- fitting --

    def fit(self, X, y=None, sample_weight=None):
        """Fit the variational posterior by coordinate ascent on the lower bound.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a dask.array.Array
            Training data; a Dask array is fitted exactly, chunk by chunk.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), optional
            Row weights; an integer weight is the same as repeating the row.

        Returns
        -------
        BayesianGaussianMixture
            The fitted estimator.
        """
        self._fit(X, sample_weight)
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """One step of stochastic variational inference on the mini-batch X.

        Hoffman, Blei, Wang and Paisley (2013): the global variational
        parameters are the prior plus N times the running average s̄ of the
        batches' expected sufficient statistics per unit of sample weight,
        s̄ ← (1 - ρ_t) s̄ + ρ_t s_X with ρ_t = (learning_offset + t)^(-learning_decay)
        (the streaming GaussianMixture's schedule); the posterior being
        conjugate, this is the natural-gradient step on them. N is
        ``total_samples`` (or the weight seen so far). The first call takes
        the priors from X (or from the fitted model with ``warm_start``) and
        initialises from X (``init_params``). ``lower_bounds_`` holds the
        mean log-density of each batch under the state before its step.
        ``fit`` starts over.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One mini-batch.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), optional
            Row weights.

        Returns
        -------
        BayesianGaussianMixture
            The estimator, one step further.
        """
        self._validate_params()
        svi = getattr(self, "_svi", None)
        if svi is not None and svi["key"] != (self.n_components, self.covariance_type):
            raise ValueError(
                "n_components and covariance_type are fixed after the first "
                "partial_fit; call fit to start over"
            )
        X = self._check_X(X, reset=svi is None and not self._continues())
        w = check_sample_weight(sample_weight, X.shape[0])
        n_threads = check_n_threads(self.n_threads)
        if svi is None:
            svi = self._svi_start(X, w)
        svi["average"].learning_offset = float(self.learning_offset)
        svi["average"].learning_decay = float(self.learning_decay)
        stats, top = native.statistics(
            X, w, svi["state"], self.covariance_type, self._prior_type, n_threads
        )
        if not stats.weight_sum > 0:
            raise ValueError("a batch must have a positive total sample_weight")
        bound = (stats.log_likelihood + top * stats.weight_sum) / stats.weight_sum
        running = svi["average"].update(stats)
        svi["seen"] += stats.weight_sum
        n = float(self.total_samples or svi["seen"])
        scaled = scale_statistics(running, n / running.weight_sum)
        svi["state"] = self._guard(
            native.m_step,
            scaled,
            svi["priors"],
            self.covariance_type,
            self._prior_type,
            self.reg_covar,
        )
        svi["bounds"].append(float(bound))
        self._set_state(svi["state"], svi["priors"])
        self.n_iter_ = svi["average"].n_steps
        self.converged_ = True  # a step is complete in itself
        self.lower_bound_ = svi["bounds"][-1]
        self.lower_bounds_ = list(svi["bounds"])
        return self

    def _check_X(self, X, *, reset, min_samples=1):
        """check_data, with NaN refused in this estimator's words (infinity
        keeps scikit-learn's error)."""
        X = check_data(X, self, reset=reset, min_samples=min_samples, allow_nan=True)
        if np.isnan(X).any():
            raise ValueError(NO_MISSING_VALUES)
        return X

    def _continues(self):
        return self.warm_start and hasattr(self, "precisions_cholesky_")

    def _svi_start(self, X, w):
        if self._continues():
            priors = {name: getattr(self, name + "_") for name in PRIORS}
            state = self._current_state()
        else:
            self._check_n_samples(X.shape[0])
            priors = self._priors(X, w)
            resp = self._initial_resp(X, w, check_random_state(self.random_state))
            stats = ref.statistics(X, resp, self.covariance_type, self.reg_covar, w)
            state = self._m_step(stats, priors)
        self._svi = {
            "key": (self.n_components, self.covariance_type),
            "average": StepwiseAverage(
                float(self.learning_offset), float(self.learning_decay)
            ),
            "priors": priors,
            "state": state,
            "seen": 0.0,
            "bounds": [],
        }
        return self._svi

    def _fit(self, X, sample_weight):
        self._validate_params()
        self._svi = None
        if is_dask_collection(X):
            return self._fit_dask(X, sample_weight)
        X = self._check_X(X, reset=True, min_samples=2)
        w = check_sample_weight(sample_weight, X.shape[0])
        self._check_n_samples(X.shape[0])
        priors = self._priors(X, w)
        rs = check_random_state(self.random_state)
        n_threads = check_n_threads(self.n_threads)
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        if do_init:
            # scikit-learn's init_params, in its order of random draws; the
            # loop over the starts (iterations, convergence, the best lower
            # bound) is the core's.
            starts = []
            for _ in range(self.n_init):
                resp = self._initial_resp(X, w, rs)
                stats = ref.statistics(X, resp, self.covariance_type, self.reg_covar, w)
                starts.append(self._m_step(stats, priors))
            warm_lb = -np.inf
        else:
            starts = [self._current_state()]
            warm_lb = np.asarray(self.lower_bound_, dtype=np.float64).item()
        progress = self._progress()
        state, trace = self._guard(
            native.fit,
            X,
            w,
            starts,
            priors,
            self.covariance_type,
            self._prior_type,
            tol=self.tol,
            reg_covar=self.reg_covar,
            max_iter=self.max_iter,
            warm_start=not do_init,
            warm_lower_bound=warm_lb,
            n_threads=n_threads,
            on_iteration=progress,
        )
        if progress is not None:
            progress.close()
        if trace["n_iter"] == 0:  # max_iter=0: the start, and its bound
            trace["lower_bound"] = warm_lb
        self._finish(state, priors, trace)
        return X

    def _progress(self):
        """The core's per-iteration callback printing scikit-learn's verbose
        lines (None when quiet, so the core never takes the GIL)."""
        if not self.verbose:
            return None
        last = {}

        def close():
            if last:
                converged = abs(last["change"]) < self.tol
                print(
                    f"Initialization converged: {converged}\t lower bound: "
                    f"{last['lb']:.5f}"
                )

        def on_iteration(restart, n_iter, lb, change):
            if n_iter == 1:
                close()
                print(f"Initialization {restart}", file=sys.stdout)
            last.update(lb=lb, change=change)
            if self.verbose >= 2 and n_iter % self.verbose_interval == 0:
                print(f"  Iteration {n_iter}\t change: {change:.5f}")

        on_iteration.close = close
        return on_iteration

    def _fit_dask(self, X, sample_weight):
        """An exact batch fit: every iteration sums the chunks' statistics."""
        data = dask_driver.ChunkedData(X, sample_weight, self.n_threads)
        Xd = data.X
        if Xd.shape[0] < 2:
            raise ValueError(
                f"Found array with {Xd.shape[0]} sample(s) while a minimum of 2 "
                "is required."
            )
        self._check_n_samples(Xd.shape[0])
        d = Xd.shape[1]
        # Two passes, the scatter about the mean: no cancellation far from 0.
        first = data.map_reduce(_sum_task, what="the mean of X")
        mean = first[1:] / first[0]
        scatter = data.map_reduce(_scatter_task, mean, what="the covariance of X")
        cov = scatter / (first[0] - 1.0)
        priors = ref.check_priors(
            np.zeros((1, d)),
            self.covariance_type,
            self.n_components,
            **self._prior_params(),
            moments=(mean, cov),
        )
        rs = check_random_state(self.random_state)
        t, p = self.covariance_type, self._prior_type

        def step(state):
            weights, _ = native.core_weights(state, d, t, p)
            chol = np.ascontiguousarray(native.core_chol(state, t, d))
            stats = data.map_reduce(
                gmm_chunk_task,
                t,
                weights,
                np.ascontiguousarray(state["means"], dtype=np.float64),
                chol,
                True,
                False,
                what="a variational E-step",
                with_offset=True,
            )
            return self._guard(
                native.step_from_statistics, stats, state, priors, t, p, self.reg_covar
            )

        def initial_state():
            # Initial responsibilities from a sample of rows held in memory:
            # the first E-step of the whole data follows at once.
            sample = np.asarray(Xd[: min(Xd.shape[0], 100_000)].compute())
            resp = self._initial_resp(sample, None, rs)
            stats = ref.statistics(sample, resp, t, self.reg_covar)
            return self._m_step(stats, priors)

        self.n_features_in_ = d
        self._run(step, initial_state, priors)
        return Xd

    @property
    def _prior_type(self):
        return self.weight_concentration_prior_type

    def _prior_params(self):
        return {name: getattr(self, name) for name in PRIORS}

    def _check_n_samples(self, n_samples):
        if n_samples < self.n_components:
            raise ValueError(
                "Expected n_samples >= n_components but got n_components = "
                f"{self.n_components}, n_samples = {n_samples}"
            )

    def _priors(self, X, w):
        return ref.check_priors(
            X,
            self.covariance_type,
            self.n_components,
            **self._prior_params(),
            sample_weight=w,
        )

    def _initial_resp(self, X, w, rs):
        n, k = X.shape[0], self.n_components
        resp = np.zeros((n, k))
        if self.init_params == "kmeans":
            from .kmeans import KMeans

            labels = (
                KMeans(
                    n_clusters=k, n_init=1, random_state=rs, n_threads=self.n_threads
                )
                .fit(X, sample_weight=w)
                .labels_
            )
            resp[np.arange(n), labels] = 1.0
        elif self.init_params == "random":
            resp = rs.uniform(size=(n, k))
            resp /= resp.sum(axis=1)[:, None]
        elif self.init_params == "random_from_data":
            indices = rs.choice(n, size=k, replace=False)
            resp[indices, np.arange(k)] = 1.0
        else:
            from sklearn.cluster import kmeans_plusplus

            _, indices = kmeans_plusplus(X, k, random_state=rs, sample_weight=w)
            resp[indices, np.arange(k)] = 1.0
        return resp

    @staticmethod
    def _guard(function, *args, **kwargs):
        """Calls into the core, a covariance that is not positive definite
        reported in scikit-learn's words."""
        try:
            return function(*args, **kwargs)
        except ValueError as exc:
            if str(exc).startswith("Fitting the mixture failed"):
                raise explain_ill_defined(exc) from None
            raise

    def _m_step(self, moments, priors):
        """The C++ M-step from (nk, xk, sk) of reference.variational.statistics."""
        return self._guard(
            native.m_step_from_moments,
            *moments,
            priors,
            self.covariance_type,
            self._prior_type,
        )

    def _run(self, step, initial_state, priors):
        """scikit-learn's BaseMixture.fit loop for the chunked (Dask) fit,
        whose E-step sums chunks in Python: step(state) is the core's
        (new state, lower bound) from the summed statistics."""
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        n_init = self.n_init if do_init else 1
        best = None
        for init in range(n_init):
            if self.verbose:
                print(f"Initialization {init}", file=sys.stdout)
            state = initial_state() if do_init else self._current_state()
            lb = -np.inf if do_init else self.lower_bound_
            bounds = []
            converged = False
            n_iter = 0
            while n_iter < self.max_iter:
                n_iter += 1
                previous = lb
                state, lb = step(state)
                bounds.append(lb)
                change = lb - previous
                if self.verbose >= 2 and n_iter % self.verbose_interval == 0:
                    print(f"  Iteration {n_iter}\t change: {change:.5f}")
                if abs(change) < self.tol:
                    converged = True
                    break
            if self.verbose:
                print(f"Initialization converged: {converged}\t lower bound: {lb:.5f}")
            if best is None or lb > best[0]:
                best = (lb, state, n_iter, bounds, converged)
        lb, state, n_iter, bounds, converged = best
        trace = {
            "converged": converged,
            "n_iter": n_iter,
            "lower_bound": lb,
            "lower_bounds": bounds,
        }
        self._finish(state, priors, trace)

    def _finish(self, state, priors, trace):
        self._set_state(state, priors)
        self.converged_ = bool(trace["converged"])
        self.n_iter_ = int(trace["n_iter"])
        self.lower_bound_ = float(trace["lower_bound"])
        self.lower_bounds_ = list(trace["lower_bounds"])
        self._warn_if_not_converged()

    def _from_model_file(self):
        """The attributes as fit leaves them, from a model file's arrays."""
        if self._prior_type == "dirichlet_process":
            self.weight_concentration_ = tuple(self.weight_concentration_)
        if self.covariance_type == "tied":
            self.degrees_of_freedom_ = float(self.degrees_of_freedom_)
        if self.covariance_type == "spherical":
            self.covariance_prior_ = float(self.covariance_prior_)
        self.precisions_ = precisions_from_cholesky(
            self.precisions_cholesky_, self.covariance_type
        )

    def _current_state(self):
        check_is_fitted(self, "precisions_cholesky_")
        return {name: getattr(self, name + "_") for name in STATE}

    def _set_state(self, state, priors):
        for name in PRIORS:
            setattr(self, name + "_", priors[name])
        for name in STATE:
            setattr(self, name + "_", state[name])
        self.weights_ = ref.weights(state["weight_concentration"], self._prior_type)
        self.precisions_ = precisions_from_cholesky(
            np.asarray(state["precisions_cholesky"], dtype=np.float64),
            self.covariance_type,
        )

    # -- inference (MixtureMixin) --

    def _validate_fitted(self, X):
        check_fitted(self, "precisions_cholesky_")
        return self._check_X(X, reset=False)

    def _e_step(self, X, want_resp, want_log_prob, log_resp=False):
        return native.infer(
            X,
            self._current_state(),
            self.covariance_type,
            self._prior_type,
            want_resp,
            want_log_prob,
            log_resp,
            check_n_threads(self.n_threads),
        )

    def _impute(self, X):
        raise ValueError(
            "BayesianGaussianMixture does not impute missing values (see its "
            "docstring); use GaussianMixture"
        )

    def _n_parameters(self):
        k, d = self.means_.shape
        cov = {
            "full": k * d * (d + 1) / 2.0,
            "diag": k * d,
            "tied": d * (d + 1) / 2.0,
            "spherical": k,
        }[self.covariance_type]
        return int(cov + k * d + k - 1)

    def sample(self, n_samples=1):
        """Draw samples from the fitted mixture.

        The posterior mean weights and covariances are used, as in
        scikit-learn.

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
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_)
        t = self.covariance_type
        parts, labels = [], []
        for j, (mean, count) in enumerate(zip(self.means_, counts)):
            if t == "full":
                cov = self.covariances_[j]
            elif t == "tied":
                cov = self.covariances_
            elif t == "diag":
                cov = np.diag(self.covariances_[j])
            else:
                cov = self.covariances_[j] * np.eye(mean.shape[0])
            parts.append(rng.multivariate_normal(mean, cov, int(count)))
            labels.append(np.full(count, j, dtype=int))
        return np.vstack(parts), np.concatenate(labels)


def _chunk(block, w):
    x = np.asarray(block, dtype=np.float64)
    wv = np.ones(x.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    return x, wv


def _sum_task(block, w, dtype, n_threads):
    """(Σ w, Σ w x) of a chunk as one vector."""
    x, wv = _chunk(block, w)
    return np.concatenate(([wv.sum()], wv @ x))


def _scatter_task(block, w, dtype, n_threads, mean):
    """Σ w (x - mean)(x - mean)ᵀ of a chunk."""
    x, wv = _chunk(block, w)
    diff = x - mean
    return (diff.T * wv) @ diff


io.register_kind(BayesianGaussianMixture)
