"""Bad input gets a ValueError or TypeError that names what was wrong."""

import emclust
import numpy as np
import pytest
from _gmm_data import blobs

X = blobs(n=50, seed=30)


# scikit-learn's validation, with its messages (ValueError throughout, as
# its common checks expect).
@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        pytest.param(np.r_[X[:5], [[np.nan, 0, 0]]], ValueError, "NaN", id="nan"),
        pytest.param(np.r_[X[:5], [[np.inf, 0, 0]]], ValueError, "infinity", id="inf"),
        pytest.param(X[:, 0], ValueError, "2D", id="1-d"),
        pytest.param(X[None], ValueError, "dim 3", id="3-d"),
        pytest.param(np.empty((0, 3)), ValueError, "0 sample", id="empty"),
        pytest.param(np.empty((5, 0)), ValueError, "0 feature", id="no-features"),
        pytest.param([["a", "b"], ["c", "d"]], ValueError, "string", id="strings"),
        pytest.param(X.astype(complex), ValueError, "Complex", id="complex"),
        pytest.param(
            np.array([[1, "x"], [2, 3]], dtype=object),
            ValueError,
            "could not convert",
            id="object",
        ),
        pytest.param(
            np.array([[1, None], [2, 3]]), ValueError, "NaN", id="none-is-missing"
        ),
    ],
)
def test_bad_data(data, error, match):
    # missing_values=None: NaN is an error, not a missing entry (the default,
    # np.nan, fits it: tests/test_missing_estimators.py).
    with pytest.raises(error, match=match):
        emclust.GaussianMixture(2, missing_values=None).fit(data)


def test_too_few_samples():
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        emclust.GaussianMixture(5).fit(X[:4])


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"n_components": 0}, ValueError, "n_components"),
        ({"n_components": 2.5}, TypeError, "n_components"),
        ({"covariance_type": "banana"}, ValueError, "covariance_type"),
        ({"tol": -1.0}, ValueError, "tol"),
        ({"reg_covar": -1e-6}, ValueError, "reg_covar"),
        ({"reg_covar": float("nan")}, ValueError, "reg_covar"),
        ({"max_iter": -1}, ValueError, "max_iter"),
        ({"n_init": 0}, ValueError, "n_init"),
        ({"init_params": "kmeans+"}, ValueError, "init_params"),
        ({"n_threads": 0}, ValueError, "n_threads"),
        ({"random_state": "seed"}, TypeError, "random_state"),
        ({"random_state": -3}, ValueError, "random_state"),
        ({"weights_init": [0.5, 0.6]}, ValueError, r"normalized.*\(weights_init\)"),
        (
            # scikit-learn's words (its test file matches them, "max value"
            # before the smallest), then which is which.
            {"weights_init": [1.25, 1.5]},
            ValueError,
            r"range \[0, 1\], but got max value 1\.25000, min value 1\.50000 "
            r"\(smallest weight 1\.25000, largest 1\.50000\) \(weights_init\)",
        ),
        (
            {"weights_init": [1.0]},
            ValueError,
            r"'weights' should have the shape of \(2,\)",
        ),
        (
            {"means_init": np.zeros((3, 3))},
            ValueError,
            r"'means' should have the shape of \(2, 3\).*\(means_init\)",
        ),
        (
            {"precisions_init": np.ones((2, 3))},
            ValueError,
            "'full precision' should have the shape",
        ),
        (
            {"precisions_init": np.stack([np.eye(3), -np.eye(3)])},
            ValueError,
            "positive-definite",
        ),
        (
            {"covariance_type": "spherical", "precisions_init": [1.0, 0.0]},
            ValueError,
            r"'spherical precision' should be positive \(precisions_init\)",
        ),
    ],
    ids=lambda v: "-".join(map(str, v)) if isinstance(v, dict) else None,
)
def test_bad_parameters(params, error, match):
    with pytest.raises(error, match=match):
        emclust.GaussianMixture(**{"n_components": 2, **params}).fit(X)


def test_wrong_number_of_features_at_predict_time():
    gm = emclust.GaussianMixture(2, random_state=0).fit(X)
    for method in (gm.predict, gm.predict_proba, gm.score_samples, gm.score, gm.bic):
        with pytest.raises(
            ValueError, match="X has 2 features, but GaussianMixture is expecting 3"
        ):
            method(X[:, :2])


def test_unfitted_model():
    with pytest.raises(emclust.NotFittedError, match="not fitted"):
        emclust.GaussianMixture(2).predict(X)


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [("n_components", 2, 2.0), ("warm_start", False, 0)],
)
def test_parameters_passed_once_are_checked_again_in_another_type(name, good, bad):
    # Validated parameter sets are remembered by value and type: 2.0 == 2
    # and False == 0 hash alike, yet each must still be refused.
    gm = emclust.GaussianMixture(**{"n_components": 2, name: good}).fit(X)
    gm.set_params(**{name: bad})
    with pytest.raises((ValueError, TypeError), match=name):
        gm.fit(X)


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (np.ones(3), r"shape \(50,\)"),
        (-np.ones(50), "non-negative"),
        (np.zeros(50), "positive sum"),
        (np.full(50, np.nan), "NaN"),
        (np.array(["a"] * 50), "numeric"),
    ],
    ids=["shape", "negative", "zero-sum", "nan", "strings"],
)
def test_bad_sample_weight(weights, match):
    with pytest.raises((ValueError, TypeError), match=match):
        emclust.GaussianMixture(2).fit(X, sample_weight=weights)


def test_set_params_rejects_unknown_names():
    with pytest.raises(ValueError, match="Invalid parameter 'n_clusters'"):
        emclust.GaussianMixture().set_params(n_clusters=3)


def test_low_level_steps_check_their_arguments():
    with pytest.raises(ValueError, match="covariances must have shape"):
        emclust.e_step(X, [0.5, 0.5], X[:2], np.eye(3), "full")
    with pytest.raises(ValueError, match="'weights' should be normalized"):
        emclust.e_step(X, [0.5, 0.6], X[:2], np.stack([np.eye(3)] * 2), "full")
    with pytest.raises(ValueError, match="resp has 3 rows"):
        emclust.m_step(X, np.ones((3, 2)) / 2, "full")
    # e_step has no reg_covar: the message names the argument instead.
    with pytest.raises(ValueError, match=r"covariances\[0\] is not positive definite"):
        emclust.e_step(X, [0.5, 0.5], X[:2], np.zeros((2, 3, 3)), "full")


def test_integer_and_boolean_data_are_accepted_as_float64():
    Xi = np.round(X * 10).astype(np.int32)
    a = emclust.GaussianMixture(2, random_state=0).fit(Xi)
    b = emclust.GaussianMixture(2, random_state=0).fit(Xi.astype(np.float64))
    np.testing.assert_array_equal(a.means_, b.means_)


def test_non_contiguous_input_gives_the_same_fit():
    Xf = np.asfortranarray(X)
    a = emclust.GaussianMixture(2, random_state=0).fit(Xf)
    b = emclust.GaussianMixture(2, random_state=0).fit(X)
    np.testing.assert_array_equal(a.means_, b.means_)
