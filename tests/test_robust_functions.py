"""The low-level public functions validate as the estimators do, and the
estimators' remaining input gaps are closed (issue 12, part B.2): each case
here was a silent wrong answer, a NaN or an unrelated error before."""

from __future__ import annotations

import warnings

import emclust
import numpy as np
import pytest
from emclust import (
    BernoulliStatistics,
    GaussianMixture,
    GaussianStatistics,
    KMeans,
)
from emclust.estimators.minibatch_kmeans import MiniBatchKMeans


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(1)
    return np.vstack([rng.normal(size=(50, 2)), rng.normal(size=(50, 2)) + 6])


@pytest.fixture(scope="module")
def B():
    return (np.random.default_rng(2).random((40, 3)) < 0.5).astype(np.float64)


def _quiet(est, X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emclust.ConvergenceWarning)
        return est.fit(X, **kw)


# --- mixture algebra ---------------------------------------------------------


def test_mixture_moments_refuses_a_negative_variance():
    """A covariance of -5 gave a mixture variance of -1.75."""
    with pytest.raises(ValueError, match=r"covariances\[0\] is not positive semi"):
        emclust.mixture_moments([0.5, 0.5], [[0.0], [1.0]], [[[-5.0]], [[1.0]]])


def test_sum_of_mixtures_refuses_an_indefinite_covariance():
    a = ([1.0], [[0.0, 0.0]], [[[1.0, 2.0], [2.0, 1.0]]])  # eigenvalues 3, -1
    b = ([1.0], [[0.0, 0.0]], [np.eye(2)])
    with pytest.raises(ValueError, match=r"a: covariances\[0\] is not positive semi"):
        emclust.sum_of_mixtures(a, b)
    with pytest.raises(ValueError, match=r"b: covariances\[0\] is not positive semi"):
        emclust.sum_of_mixtures(b, a)


def test_a_zero_covariance_is_still_a_distribution():
    mean, cov = emclust.mixture_moments([0.5, 0.5], [[0.0], [2.0]], [[[0.0]], [[0.0]]])
    assert mean[0] == 1.0 and cov[0, 0] == pytest.approx(1.0)


# --- Gaussian functions ------------------------------------------------------


def test_e_step_refuses_an_asymmetric_covariance(X):
    cov = [[[1.0, 0.5], [0.0, 1.0]]]
    with pytest.raises(ValueError, match=r"covariances\[0\] is not symmetric"):
        emclust.e_step(X, [1.0], [[0.0, 0.0]], cov)


def test_e_step_refuses_an_indefinite_covariance_naming_it(X):
    cov = [[[1.0, 2.0], [2.0, 1.0]]]
    with pytest.raises(ValueError, match=r"covariances\[0\] is not positive definite"):
        emclust.e_step(X, [1.0], [[0.0, 0.0]], cov)


@pytest.mark.parametrize(
    "weights, chol, message",
    [
        ([np.nan, 1.0], np.ones((2, 2)), "weights must be finite"),
        ([-1.0, 2.0], np.ones((2, 2)), "weights must be finite and non-negative"),
        ([0.0, 0.0], np.ones((2, 2)), "weights must have a positive sum"),
        ([0.5, 0.5], np.zeros((2, 2)), "precisions_cholesky must be positive"),
        ([0.5, 0.5], np.full((2, 2), np.nan), "precisions_cholesky contains NaN"),
        ([0.5, 0.5], np.full((2, 2), np.inf), "precisions_cholesky contains NaN"),
    ],
)
def test_gmm_statistics_refuses_invalid_parameters(X, weights, chol, message):
    """Before, each gave zero sums and a log-likelihood of -inf."""
    with pytest.raises(ValueError, match=message):
        emclust.gmm_statistics(X, weights, [[0.0, 0.0], [1.0, 1.0]], chol, "diag")


def test_gmm_statistics_refuses_a_full_factor_that_is_not_triangular(X):
    chol = np.stack([np.linalg.cholesky(np.eye(2) * 2)] * 2)
    chol[1, 1, 0] = 0.3  # both triangles of the second factor
    chol[1, 0, 1] = 0.2
    with pytest.raises(ValueError, match=r"triangular .* with a positive diagonal"):
        emclust.gmm_statistics(X, [0.5, 0.5], [[0, 0], [1, 1.0]], chol, "full")


