"""Bad input to the Bernoulli mixture is rejected with a clear error."""

import emclust
import numpy as np
import pytest

X_OK = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0], [0, 0, 0]], dtype=np.float64)


@pytest.mark.parametrize(
    "value,match",
    [
        (0.5, r"X must be binary.*0\.5.*\[2, 1\]"),
        (2, r"X must be binary.*2.*\[2, 1\]"),
        (-1, r"X must be binary.*-1.*\[2, 1\]"),
        (np.nan, r"X must be binary.*nan.*\[2, 1\]"),
    ],
    ids=["half", "two", "minus-one", "nan"],
)
def test_non_binary_data_rejected(value, match):
    X = X_OK.copy()
    X[2, 1] = value
    # missing_values=None: NaN is an error, not a missing entry.
    with pytest.raises(ValueError, match=match):
        emclust.BernoulliMixture(2, missing_values=None).fit(X)


def test_non_binary_data_rejected_in_predict():
    bm = emclust.BernoulliMixture(2, random_state=0).fit(X_OK)
    with pytest.raises(ValueError, match="X must be binary"):
        bm.predict(X_OK * 3)


def test_strings_rejected():
    with pytest.raises(ValueError, match="could not convert string"):
        emclust.BernoulliMixture(1).fit(np.array([["no", "yes"]]))


def test_one_dimensional_rejected():
    with pytest.raises(ValueError, match="2D"):
        emclust.BernoulliMixture(1).fit(np.array([0, 1, 1]))


def test_wrong_number_of_features_at_predict():
    bm = emclust.BernoulliMixture(2, random_state=0).fit(X_OK)
    with pytest.raises(ValueError, match=r"X has 2 features.*expecting 3"):
        bm.predict(X_OK[:, :2])


def test_not_fitted():
    with pytest.raises(emclust.NotFittedError):
        emclust.BernoulliMixture(2).predict(X_OK)


@pytest.mark.parametrize(
    "kw,match",
    [
        (
            dict(probabilities_init=np.full((2, 2), 0.5)),
            r"probabilities_init must have shape \(2, 3\)",
        ),
        (
            dict(probabilities_init=np.full((3, 3), 0.5)),
            r"probabilities_init must have shape \(2, 3\)",
        ),
        (
            dict(probabilities_init=[[0.5, 1.0, 0.5], [0.5, 0.5, 0.5]]),
            "strictly between 0 and 1",
        ),
        (
            dict(probabilities_init=[[0.5, 0.0, 0.5], [0.5, 0.5, 0.5]]),
            "strictly between 0 and 1",
        ),
        (dict(weights_init=[1.0]), r"'weights' should have the shape of \(2,\)"),
        (dict(weights_init=[0.7, 0.7]), r"normalized.*\(weights_init\)"),
        # scikit-learn's parameter validation names the parameter.
        (dict(alpha=-1.0), r"'alpha' parameter.*\[0(\.0)?, inf\)"),
        (dict(alpha=np.inf), r"'alpha' parameter.*Got inf"),
        (dict(init_params="kmeans"), "'init_params' parameter"),
        (dict(max_iter=-1), "'max_iter' parameter"),
        (dict(n_init=0), "'n_init' parameter"),
        (dict(tol=-1.0), "'tol' parameter"),
        (dict(n_threads=0), "'n_threads' parameter"),
    ],
    ids=[
        "theta-too-few-features",
        "theta-too-many-components",
        "theta-one",
        "theta-zero",
        "weights-shape",
        "weights-sum",
        "alpha-negative",
        "alpha-inf",
        "init-unknown",
        "max-iter",
        "n-init",
        "tol",
        "n-threads",
    ],
)
def test_bad_parameters_rejected(kw, match):
    with pytest.raises(ValueError, match=match):
        emclust.BernoulliMixture(2, **kw).fit(X_OK)


def test_too_few_samples():
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        emclust.BernoulliMixture(5).fit(X_OK)


def test_sample_weight_shape():
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(4,\)"):
        emclust.BernoulliMixture(2).fit(X_OK, sample_weight=np.ones(3))


def test_n_components_type():
    with pytest.raises(TypeError, match=r"'n_components' parameter.*an int"):
        emclust.BernoulliMixture(2.0).fit(X_OK)
