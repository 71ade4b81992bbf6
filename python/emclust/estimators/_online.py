"""partial_fit and mini-batch fit of a mixture by stepwise (online) EM.

A mixture estimator gains ``partial_fit`` and ``_fit_online`` (what ``fit``
runs when its ``batch_size`` is set) by listing ``OnlineMixtureMixin``
before its base and providing three hooks:

- ``_online_model()``: the driver's model (``GaussianModel`` with the
  estimator's covariance_type and reg_covar, ``BernoulliModel`` with alpha);
- ``_online_check(X)``: X validated as ``fit`` validates it (a C-contiguous
  float array; binary for a mixture of Bernoullis);
- ``_online_initial(X, sample_weight)``: parameters of the first batch's
  initialisation (``init_params`` or the given ``*_init``), as the driver's
  params; and ``_online_set(params, n_features)`` storing them as fitted
  attributes.

and the constructor parameters ``learning_offset``, ``learning_decay`` and
``batch_size``. The statistics, the stepwise average and the M-step are the
streaming driver's (``drivers/streaming.py``).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from ..drivers.streaming import (
    OnlineEM,
    RowBlocks,
    check_schedule,
    iter_batches,
    online_epochs,
)


class OnlineMixtureMixin:
    """Stepwise EM for a mixture estimator (see the module's docstring)."""

    def _online_state(self, X, sample_weight):
        t0, kappa = check_schedule(self.learning_offset, self.learning_decay)
        online = getattr(self, "_online", None)
        if online is not None:
            if X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} features, but {type(self).__name__} was "
                    f"partially fitted with {self.n_features_in_}"
                )
            if self._online_key() != online.key:
                raise ValueError(
                    "n_components and the model's type (covariance_type) are fixed "
                    "after the first partial_fit; refit from scratch to change them"
                )
            online.em.learning_offset = online.em.average.learning_offset = t0
            online.em.learning_decay = online.em.average.learning_decay = kappa
            return online
        params = self._online_initial(X, sample_weight)
        em = OnlineEM(
            self._online_model(),
            params,
            learning_offset=t0,
            learning_decay=kappa,
            n_threads=self.n_threads,
        )
        self._online = _OnlineState(em, self._online_key())
        return self._online

    def _online_key(self):
        return (self.n_components, getattr(self, "covariance_type", None))

    def _online_weights(self, sample_weight, n):
        if sample_weight is None:
            return None
        w = np.ascontiguousarray(sample_weight, dtype=np.float64)
        if w.shape != (n,):
            raise ValueError(
                f"sample_weight must have shape ({n},) to match X, got {w.shape}"
            )
        return w

    def _online_publish(self, em, n_features):
        self._online_set(em.params, n_features)
        self.lower_bound_ = em.lower_bounds[-1]
        self.lower_bounds_ = list(em.lower_bounds)
        self.n_iter_ = em.n_steps
        # Online EM has no convergence test of its own: every step is complete.
        self.converged_ = True
        self.n_features_in_ = n_features

    def partial_fit(self, X, y=None, sample_weight=None):
        """One step of online EM on the mini-batch X.

        The first call initialises the model from X (``init_params``, or the
        given ``*_init`` parameters); n_components and the covariance type
        are fixed from then on. Every call takes the E-step statistics of X
        under the current parameters, folds them into the running average
        s ← (1 − η_t) s + η_t s_X, η_t = (learning_offset + t)^(−learning_decay),
        and sets the parameters to the M-step of s. ``lower_bounds_`` holds
        the mean log-likelihood of every batch before its step (a held-out
        score of the stream).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        X = self._online_check(X)
        w = self._online_weights(sample_weight, X.shape[0])
        state = self._online_state(X, w)
        state.em.partial_fit(X, w)
        self._online_publish(state.em, X.shape[1])
        return self

    def _fit_online(self, X, sample_weight=None, callback=None):
        """``fit`` with ``batch_size`` set: epochs of online EM, from scratch.

        X may be an array, a memmap or a re-iterable of arrays; each epoch
        walks its rows in order in batches of ``batch_size`` (as scikit-learn's
        online LatentDirichletAllocation does). It stops after ``max_iter``
        epochs, or when the mean of an epoch's batch bounds changes by less
        than ``tol``. ``callback(epoch, n_batches, lower_bound)`` is called
        after every batch.
        """
        batch_size = check_int(self.batch_size, "batch_size", minimum=1)
        if hasattr(self, "_online"):
            del self._online
        blocks = RowBlocks(X, sample_weight=sample_weight)
        first = next(iter(iter_batches(blocks, batch_size)))
        X0 = self._online_check(first[0])
        state = self._online_state(X0, first[1])
        previous = None
        self.epoch_lower_bounds_ = []
        for epoch in range(1, self.max_iter + 1):
            start = len(state.em.lower_bounds)
            online_epochs(
                _Checked(self),
                blocks,
                batch_size=batch_size,
                epochs=1,
                callback=None
                if callback is None
                else (lambda e, i, b, epoch=epoch: callback(epoch, i, b)),
            )
            mean = float(np.mean(state.em.lower_bounds[start:]))
            self.epoch_lower_bounds_.append(mean)
            if previous is not None and abs(mean - previous) < self.tol:
                break
            previous = mean
        self._online_publish(state.em, X0.shape[1])
        self.n_iter_ = epoch
        return self


class _OnlineState:
    def __init__(self, em, key):
        self.em = em
        self.key = key


class _Checked:
    """OnlineEM.partial_fit behind the estimator's input check."""

    def __init__(self, est):
        self.est = est

    def partial_fit(self, X, w):
        return self.est._online.em.partial_fit(self.est._online_check(X), w)
