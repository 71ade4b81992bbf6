"""emclust bench: seconds per EM iteration, emclust against the others."""

from __future__ import annotations

import os
import platform

import click
import numpy as np

import emclust

from .. import _benchmark
from .._core import MAX_THREADS
from . import _progress, cli
from ._options import int_list, progress_options

_REFERENCE_LIMIT = 3e9  # n·k·d² above which the NumPy reference is skipped


def _ms(seconds):
    return "noisy" if np.isnan(seconds) else f"{seconds * 1e3:.3f}"


def _ratio(theirs, ours):
    return "-" if np.isnan(theirs) or np.isnan(ours) else f"{theirs / ours:.1f}x"


def _usable_cores():
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _have_sklearn():
    try:
        import sklearn  # noqa: F401
        import threadpoolctl  # noqa: F401
    except ImportError:
        return False
    return True


@cli.command()
@click.option(
    "-n", "ns", default="100000", show_default=True, help="Rows, e.g. 10000,100000."
)
@click.option("-d", "ds", default="8", show_default=True, help="Features, e.g. 2,16.")
@click.option("-k", "ks", default="8", show_default=True, help="Components, e.g. 4,16.")
@click.option(
    "--threads",
    default=None,
    help="emclust threads, e.g. 1,2 [default: 1 and every usable core].",
)
@click.option(
    "--covariance-type",
    "covariance_types",
    default="full",
    show_default=True,
    help="full, diag, or full,diag.",
)
@click.option(
    "--dtype",
    "dtypes",
    default="float64",
    show_default=True,
    help="float64, float32, or both.",
)
@click.option(
    "--repeats",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Timings of each fit; the fastest is used.",
)
@click.option(
    "--no-reference", is_flag=True, help="Skip emclust.reference (pure NumPy)."
)
@click.option("--no-sklearn", is_flag=True, help="Skip scikit-learn.")
@progress_options
def bench(
    ns,
    ds,
    ks,
    threads,
    covariance_types,
    dtypes,
    repeats,
    no_reference,
    no_sklearn,
    quiet,
    progress,
):
    """Milliseconds per EM iteration: emclust, emclust.reference, scikit-learn.

    Every implementation starts from the same parameters with tol=0, so each
    iteration does the same work; one iteration's time is the difference
    between the fastest fits of two lengths over the difference of the
    lengths. scikit-learn gets its faster BLAS thread setting (1 or the
    largest --threads), shown after its time.
    """
    from ._errors import CLIError

    cases = [
        (n, d, k)
        for n in int_list(ns, "-n")
        for d in int_list(ds, "-d")
        for k in int_list(ks, "-k")
    ]
    thread_counts = (
        int_list(threads, "--threads", maximum=MAX_THREADS)
        if threads
        else sorted({1, _usable_cores()})
    )
    cts = [c.strip() for c in covariance_types.split(",")]
    if any(c not in ("full", "diag") for c in cts):
        raise CLIError(
            f"--covariance-type must be full, diag or full,diag; got {covariance_types!r}"
        )
    dts = [t.strip() for t in dtypes.split(",")]
    if any(t not in ("float64", "float32") for t in dts):
        raise CLIError(
            f"--dtype must be float64, float32 or float64,float32; got {dtypes!r}"
        )
    use_sklearn = not no_sklearn and _have_sklearn()

    columns = ["n", "d", "k", "cov", "dtype", "threads", "emclust ms/iter"]
    if not no_reference:
        columns += ["reference ms/iter", "speed-up"]
    if use_sklearn:
        columns += ["scikit-learn ms/iter", "speed-up"]
    rows = []
    grid = [(c, ct, dt) for c in cases for ct in cts for dt in dts]
    show = _progress.wanted(quiet, progress)
    for (n, d, k), ct, dt in _progress.over(grid, show, "bench"):
        X = _benchmark.make_data(n, d, k).astype(dt)
        m1, m2 = _benchmark.iteration_counts(n, d, k)
        ref = sk = None
        if not no_reference and n * k * d * d <= _REFERENCE_LIMIT:
            ref = _benchmark.per_iteration(
                _benchmark.emclust_runner(emclust.reference, X, k, ct, 1),
                m1,
                m2,
                repeats,
            )
        if use_sklearn:
            sk = _benchmark.best_of(
                lambda t, X=X, k=k, ct=ct: _benchmark.sklearn_runner(X, k, ct, t),
                max(thread_counts),
                m1,
                m2,
                repeats,
            )
        for t in thread_counts:
            ours = _benchmark.per_iteration(
                _benchmark.emclust_runner(emclust, X, k, ct, t), m1, m2, repeats
            )
            row = [str(n), str(d), str(k), ct, dt, str(t), _ms(ours)]
            if not no_reference:
                row += (
                    ["skipped", "-"] if ref is None else [_ms(ref), _ratio(ref, ours)]
                )
            if use_sklearn:
                row += [f"{_ms(sk[0])} ({sk[1]}T)", _ratio(sk[0], ours)]
            rows.append(row)

    click.echo(
        f"# {platform.machine()}, {_usable_cores()} usable cores, numpy "
        f"{np.__version__}, emclust {emclust.__version__}"
    )
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.rjust(w) for c, w in zip(columns, widths)))
    for r in rows:
        click.echo("  ".join(v.rjust(w) for v, w in zip(r, widths)))
