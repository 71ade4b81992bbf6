"""GaussianMixture(noise=True) (issue 27): the uniform noise component of
Banfield and Raftery (1993), against the NumPy reference, and its quality on
clusters with outliers."""

import warnings

import emclust
import numpy as np
import pytest
from emclust.models import masked
from emclust.models.gaussian import precision_cholesky
from emclust.reference import masked as ref

TRUE_MEANS = np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]])


def _clusters_with_noise(seed, n_per=300, frac=0.1):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(m, 1.0, (n_per, 2)) for m in TRUE_MEANS])
    n_noise = round(frac * len(X) / (1 - frac))
    noise = rng.uniform(-10.0, 18.0, (n_noise, 2))
    truth = np.r_[np.zeros(len(X), bool), np.ones(n_noise, bool)]
    return np.vstack([X, noise]), truth


def _matched_means(means):
    order = [int(np.argmin(((means - m) ** 2).sum(1))) for m in TRUE_MEANS]
    return means[order]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_three_clusters_and_ten_percent_noise(seed):
    X, truth = _clusters_with_noise(seed)
    gm = emclust.GaussianMixture(3, noise=True, random_state=0, tol=1e-8).fit(X)
    labels = gm.predict(X)
    found = labels == -1
    f1 = 2 * (found & truth).sum() / (found.sum() + truth.sum())
    assert f1 >= 0.8
    assert np.abs(_matched_means(gm.means_) - TRUE_MEANS).max() <= 0.2
    assert abs(gm.noise_weight_ - 0.1) < 0.03
    np.testing.assert_allclose(gm.weights_.sum() + gm.noise_weight_, 1.0)
    proba = gm.predict_proba(X)
    assert proba.shape == (len(X), 4)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    np.testing.assert_array_equal(
        np.where(proba.argmax(1) == 3, -1, proba.argmax(1)), labels
    )


def test_noise_beats_no_noise_on_the_covariances():
    X, _ = _clusters_with_noise(3)
    with_noise = emclust.GaussianMixture(3, noise=True, random_state=0).fit(X)
    without = emclust.GaussianMixture(3, random_state=0).fit(X)
    # The true covariances are the identity; outliers inflate them without noise.
    err = lambda gm: np.abs(gm.covariances_ - np.eye(2)).max()  # noqa: E731
    assert err(with_noise) < 0.3 < err(without)


def test_bic_loop_with_noise_picks_three_components():
    # GaussianMixtureSelector(noise=True) is not on main yet: the same
    # choice by a loop over n_components.
    X, _ = _clusters_with_noise(4)
    bics = {}
    for k in range(1, 7):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gm = emclust.GaussianMixture(k, noise=True, random_state=0, n_init=2)
            bics[k] = gm.fit(X).bic(X)
    assert min(bics, key=bics.get) == 3


def test_score_samples_bic_and_parameter_count():
    X, _ = _clusters_with_noise(5)
    gm = emclust.GaussianMixture(3, noise=True, random_state=0).fit(X)
    log_v = masked.hypervolume(X)
    chol = precision_cholesky(gm.covariances_, "full", 2)
    joint = ref.masked_log_joint(
        X,
        gm.weights_,
        gm.means_,
        gm.covariances_,
        "full",
        noise_weight=gm.noise_weight_,
        log_noise_density=-log_v,
    )
    expected = np.logaddexp.reduce(joint, axis=1)
    np.testing.assert_allclose(gm.score_samples(X), expected, rtol=1e-12)
    assert chol.shape == (3, 4)
    # Two more parameters than without noise, as mclust's nMclustParams(noise=TRUE)
    # (29 -> 31 for VVV, G = 3, d = 3).
    p = emclust.GaussianMixture(3).fit(X)._n_parameters() + 2
    np.testing.assert_allclose(
        gm.bic(X), -2 * expected.sum() + p * np.log(len(X)), rtol=1e-12
    )


def test_hypervolume_equals_the_reference():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((200, 3)) @ rng.standard_normal((3, 3))
    assert masked.hypervolume(X) == pytest.approx(ref.hypervolume(X), rel=1e-12)
    # A rotated box: the principal axes give the smaller volume.
    theta = 0.6
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    box = rng.uniform(0, 1, (500, 2)) * [10, 1]
    Y = box @ rot.T
    assert masked.hypervolume(Y) < float(np.sum(np.log(np.ptp(Y, axis=0))))


