"""emclust classify: fit a GaussianMixtureClassifier on a labelled table and
label another."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import click
import numpy as np

import emclust

from ..models.covariance_models import MODELS
from . import _plot, cli
from ._data import MISSING, read_data, write_table
from ._errors import CLIError, OptionError
from ._options import data_options, threads_option, warn
from .fit import columns_by_name

_COVARIANCE_TYPES = ("full", "tied", "diag", "spherical", *MODELS, "E", "V", "all")


def _label_column(names, label, source):
    if label in names:
        return names.index(label)
    try:
        i = int(label)
    except ValueError:
        raise CLIError(
            f"no label column {label!r} in {source} (columns: {', '.join(names)})"
        ) from None
    if not 0 <= i < len(names):
        raise CLIError(f"label column index {i} is out of range for {source}")
    return i


def _csv_table(path, delimiter, header):
    """(column names, header, split data rows) of a text table, the label
    column still as text."""
    from ._data import _is_number, _split, sniff_delimiter

    p = Path(path)
    if not p.exists():
        raise CLIError(f"no such file: {path}")
    try:
        text = p.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CLIError(f"cannot read {path}: {exc}") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise CLIError(f"{path} is empty")
    if delimiter is None:
        delimiter = sniff_delimiter(lines)
    elif delimiter == "\\t":
        delimiter = "\t"
    first = _split(lines[0], delimiter)
    if header is None:
        header = not all(_is_number(v) for v in first)
    names = (
        [v.strip() for v in first] if header else [str(i) for i in range(len(first))]
    )
    rows = [_split(line, delimiter) for line in lines[int(header) :]]
    return names, header, rows


def _as_labels(values, source, label):
    """Integer labels when every value is an integer (then -1 marks an
    unlabelled row), else the strings; an empty or NA cell is an error."""
    bad = [i for i, v in enumerate(values) if v.lower() in MISSING]
    if bad:
        raise CLIError(
            f"{source}: the label column {label!r} is empty or NA in {len(bad)} "
            f"row(s), first in data row {bad[0] + 1}; use -1 for an unlabelled row "
            "(integer labels)"
        )
    try:
        return np.array([int(v) for v in values], dtype=np.int64)
    except ValueError:
        return np.array(values, dtype=object)


def read_labelled(path, label, columns, header, delimiter, drop_nan):
    """(Dataset of the features, labels) of a labelled table."""
    suffix = Path(path).suffix.lower()
    if suffix in (".npy", ".parquet", ".pq"):
        probe = read_data(path, None, missing="keep")
        names = probe.names
        index = _label_column(names, label, path)
        raw = probe.X[:, index]
        if not np.isfinite(raw).all() or (raw != np.round(raw)).any():
            raise CLIError(
                f"{path}: the label column {label!r} of a numeric file must hold "
                "integers"
            )
        y = raw.astype(np.int64)
    else:
        names, header, rows = _csv_table(path, delimiter, header)
        index = _label_column(names, label, path)
        values = [r[index].strip() if index < len(r) else "" for r in rows]
        y = _as_labels(values, path, label)
    if columns is None:
        columns = ",".join(str(i) for i in range(len(names)) if i != index)
        if not columns:
            raise CLIError(f"{path} has no column besides the labels")
    ds = read_data(path, columns, drop_nan=drop_nan, header=header, delimiter=delimiter)
    if ds.kept is not None:
        y = y[ds.kept]
    if len(y) != ds.X.shape[0]:
        raise CLIError(f"{path}: {len(y)} labels for {ds.X.shape[0]} rows")
    return ds, y


def _n_components(value):
    if value == "bic":
        return "bic"
    try:
        k = int(value)
    except ValueError:
        raise OptionError(
            f"-k must be an integer >= 1 or 'bic', got {value!r}"
        ) from None
    if k < 1:
        raise OptionError(f"-k must be an integer >= 1 or 'bic', got {value!r}")
    return k


@cli.command()
@click.argument("train", type=click.Path())
@click.argument("data", type=click.Path(), required=False)
@click.option(
    "--label",
    required=True,
    metavar="COLUMN",
    help="The column of TRAIN holding the class (a name or 0-based index); "
    "integer labels may use -1 for unlabelled rows (semi-supervised fit).",
)
@click.option(
    "-k",
    "--components-per-class",
    default="1",
    show_default=True,
    help="Gaussians per class: 1 (EDDA), an integer, or 'bic' (MclustDA).",
)
@click.option(
    "--covariance-type",
    type=click.Choice(_COVARIANCE_TYPES),
    default="full",
    show_default=True,
    help="scikit-learn's four or mclust's 14 (tied = EEE = LDA with -k 1); "
    "'all' with -k bic: each class chooses its model too (MclustDA's default).",
)
@click.option("--reg-covar", type=click.FloatRange(min=0), help="[default: 0]")
@click.option("--max-iter", type=click.IntRange(min=1), help="[default: 100]")
@click.option("--tol", type=click.FloatRange(min=0), help="[default: 1e-3]")
@click.option("--seed", type=int, default=0, show_default=True)
@threads_option
@click.option(
    "-o",
    "--output",
    default="-",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write DATA's labels (CSV) here [default: standard output].",
)
@click.option("--proba", is_flag=True, help="Also write each class's probability.")
@click.option(
    "--model-output",
    type=click.Path(dir_okay=False),
    help="Write the fitted classifier (JSON model file) here.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    help="Draw the classes; needs matplotlib.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No warnings on stderr.")
@data_options
def classify(
    train,
    data,
    label,
    components_per_class,
    covariance_type,
    reg_covar,
    max_iter,
    tol,
    seed,
    threads,
    output,
    proba,
    model_output,
    plot,
    as_json,
    quiet,
    columns,
    drop_nan,
    missing,
    header,
    delimiter,
):
    """Fit a Gaussian mixture classifier on TRAIN (a table with a --label
    column) and label the rows of DATA (CSV, .npy or Parquet, the same
    feature columns); without DATA, print the fit's summary only."""
    if missing == "keep":
        raise OptionError("classify needs complete rows: --missing keep does not apply")
    if plot:
        _plot.require_matplotlib()
    drop_nan = drop_nan or missing == "drop"
    ds, y = read_labelled(train, label, columns, header, delimiter, drop_nan)
    options = {
        "covariance_type": covariance_type,
        "reg_covar": reg_covar,
        "max_iter": max_iter,
        "tol": tol,
        "random_state": seed,
        "n_threads": threads,
    }
    est = emclust.GaussianMixtureClassifier(
        _n_components(components_per_class),
        **{k: v for k, v in options.items() if v is not None},
    )
    warn(_fit(est, ds.X, y), quiet)
    if ds.named:
        est.feature_names_in_ = np.array(ds.names, dtype=object)
    summary = _summary(est, ds, y)
    if model_output:
        try:
            emclust.save(est, model_output)
        except OSError as exc:
            raise CLIError(
                f"cannot write the model {model_output}: {exc.strerror or exc}"
            ) from None
    X_plot, names = ds.X, ds.names
    if data is not None:
        target = read_data(
            data, None, drop_nan=drop_nan, header=header, delimiter=delimiter
        )
        X = columns_by_name(est, target)
        if X.shape[1] != est.n_features_in_:
            raise CLIError(
                f"{target.source} has {X.shape[1]} columns but the classifier was "
                f"fitted on {est.n_features_in_}"
            )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "X does not have valid feature names")
            p = est.predict_proba(X)
        labels = est.classes_[p.argmax(axis=1)]
        if proba:
            cols = ["label"] + [f"p_{c}" for c in est.classes_.tolist()]
            table = np.column_stack([labels.astype(object), p.astype(object)])
            write_table(output, cols, table, target.kept)
        else:
            write_table(output, ["label"], labels, target.kept)
        X_plot = X
    if plot:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "X does not have valid feature names")
            index = est.predict_log_proba(X_plot).argmax(axis=1)
        _plot.plot_fit(
            plot,
            X_plot,
            index,
            est,
            names,
            f"GaussianMixtureClassifier ({covariance_type}), {len(est.classes_)} classes",
        )
    if data is None or str(output) != "-":
        text = json.dumps(summary) if as_json else _format(summary)
        click.echo(text, err=data is not None and str(output) == "-")


