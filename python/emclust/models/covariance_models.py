"""mclust's 14 covariance models (Celeux and Govaert, 1995) and how they map
to scikit-learn's four covariance types.

Each name spells the decomposition ``Σ_k = λ_k D_k A_k D_kᵀ``: volume λ,
shape A (diagonal, determinant 1) and orientation D, each Equal across
components, Variable, or the Identity. The core fits every model with full
(k, d, d) storage; only the M-step differs.
"""

import numpy as np

__all__ = [
    "MODELS",
    "ONE_FEATURE_MODELS",
    "SKLEARN_ALIASES",
    "canonical_model",
    "decompose",
    "is_mclust_model",
    "layout",
    "n_parameters",
]

#: The 14 models in mclust's order.
MODELS = (
    "EII",
    "VII",
    "EEI",
    "VEI",
    "EVI",
    "VVI",
    "EEE",
    "VEE",
    "EVE",
    "VVE",
    "EEV",
    "VEV",
    "EVV",
    "VVV",
)

#: scikit-learn's names and the mclust model each is.
SKLEARN_ALIASES = {"spherical": "VII", "diag": "VVI", "tied": "EEE", "full": "VVV"}

#: mclust's names for one feature: equal or variable variance.
ONE_FEATURE_MODELS = ("E", "V")

#: scikit-learn's four names, in its order.
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
#: scikit-learn's four, mclust's 14 and "E", "V" (one feature).
ALL_COVARIANCE_TYPES = (*COVARIANCE_TYPES, *MODELS, *ONE_FEATURE_MODELS)

_ALL = (*SKLEARN_ALIASES, *MODELS, *ONE_FEATURE_MODELS)


def _valid_names():
    return ", ".join(repr(n) for n in _ALL)


def is_mclust_model(name):
    """True for the 14 mclust names and "E", "V" (not scikit-learn's four)."""
    return isinstance(name, str) and (name in MODELS or name in ONE_FEATURE_MODELS)


def layout(covariance_type):
    """The storage of ``covariance_type``: scikit-learn's names are their own;
    every mclust model is stored as "full" (k, d, d) matrices."""
    return "full" if is_mclust_model(covariance_type) else covariance_type


def canonical_model(name, n_features):
    """The mclust model of ``name`` (any of the 14, "E"/"V", or scikit-learn's
    four), validated. With one feature every model is equal ("E") or variable
    ("V") variance, as mclust names them.

    Raises ValueError, listing the valid names, for any other name."""
    if not isinstance(name, str) or name not in _ALL:
        raise ValueError(
            f"covariance_type must be one of {_valid_names()}; got {name!r}"
        )
    if n_features == 1:
        if name in ONE_FEATURE_MODELS:
            return name
        return SKLEARN_ALIASES.get(name, name)[0]
    if name in ONE_FEATURE_MODELS:
        raise ValueError(
            f"covariance_type={name!r} is for one feature; with {n_features} features "
            f"use one of {', '.join(MODELS)}"
        )
    return SKLEARN_ALIASES.get(name, name)


def _n_variance_parameters(model, k, d):
    # mclust's nVarParams: free parameters of the k covariance matrices.
    orient = d * (d - 1) // 2
    return {
        "E": 1,
        "V": k,
        "EII": 1,
        "VII": k,
        "EEI": d,
        "VEI": k + (d - 1),
        "EVI": 1 + k * (d - 1),
        "VVI": k * d,
        "EEE": d * (d + 1) // 2,
        "VEE": k + (d - 1) + orient,
        "EVE": 1 + k * (d - 1) + orient,
        "VVE": k + k * (d - 1) + orient,
        "EEV": 1 + (d - 1) + k * orient,
        "VEV": k + (d - 1) + k * orient,
        "EVV": 1 + k * (d - 1) + k * orient,
        "VVV": k * d * (d + 1) // 2,
    }[model]


def n_parameters(model, n_components, n_features):
    """Free parameters of a k-component mixture of ``model``, as mclust's
    ``nMclustParams`` counts them (no noise component, free proportions):
    covariance parameters, k d means and k - 1 proportions."""
    m = canonical_model(model, n_features)
    k, d = int(n_components), int(n_features)
    return _n_variance_parameters(m, k, d) + k * d + (k - 1)


def decompose(covariances):
    """``Σ_k = λ_k D_k A_k D_kᵀ`` of (k, d, d) covariances: volumes λ_k =
    |Σ_k|^(1/d) (k,), shapes (k, d) (determinant 1, decreasing) and
    orientations (k, d, d) (the eigenvectors, columns in the shapes' order)."""
    cov = np.asarray(covariances, dtype=np.float64)
    values, vectors = np.linalg.eigh(cov)
    values, vectors = values[:, ::-1], vectors[:, :, ::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        volumes = np.exp(np.mean(np.log(values), axis=1))
        shapes = values / volumes[:, None]
    return volumes, shapes, np.ascontiguousarray(vectors)
