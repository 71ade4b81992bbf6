"""The command line on incomplete tables: --missing keep fits the empty cells
as missing values, and `emclust impute` fills them in."""

import emclust
import numpy as np
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
