"""What a new user's CSV files look like and how the CLI reads them: model
files keep the column names and predict matches them by name, a pandas index
column is skipped with a note, the delimiter is sniffed, and messages print
plain numbers."""

import json

import numpy as np
import pytest
from emclust.cli._data import read_data, sniff_delimiter
from test_cli import fails, ok, run


@pytest.fixture(scope="module")
def wine(tmp_path_factory):
    """178 rows of scikit-learn's wine data, 5 columns, as a CSV with a header."""
    from sklearn.datasets import load_wine

    data = load_wine()
    X = data.data[:, :5]
    names = ["alcohol", "malic", "ash", "alcalinity", "magnesium"]
    d = tmp_path_factory.mktemp("wine")
    write_csv(d / "wine.csv", names, X)
    order = [3, 0, 4, 2, 1]
    write_csv(d / "shuffled.csv", [names[j] for j in order], X[:, order])
    renamed = list(names)
    renamed[2] = "ash_content"
    write_csv(d / "renamed.csv", renamed, X)
    return d, X, names


def write_csv(path, names, X, sep=",", decimal="."):
    lines = [sep.join(names)]
    for row in X:
        lines.append(sep.join(repr(float(v)).replace(".", decimal) for v in row))
    path.write_text("\n".join(lines) + "\n")


def labels(csv_text):
    return np.array([int(v) for v in csv_text.split()[1:]])


def test_reordered_columns_predict_the_same_labels(wine):
    d, _, names = wine
    model = d / "m.json"
    ok("fit", d / "wine.csv", "-k", 3, "--seed", 0, "-q", "-o", model)
    stored = json.loads(model.read_text())["attributes"]["feature_names_in_"]
    assert stored == names
    same = labels(ok("predict", model, d / "wine.csv").stdout)
    shuffled = labels(ok("predict", model, d / "shuffled.csv").stdout)
    assert same.size == 178 and len(set(same)) == 3
    np.testing.assert_array_equal(shuffled, same)


def test_mismatched_names_are_refused(wine):
    d, _, _ = wine
    model = d / "m2.json"
    ok("fit", d / "wine.csv", "-k", 2, "--seed", 0, "-q", "-o", model)
    line = fails("predict", model, d / "renamed.csv", match="lacks the model's column")
    assert "ash" in line and "ash_content" in line


def test_model_file_without_names_still_reads(wine, tmp_path):
    d, X, _ = wine
    np.save(tmp_path / "x.npy", X)
    model = tmp_path / "m.json"
    ok("fit", tmp_path / "x.npy", "-k", 2, "--seed", 0, "-q", "-o", model)
    content = json.loads(model.read_text())
    assert content["format_version"] == 1
    assert "feature_names_in_" not in content["attributes"]
    # A file without names is matched by position, as before.
    assert labels(ok("predict", model, d / "wine.csv").stdout).size == 178


def test_pandas_index_column_is_skipped_and_reported(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    lines = [",a,b"] + [f"{i},{float(x)!r},{float(y)!r}" for i, (x, y) in enumerate(X)]
    path = tmp_path / "indexed.csv"
    path.write_text("\n".join(lines) + "\n")
    ds = read_data(str(path))
    assert ds.names == ["a", "b"]
    np.testing.assert_array_equal(ds.X, X)
    assert len(ds.notes) == 1 and "row index" in ds.notes[0]
    r = ok("fit", path, "-k", 2, "--seed", 0)
    assert "skipped the first column" in r.stderr
    assert "2 columns" in r.stdout or "x 2" in r.stdout


@pytest.mark.parametrize("sep", [";", "|", "\t"])
def test_delimiter_is_sniffed(tmp_path, sep):
    X = np.random.default_rng(1).normal(size=(30, 3))
    path = tmp_path / "data.csv"
    write_csv(path, ["x", "y", "z"], X, sep=sep)
    ds = read_data(str(path))
    assert ds.names == ["x", "y", "z"]
    np.testing.assert_array_equal(ds.X, X)


def test_decimal_commas_with_semicolons_read_right_or_say_why(tmp_path):
    X = np.round(np.random.default_rng(2).normal(size=(20, 2)), 3)
    path = tmp_path / "de.csv"
    write_csv(path, ["x", "y"], X, sep=";", decimal=",")
    # ';' splits every line evenly, so it is the delimiter; the decimal comma
    # is then named as the likely cause.
    assert sniff_delimiter(path.read_text().splitlines()) == ";"
    line = fails("fit", path, "-k", 2, match="not numeric")
    assert "decimal comma" in line


def test_explicit_delimiter(tmp_path):
    X = np.random.default_rng(3).normal(size=(25, 2))
    path = tmp_path / "colon.txt"
    write_csv(path, ["p", "q"], X, sep=":")
    ds = read_data(str(path), delimiter=":")
    np.testing.assert_array_equal(ds.X, X)
    r = ok("fit", path, "-k", 2, "--delimiter", ":", "--seed", 0, "--json")
    assert json.loads(r.stdout)
    fails("fit", path, "-k", 2, "--delimiter", "::", match="--delimiter", code=2)


def test_messages_print_plain_numbers(tmp_path):
    X = np.random.default_rng(4).normal(size=(20, 2)) + 0.5
    path = tmp_path / "real.csv"
    write_csv(path, ["a", "b"], X)
    line = fails("fit", path, "-k", 2, "--model", "bernoulli", match="binary")
    assert "np." not in line and repr(float(X[0, 0])) in line


def test_version_does_not_import_scikit_learn():
    code = (
        "import sys, emclust.cli; "
        "emclust.cli.main(['--version']); "
        "print('sklearn' in sys.modules)"
    )
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[-1] == "False"
    assert run("--help").returncode == 0
