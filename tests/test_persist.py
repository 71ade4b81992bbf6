"""Model files: save/load round trips for every model kind, and rejection of
corrupted, truncated or edited files."""

import hashlib
import json
import math
import os

import emclust
import numpy as np
import pytest

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(7)
    centres = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 0.0], [0.0, 6.0, 4.0]])
    return centres[rng.integers(0, 3, 300)] + rng.normal(size=(300, 3))


def fitted(kind, X, **kw):
    if kind == "GaussianMixture":
        return emclust.GaussianMixture(3, random_state=0, **kw).fit(X)
    if kind == "BernoulliMixture":
        cls = getattr(emclust, "BernoulliMixture", None)
        if cls is None:
            pytest.skip("BernoulliMixture is not in this build yet")
        return cls(3, random_state=0).fit((X > 0).astype(np.float64))
    cls = getattr(emclust, kind, None)
    if cls is None:
        pytest.skip(f"{kind} is not in this build yet")
    return cls(3, random_state=0).fit(X)


def data_for(kind, X):
    return (X > 0).astype(np.float64) if kind == "BernoulliMixture" else X


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda t: t.__name__)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES, ids=lambda t: f"cov={t}")
def test_gaussian_round_trip_is_exact(blobs, tmp_path, covariance_type, dtype):
    X = blobs.astype(dtype)
    gm = emclust.GaussianMixture(
        3, covariance_type=covariance_type, n_init=2, random_state=1
    ).fit(X)
    path = gm.save(tmp_path / "model.json")
    back = emclust.load(path)
    assert type(back) is emclust.GaussianMixture
    np.testing.assert_equal(back.get_params(), gm.get_params())  # NaN == NaN
    for name in (
        "weights_",
        "means_",
        "covariances_",
        "precisions_cholesky_",
        "precisions_",
    ):
        np.testing.assert_array_equal(getattr(back, name), getattr(gm, name))
        assert getattr(back, name).dtype == getattr(gm, name).dtype
    assert back.converged_ == gm.converged_
    assert back.n_iter_ == gm.n_iter_
    assert back.lower_bound_ == gm.lower_bound_
    assert back.lower_bounds_ == gm.lower_bounds_
    np.testing.assert_array_equal(back.predict(X), gm.predict(X))
    np.testing.assert_array_equal(back.predict_proba(X), gm.predict_proba(X))
    np.testing.assert_array_equal(back.score_samples(X), gm.score_samples(X))


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_unfitted_precisions_init_round_trips(blobs, tmp_path, covariance_type):
    # max_iter=0 keeps the lower Cholesky factor of precisions_init, as
    # scikit-learn does; load() once refused it as not upper triangular.
    a = np.array([[2.0, 0.3, -0.4], [0.3, 1.5, 0.2], [-0.4, 0.2, 1.0]])
    precisions = a if covariance_type == "tied" else np.stack([a, 2 * a, 3 * a])
    gm = emclust.GaussianMixture(
        3,
        covariance_type=covariance_type,
        max_iter=0,
        means_init=blobs[:3],
        weights_init=np.full(3, 1 / 3),
        precisions_init=precisions,
    ).fit(blobs)
    factors = gm.precisions_cholesky_.reshape(-1, 3, 3)
    assert not np.triu(factors, 1).any()  # lower, so the case is the one meant
    back = emclust.load(gm.save(tmp_path / "model.json"))
    np.testing.assert_array_equal(back.precisions_cholesky_, gm.precisions_cholesky_)
    np.testing.assert_array_equal(back.predict_proba(blobs), gm.predict_proba(blobs))


@pytest.mark.parametrize("kind", ["KMeans", "KMedians", "BernoulliMixture"])
def test_other_kinds_round_trip(blobs, tmp_path, kind):
    model = fitted(kind, blobs)
    X = data_for(kind, blobs)
    back = emclust.load(emclust.save(model, tmp_path / "m.json"))
    assert type(back) is type(model)
    np.testing.assert_equal(back.get_params(), model.get_params())  # NaN == NaN
    np.testing.assert_array_equal(back.predict(X), model.predict(X))
    for name in ("cluster_centers_", "weights_", "probabilities_"):
        if hasattr(model, name):
            np.testing.assert_array_equal(getattr(back, name), getattr(model, name))
    assert back.n_iter_ == model.n_iter_


