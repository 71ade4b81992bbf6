"""``emclust fit --online`` and the out-of-core fit of a .npy file larger than
--memory-budget, run as subprocesses (``python -m emclust``) with a timeout."""

import json
import os
import subprocess
import sys
from pathlib import Path

import emclust
import numpy as np
import pytest


def run(*args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(emclust.__file__).parents[1]), env.get("PYTHONPATH", "")]
    )
    return subprocess.run(
        [sys.executable, "-m", "emclust", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def ok(*args):
    r = run(*args)
    assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """60,000 rows of 3 separated Gaussians in 3-D, as .npy (1.4 MiB)."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0, 0], [8, 0, 0], [0, 8, 8]])
    X = centres[rng.integers(0, 3, 60_000)] + rng.normal(size=(60_000, 3))
    path = tmp_path_factory.mktemp("cli") / "x.npy"
    np.save(path, X)
    return path, X


def test_fit_online_shows_batches_and_epochs_and_saves_the_model(data, tmp_path):
    path, X = data
    model = tmp_path / "m.json"
    r = ok(
        "fit",
        path,
        "-k",
        3,
        "--online",
        "--batch-size",
        6000,
        "--max-iter",
        4,
        "--learning-decay",
        0.9,
        "--progress",
        "--json",
        "-o",
        model,
    )
    s = json.loads(r.stdout)
    assert s["n_rows"] == 60_000 and 1 <= s["n_iter"] <= 4
    assert sorted(s["sizes"]) == sorted(np.bincount(emclust.load(model).predict(X)))
    # The bar counts the 10 batches of every epoch.
    assert "epoch 1/4" in r.stderr and "/10 [" in r.stderr
    m = emclust.load(model)
    assert (m.batch_size, m.learning_decay) == (6000, 0.9)
    ref = emclust.GaussianMixture(
        3, batch_size=6000, max_iter=4, learning_decay=0.9, random_state=0
    ).fit(X)
    np.testing.assert_array_equal(m.means_, ref.means_)


def test_a_npy_file_over_the_memory_budget_is_fitted_out_of_core(data, tmp_path):
    path, X = data
    labels = tmp_path / "labels.csv"
    r = ok("fit", path, "-k", 3, "--memory-budget", 1, "--json", "--labels", labels)
    s = json.loads(r.stdout)
    # Exact EM over the core's row blocks, initialised from the first block.
    from emclust.drivers.streaming import GaussianModel, exact_block_rows

    rows = exact_block_rows(GaussianModel("full"), 60_000, 3, 3)
    blocks = [X[a : a + rows] for a in range(0, 60_000, rows)]
    ref = emclust.GaussianMixture(3, random_state=0).fit(blocks)
    assert s["n_iter"] == ref.n_iter_
    assert s["log_likelihood"] == pytest.approx(ref.score(X) * 60_000, rel=1e-12)
    written = np.loadtxt(labels, skiprows=1, dtype=int)
    np.testing.assert_array_equal(written, ref.predict(X))
    assert s["sizes"] == np.bincount(written, minlength=3).tolist()


def test_a_mapped_file_must_be_complete(tmp_path):
    X = np.ones((4000, 2))
    X[17, 1] = np.nan
    np.save(tmp_path / "nan.npy", X)
    r = run("fit", tmp_path / "nan.npy", "-k", 2, "--memory-budget", 0)
    assert r.returncode != 0


def test_online_options_are_checked(data):
    path, _ = data
    r = run("fit", path, "-k", 3, "--model", "kmeans", "--online")
    assert r.returncode == 2 and "--online does not apply to --model kmeans" in r.stderr
    r = run("fit", path, "-k", 3, "--learning-decay", 0.8)
    assert r.returncode == 1 and "apply with --online" in r.stderr
    r = run("fit", path, "-k", 3, "--online", "--learning-decay", 0.4)
    assert r.returncode == 2 and "learning-decay" in r.stderr
