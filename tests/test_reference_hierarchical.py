"""The NumPy model-based hierarchical clustering against mclust 6.0's hc()."""

import _mclust_tables as tables
import numpy as np
import pytest
from emclust.reference import hierarchical


@pytest.mark.parametrize("name", tables.DATA_SETS)
def test_merge_sequence_equals_mclust(name):
    X = tables.data(name)
    want = tables.hc_pairs(name)
    np.testing.assert_array_equal(hierarchical.hc_vvv(X), want)


@pytest.mark.parametrize("name", ["faithful", "iris"])
def test_cuts_equal_mclust_hclass(name):
    initial, parts = tables.hc_partitions(name)
    pairs = hierarchical.hc_vvv(tables.data(name))
    for G in range(1, 10):
        np.testing.assert_array_equal(
            hierarchical.hclass(pairs, initial, G), parts[:, G - 1]
        )


def test_transform_is_whitened_and_invariant_to_affine_maps():
    X = tables.data("iris")
    Z = hierarchical.svd_transform(X)
    # Z = U S^(1/2): orthogonal columns with squared norms the singular values
    gram = Z.T @ Z
    np.testing.assert_allclose(gram, np.diag(np.diag(gram)), atol=1e-10)
    # standardising first makes Z blind to column scales and shifts (up to the
    # SVD's column signs). The merges are not compared: iris's many equal
    # distances become near-ties whose order rounding decides.
    shifted = X * np.array([2.0, 0.5, 3.0, 1.0]) + 100.0
    np.testing.assert_allclose(
        np.abs(hierarchical.svd_transform(shifted)), np.abs(Z), atol=1e-9
    )


def test_dup_partition_groups_identical_rows_by_first_appearance():
    X = np.array([[1.0, 2.0], [0.0, 0.0], [1.0, 2.0], [5.0, 5.0], [0.0, 0.0]])
    np.testing.assert_array_equal(hierarchical.dup_partition(X), [1, 2, 1, 3, 2])
