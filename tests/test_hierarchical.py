"""The hierarchical (hc) start against mclust 6.0's hc(X, "VVV", use="SVD")."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from emclust.models.hierarchical import hierarchical_tree

TABLES = Path(__file__).parent / "mclust"
# Every data set's whole merge sequence is mclust's (faithful's and diabetes's
# parted from it while the criterion took half the log-determinant).
EXACT = ["faithful", "iris", "diabetes", "banknote", "thyroid", "wine"]


def _data(name):
    return (
        pd.read_csv(TABLES / "data" / f"{name}.csv")
        .select_dtypes("number")
        .to_numpy(float)
    )


@pytest.mark.parametrize("name", EXACT)
def test_merge_sequence_is_mclusts(name):
    tree = hierarchical_tree(_data(name))
    pairs = pd.read_csv(TABLES / f"{name}_hc_pairs.csv").to_numpy() - 1
    np.testing.assert_array_equal(tree.merges, pairs)


@pytest.mark.parametrize("name", EXACT)
def test_cuts_are_mclusts(name):
    tree = hierarchical_tree(_data(name))
    parts = pd.read_csv(TABLES / f"{name}_hc_partitions.csv")
    for G in range(1, 10):
        expected = parts[str(G)].to_numpy() - 1
        np.testing.assert_array_equal(tree.partition(G), expected, err_msg=f"G={G}")


@pytest.mark.parametrize("n_threads", [1, 2, 3], ids=lambda t: f"threads={t}")
def test_identical_for_any_thread_count(n_threads):
    X = np.random.default_rng(0).normal(size=(300, 4))
    ref = hierarchical_tree(X, n_threads=1)
    tree = hierarchical_tree(X, n_threads=n_threads)
    np.testing.assert_array_equal(tree.merges, ref.merges)
    np.testing.assert_array_equal(tree.costs, ref.costs)


def test_subset_is_seeded_and_bounded():
    X = np.random.default_rng(1).normal(size=(5000, 3))
    a = hierarchical_tree(X, max_samples=300, random_state=7)
    b = hierarchical_tree(X, max_samples=300, random_state=7)
    c = hierarchical_tree(X, max_samples=300, random_state=8)
    assert a.sample_indices.shape == (300,)
    assert np.all(np.diff(a.sample_indices) > 0)
    np.testing.assert_array_equal(a.sample_indices, b.sample_indices)
    np.testing.assert_array_equal(a.merges, b.merges)
    assert not np.array_equal(a.sample_indices, c.sample_indices)
    labels = a.partition(4)
    assert labels.shape == (300,)
    assert set(labels) == {0, 1, 2, 3}


def test_bad_input():
    X = np.random.default_rng(2).normal(size=(20, 2))
    tree = hierarchical_tree(X)
    with pytest.raises(ValueError, match="n_components"):
        tree.partition(21)
    with pytest.raises(ValueError, match="n_components"):
        tree.partition(0)
    with pytest.raises(ValueError, match="max_samples"):
        hierarchical_tree(X, max_samples=0)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        hierarchical_tree(bad)


@pytest.mark.parametrize("exponent", [-1000, -300, 300, 600, 1000])
def test_tree_does_not_depend_on_a_power_of_two_scale(exponent):
    # Squares of data near 1e154 overflowed the standard deviation of the
    # SVD transform: every column was dropped and the tree had no merges, so
    # a cut at 1 cluster gave 20 labels (the CLI's select crashed on it).
    X = _data("faithful")
    ref = hierarchical_tree(X)
    tree = hierarchical_tree(np.ldexp(X, exponent))
    np.testing.assert_array_equal(tree.merges, ref.merges)
    np.testing.assert_array_equal(tree.partition(3), ref.partition(3))


def test_identical_rows_are_one_cluster():
    tree = hierarchical_tree(np.full((7, 3), 2.5))
    np.testing.assert_array_equal(tree.partition(1), np.zeros(7, dtype=int))
    with pytest.raises(ValueError, match="1 distinct rows"):
        tree.partition(2)
