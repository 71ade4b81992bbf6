"""Fuzzing model files (issue 12): saved files of every kind are truncated,
have bytes flipped, have a field replaced by hostile JSON (with the checksum
recomputed, so that the value checks must catch it), or are replaced by
hostile JSON text. ``emclust.load`` either returns a model that predicts
finite results, or raises one ValueError that names the file. Never another
exception, a crash or a hang.
"""

from __future__ import annotations

import json
import warnings

import emclust
import numpy as np
import pytest
from _fuzz import count, fuzz_settings, no_hang
from emclust.io import _checksum
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.fuzz

_RNG = np.random.default_rng(7)
_X = np.vstack([_RNG.normal(size=(40, 3)), _RNG.normal(size=(40, 3)) + 4])
_B = (_X > 2).astype(np.float64)


def _fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emclust.ConvergenceWarning)
        models = {
            f"gmm-{t}": emclust.GaussianMixture(2, covariance_type=t, random_state=0)
            for t in ("full", "tied", "diag", "spherical")
        }
        models["gmm-float32"] = emclust.GaussianMixture(2, random_state=0)
        models["kmeans"] = emclust.KMeans(2, n_init=1, random_state=0)
        models["kmedians"] = emclust.KMedians(2, n_init=1, random_state=0)
        models["bernoulli"] = emclust.BernoulliMixture(2, random_state=0)
        for name, m in models.items():
            data = _B if name == "bernoulli" else _X
            m.fit(data.astype(np.float32) if name == "gmm-float32" else data)
    return models


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """name -> the bytes of a saved model file."""
    folder = tmp_path_factory.mktemp("models")
    return {
        name: model.save(folder / f"{name}.json").read_bytes()
        for name, model in _fitted().items()
    }


NAMES = [
    "gmm-full",
    "gmm-tied",
    "gmm-diag",
    "gmm-spherical",
    "gmm-float32",
    "kmeans",
    "kmedians",
    "bernoulli",
]


def _load_or_refuse(path, target):
    """The rule: a model that works, or a one-line ValueError naming the file."""
    count(target)
    with no_hang(60), warnings.catch_warnings():
        warnings.simplefilter("ignore", emclust.ConvergenceWarning)
        try:
            model = emclust.load(path)
        except ValueError as exc:
            message = str(exc)
            assert message.startswith(f"invalid model file {str(path)!r}: "), message
            assert "\n" not in message, message
            assert len(message) < 2000, message[:200]
            return None
        # Loaded: it predicts finite results (or refuses X by name).
        data = _B if hasattr(model, "probabilities_") else _X
        try:
            labels = model.predict(data)
        except ValueError as exc:
            raise AssertionError(f"a loaded model cannot predict: {exc}") from None
        assert labels.min() >= 0
        if hasattr(model, "predict_proba"):
            assert np.isfinite(model.predict_proba(data)).all()
            assert not np.isnan(model.score_samples(data)).any()
        return model


def _write(tmp_path, name, data):
    path = tmp_path / f"{name}.json"
    path.write_bytes(data)
    return path


@fuzz_settings(40)
@given(st.sampled_from(NAMES), st.floats(0, 1, exclude_max=True))
def test_truncated(saved, tmp_path_factory, name, fraction):
    data = saved[name]
    cut = int(len(data) * fraction)
    path = _write(tmp_path_factory.mktemp("t"), name, data[:cut])
    model = _load_or_refuse(path, "model file: truncated")
    # Only the final newline may go without harm.
    assert model is None or not data[cut:].strip()


@fuzz_settings(60)
@given(
    st.sampled_from(NAMES),
    st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
        min_size=1,
        max_size=4,
    ),
)
def test_flipped_bytes(saved, tmp_path_factory, name, flips):
    data = bytearray(saved[name])
    for where, byte in flips:
        data[int(where * len(data))] = byte
    path = _write(tmp_path_factory.mktemp("f"), name, bytes(data))
    _load_or_refuse(path, "model file: byte flips")


# Hostile JSON values: wrong types, extreme numbers, deep or large values.
HOSTILE = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.sampled_from([0, -1, 1, 2**31, 2**63, 2**64, 10**30, 10**400]),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from([0.0, -0.0, 5e-324, 1e-300, 1e300, 1.7976931348623157e308]),
        st.text(max_size=8),
        st.sampled_from(["nan", "inf", "-inf", "float64", "full", "GaussianMixture"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=6), children, max_size=3),
    ),
    max_leaves=8,
)


def _paths(node, prefix=()):
    """Every path to a value in a JSON tree."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:6]):  # the first entries of long lists
            yield from _paths(v, (*prefix, i))


def _set(node, path, value):
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@fuzz_settings(120)
@given(st.sampled_from(NAMES), st.data(), HOSTILE, st.booleans(), st.booleans())
def test_tampered_fields(
    saved, tmp_path_factory, name, draw, value, fix_checksum, delete
):
    content = json.loads(saved[name])
    paths = [p for p in _paths(content) if p and p[0] != "checksum"]
    path = draw.draw(st.sampled_from(paths))
    if delete and isinstance(path[-1], str):
        parent = content
        for key in path[:-1]:
            parent = parent[key]
        del parent[path[-1]]
    else:
        _set(content, path, value)
    if fix_checksum and all(
        k in content for k in ("kind", "dtype", "params", "attributes")
    ):
        body = {k: content[k] for k in ("kind", "dtype", "params", "attributes")}
        content["checksum"] = _checksum(body)
    text = json.dumps(content)
    _load_or_refuse(
        _write(tmp_path_factory.mktemp("v"), name, text.encode()),
        "model file: tampered fields",
    )


@fuzz_settings(40)
@given(
    st.sampled_from(NAMES),
    st.sampled_from(
        [
            "1e400",
            "-1e400",
            "1" + "0" * 400,
            "9" * 5000,
            "NaN",
            "Infinity",
            "-0",
            "1e-400",
        ]
    ),
    st.data(),
)
def test_numbers_json_cannot_hold(saved, tmp_path_factory, name, number, draw):
    """A number written into the text in place of another (the checksum is
    left as written: the parser, the checksum or a value check refuses it)."""
    text = saved[name].decode()
    digits = [
        i for i, c in enumerate(text) if c.isdigit() and not text[i - 1].isdigit()
    ]
    start = draw.draw(st.sampled_from(digits))
    end = start
    while end < len(text) and (text[end].isdigit() or text[end] in ".e-+"):
        end += 1
    path = _write(
        tmp_path_factory.mktemp("n"),
        name,
        (text[:start] + number + text[end:]).encode(),
    )
    _load_or_refuse(path, "model file: numbers beyond JSON")


@fuzz_settings(30)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.integers(1, 200_000).map(lambda n: b"[" * n + b"]" * n),
        st.integers(1, 200_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
        st.text(max_size=100).map(str.encode),
        st.sampled_from(
            [
                b"",
                b"\xef\xbb\xbf{}",
                b"\xff\xfe{\x00}\x00",
                b'{"format": "emclust-model", "format_version": true}',
                b'{"format": "emclust-model", "format_version": 1, "kind": ["x"]}',
                b"null",
                b"1e400",
                b'"' + b"a" * 100_000 + b'"',
            ]
        ),
    )
)
def test_hostile_text(tmp_path_factory, data):
    path = _write(tmp_path_factory.mktemp("h"), "hostile", data)
    assert _load_or_refuse(path, "model file: hostile JSON text") is None