@pytest.mark.parametrize(
    "covariance_type", ["full", "tied", "diag", "spherical", "VEV"]
)
def test_noise_em_equals_the_reference_and_never_decreases(covariance_type):
    X, truth = _clusters_with_noise(7, n_per=100)
    rng = np.random.default_rng(8)
    labels = np.argmin(((X[:, None, :] - TRUE_MEANS) ** 2).sum(2), axis=1)
    resp = np.eye(3)[labels] * 0.9
    resp[truth] = 0.0
    weights, means, covs, f = ref.masked_m_step(X, resp, covariance_type)
    means = means + rng.normal(0, 0.5, means.shape)
    chol = precision_cholesky(covs, covariance_type, 2)
    log_v = ref.hypervolume(X)
    got = masked.fit_masked(
        X,
        None,
        covariance_type,
        (weights, means, covs, chol),
        noise_weight=f,
        log_noise_density=-log_v,
        tol=0.0,
        max_iter=30,
    )
    w, m, c, f_ref, bounds = ref.masked_em(
        X,
        (weights, means, covs),
        covariance_type,
        noise_weight=f,
        log_noise_density=-log_v,
        tol=0.0,
        max_iter=30,
    )
    np.testing.assert_allclose(got["lower_bounds"], bounds, rtol=1e-10)
    np.testing.assert_allclose(got["noise_weight"], f_ref, rtol=1e-10)
    np.testing.assert_allclose(got["weights"], w, rtol=1e-10)
    np.testing.assert_allclose(got["means"], m, rtol=1e-10)
    np.testing.assert_allclose(
        got["covariances"].ravel(), np.asarray(c).ravel(), rtol=1e-9, atol=1e-13
    )
    b = np.asarray(got["lower_bounds"])
    assert np.all(np.diff(b) >= -1e-12 * np.abs(b[1:]))


@pytest.mark.parametrize("n_threads", [1, 2, 4], ids=lambda t: f"threads={t}")
def test_bit_identical_for_any_thread_count(n_threads):
    X, _ = _clusters_with_noise(9, n_per=3000)
    fit = lambda t: emclust.GaussianMixture(  # noqa: E731
        3, noise=True, random_state=0, n_threads=t, tol=1e-10
    ).fit(X)
    a, b = fit(1), fit(n_threads)
    np.testing.assert_array_equal(a.means_, b.means_)
    np.testing.assert_array_equal(a.covariances_, b.covariances_)
    assert a.noise_weight_ == b.noise_weight_


def test_nearest_neighbour_rule_finds_the_outliers():
    X, truth = _clusters_with_noise(10)
    found = masked.nearest_neighbour_noise(X)
    assert (found & truth).sum() / truth.sum() > 0.7
    assert (found & ~truth).sum() / (~truth).sum() < 0.1


def test_given_volume_and_mask():
    X, truth = _clusters_with_noise(11)
    gm = emclust.GaussianMixture(
        3, noise=True, noise_init=truth, noise_volume=28.0**2, random_state=0
    ).fit(X)
    assert gm.noise_volume_ == pytest.approx(784.0)
    found = gm.predict(X) == -1
    assert 2 * (found & truth).sum() / (found.sum() + truth.sum()) >= 0.8


def test_refit_without_noise_drops_it():
    X, _ = _clusters_with_noise(12)
    gm = emclust.GaussianMixture(3, noise=True, random_state=0).fit(X)
    gm.set_params(noise=False).fit(X)
    assert not hasattr(gm, "noise_weight_")
    assert gm.predict_proba(X).shape == (len(X), 3)
    assert (gm.predict(X) >= 0).all()


def test_bad_input():
    X, truth = _clusters_with_noise(13)
    for v in (0.0, -1.0, np.inf):
        with pytest.raises(
            ValueError, match="noise_volume must be a finite number > 0"
        ):
            emclust.GaussianMixture(2, noise=True, noise_volume=v).fit(X)
    with pytest.raises(ValueError, match="noise_init must be a boolean array"):
        emclust.GaussianMixture(2, noise=True, noise_init=truth[:-1]).fit(X)
    with pytest.raises(ValueError, match="fewer than n_components"):
        emclust.GaussianMixture(2, noise=True, noise_init=np.ones(len(X), bool)).fit(X)
    with pytest.raises(ValueError, match="batch_size"):
        emclust.GaussianMixture(2, noise=True, batch_size=100).fit(X)
    with pytest.raises(ValueError, match="partial_fit"):
        emclust.GaussianMixture(2, noise=True).partial_fit(X)
    with pytest.raises(ValueError, match="NaN"):
        Y = X.copy()
        Y[0, 0] = np.nan
        emclust.GaussianMixture(2, noise=True).fit(Y)
