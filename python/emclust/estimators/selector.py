"""GaussianMixtureSelector: the number of components and the covariance model
chosen by BIC or ICL over a grid of fits, as mclust's ``Mclust`` does.

Every cell (G, model) of the grid is one GaussianMixture fit. With the
default hierarchical start, one tree is built and cut at every G (mclust's
``hcPairs``), so the grid costs one tree plus the EM runs. The runs are
independent: they are spread over the threads, each run single-threaded, so
the results do not depend on ``n_threads``. A fit that fails (a covariance of
the start or of EM that is singular) or whose result the singular rule of
``emclust.models.singular`` flags gets status "singular" and NaN criteria, and
is never selected.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import io
from .._validation import (
    check_data,
    check_n_threads,
    check_sample_weight,
    seed_from_random_state,
)
from ..exceptions import SingularCovarianceWarning
from ..models.covariance_models import MODELS, canonical_model
from ..models.hierarchical import hierarchical_tree
from ..models.prior import PRIOR_MODELS
from ._noise import noise_start_mask
from ._shared import N_THREADS, RANDOM_STATE, CachedParamValidation, ModelFileMixin
from .gaussian_mixture import GaussianMixture

#: The columns of ``results_``, in order.
RESULT_KEYS = io.RESULT_KEYS


class GaussianMixtureSelector(
    ModelFileMixin, CachedParamValidation, ClusterMixin, BaseEstimator
):
    """Gaussian mixture whose size and covariance model are chosen by BIC or ICL.

    Fits a GaussianMixture for every number of components in
    ``n_components`` and every model in ``covariance_types`` (mclust's grid
    of G = 1..9 and its 14 models by default), from mclust's hierarchical
    start, and keeps the fit of lowest criterion. Fits that go singular are
    reported with status "singular" and NaN criteria and are never chosen.

    Parameters
    ----------
    n_components : int or iterable of int, optional
        The numbers of components to try; None tries 1 to 9 (mclust's G).
    covariance_types : "all" or list of str, default="all"
        "all" is mclust's 14 models (with one feature, "E" and "V"; with a
        prior, the 10 that have one); a list may
        mix mclust's names and scikit-learn's four ("spherical" = VII, "diag" =
        VVI, "tied" = EEE, "full" = VVV). A name that repeats a model already
        listed is dropped.
    criterion : {"bic", "icl"}, default="bic"
        What the choice minimises (scikit-learn's sign: lower is better).
    init_params : str, default="hc"
        GaussianMixture's ``init_params``; "hc" (mclust's start) builds one
        tree for every fit.
    prior : None, "conjugate" or ConjugatePrior, default=None
        GaussianMixture's ``prior``: MAP EM, with the criteria taken at the
        log-likelihood of the MAP estimate, as mclust's.
    tol : float, default=1e-5
        EM tolerance, by mclust's rule: a fit stops when the total
        log-likelihood L (the log posterior with a prior) changes by
        ``abs(L - L_old) <= tol * (1 + abs(L))``, as mclust's ``me`` does (its ``tol[1]``).
    max_iter : int, default=1000
        EM iterations of every fit.
    reg_covar : float, default=0.0
        Added to the diagonal of every covariance. The default adds nothing,
        so that well-posed fits are not moved, and the singular rule decides
        about the others (as mclust does).
    n_init : int, default=1
        Restarts of every fit (with ``init_params="hc"`` a single run).
    random_state : int, RandomState, Generator or None
        Seeds the tree's subset and any random start; one seed serves every
        fit.
    n_threads : int, optional
        Fits run at once (each on one thread); None uses every usable core.
    hc_max_samples : int, default=2000
        The most rows the hierarchical tree is built from.
    noise : bool, default=False
        Every fit has a uniform noise component (GaussianMixture's ``noise``).
    noise_volume : float, optional
        The noise's volume V (GaussianMixture's ``noise_volume``).
    noise_init : array-like of bool of shape (n_samples,), optional
        The rows the noise starts with in every fit (mclust's
        ``initialization = list(noise = ...)``); None takes the
        nearest-neighbour clutter rule of Byers and Raftery (1998), once for
        the grid. The hierarchical tree is built once, of the other rows.

    Attributes
    ----------
    results_ : dict of ndarray
        One entry per fit, in grid order (G major, then model): keys
        n_components, covariance_type, bic, icl, log_likelihood (the total
        weighted log-likelihood), n_parameters, n_iter, converged and status
        ("ok" or "singular"). ``pandas.DataFrame(results_)`` is its table.
    best_params_ : dict
        {"n_components": G, "covariance_type": name} of the chosen fit.
    best_score_ : float
        Its criterion (lower is better).
    best_estimator_ : GaussianMixture
        The chosen fit.
    best_index_ : int
        Its row in ``results_``.
    labels_ : ndarray of shape (n_samples,)
        The chosen fit's labels of the training rows (-1 for noise).
    n_iter_ : int
        EM iterations of the chosen fit.
    n_features_in_ : int
        Number of features seen in fit.
    """

    def __init__(
        self,
        n_components=None,
        *,
        covariance_types="all",
        criterion="bic",
        init_params="hc",
        prior=None,
        tol=1e-5,
        max_iter=1000,
        reg_covar=0.0,
        n_init=1,
        random_state=None,
        n_threads=None,
        hc_max_samples=2000,
        noise=False,
        noise_volume=None,
        noise_init=None,
    ):
        self.n_components = n_components
        self.covariance_types = covariance_types
        self.criterion = criterion
        self.init_params = init_params
        self.prior = prior
        self.tol = tol
        self.max_iter = max_iter
        self.reg_covar = reg_covar
        self.n_init = n_init
        self.random_state = random_state
        self.n_threads = n_threads
        self.hc_max_samples = hc_max_samples
        self.noise = noise
        self.noise_volume = noise_volume
        self.noise_init = noise_init

    _parameter_constraints: ClassVar[dict] = {
        "n_components": [
            Interval(Integral, 1, None, closed="left"),
            "array-like",
            range,
            None,
        ],
        "covariance_types": [StrOptions({"all"}), list, tuple],
        "criterion": [StrOptions({"bic", "icl"})],
        "init_params": [str],
        "prior": [None, str, object],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "random_state": RANDOM_STATE,
        "n_threads": N_THREADS,
        "hc_max_samples": [Interval(Integral, 1, None, closed="left")],
        "noise": ["boolean"],
        "noise_volume": [Real, None],
        "noise_init": ["array-like", None],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags

    # -- the grid --

    def _grid(self, n_samples, n_features):
        """[(G, model name)] in grid order, validated."""
        sizes = range(1, 10) if self.n_components is None else self.n_components
        if isinstance(sizes, Integral):
            sizes = [sizes]
        sizes = list(sizes)
        if not sizes:
            raise ValueError("n_components must name at least one size")
        for g in sizes:
            if isinstance(g, bool) or not isinstance(g, Integral) or g < 1:
                raise ValueError(f"n_components must hold positive integers, got {g!r}")
            if g > n_samples:
                raise ValueError(
                    f"n_components={g} exceeds the {n_samples} samples of X"
                )
        if isinstance(self.covariance_types, str):
            names = ["E", "V"] if n_features == 1 else list(MODELS)
            if self.prior is not None and n_features > 1:
                # mclust's prior covers 10 of the 14 models
                names = [m for m in names if m in PRIOR_MODELS]
        else:
            names = list(self.covariance_types)
            if not names:
                raise ValueError("covariance_types must name at least one model")
        models, seen = [], set()
        for name in names:
            try:
                model = canonical_model(name, n_features)
            except ValueError as exc:
                raise ValueError(f"covariance_types: {exc}") from None
            if self.prior is not None and n_features > 1 and model not in PRIOR_MODELS:
                raise ValueError(
                    f"covariance_types: {name!r} has no conjugate prior; with prior= "
                    f"use the models {', '.join(PRIOR_MODELS)}"
                )
            if model not in seen:
                seen.add(model)
                models.append(name)
        return [(int(g), m) for g in dict.fromkeys(sizes) for m in models]

    def _estimator(self, n_components, covariance_type, seed, noise_init=None):
        params = dict(
            n_components=n_components,
            covariance_type=covariance_type,
            tol=self.tol,
            reg_covar=self.reg_covar,
            max_iter=self.max_iter,
            n_init=self.n_init,
            init_params=self.init_params,
            random_state=seed,
            n_threads=1,
            hc_max_samples=self.hc_max_samples,
            noise=self.noise,
            noise_volume=self.noise_volume,
            noise_init=noise_init,
            # hc needs complete rows, and the criteria the observed ones
            missing_values=None,
        )
        if self.prior is not None:
            params["prior"] = self.prior
        gm = GaussianMixture(**params)
        gm._relative_tol = True  # mclust's stopping rule, as mclust's me()
        return gm

    def _run(self, X, w, cell, seed, tree, noise_mask):
        """(row of results_, fitted estimator or None, why it failed or None)
        of one cell."""
        G, name = cell
        gm = self._estimator(G, name, seed, noise_mask)
        row = dict(
            n_components=G,
            covariance_type=name,
            bic=np.nan,
            icl=np.nan,
            log_likelihood=np.nan,
            n_parameters=np.nan,
            n_iter=0,
            converged=False,
            status="singular",
        )
        try:
            gm._fit(X, w, None, tree)
        except ValueError as exc:
            # A start or an EM iteration with a singular covariance (the
            # core refuses it): mclust reports such a cell as NA too.
            return row, None, str(exc)
        p = gm._n_parameters()
        row.update(
            n_parameters=p, n_iter=int(gm.n_iter_), converged=bool(gm.converged_)
        )
        if gm.status_ != "ok":
            return row, None, f"status_={gm.status_!r}"
        log_lik, bic, icl = gm._criteria(X, w)
        row.update(status="ok", log_likelihood=log_lik, bic=bic, icl=icl)
        return row, gm, None

    def fit(self, X, y=None, sample_weight=None):
        """Fit every cell of the grid and keep the best by the criterion.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Complete rows (float32 is fitted in float32).
        y : ignored
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights; an integer weight counts the row that many
            times.

        Returns
        -------
        self
            The fitted selector.
        """
        self._validate_params()
        X = check_data(X, self, reset=True)
        if X.shape[0] < 2:
            raise ValueError(
                f"n_samples={X.shape[0]}: selecting a mixture needs at least 2 samples"
            )
        w = check_sample_weight(sample_weight, X.shape[0])
        cells = self._grid(X.shape[0], X.shape[1])
        seed = seed_from_random_state(self.random_state) % 2**32
        noise_mask = None
        if self.noise:
            noise_mask = noise_start_mask(X, self.noise_init, 1)
        elif self.noise_init is not None:
            raise ValueError("noise_init is the noise's start: it needs noise=True")
        tree = None
        if self.init_params == "hc":
            # With the noise, mclust's tree is of the rows outside its start.
            rows = X if noise_mask is None else np.ascontiguousarray(X[~noise_mask])
            tree = hierarchical_tree(rows, self.hc_max_samples, seed, self.n_threads)
        n_workers = check_n_threads(self.n_threads) or _core_threads()
        with warnings.catch_warnings():
            # Every cell's warnings are summarised below, by cell.
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", SingularCovarianceWarning)
            with ThreadPoolExecutor(max_workers=min(n_workers, len(cells))) as pool:
                # The likely longest cells start first, so that the threads
                # finish together; each cell's result is independent of when
                # it runs, and they are kept in grid order.
                order = sorted(range(len(cells)), key=lambda i: -_cost(cells[i]))
                futures = {
                    i: pool.submit(self._run, X, w, cells[i], seed, tree, noise_mask)
                    for i in order
                }
                runs = [futures[i].result() for i in range(len(cells))]
        rows = [row for row, _, _ in runs]
        self.results_ = {
            key: np.array(
                [row[key] for row in rows],
                dtype=object if key in ("covariance_type", "status") else None,
            )
            for key in RESULT_KEYS
        }
        scores = np.asarray(self.results_[self.criterion], dtype=np.float64)
        if not np.isfinite(scores).any():
            # The first cell's reason tells a scale problem (overflow) from
            # collapsed components.
            (G, name), why = next(
                ((c, r[2]) for c, r in zip(cells, runs) if r[2]),
                (cells[0], "no finite criterion"),
            )
            raise ValueError(
                "every fit of the grid is singular; try fewer components, "
                "simpler covariance models, or reg_covar > 0 (the first, "
                f"G={G} {name}: {why})"
            )
        # The first of equal minima, in grid order (smaller G first).
        best = int(np.nanargmin(scores))
        self.best_index_ = best
        self.best_estimator_ = runs[best][1]
        self._from_model_file()
        self.labels_ = self.best_estimator_.predict(X)
        not_converged = [
            f"(G={r['n_components']}, {r['covariance_type']})"
            for r in rows
            if r["status"] == "ok" and not r["converged"]
        ]
        if not_converged:
            warnings.warn(
                f"{len(not_converged)} fit(s) did not converge in max_iter="
                f"{self.max_iter} iterations: {', '.join(not_converged)}",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def _from_model_file(self):
        """The attributes that follow from results_, best_index_ and
        best_estimator_ (after fit, and after io.load)."""
        best = self.best_index_
        self.best_params_ = {
            "n_components": int(self.results_["n_components"][best]),
            "covariance_type": str(self.results_["covariance_type"][best]),
        }
        self.best_score_ = float(self.results_[self.criterion][best])
        self.n_iter_ = int(self.best_estimator_.n_iter_)

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit the grid and return the chosen fit's labels of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Complete rows.
        y : ignored
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights.

        Returns
        -------
        ndarray of shape (n_samples,)
            Component labels (-1 for noise).
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    # -- the chosen fit's inference --

    def _best(self):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_

    def predict(self, X):
        """Return the labels of X under the chosen fit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New rows.

        Returns
        -------
        ndarray of shape (n_samples,)
            Component labels (-1 for noise).
        """
        return self._best().predict(X)

    def predict_proba(self, X):
        """Return the responsibilities of the chosen fit's components for X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New rows.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            Posterior probabilities (a last column for the noise, if any).
        """
        return self._best().predict_proba(X)

    def score_samples(self, X):
        """Return the log-density of every row of X under the chosen fit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New rows.

        Returns
        -------
        ndarray of shape (n_samples,)
            The log-density log p(x).
        """
        return self._best().score_samples(X)

    def score(self, X, y=None, sample_weight=None):
        """Return the mean log-likelihood per sample of X under the chosen fit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New rows.
        y : ignored
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), optional
            Row weights of the mean.

        Returns
        -------
        float
            The (weighted) mean log-likelihood.
        """
        return self._best().score(X, sample_weight=sample_weight)

    def sample(self, n_samples=1):
        """Draw random rows from the chosen fit.

        Parameters
        ----------
        n_samples : int, default=1
            Rows to draw.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The rows.
        labels : ndarray of shape (n_samples,)
            Their components.
        """
        return self._best().sample(n_samples)

    def table(self, criterion=None):
        """Return the criterion as mclust prints it: G rows by model columns.

        Parameters
        ----------
        criterion : {"bic", "icl"}, optional
            Defaults to the selector's ``criterion``.

        Returns
        -------
        sizes : ndarray of shape (n_sizes,)
            The numbers of components (rows).
        models : list of str
            The covariance models (columns).
        values : ndarray of shape (n_sizes, n_models)
            The criterion (lower is better; NaN where singular).
        """
        check_is_fitted(self, "results_")
        criterion = self.criterion if criterion is None else criterion
        if criterion not in ("bic", "icl"):
            raise ValueError(f"criterion must be 'bic' or 'icl', got {criterion!r}")
        r = self.results_
        sizes = np.array(list(dict.fromkeys(r["n_components"].tolist())))
        models = list(dict.fromkeys(r["covariance_type"].tolist()))
        values = np.full((sizes.size, len(models)), np.nan)
        row = {g: i for i, g in enumerate(sizes.tolist())}
        col = {m: j for j, m in enumerate(models)}
        for g, m, v in zip(r["n_components"], r["covariance_type"], r[criterion]):
            values[row[int(g)], col[m]] = v
        return sizes, models, values


#: Rough cost of one EM iteration of a model relative to EII's, for the
#: order the cells start in: the iterative M-steps (Flury's common
#: orientation, Browne and McNicholas' MM for EVE and VVE) cost more per
#: component than the closed forms.
_MODEL_COST = {"VEE": 2.0, "VEV": 2.0, "EVE": 6.0, "VVE": 12.0}


def _cost(cell):
    """The expected run time of a cell (G, model), up to a factor: EM on G
    components, and the models' M-steps and iteration counts differ."""
    G, name = cell
    return G * _MODEL_COST.get(str(name).upper(), 1.0)


def _core_threads():
    """The usable cores (the core's count for n_threads=None)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


__all__ = ["GaussianMixtureSelector"]

io.register_kind(GaussianMixtureSelector)
