"""Sparse input (scipy.sparse) through the estimators and functions:
KMeans, KMedians, kmeans_plusplus, k_means and BernoulliMixture fit a sparse
matrix on its nonzeros and give what the same data gives dense; the Gaussian
mixture refuses sparse input and says so."""

import emclust
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

DTYPES = [np.float64, np.float32]
CENTROIDS = [emclust.KMeans, emclust.KMedians]


def clustered(n=400, d=40, k=4, density=0.08, seed=0, dtype=np.float64):
    """Sparse rows with cluster structure (each cluster denser on its own
    columns), a few all-zero rows and all-zero last columns; returned as
    (CSR matrix, the same data dense)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, size=n)
    block = (d - 4) // k
    A = np.where(rng.random((n, d)) < density, rng.uniform(0.1, 1.0, (n, d)), 0.0)
    for i, c in enumerate(labels):
        cols = c * block + rng.choice(block, size=block // 2, replace=False)
        A[i, cols] = rng.uniform(1.0, 3.0, size=cols.size)
    A[:, -4:] = 0.0
    A[rng.choice(n, size=6, replace=False)] = 0.0
    A = A.astype(dtype)
    return sp.csr_matrix(A), A


def tolerance(dtype):
    return 1e-10 if dtype == np.float64 else 1e-5


def assert_same_centroid_fit(a, b, dtype):
    np.testing.assert_array_equal(a.labels_, b.labels_)
    rtol = tolerance(dtype)
    scale = float(np.abs(b.cluster_centers_).max())
    np.testing.assert_allclose(
        a.cluster_centers_, b.cluster_centers_, rtol=rtol, atol=rtol * scale
    )
    assert a.cluster_centers_.dtype == b.cluster_centers_.dtype == dtype
    assert a.inertia_ == pytest.approx(b.inertia_, rel=rtol)
    assert a.n_iter_ == b.n_iter_


# --- KMeans and KMedians -------------------------------------------------------------


@pytest.mark.parametrize("Est", CENTROIDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_fit_equals_dense_fit(Est, dtype, init, weighted):
    X, A = clustered(seed=1, dtype=dtype)
    w = None
    if weighted:
        w = np.random.default_rng(2).integers(0, 4, X.shape[0]).astype(float)
    kw = dict(n_clusters=4, init=init, n_init=2, random_state=3, tol=0.0)
    a = Est(**kw).fit(X, sample_weight=w)
    b = Est(**kw).fit(A, sample_weight=w)
    assert b.n_iter_ > 1
    assert_same_centroid_fit(a, b, dtype)


@pytest.mark.parametrize("Est", CENTROIDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_inference_on_sparse_equals_dense(Est, dtype):
    X, A = clustered(seed=4, dtype=dtype)
    est = Est(4, random_state=0).fit(A)
    w = np.linspace(0.0, 2.0, X.shape[0])
    np.testing.assert_array_equal(est.predict(X), est.predict(A))
    t = est.transform(X)
    assert isinstance(t, np.ndarray) and t.dtype == dtype
    np.testing.assert_allclose(t, est.transform(A), rtol=tolerance(dtype), atol=1e-6)
    rtol = tolerance(dtype)
    assert est.score(X) == pytest.approx(est.score(A), rel=rtol)
    assert est.score(X, sample_weight=w) == pytest.approx(
        est.score(A, sample_weight=w), rel=rtol
    )
    fresh = Est(4, random_state=0)
    np.testing.assert_array_equal(fresh.fit_predict(X), est.labels_)
    np.testing.assert_allclose(
        Est(4, random_state=0).fit_transform(X),
        est.transform(A),
        rtol=rtol,
        atol=1e-6,
    )


def formats(X):
    """The same matrix in every scipy.sparse format, as matrices and arrays,
    and CSR with int64 indices."""
    out = {f: X.asformat(f) for f in ("csr", "csc", "coo", "lil", "dok", "bsr")}
    out.update({f"{f}_array": sp.csr_array(X).asformat(f) for f in ("csr", "csc")})
    big = X.copy()
    big.indptr = big.indptr.astype(np.int64)
    big.indices = big.indices.astype(np.int64)
    out["csr_int64"] = big
    return out


@pytest.mark.parametrize("Est", CENTROIDS)
def test_every_sparse_format_is_fitted_as_csr(Est):
    X, _ = clustered(seed=5)
    ref = Est(3, random_state=0).fit(X)
    for name, Y in formats(X).items():
        est = Est(3, random_state=0).fit(Y)
        np.testing.assert_array_equal(est.cluster_centers_, ref.cluster_centers_, name)
        np.testing.assert_array_equal(est.predict(Y), ref.labels_, name)


def messy(X, seed=1):
    """The same matrix with each row's entries shuffled, some split into two
    stored duplicates, and explicit zeros stored."""
    rng = np.random.default_rng(seed)
    X = X.tocsr()
    indptr, indices, data = [0], [], []
    for r in range(X.shape[0]):
        cols = X.indices[X.indptr[r] : X.indptr[r + 1]]
        vals = X.data[X.indptr[r] : X.indptr[r + 1]]
        split = rng.random(cols.size) < 0.3
        zeros = rng.choice(X.shape[1], size=2)
        c = np.concatenate([cols, cols[split], zeros])
        v = np.concatenate(
            [vals - np.where(split, vals / 4, 0), vals[split] / 4, np.zeros(2)]
        )
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


@pytest.mark.parametrize("Est", CENTROIDS)
def test_duplicates_unsorted_indices_and_explicit_zeros(Est):
    X, _ = clustered(seed=6)
    Y = messy(X)
    before = (Y.indptr.copy(), Y.indices.copy(), Y.data.copy())
    a = Est(4, random_state=1, tol=0.0).fit(Y)
    b = Est(4, random_state=1, tol=0.0).fit(Y.toarray())
    assert_same_centroid_fit(a, b, np.float64)
    # The caller's matrix is left as it was.
    for x, y in zip(before, (Y.indptr, Y.indices, Y.data), strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("Est", CENTROIDS)
def test_given_centres_and_callable_init_on_sparse(Est):
    X, A = clustered(seed=7)
    centres = A[[0, 100, 200]] + 0.5
    a = Est(3, init=centres).fit(X)
    b = Est(3, init=centres).fit(A)
    assert_same_centroid_fit(a, b, np.float64)
    seen = []

    def init(data, k, random_state):
        seen.append(sp.issparse(data))
        return centres

    c = Est(3, init=init, n_init=1).fit(X)
    assert seen == [True]
    assert_same_centroid_fit(c, b, np.float64)


def test_integer_and_boolean_sparse_become_float64():
    X, _ = clustered(seed=8)
    ints = sp.csr_matrix(np.rint(X.toarray() * 3).astype(np.int64))
    a = emclust.KMeans(3, random_state=0).fit(ints)
    b = emclust.KMeans(3, random_state=0).fit(ints.toarray().astype(float))
    assert a.cluster_centers_.dtype == np.float64
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-10)


def test_kmeans_plusplus_on_sparse_equals_dense():
    X, A = clustered(seed=9)
    w = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    for dtype in DTYPES:
        Xd, Ad = X.astype(dtype), A.astype(dtype)
        for weights in (None, w, np.ones(X.shape[0])):
            cs, i_s = emclust.kmeans_plusplus(
                Xd, 5, sample_weight=weights, random_state=4
            )
            cd, i_d = emclust.kmeans_plusplus(
                Ad, 5, sample_weight=weights, random_state=4
            )
            np.testing.assert_array_equal(i_s, i_d)
            assert isinstance(cs, np.ndarray) and cs.dtype == dtype
            np.testing.assert_array_equal(cs, cd)
    # Unit weights draw exactly as no weights, sparse as dense.
    none = emclust.kmeans_plusplus(X, 5, random_state=11)[1]
    ones = emclust.kmeans_plusplus(X, 5, sample_weight=np.ones(400), random_state=11)
    np.testing.assert_array_equal(none, ones[1])


def test_k_means_function_on_sparse():
    X, A = clustered(seed=10)
    cs, ls, inertia_s, n_s = emclust.k_means(X, 4, random_state=0, return_n_iter=True)
    cd, ld, inertia_d, n_d = emclust.k_means(A, 4, random_state=0, return_n_iter=True)
    np.testing.assert_array_equal(ls, ld)
    np.testing.assert_allclose(cs, cd, rtol=1e-10, atol=1e-12)
    assert inertia_s == pytest.approx(inertia_d, rel=1e-10) and n_s == n_d


def test_thread_count_does_not_change_a_sparse_fit():
    X, _ = clustered(n=3000, seed=11)
    fits = [emclust.KMeans(5, random_state=0, n_threads=t).fit(X) for t in (1, 2, 3)]
    for f in fits[1:]:
        np.testing.assert_array_equal(f.cluster_centers_, fits[0].cluster_centers_)
        assert f.inertia_ == fits[0].inertia_


@st.composite
def sparse_data(draw):
    n = draw(st.integers(3, 60))
    d = draw(st.integers(1, 12))
    density = draw(st.sampled_from([0.0, 0.05, 0.2, 0.6, 1.0]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    A = np.where(rng.random((n, d)) < density, rng.uniform(-2.0, 3.0, (n, d)), 0.0)
    if draw(st.booleans()):
        A[rng.random(n) < 0.3] = 0.0  # empty rows
    if draw(st.booleans()) and d > 1:
        A[:, rng.random(d) < 0.3] = 0.0  # all-zero columns
    # No more clusters than distinct rows: beyond that, k-means++ draws among
    # rows at distance zero from a chosen centre, where only rounding noise
    # (different sparse and dense) decides.
    distinct = np.unique(A.astype(np.float32), axis=0).shape[0]
    k = draw(st.integers(1, min(distinct, 5)))
    weighted = draw(st.booleans())
    w = rng.uniform(0.0, 3.0, n) if weighted else None
    if w is not None:
        w[0] = 1.0  # a positive sum
    dtype = draw(st.sampled_from(DTYPES))
    layout = draw(st.sampled_from(["canonical", "messy", "csc"]))
    X = sp.csr_matrix(A.astype(dtype))
    if layout == "messy":
        X = messy(X, seed % 1000)
    elif layout == "csc":
        X = X.tocsc()
    return X, A.astype(dtype), k, w, dtype, seed % 1000


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Est", CENTROIDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=sparse_data())
def test_property_sparse_fit_equals_dense(Est, data):
    X, A, k, w, dtype, seed = data
    kw = dict(n_clusters=k, random_state=seed, tol=0.0, max_iter=50)
    a = Est(**kw).fit(X, sample_weight=w)
    b = Est(**kw).fit(A, sample_weight=w)
    # Distinct rows of the data may tie (all-zero rows, few columns): where
    # two centres are equally near, rounding may pick either; then only the
    # objective has to agree.
    rtol = 1e-9 if dtype == np.float64 else 1e-4
    if np.array_equal(a.labels_, b.labels_):
        scale = max(1.0, float(np.abs(b.cluster_centers_).max()))
        np.testing.assert_allclose(
            a.cluster_centers_, b.cluster_centers_, rtol=rtol, atol=rtol * scale
        )
        assert a.n_iter_ == b.n_iter_
    assert a.inertia_ == pytest.approx(b.inertia_, rel=rtol, abs=rtol)


# --- BernoulliMixture ---------------------------------------------------------------


def binary(n=600, d=50, k=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0.01, 0.4, size=(k, d))
    z = rng.integers(0, k, size=n)
    A = (rng.random((n, d)) < theta[z]).astype(dtype)
    A[:, -3:] = 0
    A[:5] = 0
    return sp.csr_matrix(A), A


def assert_same_mixture(a, b, dtype):
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(a.weights_, b.weights_, rtol=rtol)
    np.testing.assert_allclose(a.probabilities_, b.probabilities_, rtol=rtol)
    assert a.weights_.dtype == b.weights_.dtype == dtype
    assert a.probabilities_.dtype == dtype
    assert a.n_iter_ == b.n_iter_
    assert a.lower_bound_ == pytest.approx(b.lower_bound_, rel=rtol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("init", ["k-means++", "random", "random_from_data"])
@pytest.mark.parametrize("weighted", [False, True])
def test_bernoulli_sparse_fit_equals_dense(dtype, init, weighted):
    X, A = binary(seed=1, dtype=dtype)
    w = np.random.default_rng(0).uniform(0.5, 1.5, X.shape[0]) if weighted else None
    kw = dict(n_components=3, init_params=init, n_init=2, random_state=5)
    a = emclust.BernoulliMixture(**kw).fit(messy(X), sample_weight=w)
    b = emclust.BernoulliMixture(**kw).fit(A, sample_weight=w)
    assert_same_mixture(a, b, dtype)
    np.testing.assert_array_equal(a.predict(X), b.predict(A))
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(A), atol=rtol)
    np.testing.assert_allclose(
        a.score_samples(X), b.score_samples(A), rtol=rtol, atol=rtol
    )
    assert a.score(X, sample_weight=w) == pytest.approx(
        b.score(A, sample_weight=w), rel=rtol
    )
    assert a.bic(X) == pytest.approx(b.bic(A), rel=rtol)
    np.testing.assert_array_equal(
        emclust.BernoulliMixture(**kw).fit_predict(X, sample_weight=w),
        b.predict(A),
    )


def test_bernoulli_sparse_formats_bool_and_binarize():
    X, _ = binary(seed=2)
    ref = emclust.BernoulliMixture(3, random_state=0).fit(X)
    for name, Y in formats(X).items():
        est = emclust.BernoulliMixture(3, random_state=0).fit(Y)
        np.testing.assert_array_equal(est.probabilities_, ref.probabilities_, name)
    boolean = emclust.BernoulliMixture(3, random_state=0).fit(X.astype(bool))
    np.testing.assert_array_equal(boolean.probabilities_, ref.probabilities_)
    # binarize on sparse data stays sparse and equals binarize on dense data.
    R = X.multiply(np.random.default_rng(0).uniform(0.0, 2.0, X.shape)).tocsr()
    a = emclust.BernoulliMixture(3, binarize=0.5, random_state=0).fit(R)
    b = emclust.BernoulliMixture(3, binarize=0.5, random_state=0).fit(R.toarray())
    assert_same_mixture(a, b, np.float64)
    with pytest.raises(ValueError, match="binarize must be >= 0 for sparse X"):
        emclust.BernoulliMixture(3, binarize=-0.5).fit(R)


def test_bernoulli_sparse_must_be_binary_after_summing_duplicates():
    X, _ = binary(seed=3)
    bad = X.tolil()
    bad[7, 2] = 2.0
    with pytest.raises(ValueError, match=r"binary.*\[7, 2\]"):
        emclust.BernoulliMixture(2).fit(bad.tocsr())
    # Two stored halves sum to 1: binary once summed, as toarray() sees it.
    halves = sp.csr_matrix(
        (np.array([0.5, 0.5, 1.0]), np.array([1, 1, 0]), np.array([0, 2, 3])),
        shape=(2, 3),
    )
    np.testing.assert_array_equal(halves.toarray(), [[0, 1, 0], [1, 0, 0]])
    est = emclust.BernoulliMixture(1).fit(halves)
    np.testing.assert_allclose(est.probabilities_[0, :2], 0.5, rtol=1e-3)


# --- the Gaussian mixture and bad input ------------------------------------------------


def test_gaussian_mixture_refuses_sparse_saying_what_to_do():
    X, _ = clustered(seed=12)
    for Y in (X, X.tocsc(), sp.csr_array(X)):
        with pytest.raises(TypeError, match="sparse") as info:
            emclust.GaussianMixture(2).fit(Y)
        assert "toarray()" in str(info.value) and "TruncatedSVD" in str(info.value)
    gm = emclust.GaussianMixture(2, random_state=0).fit(X.toarray())
    with pytest.raises(TypeError, match="GaussianMixture does not accept sparse"):
        gm.predict(X)


@pytest.mark.parametrize(
    "fit",
    [
        lambda X: emclust.KMeans(2).fit(X),
        lambda X: emclust.KMedians(2).fit(X),
        lambda X: emclust.kmeans_plusplus(X, 2),
        lambda X: emclust.BernoulliMixture(2).fit(X),
    ],
    ids=["KMeans", "KMedians", "kmeans_plusplus", "BernoulliMixture"],
)
def test_bad_sparse_input_is_named(fit):
    X, _ = binary(n=30, d=6, seed=4)
    nan = X.copy()
    nan.data[0] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        fit(nan)
    inf = X.copy()
    inf.data[0] = np.inf
    with pytest.raises(ValueError, match="X contains infinity"):
        fit(inf)
    negative = X.copy()
    negative.indices[0] = -1
    with pytest.raises(ValueError, match=r"X\.indices"):
        fit(negative)
    beyond = X.copy()
    beyond.indices[0] = 6
    with pytest.raises(ValueError, match=r"X\.indices"):
        fit(beyond)
    with pytest.raises(ValueError, match=r"Complex data not supported: X is"):
        fit(X.astype(np.complex128))
    with pytest.raises(ValueError, match="sample"):
        fit(X[:0])
    with pytest.raises(ValueError, match="feature"):
        fit(sp.csr_matrix((30, 0)))


def test_fitted_on_dense_predicts_sparse_with_feature_check():
    X, A = clustered(seed=13)
    km = emclust.KMeans(3, random_state=0).fit(A)
    with pytest.raises(ValueError, match="features"):
        km.predict(X[:, :-1])
    bm = emclust.BernoulliMixture(2, random_state=0).fit(binary(seed=5)[0])
    with pytest.raises(ValueError, match="features"):
        bm.predict(binary(d=49, seed=5)[0])


def test_fewer_distinct_points_warns_on_sparse_too():
    X = sp.csr_matrix(np.repeat([[0.0, 0.0], [1.0, 0.0], [0.0, 5.0]], 4, axis=0))
    with pytest.warns(ConvergenceWarning, match="distinct"):
        emclust.KMeans(4, random_state=0).fit(X)