def test_gmm_statistics_takes_lower_and_upper_factors_alike(X):
    """scikit-learn keeps the lower factor of precisions_init; P = C Cᵀ is
    what the statistics use, whichever triangle C fills."""
    P = np.array([[2.0, 0.6], [0.6, 1.0]])
    lower = np.linalg.cholesky(P)
    flip = np.eye(2)[::-1]
    upper = flip @ np.linalg.cholesky(flip @ P @ flip) @ flip
    args = (X, [0.5, 0.5], [[0, 0], [1, 1.0]])
    a = emclust.gmm_statistics(*args, np.stack([lower] * 2), "full")
    b = emclust.gmm_statistics(*args, np.stack([upper] * 2), "full")
    np.testing.assert_allclose(a.log_likelihood, b.log_likelihood, rtol=1e-12)
    np.testing.assert_allclose(a.resp_sum, b.resp_sum, rtol=1e-12)


def test_gmm_statistics_refuses_non_finite_means(X):
    with pytest.raises(ValueError, match="means contains NaN"):
        emclust.gmm_statistics(
            X, [0.5, 0.5], [[np.nan, 0], [1, 1.0]], np.ones((2, 2)), "diag"
        )


def _gaussian_stats(**change):
    fields = {
        "covariance_type": "diag",
        "dtype": "float64",
        "shift": np.zeros((2, 2)),
        "resp_sum": np.array([3.0, 4.0]),
        "first": np.ones((2, 2)),
        "second": np.full((2, 2), 5.0),
        "log_likelihood": -10.0,
        "weight_sum": 7.0,
    }
    fields.update(change)
    return GaussianStatistics(**fields)


def test_gaussian_statistics_as_built_give_an_m_step():
    weights, means, cov, chol = _gaussian_stats().m_step()
    assert weights.sum() == pytest.approx(1.0)
    assert np.isfinite(means).all() and (cov > 0).all() and (chol > 0).all()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"weight_sum": 0.0}, "resp_sum|weight_sum"),
        ({"resp_sum": np.zeros(2), "weight_sum": 0.0}, "resp_sum"),
        ({"weight_sum": 0.0 * np.nan}, "weight_sum must be finite"),
        ({"resp_sum": np.array([-1.0, 8.0])}, "resp_sum must be non-negative"),
        ({"resp_sum": np.array([np.nan, 1.0])}, "resp_sum contains NaN"),
        ({"shift": np.zeros(2)}, r"shift must have shape \(n_components"),
        ({"first": np.ones((3, 2))}, r"first must have shape \(2, 2\)"),
        ({"second": np.ones((2, 2, 2))}, r"second must have shape \(2, 2\)"),
        ({"second": np.full((2, 2), np.inf)}, "second contains NaN"),
        ({"covariance_type": "banana"}, "covariance_type must be one of"),
        ({"dtype": "int8"}, "dtype must be one of"),
    ],
)
def test_gaussian_statistics_m_step_refuses_what_it_cannot_solve(change, message):
    """weight_sum=0 gave NaN weights; a 1-D shift an IndexError."""
    with pytest.raises(ValueError, match=message):
        _gaussian_stats(**change).m_step()


@pytest.mark.parametrize(
    "resp_sum, x_sum, message",
    [
        ([-1.0, 2.0], np.ones((2, 3)), "resp_sum must be non-negative"),
        ([0.0, 0.0], np.zeros((2, 3)), "positive sum"),
        ([1.0, np.inf], np.ones((2, 3)), "must be finite"),
        ([1.0, 2.0], np.full((2, 3), 5.0), "x_sum must lie between 0 and resp_sum"),
        ([1.0, 2.0], np.ones(3), r"x_sum must have shape \(2, n_features\)"),
    ],
)
def test_bernoulli_statistics_m_step_refuses_impossible_sums(resp_sum, x_sum, message):
    st = BernoulliStatistics("float64", np.array(resp_sum), np.asarray(x_sum))
    with pytest.raises(ValueError, match=message):
        st.m_step()