def test_save_method_on_every_estimator_present():
    for name in ("GaussianMixture", "KMeans", "KMedians", "BernoulliMixture"):
        cls = getattr(emclust, name, None)
        if cls is not None:
            assert callable(getattr(cls, "save", None)), name


def test_unfitted_and_foreign_models_are_refused(tmp_path):
    with pytest.raises(emclust.NotFittedError):
        emclust.save(emclust.GaussianMixture(2), tmp_path / "m.json")
    from emclust import reference

    ref = reference.GaussianMixture(1).fit(np.arange(10.0).reshape(-1, 1))
    with pytest.raises(TypeError, match="cannot save"):
        emclust.save(ref, tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


def test_random_state_objects_are_not_stored(blobs, tmp_path):
    gm = emclust.GaussianMixture(2, random_state=np.random.RandomState(0)).fit(blobs)
    content = json.loads(gm.save(tmp_path / "m.json").read_text())
    assert content["params"]["random_state"] is None
    assert content["params_not_stored"] == ["random_state"]
    assert emclust.load(tmp_path / "m.json").random_state is None


def test_file_is_versioned_json_and_write_is_atomic(blobs, tmp_path, monkeypatch):
    gm = emclust.GaussianMixture(2, random_state=0).fit(blobs)
    path = gm.save(tmp_path / "m.json")
    content = json.loads(path.read_text())
    assert content["format"] == "emclust-model"
    assert content["format_version"] == 1
    assert content["kind"] == "GaussianMixture"
    assert content["dtype"] == "float64"
    assert content["emclust_version"] == emclust.__version__
    assert content["params"]["n_components"] == 2
    before = path.read_bytes()

    # A failure while writing leaves the old file whole and no temporary file.
    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        emclust.GaussianMixture(3, random_state=0).fit(blobs).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


# --- rejected files ------------------------------------------------------------


@pytest.fixture
def saved(blobs, tmp_path):
    path = (
        emclust.GaussianMixture(2, random_state=0).fit(blobs).save(tmp_path / "m.json")
    )
    return path, json.loads(path.read_text())


def rewrite(path, content, fix_checksum=True):
    """Write edited content; recompute the checksum so that the semantic
    checks, not the checksum, have to catch the edit."""
    from emclust.io import _checksum

    if fix_checksum:
        body = {k: content[k] for k in ("kind", "dtype", "params", "attributes")}
        content["checksum"] = _checksum(body)
    path.write_text(json.dumps(content))


def edit_weights(c):
    c["attributes"]["weights_"]["data"][0] += 0.25


def edit_shape(c):
    c["attributes"]["means_"]["shape"] = [3, 3]


def edit_nan(c):
    c["attributes"]["means_"]["data"][0] = "nan"


def edit_kind(c):
    c["kind"] = "Pickle"


def edit_version(c):
    c["format_version"] = 99


def edit_not_spd(c):
    data = c["attributes"]["covariances_"]["data"]
    data[0] = -abs(data[0])  # negative variance on the first diagonal


def edit_asymmetric(c):
    c["attributes"]["covariances_"]["data"][1] += 1.0


def edit_cholesky(c):
    c["attributes"]["precisions_cholesky_"]["data"][0] *= 2.0


def edit_lower_triangle(c):
    c["attributes"]["precisions_cholesky_"]["data"][3] = (
        0.5  # (0, 1, 0): below diagonal
    )


def edit_param(c):
    c["params"]["exploit"] = "os.system"


def edit_missing(c):
    del c["attributes"]["means_"]


def edit_n_components(c):
    c["params"]["n_components"] = 5


def edit_count(c):
    c["attributes"]["weights_"]["data"].append(0.0)


def edit_bool(c):
    c["attributes"]["means_"]["data"][0] = True


EDITS = {
    "weights-not-summing-to-1": (edit_weights, "sum to 1"),
    "wrong-shape": (edit_shape, "shape"),
    "nan-value": (edit_nan, "numbers only"),
    "unknown-kind": (edit_kind, "unknown model kind"),
    "future-version": (edit_version, "format_version 99"),
    "covariance-not-spd": (edit_not_spd, "not positive definite"),
    "covariance-asymmetric": (edit_asymmetric, "not symmetric"),
    "cholesky-mismatch": (edit_cholesky, "does not match covariances_"),
    "cholesky-not-triangular": (edit_lower_triangle, "must be triangular"),
    "unknown-param": (edit_param, "unknown parameter"),
    "missing-attribute": (edit_missing, "attributes must be exactly"),
    "n-components-mismatch": (edit_n_components, "shape"),
    "extra-number": (edit_count, "shape|numbers"),
    "boolean-number": (edit_bool, "numbers only"),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_tampered_files_are_rejected(saved, edit):
    path, content = saved
    change, message = EDITS[edit]
    change(content)
    rewrite(path, content)
    with pytest.raises(ValueError, match=message):
        emclust.load(path)


def test_any_edit_breaks_the_checksum(saved):
    path, content = saved
    content["attributes"]["means_"]["data"][0] += 1e-9
    rewrite(path, content, fix_checksum=False)
    with pytest.raises(ValueError, match="checksum mismatch"):
        emclust.load(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "not valid JSON"),
        ('{"format": "emclust-model"', "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"format": "pickle"}', "not an emclust model file"),
        ('{"a": NaN}', "NaN is not valid"),
        ("\xff\xfe", "not valid JSON"),
    ],
    ids=["empty", "truncated", "list", "other-format", "nan-constant", "binary"],
)
def test_garbage_is_rejected(tmp_path, text, message):
    path = tmp_path / "m.json"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ValueError, match=message):
        emclust.load(path)


