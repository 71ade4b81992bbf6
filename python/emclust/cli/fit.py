"""emclust fit, predict and demo."""

from __future__ import annotations

import json
import math
import warnings
from importlib.resources import files

import click
import numpy as np

import emclust

# numpy only: the CLI imports no estimator before it runs one
from emclust.models.covariance_models import ALL_COVARIANCE_TYPES

from . import _plot, _progress, cli
from ._data import read_data, write_table
from ._errors import CLIError, OptionError
from ._options import (
    INT_MAX,
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

# Rows per block of the summaries of a memory-mapped file.
_SUMMARY_ROWS = 1 << 16


def summary(model, X, blockwise=False, want_labels=True):
    """The fit's key facts, as an ordered dict of JSON-ready values.

    ``blockwise``: labels and log-likelihood taken block by block, so that a
    memory-mapped X is never held whole (labels are gathered only when
    ``want_labels``)."""
    if blockwise:
        return _summary_blockwise(model, X, want_labels)
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
    if hasattr(model, "weight_concentration_"):
        # The variational fit's point: how many components the prior kept.
        out["weights"] = [float(v) for v in model.weights_]
        out["effective_k"] = int(np.sum(model.weights_ > 0.01))
    if hasattr(model, "inertia_"):
        out["inertia"] = float(model.inertia_)
    if hasattr(model, "noise_weight_"):
        out["noise_weight"] = float(model.noise_weight_)
        out["noise_rows"] = int(np.sum(labels == -1))
    out["sizes"] = np.bincount(labels[labels >= 0], minlength=k).tolist()
    return out, labels


def _summary_blockwise(model, X, want_labels):
    k = len(getattr(model, "weights_", getattr(model, "cluster_centers_", [])))
    n = X.shape[0]
    sizes = np.zeros(k, dtype=np.int64)
    ll, parts = 0.0, []
    for a in range(0, n, _SUMMARY_ROWS):
        block = X[a : a + _SUMMARY_ROWS]
        labels = model.predict(block)
        sizes += np.bincount(labels, minlength=k)
        if want_labels:
            parts.append(labels)
        if hasattr(model, "score_samples"):
            ll += float(np.sum(model.score_samples(block), dtype=np.float64))
    out = {"model": type(model).__name__, "k": k}
    if hasattr(model, "covariance_type"):
        out["covariance_type"] = model.covariance_type
    out["n_rows"], out["n_features"] = (int(v) for v in X.shape)
    if hasattr(model, "converged_"):
        out["converged"] = bool(model.converged_)
    out["n_iter"] = int(model.n_iter_)
    if hasattr(model, "score_samples"):
        out["log_likelihood"] = ll
        out["bic"] = -2.0 * ll + model._n_parameters() * math.log(n)
    if hasattr(model, "inertia_"):
        out["inertia"] = float(model.inertia_)
    out["sizes"] = sizes.tolist()
    return out, np.concatenate(parts) if want_labels else None


def columns_by_name(model, ds):
    """DATA's columns in the order of the model's feature names: a model
    fitted on a file with a header predicts a file with the same header in any
    column order, and refuses one whose names differ."""
    names = getattr(model, "feature_names_in_", None)
    if names is None or not ds.named:
        return ds.X
    names = [str(v) for v in names]
    if ds.names == names:
        return ds.X
    missing = [n for n in names if n not in ds.names]
    extra = [n for n in ds.names if n not in names]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"lacks the model's column(s) {', '.join(missing)}")
        if extra:
            parts.append(
                f"has column(s) {', '.join(extra)} the model was not fitted on"
            )
        raise CLIError(
            f"{ds.source} {' and '.join(parts)} (the model's columns: "
            f"{', '.join(names)}); choose them with --columns"
        )
    return np.ascontiguousarray(ds.X[:, [ds.names.index(n) for n in names]])