def _fit(est, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    return [str(w.message) for w in caught]


def _summary(est, ds, y):
    labelled = ~((y == -1) if y.dtype.kind == "i" else np.zeros(len(y), bool))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "X does not have valid feature names")
        accuracy = float(np.mean(est.predict(ds.X[labelled]) == y[labelled]))
    out = {
        "model": "GaussianMixtureClassifier",
        "covariance_type": est.covariance_type,
        "classes": [c if isinstance(c, str) else int(c) for c in est.classes_.tolist()],
        "components_per_class": [int(v) for v in est.n_components_per_class_],
        "class_covariance_types": [str(v) for v in est.class_covariance_types_],
        "priors": [float(v) for v in est.priors_],
        "n_rows": int(ds.X.shape[0]),
        "n_unlabelled": int((~labelled).sum()),
        "training_accuracy": accuracy,
    }
    return out


def _format(s):
    rows = [
        ("model", f"{s['model']}, covariance {s['covariance_type']}"),
        ("classes", ", ".join(str(c) for c in s["classes"])),
        (
            "components",
            ", ".join(
                f"{g} {m}"
                for g, m in zip(s["components_per_class"], s["class_covariance_types"])
            ),
        ),
        ("priors", ", ".join(f"{v:.4f}" for v in s["priors"])),
        ("rows", f"{s['n_rows']} ({s['n_unlabelled']} unlabelled)"),
        ("training accuracy", f"{s['training_accuracy']:.4f} (labelled rows)"),
    ]
    width = max(len(n) for n, _ in rows)
    return "\n".join(f"{n:<{width}}  {v}" for n, v in rows)
