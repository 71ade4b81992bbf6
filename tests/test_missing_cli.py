"""The command line on incomplete tables: --missing keep fits the empty cells
as missing values, and `emclust impute` fills them in."""

import emclust
import numpy as np
import pytest
from test_cli import fails, ok


def incomplete_csv(tmp_path):
    rng = np.random.default_rng(4)
    centres = np.array([[0.0, 0.0, 0.0], [6.0, 1.0, 3.0], [1.0, 7.0, -2.0]])
    X = centres[rng.integers(0, 3, 120)] + rng.normal(size=(120, 3))
    holes = rng.random(X.shape) < 0.2
    holes[:, 0] &= ~holes[:, 1:].all(axis=1)  # every row keeps an entry
    X[holes] = np.nan
    lines = [",".join("" if np.isnan(v) else repr(float(v)) for v in row) for row in X]
    path = tmp_path / "holes.csv"
    path.write_text("a,b,c\n" + "\n".join(lines) + "\n")
    return path, X


def test_fit_keeps_missing_cells(tmp_path):
    path, X = incomplete_csv(tmp_path)
    line = fails("fit", path, "-k", 3, match="row(s)")
    assert "--missing keep" in line
    model = tmp_path / "m.json"
    ok("fit", path, "-k", 3, "--missing", "keep", "--seed", "1", "-o", model, "-q")
    fitted = emclust.load(model)
    direct = emclust.GaussianMixture(3, random_state=1).fit(X)
    np.testing.assert_allclose(fitted.means_, direct.means_, rtol=1e-12)


def test_impute_writes_the_filled_table(tmp_path):
    path, X = incomplete_csv(tmp_path)
    out = tmp_path / "filled.csv"
    ok("impute", path, "-k", 3, "--seed", "1", "-o", out, "-q")
    filled = np.loadtxt(out, delimiter=",", skiprows=1)
    observed = ~np.isnan(X)
    assert filled.shape == X.shape and np.isfinite(filled).all()
    np.testing.assert_array_equal(filled[observed], X[observed])
    want = emclust.GaussianMixture(3, random_state=1).fit(X).impute(X)
    np.testing.assert_allclose(filled, want, rtol=1e-12)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_fit_plot_draws_incomplete_rows(tmp_path):
    pytest.importorskip("matplotlib")
    path, X = incomplete_csv(tmp_path)
    # Three features: projected on the principal axes of the completed data.
    ok("fit", path, "-k", 3, "--missing", "keep", "--plot", tmp_path / "p3.png", "-q")
    assert (tmp_path / "p3.png").read_bytes()[:8] == PNG_SIGNATURE
    two = tmp_path / "two.csv"
    keep = ~np.isnan(X[:, :2]).all(axis=1)
    lines = [
        ",".join("" if np.isnan(v) else repr(float(v)) for v in row)
        for row in X[keep, :2]
    ]
    two.write_text("a,b\n" + "\n".join(lines) + "\n")
    ok("fit", two, "-k", 3, "--missing", "keep", "--plot", tmp_path / "p2.png", "-q")
    assert (tmp_path / "p2.png").read_bytes()[:8] == PNG_SIGNATURE


def test_bernoulli_fit_plot_with_missing_cells(tmp_path):
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(2)
    B = (rng.random((150, 5)) < 0.5).astype(float)
    B[rng.random(B.shape) < 0.2] = np.nan
    B[np.isnan(B).all(axis=1), 0] = 1.0
    path = tmp_path / "b.csv"
    lines = [",".join("" if np.isnan(v) else str(int(v)) for v in row) for row in B]
    path.write_text("a,b,c,d,e\n" + "\n".join(lines) + "\n")
    args = ("--model", "bernoulli", "-k", 2, "--missing", "keep", "-q")
    ok("fit", path, *args, "--plot", tmp_path / "b.png")
    assert (tmp_path / "b.png").read_bytes()[:8] == PNG_SIGNATURE


def test_plotted_points_of_incomplete_rows():
    from emclust.cli._plot import _complete_rows

    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 3)) + 5 * (np.arange(80) % 2)[:, None]
    holes = X.copy()
    holes[::4, 1] = np.nan
    gm = emclust.GaussianMixture(2, random_state=0).fit(holes)
    labels = gm.predict(holes)
    P, lab, imputed, note = _complete_rows(holes, labels, gm)
    assert np.isfinite(P).all() and "20 incomplete rows" in note
    np.testing.assert_array_equal(imputed, np.isnan(holes).any(axis=1))
    np.testing.assert_array_equal(P, gm.impute(holes))
    np.testing.assert_array_equal(lab, labels)
    # A model that cannot impute (K-means): the incomplete rows are left out.
    km = emclust.KMeans(2, random_state=0).fit(X)
    P, lab, imputed, note = _complete_rows(holes, km.predict(X), km)
    assert P.shape == (60, 3) and not imputed.any() and "not shown" in note
    np.testing.assert_array_equal(P, X[np.arange(80) % 4 != 0])
