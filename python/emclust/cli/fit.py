"""emclust fit, predict and demo."""

from __future__ import annotations

import json
from importlib.resources import files

import click
import numpy as np

import emclust

from . import _plot, _progress, cli
from ._data import read_data, write_table
from ._errors import CLIError
from ._options import (
    COVARIANCE_TYPES,
    MODELS,
    check_k,
    data_options,
    estimator,
    fit_model,
    fit_options,
    load_model,
    progress_options,
    threads_option,
    warn,
)


def summary(model, X):
    """The fit's key facts, as an ordered dict of JSON-ready values."""
    labels = model.predict(X)
    k = len(getattr(model, "weights_", getattr(model, "cluster_centers_", [])))
    out = {"model": type(model).__name__, "k": k}
    if hasattr(model, "covariance_type"):
        out["covariance_type"] = model.covariance_type
    out["n_rows"], out["n_features"] = (int(v) for v in X.shape)
    if hasattr(model, "converged_"):
        out["converged"] = bool(model.converged_)
    out["n_iter"] = int(model.n_iter_)
    if hasattr(model, "score_samples"):
        out["log_likelihood"] = float(np.sum(model.score_samples(X), dtype=np.float64))
    if hasattr(model, "bic"):
        out["bic"] = float(model.bic(X))
    if hasattr(model, "inertia_"):
        out["inertia"] = float(model.inertia_)
    out["sizes"] = np.bincount(labels, minlength=k).tolist()
    return out, labels


def format_summary(s, source):
    rows = [
        (
            "model",
            s["model"]
            + (f", covariance {s['covariance_type']}" if "covariance_type" in s else "")
            + f", k={s['k']}",
        )
    ]
    rows.append(("data", source))
    if "converged" in s:
        rows.append(
            (
                "converged",
                f"{'yes' if s['converged'] else 'NO'}, after {s['n_iter']} iterations",
            )
        )
    else:
        rows.append(("iterations", str(s["n_iter"])))
    if "log_likelihood" in s:
        ll = s["log_likelihood"]
        rows.append(("log-likelihood", f"{ll:.6f} ({ll / s['n_rows']:.6f} per row)"))
    if "bic" in s:
        rows.append(("BIC", f"{s['bic']:.6f}"))
    if "inertia" in s:
        rows.append(("inertia", f"{s['inertia']:.6f}"))
    rows.append(("sizes", ", ".join(str(v) for v in s["sizes"])))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def run_fit(data, est, *, output, labels_path, plot, quiet, progress, as_json, n_init):
    if plot:
        _plot.require_matplotlib()
    check_k(getattr(est, "n_components", getattr(est, "n_clusters", 1)), data)
    with _progress.FitProgress(
        _progress.wanted(quiet, progress),
        n_init,
        delay=0 if progress else 0.5,
        every=progress,
    ) as cb:
        warnings = fit_model(est, data.X, cb)
    warn(warnings, quiet)
    s, labels = summary(est, data.X)
    if output:
        try:
            emclust.save(est, output)
        except OSError as exc:
            raise CLIError(
                f"cannot write the model {output}: {exc.strerror or exc}"
            ) from None
    if labels_path:
        write_table(labels_path, ["label"], labels, data.kept)
    if plot:
        title = f"{type(est).__name__}, k={s['k']}" + (
            f" ({s['covariance_type']})" if "covariance_type" in s else ""
        )
        _plot.plot_fit(plot, data.X, labels, est, data.names, title)
    click.echo(json.dumps(s) if as_json else format_summary(s, data.describe()))


output_options = [
    click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False),
        help="Write the fitted model (JSON) here.",
    ),
    click.option(
        "--labels",
        "labels_path",
        type=click.Path(dir_okay=False),
        help="Write one cluster label per input row (CSV) here.",
    ),
    click.option(
        "--plot",
        type=click.Path(dir_okay=False),
        help="Draw the clusters (PNG, PDF, SVG...); needs matplotlib.",
    ),
    click.option(
        "--json", "as_json", is_flag=True, help="Print the summary as one JSON object."
    ),
]


def _with(options):
    def apply(f):
        for o in reversed(options):
            f = o(f)
        return f

    return apply


@cli.command()
@click.argument("data", type=click.Path())
@click.option(
    "-k",
    "--n-components",
    "k",
    type=click.IntRange(min=1),
    required=True,
    help="Number of clusters.",
)
@click.option(
    "--model", type=click.Choice(list(MODELS)), default="gmm", show_default=True
)
@click.option(
    "--covariance-type",
    type=click.Choice(COVARIANCE_TYPES),
    help="Gaussian mixtures only [default: full].",
)
@fit_options
@data_options
@_with(output_options)
@progress_options
def fit(
    data,
    k,
    model,
    covariance_type,
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
    output,
    labels_path,
    plot,
    as_json,
    quiet,
    progress,
):
    """Cluster DATA (CSV, .npy or Parquet) into K clusters; print a summary."""
    ds = read_data(data, columns, drop_nan=drop_nan, header=header, missing=missing)
    est = estimator(
        model,
        k,
        covariance_type=covariance_type,
        n_init=n_init,
        max_iter=max_iter,
        tol=tol,
        reg_covar=reg_covar,
        random_state=seed,
        n_threads=threads,
    )
    run_fit(
        ds,
        est,
        output=output,
        labels_path=labels_path,
        plot=plot,
        quiet=quiet,
        progress=progress,
        as_json=as_json,
        n_init=n_init or 1,
    )


