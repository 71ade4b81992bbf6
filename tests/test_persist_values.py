"""load() checks the values it restores, not only the file's structure, with
the rules of the constructor and of fit; every refusal is a ValueError that
names the file and the field (issue 12)."""

from __future__ import annotations

import json
import re

import emclust
import numpy as np
import pytest
from emclust.io import _checksum, _parse_float, _parse_int


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(size=(60, 2)), rng.normal(size=(60, 2)) + 5])


@pytest.fixture(scope="module")
def models(X):
    return {
        "gmm": emclust.GaussianMixture(2, random_state=0).fit(X),
        "kmeans": emclust.KMeans(2, random_state=0, n_init=1).fit(X),
        "bernoulli": emclust.BernoulliMixture(2, random_state=0).fit(
            (X > 2).astype(np.float64)
        ),
    }


def _content(model, tmp_path):
    path = model.save(tmp_path / "m.json")
    return path, json.loads(path.read_text())


def _rewrite(path, content):
    """Write edited content with the checksum recomputed, so that the value
    checks, not the checksum, must catch the edit."""
    body = {k: content[k] for k in ("kind", "dtype", "params", "attributes")}
    content["checksum"] = _checksum(body)
    path.write_text(json.dumps(content))


def _refused(path, *fragments):
    with pytest.raises(ValueError) as info:
        emclust.load(path)
    message = str(info.value)
    assert message.startswith(f"invalid model file {str(path)!r}: "), message
    for fragment in fragments:
        assert re.search(fragment, message), (fragment, message)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("model", ["gmm", "kmeans", "bernoulli"])
@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("n_threads", -1, "n_threads"),
        ("n_threads", 0, "n_threads"),
        ("n_threads", "x", "n_threads"),
        ("n_threads", 2**20, "n_threads must be <= 1024"),
        ("n_threads", 2**40, "n_threads must be <= 1024"),
        ("n_threads", True, "n_threads"),
        ("tol", "x", "tol"),
        ("tol", -1.0, "tol"),
        ("max_iter", -5, "max_iter"),
        ("max_iter", 2.5, "max_iter"),
        ("random_state", -3, "random_state"),
        ("verbose", "loud", "verbose"),
    ],
)
def test_parameters_follow_the_constructors_rules(
    models, tmp_path, model, field, value, fragment
):
    path, content = _content(models[model], tmp_path)
    content["params"][field] = value
    _rewrite(path, content)
    _refused(path, "params", fragment)


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_a_bernoulli_probability_of_exactly_0_or_1_is_refused_as_predict_would(
    models, tmp_path, value
):
    """fit keeps θ within [1e-10, 1 - 1e-10]; predict refuses 0 and 1, and
    so does load (before, such a file loaded and then could not predict)."""
    path, content = _content(models["bernoulli"], tmp_path)
    content["attributes"]["probabilities_"]["data"][0] = value
    _rewrite(path, content)
    _refused(path, "probabilities_", "strictly between 0 and 1")


def test_a_bernoulli_probability_near_the_clip_loads(models, tmp_path, X):
    path, content = _content(models["bernoulli"], tmp_path)
    content["attributes"]["probabilities_"]["data"][0] = 1e-10
    _rewrite(path, content)
    back = emclust.load(path)
    assert np.isfinite(back.score_samples((X > 2).astype(np.float64))).all()


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("format_version", True, "format_version True"),
        ("format_version", 1.0, "format_version"),
        ("kind", ["GaussianMixture"], "unknown model kind"),
        ("kind", {"a": 1}, "unknown model kind"),
        ("dtype", ["float64"], "dtype must be"),
        ("dtype", "int64", "dtype must be"),
        ("checksum", 5, "checksum"),
        ("params", [], "params must be an object"),
        ("attributes", "x", "attributes must be an object"),
    ],
)
def test_header_fields_of_the_wrong_type(models, tmp_path, field, value, fragment):
    path, content = _content(models["gmm"], tmp_path)
    content[field] = value
    if field != "checksum":
        body = {k: content[k] for k in ("kind", "dtype", "params", "attributes")}
        content["checksum"] = _checksum(body)
    path.write_text(json.dumps(content))
    _refused(path, re.escape(fragment))


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (lambda a: a["means_"].update(shape=5), "means_ must have shape"),
        (lambda a: a["means_"].update(dtype=["float64"]), "means_ has unsupported"),
        (lambda a: a["means_"].update(dtype="float32"), "means_ holds values"),
        (lambda a: a["means_"].update(dtype="int64"), "means_"),
        (lambda a: a.update(n_iter_=-1), "n_iter_"),
        (lambda a: a.update(n_iter_=1.5), "n_iter_"),
        (lambda a: a.update(converged_=1), "converged_"),
        (lambda a: a.update(lower_bound_="inf"), "lower_bound_"),
        (lambda a: a.update(lower_bound_=[1]), "lower_bound_"),
        (lambda a: a.update(lower_bounds_="x"), "lower_bounds_"),
        (lambda a: a.update(n_features_in_=0), "n_features_in_"),
        (lambda a: a["weights_"]["data"].__setitem__(0, -0.5), "weights_"),
    ],
)
def test_attributes_of_the_wrong_type_or_value(models, tmp_path, edit, fragment):
    path, content = _content(models["gmm"], tmp_path)
    edit(content["attributes"])
    _rewrite(path, content)
    _refused(path, re.escape(fragment))