def test_truncated_model_file_is_rejected(saved):
    path, _ = saved
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match="invalid model file"):
        emclust.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        emclust.load(tmp_path / "absent.json")


def test_infinite_lower_bound_round_trips(blobs, tmp_path):
    gm = emclust.GaussianMixture(2, random_state=0).fit(blobs)
    gm.lower_bounds_ = [-math.inf, *gm.lower_bounds_[1:]]
    back = emclust.load(gm.save(tmp_path / "m.json"))
    assert back.lower_bounds_ == gm.lower_bounds_


def test_feature_names_round_trip(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(60, 3)), columns=["x", "y", "z"])
    gm = emclust.GaussianMixture(2, random_state=0).fit(frame)
    emclust.save(gm, tmp_path / "g.json")
    content = json.loads((tmp_path / "g.json").read_text())
    assert content["format_version"] == 2
    back = emclust.load(tmp_path / "g.json")
    assert list(back.feature_names_in_) == ["x", "y", "z"]
    np.testing.assert_array_equal(back.predict(frame), gm.predict(frame))
    # Names that do not match the features are refused by name.
    content["attributes"]["feature_names_in_"] = ["x", "x", "z"]
    body = {k: content[k] for k in ("kind", "dtype", "params", "attributes")}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    content["checksum"] = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    (tmp_path / "bad.json").write_text(json.dumps(content))
    with pytest.raises(ValueError, match="feature_names_in_ must be distinct"):
        emclust.load(tmp_path / "bad.json")


def test_noise_init_mask_round_trips_as_a_mask(tmp_path):
    # A boolean noise_init came back as floats, which a refit refuses.
    X = np.random.default_rng(0).normal(size=(120, 2))
    mask = np.zeros(120, dtype=bool)
    mask[::10] = True
    gm = emclust.GaussianMixture(2, noise=True, noise_init=mask, random_state=0).fit(X)
    emclust.save(gm, tmp_path / "m.json")
    loaded = emclust.load(tmp_path / "m.json")
    np.testing.assert_array_equal(loaded.noise_init, mask)
    assert np.asarray(loaded.noise_init).dtype == bool
    assert loaded.fit(X).lower_bound_ == gm.lower_bound_
