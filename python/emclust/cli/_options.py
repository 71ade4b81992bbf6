"""Options shared by several commands, and building estimators from them."""

from __future__ import annotations

import inspect
import warnings

import click

import emclust

# numpy only: the CLI imports no estimator before it runs one
from .._core import MAX_THREADS
from ._errors import CLIError, OptionError

MODELS = {
    "gmm": "GaussianMixture",
    "kmeans": "KMeans",
    "kmedians": "KMedians",
    "bernoulli": "BernoulliMixture",
    "bayesian": "BayesianGaussianMixture",
}
# Estimator parameter -> the option that sets it (for error messages).
_FLAGS = {
    "covariance_type": "--covariance-type",
    "n_init": "--n-init",
    "max_iter": "--max-iter",
    "tol": "--tol",
    "reg_covar": "--reg-covar",
    "random_state": "--seed",
    "n_threads": "--threads",
    "batch_size": "--online",
    "learning_offset": "--learning-offset",
    "learning_decay": "--learning-decay",
    "weight_concentration_prior_type": "--prior-type",
    "weight_concentration_prior": "--weight-concentration-prior",
    "mean_precision_prior": "--mean-precision-prior",
    "degrees_of_freedom_prior": "--degrees-of-freedom-prior",
    "noise": "--noise",
    "noise_volume": "--noise-volume",
}


def _stack(*decorators):
    def apply(f):
        for d in reversed(decorators):
            f = d(f)
        return f

    return apply


data_options = _stack(
    click.option(
        "--columns",
        metavar="A,B,...",
        help="Columns to use: names from the header, or 0-based indices.",
    ),
    click.option(
        "--drop-nan",
        is_flag=True,
        help="Skip rows with NaN or missing values (their output rows stay empty).",
    ),
    click.option(
        "--missing",
        type=click.Choice(["error", "drop", "keep"]),
        default="error",
        show_default=True,
        help="Empty, NA or NaN cells: an error, drop their rows (as --drop-nan), "
        "or keep them as missing values (Gaussian and Bernoulli mixtures fit "
        "them by exact EM).",
    ),
    click.option(
        "--header/--no-header",
        default=None,
        help="Whether a CSV file starts with column names [default: guessed].",
    ),
    click.option(
        "--delimiter",
        metavar="CHAR",
        default=None,
        help="Field separator of a text table, e.g. ';' or '\\t' "
        "[default: sniffed from , tab ; | and white space].",
    ),
)

# Counts the core takes as a C int; a larger value is a usage error here rather
# than an overflow further down.
INT_MAX = 2**31 - 1
_MAX_KS = 10_000  # values of k in one `select` (each is a fit)

threads_option = click.option(
    "--threads",
    type=click.IntRange(min=1, max=MAX_THREADS),
    help=f"Threads, at most {MAX_THREADS} [default: every usable core].",
)

fit_options = _stack(
    click.option(
        "--n-init",
        type=click.IntRange(min=1, max=INT_MAX),
        help="Initialisations; the best is kept [default: 1].",
    ),
    click.option(
        "--max-iter",
        type=click.IntRange(min=1, max=INT_MAX),
        help="Most iterations per initialisation [default: the model's].",
    ),
    click.option(
        "--tol",
        type=click.FloatRange(min=0),
        help="Convergence tolerance [default: the model's].",
    ),
    click.option(
        "--reg-covar",
        type=click.FloatRange(min=0),
        help="Added to covariance diagonals [default: 1e-6].",
    ),
    click.option(
        "--seed",
        type=int,
        default=0,
        show_default=True,
        help="Random seed (a given seed gives the same fit).",
    ),
    threads_option,
)

progress_options = _stack(
    click.option(
        "-q", "--quiet", is_flag=True, help="No progress display or warnings on stderr."
    ),
    click.option(
        "--progress",
        is_flag=True,
        help="Show progress even when stderr is not a terminal.",
    ),
)


def estimator(model, k, **options):
    """The estimator for --model with k components and the options that were
    given (None = the estimator's default)."""
    cls = getattr(emclust, MODELS[model], None)
    if cls is None:
        raise CLIError(
            f"--model {model} needs emclust.{MODELS[model]}, which this emclust lacks"
        )
    accepted = set(cls._get_param_names())
    kw = {"n_clusters" if "n_clusters" in accepted else "n_components": k}
    for name, value in options.items():
        if value is None:
            continue
        if name not in accepted:
            raise OptionError(
                f"{_FLAGS.get(name, name)} does not apply to --model {model}"
            )
        kw[name] = value
    return cls(**kw)


def check_k(k, data):
    if k > data.X.shape[0]:
        raise CLIError(
            f"-k {k} is larger than the number of rows ({data.X.shape[0]}) in {data.source}"
        )


def fit_model(est, X, callback=None):
    """Fit; return the warnings raised (ConvergenceWarning...) as strings."""
    kwargs = {}
    if callback is not None and "callback" in inspect.signature(est.fit).parameters:
        kwargs["callback"] = callback
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, **kwargs)
    return [str(w.message) for w in caught]


def warn(messages, quiet):
    if quiet:
        return
    for m in dict.fromkeys(messages):
        click.echo(f"emclust: warning: {' '.join(m.split())}", err=True)


def parse_k_range(text):
    """'3', '1..10', '1-10' or '2,4,8' -> sorted list of distinct ints >= 1."""
    try:
        sep = ".." if ".." in text else "-" if "-" in text.strip().lstrip("-") else None
        if sep is not None:
            lo, hi = (int(v) for v in text.strip().split(sep, 1))
            ks = _k_range(lo, hi, text)
        else:
            ks = [int(v) for v in text.split(",")]
    except ValueError:
        raise OptionError(
            f"-k must look like 3, 1..10, 1-10 or 2,4,8; got {text!r}"
        ) from None
    if not ks or min(ks) < 1:
        raise OptionError(f"-k needs values >= 1; got {text!r}")
    return sorted(set(ks))


def _k_range(lo, hi, text):
    # Checked before range() is listed: -k 1..3000000000 would fill the memory.
    if hi > INT_MAX or hi - lo >= _MAX_KS:
        raise OptionError(
            f"-k must list at most {_MAX_KS} values, each <= {INT_MAX}; got {text!r}"
        )
    return list(range(lo, hi + 1))


def int_list(text, name, minimum=1, maximum=INT_MAX):
    """'1,2,4' -> [1, 2, 4] (1e5 is read as 100000)."""
    try:
        values = [int(float(v)) for v in str(text).split(",")]
    except (ValueError, OverflowError):  # int(float("inf")) overflows
        raise OptionError(
            f"{name} must be integers separated by commas; got {text!r}"
        ) from None
    if min(values) < minimum:
        raise OptionError(f"{name} values must be >= {minimum}; got {text!r}")
    if max(values) > maximum:
        raise OptionError(f"{name} values must be <= {maximum}; got {text!r}")
    return values


def load_model(path):
    """emclust.load, with every way a file can be unreadable as a CLIError."""
    try:
        return emclust.load(path)
    except RecursionError:
        raise CLIError(f"invalid model file {path}: nested too deeply") from None
    except OverflowError as exc:
        raise CLIError(
            f"invalid model file {path}: a number is out of range ({exc})"
        ) from None
