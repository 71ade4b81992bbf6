"""The sparse (CSR) kernels of emclust._core against the dense ones.

From the same initial centres (or parameters) the sparse and the dense path
must give the same labels and centres to 1e-12, also for zero rows, empty
columns, duplicate entries and unsorted indices, and the same bits for any
number of threads.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from emclust import _core

THREADS = [1, 2, 3]
INDEX_TYPES = [pytest.param(np.int32, id="int32"), pytest.param(np.int64, id="int64")]


def clustered_csr(n=600, d=80, k=4, density=0.08, seed=0, dtype=np.float64):
    """Sparse rows with cluster structure: each cluster has its own columns
    where its rows are denser, plus background nonzeros everywhere; a few
    rows are all zero and the last columns are empty."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, size=n)
    block = (d - 5) // k
    dense = np.zeros((n, d))
    background = rng.random((n, d)) < density
    dense[background] = rng.uniform(0.1, 1.0, size=background.sum())
    for i, c in enumerate(labels):
        cols = c * block + rng.choice(block, size=block // 2, replace=False)
        dense[i, cols] = rng.uniform(1.0, 3.0, size=cols.size)
    dense[:, d - 5 :] = 0.0  # empty columns
    dense[rng.choice(n, size=7, replace=False)] = 0.0  # zero rows
    return sp.csr_matrix(dense.astype(dtype))


def messy(X, seed=1):
    """The same matrix with every row's entries shuffled and some split into
    duplicates (stored twice, the two parts summing to the value)."""
    rng = np.random.default_rng(seed)
    X = X.tocsr()
    indptr, indices, data = [0], [], []
    for r in range(X.shape[0]):
        cols = X.indices[X.indptr[r] : X.indptr[r + 1]]
        vals = X.data[X.indptr[r] : X.indptr[r + 1]]
        split = rng.random(cols.size) < 0.3
        c = np.concatenate([cols, cols[split]])
        v = np.concatenate([vals - np.where(split, vals / 4, 0), vals[split] / 4])
        order = rng.permutation(c.size)
        indices.extend(c[order])
        data.extend(v[order])
        indptr.append(len(indices))
    out = sp.csr_matrix(
        (np.asarray(data, X.dtype), np.asarray(indices), np.asarray(indptr)),
        shape=X.shape,
    )
    assert not out.has_canonical_format
    return out


def csr(X, index=np.int32):
    X = X.tocsr()
    return (
        X.indptr.astype(index),
        X.indices.astype(index),
        np.ascontiguousarray(X.data),
        X.shape[1],
    )


def dense_of(X):
    """Densified as the sparse core sums duplicates: in stored order."""
    return np.ascontiguousarray(X.toarray())


def fit_both(X, metric, init_rows, sample_weight=None, n_threads=2, index=np.int32):
    A = dense_of(X)
    init = np.ascontiguousarray(A[init_rows], dtype=np.float64)
    common = dict(
        sample_weight=sample_weight,
        metric=metric,
        n_clusters=len(init_rows),
        init="array",
        init_centers=init,
        max_iter=100,
        tol=0.0,
        n_init=1,
        seed=0,
        n_threads=n_threads,
    )
    sparse = _core.sparse_kmeans_fit(*csr(X, index), **common)
    dense = _core.kmeans_fit(A, **common)
    return sparse, dense


def assert_same_fit(sparse, dense, rtol=1e-12):
    np.testing.assert_array_equal(sparse[1], dense[1])
    scale = np.abs(dense[0]).max()
    np.testing.assert_allclose(sparse[0], dense[0], rtol=rtol, atol=rtol * scale)
    assert sparse[2] == pytest.approx(dense[2], rel=1e-10)
    assert sparse[3] == dense[3]


# --- K-means and K-medians ----------------------------------------------------


@pytest.mark.parametrize("metric", ["l2", "l1"])
@pytest.mark.parametrize("index", INDEX_TYPES)
def test_fit_matches_dense_from_same_centres(metric, index):
    X = clustered_csr()
    sparse, dense = fit_both(X, metric, [0, 50, 100, 150], index=index)
    assert sparse[3] > 1  # it iterated
    assert_same_fit(sparse, dense)


@pytest.mark.parametrize("metric", ["l2", "l1"])
def test_duplicates_and_unsorted_indices(metric):
    X = clustered_csr(seed=3)
    sparse_messy, dense = fit_both(messy(X), metric, [1, 2, 3, 4, 5])
    assert_same_fit(sparse_messy, dense)
    sparse_clean, _ = fit_both(X, metric, [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(sparse_messy[1], sparse_clean[1])


@pytest.mark.parametrize("metric", ["l2", "l1"])
def test_weighted_fit_matches_dense(metric):
    X = clustered_csr(seed=4)
    w = np.random.default_rng(0).integers(0, 4, size=X.shape[0]).astype(np.float64)
    sparse, dense = fit_both(X, metric, [0, 10, 20, 30], sample_weight=w)
    assert_same_fit(sparse, dense)


@pytest.mark.parametrize("metric", ["l2", "l1"])
def test_empty_cluster_relocation_matches_dense(metric):
    # Two identical initial centres: the second starts empty and takes the
    # row farthest from its centre.
    X = clustered_csr(seed=5)
    sparse, dense = fit_both(X, metric, [0, 0, 200])
    assert_same_fit(sparse, dense)
    assert len(np.unique(sparse[1])) == 3


@pytest.mark.parametrize("metric", ["l2", "l1"])
def test_bit_identical_for_any_thread_count(metric):
    X = clustered_csr(n=3000, seed=6)
    runs = [
        _core.sparse_kmeans_fit(
            *csr(X), None, metric, 6, "k-means++", None, 50, 1e-4, 2, 7, t
        )
        for t in THREADS
    ]
    for other in runs[1:]:
        np.testing.assert_array_equal(other[0], runs[0][0])
        np.testing.assert_array_equal(other[1], runs[0][1])
        assert other[2] == runs[0][2]


@pytest.mark.parametrize("metric", ["l2", "l1"])
def test_plusplus_seeds_match_dense(metric):
    X = clustered_csr(seed=7)
    w = np.random.default_rng(1).uniform(0.5, 2.0, X.shape[0])
    for sample_weight in (None, w):
        rows_sparse = _core.sparse_kmeans_plusplus(
            *csr(X), sample_weight, 5, metric, 3, 2
        )
        rows_dense = _core.kmeans_plusplus(dense_of(X), sample_weight, 5, metric, 3, 2)
        np.testing.assert_array_equal(rows_sparse, rows_dense)


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_seeded_fit_matches_dense(init):
    X = clustered_csr(seed=8)
    args = (None, "l2", 4, init, None, 100, 1e-4, 3, 11, 2)
    assert_same_fit(
        _core.sparse_kmeans_fit(*csr(X), *args), _core.kmeans_fit(dense_of(X), *args)
    )


@pytest.mark.parametrize("metric", ["l2", "l1"])
def test_assign_and_distances_match_dense(metric):
    X = messy(clustered_csr(seed=9))
    A = dense_of(X)
    centres = np.ascontiguousarray(A[[3, 30, 300]] + 0.25)
    w = np.linspace(0.0, 2.0, X.shape[0])
    labels_s, inertia_s = _core.sparse_kmeans_assign(*csr(X), w, centres, metric, 3)
    labels_d, inertia_d = _core.kmeans_assign(A, w, centres, metric, 3)
    np.testing.assert_array_equal(labels_s, labels_d)
    assert inertia_s == pytest.approx(inertia_d, rel=1e-12)
    np.testing.assert_allclose(
        _core.sparse_kmeans_distances(*csr(X), centres, metric, 2),
        _core.kmeans_distances(A, centres, metric, 2),
        rtol=1e-12,
        atol=1e-12,
    )


def test_float32_matches_dense_float32():
    X = clustered_csr(seed=10, dtype=np.float32)
    sparse, dense = fit_both(X, "l2", [0, 100, 200, 300])
    np.testing.assert_array_equal(sparse[1], dense[1])
    np.testing.assert_allclose(sparse[0], dense[0], rtol=1e-5, atol=1e-6)


def test_kmedians_median_counts_implicit_zeros():
    # One cluster, column 0 holds 5, 7 and two implicit zeros: the median of
    # (0, 0, 5, 7) is 2.5; column 1 holds 1, 2, 3 and one zero: median 1.5.
    X = sp.csr_matrix(np.array([[5.0, 1.0], [7.0, 2.0], [0.0, 3.0], [0.0, 0.0]]))
    centres, labels, _, _ = _core.sparse_kmeans_fit(
        *csr(X), None, "l1", 1, "array", np.array([[1.0, 1.0]]), 10, 0.0, 1, 0, 1
    )
    np.testing.assert_array_equal(centres, [[2.5, 1.5]])
    np.testing.assert_array_equal(labels, [0, 0, 0, 0])


# --- mixture of Bernoullis ----------------------------------------------------


def binary_csr(n=800, d=60, k=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0.01, 0.4, size=(k, d))
    z = rng.integers(0, k, size=n)
    dense = (rng.random((n, d)) < theta[z]).astype(dtype)
    dense[:, -3:] = 0  # empty columns
    dense[:5] = 0  # zero rows
    return sp.csr_matrix(dense)


def bernoulli_start(d, k=3, seed=1):
    rng = np.random.default_rng(seed)
    return np.full(k, 1.0 / k), rng.uniform(0.05, 0.5, size=(k, d))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bernoulli_fit_matches_dense(dtype):
    X = binary_csr(dtype=dtype)
    weights, theta = bernoulli_start(X.shape[1])
    w = np.random.default_rng(2).uniform(0.5, 1.5, X.shape[0])
    args = (w, 3, 0.0, 1e-3, 25, 1, "k-means++", weights, theta, 0, 2, None)
    sparse = _core.sparse_bernoulli_fit(*csr(messy(X)), *args)
    dense = _core.bernoulli_fit(dense_of(X), *args)
    rtol = 1e-12 if dtype == np.float64 else 1e-4
    assert sparse["n_iter"] == dense["n_iter"] == 25
    np.testing.assert_allclose(sparse["weights"], dense["weights"], rtol=rtol)
    np.testing.assert_allclose(
        sparse["probabilities"], dense["probabilities"], rtol=rtol
    )
    np.testing.assert_allclose(sparse["lower_bounds"], dense["lower_bounds"], rtol=rtol)


@pytest.mark.parametrize("init", ["k-means++", "random", "random_from_data"])
def test_bernoulli_initialisations_match_dense(init):
    X = binary_csr(seed=3)
    args = (None, 3, 1e-3, 1e-3, 5, 2, init, None, None, 4, 2, None)
    sparse = _core.sparse_bernoulli_fit(*csr(X), *args)
    dense = _core.bernoulli_fit(dense_of(X), *args)
    np.testing.assert_allclose(
        sparse["probabilities"], dense["probabilities"], rtol=1e-12
    )
    np.testing.assert_allclose(sparse["weights"], dense["weights"], rtol=1e-12)


def test_bernoulli_e_step_and_statistics_match_dense():
    X = binary_csr(seed=4)
    weights, theta = bernoulli_start(X.shape[1])
    for log_resp in (False, True):
        rs, ls = _core.sparse_bernoulli_e_step(
            *csr(messy(X)), weights, theta, True, True, log_resp, 3
        )
        rd, ld = _core.bernoulli_e_step(
            dense_of(X), weights, theta, True, True, log_resp, 3
        )
        np.testing.assert_allclose(rs, rd, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(ls, ld, rtol=1e-12)
    w = np.linspace(0.0, 1.0, X.shape[0])
    ss = _core.sparse_bernoulli_statistics(*csr(X), w, weights, theta, 2)
    sd = _core.bernoulli_statistics(dense_of(X), w, weights, theta, 2)
    for key in ("resp_sum", "x_sum"):
        np.testing.assert_allclose(ss[key], sd[key], rtol=1e-12, atol=1e-12)
    assert ss["log_likelihood"] == pytest.approx(sd["log_likelihood"], rel=1e-12)
    assert ss["weight_sum"] == pytest.approx(sd["weight_sum"], rel=1e-14)


def test_bernoulli_bit_identical_for_any_thread_count():
    X = binary_csr(n=5000, seed=5)
    fits = [
        _core.sparse_bernoulli_fit(
            *csr(X), None, 4, 1e-3, 1e-3, 20, 1, "k-means++", None, None, 9, t, None
        )
        for t in THREADS
    ]
    for other in fits[1:]:
        np.testing.assert_array_equal(other["probabilities"], fits[0]["probabilities"])
        assert other["lower_bound"] == fits[0]["lower_bound"]


# --- malformed input --------------------------------------------------------


def test_malformed_csr_is_a_value_error():
    indptr, indices, data, d = csr(clustered_csr(n=20, d=10))
    args = (None, "l2", 2, "k-means++", None, 10, 1e-4, 1, 0, 1)
    bad_indptr = indptr.copy()
    bad_indptr[3] = bad_indptr[2] - 1
    with pytest.raises(ValueError, match="indptr must not decrease"):
        _core.sparse_kmeans_fit(bad_indptr, indices, data, d, *args)
    bad_indices = indices.copy()
    bad_indices[0] = d
    with pytest.raises(ValueError, match="indices must lie in"):
        _core.sparse_kmeans_fit(indptr, bad_indices, data, d, *args)
    bad_data = data.copy()
    bad_data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _core.sparse_kmeans_fit(indptr, indices, bad_data, d, *args)
    with pytest.raises(ValueError, match="same length"):
        _core.sparse_kmeans_fit(indptr, indices, data[:-1], d, *args)
    with pytest.raises(ValueError, match="n_clusters"):
        _core.sparse_kmeans_fit(
            indptr,
            indices,
            data,
            d,
            None,
            "l2",
            100,
            "k-means++",
            None,
            10,
            1e-4,
            1,
            0,
            1,
        )
