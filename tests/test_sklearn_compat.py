"""emclust's estimators are scikit-learn estimators: its common checks, its
model selection, pipelines, cloning, tags, HTML repr, pandas output and
exceptions all work on them."""

import warnings

import emclust
import numpy as np
import pytest
import sklearn
from sklearn.base import clone, is_clusterer
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_html_repr
from sklearn.utils._tags import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

# --- scikit-learn's common checks ---------------------------------------------------

_SEEDED_WEIGHTS = (
    "a seeded k-means++ draws its first centre from the n weighted rows (so "
    "that unit weights draw exactly as no weights), not from the sum(w) "
    "repeated rows: integer weights equal repeated rows for any given init and "
    "in distribution, not draw for draw"
)
_WEIGHT_CHECKS = {
    f"check_sample_weight_equivalence_on_{kind}_data": _SEEDED_WEIGHTS
    for kind in ("dense", "sparse")
}
# scikit-learn's sparse-input check reads any predict_proba as a
# classifier's: it looks up classifier_tags (None for a density estimator)
# and expects 2 or 4 class columns; a mixture has n_components. The sparse
# path itself is checked by the other common checks on sparse data and by
# tests/test_sparse_estimators.py.
_PROBA_AS_CLASSIFIER = (
    "scikit-learn's sparse check treats predict_proba as a classifier's "
    "(classifier_tags, 2 or 4 columns); a mixture's has n_components columns"
)
EXPECTED_FAILURES = {
    "KMeans": _WEIGHT_CHECKS,
    "KMedians": _WEIGHT_CHECKS,
    # As scikit-learn's own MiniBatchKMeans (its PER_ESTIMATOR_XFAIL_CHECKS):
    # the batches are random draws of rows, so repeated rows change the draws.
    "MiniBatchKMeans": {
        "check_sample_weight_equivalence_on_dense_data": "mini-batches are "
        "random draws of rows: repeating a row changes which rows are drawn"
    },
    "BernoulliMixture": {
        f"check_estimator_sparse_{kind}": _PROBA_AS_CLASSIFIER
        for kind in ("array", "matrix")
    },
    # y = -1 marks an unlabelled row (scikit-learn's semi-supervised
    # convention, issue 27), so the check's labels {-1, 1} are read as one
    # class with some rows unlabelled.
    "GaussianMixtureClassifier": {
        "check_classifiers_classes": "-1 in y marks an unlabelled row (the "
        "semi-supervised convention): labels {-1, 1} are one labelled class"
    },
}


def expected_failures(estimator):
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


@parametrize_with_checks(
    [
        emclust.GaussianMixture(),
        emclust.KMeans(),
        emclust.KMedians(),
        # The checks feed real-valued data; binarize=0.0 turns it into the
        # binary data the model is for (as BernoulliNB does).
        emclust.BernoulliMixture(binarize=0.0),
        emclust.MiniBatchKMeans(),
        emclust.BayesianGaussianMixture(),
        emclust.GaussianMixtureClassifier(),
        emclust.GaussianMixtureClassifier(2, covariance_type="diag", reg_covar=1e-6),
        # The checks' data sets are tiny: a small grid, regularised.
        emclust.GaussianMixtureSelector(
            n_components=[1, 2], covariance_types=["VVV", "VII"], reg_covar=1e-6
        ),
    ],
    expected_failed_checks=expected_failures,
)
# The checks fit tiny, degenerate data sets (16 rows at 4 points for 8
# clusters, 1 EM iteration): the warnings that deserves are not failures.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore::emclust.exceptions.SingularCovarianceWarning")
def test_sklearn_common_checks(estimator, check):
    check(estimator)


def test_at_most_two_expected_failures_per_estimator():
    assert all(len(v) <= 2 for v in EXPECTED_FAILURES.values())


# --- tags ------------------------------------------------------------------------


def test_tags():
    assert is_clusterer(emclust.KMeans())
    assert is_clusterer(emclust.KMedians())
    for est in (emclust.GaussianMixture(), emclust.BernoulliMixture()):
        assert get_tags(est).estimator_type == "density_estimator"
    # The common checks above feed sparse input to what says it takes it.
    assert not get_tags(emclust.GaussianMixture()).input_tags.sparse
    for est in (emclust.KMeans(), emclust.KMedians(), emclust.BernoulliMixture()):
        assert get_tags(est).input_tags.sparse
    binary = get_tags(emclust.BernoulliMixture()).input_tags
    assert binary.binary and binary.positive_only
    assert not get_tags(emclust.BernoulliMixture(binarize=0.5)).input_tags.binary


