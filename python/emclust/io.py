"""Model files: fitted estimators as versioned, checksummed JSON.

A model file holds the estimator's kind, its constructor parameters (the fit
options), its fitted attributes, the dtype and the emclust version that wrote
it. Nothing is pickled: loading builds the estimator from numbers and
strings only, after checking every one of them (kind, shapes, finiteness,
weights summing to 1, symmetric positive definite covariances, a checksum
over the content), so a truncated, corrupted or edited file is rejected with
a ``ValueError`` that says what is wrong.

Floats are written with Python's shortest round-trip representation, so a
loaded model holds the very same bits as the fitted one and predicts
identically. Files are written to a temporary file in the target directory
and renamed over the target (``_atomic``), so a crash never leaves a
half-written model.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
from pathlib import Path

import numpy as np

from ._atomic import write_atomic
from ._validation import check_n_threads
from ._version import __version__
from .exceptions import NotFittedError
from .models.bernoulli import check_probabilities
from .models.covariance_models import (
    MODELS,
    ONE_FEATURE_MODELS,
    decompose,
    is_mclust_model,
    layout,
)
from .models.gaussian import (
    covariance_shape,
    precision_cholesky,
    precisions_from_cholesky,
)
from .models.prior import ConjugatePrior

FORMAT = "emclust-model"
FORMAT_VERSION = 2
# Version 2 adds the optional feature_names_in_ (a model fitted on named
# columns); a file without them is written as version 1, which every reader
# of version 1 takes.
_NAMES_VERSION = 2

_ARRAY_DTYPES = ("float64", "float32", "int64")
_COVARIANCE_TYPES = ("full", "tied", "diag", "spherical", *MODELS, *ONE_FEATURE_MODELS)

# Fitted attributes stored for each kind (besides n_features_in_), with how
# each is encoded: "array", "int", "float", "bool" or "floats" (a list).
_MIXTURE_TRACE = {
    "converged_": "bool",
    "n_iter_": "int",
    "lower_bound_": "float",
    "lower_bounds_": "floats",
}
_FITTED = {
    "GaussianMixture": {
        "weights_": "array",
        "means_": "array",
        "covariances_": "array",
        "precisions_cholesky_": "array",
        **_MIXTURE_TRACE,
    },
    # labels_ (one per training sample) is not stored: it describes the
    # training data, not the model.
    "KMeans": {"cluster_centers_": "array", "inertia_": "float", "n_iter_": "int"},
    "KMedians": {"cluster_centers_": "array", "inertia_": "float", "n_iter_": "int"},
    # The centres and the step count: what predict needs, and what a
    # partial_fit needs to continue (with fresh per-centre counts).
    "MiniBatchKMeans": {"cluster_centers_": "array", "n_steps_": "int"},
    "BernoulliMixture": {
        "weights_": "array",
        "probabilities_": "array",
        **_MIXTURE_TRACE,
    },
    # The whole variational state and the priors: what inference and a
    # warm-started fit need. weight_concentration_ of the Dirichlet process
    # (a pair of arrays) is stored as one array of shape (2, n_components).
    "BayesianGaussianMixture": {
        "weights_": "array",
        "means_": "array",
        "covariances_": "array",
        "precisions_cholesky_": "array",
        "weight_concentration_": "array",
        "mean_precision_": "array",
        "degrees_of_freedom_": "array",
        "weight_concentration_prior_": "float",
        "mean_precision_prior_": "float",
        "mean_prior_": "array",
        "degrees_of_freedom_prior_": "float",
        "covariance_prior_": "array",
        **_MIXTURE_TRACE,
    },
    # One mixture of all classes' components: what predict needs.
    # classes_ are the labels as given (strings or integers).
    "GaussianMixtureClassifier": {
        "classes_": "labels",
        "component_class_": "ints",
        "priors_": "array",
        "weights_": "array",
        "means_": "array",
        "covariances_": "array",
        "precisions_cholesky_": "array",
        "n_iter_": "int",
        "converged_": "bool",
    },
    # The grid's table and the chosen fit, a GaussianMixture model document
    # of its own (with its own checksum): predict needs the fit, and the
    # table is what the selection was.
    "GaussianMixtureSelector": {
        "best_estimator_": "model",
        "results_": "results",
        "best_index_": "int",
    },
}
# A GaussianMixture fitted with noise=True also stores its noise.
_NOISE = {"noise_weight_": "float", "log_noise_volume_": "float"}
# The array whose dtype is the model's dtype.
_MAIN_ARRAY = {
    "GaussianMixture": "means_",
    "KMeans": "cluster_centers_",
    "KMedians": "cluster_centers_",
    "MiniBatchKMeans": "cluster_centers_",
    "BernoulliMixture": "probabilities_",
    "BayesianGaussianMixture": "means_",
    "GaussianMixtureClassifier": "means_",
    "GaussianMixtureSelector": "best_estimator_",
}
KINDS = tuple(_FITTED)
# Kinds whose main attribute is a nested model: the array of it that has the dtype.
_MAIN_IS_MODEL = {"GaussianMixtureSelector": "means_"}
# The columns of GaussianMixtureSelector.results_, in order (the selector
# takes them from here: io sits below the estimators).
RESULT_KEYS = (
    "n_components",
    "covariance_type",
    "bic",
    "icl",
    "log_likelihood",
    "n_parameters",
    "n_iter",
    "converged",
    "status",
)
_RESULT_TEXT = ("covariance_type", "status")
_RESULT_INT = ("n_components", "n_iter")


def _encode_results(results):
    out = {}
    for key, column in results.items():
        if key in _RESULT_TEXT:
            out[key] = [str(v) for v in column]
        elif key in _RESULT_INT:
            out[key] = [int(v) for v in column]
        elif key == "converged":
            out[key] = [bool(v) for v in column]
        else:
            out[key] = [_encode_float(v) for v in column]
    return out


# kind -> estimator class; the estimators register themselves (register_kind),
# so that this module never imports one.
_REGISTRY = {}


def register_kind(cls):
    """Make ``cls`` (whose name is one of KINDS) the class that
    :func:`load` builds for its kind, and the one :func:`save` accepts."""
    if cls.__name__ not in _FITTED:
        raise ValueError(f"no model file layout for kind {cls.__name__!r}")
    _REGISTRY[cls.__name__] = cls
    return cls


# --- writing ------------------------------------------------------------------


def _encode_float(x):
    """A float as a JSON number, or as a string for the non-finite values
    that JSON cannot hold (lower bounds may be -inf before any iteration)."""
    x = float(x)
    return x if math.isfinite(x) else repr(x)


def _fitted_of(model, kind):
    """The attributes save writes: the kind's, and the noise's for a
    GaussianMixture fitted with it."""
    if kind == "GaussianMixture" and "noise_weight_" in vars(model):
        return {**_FITTED[kind], **_NOISE}
    return _FITTED[kind]


def _encode_array(a):
    a = np.asarray(a)
    dtype = "int64" if a.dtype.kind in "iu" else a.dtype.name
    if dtype not in _ARRAY_DTYPES:
        raise TypeError(f"cannot store an array of dtype {a.dtype} in a model file")
    data = a.reshape(-1).tolist()  # Python floats: repr round-trips exactly
    return {"dtype": dtype, "shape": list(a.shape), "data": data}


def _encode_param(value):
    """A constructor parameter as JSON, or _DROP when it has no JSON form
    (a RandomState or Generator passed as random_state). A ConjugatePrior is
    {"ConjugatePrior": {its four fields}}."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, ConjugatePrior):
        fields = {k: _encode_param(v) for k, v in value.get_params().items()}
        if any(v is _DROP for v in fields.values()):
            return _DROP
        return {"ConjugatePrior": fields}
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _encode_float(value)
    if isinstance(value, (list, tuple, range)) and all(
        isinstance(v, str) for v in value
    ):
        return list(value)  # names: GaussianMixtureSelector's covariance_types
    if (
        isinstance(value, (list, tuple, np.ndarray))
        and len(value)
        and all(isinstance(v, (bool, np.bool_)) for v in value)
    ):
        return [bool(v) for v in value]  # a mask: noise_init
    if isinstance(value, (list, tuple, range, np.ndarray)) and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value
    ):
        return [int(v) for v in value]
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            return np.asarray(value, dtype=np.float64).tolist()
        except (TypeError, ValueError):
            return _DROP
    return _DROP