def _replace_first_number(text, field, new):
    """The text of a model file with the first number of ``field``'s data
    replaced by ``new`` (a JSON number that Python's json cannot write)."""
    start = text.index(f'"{field}"')
    start = text.index('"data": [', start) + len('"data": [')
    end = start
    while text[end] not in ",]":
        end += 1
    return text[:start] + new + text[end:]


@pytest.mark.parametrize(
    "number, fragment",
    [
        ("1e400", "means_ must hold numbers only"),
        ("-1e400", "means_ must hold numbers only"),
        ("1" + "0" * 400, "means_ holds a number out of the range of a float"),
        ("7" * 5000, "means_ must hold numbers only"),
    ],
    ids=["1e400", "-1e400", "10**400", "5000-digits"],
)
def test_numbers_beyond_a_float_name_the_field(models, tmp_path, number, fragment):
    """Before, 1e400 and a 5000-digit integer raised bare ValueErrors and
    10**400 an OverflowError, none naming the file."""
    path = models["gmm"].save(tmp_path / "m.json")
    text = _replace_first_number(path.read_text(), "means_", number)
    # The checksum of the edited content, as load computes it (a tamperer
    # can recompute it): the number's own check must refuse it.
    edited = json.loads(text, parse_float=_parse_float, parse_int=_parse_int)
    body = {k: edited[k] for k in ("kind", "dtype", "params", "attributes")}
    text = re.sub(r'"checksum": "[^"]*"', f'"checksum": "{_checksum(body)}"', text)
    path.write_text(text)
    _refused(path, re.escape(fragment))


@pytest.mark.parametrize(
    "field, number",
    [
        ("tol", "1e400"),
        ("n_threads", "9" * 5000),
        ("max_iter", "1e400"),
        ("n_components", "1" + "0" * 400),
    ],
)
def test_huge_parameters_name_the_field(models, tmp_path, field, number):
    path, content = _content(models["gmm"], tmp_path)
    content["params"][field] = 12345
    text = json.dumps(content).replace("12345", number, 1)
    path.write_text(text)  # the checksum no longer matches, or the value fails
    _refused(path, "checksum mismatch|" + field)


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_deeply_nested_json_is_a_value_error(tmp_path, depth):
    path = tmp_path / "deep.json"
    path.write_text("[" * depth + "]" * depth)
    _refused(path, "nested too deeply|JSON object")


def test_a_deep_value_inside_a_real_file(models, tmp_path):
    path, content = _content(models["gmm"], tmp_path)
    text = json.dumps(content).replace(
        '"n_threads": null', '"n_threads": ' + "[" * 50_000 + "]" * 50_000
    )
    path.write_text(text)
    _refused(path, "nested too deeply")


def test_a_saved_model_within_the_rules_still_round_trips(models, tmp_path, X):
    for model in models.values():
        model = emclust.load(model.save(tmp_path / "m.json"))
        data = (X > 2).astype(np.float64) if hasattr(model, "probabilities_") else X
        assert model.predict(data).shape == (X.shape[0],)
