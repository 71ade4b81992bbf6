"""Streaming driver: online EM over mini-batches, and exact EM over row blocks.

Two ways of gathering the sufficient statistics of a mixture (see
``_statistics``) without holding the data in memory:

- **Online (stepwise) EM** (Cappé and Moulines, 2009; Liang and Klein, 2009).
  A running average of the statistics is kept, s ← (1 − η_t) s + η_t s̄_t,
  where s̄_t are the statistics of batch t per unit of sample weight and
  η_t = (learning_offset + t)^(−learning_decay); the parameters are the
  M-step of s after every batch. The first batch sets s (η_1 = 1). With
  ``learning_decay`` in (0.5, 1] the step sizes satisfy Robbins–Monro's
  conditions. ``learning_offset=0, learning_decay=1`` gives η_t = 1/t, the
  plain mean of every batch's statistics.

- **Exact batch EM over row blocks** of a NumPy array or memmap (file pages
  the kernel may evict, so anonymous memory stays near the core's scratch)
  or a re-iterable of arrays. Every iteration is one pass over the blocks;
  their statistics are added in order and the M-step runs on the sum, which
  is the in-memory fit's iteration. For an array of n rows the blocks are
  the chunks of the core's own row partition (``exact_block_rows``), so the
  sums are added in the same order as the in-memory fit adds them: the fit
  is bit-identical while every block holds at most 128 of the core's tiles
  (n up to 128 · 128 · 256 rows for d < 48); beyond, it equals it to
  rounding.

The running average is stored unnormalised, R = c · s with c = Σ of the
weights it stands for (``R.weight_sum``): an update is R ← a R + S_t with
a = (1/η_t − 1) W_t / c, where S_t are the batch's plain sums and W_t its
weight. The M-step is invariant to the scale of the statistics, so it runs
on R. With η_t = 1/t and batches of equal weight, a is exactly 1 and R is
exactly the sum of the batches' statistics, added in order.

Gaussian statistics are taken about a shift (the means of the E-step).
Before R and a batch's sums are added, R is moved to the batch's shift
exactly (``reshift``): with δ = c_old − c_new,
Σγ(x − c_new) = F + N δ and Σγ(x − c_new)(x − c_new)ᵀ = S + F δᵀ + δ Fᵀ + N δ δᵀ.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .._validation import check_data, check_float
from ..models.bernoulli import BernoulliStatistics, bernoulli_statistics
from ..models.covariance_models import layout
from ..models.gaussian import GaussianStatistics, gmm_statistics

LEARNING_OFFSET = 10.0
LEARNING_DECAY = 0.7

# The core's row partition (chunking.hpp, gaussian_kernel.hpp,
# bernoulli_statistics.hpp): rows are cut into tiles, tiles grouped into at
# most _MAX_CHUNKS chunks whose partial sums stay within _MAX_SLOT_MEMORY.
_BLOCK_ROWS = 256
_MAX_CHUNKS = 128
_MAX_SLOT_MEMORY = 64 << 20


# --- the schedule ------------------------------------------------------------------


def check_schedule(learning_offset, learning_decay):
    """(learning_offset, learning_decay) validated: t0 >= 0, κ in (0.5, 1]."""
    t0 = check_float(learning_offset, "learning_offset", minimum=0.0)
    kappa = check_float(learning_decay, "learning_decay", minimum=0.0)
    if not 0.5 < kappa <= 1.0:
        raise ValueError(
            f"learning_decay must lie in (0.5, 1] for online EM to converge, got {kappa}"
        )
    return t0, kappa


def learning_rate(t, learning_offset=LEARNING_OFFSET, learning_decay=LEARNING_DECAY):
    """η_t = (learning_offset + t)^(−learning_decay) for batch t >= 1; η_1 = 1."""
    if t <= 1:
        return 1.0
    return float((learning_offset + t) ** (-learning_decay))


# --- statistics algebra --------------------------------------------------------------


def scale_statistics(stats, a):
    """Every sum of ``stats`` times ``a`` (the shift, if any, unchanged)."""
    if isinstance(stats, GaussianStatistics):
        return replace(
            stats,
            resp_sum=a * stats.resp_sum,
            first=a * stats.first,
            second=a * stats.second,
            log_likelihood=a * stats.log_likelihood,
            weight_sum=a * stats.weight_sum,
        )
    if isinstance(stats, BernoulliStatistics):
        return replace(
            stats,
            resp_sum=a * stats.resp_sum,
            x_sum=a * stats.x_sum,
            observed_sum=None if stats.observed_sum is None else a * stats.observed_sum,
            log_likelihood=a * stats.log_likelihood,
            weight_sum=a * stats.weight_sum,
        )
    raise TypeError(f"unsupported statistics type {type(stats).__name__}")


def reshift(stats, shift):
    """The same Gaussian statistics taken about ``shift`` (exact algebra).

    Returns ``stats`` itself when the shift is already ``shift``, so that
    statistics of the same E-step add without any rounding.
    """
    shift = np.asarray(shift, dtype=np.float64)
    if shift.shape != stats.shift.shape:
        raise ValueError(
            f"shift must have shape {stats.shift.shape}, got {shift.shape}"
        )
    if np.array_equal(shift, stats.shift):
        return stats
    delta = stats.shift - shift  # (K, d)
    n = stats.resp_sum[:, None]
    first = stats.first
    if layout(stats.covariance_type) in ("full", "tied"):
        fd = first[:, :, None] * delta[:, None, :]  # F δᵀ
        second = (
            stats.second
            + fd
            + fd.transpose(0, 2, 1)
            + n[:, :, None] * delta[:, :, None] * delta[:, None, :]
        )
    else:
        second = stats.second + 2.0 * first * delta + n * delta * delta
    return replace(stats, shift=shift, first=first + n * delta, second=second)


@dataclass
class StepwiseAverage:
    """Running stepwise-EM average of a mixture's sufficient statistics.

    ``stats`` is R = c · s (see the module's docstring): pass it to the
    model's M-step as it is. ``n_steps`` counts the batches folded in.
    """

    learning_offset: float = LEARNING_OFFSET
    learning_decay: float = LEARNING_DECAY
    stats: object = None
    n_steps: int = 0

    def __post_init__(self):
        self.learning_offset, self.learning_decay = check_schedule(
            self.learning_offset, self.learning_decay
        )

    def update(self, batch):
        """Fold one batch's statistics in; returns the new running sums."""
        if not batch.weight_sum > 0:
            raise ValueError("a batch must have a positive total sample_weight")
        t = self.n_steps + 1
        if self.stats is None or t == 1:
            self.stats = batch
        else:
            running = self.stats
            if isinstance(batch, GaussianStatistics):
                running = reshift(running, batch.shift)
            inv_eta = (self.learning_offset + t) ** self.learning_decay
            a = ((inv_eta - 1.0) * batch.weight_sum) / running.weight_sum
            if a != 1.0:
                running = scale_statistics(running, a)
            self.stats = running + batch
        self.n_steps = t
        return self.stats


# --- models: how a driver computes statistics and takes an M-step ------------------


@dataclass
class GaussianParams:
    """Parameters of a Gaussian mixture in scikit-learn's shapes."""

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray | None
    precisions_cholesky: np.ndarray


@dataclass
class GaussianModel:
    covariance_type: str = "full"
    reg_covar: float = 1e-6

    def statistics(self, X, params, sample_weight=None, n_threads=None):
        return gmm_statistics(
            X,
            params.weights,
            params.means,
            params.precisions_cholesky,
            self.covariance_type,
            sample_weight=sample_weight,
            n_threads=n_threads,
        )

    def m_step(self, stats):
        return GaussianParams(*stats.m_step(self.reg_covar))


@dataclass
class BernoulliParams:
    weights: np.ndarray
    probabilities: np.ndarray


@dataclass
class BernoulliModel:
    alpha: float = 1e-3

    def statistics(self, X, params, sample_weight=None, n_threads=None):
        return bernoulli_statistics(
            X,
            params.weights,
            params.probabilities,
            sample_weight=sample_weight,
            n_threads=n_threads,
        )

    def m_step(self, stats):
        return BernoulliParams(*stats.m_step(self.alpha))


# --- online EM ---------------------------------------------------------------------


@dataclass
class OnlineEM:
    """Stepwise EM: one E-step on a batch, a stepwise average, one M-step.

    ``model`` is a ``GaussianModel`` or ``BernoulliModel``, ``params`` the
    current parameters (the first batch's E-step uses them: the estimator
    initialises them from that batch). ``lower_bounds`` holds, per batch,
    the mean log-likelihood of the batch under the parameters before it was
    folded in: a held-out score of every batch, the online learning curve.
    """

    model: object
    params: object
    learning_offset: float = LEARNING_OFFSET
    learning_decay: float = LEARNING_DECAY
    n_threads: int | None = None
    average: StepwiseAverage = field(init=False)
    lower_bounds: list = field(default_factory=list, init=False)

    def __post_init__(self):
        self.average = StepwiseAverage(self.learning_offset, self.learning_decay)

    @property
    def n_steps(self):
        return self.average.n_steps

    def partial_fit(self, X, sample_weight=None):
        """One stepwise-EM step on the batch ``X``; returns its lower bound."""
        batch = self.model.statistics(X, self.params, sample_weight, self.n_threads)
        running = self.average.update(batch)
        self.params = self.model.m_step(running)
        bound = batch.lower_bound
        self.lower_bounds.append(bound)
        return bound


# --- exact EM over row blocks ------------------------------------------------------


def _plan_chunk_rows(n_rows, block_rows, slot_bytes):
    """chunking.hpp's plan_chunks: rows per chunk for n_rows rows."""
    n_blocks = max(1, -(-n_rows // block_rows))
    cap = _MAX_CHUNKS
    if slot_bytes > 0:
        cap = min(cap, _MAX_SLOT_MEMORY // slot_bytes)
    cap = max(1, cap)
    return -(-n_blocks // cap) * block_rows


def exact_block_rows(model, n_samples, n_features, n_components):
    """Rows per block that reproduce the core's partition of n_samples rows.

    A block of this many rows is one chunk of the in-memory fit; the core
    reduces a block of at most 128 tiles tile by tile, in order, which is
    what the in-memory fit does inside a chunk. Adding the blocks in order
    then gives the in-memory sums bit for bit.
    """
    d, k = n_features, n_components
    if isinstance(model, GaussianModel):
        tile = 128 if d >= 48 else 256
        second = d * d if layout(model.covariance_type) in ("full", "tied") else d
        slot = 8 * k * (1 + d + second)
    elif isinstance(model, BernoulliModel):
        tile = min(max((64 << 10) // max(1, d), 32), _BLOCK_ROWS)
        slot = 8 * k * (1 + d)
    else:
        raise TypeError(f"unsupported model {type(model).__name__}")
    return _plan_chunk_rows(n_samples, tile, slot)


def is_block_source(X):
    """Whether ``X`` is a source of row blocks rather than one data matrix: an
    iterator or generator, or a list or tuple of 2-D arrays (which no
    array-like reading could take as one matrix). Arrays, memmaps, data
    frames, Dask and sparse matrices are not."""
    if hasattr(X, "__array__") or hasattr(X, "__dask_graph__") or hasattr(X, "tocsr"):
        return False
    if isinstance(X, (str, bytes, dict)):
        return False
    if isinstance(X, (list, tuple)):
        return len(X) > 0 and all(getattr(b, "ndim", None) == 2 for b in X)
    return hasattr(X, "__iter__")


class RowBlocks:
    """Blocks of rows of a 2-D array (a memmap included) or of a re-iterable.

    An array is sliced into views of ``block_rows`` rows (a memmap's rows are
    read from the file when the core touches them; nothing is copied when
    the array is C-contiguous float32 or float64). An iterable yields its
    own blocks; it must be re-iterable (a list, or an object whose
    ``__iter__`` starts over) when more than one pass is needed.
    """

    def __init__(self, X, block_rows=None, sample_weight=None):
        self.X = X
        self.block_rows = block_rows
        self.is_array = isinstance(X, np.ndarray)
        if self.is_array:
            if X.ndim != 2:
                raise ValueError(f"X must be a 2-D array, got {X.ndim}-D")
            if X.shape[0] < 1:
                raise ValueError("X has 0 sample(s), but at least 1 are needed")
            self.n_samples, self.n_features = X.shape
        else:
            try:
                iter(X)
            except TypeError:
                raise TypeError(
                    "X must be a 2-D array, a memmap or an iterable of 2-D arrays, "
                    f"got {type(X).__name__}"
                ) from None
            if sample_weight is not None:
                raise ValueError("sample_weight is supported only when X is an array")
            self.n_samples = self.n_features = None
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            if sample_weight.shape != (self.n_samples,):
                raise ValueError(
                    f"sample_weight must have shape ({self.n_samples},) to match X, "
                    f"got {sample_weight.shape}"
                )
        self.sample_weight = sample_weight

    @property
    def one_shot(self):
        """Whether the blocks can be walked only once (an iterator)."""
        return not self.is_array and iter(self.X) is self.X

    def __iter__(self):
        """(block, sample_weight of the block or None), in row order."""
        if self.is_array:
            step = self.block_rows or self.n_samples
            for a in range(0, self.n_samples, step):
                w = (
                    None
                    if self.sample_weight is None
                    else self.sample_weight[a : a + step]
                )
                yield self.X[a : a + step], w
            return
        d = None
        for i, block in enumerate(self.X):
            block = check_data(block, name=f"block {i} of X", min_samples=0)
            if d is None:
                d = block.shape[1]
            elif block.shape[1] != d:
                raise ValueError(
                    f"block {i} of X has {block.shape[1]} features, block 0 has {d}"
                )
            if block.shape[0]:
                yield block, None


@dataclass
class BlockEMTrace:
    """How a block-wise EM run went (as the in-memory fit's trace)."""

    converged: bool = False
    n_iter: int = 0
    lower_bound: float = -np.inf
    lower_bounds: list = field(default_factory=list)


def block_statistics(model, blocks, params, n_threads=None):
    """Statistics of every block under ``params``, added in block order."""
    total = None
    for block, w in blocks:
        s = model.statistics(block, params, w, n_threads)
        total = s if total is None else total + s
    if total is None:
        raise ValueError("X has no rows")
    return total


def block_em(
    model, blocks, params, *, max_iter=100, tol=1e-3, n_threads=None, callback=None
):
    """Batch EM from ``params``, one pass over ``blocks`` per iteration.

    Convergence and the trace follow the in-memory fit (``em.hpp``): the
    lower bound of an iteration is the mean log-likelihood under the
    parameters its E-step used; EM stops when it changes by less than
    ``tol``. ``callback(n_iter, lower_bound, change)`` is called after every
    iteration. Returns (params, BlockEMTrace).
    """
    if isinstance(blocks, RowBlocks) and blocks.one_shot and max_iter > 1:
        raise TypeError(
            "X is a one-shot iterator, but EM needs one pass per iteration: pass a "
            "list of arrays or an object whose __iter__ starts over"
        )
    trace = BlockEMTrace()
    bound = -np.inf
    for it in range(1, max_iter + 1):
        previous = bound
        stats = block_statistics(model, blocks, params, n_threads)
        params = model.m_step(stats)
        bound = stats.lower_bound
        trace.lower_bounds.append(bound)
        trace.n_iter = it
        change = bound - previous
        if callback is not None:
            callback(it, bound, change)
        if abs(change) < tol:
            trace.converged = True
            break
    trace.lower_bound = bound
    return params, trace


# --- online EM over a data set, epoch by epoch ---------------------------------------


def iter_batches(blocks, batch_size):
    """(batch, sample_weight or None) of at most ``batch_size`` rows, in order.

    An array is cut every ``batch_size`` rows; an iterable's blocks are cut
    each on its own (a batch never spans two blocks).
    """
    for block, w in blocks:
        for a in range(0, block.shape[0], batch_size):
            yield (
                block[a : a + batch_size],
                None if w is None else w[a : a + batch_size],
            )


def online_epochs(online, blocks, *, batch_size, epochs=1, callback=None):
    """``epochs`` passes of online EM over ``blocks`` in batches, as scikit-learn's
    online LatentDirichletAllocation runs (batches in row order, no shuffle).

    ``callback(epoch, n_batches_done, lower_bound)`` is called after every
    batch (epochs and batches from 1); progress bars use it. Returns the
    per-batch lower bounds of the run.
    """
    if isinstance(blocks, RowBlocks) and blocks.one_shot and epochs > 1:
        raise TypeError(
            "X is a one-shot iterator, but epochs > 1 needs one pass per epoch: pass "
            "a list of arrays or an object whose __iter__ starts over"
        )
    bounds = []
    for epoch in range(1, epochs + 1):
        for i, (batch, w) in enumerate(iter_batches(blocks, batch_size), start=1):
            bounds.append(online.partial_fit(batch, w))
            if callback is not None:
                callback(epoch, i, bounds[-1])
    return bounds