def test_gaussian_mixture_rejects_sparse_input_saying_so():
    scipy_sparse = pytest.importorskip("scipy.sparse")
    X = scipy_sparse.random(30, 3, density=0.5, format="csr", random_state=0)
    with pytest.raises(TypeError, match=r"sparse"):
        emclust.GaussianMixture(2).fit(X)


# --- model selection, pipelines, cloning -------------------------------------------


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    return np.vstack([c + rng.standard_normal((100, 2)) for c in centres])


def test_grid_search_picks_the_number_of_components(X):
    search = GridSearchCV(
        emclust.GaussianMixture(random_state=0), {"n_components": [1, 2, 3, 4]}
    ).fit(X)
    assert search.best_params_["n_components"] >= 3
    assert isinstance(search.best_estimator_, emclust.GaussianMixture)


def test_randomized_search_on_kmeans(X):
    search = RandomizedSearchCV(
        emclust.KMeans(random_state=0),
        {"n_clusters": [1, 2, 3], "init": ["k-means++", "random"]},
        n_iter=4,
        random_state=0,
    ).fit(X)
    # score is minus the inertia: more clusters always score higher.
    assert search.best_params_["n_clusters"] == 3


def test_cross_val_score(X):
    scores = cross_val_score(emclust.KMeans(3, random_state=0), X)
    assert scores.shape == (5,) and (scores < 0).all()
    scores = cross_val_score(emclust.GaussianMixture(3, random_state=0), X)
    assert np.isfinite(scores).all()


def test_pipeline_predict_and_score(X):
    pipe = make_pipeline(StandardScaler(), emclust.KMeans(3, random_state=0)).fit(X)
    alone = emclust.KMeans(3, random_state=0).fit(StandardScaler().fit_transform(X))
    np.testing.assert_array_equal(pipe.predict(X), alone.labels_)
    assert pipe.score(X) == pytest.approx(-alone.inertia_)
    gmm = make_pipeline(StandardScaler(), emclust.GaussianMixture(3, random_state=0))
    assert np.isfinite(gmm.fit(X).score(X))


def test_clone_keeps_parameters_not_the_fit(X):
    est = emclust.KMeans(3, n_init=2, random_state=0).fit(X)
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert not hasattr(copy, "cluster_centers_")


def test_html_repr_and_repr():
    html = estimator_html_repr(emclust.GaussianMixture(3))
    assert "GaussianMixture" in html and "n_components" in html
    assert repr(emclust.KMeans(3)) == "KMeans(n_clusters=3)"


# --- transform output -------------------------------------------------------------


def test_feature_names_out(X):
    km = emclust.KMeans(3, random_state=0).fit(X)
    assert list(km.get_feature_names_out()) == ["kmeans0", "kmeans1", "kmeans2"]
    kmed = emclust.KMedians(2, random_state=0).fit(X)
    assert list(kmed.get_feature_names_out()) == ["kmedians0", "kmedians1"]


def test_set_output_pandas_and_column_transformer(X):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X, columns=["a", "b"], index=np.arange(len(X)) + 100)
    km = emclust.KMeans(3, random_state=0).set_output(transform="pandas")
    out = km.fit_transform(df)
    assert list(out.columns) == ["kmeans0", "kmeans1", "kmeans2"]
    assert (out.index == df.index).all()
    np.testing.assert_allclose(out.to_numpy(), km.transform(df).to_numpy())
    assert list(km.feature_names_in_) == ["a", "b"]

    ct = ColumnTransformer([("km", emclust.KMeans(2, random_state=0), ["a", "b"])])
    ct.set_output(transform="pandas")
    assert list(ct.fit_transform(df).columns) == ["km__kmeans0", "km__kmeans1"]


# --- scikit-learn's exceptions ---------------------------------------------------------


def test_exceptions_are_scikit_learns(X):
    assert emclust.ConvergenceWarning is sklearn.exceptions.ConvergenceWarning
    assert emclust.NotFittedError is sklearn.exceptions.NotFittedError
    with pytest.raises(sklearn.exceptions.NotFittedError):
        emclust.KMeans().predict(X)
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", category=sklearn.exceptions.ConvergenceWarning
        )
        emclust.GaussianMixture(3, max_iter=1, random_state=0).fit(X)


