"""Agreement with mclust 6.0 (issue 27): MclustDA's EDDA posteriors on iris,
its MclustDA choice of components, hypvol, and Mclust with a noise start on
diabetes. The references come from scripts/mclust/export_classifier_noise.R
(committed in tests/mclust/; the tests need no R)."""

import json
from pathlib import Path

import emclust
import numpy as np
import pytest
from emclust.models import masked

HERE = Path(__file__).parent / "mclust"


def _table(name):
    return np.loadtxt(HERE / name, delimiter=",", skiprows=1)


def _iris():
    X = _table("data/iris.csv")
    return X, np.repeat([0, 1, 2], 50)


@pytest.mark.parametrize("model, rtol", [("EEE", 1e-12), ("VVV", 1e-12), ("VEV", 1e-8)])
def test_edda_posteriors_equal_mclust(model, rtol):
    X, y = _iris()
    clf = emclust.GaussianMixtureClassifier(covariance_type=model).fit(X, y)
    z = _table(f"iris_edda_{model}.csv")
    np.testing.assert_allclose(clf.predict_proba(X), z, rtol=0, atol=rtol * 1e2)


# mclust names a one-component model with a full covariance XXX.
FULL_AT_ONE = {"EEE", "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV"}


def _labelled(name):
    if name == "iris":
        X, y = _iris()
        return X, np.array(["setosa", "versicolor", "virginica"])[y]
    D = _table("data/diabetes.csv")
    y = np.loadtxt(HERE / "diabetes_class.csv", skiprows=1, dtype=str)
    return D, np.char.strip(y, '"')


@pytest.mark.parametrize("name", ["iris", "diabetes"])
def test_mclustda_default_equals_mclust(name):
    # MclustDA(X, class): per class, G = 1..5 and every model by BIC.
    reference = json.loads((HERE / "mclustda.json").read_text())[name]
    X, y = _labelled(name)
    clf = emclust.GaussianMixtureClassifier(
        "bic", covariance_type="all", tol=1e-5, max_iter=1000
    ).fit(X, y)
    for c, ref in enumerate(reference["classes"]):
        assert clf.classes_[c] == ref["class"]
        assert clf.n_components_per_class_[c] == ref["G"], ref["class"]
        model = clf.class_covariance_types_[c]
        if ref["model"] == "XXX":
            assert model in FULL_AT_ONE, ref["class"]
        else:
            assert model == ref["model"], ref["class"]
        # The class's BIC is at least as good as mclust's (scikit-learn's
        # sign: lower is better).
        selector = emclust.GaussianMixtureSelector(
            range(1, 6), tol=1e-5, max_iter=1000
        ).fit(X[y == ref["class"]])
        mclust_bic = ref["df"] * np.log(ref["n"]) - 2 * ref["loglik"]
        assert selector.best_score_ <= mclust_bic + 0.1, ref["class"]
    assert 1 - clf.score(X, y) == pytest.approx(reference["train_error"])


def test_mclustda_choice_of_components_on_iris():
    # MclustDA(iris): setosa EEE with 2 components, the others one Gaussian
    # (training error 0.02).
    X, y = _iris()
    clf = emclust.GaussianMixtureClassifier(
        "bic", covariance_type="EEE", random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(clf.n_components_per_class_, [2, 1, 1])
    assert 1 - clf.score(X, y) == pytest.approx(0.02)


def test_hypvol_equals_mclust():
    X, _ = _iris()
    D = _table("data/diabetes.csv")
    assert np.exp(masked.hypervolume(X)) == pytest.approx(27.2412, rel=1e-5)
    assert np.exp(masked.hypervolume(D)) == pytest.approx(120689699, rel=1e-8)


def test_noise_fit_of_diabetes_agrees_with_mclust():
    # Mclust(diabetes, G=3, "VVV", initialization=list(noise=mask)):
    # loglik -2298.791, BIC -4751.86 (df 31), pro 0.5595 0.2298 0.1913 and
    # noise 0.0194, 2 noise rows. mclust stops at its default tol (1e-5); the
    # fit here converges further, to a log-likelihood 0.006 higher.
    D = _table("data/diabetes.csv")
    mask = np.loadtxt(HERE / "diabetes_noise_init.csv", skiprows=1, dtype=str) == "TRUE"
    fits = [
        emclust.GaussianMixture(
            3, covariance_type="VVV", noise=True, noise_init=mask, reg_covar=0.0,
            tol=1e-10, max_iter=5000, random_state=seed,
        ).fit(D)
        for seed in range(3)
    ]  # fmt: skip
    gm = max(fits, key=lambda g: g.lower_bound_)
    loglik = gm.score(D) * len(D)
    assert loglik == pytest.approx(-2298.791, abs=0.02)
    assert gm.bic(D) == pytest.approx(4751.86, abs=0.05)
    assert gm._n_parameters() == 31
    np.testing.assert_allclose(
        np.sort(gm.weights_)[::-1], [0.5595, 0.2298, 0.1913], atol=0.005
    )
    assert gm.noise_weight_ == pytest.approx(0.0194, abs=0.002)
    assert (gm.predict(D) == -1).sum() == 2


@pytest.mark.parametrize("name", ["iris", "diabetes"])
def test_noise_selection_equals_mclust(name):
    # Mclust(X, initialization = list(noise = mask)) over G = 1..9 and the 14
    # models, against the selector from the same noise start.
    reference = json.loads((HERE / "noise_selection.json").read_text())[name]
    X = _labelled(name)[0]
    mask = np.loadtxt(HERE / f"{name}_noise_init.csv", skiprows=1, dtype=str) == "TRUE"
    s = emclust.GaussianMixtureSelector(noise=True, noise_init=mask).fit(X)
    assert s.best_params_ == {
        "n_components": reference["G"],
        "covariance_type": reference["model"],
    }
    assert s.best_score_ <= -reference["bic"] + 0.1
    assert s.best_score_ == pytest.approx(-reference["bic"], abs=0.1)
    assert (s.labels_ == -1).sum() == reference["n_noise"]


def test_selector_noise_init_needs_the_noise():
    X = _labelled("iris")[0]
    with pytest.raises(ValueError, match=r"noise_init .* needs noise=True"):
        emclust.GaussianMixtureSelector(noise_init=np.zeros(150, bool)).fit(X)
    with pytest.raises(ValueError, match="noise_init must be a boolean array"):
        emclust.GaussianMixtureSelector(noise=True, noise_init=np.zeros(3, bool)).fit(X)
