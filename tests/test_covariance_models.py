"""mclust's 14 covariance models in GaussianMixture: names, parameter counts,
the constraints of each fit, monotone EM, thread bit-identity, and the
singular rule."""

import warnings

import numpy as np
import pytest
from emclust import GaussianMixture
from emclust.exceptions import SingularCovarianceWarning
from emclust.models import gaussian
from emclust.models.covariance_models import (
    MODELS,
    SKLEARN_ALIASES,
    canonical_model,
    n_parameters,
)


def _data(seed=0, n=240, d=3):
    rng = np.random.default_rng(seed)
    centers = np.array(
        [[0.0] * d, [6.0] + [0.0] * (d - 1), [0.0, 7.0] + [1.0] * (d - 2)]
    )
    parts = []
    for j, c in enumerate(centers):
        a = rng.standard_normal((d, d)) * (0.5 + 0.3 * j)
        parts.append(c + rng.standard_normal((n // 3, d)) @ a)
    return np.vstack(parts)


def _fit(model, X, **kw):
    kw.setdefault("n_components", 3)
    kw.setdefault("reg_covar", 0.0)
    kw.setdefault("tol", 1e-10)
    kw.setdefault("max_iter", 60)
    kw.setdefault("random_state", 0)
    return GaussianMixture(covariance_type=model, **kw).fit(X)


def _q(cov, W, nk):
    # The M-step's objective: -1/2 sum_k n_k log|S_k| + tr(W_k S_k^-1).
    return -0.5 * sum(
        n * np.linalg.slogdet(s)[1] + np.trace(np.linalg.solve(s, w))
        for s, w, n in zip(cov, W, nk)
    )


def test_names_and_aliases():
    assert len(MODELS) == 14 and MODELS[0] == "EII" and MODELS[-1] == "VVV"
    assert SKLEARN_ALIASES == {
        "spherical": "VII",
        "diag": "VVI",
        "tied": "EEE",
        "full": "VVV",
    }
    assert canonical_model("full", 4) == "VVV"
    assert canonical_model("VEV", 1) == "V" and canonical_model("EEE", 1) == "E"
    assert canonical_model("spherical", 1) == "V"
    assert canonical_model("E", 1) == "E"
    with pytest.raises(ValueError, match="VVV"):
        canonical_model("XYZ", 3)
    with pytest.raises(ValueError, match="one feature"):
        canonical_model("E", 3)


def test_n_parameters_as_mclust():
    k, d = 3, 4
    base = k * d + k - 1
    expected = {
        "EII": 1,
        "VII": 3,
        "EEI": 4,
        "VEI": 6,
        "EVI": 10,
        "VVI": 12,
        "EEE": 10,
        "VEE": 12,
        "EVE": 16,
        "VVE": 18,
        "EEV": 22,
        "VEV": 24,
        "EVV": 28,
        "VVV": 30,
    }
    for m, v in expected.items():
        assert n_parameters(m, k, d) == v + base, m
    for name, m in SKLEARN_ALIASES.items():
        assert n_parameters(name, k, d) == n_parameters(m, k, d)
    assert n_parameters("V", 2, 1) == 2 + 2 + 1
    assert n_parameters("E", 2, 1) == 1 + 2 + 1


def test_unknown_name_is_value_error_listing_models():
    with pytest.raises(ValueError, match="VEV"):
        GaussianMixture(covariance_type="XYZ").fit(_data())


@pytest.mark.parametrize("model", MODELS)
def test_constraints_and_monotone(model):
    X = _data()
    gm = _fit(model, X)
    k, d = 3, X.shape[1]
    cov = gm.covariances_
    assert cov.shape == (k, d, d) and gm.precisions_cholesky_.shape == (k, d, d)
    np.testing.assert_allclose(
        np.einsum("kij,kjl->kil", cov, gm.precisions_),
        np.broadcast_to(np.eye(d), cov.shape),
        atol=1e-9,
    )
    lb = np.array(gm.lower_bounds_)
    assert np.all(np.diff(lb) >= -1e-12 * np.abs(lb[1:])), model
    vol, shape, orient = gm.volumes_, gm.shapes_, gm.orientations_
    assert vol.shape == (k,) and shape.shape == (k, d) and orient.shape == (k, d, d)
    np.testing.assert_allclose(np.prod(shape, axis=1), 1.0, rtol=1e-10)
    assert np.all(np.diff(shape, axis=1) <= 1e-12)
    rebuilt = np.einsum("kij,kj,klj->kil", orient, shape * vol[:, None], orient)
    np.testing.assert_allclose(rebuilt, cov, rtol=1e-9, atol=1e-12)
    v, a, o = model
    if v == "E":
        np.testing.assert_allclose(vol, vol[0], rtol=1e-10)
    else:
        assert np.ptp(vol) > 1e-3 * vol.max()
    if o == "I":
        off = cov - np.einsum("kii->ki", cov)[:, :, None] * np.eye(d)
        assert np.abs(off).max() == 0
    if a == "I":
        np.testing.assert_allclose(shape, 1.0, rtol=1e-10)
    elif a == "E":
        # A common shape (up to the order of the axes for VEI/EEI and VEV/EEV,
        # where the order is the eigenvalues' order by construction).
        np.testing.assert_allclose(
            shape, np.broadcast_to(shape[0], shape.shape), rtol=1e-8
        )
    if o == "E":
        # A common orientation: all Σ_k commute.
        for j in range(1, k):
            c = cov[0] @ cov[j] - cov[j] @ cov[0]
            assert np.abs(c).max() <= 1e-9 * np.abs(cov).max() ** 2
    if o == "E" and a == "E":
        np.testing.assert_allclose(
            cov / vol[:, None, None],
            np.broadcast_to(cov[0] / vol[0], cov.shape),
            rtol=1e-8,
        )


@pytest.mark.parametrize("model", ["EVE", "VVE", "VEE", "VEV", "EEV", "EVV", "VEI"])
def test_m_step_beats_nested_models(model):
    # Each constrained M-step maximises its objective over the model's family,
    # which contains the simpler models nested in it.
    X = _data(1)
    rng = np.random.default_rng(3)
    resp = rng.dirichlet(np.ones(3), size=len(X))
    nested = {
        "EVE": ["EEE", "EEI"],
        "VVE": ["EEE", "VEE", "EVE", "VVI"],
        "VEE": ["EEE", "EII"],
        "VEV": ["EEV", "VEE", "VII"],
        "EEV": ["EEE", "EEI"],
        "EVV": ["EEV", "EVE", "EEE"],
        "VEI": ["EEI", "VII"],
    }[model]
    nk = resp.sum(0)
    means = resp.T @ X / nk[:, None]
    W = [(r[:, None] * (X - m)).T @ (X - m) for r, m in zip(resp.T, means)]

    def q_of(name):
        _, _, cov = gaussian.m_step(X, resp, name, reg_covar=0.0)
        return _q(cov, W, nk)

    top = q_of(model)
    for m in nested:
        assert top >= q_of(m) - 1e-9 * abs(top), (model, m)
    # The unconstrained fit bounds everything.
    assert q_of("VVV") >= top - 1e-9 * abs(top)


def test_closed_forms_against_numpy():
    X = _data(2)
    resp = np.random.default_rng(5).dirichlet(np.ones(3), size=len(X))
    nk = resp.sum(0) + 10 * np.finfo(float).eps
    means = resp.T @ X / nk[:, None]
    W = np.array([(r[:, None] * (X - m)).T @ (X - m) for r, m in zip(resp.T, means)])
    n, d = nk.sum(), X.shape[1]
    dets = np.linalg.det(W) ** (1 / d)
    expect = {
        "EII": np.broadcast_to(np.trace(W.sum(0)) / (n * d) * np.eye(d), W.shape),
        "EEI": np.broadcast_to(np.diag(np.diag(W.sum(0))) / n, W.shape),
        "EVV": dets.sum() / n * W / dets[:, None, None],
        "EEE": np.broadcast_to(W.sum(0) / n, W.shape),
        "VVV": W / nk[:, None, None],
    }
    for name, e in expect.items():
        _, got_means, got = gaussian.m_step(X, resp, name, reg_covar=0.0)
        np.testing.assert_allclose(got_means, means, rtol=1e-10)
        np.testing.assert_allclose(got, e, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("model", ["VEV", "EVE", "VVI"])
def test_threads_bit_identical_and_float32(model):
    X = _data(4, n=600)
    a = _fit(model, X, n_threads=1, max_iter=20)
    b = _fit(model, X, n_threads=2, max_iter=20)
    assert np.array_equal(a.covariances_, b.covariances_)
    assert np.array_equal(a.means_, b.means_)
    f = _fit(model, X.astype(np.float32), max_iter=20, reg_covar=1e-6)
    assert f.covariances_.dtype == np.float32 and np.isfinite(f.covariances_).all()


@pytest.mark.parametrize(("name", "model"), list(SKLEARN_ALIASES.items()))
def test_aliases_fit_the_same_mixture(name, model):
    X = _data(6)
    a = _fit(name, X, reg_covar=1e-6)
    b = _fit(model, X, reg_covar=1e-6)
    k, d = 3, X.shape[1]
    from emclust.models.algebra import full_covariances

    np.testing.assert_allclose(b.means_, a.means_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(
        b.covariances_,
        full_covariances(a.covariances_, name, k, d),
        rtol=1e-6,
        atol=1e-9,
    )
    assert a._n_parameters() == b._n_parameters()
    assert not hasattr(a, "volumes_")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sample_weight_equals_repetition():
    X = _data(7, n=90)
    w = np.random.default_rng(0).integers(0, 3, len(X)).astype(float)
    start = _fit("VEV", X, max_iter=5)
    given = {
        "weights_init": start.weights_,
        "means_init": start.means_,
        "precisions_init": start.precisions_,
    }

    def fit(*a, **kw):
        gm = GaussianMixture(
            3, covariance_type="VEV", reg_covar=0.0, max_iter=15, tol=0, **given
        )
        return gm.fit(*a, **kw)

    a = fit(X, sample_weight=w)
    b = fit(np.repeat(X, w.astype(int), axis=0))
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-8)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_missing_values_run():
    X = _data(8)
    X[::7, 1] = np.nan
    gm = GaussianMixture(
        3,
        covariance_type="EVE",
        missing_values=np.nan,
        reg_covar=0.0,
        random_state=0,
        max_iter=30,
    ).fit(X)
    assert np.isfinite(gm.covariances_).all()
    lb = np.array(gm.lower_bounds_)
    assert np.all(np.diff(lb) >= -1e-10 * np.abs(lb[1:]))


def test_one_feature_e_and_v():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, 200), rng.normal(8, 3, 200)])[:, None]
    e = _fit("E", X, n_components=2)
    v = _fit("V", X, n_components=2)
    assert e.covariances_.shape == (2, 1, 1)
    assert e.covariances_[0, 0, 0] == pytest.approx(e.covariances_[1, 0, 0], rel=1e-12)
    assert sorted(v.covariances_.ravel()) == pytest.approx([1.0, 9.0], rel=0.3)
    assert e._n_parameters() == 4 and v._n_parameters() == 5
    with pytest.raises(ValueError, match="one feature"):
        _fit("V", _data())


def test_save_load_roundtrip(tmp_path):
    gm = _fit("VEV", _data())
    gm.save(tmp_path / "m.emclust")
    import emclust

    back = emclust.load(tmp_path / "m.emclust")
    np.testing.assert_array_equal(back.covariances_, gm.covariances_)
    np.testing.assert_allclose(back.volumes_, gm.volumes_)
    X = _data(9)
    np.testing.assert_array_equal(back.score_samples(X), gm.score_samples(X))


def test_status_ok_and_singular_warning():
    X = _data()
    assert _fit("VVV", X).status_ == "ok"
    # One component on a single far-away row: its variance is reg_covar alone.
    Y = np.vstack([X, [[100.0, 100.0, 100.0]]])
    gm = GaussianMixture(
        2,
        covariance_type="diag",
        means_init=[[2.0, 2.0, 2.0], [100.0, 100.0, 100.0]],
        max_iter=5,
    )
    with pytest.warns(SingularCovarianceWarning):
        gm.fit(Y)
    assert gm.status_ == "singular"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _fit("EEE", X).status_ == "ok"
