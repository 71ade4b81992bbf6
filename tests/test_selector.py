"""GaussianMixtureSelector: the grid, its results, scikit-learn's interface."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from emclust import GaussianMixture, GaussianMixtureSelector, datasets
from emclust.models.covariance_models import MODELS
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


@pytest.fixture(scope="module")
def faithful():
    return datasets.load_faithful()


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 1.0], [0.0, 7.0, -2.0]])
    X = np.concatenate([rng.normal(c, 1.0, size=(60, 3)) for c in centres])
    return X


def test_results_table_and_best(faithful):
    s = GaussianMixtureSelector(n_components=range(1, 5), random_state=0)
    s.fit(faithful)
    frame = pd.DataFrame(s.results_)
    assert list(frame.columns) == [
        "n_components",
        "covariance_type",
        "bic",
        "icl",
        "log_likelihood",
        "n_parameters",
        "n_iter",
        "converged",
        "status",
    ]
    assert len(frame) == 4 * 14
    assert frame["covariance_type"].tolist()[:14] == list(MODELS)
    ok = frame[frame["status"] == "ok"]
    best = ok.loc[ok["bic"].idxmin()]
    assert s.best_params_ == {
        "n_components": best["n_components"],
        "covariance_type": best["covariance_type"],
    }
    assert s.best_score_ == best["bic"]
    assert s.best_index_ == best.name
    # each cell's BIC is -2 log L + p log n, and ICL adds the entropy term
    n = faithful.shape[0]
    np.testing.assert_allclose(
        ok["bic"],
        -2 * ok["log_likelihood"] + ok["n_parameters"].astype(float) * np.log(n),
    )
    assert (ok["icl"] >= ok["bic"] - 1e-9).all()
    # the best estimator is that cell's fit, and labels_ are its labels
    gm = s.best_estimator_
    assert isinstance(gm, GaussianMixture)
    assert gm.bic(faithful) == pytest.approx(s.best_score_, rel=1e-12)
    np.testing.assert_array_equal(s.labels_, gm.predict(faithful))
    np.testing.assert_array_equal(s.predict(faithful), s.labels_)
    np.testing.assert_allclose(s.predict_proba(faithful), gm.predict_proba(faithful))
    assert s.score(faithful) == gm.score(faithful)


def test_table_is_g_by_model(faithful):
    s = GaussianMixtureSelector(
        n_components=[1, 2, 3], covariance_types=["full", "EEE", "VII"]
    ).fit(faithful)
    sizes, models, values = s.table()
    np.testing.assert_array_equal(sizes, [1, 2, 3])
    assert models == ["full", "EEE", "VII"]
    for g, m, b in zip(
        s.results_["n_components"], s.results_["covariance_type"], s.results_["bic"]
    ):
        np.testing.assert_equal(values[[1, 2, 3].index(g), models.index(m)], b)


def test_names_of_one_model_are_fitted_once(faithful):
    s = GaussianMixtureSelector(
        n_components=2, covariance_types=["full", "VVV", "tied", "EEE"]
    ).fit(faithful)
    assert s.results_["covariance_type"].tolist() == ["full", "tied"]


def test_identical_for_any_thread_count(blobs):
    runs = [
        GaussianMixtureSelector(
            n_components=range(1, 6), n_threads=t, random_state=1
        ).fit(blobs)
        for t in (1, 2, 3)
    ]
    for other in runs[1:]:
        for key, value in runs[0].results_.items():
            np.testing.assert_array_equal(other.results_[key], value, err_msg=key)
        assert other.best_params_ == runs[0].best_params_


def test_finds_three_clusters(blobs):
    s = GaussianMixtureSelector().fit(blobs)
    assert s.best_params_["n_components"] == 3


def test_integer_weights_equal_repeated_rows(faithful):
    w = np.random.default_rng(0).integers(1, 4, size=faithful.shape[0])
    kw = dict(n_components=[1, 2, 3], covariance_types=["VVV", "EEE", "VII"])
    weighted = GaussianMixtureSelector(init_params="kmeans", random_state=0, **kw)
    # the k-means start sees weights as repeated rows only in distribution;
    # from the hierarchical start the trees differ. So compare the criteria
    # of the weighted fit with those of its estimator on repeated rows.
    weighted.fit(faithful, sample_weight=w)
    repeated = np.repeat(faithful, w, axis=0)
    gm = weighted.best_estimator_
    assert gm.bic(repeated) == pytest.approx(weighted.best_score_, rel=1e-10)
    assert gm.icl(repeated) == pytest.approx(
        weighted.results_["icl"][weighted.best_index_], rel=1e-10
    )


def test_singular_fits_are_never_chosen(faithful):
    # scikit-learn's four models on faithful: with reg_covar=1e-6 a diagonal
    # fit with a component collapsed on duplicated rows wins BIC there.
    s = GaussianMixtureSelector(
        covariance_types=["spherical", "diag", "tied", "full"], random_state=0
    ).fit(faithful)
    status = s.results_["status"]
    assert status[s.best_index_] == "ok"
    assert np.isnan(s.results_["bic"][status == "singular"].astype(float)).all()
    cov = np.linalg.eigvalsh(
        s.best_estimator_.covariances_
        if s.best_estimator_.covariances_.ndim == 3
        else np.diag(s.best_estimator_.covariances_[0])[None]
    )
    assert cov.min() > 1e-6


def test_convergence_warning_names_the_cells(faithful):
    s = GaussianMixtureSelector(
        n_components=[2, 3], covariance_types=["VVV"], max_iter=1
    )
    with pytest.warns(ConvergenceWarning, match=r"\(G=2, VVV\)"):
        s.fit(faithful)
    assert not s.results_["converged"].any()


def test_clone_pickle_pipeline(faithful):
    s = GaussianMixtureSelector(n_components=[1, 2, 3], covariance_types=["VVV"])
    assert clone(s).get_params() == s.get_params()
    s.fit(faithful)
    again = pickle.loads(pickle.dumps(s))
    np.testing.assert_array_equal(again.predict(faithful), s.predict(faithful))
    pipe = make_pipeline(StandardScaler(), clone(s)).fit(faithful)
    assert pipe.predict(faithful).shape == (faithful.shape[0],)


def test_sample_draws_from_the_best(faithful):
    s = GaussianMixtureSelector(n_components=[2], covariance_types=["VVV"]).fit(
        faithful
    )
    X, labels = s.sample(50)
    assert X.shape == (50, 2) and labels.shape == (50,)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"covariance_types": ["VVX"]}, r"covariance_types: .*EII"),
        ({"covariance_types": []}, "at least one"),
        ({"n_components": [0, 1]}, "positive integers"),
        ({"n_components": [2.5]}, "positive integers"),
        ({"n_components": []}, "at least one"),
        ({"n_components": [400]}, "exceeds the 272 samples"),
        ({"criterion": "aic"}, "criterion"),
    ],
)
def test_bad_parameters(faithful, params, match):
    s = GaussianMixtureSelector(**params)
    with pytest.raises(ValueError, match=match):
        s.fit(faithful)
    assert not hasattr(s, "results_")


def test_nan_is_refused(faithful):
    X = faithful.copy()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        GaussianMixtureSelector(n_components=[1]).fit(X)


def test_unfitted_predict_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        GaussianMixtureSelector().predict(np.zeros((3, 2)))


def test_one_feature_uses_e_and_v():
    X = np.concatenate([np.random.default_rng(0).normal(m, 1, 80) for m in (0, 8)])[
        :, None
    ]
    s = GaussianMixtureSelector(n_components=range(1, 4)).fit(X)
    assert sorted(set(s.results_["covariance_type"])) == ["E", "V"]
    assert s.best_params_["n_components"] == 2


def test_hc_start_is_deterministic_and_mclusts_start(faithful):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = GaussianMixture(3, covariance_type="EEE", init_params="hc", reg_covar=0)
        b = clone(a).set_params(random_state=123)
        a.fit(faithful)
        b.fit(faithful)
    np.testing.assert_array_equal(a.means_, b.means_)
    assert a.n_iter_ == b.n_iter_


def test_save_and_load(faithful, tmp_path):
    import json

    import emclust

    s = GaussianMixtureSelector(n_components=range(1, 5), random_state=0)
    s.fit(faithful.astype(np.float32))
    path = s.save(tmp_path / "selector.json")
    again = emclust.load(path)
    assert again.get_params() == {**s.get_params(), "n_components": [1, 2, 3, 4]}
    assert again.best_params_ == s.best_params_
    assert again.best_score_ == s.best_score_
    for key, value in s.results_.items():
        np.testing.assert_array_equal(again.results_[key], value, err_msg=key)
    assert again.best_estimator_.means_.dtype == np.float32
    np.testing.assert_array_equal(again.predict(faithful), s.predict(faithful))

    # a file whose chosen fit is not the one its table names is refused
    content = json.loads(path.read_text())
    singular = (
        int(np.nonzero(s.results_["status"] == "singular")[0][0])
        if (s.results_["status"] == "singular").any()
        else (s.best_index_ + 1)
    )
    content["attributes"]["best_index_"] = singular
    body = {k: content[k] for k in ("kind", "dtype", "params", "attributes")}
    content["checksum"] = emclust.io._checksum(body)
    path.write_text(json.dumps(content))
    with pytest.raises(ValueError, match=r"best_index_|best_estimator_"):
        emclust.load(path)


def test_noise_selector_finds_the_clusters_and_the_outliers():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    X = np.concatenate(
        [rng.normal(c, 0.8, (150, 2)) for c in centres] + [rng.uniform(-5, 11, (50, 2))]
    )
    s = GaussianMixtureSelector(n_components=range(1, 6), noise=True, random_state=0)
    s.fit(X)
    assert s.best_params_["n_components"] == 3
    noise = s.labels_ == -1
    truth = np.r_[np.zeros(450, bool), np.ones(50, bool)]
    f1 = 2 * (noise & truth).sum() / (noise.sum() + truth.sum())
    assert f1 >= 0.8
    means = s.best_estimator_.means_
    err = np.abs(means[:, None, :] - centres[None]).max(axis=2).min(axis=0)
    assert err.max() < 0.2


def test_prior_grid_is_the_models_with_a_prior(faithful):
    from emclust.models.prior import PRIOR_MODELS

    s = GaussianMixtureSelector(n_components=[1, 2], prior="conjugate").fit(faithful)
    assert list(dict.fromkeys(s.results_["covariance_type"])) == list(PRIOR_MODELS)
    with pytest.raises(ValueError, match="'VVE' has no conjugate prior"):
        GaussianMixtureSelector(
            n_components=[2], covariance_types=["VVV", "VVE"], prior="conjugate"
        ).fit(faithful)


def test_every_cell_failing_names_the_first_reason():
    # Squares near 1e308 overflow every M-step: the error says so (it was an
    # IndexError from the hierarchical cut).
    X = np.random.default_rng(0).normal(size=(20, 2)) * 1e154
    with pytest.raises(ValueError, match=r"every fit .* G=1 EII: .*scale the data"):
        GaussianMixtureSelector(n_components=[1, 2]).fit(X)


def _stops_by_mclusts_rule(gm, n, tol):
    """Whether EM stopped at the first iteration where the total
    log-likelihood L = n * lower bound moved by |L - L_old| <= tol (1 + |L|)."""
    b = np.asarray(gm.lower_bounds_)
    if b.size < 2:
        return False
    met = np.abs(np.diff(b)) <= tol * (1.0 / n + np.abs(b[1:]))
    return bool(met[-1]) and not met[:-1].any()


@pytest.mark.parametrize("noise", [False, True])
def test_fits_stop_by_mclusts_relative_rule(faithful, noise):
    # mclust's me() stops on the relative change of the total log-likelihood;
    # on faithful |L| / n is about 4, so the mean's absolute rule would run
    # several iterations longer.
    tol = 1e-4
    s = GaussianMixtureSelector(
        n_components=[3], covariance_types=["VVV"], tol=tol, noise=noise
    ).fit(faithful)
    gm = s.best_estimator_
    assert gm.converged_
    assert _stops_by_mclusts_rule(gm, faithful.shape[0], tol)


def test_cells_are_in_grid_order_whatever_order_they_run_in(faithful):
    s = GaussianMixtureSelector(
        n_components=[1, 4, 2], covariance_types=["EII", "VVE", "VVV"], n_threads=2
    ).fit(faithful)
    assert s.results_["n_components"].tolist() == [1, 1, 1, 4, 4, 4, 2, 2, 2]
    assert s.results_["covariance_type"].tolist() == ["EII", "VVE", "VVV"] * 3