def _row_blocks(est, X):
    """X (a memory map) as the core's own row chunks for a mixture, which
    block EM adds in the in-memory fit's order; other models take X whole."""
    from ..drivers.streaming import BernoulliModel, GaussianModel, exact_block_rows

    if isinstance(est, emclust.GaussianMixture):
        model = GaussianModel(est.covariance_type)
    elif isinstance(est, emclust.BernoulliMixture):
        model = BernoulliModel()
    else:
        return X
    rows = exact_block_rows(model, X.shape[0], X.shape[1], est.n_components)
    return [X[a : a + rows] for a in range(0, X.shape[0], rows)]


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
    if "weights" in s:
        rows.append(
            (
                "weights",
                ", ".join(f"{v:.4f}" for v in s["weights"])
                + f" ({s['effective_k']} above 0.01)",
            )
        )
    rows.append(("sizes", ", ".join(str(v) for v in s["sizes"])))
    if "noise_rows" in s:
        rows.append(
            (
                "noise",
                f"{s['noise_rows']} rows (label -1), weight {s['noise_weight']:.4f}",
            )
        )
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def run_fit(data, est, *, output, labels_path, plot, quiet, progress, as_json, n_init):
    if plot:
        _plot.require_matplotlib()
    check_k(getattr(est, "n_components", getattr(est, "n_clusters", 1)), data)
    shown = _progress.wanted(quiet, progress)
    delay = 0 if progress else 0.5
    batch_size = getattr(est, "batch_size", None)
    if batch_size is not None and hasattr(est, "learning_decay"):
        X = data.X  # online EM reads its batches as views of a memory map
        display = _progress.OnlineProgress(
            shown,
            math.ceil(X.shape[0] / batch_size),
            est.max_iter,
            delay=delay,
            every=progress,
        )
    else:
        X = _row_blocks(est, data.X) if data.mapped else data.X
        display = _progress.FitProgress(shown, n_init, delay=delay, every=progress)
    with display as cb:
        caught = fit_model(est, X, cb)
    warn(caught, quiet)
    s, labels = summary(
        est,
        data.X,
        blockwise=data.mapped,
        want_labels=bool(labels_path or plot),
    )
    if output:
        if data.named and len(set(data.names)) == len(data.names):
            # As scikit-learn records a DataFrame's columns, after the
            # summary's predictions on the array: the model file keeps them,
            # and predict matches a file's columns to them by name.
            est.feature_names_in_ = np.array(data.names, dtype=object)
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
    type=click.Choice(ALL_COVARIANCE_TYPES),
    help="Gaussian mixtures only: scikit-learn's four or mclust's 14 models "
    "(EII ... VVV) [default: full].",
)
@fit_options
@click.option(
    "--online",
    is_flag=True,
    help="Fit by online (stepwise) EM in mini-batches of --batch-size rows, for "
    "at most --max-iter epochs (Gaussian and Bernoulli mixtures); a progress "
    "bar counts the batches of each epoch.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1, max=INT_MAX),
    default=10_000,
    show_default=True,
    help="Rows per mini-batch with --online.",
)
@click.option(
    "--learning-offset",
    type=click.FloatRange(min=0),
    help="Online EM's step size is (offset + t)^-decay for batch t [default: 10].",
)
@click.option(
    "--learning-decay",
    type=click.FloatRange(min=0.5, max=1, min_open=True),
    help="In (0.5, 1] [default: 0.7].",
)
@click.option(
    "--bayesian",
    is_flag=True,
    help="Variational Bayesian Gaussian mixture (--model bayesian): fit more "
    "components than needed and let the prior empty those the data do not support.",
)
@click.option(
    "--prior-type",
    type=click.Choice(["dirichlet_process", "dirichlet_distribution"]),
    help="With --bayesian: the weights' prior [default: dirichlet_process].",
)
@click.option(
    "--weight-concentration-prior",
    type=click.FloatRange(min=0, min_open=True),
    help="With --bayesian: small values empty more components [default: 1/k].",
)
@click.option(
    "--mean-precision-prior",
    type=click.FloatRange(min=0, min_open=True),
    help="With --bayesian [default: 1].",
)
@click.option(
    "--degrees-of-freedom-prior",
    type=click.FloatRange(min=0, min_open=True),
    help="With --bayesian: > n_features - 1 [default: n_features].",
)
@click.option(
    "--noise",
    is_flag=True,
    help="Add a uniform noise component (Gaussian mixtures): outliers get label "
    "-1 and do not inflate the clusters.",
)
@click.option(
    "--noise-volume",
    type=click.FloatRange(min=0, min_open=True),
    help="With --noise: the volume V of the noise density 1/V [default: mclust's "
    "hypvol, the smaller of the bounding and principal-axes boxes].",
)
@click.option(
    "--memory-budget",
    type=click.IntRange(min=1),
    default=2048,
    show_default=True,
    metavar="MIB",
    help="A float32/float64 .npy file larger than this many MiB is memory-mapped, "
    "not read: mixtures are fitted by exact EM over row blocks (initialised from "
    "the first block) or by online EM with --online, in memory near one block.",
)
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
    online,
    batch_size,
    learning_offset,
    learning_decay,
    bayesian,
    prior_type,
    weight_concentration_prior,
    mean_precision_prior,
    degrees_of_freedom_prior,
    noise,
    noise_volume,
    memory_budget,
    columns,
    drop_nan,
    missing,
    header,
    delimiter,
    output,
    labels_path,
    plot,
    as_json,
    quiet,
    progress,
):
    """Cluster DATA (CSV, .npy or Parquet) into K clusters; print a summary."""
    if not online and (learning_offset is not None or learning_decay is not None):
        raise CLIError("--learning-offset and --learning-decay apply with --online")
    ds = read_data(
        data,
        columns,
        drop_nan=drop_nan,
        header=header,
        missing=missing,
        map_over=memory_budget << 20,
        delimiter=delimiter,
    )
    warn(ds.notes, quiet)
    if bayesian:
        if model not in ("gmm", "bayesian"):
            raise OptionError(f"--bayesian is a Gaussian mixture; not --model {model}")
        model = "bayesian"
    if noise_volume is not None and not noise:
        raise OptionError("--noise-volume applies with --noise")
    if noise and model != "gmm":
        raise OptionError(f"--noise is a Gaussian mixture's; not --model {model}")
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
        batch_size=batch_size if online else None,
        learning_offset=learning_offset,
        learning_decay=learning_decay,
        weight_concentration_prior_type=prior_type,
        weight_concentration_prior=weight_concentration_prior,
        mean_precision_prior=mean_precision_prior,
        degrees_of_freedom_prior=degrees_of_freedom_prior,
        noise=True if noise else None,
        noise_volume=noise_volume,
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
    model_file,
    data,
    proba,
    output,
    threads,
    columns,
    drop_nan,
    missing,
    header,
    delimiter,
):
    """Label every row of DATA with the cluster of a saved MODEL."""
    model = load_model(model_file)
    if proba and not hasattr(model, "predict_proba"):
        raise CLIError(
            f"--proba needs a mixture model; {type(model).__name__} gives hard labels only"
        )
    ds = read_data(
        data,
        columns,
        drop_nan=drop_nan,
        header=header,
        missing=missing,
        delimiter=delimiter,
    )
    warn(ds.notes, False)
    X = columns_by_name(model, ds)
    if X.shape[1] != model.n_features_in_:
        raise CLIError(
            f"{ds.source} has {X.shape[1]} columns but the model was fitted on "
            f"{model.n_features_in_}; choose them with --columns"
        )
    if threads is not None:
        model.n_threads = threads
    with warnings.catch_warnings():
        # The columns were matched by name above; scikit-learn's check of
        # the names only sees that X is an array.
        warnings.filterwarnings("ignore", "X does not have valid feature names")
        labels = model.predict(X)
        p = model.predict_proba(X) if proba else None
    if proba:
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
    type=click.Choice(ALL_COVARIANCE_TYPES),
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
