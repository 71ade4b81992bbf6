"""What every mixture estimator shares: inference from the E-step, scores and
information criteria, model files and the convergence warning.

A subclass provides ``_validate_fitted(X)`` (scikit-learn's fitted-state and
input checks for inference), ``_e_step(X, want_resp, want_log_prob)`` on
validated X returning ``(resp, log_prob)`` (either may be None when not asked
for), and ``_n_parameters()``. On a Dask array, predict, predict_proba and
score_samples return lazy Dask arrays, and score, bic and aic reduce over the
chunks.
"""

from __future__ import annotations

import copy
import math
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from .._validation import check_sample_weight
from ..drivers import dask as dask_driver
from ..drivers.dask import is_dask_collection
from ..drivers.streaming import is_block_source
from ._shared import CachedParamValidation, ModelFileMixin, check_dask_n_features

_ILL_DEFINED = (
    "Fitting the mixture model failed because some components have ill-defined "
    "empirical covariance (for instance caused by singleton or collapsed "
    "samples). Try to decrease the number of components, increase reg_covar, "
    "or scale the input data."
)


def explain_ill_defined(exc):
    """The core's "covariance not positive definite" error in scikit-learn's
    words, followed by the core's (which names the component)."""
    return ValueError(f"{_ILL_DEFINED} ({exc})")


