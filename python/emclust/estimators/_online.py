"""partial_fit, mini-batch fit and fit over row blocks for the mixture estimators.

GaussianMixture and BernoulliMixture list ``OnlineMixtureMixin`` before
their base and provide four hooks:

- ``_online_model()``: the streaming driver's model (``GaussianModel`` with
  the estimator's covariance_type and reg_covar, ``BernoulliModel`` with
  alpha);
- ``_online_validate(X, reset)``: X validated as ``fit`` validates it
  (scikit-learn's ``n_features_in_`` and feature-name checks included), as
  a C-contiguous float array (NaN entries only where the estimator takes
  missing values: GaussianMixture's streaming statistics are the marginal
  E-step's, so online EM stays exact on the observed entries);
- ``_online_initial(X, sample_weight)``: the initial parameters drawn from
  X (``init_params`` or the given ``*_init``), as the driver's params;
- ``_online_set(params, dtype)``: the parameters stored as fitted
  attributes in the data's float type.

and the constructor parameters ``batch_size``, ``learning_offset`` and
``learning_decay``. The statistics, the stepwise average and the M-step are
the streaming driver's (``drivers/streaming.py``); online EM is a separate,
opt-in path: ``fit`` without ``batch_size`` stays exact (in memory, on Dask,
or over row blocks).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_sample_weight, numpy_generator
from ..drivers.dask import is_dask_collection
from ..drivers.streaming import (
    OnlineEM,
    RowBlocks,
    block_em,
    is_block_source,
    iter_batches,
)

# What _fit_streamed returns when X is one array for the exact batch fit.
NOT_STREAMED = object()


class OnlineMixtureMixin:
    """Stepwise EM and block EM for a mixture estimator (see the module)."""

    def _fit_streamed(self, X, sample_weight, callback):
        """``fit`` by online EM (``batch_size`` set) or by exact EM over a
        list of row blocks, returning what ``_fit`` returns; NOT_STREAMED
        when X is one array (in memory or Dask) for the batch fit."""
        self._online = None
        if self.batch_size is not None:
            if is_dask_collection(X):
                raise ValueError(
                    "batch_size (online EM) does not apply to a Dask array: Dask "
                    "fits are exact batch EM; set batch_size=None"
                )
            X = self._fit_online(X, sample_weight, callback)
            self._warn_if_not_converged()
            return X
        if is_block_source(X):
            if sample_weight is not None:
                raise ValueError("sample_weight is supported only when X is an array")
            self._fit_blocks(X, callback)
            self._warn_if_not_converged()
            return None
        return NOT_STREAMED

    # -- partial_fit --

    def partial_fit(self, X, y=None, sample_weight=None):
        """Take one step of online (stepwise) EM on the mini-batch X.

        The first call initialises the model from X (``init_params``, or the
        given ``*_init`` parameters; a GaussianMixture with
        ``warm_start=True`` that is already fitted, or loaded from a file,
        starts from its fitted parameters instead); n_components and the
        covariance type are fixed from then on. Every call takes the E-step
        statistics of X under the current parameters, folds them into the
        running average s ← (1 − η_t) s + η_t s_X, where s_X are X's
        statistics per unit of sample weight and
        η_t = (learning_offset + t)^(−learning_decay) (η_1 = 1), and sets the
        parameters to the M-step of s (``reg_covar``, or ``alpha``, applied
        as in ``fit``). ``lower_bounds_`` holds the mean log-likelihood of
        every batch under the parameters before its step: a held-out score
        of the stream, the online learning curve. ``fit`` starts over.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One mini-batch. For GaussianMixture, NaN entries are missing
            values (``missing_values=np.nan``), handled as ``fit`` does.
        y : None
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights; None gives every row weight 1.

        Returns
        -------
        self
            The fitted estimator.
        """
        self._validate_params()
        state = getattr(self, "_online", None)
        if state is not None and self._online_key() != state.key:
            raise ValueError(
                "n_components and the model's type (covariance_type) are fixed "
                "after the first partial_fit; call fit to start over"
            )
        X = self._online_validate(X, reset=state is None)
        w = check_sample_weight(sample_weight, X.shape[0])
        if state is None:
            state = self._online_start(X, w)
        else:
            state.em.average.learning_offset = float(self.learning_offset)
            state.em.average.learning_decay = float(self.learning_decay)
            state.em.n_threads = self.n_threads
        state.em.partial_fit(X, w)
        self._online_publish(state)
        self.n_iter_ = state.em.n_steps
        # A step is complete in itself: there is no convergence to wait for.
        self.converged_ = True
        return self

    def _online_key(self):
        return (self.n_components, getattr(self, "covariance_type", None))

    def _online_start(self, X, w):
        """A new online state initialised from the batch X."""
        if X.shape[0] < self.n_components:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = "
                f"{self.n_components}, n_samples = {X.shape[0]} (the first batch "
                "initialises the model)"
            )
        em = OnlineEM(
            self._online_model(),
            self._online_initial(X, w),
            learning_offset=float(self.learning_offset),
            learning_decay=float(self.learning_decay),
            n_threads=self.n_threads,
        )
        self._online = _OnlineState(em, self._online_key(), X.dtype)
        return self._online

    def _online_publish(self, state):
        em = state.em
        self._online_set(em.params, state.dtype)
        self.lower_bound_ = float(em.lower_bounds[-1])
        self.lower_bounds_ = [float(b) for b in em.lower_bounds]

    # -- fit with batch_size: epochs of online EM --

    def _fit_online(self, X, sample_weight=None, callback=None):
        """Epochs of online EM over X in batches of ``batch_size`` rows, from
        scratch (as scikit-learn's online LatentDirichletAllocation).

        Each epoch walks the rows in order (an iterable's blocks are cut
        each on its own). It stops after ``max_iter`` epochs, or when the
        mean of an epoch's batch bounds changes by less than ``tol``; a
        one-shot iterator gives one epoch. ``callback(epoch, batch,
        lower_bound, change)`` is called after every batch. ``lower_bounds_``
        holds the mean of every epoch's batch bounds, ``batch_lower_bounds_``
        every batch's. Returns X
        validated (an array), or None for an iterable.
        """
        self._online = None
        if is_block_source(X):
            if sample_weight is not None:
                raise ValueError(
                    "sample_weight is supported only when X is an array (pass "
                    "weighted rows to partial_fit batch by batch)"
                )
            blocks, validated = RowBlocks(X), None
        else:
            validated = self._online_validate(X, reset=True)
            w = check_sample_weight(sample_weight, validated.shape[0])
            blocks = RowBlocks(validated, sample_weight=w)
        if self.max_iter < 1:
            raise ValueError(
                "with batch_size, max_iter counts epochs and must be at least 1"
            )
        epochs = 1 if blocks.one_shot else int(self.max_iter)
        state, previous, bound = None, None, -np.inf
        converged = False
        epoch_bounds = []
        for epoch in range(1, epochs + 1):
            first_bound = len(state.em.lower_bounds) if state is not None else 0
            n_batches = 0
            for batch, w in iter_batches(blocks, int(self.batch_size)):
                if validated is None:
                    batch = self._online_validate(batch, reset=state is None)
                if state is None:
                    state = self._online_start(batch, w)
                before = bound
                bound = state.em.partial_fit(batch, w)
                n_batches += 1
                if callback is not None:
                    callback(epoch, n_batches, bound, bound - before)
            if n_batches == 0:
                raise ValueError("X has no rows")
            mean = float(np.mean(state.em.lower_bounds[first_bound:]))
            epoch_bounds.append(mean)
            if previous is not None and abs(mean - previous) < self.tol:
                converged = True
                break
            previous = mean
        self._online_publish(state)
        # An iteration of this fit is an epoch: lower_bounds_ holds one bound
        # per epoch (as n_iter_ counts them), batch_lower_bounds_ the batches'.
        self.batch_lower_bounds_ = self.lower_bounds_
        self.lower_bounds_ = epoch_bounds
        self.lower_bound_ = epoch_bounds[-1]
        self.n_iter_ = epoch
        self.converged_ = converged or blocks.one_shot
        return validated

    # -- fit over row blocks: exact batch EM, one pass per iteration --

    def _fit_blocks(self, X, callback=None):
        """Exact batch EM over an iterable of row blocks.

        Every iteration is one pass over the blocks; their statistics are
        added in order and the M-step runs on the sum, so the fit equals
        the in-memory fit of the blocks stacked, from the same initial
        parameters (bit for bit when the blocks are the core's own chunks,
        ``drivers.streaming.exact_block_rows``; to rounding otherwise). The
        initial parameters are drawn from the first block (``init_params``
        or the given ``*_init``); each of ``n_init`` restarts draws them with
        its own seed, and the restart with the largest final lower bound is
        kept. ``callback(init, n_iter, lower_bound, change)`` is called after
        every iteration.
        """
        blocks = RowBlocks(X)
        if blocks.one_shot:
            raise TypeError(
                "X is a one-shot iterator, but exact EM needs one pass per "
                "iteration: pass a list of arrays or an object whose __iter__ "
                "starts over (or set batch_size for online EM, which can stream "
                "a one-shot iterator once)"
            )
        validated = _ValidatedBlocks(self, blocks)
        first = None
        for block, _ in validated:
            first = block
            break
        if first is None:
            raise ValueError("X has no rows")
        if first.shape[0] < self.n_components:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = "
                f"{self.n_components}, n_samples = {first.shape[0]} (the first "
                "block initialises the model)"
            )
        model = self._online_model()
        seeds = numpy_generator(self.random_state).integers(
            0, 2**63 - 1, size=int(self.n_init)
        )
        best = None
        for init, seed in enumerate(seeds):
            params = self._online_initial(first, None, seed=int(seed))
            report = None
            if callback is not None:

                def report(it, lb, change, init=init):
                    callback(init, it, lb, change)

            params, trace = block_em(
                model,
                validated,
                params,
                max_iter=int(self.max_iter),
                tol=float(self.tol),
                n_threads=self.n_threads,
                callback=report,
            )
            if best is None or trace.lower_bound > best[1].lower_bound:
                best = (params, trace)
        params, trace = best
        self._online_set(params, first.dtype)
        self.converged_ = bool(trace.converged)
        self.n_iter_ = int(trace.n_iter)
        self.lower_bound_ = float(trace.lower_bound)
        self.lower_bounds_ = [float(b) for b in trace.lower_bounds]


class _OnlineState:
    """What partial_fit carries between calls: the online EM, the model's
    fixed shape (n_components, covariance_type) and the data's float type."""

    def __init__(self, em, key, dtype):
        self.em = em
        self.key = key
        self.dtype = dtype


class _ValidatedBlocks(RowBlocks):
    """The blocks of a RowBlocks, each through the estimator's input check
    (the first one sets n_features_in_, the others are checked against it)."""

    def __init__(self, est, blocks):
        self.__dict__.update(blocks.__dict__)
        self._est = est

    def __iter__(self):
        for i, (block, w) in enumerate(super().__iter__()):
            yield self._est._online_validate(block, reset=i == 0), w
