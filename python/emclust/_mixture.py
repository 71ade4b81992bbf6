"""What every mixture estimator shares: inference from the E-step, scores and
information criteria, model files and the convergence warning.

A subclass provides ``_e_step(X, want_resp, want_log_prob)`` returning
``(resp, log_prob)`` (either may be None when not asked for),
``_n_parameters()`` and ``_fitted_attribute`` (an attribute that exists once
fitted); one that accepts Dask arrays sets ``_dask_inference = True``: its
predict, predict_proba and score_samples then return lazy Dask arrays, and
score, bic and aic reduce over the chunks.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import _persist
from ._base import BaseEstimator
from ._dask import is_dask_collection
from ._validation import check_sample_weight
from .exceptions import ConvergenceWarning


class MixtureMixin(BaseEstimator):
    _dask_inference = False

    def _warn_if_not_converged(self):
        if not self.converged_ and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init "
                "parameters, or increase max_iter, tol, or check for degenerate data.",
                ConvergenceWarning,
                stacklevel=4,
            )

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then return the component of every sample (as ``fit(X).predict(X)``)."""
        X = self._fit(X, sample_weight)
        return self.predict(X)

    def save(self, path):
        """Write the fitted model to a JSON model file (see ``emclust.load``)."""
        return _persist.save(self, path)

    def _infer(self, X, what):
        if self._dask_inference and is_dask_collection(X):
            from ._dask import mixture_predict

            return mixture_predict(self, X, what)
        if what == "score_samples":
            return self._e_step(X, False, True)[1]
        resp, _ = self._e_step(X, True, False)
        return resp.argmax(axis=1) if what == "predict" else resp

    def predict(self, X):
        """Most probable component of each sample, shape (n_samples,)."""
        return self._infer(X, "predict")

    def predict_proba(self, X):
        """Responsibilities, shape (n_samples, n_components)."""
        return self._infer(X, "predict_proba")

    def score_samples(self, X):
        """log p(x_i) under the mixture, shape (n_samples,)."""
        return self._infer(X, "score_samples")

    def score(self, X, y=None, sample_weight=None):
        """(Weighted) mean log-likelihood per sample.

        On a Dask array: computed on the cluster by one map and one tree
        reduction; a float, equal to the in-memory value up to rounding."""
        if self._dask_inference and is_dask_collection(X):
            ll, n = self._total_log_likelihood(X, sample_weight)
            return ll / n
        log_prob = self.score_samples(X)
        w = check_sample_weight(sample_weight, log_prob.shape[0])
        return float(np.average(log_prob.astype(np.float64), weights=w))

    def _total_log_likelihood(self, X, sample_weight):
        if self._dask_inference and is_dask_collection(X):
            from ._dask import mixture_log_likelihood

            return mixture_log_likelihood(self, X, sample_weight)
        log_prob = self.score_samples(X).astype(np.float64)
        w = check_sample_weight(sample_weight, log_prob.shape[0])
        if w is None:
            return float(log_prob.sum()), float(log_prob.shape[0])
        return float(w @ log_prob), float(w.sum())

    def bic(self, X, sample_weight=None):
        """Bayesian information criterion: -2 log L + p log n (lower is better).

        With ``sample_weight``, log L is the weighted log-likelihood and n the
        sum of the weights, so integer weights give the BIC of the repeated rows.
        X may be a Dask array (then sample_weight may be one too).
        """
        ll, n = self._total_log_likelihood(X, sample_weight)
        return -2.0 * ll + self._n_parameters() * np.log(n)

    def aic(self, X, sample_weight=None):
        """Akaike information criterion: -2 log L + 2 p (lower is better)."""
        ll, _ = self._total_log_likelihood(X, sample_weight)
        return -2.0 * ll + 2.0 * self._n_parameters()
