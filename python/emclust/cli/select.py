"""emclust select: G and the covariance model by BIC or ICL (GaussianMixtureSelector)."""

from __future__ import annotations

import json
import math

import click
import numpy as np

import emclust

# numpy only: the CLI imports no estimator before it runs one
from emclust.models.covariance_models import (
    ALL_COVARIANCE_TYPES,
    COVARIANCE_TYPES,
    MODELS,
)

from . import _plot, _progress, cli
from ._data import read_data
from ._errors import CLIError
from ._options import (
    check_k,
    data_options,
    fit_model,
    fit_options,
    parse_k_range,
    progress_options,
    warn,
)


def _covariance_types(text):
    """'all' (mclust's 14 models) or a comma-separated list of names."""
    if text == "all":
        return "all"
    types = [t.strip() for t in text.split(",")]
    for t in types:
        if t not in ALL_COVARIANCE_TYPES:
            raise CLIError(
                "--covariance-type must be 'all' or a comma-separated list of "
                f"mclust's models ({', '.join(MODELS)}) or scikit-learn's "
                f"({', '.join(COVARIANCE_TYPES)}); got {t!r}"
            )
    return list(dict.fromkeys(types))


def _cell(value, status, converged, best):
    if status != "ok":
        text = "singular"
    else:
        text = f"{value:.2f}" + ("" if converged else "!")
    return text + ("*" if best else " ")


def format_table(selector, criterion):
    """mclust's table: G rows by model columns, the chosen cell starred,
    cells that did not converge marked !, singular fits named."""
    r = selector.results_
    sizes, models, _ = selector.table(criterion)
    cells = {}
    for i, (g, m) in enumerate(zip(r["n_components"], r["covariance_type"])):
        cells[(int(g), m)] = _cell(
            r[criterion][i],
            r["status"][i],
            r["converged"][i],
            i == selector.best_index_,
        )
    width = max(9, *(len(c) for c in cells.values()), *(len(m) + 1 for m in models))
    label = criterion.upper()
    lines = [
        f"{label} (lower is better; * = chosen, ! = did not converge, "
        "singular = not a valid fit)"
    ]
    lines.append(f"{'G':>3}  " + "  ".join(f"{m:>{width - 1}} " for m in models))
    for g in sizes.tolist():
        lines.append(
            f"{g:>3}  "
            + "  ".join(f"{cells.get((g, m), '-'):>{width}}" for m in models)
        )
    return "\n".join(lines)


def top_three(selector, criterion):
    """[(model, G, value)] of the three best valid cells."""
    r = selector.results_
    values = np.asarray(r[criterion], dtype=np.float64)
    order = [i for i in np.argsort(values, kind="stable") if np.isfinite(values[i])]
    return [
        (str(r["covariance_type"][i]), int(r["n_components"][i]), float(values[i]))
        for i in order[:3]
    ]


@cli.command()
@click.argument("data", type=click.Path())
@click.option(
    "-k",
    "--n-components",
    "k_range",
    default="1..9",
    show_default=True,
    help="Values of G: 1..9, 2,4,8 or 3.",
)
@click.option(
    "--covariance-type",
    "covariance_types",
    default="all",
    show_default=True,
    help="all (mclust's 14 models), or a comma-separated list of mclust's "
    "names (EII ... VVV) and scikit-learn's (full, tied, diag, spherical).",
)
@click.option(
    "--criterion",
    type=click.Choice(["bic", "icl"]),
    default="bic",
    show_default=True,
    help="What the choice minimises.",
)
@click.option(
    "--init",
    "init_params",
    type=click.Choice(["hc", "kmeans", "k-means++", "random_from_data"]),
    default="hc",
    show_default=True,
    help="The start of every fit (hc: mclust's hierarchical clustering).",
)
@click.option(
    "--prior",
    is_flag=True,
    help="MAP EM with mclust's default conjugate prior (priorControl()).",
)
@click.option(
    "--noise",
    is_flag=True,
    help="Every fit gets a uniform noise component (rows labelled -1).",
)
@fit_options
@data_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the chosen model (JSON) here.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    help="Draw the criterion against G (PNG...); needs matplotlib.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the table and the chosen model as JSON.",
)
@progress_options
def select(
    data,
    k_range,
    covariance_types,
    criterion,
    init_params,
    prior,
    noise,
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
    """Choose G and the covariance model by BIC (or ICL), as mclust does."""
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
    if np.isnan(ds.X).any():
        raise CLIError(
            "select needs complete rows (the hierarchical start and the "
            "criteria): pass --drop-nan to leave out the rows with missing values"
        )
    options = {
        "n_init": n_init,
        "max_iter": max_iter,
        "tol": tol,
        "reg_covar": reg_covar,
    }
    options = {name: v for name, v in options.items() if v is not None}
    if prior:
        options["prior"] = "conjugate"
    selector = emclust.GaussianMixtureSelector(
        n_components=ks,
        covariance_types=types,
        criterion=criterion,
        init_params=init_params,
        noise=noise,
        random_state=seed,
        n_threads=threads,
        **options,
    )
    if _progress.wanted(quiet, progress):
        n_models = 14 if types == "all" else len(types)
        click.echo(f"emclust: fitting {len(ks) * n_models} mixtures ...", err=True)
    try:
        caught = fit_model(selector, ds.X)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    warn(caught, quiet)
    best_model = selector.best_estimator_
    if output:
        try:
            emclust.save(best_model, output)
        except OSError as exc:
            raise CLIError(
                f"cannot write the model {output}: {exc.strerror or exc}"
            ) from None
    sizes, models, values = selector.table(criterion)
    best = (
        selector.best_params_["covariance_type"],
        selector.best_params_["n_components"],
    )
    if plot:
        _plot.plot_bic(
            plot,
            sizes.tolist(),
            {m: values[:, j].tolist() for j, m in enumerate(models)},
            best,
            label=criterion.upper(),
        )
    top = top_three(selector, criterion)
    if as_json:
        r = selector.results_
        click.echo(
            json.dumps(
                {
                    "k": sizes.tolist(),
                    "criterion": criterion,
                    criterion: {
                        m: [None if math.isnan(v) else v for v in values[:, j]]
                        for j, m in enumerate(models)
                    },
                    "status": {
                        m: [
                            str(r["status"][i])
                            for i in range(len(r["status"]))
                            if r["covariance_type"][i] == m
                        ]
                        for m in models
                    },
                    "best": {
                        "k": best[1],
                        "covariance_type": best[0],
                        criterion: selector.best_score_,
                    },
                    "top": [
                        {"covariance_type": m, "k": g, criterion: v} for m, g, v in top
                    ],
                }
            )
        )
        return
    click.echo(format_table(selector, criterion))
    click.echo(
        f"Top {len(top)} by {criterion.upper()}: "
        + ", ".join(f"{m},{g} ({v:.2f})" for m, g, v in top)
    )
    click.echo(
        f"best: k={best[1]}, covariance_type={best[0]}, "
        f"{criterion.upper()}={selector.best_score_:.2f}"
    )
