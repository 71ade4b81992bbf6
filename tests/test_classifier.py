"""GaussianMixtureClassifier (issue 27): EDDA against LDA and the closed-form
Gaussian classifier, MclustDA ("bic"), the semi-supervised fit against the
NumPy reference, and its errors."""

import emclust
import numpy as np
import pytest
from emclust.reference import masked as ref
from sklearn.datasets import load_iris, load_wine
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

DATASETS = {"iris": load_iris, "wine": load_wine}


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("covariance_type", ["tied", "EEE"])
def test_tied_equals_lda_lsqr(name, covariance_type):
    X, y = DATASETS[name](return_X_y=True)
    clf = emclust.GaussianMixtureClassifier(covariance_type=covariance_type).fit(X, y)
    lda = LinearDiscriminantAnalysis(solver="lsqr").fit(X, y)
    np.testing.assert_allclose(
        clf.predict_proba(X), lda.predict_proba(X), rtol=0, atol=1e-8
    )
    np.testing.assert_array_equal(clf.predict(X), lda.predict(X))
    np.testing.assert_allclose(clf.priors_, lda.priors_, rtol=1e-15)


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize(
    "covariance_type", ["full", "diag", "spherical", "VVV", "EEI", "VII", "EVV", "VEV"]
)
def test_one_component_per_class_is_the_closed_form_classifier(name, covariance_type):
    X, y = DATASETS[name](return_X_y=True)
    clf = emclust.GaussianMixtureClassifier(covariance_type=covariance_type).fit(X, y)
    classes, priors, means, covs = ref.edda_fit(X, y, covariance_type)
    np.testing.assert_array_equal(clf.classes_, classes)
    np.testing.assert_allclose(clf.means_, means, rtol=1e-10)
    np.testing.assert_allclose(clf.covariances_, covs, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(
        clf.predict_proba(X),
        ref.gaussian_classifier_proba(X, priors, means, covs),
        rtol=0,
        atol=1e-8,
    )


def test_full_is_the_gaussian_maximum_likelihood_classifier():
    X, y = load_iris(return_X_y=True)
    clf = emclust.GaussianMixtureClassifier(covariance_type="full").fit(X, y)
    # The ML estimates written out: class means and biased class covariances.
    for c in range(3):
        Xc = X[y == c]
        np.testing.assert_allclose(clf.means_[c], Xc.mean(0), rtol=1e-12)
        np.testing.assert_allclose(
            clf.covariances_[c], np.cov(Xc, rowvar=False, bias=True), rtol=1e-10
        )
    np.testing.assert_allclose(clf.priors_, [1 / 3] * 3)


def test_string_labels_priors_and_log_proba():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = emclust.GaussianMixtureClassifier(priors=[0.2, 0.3, 0.5]).fit(X, names)
    np.testing.assert_array_equal(clf.classes_, ["setosa", "versicolor", "virginica"])
    assert set(clf.predict(X)) <= set(names)
    np.testing.assert_allclose(clf.predict_proba(X).sum(1), 1.0)
    np.testing.assert_allclose(
        np.exp(clf.predict_log_proba(X)), clf.predict_proba(X), rtol=1e-12
    )
    # Priors move the posterior as Bayes' rule says (iris is balanced).
    even = emclust.GaussianMixtureClassifier().fit(X, names)
    shift = clf.predict_log_proba(X) - even.predict_log_proba(X)
    np.testing.assert_allclose(
        shift - shift[:, [0]], np.log([[1.0, 1.5, 2.5]]).repeat(150, 0), atol=1e-9
    )
    assert clf.score(X, names) > 0.95


def _bimodal(n, seed):
    """Class 0 at x = -6 and 6, class 1 at x = 0 and 12: each class is
    bimodal along x, so one Gaussian per class is a poor model."""
    rng = np.random.default_rng(seed)
    centres = np.array([[-6.0, 0.0], [6.0, 0.0], [0.0, 0.0], [12.0, 0.0]])
    which = rng.integers(0, 4, n)
    X = centres[which] + rng.standard_normal((n, 2))
    return X, (which >= 2).astype(int)


def test_bic_per_class_on_bimodal_classes():
    X, y = _bimodal(600, 0)
    bic = emclust.GaussianMixtureClassifier("bic", random_state=0)
    one = emclust.GaussianMixtureClassifier(1)
    acc_bic = cross_val_score(bic, X, y, cv=5).mean()
    acc_one = cross_val_score(one, X, y, cv=5).mean()
    assert acc_bic >= 0.97
    assert acc_bic - acc_one > 0.2
    fitted = bic.fit(X, y)
    np.testing.assert_array_equal(fitted.n_components_per_class_, [2, 2])


def test_several_components_per_class_int_and_dict():
    X, y = _bimodal(400, 1)
    a = emclust.GaussianMixtureClassifier(2, random_state=0).fit(X, y)
    b = emclust.GaussianMixtureClassifier({0: 2, 1: 2}, random_state=0).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert a.score(X, y) > 0.97
    c = emclust.GaussianMixtureClassifier({1: 3}, random_state=0).fit(X, y)
    np.testing.assert_array_equal(c.n_components_per_class_, [1, 3])


def test_pipeline_and_grid_search():
    X, y = load_wine(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), emclust.GaussianMixtureClassifier())
    grid = GridSearchCV(
        pipe,
        {"gaussianmixtureclassifier__covariance_type": ["tied", "full", "diag"]},
        cv=3,
    ).fit(X, y)
    assert grid.best_score_ > 0.9


# --- semi-supervised ---------------------------------------------------------------


def _partly_labelled(y, per_class, seed):
    rng = np.random.default_rng(seed)
    ys = np.full_like(y, -1)
    for c in np.unique(y):
        ys[rng.choice(np.flatnonzero(y == c), per_class, replace=False)] = c
    return ys