def check_n_samples(n_samples):
    """n_samples of ``sample``: an int >= 1, with scikit-learn's message."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral):
        raise TypeError(f"n_samples must be an int, got {type(n_samples).__name__}")
    if n_samples < 1:
        raise ValueError(
            f"Invalid value for 'n_samples': {n_samples}. The sampling requires at "
            "least one sample."
        )
    return int(n_samples)


class MixtureMixin(ModelFileMixin, CachedParamValidation, DensityMixin, BaseEstimator):
    # -- missing values: NaN entries when missing_values is np.nan --

    def _allow_nan(self):
        """Whether NaN marks a missing entry (missing_values=np.nan) or is an
        error (missing_values=None)."""
        mv = self.missing_values
        if mv is None:
            return False
        # isinstance of float first: np.nan answers without the ABC check.
        if (isinstance(mv, float) or isinstance(mv, numbers.Real)) and math.isnan(mv):
            return True
        raise ValueError(
            "missing_values must be np.nan (NaN marks a missing entry) or None "
            f"(NaN is an error), got {mv!r}"
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        mv = getattr(self, "missing_values", None)
        tags.input_tags.allow_nan = isinstance(mv, numbers.Real) and bool(np.isnan(mv))
        return tags

    def impute(self, X):
        """Return X with every missing (NaN) entry filled by its conditional mean.

        Under the fitted mixture a missing entry x_m becomes
        Σ_k γ_k E[x_m | x_o, k], where γ are the responsibilities given the
        row's observed entries x_o.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN marks a missing entry; a row must have one observed entry.
            A ``dask.array.Array`` is imputed lazily, chunk by chunk.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            A new array; the observed entries are X's, unchanged. A lazy Dask
            array with X's row chunks when X is one.
        """
        if is_dask_collection(X):
            return self._infer_dask(X, "impute")
        return self._impute(self._validate_fitted(X))

    def _warn_if_not_converged(self):
        if not self.converged_ and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init "
                "parameters, or increase max_iter, tol, or check for degenerate data.",
                ConvergenceWarning,
                stacklevel=4,
            )

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then return the component of every sample.

        The same as ``fit(X, sample_weight=sample_weight).predict(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data, one row per sample (a Dask array gives a lazy result).
        y : None
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights, as in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples,)
            The most probable component of every sample.
        """
        if is_block_source(X):
            raise TypeError(
                "fit_predict needs X as one array; fit the blocks, then predict "
                "each block"
            )
        X = self._fit(X, sample_weight)
        if is_dask_collection(X):
            return self.predict(X)
        return self._infer(X, "predict", validated=True)

    def _infer(self, X, what, validated=False):
        if is_dask_collection(X):
            return self._infer_dask(X, what)
        if not validated:
            X = self._validate_fitted(X)
        if what == "score_samples":
            return self._e_step(X, False, True)[1]
        resp, _ = self._e_step(X, True, False)
        return resp.argmax(axis=1) if what == "predict" else resp

    def _infer_dask(self, X, what):
        """predict / predict_proba / score_samples / impute on a Dask array, as a lazy
        Dask array with X's row chunks."""
        check_is_fitted(self)
        X = dask_driver.rechunk_rows(X)
        check_dask_n_features(self, X)
        if what == "predict":
            return dask_driver.map_rows(X, _infer_block, self, what, dtype=np.int64)
        dtype = dask_driver.float_dtype(X)
        n_columns = {"predict_proba": self.weights_.shape[0], "impute": X.shape[1]}
        n_columns = n_columns.get(what)
        return dask_driver.map_rows(
            X, _infer_block, self, what, n_columns=n_columns, dtype=dtype
        )

    def _total_log_likelihood_dask(self, X, sample_weight):
        """(Σ w log p(x), Σ w) over a Dask array: one map and one tree reduction."""
        check_is_fitted(self)
        data = dask_driver.ChunkedData(X, sample_weight, self.n_threads)
        check_dask_n_features(self, data.X)
        total = data.map_reduce(
            _log_likelihood_task, self, what="the log-likelihood of X"
        )
        return float(total[0]), float(total[1])

    def predict(self, X):
        """Return the most probable component of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data, one row per sample (a Dask array gives a lazy result).

        Returns
        -------
        ndarray of shape (n_samples,)
            The component of largest responsibility.
        """
        return self._infer(X, "predict")

    def predict_proba(self, X):
        """Return the responsibilities: each component's posterior probability.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data, one row per sample (a Dask array gives a lazy result).

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            Rows sum to 1.
        """
        return self._infer(X, "predict_proba")

    def score_samples(self, X):
        """Return the log-density log p(x_i) of each sample under the mixture.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data, one row per sample (a Dask array gives a lazy result).

        Returns
        -------
        ndarray of shape (n_samples,)
            The log-densities (marginalised over missing entries).
        """
        return self._infer(X, "score_samples")

    def score(self, X, y=None, sample_weight=None):
        """Return the (weighted) mean log-likelihood per sample.

        On a Dask array it is computed on the cluster by one map and one tree
        reduction, and equals the in-memory value up to rounding.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data, one row per sample; may be a Dask array.
        y : None
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights; None gives every row weight 1.

        Returns
        -------
        float
            The mean log-likelihood.
        """
        if is_dask_collection(X):
            ll, n = self._total_log_likelihood(X, sample_weight)
            return ll / n
        log_prob = self.score_samples(X)
        w = check_sample_weight(sample_weight, log_prob.shape[0])
        return float(np.average(log_prob.astype(np.float64), weights=w))

    def _total_log_likelihood(self, X, sample_weight):
        if is_dask_collection(X):
            return self._total_log_likelihood_dask(X, sample_weight)
        log_prob = self.score_samples(X).astype(np.float64)
        w = check_sample_weight(sample_weight, log_prob.shape[0])
        if w is None:
            return float(log_prob.sum()), float(log_prob.shape[0])
        return float(w @ log_prob), float(w.sum())

    def bic(self, X, sample_weight=None):
        """Return the Bayesian information criterion, -2 log L + p log n.

        Lower is better. With ``sample_weight``, log L is the weighted
        log-likelihood and n the sum of the weights, so integer weights give
        the BIC of the repeated rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data, one row per sample; may be a Dask array.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights (a Dask array when X is one).

        Returns
        -------
        float
            The BIC.
        """
        ll, n = self._total_log_likelihood(X, sample_weight)
        return -2.0 * ll + self._n_parameters() * np.log(n)

    def aic(self, X, sample_weight=None):
        """Return the Akaike information criterion, -2 log L + 2 p.

        Lower is better.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data, one row per sample; may be a Dask array.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights (a Dask array when X is one).

        Returns
        -------
        float
            The AIC.
        """
        ll, _ = self._total_log_likelihood(X, sample_weight)
        return -2.0 * ll + 2.0 * self._n_parameters()

    def icl(self, X, sample_weight=None):
        """Return the integrated completed likelihood criterion.

        ICL = BIC - 2 sum_i log max_k tau_ik (Biernacki, Celeux and Govaert,
        2000): the BIC penalised by the entropy of the hard classification,
        so that overlapping components, which BIC accepts for a better fit
        of the density, count against a clustering. Lower is better
        (scikit-learn's sign; mclust reports the negative).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data, one row per sample.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights, for the BIC and the entropy term alike.

        Returns
        -------
        float
            The ICL.
        """
        return self._criteria(X, sample_weight)[2]

    def _criteria(self, X, sample_weight=None):
        """(Σ w log p(x), BIC, ICL) of in-memory X from one E-step: the
        log-densities and the responsibilities come from the same pass."""
        X = self._validate_fitted(X)
        resp, log_prob = self._e_step(X, True, True)
        log_prob = log_prob.astype(np.float64)
        log_map = np.log(np.asarray(resp, dtype=np.float64).max(axis=1))
        w = check_sample_weight(sample_weight, X.shape[0])
        if w is None:
            ll, n, hard = float(log_prob.sum()), float(X.shape[0]), float(log_map.sum())
        else:
            ll, n, hard = float(w @ log_prob), float(w.sum()), float(w @ log_map)
        bic = -2.0 * ll + self._n_parameters() * np.log(n)
        return ll, bic, bic - 2.0 * hard


def _infer_block(block, est, what):
    x = np.ascontiguousarray(block)
    if what == "predict":
        return est.predict(x)
    if what == "predict_proba":
        return est.predict_proba(x)
    if what == "impute":
        return est.impute(x)
    return est.score_samples(x)


def _log_likelihood_task(block, w, dtype, n_threads, est):
    """(Σ w log p(x), Σ w) of a chunk under a fitted mixture."""
    est = copy.copy(est)  # the threaded scheduler shares the driver's object
    est.n_threads = n_threads
    log_prob = est.score_samples(np.ascontiguousarray(block)).astype(np.float64)
    if w is None:
        return np.array([log_prob.sum(), log_prob.shape[0]], dtype=np.float64)
    w = np.ascontiguousarray(w, dtype=np.float64)
    return np.array([w @ log_prob, w.sum()])