def test_bernoulli_statistics_refuses_all_zero_weights(B):
    """Zero weights gave a NaN log-likelihood."""
    with pytest.raises(ValueError, match="weights must have a positive sum"):
        emclust.bernoulli_statistics(B, [0.0, 0.0], np.full((2, 3), 0.5))


# --- K-means functions -------------------------------------------------------


@pytest.mark.parametrize(
    "centers, shift, message",
    [
        ([[0.0, 0.0], [1.0, 1.0]], [np.nan, 0.0], "shift contains NaN"),
        ([[0.0, 0.0], [1.0, 1.0]], [np.inf, 0.0], "shift contains NaN"),
        ([[np.nan, 0.0], [1.0, 1.0]], None, "centers contains NaN"),
        ([[np.inf, 0.0], [1.0, 1.0]], None, "centers contains NaN"),
    ],
)
def test_kmeans_statistics_refuses_non_finite_centres_and_shift(
    X, centers, shift, message
):
    """A NaN shift put every row in cluster 0 with a finite inertia."""
    with pytest.raises(ValueError, match=message):
        emclust.kmeans_statistics(X, centers, shift=shift)
    with pytest.raises(ValueError, match=message):
        emclust.kmeans_relocation_candidates(X, centers, shift=shift)


def test_chunk_weights_whose_sum_overflows(X):
    w = np.full(X.shape[0], 1e307)
    with pytest.raises(ValueError, match="sum of the weights overflows"):
        emclust.kmeans_statistics(X, [[0.0, 0.0], [1.0, 1.0]], sample_weight=w)


# --- estimators ----------------------------------------------------------------


def test_from_parameters_refuses_an_asymmetric_covariance():
    with pytest.raises(ValueError, match=r"covariances\[0\] is not symmetric"):
        GaussianMixture.from_parameters([1.0], [[0.0, 0.0]], [[[1, 0.5], [0, 1.0]]])


def test_from_parameters_symmetrises_rounding_and_the_model_loads(tmp_path, X):
    """Symmetric to 1e-11 was kept as given (the core read one triangle):
    save wrote it and load refused it."""
    cov = np.array([[[1.0, 0.5], [0.5 + 1e-11, 1.0]]])
    gm = GaussianMixture.from_parameters([1.0], [[0.0, 0.0]], cov)
    np.testing.assert_array_equal(gm.covariances_[0], gm.covariances_[0].T)
    back = emclust.load(gm.save(tmp_path / "m.json"))
    np.testing.assert_array_equal(back.score_samples(X), gm.score_samples(X))


@pytest.mark.parametrize("init_params", ["k-means++", "random_from_data"])
def test_an_initialisation_only_fit_saves_and_loads(tmp_path, X, init_params):
    """max_iter=0 with k-means++ gave weights summing to K/n: save wrote them
    and load refused them."""
    gm = _quiet(
        GaussianMixture(3, init_params=init_params, max_iter=0, random_state=0), X
    )
    assert gm.weights_.sum() == pytest.approx(1.0, abs=1e-12)
    back = emclust.load(gm.save(tmp_path / "m.json"))
    np.testing.assert_array_equal(back.weights_, gm.weights_)
    # The continued fit is that of a cold one: responsibilities do not
    # depend on a common factor of the weights.
    warm = _quiet(gm.set_params(warm_start=True, max_iter=5, tol=0), X)
    cold = _quiet(
        GaussianMixture(3, init_params=init_params, max_iter=5, tol=0, random_state=0),
        X,
    )
    np.testing.assert_allclose(warm.means_, cold.means_, rtol=1e-12)


@pytest.mark.parametrize(
    "change",
    [
        {"n_components": 3},
        {"covariance_type": "diag"},
        {"covariance_type": "tied"},
    ],
)
def test_warm_start_refuses_a_changed_shape_before_changing_anything(X, change):
    gm = GaussianMixture(2, warm_start=True, random_state=0).fit(X)
    before = {
        k: np.copy(getattr(gm, k)) for k in ("weights_", "means_", "covariances_")
    }
    gm.set_params(**change)
    with pytest.raises(ValueError, match="warm_start=True continues the current fit"):
        gm.fit(X)
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(gm, name), value)


