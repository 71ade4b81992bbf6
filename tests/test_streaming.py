"""Streaming driver: online (stepwise) EM and exact EM over row blocks."""

import warnings

import emclust
import numpy as np
import pytest
from emclust._validation import check_binary_array, check_data
from emclust.drivers.streaming import (
    BernoulliModel,
    BernoulliParams,
    GaussianModel,
    GaussianParams,
    OnlineEM,
    RowBlocks,
    StepwiseAverage,
    block_em,
    block_statistics,
    exact_block_rows,
    iter_batches,
    learning_rate,
    online_epochs,
    reshift,
    scale_statistics,
)
from emclust.estimators._online import OnlineMixtureMixin
from emclust.exceptions import ConvergenceWarning
from emclust.models.gaussian import (
    precisions_from_cholesky as _precisions_from_cholesky,
)
from hypothesis import given, settings
from hypothesis import strategies as st

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def _blobs(n, d, k, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=6.0, size=(k, d)) + 100.0  # far from the origin
    X = centers[rng.integers(0, k, n)] + rng.normal(size=(n, d))
    return X.astype(dtype)


def _quiet_fit(est, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X)


def _gmm_init(X, k, covariance_type):
    """fit's initial parameters (max_iter=0) and a GaussianMixture that
    continues from them (warm start)."""
    g = _quiet_fit(
        emclust.GaussianMixture(
            k, covariance_type=covariance_type, max_iter=0, random_state=0
        ),
        X,
    )
    params = GaussianParams(
        g.weights_.copy(),
        g.means_.copy(),
        g.covariances_.copy(),
        g.precisions_cholesky_.copy(),
    )
    return g, params


def _fit_from(g, X, max_iter):
    """The in-memory fit's next max_iter iterations from g's parameters."""
    g.set_params(warm_start=True, max_iter=max_iter, tol=0.0)
    return _quiet_fit(g, X)


def _same(p, g):
    """Driver parameters (float64) equal an estimator's fitted ones, in the
    estimator's dtype (float32 attributes for float32 data)."""
    t = g.means_.dtype
    return (
        np.array_equal(p.weights.astype(t), g.weights_)
        and np.array_equal(p.means.astype(t), g.means_)
        and np.array_equal(p.covariances.astype(t), g.covariances_)
        and np.array_equal(p.precisions_cholesky.astype(t), g.precisions_cholesky_)
    )


# --- the schedule -----------------------------------------------------------------


def test_learning_rate_is_ldas_schedule_with_a_first_step_of_one():
    assert learning_rate(1, 10.0, 0.7) == 1.0
    assert learning_rate(5, 10.0, 0.7) == pytest.approx(15.0**-0.7)
    assert [learning_rate(t, 0.0, 1.0) for t in (2, 3, 4)] == [1 / 2, 1 / 3, 1 / 4]


@pytest.mark.parametrize("decay", [0.5, 0.2, 1.5])
def test_learning_decay_outside_half_to_one_is_refused(decay):
    with pytest.raises(ValueError, match="learning_decay"):
        StepwiseAverage(10.0, decay)


def test_negative_learning_offset_is_refused():
    with pytest.raises(ValueError, match="learning_offset"):
        StepwiseAverage(-1.0, 0.7)