_DROP = object()


def _checksum(body):
    canonical = json.dumps(
        body,
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
        default=_BadNumber.as_json,
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def to_dict(model):
    """The JSON-ready content of a model file for a fitted estimator."""
    kind = type(model).__name__
    if kind not in _FITTED or _REGISTRY.get(kind) is not type(model):
        raise TypeError(
            f"cannot save a {type(model).__module__}.{kind}; model files hold "
            f"emclust's {', '.join(KINDS)}"
        )
    main = _MAIN_ARRAY[kind]
    if not hasattr(model, main):
        raise NotFittedError(f"This {kind} instance is not fitted yet; call fit first")
    params, dropped = {}, []
    # deep=False: a ConjugatePrior is one parameter, not four nested ones.
    for name, value in model.get_params(deep=False).items():
        encoded = _encode_param(value)
        if encoded is _DROP:
            params[name] = None
            dropped.append(name)
        else:
            params[name] = encoded
    attributes = {"n_features_in_": int(model.n_features_in_)}
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        attributes["feature_names_in_"] = [str(v) for v in names]
    for name, how in _fitted_of(model, kind).items():
        value = getattr(model, name)
        if how == "labels":
            attributes[name] = [
                v if isinstance(v, str) else int(v) for v in value.tolist()
            ]
        elif how == "ints":
            attributes[name] = [int(v) for v in value]
        elif how == "model":
            attributes[name] = to_dict(value)
        elif how == "results":
            attributes[name] = _encode_results(value)
        elif how == "array":
            attributes[name] = _encode_array(value)
        elif how == "int":
            attributes[name] = int(value)
        elif how == "bool":
            attributes[name] = bool(value)
        elif how == "float":
            attributes[name] = _encode_float(value)
        else:
            attributes[name] = [_encode_float(v) for v in value]
    if how_main := _MAIN_IS_MODEL.get(kind):
        dtype = np.asarray(getattr(getattr(model, main), how_main)).dtype.name
    else:
        dtype = np.asarray(getattr(model, main)).dtype.name
    body = {
        "kind": kind,
        "dtype": dtype,
        "params": params,
        "attributes": attributes,
    }
    header = {
        "format": FORMAT,
        "format_version": _NAMES_VERSION if names is not None else 1,
        "emclust_version": __version__,
    }
    if dropped:
        header["params_not_stored"] = dropped
    return {**header, **body, "checksum": _checksum(body)}


def save(model, path):
    """Write a fitted estimator to a JSON model file, atomically.

    Parameters
    ----------
    model : GaussianMixture, KMeans, KMedians, MiniBatchKMeans or BernoulliMixture
        A fitted emclust estimator.
    path : str or os.PathLike
        The file to write; an existing file is replaced only once the new
        one is complete (see ``_atomic.write_atomic``: a symlink is written
        through, an existing file keeps its mode, a directory or device is
        refused with an ``OSError``).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    text = json.dumps(to_dict(model), indent=1, allow_nan=False) + "\n"
    write_atomic(path, text)
    return path


# --- reading --------------------------------------------------------------------


class _Invalid(ValueError):
    pass


def _fail(message):
    raise _Invalid(message)


def _reject_constant(name):
    _fail(f"{name} is not valid JSON here")


# The longest integer a model file may hold: far beyond any count or seed
# emclust writes, and far below Python's 4300-digit limit on int().
_MAX_INT_DIGITS = 1000


class _BadNumber:
    """A JSON number with no value here (1e400 overflows a float; an integer
    of thousands of digits is refused): kept as its text, so that the check
    of the field holding it names that field when it refuses a non-number."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        t = self.text
        return t if len(t) <= 24 else f"{t[:12]}...({len(t)} characters)"

    @staticmethod
    def as_json(value):
        if isinstance(value, _BadNumber):
            return value.text
        raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _parse_float(text):
    x = float(text)
    return x if math.isfinite(x) else _BadNumber(text)


def _parse_int(text):
    if len(text) > _MAX_INT_DIGITS + 1:
        return _BadNumber(text)
    return int(text)


def _decode_float(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        _fail(f"{name} must be a number, got {_show(value)}")
    if isinstance(value, str):
        if value not in ("inf", "-inf", "nan"):
            _fail(f"{name} must be a number, got {_show(value)}")
        return float(value)
    try:
        return float(value)
    except OverflowError:
        _fail(f"{name} is out of the range of a float, got {_show(value)}")


def _show(value):
    """A value for a message, cut short."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}... ({len(text)} characters)"


def _decode_int(value, name, minimum=0):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        _fail(f"{name} must be an integer >= {minimum}, got {_show(value)}")
    return value


def _decode_names(value, d):
    """feature_names_in_: None, or d distinct strings (an object array, as
    scikit-learn stores them)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        _fail("feature_names_in_ must be a list of strings")
    if len(value) != d:
        _fail(f"feature_names_in_ has {len(value)} names for {d} features")
    if len(set(value)) != d:
        _fail("feature_names_in_ must be distinct")
    return np.array(value, dtype=object)


def _decode_array(value, name, shape):
    if not isinstance(value, dict) or set(value) != {"dtype", "shape", "data"}:
        _fail(f"{name} must be an object with keys dtype, shape and data")
    dtype = value["dtype"]
    if not isinstance(dtype, str) or dtype not in _ARRAY_DTYPES:
        _fail(f"{name} has unsupported dtype {_show(dtype)}")
    if not isinstance(value["shape"], list) or value["shape"] != list(shape):
        _fail(f"{name} must have shape {tuple(shape)}, got {_show(value['shape'])}")
    data = value["data"]
    if not isinstance(data, list) or len(data) != math.prod(shape):
        _fail(f"{name} must hold {math.prod(shape)} numbers")
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in data):
        _fail(f"{name} must hold numbers only")
    try:
        a = np.array(data, dtype=np.float64).reshape(shape)
    except OverflowError:
        _fail(f"{name} holds a number out of the range of a float")
    if not np.isfinite(a).all():
        _fail(f"{name} contains NaN or infinity")
    with np.errstate(over="ignore"):  # beyond float32: refused just below
        out = a.astype(dtype)
    if dtype != "float64" and not np.array_equal(out, a):
        _fail(f"{name} holds values that are not {dtype}")
    return out


def _check_spd(matrices, name):
    for j, m in enumerate(matrices):
        if not np.allclose(m, m.T, rtol=1e-12, atol=0):
            _fail(f"{name}[{j}] is not symmetric")
        try:
            np.linalg.cholesky(m)
        except np.linalg.LinAlgError:
            _fail(f"{name}[{j}] is not positive definite")


def _check_weights(weights):
    if (weights < 0).any():
        _fail("weights_ must be non-negative")
    if abs(weights.sum() - 1.0) > 1e-6:
        _fail(f"weights_ must sum to 1, got {weights.sum():.10g}")


def _check_trace(a):
    # A fit's lower bounds are finite, or -inf before any iteration.
    if len(a["lower_bounds_"]) > a["n_iter_"] + 1 or any(
        math.isnan(v) or v == math.inf for v in a["lower_bounds_"]
    ):
        _fail("lower_bounds_ is inconsistent with n_iter_")
    if math.isnan(a["lower_bound_"]) or a["lower_bound_"] == math.inf:
        _fail(f"lower_bound_ must be finite or -inf, got {a['lower_bound_']}")


def _gaussian_attributes(params, raw, d):
    k = _decode_int(params.get("n_components"), "params.n_components", minimum=1)
    ct = params.get("covariance_type")
    if ct not in _COVARIANCE_TYPES:
        _fail(f"params.covariance_type must be one of {_COVARIANCE_TYPES}, got {ct!r}")
    cshape = covariance_shape(ct, k, d)
    a = {
        "weights_": _decode_array(raw["weights_"], "weights_", (k,)),
        "means_": _decode_array(raw["means_"], "means_", (k, d)),
        "covariances_": _decode_array(raw["covariances_"], "covariances_", cshape),
        "precisions_cholesky_": _decode_array(
            raw["precisions_cholesky_"], "precisions_cholesky_", cshape
        ),
    }
    if params.get("noise") is True and "noise_weight_" in raw:
        noise = _decode_float(raw["noise_weight_"], "noise_weight_")
        if not 0 <= noise < 1:
            _fail(f"noise_weight_ must be in [0, 1), got {noise}")
        _check_weights(np.append(a["weights_"], noise))
        log_v = _decode_float(raw.get("log_noise_volume_"), "log_noise_volume_")
        if not math.isfinite(log_v):
            _fail("log_noise_volume_ must be finite")
    else:
        _check_weights(a["weights_"])
    cov, chol = a["covariances_"], a["precisions_cholesky_"]
    if layout(ct) in ("full", "tied"):
        _check_spd(cov.reshape(-1, d, d), "covariances_")
        expected = precision_cholesky(cov, ct, d).reshape(-1, d, d).copy()
        for j, f in enumerate(chol.reshape(-1, d, d)):
            # Upper, as every EM iteration leaves it; or lower, as a fit with
            # max_iter=0 keeps the factor of precisions_init (scikit-learn's
            # convention too). Either gives the same precisions.
            lower = not np.triu(f, 1).any()
            if (not lower and np.tril(f, -1).any()) or (np.diag(f) <= 0).any():
                _fail(
                    f"precisions_cholesky_[{j}] must be triangular (upper, or "
                    "lower) with a positive diagonal"
                )
            if lower:
                expected[j] = np.linalg.cholesky(expected[j] @ expected[j].T)
        expected = expected.reshape(cshape)
    else:
        if (cov <= 0).any() or (chol <= 0).any():
            _fail("covariances_ and precisions_cholesky_ must be positive")
        expected = precision_cholesky(cov, ct, d).reshape(cshape)
    # The factors are what predictions use: they must be those of the
    # covariances (recomputed the way fit computes them).
    scale = np.abs(expected).max()
    if not np.allclose(chol, expected, rtol=1e-6, atol=1e-9 * scale):
        _fail("precisions_cholesky_ does not match covariances_")
    return a


def _centroid_attributes(params, raw, d):
    k = _decode_int(params.get("n_clusters"), "params.n_clusters", minimum=1)
    a = {
        "cluster_centers_": _decode_array(
            raw["cluster_centers_"], "cluster_centers_", (k, d)
        )
    }
    if a["cluster_centers_"].dtype.kind != "f":
        _fail("cluster_centers_ must be float32 or float64")
    return a


def _bernoulli_attributes(params, raw, d):
    k = _decode_int(params.get("n_components"), "params.n_components", minimum=1)
    a = {
        "weights_": _decode_array(raw["weights_"], "weights_", (k,)),
        "probabilities_": _decode_array(
            raw["probabilities_"], "probabilities_", (k, d)
        ),
    }
    _check_weights(a["weights_"])
    # fit keeps every probability within [1e-10, 1 - 1e-10] and predict
    # refuses 0 and 1 (they give some rows a log-likelihood of -inf): so
    # does load.
    try:
        check_probabilities(a["probabilities_"], k, d, "probabilities_")
    except ValueError as exc:
        _fail(str(exc))
    return a


def _bayesian_attributes(params, raw, d):
    a = _gaussian_attributes(params, raw, d)
    k, ct = params["n_components"], params["covariance_type"]
    dp = params.get("weight_concentration_prior_type") == "dirichlet_process"
    shapes = {
        "weight_concentration_": (2, k) if dp else (k,),
        "mean_precision_": (k,),
        "degrees_of_freedom_": () if ct == "tied" else (k,),
        "mean_prior_": (d,),
        "covariance_prior_": {"full": (d, d), "tied": (d, d), "diag": (d,)}.get(ct, ()),
    }
    for name, shape in shapes.items():
        a[name] = _decode_array(raw[name], name, shape)
    positive = ("weight_concentration_", "mean_precision_", "degrees_of_freedom_")
    if any((a[name] <= 0).any() for name in positive):
        _fail(f"{', '.join(positive)} must be positive")
    if (a["degrees_of_freedom_"] <= d - 1).any():
        _fail(f"degrees_of_freedom_ must be > n_features - 1 = {d - 1}")
    return a


def _classifier_attributes(params, raw, d):
    classes = raw["classes_"]
    if (
        not isinstance(classes, list)
        or not classes
        or not (
            all(isinstance(v, str) for v in classes)
            or all(isinstance(v, int) and not isinstance(v, bool) for v in classes)
        )
        or len(set(classes)) != len(classes)
    ):
        _fail("classes_ must be a list of distinct strings or of distinct integers")
    n_classes = len(classes)
    comp = raw["component_class_"]
    if (
        not isinstance(comp, list)
        or not comp
        or any(
            isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < n_classes
            for v in comp
        )
        or set(comp) != set(range(n_classes))
    ):
        _fail(
            "component_class_ must list a class index in [0, n_classes) for every "
            "component, every class at least once"
        )
    k = len(comp)
    component_class = np.array(comp, dtype=np.int64)
    a = {
        "classes_": np.array(
            classes, dtype=object if isinstance(classes[0], str) else np.int64
        ),
        "component_class_": component_class,
        "priors_": _decode_array(raw["priors_"], "priors_", (n_classes,)),
        "weights_": _decode_array(raw["weights_"], "weights_", (k,)),
        "means_": _decode_array(raw["means_"], "means_", (k, d)),
        "covariances_": _decode_array(raw["covariances_"], "covariances_", (k, d, d)),
        "precisions_cholesky_": _decode_array(
            raw["precisions_cholesky_"], "precisions_cholesky_", (k, d, d)
        ),
    }
    _check_weights(a["weights_"])
    _check_weights(a["priors_"])
    _check_spd(a["covariances_"], "covariances_")
    expected = precision_cholesky(a["covariances_"], "full", d).reshape(k, d, d)
    scale = np.abs(expected).max()
    if not np.allclose(
        a["precisions_cholesky_"], expected, rtol=1e-6, atol=1e-9 * scale
    ):
        _fail("precisions_cholesky_ does not match covariances_")
    return a


_ARRAYS = {
    "GaussianMixture": _gaussian_attributes,
    "KMeans": _centroid_attributes,
    "KMedians": _centroid_attributes,
    "MiniBatchKMeans": _centroid_attributes,
    "BernoulliMixture": _bernoulli_attributes,
    "BayesianGaussianMixture": _bayesian_attributes,
    "GaussianMixtureClassifier": _classifier_attributes,
}


def _decode_prior(value, name):
    """{"ConjugatePrior": {fields}} back to the ConjugatePrior it encodes."""
    fields = value.get("ConjugatePrior") if len(value) == 1 else None
    if not isinstance(fields, dict) or set(fields) - {
        "shrinkage",
        "mean",
        "dof",
        "scale",
    }:
        _fail(f"{name} must be null, a string or {{'ConjugatePrior': {{fields}}}}")
    for key, v in fields.items():
        ok = v is None or (
            isinstance(v, (int, float, list)) and not isinstance(v, bool)
        )
        if not ok:
            _fail(f"{name}.{key} must be null, a number or a list of numbers")
    return ConjugatePrior(**fields)


def _decode_results(raw, keys):
    if not isinstance(raw, dict) or list(raw) != list(keys):
        _fail(f"results_ must be an object with the keys {list(keys)}")
    lengths = {len(v) if isinstance(v, list) else -1 for v in raw.values()}
    if len(lengths) != 1 or lengths == {-1} or lengths == {0}:
        _fail("results_ must hold lists of one non-zero length")
    out = {}
    for key, column in raw.items():
        if key in _RESULT_TEXT:
            if not all(isinstance(v, str) for v in column):
                _fail(f"results_.{key} must be strings")
            out[key] = np.array(column, dtype=object)
        elif key in _RESULT_INT:
            out[key] = np.array(
                [_decode_int(v, f"results_.{key}") for v in column], dtype=np.int64
            )
        elif key == "converged":
            if not all(isinstance(v, bool) for v in column):
                _fail("results_.converged must be true or false")
            out[key] = np.array(column, dtype=bool)
        else:
            values = []
            for i, v in enumerate(column):
                values.append(
                    math.nan if v == "nan" else _decode_float(v, f"results_.{key}[{i}]")
                )
            out[key] = np.array(values, dtype=np.float64)
    return out


def _selector_attributes(params, raw, d):
    best = from_dict(raw["best_estimator_"])
    if type(best).__name__ != "GaussianMixture" or best.n_features_in_ != d:
        _fail(f"best_estimator_ must be a GaussianMixture of {d} features")
    results = _decode_results(raw["results_"], RESULT_KEYS)
    index = _decode_int(raw["best_index_"], "best_index_")
    if index >= results["bic"].size or results["status"][index] != "ok":
        _fail("best_index_ must name a valid fit of results_")
    if (
        results["n_components"][index] != best.n_components
        or results["covariance_type"][index] != best.covariance_type
    ):
        _fail("best_estimator_ is not the fit results_ names at best_index_")
    return {"best_estimator_": best, "results_": results}


_ARRAYS["GaussianMixtureSelector"] = _selector_attributes


def _decode_params(cls, params):
    if not isinstance(params, dict):
        _fail("params must be an object")
    defaults = cls().get_params(deep=False)
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        _fail(f"params: unknown parameter(s) {unknown} for {cls.__name__}")
    # A float parameter that is not finite (missing_values=np.nan) is stored
    # as a string, like the non-finite fitted floats.
    return {
        name: _decode_float(value, f"params.{name}")
        if isinstance(value, str) and isinstance(defaults[name], float)
        else _decode_prior(value, f"params.{name}")
        if isinstance(value, dict)
        else value
        for name, value in params.items()
    }


def from_dict(content):
    """Build the fitted estimator described by a model file's content."""
    if not isinstance(content, dict):
        _fail("the file must hold a JSON object")
    if content.get("format") != FORMAT:
        _fail(f"not an emclust model file (format is {content.get('format')!r})")
    version = content.get("format_version")
    if (
        isinstance(version, bool)
        or not isinstance(version, int)
        or not 1 <= version <= FORMAT_VERSION
    ):
        _fail(
            f"format_version {_show(version)} is not supported (this emclust reads "
            f"version {FORMAT_VERSION}); upgrade emclust"
        )
    missing = [
        k
        for k in ("kind", "dtype", "params", "attributes", "checksum")
        if k not in content
    ]
    if missing:
        _fail(f"missing field(s): {', '.join(missing)}")
    kind = content["kind"]
    if not isinstance(kind, str) or kind not in _FITTED:
        _fail(f"unknown model kind {_show(kind)}; expected one of {', '.join(KINDS)}")
    if content["dtype"] not in ("float32", "float64"):
        _fail(f"dtype must be 'float32' or 'float64', got {_show(content['dtype'])}")
    if not isinstance(content["checksum"], str):
        _fail("checksum must be a string")
    body = {k: content[k] for k in ("kind", "dtype", "params", "attributes")}
    if _checksum(body) != content["checksum"]:
        _fail("checksum mismatch: the file was changed after it was written")
    if kind not in _REGISTRY:
        # The estimators register when their module is imported, and the
        # package imports its estimators on first use (its _LAZY table):
        # reading a model file may be the first use. Through the package, by
        # name, so that io keeps below the estimators.
        getattr(importlib.import_module(__package__), kind, None)
    cls = _REGISTRY.get(kind)
    if cls is None:
        _fail(f"this emclust version has no {kind}")

    params = _decode_params(cls, content["params"])
    raw = content["attributes"]
    if not isinstance(raw, dict):
        _fail("attributes must be an object")
    expected = {"n_features_in_", *_FITTED[kind]}
    noise = kind == "GaussianMixture" and params.get("noise") is True
    if noise:
        expected |= set(_NOISE)
    if version >= _NAMES_VERSION and "feature_names_in_" in raw:
        expected.add("feature_names_in_")
    if set(raw) != expected:
        _fail(f"attributes must be exactly {sorted(expected)}, got {sorted(raw)}")
    d = _decode_int(raw["n_features_in_"], "n_features_in_", minimum=1)
    names = _decode_names(raw.get("feature_names_in_"), d)
    attributes = _ARRAYS[kind](params, raw, d)
    for name, how in {**_FITTED[kind], **(_NOISE if noise else {})}.items():
        if how == "int":
            attributes[name] = _decode_int(raw[name], name)
        elif how == "bool":
            if not isinstance(raw[name], bool):
                _fail(f"{name} must be true or false")
            attributes[name] = raw[name]
        elif how == "float":
            attributes[name] = _decode_float(raw[name], name)
        elif how == "floats":
            if not isinstance(raw[name], list):
                _fail(f"{name} must be a list of numbers")
            attributes[name] = [
                _decode_float(v, f"{name}[{i}]") for i, v in enumerate(raw[name])
            ]
    if "lower_bounds_" in attributes:
        _check_trace(attributes)
    if "inertia_" in attributes and not attributes["inertia_"] >= 0:
        _fail("inertia_ must be a non-negative number")
    if kind in _MAIN_IS_MODEL:
        main = np.asarray(getattr(attributes[_MAIN_ARRAY[kind]], _MAIN_IS_MODEL[kind]))
        if main.dtype.name != content["dtype"]:
            _fail(f"the nested model's dtype is not the file's {content['dtype']}")
    for name, how in _FITTED[kind].items():
        if how == "array" and attributes[name].dtype.name != content["dtype"]:
            _fail(
                f"{name} has dtype {attributes[name].dtype.name}, but the model's "
                f"dtype is {content['dtype']}"
            )

    model = cls(**params)
    # The constructor's rules (n_threads within the core's bound, tol,
    # max_iter, ...), as fit would apply them, with the field named.
    try:
        model._validate_params()
        check_n_threads(model.n_threads)
        if hasattr(model, "_allow_nan"):
            # The constraint takes any number, as scikit-learn's
            # missing_values does; emclust's mixtures take NaN or None only.
            model._allow_nan()
    except (ValueError, TypeError) as exc:  # InvalidParameterError is both
        _fail(f"params: {exc}")
    for name, value in attributes.items():
        setattr(model, name, value)
    model.n_features_in_ = d
    if kind == "GaussianMixtureClassifier":
        model.n_components_per_class_ = np.bincount(
            model.component_class_, minlength=len(model.classes_)
        )
    if names is not None:
        model.feature_names_in_ = names
    if kind == "GaussianMixtureSelector":
        model._from_model_file()
    if kind == "BayesianGaussianMixture":
        model._from_model_file()
    if noise:
        model.noise_volume_ = math.exp(min(model.log_noise_volume_, 700.0))
    if kind == "GaussianMixture":
        chol = model.precisions_cholesky_
        model.precisions_ = precisions_from_cholesky(
            chol.astype(np.float64), model.covariance_type
        ).astype(chol.dtype)
        if is_mclust_model(model.covariance_type):
            model.volumes_, model.shapes_, model.orientations_ = decompose(
                model.covariances_
            )
    return model


def load(path):
    """Read a model file written by :func:`save` (or ``model.save``).

    Parameters
    ----------
    path : str or os.PathLike
        The model file.

    Returns
    -------
    GaussianMixture, KMeans, KMedians, MiniBatchKMeans or BernoulliMixture
        The fitted estimator, predicting exactly as the one that was saved.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the file is not a valid emclust model file; the message says why.
    """
    path = Path(path)
    text = path.read_bytes()
    where = f"invalid model file {str(path)!r}"
    try:
        content = json.loads(
            text.decode("utf-8"),
            parse_constant=_reject_constant,
            parse_float=_parse_float,
            parse_int=_parse_int,
        )
    except _Invalid as exc:
        raise ValueError(f"{where}: {exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{where}: not valid JSON ({exc})") from None
    except RecursionError:
        raise ValueError(f"{where}: its JSON is nested too deeply") from None
    try:
        return from_dict(content)
    except _Invalid as exc:
        raise ValueError(f"{where}: {exc}") from None
    except (ValueError, TypeError, LookupError, OverflowError, RecursionError) as exc:
        # Every field is checked above with its name; this is the net under
        # those checks, so that no content, however odd, escapes as anything
        # but a ValueError naming the file.
        raise ValueError(f"{where}: {type(exc).__name__}: {exc}") from None
