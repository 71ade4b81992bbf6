"""emclust classify and emclust fit --noise (issue 27) from the command line."""

import json

import emclust
import numpy as np
import pytest
from sklearn.datasets import load_iris
from test_cli import PNG_SIGNATURE, fails, ok


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    X, y = load_iris(return_X_y=True)
    species = np.array(["setosa", "versicolor", "virginica"])[y]
    root = tmp_path_factory.mktemp("classify")
    names = "a,b,c,d"
    train = root / "train.csv"
    with open(train, "w") as f:
        f.write(names + ",species\n")
        for row, s in zip(X, species):
            f.write(",".join(repr(float(v)) for v in row) + f",{s}\n")
    data = root / "data.csv"
    np.savetxt(data, X, delimiter=",", header=names, comments="")
    return train, data, X, species


def test_classify_writes_labels_and_a_model_file(iris, tmp_path):
    train, data, X, species = iris
    out, model = tmp_path / "labels.csv", tmp_path / "m.json"
    ok(
        "classify", train, data, "--label", "species", "--covariance-type", "tied",
        "-o", out, "--model-output", model,
    )  # fmt: skip
    labels = np.loadtxt(out, dtype=str, skiprows=1)
    est = emclust.load(model)
    est.__dict__.pop("feature_names_in_", None)
    np.testing.assert_array_equal(labels, est.predict(X))
    assert (labels == species).mean() >= 0.97
    # The saved classifier predicts through `emclust predict` too.
    again = ok("predict", model, data).stdout.split()[1:]
    np.testing.assert_array_equal(again, labels)


def test_classify_summary_proba_and_bic(iris):
    train, data, _, _ = iris
    s = json.loads(ok("classify", train, "--label", "4", "-k", "bic", "--json").stdout)
    assert s["classes"] == ["setosa", "versicolor", "virginica"]
    assert s["training_accuracy"] > 0.95
    text = ok("classify", train, data, "--label", "species", "--proba").stdout
    assert text.splitlines()[0] == "label,p_setosa,p_versicolor,p_virginica"


def test_classify_semi_supervised(tmp_path):
    X, y = load_iris(return_X_y=True)
    rng = np.random.default_rng(0)
    ys = np.full(150, -1)
    for c in range(3):
        ys[rng.choice(np.flatnonzero(y == c), 10, replace=False)] = c
    path = tmp_path / "partly.csv"
    np.savetxt(path, np.column_stack([X, ys]), delimiter=",", header="a,b,c,d,y",
               comments="", fmt=["%.1f"] * 4 + ["%d"])  # fmt: skip
    s = json.loads(ok("classify", path, "--label", "y", "--json").stdout)
    assert s["n_unlabelled"] == 120 and s["classes"] == [0, 1, 2]


def test_classify_plot(iris, tmp_path):
    pytest.importorskip("matplotlib")
    train, data, _, _ = iris
    png = tmp_path / "c.png"
    ok("classify", train, data, "--label", "species", "-o", tmp_path / "l.csv",
       "--plot", png)  # fmt: skip
    assert png.read_bytes()[:8] == PNG_SIGNATURE


def test_classify_errors(iris, tmp_path):
    train = iris[0]
    fails("classify", train, "--label", "nope", match="no label column 'nope'")
    fails(
        "classify", train, "--label", "species", "-k", "0", match="-k must be", code=2
    )
    bad = tmp_path / "na.csv"
    bad.write_text("a,b,y\n1,2,x\n3,4,\n5,6,z\n")
    fails("classify", bad, "--label", "y", match="empty or NA in 1 row")
    fails("classify", train, "--label", "species", "-k", "80",
          match="fewer than its 80 components need")  # fmt: skip


@pytest.fixture(scope="module")
def noisy(tmp_path_factory):
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(m, 1.0, (200, 2)) for m in ([0, 0], [8, 0], [0, 8])])
    X = np.vstack([X, rng.uniform(-10, 18, (60, 2))])
    path = tmp_path_factory.mktemp("noise") / "noisy.csv"
    np.savetxt(path, X, delimiter=",", header="a,b", comments="")
    return path, X


def test_fit_noise_summary_model_file_and_plot(noisy, tmp_path):
    path, X = noisy
    model, labels = tmp_path / "m.json", tmp_path / "l.csv"
    s = json.loads(
        ok(
            "fit", path, "-k", "3", "--noise", "--json", "-o", model, "--labels", labels
        ).stdout
    )
    assert 30 <= s["noise_rows"] <= 90 and sum(s["sizes"]) + s["noise_rows"] == len(X)
    est = emclust.load(model)
    assert est.noise_weight_ == pytest.approx(s["noise_weight"])
    est.__dict__.pop("feature_names_in_", None)
    written = np.loadtxt(labels, skiprows=1)
    np.testing.assert_array_equal(written, est.predict(X))
    assert (written == -1).sum() == s["noise_rows"]
    pytest.importorskip("matplotlib")
    png = tmp_path / "n.png"
    ok("fit", path, "-k", "3", "--noise", "--noise-volume", "784", "--plot", png)
    assert png.read_bytes()[:8] == PNG_SIGNATURE


def test_fit_noise_errors(noisy):
    path, _ = noisy
    fails("fit", path, "-k", "3", "--noise-volume", "5", match="--noise-volume applies",
          code=2)  # fmt: skip
    fails("fit", path, "-k", "3", "--noise", "--model", "kmeans", match="--noise",
          code=2)  # fmt: skip