def test_warm_start_compares_the_covariance_type_when_shapes_coincide():
    """With K == d, "tied" (d, d) and "diag" (K, d) covariances have the same
    shape: the type is compared too."""
    X = np.random.default_rng(4).normal(size=(60, 2))
    gm = GaussianMixture(2, covariance_type="tied", warm_start=True, random_state=0)
    gm.fit(X)
    gm.set_params(covariance_type="diag")
    with pytest.raises(ValueError, match="'tied' covariances_"):
        gm.fit(X)


@pytest.mark.parametrize(
    "make",
    [
        lambda: KMeans(2, n_init=1),
        lambda: emclust.KMedians(2, n_init=1),
        lambda: GaussianMixture(1),
        lambda: MiniBatchKMeans(2, n_init=1),
    ],
)
@pytest.mark.parametrize("dtype", ["datetime64[s]", "datetime64[D]", "timedelta64[ms]"])
def test_dates_are_a_type_error_not_epoch_counts(make, dtype):
    X = np.arange(10).astype(dtype).reshape(-1, 1)
    with pytest.raises(TypeError, match="X holds dates or durations"):
        make().fit(X)


def test_dates_in_a_dataframe_are_a_type_error():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"t": pd.date_range("2020-01-01", periods=10), "v": np.arange(10.0)}
    )
    with pytest.raises(TypeError, match="X holds dates"):
        KMeans(2, n_init=1).fit(frame)


def test_dates_after_fit_are_a_type_error(X):
    km = KMeans(2, n_init=1, random_state=0).fit(X[:, :1])
    with pytest.raises(TypeError, match="X holds dates"):
        km.predict(np.arange(5).astype("datetime64[s]").reshape(-1, 1))


@pytest.mark.parametrize(
    "make",
    [
        lambda: KMeans(2, n_init=1, random_state=0),
        lambda: GaussianMixture(2, random_state=0),
    ],
)
def test_a_scalar_sample_weight_weighs_every_row_alike(X, make):
    """As in scikit-learn; before, 2.0 failed with "got (1,)"."""
    scalar = make().fit(X, sample_weight=2.0)
    ones = make().fit(X, sample_weight=np.full(X.shape[0], 2.0))
    if hasattr(scalar, "cluster_centers_"):
        np.testing.assert_array_equal(scalar.cluster_centers_, ones.cluster_centers_)
    else:
        np.testing.assert_array_equal(scalar.means_, ones.means_)


@pytest.mark.parametrize(
    "make", [lambda: KMeans(2, n_init=1), lambda: GaussianMixture(2)]
)
def test_a_weight_sum_that_overflows_is_named(X, make):
    """KMeans gave a NaN centre; the statistics path the misleading "only
    statistics of the same covariance type ... can be added"."""
    with pytest.raises(
        ValueError, match="sample_weight: the sum of the weights overflows"
    ):
        make().fit(X + 10, sample_weight=np.full(X.shape[0], 1e307))


# --- what the fuzz suites found (tests/test_fuzz_*.py), one regression each -----


@pytest.mark.parametrize(
    "make", [lambda: KMeans(2, n_init=1), lambda: GaussianMixture(1)]
)
def test_plus_and_minus_infinity_in_x_is_a_value_error_without_a_warning(make):
    """The fast finiteness check summed inf - inf: a RuntimeWarning first."""
    with pytest.raises(ValueError, match="X"):
        make().fit(np.array([[np.inf, -np.inf], [0.0, 1.0], [1.0, 0.0]]))


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_a_far_row_with_a_missing_entry_is_refused_not_given_zero_probabilities(
    X, covariance_type
):
    gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(X)
    row = np.array([[np.nan, 1e300]])
    for method in (gm.predict_proba, gm.score_samples, gm.predict):
        with pytest.raises(ValueError, match="X row 0 is too far"):
            method(row)
    assert np.isfinite(gm.predict_proba(np.array([[np.nan, 1.0]]))).all()