@cli.command()
@click.argument("model_file", metavar="MODEL", type=click.Path())
@click.argument("data", type=click.Path())
@click.option(
    "--proba",
    is_flag=True,
    help="Also write each cluster's probability (mixtures only).",
)
@click.option(
    "-o",
    "--output",
    default="-",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the CSV here [default: standard output].",
)
@threads_option
@data_options
def predict(
    model_file, data, proba, output, threads, columns, drop_nan, missing, header
):
    """Label every row of DATA with the cluster of a saved MODEL."""
    model = load_model(model_file)
    if proba and not hasattr(model, "predict_proba"):
        raise CLIError(
            f"--proba needs a mixture model; {type(model).__name__} gives hard labels only"
        )
    ds = read_data(data, columns, drop_nan=drop_nan, header=header, missing=missing)
    if ds.X.shape[1] != model.n_features_in_:
        raise CLIError(
            f"{ds.source} has {ds.X.shape[1]} columns but the model was fitted on "
            f"{model.n_features_in_}; choose them with --columns"
        )
    if threads is not None:
        model.n_threads = threads
    labels = model.predict(ds.X)
    if proba:
        p = model.predict_proba(ds.X)
        columns_out = ["label"] + [f"p{j}" for j in range(p.shape[1])]
        table = np.column_stack([labels.astype(object), p.astype(object)])
        write_table(output, columns_out, table, ds.kept)
    else:
        write_table(output, ["label"], labels, ds.kept)


@cli.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the fitted model (JSON) here.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    help="Draw the clusters (PNG...); needs matplotlib.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the summary as one JSON object."
)
@progress_options
def demo(output, plot, as_json, quiet, progress):
    """Two Gaussians on Old Faithful's eruptions (272 rows: duration, waiting time)."""
    path = files("emclust") / "data" / "faithful.csv"
    ds = read_data(str(path))
    ds.source = "Old Faithful (emclust/data/faithful.csv)"
    est = emclust.GaussianMixture(2, covariance_type="full", n_init=3, random_state=0)
    run_fit(
        ds,
        est,
        output=output,
        labels_path=None,
        plot=plot,
        quiet=quiet,
        progress=progress,
        as_json=as_json,
        n_init=3,
    )


@cli.command()
@click.argument("data", type=click.Path())
@click.option(
    "-o",
    "--output",
    default="-",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the filled table (CSV) here [default: standard output].",
)
@click.option(
    "-k",
    "--n-components",
    "k",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Components of the Gaussian mixture fitted to DATA.",
)
@click.option(
    "--covariance-type",
    type=click.Choice(COVARIANCE_TYPES),
    help="[default: full]",
)
@click.option(
    "--model",
    "model_file",
    type=click.Path(dir_okay=False),
    help="Impute with this saved mixture instead of fitting one to DATA.",
)
@fit_options
@click.option(
    "--columns",
    metavar="A,B,...",
    help="Columns to use: names from the header, or 0-based indices.",
)
@click.option(
    "--header/--no-header",
    default=None,
    help="Whether a CSV file starts with column names [default: guessed].",
)
@progress_options
def impute(
    data,
    output,
    k,
    covariance_type,
    model_file,
    n_init,
    max_iter,
    tol,
    reg_covar,
    seed,
    threads,
    columns,
    header,
    quiet,
    progress,
):
    """Fill the empty (NA, NaN) cells of DATA with their conditional means.

    A Gaussian mixture is fitted to DATA by exact EM on the incomplete rows
    (or read from --model), and every missing entry is replaced by its
    expectation given the row's observed entries, sum_k gamma_k E[x_m | x_o, k].
    """
    ds = read_data(data, columns, header=header, missing="keep")
    if model_file is not None:
        est = emclust.load(model_file)
        if not hasattr(est, "impute"):
            raise CLIError(f"{model_file}: a {type(est).__name__} cannot impute")
        if ds.X.shape[1] != est.n_features_in_:
            raise CLIError(
                f"{ds.source} has {ds.X.shape[1]} columns but the model was fitted "
                f"on {est.n_features_in_}; choose them with --columns"
            )
        if threads is not None:
            est.n_threads = threads
    else:
        est = estimator(
            "gmm",
            k,
            covariance_type=covariance_type,
            n_init=n_init,
            max_iter=max_iter,
            tol=tol,
            reg_covar=reg_covar,
            random_state=seed,
            n_threads=threads,
        )
        check_k(k, ds)
        with _progress.FitProgress(
            _progress.wanted(quiet, progress), n_init or 1, delay=0.5
        ) as cb:
            warn(fit_model(est, ds.X, cb), quiet)
    try:
        filled = est.impute(ds.X)
    except ValueError as exc:
        raise CLIError(f"{ds.source}: {exc}") from None
    write_table(output, ds.names, filled)
    if not quiet and output != "-":
        n_missing = int(np.isnan(ds.X).sum())
        click.echo(f"filled {n_missing} missing entries of {ds.describe()}", err=True)