# --- KMeans takes scikit-learn's arguments -------------------------------------------


def test_n_init_auto(X):
    def fit(**kw):
        return emclust.KMeans(3, random_state=0, **kw).fit(X)

    assert fit(init="random").inertia_ == fit(init="random", n_init=10).inertia_
    np.testing.assert_array_equal(
        fit(init="random").cluster_centers_,
        fit(init="random", n_init=10).cluster_centers_,
    )
    np.testing.assert_array_equal(
        fit().cluster_centers_, fit(n_init=1).cluster_centers_
    )
    assert emclust.KMeans().n_init == "auto"


def test_elkan_runs_lloyd(X):
    a = emclust.KMeans(3, algorithm="elkan", random_state=0).fit(X)
    b = emclust.KMeans(3, algorithm="lloyd", random_state=0).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    with pytest.raises(ValueError, match="algorithm"):
        emclust.KMeans(algorithm="full").fit(X)


def test_copy_x_false_leaves_x_alone(X):
    before = X.copy()
    emclust.KMeans(3, copy_x=False, random_state=0).fit(X)
    np.testing.assert_array_equal(X, before)


def test_callable_init(X):
    centres = X[[0, 100, 200]]
    calls = []

    def init(data, n_clusters, random_state):
        calls.append((data.shape, n_clusters, type(random_state)))
        return centres

    a = emclust.KMeans(3, init=init, random_state=0).fit(X)
    b = emclust.KMeans(3, init=centres).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert calls == [(X.shape, 3, np.random.RandomState)] * 10  # n_init="auto"
    with pytest.raises(ValueError, match="centers returned by init"):
        emclust.KMeans(3, init=lambda d, k, r: centres[:2], n_init=1).fit(X)


def test_verbose_prints(X, capsys):
    emclust.KMeans(3, verbose=1, random_state=0).fit(X)
    out = capsys.readouterr().out
    assert "Initialization complete" in out and "inertia" in out


def test_k_means_function(X):
    centres, labels, inertia = emclust.k_means(X, 3, random_state=0)
    est = emclust.KMeans(3, random_state=0).fit(X)
    np.testing.assert_array_equal(centres, est.cluster_centers_)
    np.testing.assert_array_equal(labels, est.labels_)
    assert inertia == est.inertia_
    *_, n_iter = emclust.k_means(X, 3, random_state=0, return_n_iter=True)
    assert n_iter == est.n_iter_


def test_fewer_distinct_points_than_clusters_warns():
    X = np.repeat([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]], 4, axis=0)
    with pytest.warns(sklearn.exceptions.ConvergenceWarning, match="distinct"):
        km = emclust.KMeans(4, random_state=0).fit(X)
    assert np.unique(km.labels_).size == 3


# --- dtype ----------------------------------------------------------------------------


def test_float32_in_float32_attributes(X):
    X32 = X.astype(np.float32)
    gm = emclust.GaussianMixture(3, random_state=0).fit(X32)
    for name in (
        "weights_",
        "means_",
        "covariances_",
        "precisions_",
        "precisions_cholesky_",
    ):
        assert getattr(gm, name).dtype == np.float32, name
    assert gm.predict_proba(X32).dtype == np.float32
    gm64 = emclust.GaussianMixture(3, random_state=0).fit(X)
    assert gm64.means_.dtype == np.float64
    np.testing.assert_allclose(gm.means_, gm64.means_, rtol=1e-4)
    assert emclust.KMeans(3).fit(X32).cluster_centers_.dtype == np.float32
    B = (X32 > 0).astype(np.float32)
    bm = emclust.BernoulliMixture(2, random_state=0).fit(B)
    assert bm.weights_.dtype == bm.probabilities_.dtype == np.float32


def test_bernoulli_binarize_is_bernoulli_nb_s():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 5))
    a = emclust.BernoulliMixture(2, binarize=0.0, random_state=0).fit(X)
    b = emclust.BernoulliMixture(2, random_state=0).fit((X > 0).astype(float))
    np.testing.assert_array_equal(a.probabilities_, b.probabilities_)
    np.testing.assert_array_equal(a.predict(X), b.predict((X > 0).astype(float)))
    with pytest.raises(ValueError, match="binary"):
        emclust.BernoulliMixture(2).fit(X)
