"""emclust fit --bayesian: the variational mixture from the command line."""

import json

import emclust
import numpy as np
import pytest
from test_cli import PNG_SIGNATURE, fails, ok


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.5, (150, 2)) for c in ([0, 0], [4, 0], [0, 4])])
    path = tmp_path_factory.mktemp("bayes") / "three.csv"
    np.savetxt(path, X, delimiter=",", header="a,b", comments="")
    return path, X


def test_fit_bayesian_empties_components_and_saves(csv, tmp_path):
    path, _ = csv
    model = tmp_path / "m.json"
    r = ok(
        "fit", path, "-k", "8", "--bayesian", "--weight-concentration-prior",
        "0.01", "--prior-type", "dirichlet_distribution", "--seed", "0",
        "-o", model, "--json",
    )  # fmt: skip
    s = json.loads(r.stdout)
    assert s["model"] == "BayesianGaussianMixture" and s["effective_k"] == 3
    est = emclust.load(model)
    assert est.weight_concentration_prior_ == 0.01
    assert est.weight_concentration_prior_type == "dirichlet_distribution"
    np.testing.assert_allclose(s["weights"], est.weights_, rtol=1e-12)
    text = ok("fit", path, "-k", "4", "--bayesian", "--seed", "0").stdout
    assert "weights" in text and "above 0.01" in text


def test_fit_bayesian_plot_is_a_png(csv, tmp_path):
    pytest.importorskip("matplotlib")
    path, _ = csv
    png = tmp_path / "fit.png"
    ok("fit", path, "-k", "5", "--bayesian", "--seed", "0", "--plot", png)
    assert png.read_bytes()[:8] == PNG_SIGNATURE


def test_prior_options_need_bayesian(csv):
    path, _ = csv
    fails(
        "fit", path, "-k", "3", "--model", "kmeans", "--weight-concentration-prior",
        "0.1", match="--weight-concentration-prior does not apply", code=2,
    )  # fmt: skip
    fails(
        "fit",
        path,
        "-k",
        "3",
        "--model",
        "kmeans",
        "--bayesian",
        match="--bayesian",
        code=2,
    )