@pytest.mark.parametrize("covariance_type", ["full", "tied", "VEV"])
def test_iris_with_three_labelled_rows_per_class(covariance_type):
    # Ten draws of the 3 labelled rows per class. ("full": 19 of 20 draws
    # reach 0.965 or more, one 0.943.)
    X, y = load_iris(return_X_y=True)
    accuracies = []
    for seed in range(10):
        ys = _partly_labelled(y, 3, seed)
        clf = emclust.GaussianMixtureClassifier(
            covariance_type=covariance_type, tol=1e-8, max_iter=2000
        ).fit(X, ys)
        rest = ys == -1
        accuracies.append((clf.transduction_[rest] == y[rest]).mean())
        # Labelled rows keep their labels.
        np.testing.assert_array_equal(clf.transduction_[~rest], ys[~rest])
    assert np.mean(accuracies) >= 0.95
    assert np.min(accuracies) >= 0.94


@pytest.mark.parametrize(
    "covariance_type", ["full", "tied", "diag", "spherical", "VEV"]
)
def test_semi_supervised_log_likelihood_never_decreases(covariance_type):
    X, y = load_iris(return_X_y=True)
    ys = _partly_labelled(y, 5, 3)
    clf = emclust.GaussianMixtureClassifier(
        covariance_type=covariance_type, tol=0.0, max_iter=60
    )
    with pytest.warns(emclust.ConvergenceWarning):
        clf.fit(X, ys)
    bounds = np.asarray(clf.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-12 * np.abs(bounds[1:]))


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "VVI", "EEV"])
def test_masked_em_equals_the_reference(covariance_type):
    X, y = load_iris(return_X_y=True)
    ys = _partly_labelled(y, 8, 4)
    row_class = np.where(ys >= 0, ys, -1)
    from emclust.models import masked

    start = ref.masked_m_step(X[ys >= 0], np.eye(3)[ys[ys >= 0]], covariance_type)
    weights, means, covs, _ = start
    from emclust.models.gaussian import precision_cholesky

    d = X.shape[1]
    chol = precision_cholesky(covs, covariance_type, d)
    got = masked.fit_masked(
        X,
        None,
        covariance_type,
        (weights, means, covs, chol),
        row_class=row_class,
        component_class=[0, 1, 2],
        tol=0.0,
        max_iter=25,
    )
    w, m, c, _, bounds = ref.masked_em(
        X,
        (weights, means, covs),
        covariance_type,
        row_class=row_class,
        component_class=np.arange(3),
        tol=0.0,
        max_iter=25,
    )
    np.testing.assert_allclose(got["lower_bounds"], bounds, rtol=1e-10)
    np.testing.assert_allclose(got["weights"], w, rtol=1e-10)
    np.testing.assert_allclose(got["means"], m, rtol=1e-10)
    np.testing.assert_allclose(
        got["covariances"].ravel(), np.asarray(c).ravel(), rtol=1e-9, atol=1e-13
    )


@pytest.mark.parametrize("n_threads", [1, 2, 3], ids=lambda t: f"threads={t}")
def test_semi_supervised_bit_identical_for_any_thread_count(n_threads):
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(m, 1.0, (3000, 3)) for m in (0.0, 3.0)])
    y = np.repeat([0, 1], 3000)
    ys = _partly_labelled(y, 20, 6)
    base = emclust.GaussianMixtureClassifier(n_threads=1, tol=1e-10).fit(X, ys)
    other = emclust.GaussianMixtureClassifier(n_threads=n_threads, tol=1e-10).fit(X, ys)
    np.testing.assert_array_equal(base.means_, other.means_)
    np.testing.assert_array_equal(base.covariances_, other.covariances_)
    np.testing.assert_array_equal(base.weights_, other.weights_)


def test_semi_supervised_with_several_components_per_class():
    X, y = _bimodal(800, 7)
    ys = _partly_labelled(y, 15, 8)
    clf = emclust.GaussianMixtureClassifier(2, random_state=0, tol=1e-8).fit(X, ys)
    rest = ys == -1
    assert (clf.transduction_[rest] == y[rest]).mean() > 0.97


# --- errors ------------------------------------------------------------------------


def test_bad_input():
    X, y = load_iris(return_X_y=True)
    clf = emclust.GaussianMixtureClassifier
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf().fit(X, y[:-1])
    with pytest.raises(ValueError, match="NaN"):
        clf().fit(X, np.where(np.arange(150) == 3, np.nan, y))
    with pytest.raises(ValueError, match="no labelled row"):
        clf().fit(X, np.full(150, -1))
    few = y.copy()
    few[few == 2] = 1
    few[0] = 2  # class 2 has one row, fewer than 2 components need
    with pytest.raises(ValueError, match="class 2 has 1 labelled rows"):
        clf(2).fit(X, few)
    with pytest.raises(ValueError, match="n_components_per_class names classes"):
        clf({7: 2}).fit(X, y)
    with pytest.raises(ValueError, match="priors must have shape"):
        clf(priors=[0.5, 0.5]).fit(X, y)
    with pytest.raises(ValueError, match="singular covariance"):
        clf(covariance_type="full").fit(X[:12], np.repeat([0, 1, 2], 4))
    with pytest.raises(ValueError, match=r"covariance_type='all'.*needs"):
        clf(2, covariance_type="all").fit(X, y)
    with pytest.raises(ValueError, match=r"covariance_type='all'.*semi-supervised"):
        clf("bic", covariance_type="all").fit(X, np.where(np.arange(150) % 2, y, -1))
    with pytest.raises(emclust.NotFittedError):
        clf().predict(X)