# --- statistics algebra -----------------------------------------------------------


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_reshift_equals_the_sums_taken_about_the_new_shift(covariance_type):
    X = _blobs(500, 3, 2)
    _, p = _gmm_init(X, 2, covariance_type)
    stats = GaussianModel(covariance_type).statistics(X, p)
    resp = emclust.e_step(X, p.weights, p.means, p.covariances, covariance_type)[0]
    new = p.means + np.array([[0.5, -2.0, 3.0], [-1.0, 0.25, 7.0]])
    moved = reshift(stats, new)
    diff = X[:, None, :] - new[None]  # (n, K, d)
    first = np.einsum("nk,nkd->kd", resp, diff)
    if covariance_type in ("full", "tied"):
        second = np.einsum("nk,nkd,nke->kde", resp, diff, diff)
    else:
        second = np.einsum("nk,nkd->kd", resp, diff**2)
    np.testing.assert_allclose(moved.first, first, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(moved.second, second, rtol=1e-9, atol=1e-7)
    assert reshift(stats, stats.shift.copy()) is stats


@settings(max_examples=25, deadline=None)
@given(
    a=st.floats(1e-3, 1e3),
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
    offset=st.floats(-50, 50),
)
def test_m_step_ignores_the_scale_and_the_shift_of_the_statistics(
    a, covariance_type, offset
):
    X = _blobs(300, 2, 2, seed=3)
    _, p = _gmm_init(X, 2, covariance_type)
    stats = GaussianModel(covariance_type).statistics(X, p)
    base = stats.m_step(1e-6)
    other = reshift(scale_statistics(stats, a), stats.shift + offset).m_step(1e-6)
    for x, y in zip(base, other):
        np.testing.assert_allclose(x, y, rtol=1e-8, atol=1e-10)


# --- online EM ---------------------------------------------------------------------


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_batch_equal_to_x_is_one_em_iteration_of_fit(covariance_type, dtype):
    X = _blobs(3000, 3, 3, dtype)
    g, p = _gmm_init(X, 3, covariance_type)
    online = OnlineEM(GaussianModel(covariance_type, 1e-6), p)
    bound = online.partial_fit(X)
    _fit_from(g, X, 1)
    assert _same(online.params, g)
    assert bound == g.lower_bounds_[0]


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_batches_averaged_with_one_over_t_are_one_em_iteration(covariance_type):
    # Held parameters (the E-step of one EM iteration) and η_t = 1/t: the
    # running average is the plain sum of the batches' statistics, added in
    # order. Batches that are the core's chunks give fit's sums bit for bit.
    n, k = 4096, 3
    X = _blobs(n, 3, k)
    g, p = _gmm_init(X, k, covariance_type)
    model = GaussianModel(covariance_type, 1e-6)
    rows = exact_block_rows(model, n, 3, k)
    assert n % rows == 0 and n // rows > 2
    average = StepwiseAverage(learning_offset=0.0, learning_decay=1.0)
    for a in range(0, n, rows):
        average.update(model.statistics(X[a : a + rows], p))
    _fit_from(g, X, 1)
    assert _same(model.m_step(average.stats), g)


def test_unequal_batches_give_the_weighted_mean_of_per_row_statistics():
    X = _blobs(1000, 2, 2)
    _, p = _gmm_init(X, 2, "diag")
    model = GaussianModel("diag")
    cuts = [0, 100, 400, 1000]
    batches = [model.statistics(X[a:b], p) for a, b in zip(cuts, cuts[1:])]
    average = StepwiseAverage(learning_offset=2.0, learning_decay=0.8)
    expected = batches[0].first / batches[0].weight_sum
    for t, b in enumerate(batches, start=1):
        average.update(b)
        eta = learning_rate(t, 2.0, 0.8)
        expected = (1 - eta) * expected + eta * b.first / b.weight_sum
    s = average.stats
    np.testing.assert_allclose(s.first / s.weight_sum, expected, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_every_step_keeps_weights_on_the_simplex_and_covariances_pd(covariance_type):
    X = _blobs(6000, 4, 4, seed=1)
    rng = np.random.default_rng(7)
    X = X[rng.permutation(len(X))]
    _, p = _gmm_init(X[:500], 4, covariance_type)
    online = OnlineEM(GaussianModel(covariance_type, 1e-6), p)
    a = 0
    while a < len(X):
        b = a + int(rng.integers(5, 800))  # tiny batches included
        online.partial_fit(X[a:b])
        a = b
        q = online.params
        assert np.isclose(q.weights.sum(), 1.0, rtol=0, atol=1e-12)
        assert (q.weights > 0).all()
        cov = q.covariances
        if covariance_type == "full":
            assert (np.linalg.eigvalsh(cov) > 0).all()
        elif covariance_type == "tied":
            assert (np.linalg.eigvalsh(cov) > 0).all()
        else:
            assert (cov > 0).all()
    assert online.n_steps == len(online.lower_bounds) > 10


def test_online_em_reaches_batch_em_on_separated_clusters():
    X = _blobs(40_000, 3, 4, seed=2)
    X = X[np.random.default_rng(0).permutation(len(X))]
    _, p = _gmm_init(X[:2000], 4, "full")
    online = OnlineEM(GaussianModel("full"), p)
    for a in range(0, len(X), 2000):
        online.partial_fit(X[a : a + 2000])
    batch = _quiet_fit(
        emclust.GaussianMixture(4, max_iter=200, random_state=0, tol=1e-8), X
    )
    q = online.params
    online_ll = GaussianModel("full").statistics(X, q).lower_bound
    assert online_ll == pytest.approx(batch.score(X), rel=1e-3)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_online_em_is_bit_identical_for_any_thread_count(covariance_type):
    X = _blobs(20_000, 5, 3, np.float32, seed=4)
    _, p = _gmm_init(X[:1000], 3, covariance_type)
    runs = []
    for threads in (1, 2, 3):
        online = OnlineEM(GaussianModel(covariance_type), p, n_threads=threads)
        for a in range(0, len(X), 3000):
            online.partial_fit(X[a : a + 3000])
        runs.append((online.params, online.lower_bounds))
    for params, bounds in runs[1:]:
        assert bounds == runs[0][1]
        assert np.array_equal(params.means, runs[0][0].means)
        assert np.array_equal(params.covariances, runs[0][0].covariances)


def test_a_batch_of_zero_weight_is_refused():
    X = _blobs(100, 2, 2)
    _, p = _gmm_init(X, 2, "diag")
    online = OnlineEM(GaussianModel("diag"), p)
    with pytest.raises(ValueError, match="sample_weight"):
        online.partial_fit(X, sample_weight=np.zeros(100))


def _binary(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0.05, 0.95, size=(k, d))
    return (rng.random((n, d)) < theta[rng.integers(0, k, n)]).astype(np.float64)


def test_bernoulli_one_batch_is_one_em_iteration_and_steps_stay_valid():
    X = _binary(3000, 12, 3)
    rng = np.random.default_rng(1)
    p = BernoulliParams(np.full(3, 1 / 3), rng.uniform(0.2, 0.8, size=(3, 12)))
    online = OnlineEM(BernoulliModel(1e-3), p)
    online.partial_fit(X)
    b = _quiet_fit(
        emclust.BernoulliMixture(
            3, max_iter=1, weights_init=p.weights, probabilities_init=p.probabilities
        ),
        X,
    )
    assert np.array_equal(online.params.weights, b.weights_)
    assert np.array_equal(online.params.probabilities, b.probabilities_)
    online = OnlineEM(BernoulliModel(1e-3), p)
    for a in range(0, 3000, 97):
        online.partial_fit(X[a : a + 97])
        q = online.params
        assert np.isclose(q.weights.sum(), 1.0, rtol=0, atol=1e-12)
        assert ((q.probabilities > 0) & (q.probabilities < 1)).all()


# --- exact EM over row blocks ------------------------------------------------------


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_memmap_fit_equals_in_memory_fit_bit_for_bit(tmp_path, covariance_type, dtype):
    n, d, k = 9000, 4, 3
    X = _blobs(n, d, k, dtype, seed=5)
    path = tmp_path / "x.npy"
    np.save(path, X)
    M = np.load(path, mmap_mode="r")
    g, p = _gmm_init(X, k, covariance_type)
    model = GaussianModel(covariance_type, 1e-6)
    blocks = RowBlocks(M, exact_block_rows(model, n, d, k))
    q, trace = block_em(model, blocks, p, max_iter=5, tol=0.0, n_threads=2)
    _fit_from(g, X, 5)
    assert _same(q, g)
    assert trace.lower_bounds == g.lower_bounds_
    assert trace.n_iter == g.n_iter_ == 5


def test_block_em_stops_as_fit_does():
    X = _blobs(5000, 2, 2, seed=6)
    g, p = _gmm_init(X, 2, "full")
    model = GaussianModel("full")
    q, trace = block_em(
        model, RowBlocks(X, exact_block_rows(model, 5000, 2, 2)), p, tol=1e-3
    )
    g.set_params(warm_start=True, max_iter=100, tol=1e-3)
    g.fit(X)
    assert trace.converged and g.converged_
    assert trace.n_iter == g.n_iter_
    assert _same(q, g)


def test_iterable_of_arrays_equals_the_array_to_rounding():
    X = _blobs(5000, 3, 3, seed=8)
    _, p = _gmm_init(X, 3, "full")
    model = GaussianModel("full")
    pieces = [X[a : a + 777] for a in range(0, 5000, 777)]
    q1, t1 = block_em(model, RowBlocks(pieces), p, max_iter=3, tol=0.0)
    q2, t2 = block_em(model, RowBlocks(X), p, max_iter=3, tol=0.0)
    np.testing.assert_allclose(q1.covariances, q2.covariances, rtol=1e-10)
    np.testing.assert_allclose(t1.lower_bounds, t2.lower_bounds, rtol=1e-12)


def test_a_one_shot_iterator_cannot_run_several_iterations():
    X = _blobs(500, 2, 2)
    _, p = _gmm_init(X, 2, "diag")
    with pytest.raises(TypeError, match="one-shot"):
        block_em(GaussianModel("diag"), RowBlocks(iter([X])), p, max_iter=2)


def test_blocks_with_different_feature_counts_are_refused():
    X = _blobs(500, 2, 2)
    _, p = _gmm_init(X, 2, "diag")
    blocks = RowBlocks([X, np.ones((3, 5))])
    with pytest.raises(ValueError, match="block 1 of X has 5 features"):
        block_statistics(GaussianModel("diag"), blocks, p)


def test_bernoulli_memmap_fit_equals_in_memory_fit(tmp_path):
    n, d, k = 6000, 20, 3
    X = _binary(n, d, k, seed=3)
    np.save(tmp_path / "b.npy", X)
    M = np.load(tmp_path / "b.npy", mmap_mode="r")
    rng = np.random.default_rng(2)
    p = BernoulliParams(np.full(k, 1 / k), rng.uniform(0.2, 0.8, size=(k, d)))
    model = BernoulliModel(1e-3)
    q, trace = block_em(
        model, RowBlocks(M, exact_block_rows(model, n, d, k)), p, max_iter=4, tol=0.0
    )
    b = _quiet_fit(
        emclust.BernoulliMixture(
            k,
            max_iter=4,
            tol=0.0,
            weights_init=p.weights,
            probabilities_init=p.probabilities,
        ),
        X,
    )
    assert np.array_equal(q.probabilities, b.probabilities_)
    assert trace.lower_bounds == b.lower_bounds_


def test_row_blocks_refuses_what_is_not_rows():
    with pytest.raises(TypeError, match="iterable of 2-D arrays"):
        RowBlocks(3.0)
    with pytest.raises(ValueError, match="2-D"):
        RowBlocks(np.ones(4))
    with pytest.raises(ValueError, match="sample_weight"):
        RowBlocks(np.ones((4, 2)), sample_weight=np.ones(3))


def test_online_epochs_are_partial_fit_steps_over_batches_in_row_order():
    X = _blobs(5000, 3, 3, seed=9)
    _, p = _gmm_init(X[:1000], 3, "diag")
    a = OnlineEM(GaussianModel("diag"), p)
    seen = []
    bounds = online_epochs(
        a,
        RowBlocks(X),
        batch_size=1500,
        epochs=2,
        callback=lambda e, i, b: seen.append((e, i)),
    )
    b = OnlineEM(GaussianModel("diag"), p)
    for _ in range(2):
        for s in range(0, 5000, 1500):
            b.partial_fit(X[s : s + 1500])
    assert bounds == b.lower_bounds == a.lower_bounds
    assert np.array_equal(a.params.covariances, b.params.covariances)
    assert seen == [(e, i) for e in (1, 2) for i in (1, 2, 3, 4)]


def test_online_epochs_cut_each_block_of_an_iterable():
    X = _blobs(1000, 2, 2)
    pieces = [X[:300], X[300:]]
    assert [len(b) for b, _ in iter_batches(RowBlocks(pieces), 200)] == [
        200,
        100,
        200,
        200,
        200,
        100,
    ]
    _, p = _gmm_init(X, 2, "diag")
    with pytest.raises(TypeError, match="one-shot"):
        online_epochs(
            OnlineEM(GaussianModel("diag"), p),
            RowBlocks(iter(pieces)),
            batch_size=100,
            epochs=2,
        )


# --- the estimators' online mixin (wired into test subclasses until the
#     estimators take it) --------------------------------------------------------------


class _OnlineGMM(OnlineMixtureMixin, emclust.GaussianMixture):
    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        init_params="kmeans",
        means_init=None,
        random_state=None,
        n_threads=None,
        learning_offset=10.0,
        learning_decay=0.7,
        batch_size=None,
    ):
        super().__init__(
            n_components,
            covariance_type=covariance_type,
            tol=tol,
            reg_covar=reg_covar,
            max_iter=max_iter,
            init_params=init_params,
            means_init=means_init,
            random_state=random_state,
            n_threads=n_threads,
        )
        self.learning_offset = learning_offset
        self.learning_decay = learning_decay
        self.batch_size = batch_size

    def fit(self, X, y=None, sample_weight=None):
        if self.batch_size is not None:
            return self._fit_online(X, sample_weight)
        return super().fit(X, sample_weight=sample_weight)

    def _online_model(self):
        return GaussianModel(self.covariance_type, self.reg_covar)

    def _online_check(self, X):
        return check_data(X)

    def _online_initial(self, X, sample_weight):
        init = emclust.GaussianMixture(
            self.n_components,
            covariance_type=self.covariance_type,
            reg_covar=self.reg_covar,
            max_iter=0,
            init_params=self.init_params,
            means_init=self.means_init,
            random_state=self.random_state,
            n_threads=self.n_threads,
        )
        _quiet_fit(init, X)
        return GaussianParams(
            init.weights_, init.means_, init.covariances_, init.precisions_cholesky_
        )

    def _online_set(self, params, n_features):
        self.weights_ = params.weights
        self.means_ = params.means
        self.covariances_ = params.covariances
        self.precisions_cholesky_ = params.precisions_cholesky
        self.precisions_ = _precisions_from_cholesky(
            params.precisions_cholesky, self.covariance_type
        )


def test_estimator_partial_fit_on_all_of_x_is_fit_with_one_iteration():
    X = _blobs(3000, 3, 3, seed=11)
    est = _OnlineGMM(3, random_state=0).partial_fit(X)
    ref = _quiet_fit(emclust.GaussianMixture(3, max_iter=1, random_state=0), X)
    np.testing.assert_array_equal(est.means_, ref.means_)
    np.testing.assert_array_equal(est.precisions_, ref.precisions_)
    assert est.lower_bounds_ == ref.lower_bounds_
    assert est.predict(X).shape == (3000,)


def test_estimator_partial_fit_streams_and_scores_held_out_batches():
    X = _blobs(30_000, 3, 4, seed=12)
    X = X[np.random.default_rng(1).permutation(len(X))]
    train, held_out = X[:25_000], X[25_000:]
    est = _OnlineGMM(4, random_state=0)
    for a in range(0, len(train), 2500):
        est.partial_fit(train[a : a + 2500])
    assert len(est.lower_bounds_) == est.n_iter_ == 10
    batch = _quiet_fit(emclust.GaussianMixture(4, random_state=0), train)
    assert est.score(held_out) == pytest.approx(batch.score(held_out), rel=2e-3)
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(held_out[:, :2])
    est.set_params(n_components=5)
    with pytest.raises(ValueError, match="fixed after the first partial_fit"):
        est.partial_fit(held_out)


def test_estimator_fit_with_batch_size_runs_epochs_of_online_em(tmp_path):
    X = _blobs(20_000, 3, 3, seed=13)
    X = X[np.random.default_rng(2).permutation(len(X))]
    np.save(tmp_path / "x.npy", X)
    M = np.load(tmp_path / "x.npy", mmap_mode="r")
    est = _OnlineGMM(3, batch_size=2000, max_iter=5, tol=1e-4, random_state=0).fit(M)
    assert 1 <= est.n_iter_ <= 5
    assert len(est.epoch_lower_bounds_) == est.n_iter_
    assert len(est.lower_bounds_) == 10 * est.n_iter_
    batch = _quiet_fit(emclust.GaussianMixture(3, random_state=0), X)
    assert est.score(X) == pytest.approx(batch.score(X), rel=1e-3)
    again = _OnlineGMM(3, batch_size=2000, max_iter=5, tol=1e-4, random_state=0)
    again.fit([X[:7000], X[7000:]])
    assert again.n_iter_ >= 1


def test_estimator_schedule_is_validated():
    X = _blobs(500, 2, 2)
    with pytest.raises(ValueError, match="learning_decay"):
        _OnlineGMM(2, learning_decay=0.4).partial_fit(X)


class _OnlineBernoulli(OnlineMixtureMixin, emclust.BernoulliMixture):
    def __init__(
        self,
        n_components=1,
        *,
        tol=1e-3,
        alpha=1e-3,
        max_iter=100,
        random_state=None,
        n_threads=None,
        learning_offset=10.0,
        learning_decay=0.7,
        batch_size=None,
    ):
        super().__init__(
            n_components,
            tol=tol,
            alpha=alpha,
            max_iter=max_iter,
            random_state=random_state,
            n_threads=n_threads,
        )
        self.learning_offset = learning_offset
        self.learning_decay = learning_decay
        self.batch_size = batch_size

    def fit(self, X, y=None, sample_weight=None):
        if self.batch_size is not None:
            return self._fit_online(X, sample_weight)
        return super().fit(X, sample_weight=sample_weight)

    def _online_model(self):
        return BernoulliModel(self.alpha)

    def _online_check(self, X):
        return check_binary_array(X)

    def _online_initial(self, X, sample_weight):
        init = emclust.BernoulliMixture(
            self.n_components,
            alpha=self.alpha,
            max_iter=0,
            random_state=self.random_state,
        )
        _quiet_fit(init, X)
        return BernoulliParams(init.weights_, init.probabilities_)

    def _online_set(self, params, n_features):
        self.weights_ = params.weights
        self.probabilities_ = params.probabilities


def test_bernoulli_estimator_partial_fit():
    X = _binary(6000, 15, 3, seed=4)
    est = _OnlineBernoulli(3, random_state=0)
    for a in range(0, 6000, 500):
        est.partial_fit(X[a : a + 500])
    assert len(est.lower_bounds_) == 12
    assert np.isclose(est.weights_.sum(), 1.0)
    assert est.lower_bounds_[-1] > est.lower_bounds_[0]
    batch = _quiet_fit(emclust.BernoulliMixture(3, random_state=0), X)
    epochs = _OnlineBernoulli(3, random_state=0, batch_size=500, max_iter=20, tol=1e-5)
    epochs.fit(X)
    assert len(epochs.epoch_lower_bounds_) == epochs.n_iter_
    assert epochs.score(X) == pytest.approx(batch.score(X), rel=5e-3)
    with pytest.raises(ValueError, match=r"binary|0 or 1"):
        est.partial_fit(X[:10] + 0.5)
