"""emclust select: BIC over k and covariance types."""

from __future__ import annotations

import json
import math

import click

import emclust

from . import _plot, _progress, cli
from ._data import read_data
from ._errors import CLIError
from ._options import (
    COVARIANCE_TYPES,
    check_k,
    data_options,
    fit_model,
    fit_options,
    parse_k_range,
    progress_options,
    warn,
)


def _covariance_types(text):
    if text == "all":
        return list(COVARIANCE_TYPES)
    types = [t.strip() for t in text.split(",")]
    for t in types:
        if t not in COVARIANCE_TYPES:
            raise CLIError(
                f"--covariance-type must be 'all' or a comma-separated list of "
                f"{', '.join(COVARIANCE_TYPES)}; got {t!r}"
            )
    return list(dict.fromkeys(types))


def format_table(ks, table, best):
    """BIC per k (rows) and covariance type (columns), the best starred."""
    types = list(table)
    cells = {
        (k, t): ("failed" if math.isnan(v) else f"{v:.2f}")
        + ("*" if (t, k) == best else " ")
        for t in types
        for k, v in zip(ks, table[t])
    }
    width = max(10, *(len(c) for c in cells.values()), *(len(t) + 1 for t in types))
    lines = ["BIC (lower is better; * = best)"]
    lines.append(f"{'k':>3}  " + "  ".join(f"{t:>{width - 1}} " for t in types))
    for k in ks:
        lines.append(
            f"{k:>3}  " + "  ".join(f"{cells[(k, t)]:>{width}}" for t in types)
        )
    return "\n".join(lines)


@cli.command()
@click.argument("data", type=click.Path())
@click.option(
    "-k",
    "--n-components",
    "k_range",
    default="1..10",
    show_default=True,
    help="Values of k: 1..10, 2,4,8 or 3.",
)
@click.option(
    "--covariance-type",
    "covariance_types",
    default="full",
    show_default=True,
    help="all, or a comma-separated list of full, tied, diag, spherical.",
)
@fit_options
@data_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the best model (JSON) here.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    help="Draw BIC against k (PNG...); needs matplotlib.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the table and the best model as JSON.",
)
@progress_options
def select(
    data,
    k_range,
    covariance_types,
    n_init,
    max_iter,
    tol,
    reg_covar,
    seed,
    threads,
    columns,
    drop_nan,
    missing,
    header,
    delimiter,
    output,
    plot,
    as_json,
    quiet,
    progress,
):
    """Fit a Gaussian mixture for every (k, covariance type); print the BIC table."""
    ks = parse_k_range(k_range)
    types = _covariance_types(covariance_types)
    if plot:
        _plot.require_matplotlib()
    ds = read_data(
        data,
        columns,
        drop_nan=drop_nan,
        header=header,
        missing=missing,
        delimiter=delimiter,
    )
    warn(ds.notes, quiet)
    check_k(max(ks), ds)
    options = {
        "n_init": n_init,
        "max_iter": max_iter,
        "tol": tol,
        "reg_covar": reg_covar,
    }
    options = {name: v for name, v in options.items() if v is not None}

    table = {t: [math.nan] * len(ks) for t in types}
    best, best_model, failures, caught = None, None, [], []
    grid = [(t, i, k) for t in types for i, k in enumerate(ks)]
    for t, i, k in _progress.over(grid, _progress.wanted(quiet, progress), "select"):
        est = emclust.GaussianMixture(
            k, covariance_type=t, random_state=seed, n_threads=threads, **options
        )
        try:
            caught += fit_model(est, ds.X)
        except ValueError as exc:  # a numerical failure of one fit: report, go on
            failures.append(f"k={k}, {t}: {exc}")
            continue
        table[t][i] = float(est.bic(ds.X))
        if best is None or table[t][i] < table[best[0]][ks.index(best[1])]:
            best, best_model = (t, k), est
    warn(caught + [f"fit failed for {f}" for f in failures], quiet)
    if best is None:
        raise CLIError("every fit failed; try a larger --reg-covar")
    if output:
        try:
            emclust.save(best_model, output)
        except OSError as exc:
            raise CLIError(
                f"cannot write the model {output}: {exc.strerror or exc}"
            ) from None
    if plot:
        _plot.plot_bic(plot, ks, table, best)
    bic = table[best[0]][ks.index(best[1])]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "k": ks,
                    "bic": {
                        t: [None if math.isnan(v) else v for v in vals]
                        for t, vals in table.items()
                    },
                    "best": {"k": best[1], "covariance_type": best[0], "bic": bic},
                }
            )
        )
        return
    click.echo(format_table(ks, table, best))
    click.echo(f"best: k={best[1]}, covariance_type={best[0]}, BIC={bic:.2f}")
