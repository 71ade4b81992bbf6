"""emclust.ConjugatePrior: mclust's priorControl() defaults and bad input."""

import _mclust_tables as tables
import emclust
import numpy as np
import pytest
from emclust.reference import prior as reference_prior


@pytest.mark.parametrize("name", ["faithful", "iris", "wine"])
@pytest.mark.parametrize("G", [1, 3])
def test_defaults_equal_mclust_default_prior(name, G):
    X = tables.data(name)
    d = X.shape[1]
    for model in reference_prior.PRIOR_MODELS:
        got = emclust.ConjugatePrior().resolve(X, G, model)
        want = reference_prior.default_prior(X, G, model)
        assert got.shrinkage == want.shrinkage == 0.01
        assert got.dof == want.dof == d + 2
        np.testing.assert_allclose(got.mean, want.mean, rtol=1e-15)
        scale = want.scale * np.eye(d) if np.ndim(want.scale) == 0 else want.scale
        np.testing.assert_allclose(got.scale, scale, rtol=1e-14)


def test_defaults_scale_equals_the_exported_mclust_scale():
    X = tables.data("iris")
    _, _, fits = tables.mstep("iris")
    for model, (*_, scale) in fits.items():
        got = emclust.ConjugatePrior().resolve(X, 3, model).scale
        flat = np.ravel(scale)
        want = flat[0] * np.eye(4) if flat.size == 1 else flat.reshape(4, 4)
        np.testing.assert_allclose(got, want, rtol=1e-13)


def test_given_fields_are_kept():
    X = tables.data("faithful")
    prior = emclust.ConjugatePrior(shrinkage=0.5, mean=[1.0, 2.0], dof=7, scale=2.0)
    r = prior.resolve(X, 2, "VVV")
    assert (r.shrinkage, r.dof) == (0.5, 7.0)
    np.testing.assert_array_equal(r.mean, [1.0, 2.0])
    np.testing.assert_array_equal(r.scale, 2.0 * np.eye(2))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mean": [0.0, 0.0, 0.0]}, "prior mean must have shape"),
        ({"scale": np.eye(3)}, "prior scale must be a scalar or have shape"),
        ({"scale": -np.eye(2)}, "positive definite"),
        ({"shrinkage": -1.0}, "shrinkage"),
        ({"dof": 0.0}, "dof"),
    ],
)
def test_bad_fields_are_value_errors_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        emclust.ConjugatePrior(**kwargs).resolve(tables.data("faithful"), 2, "VVV")


def test_models_without_a_prior_are_refused_with_the_list():
    with pytest.raises(ValueError, match="EII, VII, EEI"):
        emclust.ConjugatePrior().resolve(tables.data("faithful"), 2, "VVE")