def test_minibatch_kmeans_at_the_float64_limit_is_refused_and_not_fitted():
    est = MiniBatchKMeans(3, n_init=1, max_iter=1, random_state=0)
    with pytest.raises(ValueError, match="scale of X"):
        est.fit(np.array([[1e308], [-0.13], [0.64]]))
    assert not hasattr(est, "cluster_centers_")


def test_minibatch_kmeans_weights_are_checked_as_everywhere(X):
    est = MiniBatchKMeans(2, n_init=1, random_state=0)
    with pytest.raises(ValueError, match="sum of the weights overflows"):
        est.fit(X, sample_weight=np.full(X.shape[0], 1e307))
    a = MiniBatchKMeans(2, n_init=1, random_state=0).fit(X, sample_weight=2.0)
    b = MiniBatchKMeans(2, n_init=1, random_state=0).fit(
        X, sample_weight=np.full(100, 2.0)
    )
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)


def test_mixture_algebra_overflow_is_a_value_error():
    means = [[6.4e154], [1.0e154]]
    with pytest.raises(ValueError, match="overflows floating point"):
        emclust.mixture_moments([0.5, 0.5], means, [[[1.0]], [[1.0]]])
    a = ([1.0], [[1e308]], [[[1.0]]])
    with pytest.raises(ValueError, match="overflows floating point"):
        emclust.sum_of_mixtures(a, a)


def test_kmeans_chunk_functions_refuse_overflowing_distances():
    X, far = np.array([[0.1]]), np.array([[3e299]])
    with pytest.raises(ValueError, match="overflows floating point"):
        emclust.kmeans_statistics(X, far)
    with pytest.raises(ValueError, match="overflow floating point"):
        emclust.kmeans_relocation_candidates(X, far)


def test_m_step_at_the_float64_limit_is_a_value_error():
    with pytest.raises(ValueError, match="M-step overflows"):
        emclust.m_step(np.array([[1e308, -0.13]]), np.ones((1, 1)), "full")


def test_a_float32_file_value_beyond_float32_is_refused_without_a_warning(tmp_path, X):
    import json

    from emclust.io import _checksum

    path = (
        GaussianMixture(2, random_state=0)
        .fit(X.astype(np.float32))
        .save(tmp_path / "m.json")
    )
    content = json.loads(path.read_text())
    content["attributes"]["means_"]["data"][0] = 3.4028235677973366e38
    body = {k: content[k] for k in ("kind", "dtype", "params", "attributes")}
    content["checksum"] = _checksum(body)
    path.write_text(json.dumps(content))
    with pytest.raises(ValueError, match="means_ holds values that are not float32"):
        emclust.load(path)


def test_a_damaged_npy_header_is_a_cli_error(tmp_path):
    from emclust.cli._data import read_data
    from emclust.cli._errors import CLIError

    path = tmp_path / "data.npy"
    np.save(path, np.zeros((4, 2)))
    data = path.read_bytes()
    path.write_bytes(data[:10] + b" 'shape': (20, 2), }" + data[50:])
    with pytest.raises(CLIError, match=r"not a valid \.npy file"):
        read_data(str(path))


def _npy_with_header(header):
    """The bytes of a version 1.0 .npy file with this header text and no data."""
    text = header.encode("latin1")
    pad = 64 - (10 + len(text) + 1) % 64
    text += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text


def test_an_npy_header_numpy_rejects_is_a_cli_error(tmp_path):
    # numpy's own ValueError (a header without 'shape'), whatever the Python.
    from emclust.cli._data import read_data
    from emclust.cli._errors import CLIError

    path = tmp_path / "data.npy"
    path.write_bytes(_npy_with_header("{'descr': '<f8', 'fortran_order': False, }"))
    with pytest.raises(CLIError, match=r"not a valid \.npy file \(ValueError"):
        read_data(str(path))


def test_a_pickled_npy_array_is_refused_by_name(tmp_path):
    from emclust.cli._data import read_data
    from emclust.cli._errors import CLIError

    path = tmp_path / "data.npy"
    np.save(path, np.array([[1.0, "a"]], dtype=object), allow_pickle=True)
    with pytest.raises(CLIError, match=r"holds Python objects"):
        read_data(str(path))
