"""The native core under hostile conditions: a system that refuses threads,
thread counts and iteration counts beyond a C int, and data or weights whose
scale overflows floating point. Each case is a clear error that names the
argument or the cause, never a hang and never a "fitted" model with NaN or
all-zero responsibilities."""

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import emclust
import numpy as np
import pytest
from emclust import _core

MAX_THREADS = 1024  # the documented bound (docs: Gaussian mixtures; parallel.hpp)


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    return np.r_[rng.normal(size=(50, 2)), rng.normal(size=(50, 2)) + 5]


def _fit_quietly(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a ConvergenceWarning is not the point
        return est.fit(*args, **kwargs)


def test_the_thread_bound_is_the_documented_one():
    assert _core.MAX_THREADS == MAX_THREADS
    page = (
        Path(__file__).resolve().parents[1]
        / "docs"
        / "user_guide"
        / "gaussian_mixture.md"
    )
    if page.is_file():
        assert f"at most {MAX_THREADS}" in page.read_text(encoding="utf-8")


ESTIMATORS = {
    "gmm": lambda **kw: emclust.GaussianMixture(2, random_state=0, **kw),
    "kmeans": lambda **kw: emclust.KMeans(2, random_state=0, **kw),
    "kmedians": lambda **kw: emclust.KMedians(2, random_state=0, **kw),
    "bernoulli": lambda **kw: emclust.BernoulliMixture(2, random_state=0, **kw),
}


def _data_for(name, X):
    return (X > 2).astype(np.float64) if name == "bernoulli" else X


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
@pytest.mark.parametrize(
    "param, value, message",
    [
        ("n_threads", MAX_THREADS + 1, f"n_threads must be <= {MAX_THREADS}, got 1025"),
        ("n_threads", 2**31, f"n_threads must be <= {MAX_THREADS}, got 2147483648"),
        ("n_threads", 2**70, f"n_threads must be <= {MAX_THREADS}"),
        ("max_iter", 2**31, "max_iter must be <= 2147483647, got 2147483648"),
        ("n_init", 2**31, "n_init must be <= 2147483647, got 2147483648"),
        ("n_init", 2**64, "n_init must be <= 2147483647"),
    ],
)
def test_counts_beyond_a_c_int_name_the_argument(X, name, param, value, message):
    est = ESTIMATORS[name](**{param: value})
    with pytest.raises(ValueError) as info:
        _fit_quietly(est, _data_for(name, X))
    assert message in str(info.value)
    assert "incompatible function arguments" not in str(info.value)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_a_fitted_model_given_too_many_threads_refuses_to_predict(X, name):
    model = _fit_quietly(ESTIMATORS[name](), _data_for(name, X))
    model.n_threads = 2000  # as a tampered model file would set it
    with pytest.raises(ValueError, match="n_threads must be <= 1024, got 2000"):
        model.predict(_data_for(name, X))
    model.n_threads = MAX_THREADS  # the bound itself is allowed
    assert model.predict(_data_for(name, X)).shape == (X.shape[0],)


# A child that limits itself so that the thread pool cannot start all its
# threads, then asks for many. Before the fix the pool's constructor blocked
# forever in pthread_cond_destroy with the GIL released.
_CHILD = textwrap.dedent(
    """
    import os, resource, sys
    import numpy as np
    import emclust
    # Imported before the limits (emclust imports its estimators, and
    # scikit-learn with them, on first use): the limits are for the threads.
    GaussianMixture = emclust.GaussianMixture

    limit = sys.argv[1]
    X = np.random.default_rng(0).normal(size=(2000, 2))
    if limit == "as":
        # Room for the interpreter and a few 8 MiB thread stacks, not 500.
        with open("/proc/self/status") as f:
            vm = next(int(l.split()[1]) for l in f if l.startswith("VmSize:")) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (vm + (96 << 20),) * 2)
    else:
        os.setgid(65534)
        os.setuid(65534)
        resource.setrlimit(resource.RLIMIT_NPROC, (64, 64))
    gm = GaussianMixture(2, random_state=0, n_threads=1000)
    for attempt in range(3):  # and the process stays usable afterwards
        try:
            gm.fit(X)
        except RuntimeError as exc:
            print(type(exc).__name__, exc, flush=True)
        else:
            print("fitted", flush=True)
    print("alive", GaussianMixture(2, random_state=0, n_threads=1).fit(X).converged_)
    """
)


def _limits():
    limits = []
    if sys.platform.startswith("linux"):
        limits.append("as")
        # RLIMIT_NPROC does not bind root: the child drops to nobody first.
        if os.geteuid() == 0:
            limits.append("nproc")
    return limits


@pytest.mark.parametrize("limit", _limits())
def test_a_refused_thread_is_an_error_not_a_hang(limit):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(emclust.__file__).parents[1]), env.get("PYTHONPATH", "")]
    )
    try:
        r = subprocess.run(
            [sys.executable, "-c", _CHILD, limit],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the thread pool hung under RLIMIT_{limit.upper()}")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 4, r.stdout
    for line in lines[:3]:
        assert line.startswith("RuntimeError could not start thread"), line
        assert "of n_threads=1000" in line and "use fewer n_threads" in line
    assert lines[3] == "alive True"


def test_initial_means_too_far_stop_the_fit(X):
    gm = emclust.GaussianMixture(2, means_init=np.full((2, 2), 1e300))
    with pytest.raises(ValueError, match="initial means") as info:
        gm.fit(X)
    assert "log-likelihood" in str(info.value)
    assert not hasattr(gm, "means_"), "no fitted model may be left behind"


# (K-medians sums absolute differences, which stay finite at this scale.)
@pytest.mark.parametrize("name", ["gmm", "kmeans"])
def test_data_whose_scale_overflows_stops_the_fit(X, name):
    with pytest.raises(ValueError, match="overflow") as info:
        _fit_quietly(ESTIMATORS[name](), X * 1e160)
    assert "scale" in str(info.value)


def test_kmeans_weights_whose_sum_overflows_name_sample_weight(X):
    km = emclust.KMeans(2, random_state=0)
    with pytest.raises(ValueError, match="sample_weight: the sum of the weights"):
        with warnings.catch_warnings():
            # NumPy's own overflow warning where the Python layer sums them.
            warnings.simplefilter("ignore", RuntimeWarning)
            km.fit(X + 10, sample_weight=np.full(X.shape[0], 1e307))
    assert not hasattr(km, "cluster_centers_")


def test_kmeans_weighted_sums_that_overflow_stop_the_fit(X):
    # The weights sum to 1e308 (finite) but weight * x does not.
    with pytest.raises(ValueError, match="centre became NaN or infinite") as info:
        emclust.KMeans(2, random_state=0).fit(
            X + 10, sample_weight=np.full(X.shape[0], 1e306)
        )
    assert "sample_weight" in str(info.value)


@pytest.mark.parametrize(
    "dtype, far, message",
    [
        (np.float64, 1e155, "overflows float64"),
        (np.float32, 1e20, "overflows float32 (convert X to float64"),
    ],
)
@pytest.mark.parametrize("method", ["predict_proba", "predict", "score_samples"])
def test_points_whose_log_density_overflows_are_an_error(
    X, dtype, far, message, method
):
    gm = emclust.GaussianMixture(2, random_state=0).fit(X.astype(dtype))
    Y = np.array([[0.0, 0.0], [far, far]], dtype=dtype)
    with pytest.raises(ValueError, match="X row 1 is too far from every component"):
        getattr(gm, method)(Y)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        getattr(gm, method)(Y)


def test_far_points_that_fit_the_range_get_valid_results(X):
    gm = emclust.GaussianMixture(2, random_state=0).fit(X)
    Y = np.array([[1e100, 1e100], [-1e150, 3.0]])
    proba = gm.predict_proba(Y)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.isfinite(gm.score_samples(Y)).all()
    # float32: 1e15 squared fits float32's range (3e38) after the precision.
    gm32 = emclust.GaussianMixture(2, random_state=0).fit(X.astype(np.float32))
    proba32 = gm32.predict_proba(np.array([[1e15, 1e15]], dtype=np.float32))
    np.testing.assert_allclose(proba32.sum(axis=1), 1.0, rtol=1e-6)
