"""The conjugate prior of mclust (Fraley and Raftery 2007) as a user-facing value.

``ConjugatePrior(shrinkage=0.01, mean=None, dof=None, scale=None)``: each field
left ``None`` takes mclust's ``priorControl()`` default when the prior is resolved
against the data and the number of components (``resolve``):

* mean: the data mean; dof: n_features + 2;
* scale: var(X) / G^(2/d) (n - 1 in var; only its diagonal when n <= d) for the
  models with full covariances, and (mean of the variances) / G^(2/d) times the
  identity for the spherical and diagonal ones, which use tr(scale) / d.

The MAP M-step itself is in C++ (``cpp/include/emclust/conjugate_prior.hpp``);
``emclust.reference.prior`` is its NumPy oracle. mclust has a prior for 10 of the
14 models: not EVE, VEE, VVE and EVV (``PRIOR_MODELS``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_float

__all__ = [
    "PRIOR_MODELS",
    "ConjugatePrior",
    "ResolvedPrior",
    "check_prior_param",
    "core_prior",
    "prior_model",
]

PRIOR_MODELS = ("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "EEV", "VEV", "VVV")
_DIAGONAL = ("EII", "VII", "EEI", "VEI", "EVI", "VVI")


@dataclass(frozen=True)
class ResolvedPrior:
    """Every field set, for one data set, G and model: what the core receives."""

    shrinkage: float
    mean: np.ndarray  # (d,)
    dof: float
    scale: np.ndarray  # (d, d)


class ConjugatePrior:
    """The conjugate prior of mclust's ``priorControl()`` (Fraley and Raftery 2007).

    A normal prior on each mean given its covariance and an inverse-Wishart
    (inverse-gamma for the spherical and diagonal models) prior on the covariance.
    Fields left ``None`` take mclust's defaults when the prior is resolved.

    Parameters
    ----------
    shrinkage : float, default=0.01
        The prior mean's weight kappa_P >= 0, in observations.
    mean : array-like of shape (n_features,), default=None
        The prior mean mu_P; None for the data mean.
    dof : float, default=None
        The degrees of freedom nu_P > 0; None for n_features + 2.
    scale : float or array-like of shape (n_features, n_features), default=None
        The scale Lambda_P, symmetric positive definite (a float is that times the
        identity); None for var(X) / G^(2/d) (mclust's default). The spherical
        and diagonal models use tr(scale) / d.
    """

    def __init__(self, shrinkage=0.01, mean=None, dof=None, scale=None):
        self.shrinkage = shrinkage
        self.mean = mean
        self.dof = dof
        self.scale = scale

    def __repr__(self):
        fields = ", ".join(
            f"{k}={getattr(self, k)!r}" for k in ("shrinkage", "mean", "dof", "scale")
        )
        return f"ConjugatePrior({fields})"

    def __eq__(self, other):
        if not isinstance(other, ConjugatePrior):
            return NotImplemented
        return all(
            np.array_equal(
                np.asarray(getattr(self, k), dtype=object),
                np.asarray(getattr(other, k), dtype=object),
            )
            for k in ("shrinkage", "mean", "dof", "scale")
        )

    __hash__ = None

    def get_params(self, deep=True):
        """The four fields, as scikit-learn's clone expects.

        Parameters
        ----------
        deep : bool, default=True
            Ignored: the fields hold no estimators.

        Returns
        -------
        dict
            The four fields as given.
        """
        return {
            "shrinkage": self.shrinkage,
            "mean": self.mean,
            "dof": self.dof,
            "scale": self.scale,
        }

    def resolve(self, X, n_components, model):
        """Every field set for data X, G = n_components and a covariance model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data the defaults are computed from.
        n_components : int
            G, which the default scale depends on.
        model : str
            One of ``PRIOR_MODELS`` (mclust's names).

        Returns
        -------
        ResolvedPrior
            The shrinkage, mean (d,), dof and scale (d, d).

        Raises
        ------
        ValueError
            Naming the field that does not fit X, or when ``model`` has no prior
            in mclust.
        """
        if model not in PRIOR_MODELS:
            raise ValueError(
                f"prior: covariance model {model!r} has no conjugate prior; "
                f"models with one: {', '.join(PRIOR_MODELS)}"
            )
        X = np.asarray(X, dtype=float)
        n, d = X.shape
        shrinkage = check_float(self.shrinkage, "shrinkage", minimum=0.0)
        if self.mean is None:
            mean = X.mean(axis=0)
        else:
            mean = np.asarray(self.mean, dtype=float)
            if mean.shape != (d,):
                raise ValueError(
                    f"prior mean must have shape ({d},) for {d} features; got {mean.shape}"
                )
        dof = float(d + 2) if self.dof is None else check_float(self.dof, "dof")
        if not dof > 0:
            raise ValueError(f"prior dof must be > 0; got {dof}")
        if self.scale is None:
            fac = (1.0 / n_components) ** (2.0 / d)
            var = np.cov(X, rowvar=False, ddof=1).reshape(d, d)
            if model in _DIAGONAL:
                scale = fac * np.trace(var) / d * np.eye(d)
            elif n > d:
                scale = fac * var
            else:
                scale = fac * np.diag(np.diag(var))
        else:
            scale = np.asarray(self.scale, dtype=float)
            if scale.ndim == 0:
                scale = float(scale) * np.eye(d)
            if scale.shape != (d, d):
                raise ValueError(
                    f"prior scale must be a scalar or have shape ({d}, {d}); got {scale.shape}"
                )
            if not np.allclose(scale, scale.T) or np.any(
                np.linalg.eigvalsh(scale) <= 0
            ):
                raise ValueError("prior scale must be symmetric positive definite")
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))):
            raise ValueError("prior mean and scale must be finite")
        return ResolvedPrior(shrinkage, mean, dof, scale)


IN_MEMORY_ONLY = (
    "prior= is supported by the in-memory fit only (not with Dask arrays, "
    "batch_size, row blocks, partial_fit or noise=True); set prior=None"
)


def check_prior_param(prior):
    """None, "conjugate" or a ConjugatePrior, else a ValueError naming prior."""
    if prior is None or isinstance(prior, ConjugatePrior):
        return prior
    if isinstance(prior, str) and prior == "conjugate":
        return prior
    raise ValueError(
        f"prior must be None, 'conjugate' or an emclust.ConjugatePrior; got {prior!r}"
    )


def prior_model(covariance_type):
    """The mclust model whose prior a covariance type takes: scikit-learn's four
    are VVV, EEE, VVI and VII, and one feature's "E"/"V" are EII/VII."""
    aliases = {
        "full": "VVV",
        "tied": "EEE",
        "diag": "VVI",
        "spherical": "VII",
        "E": "EII",
        "V": "VII",
    }
    return aliases.get(covariance_type, covariance_type)


def core_prior(prior, X, n_components, covariance_type):
    """The prior the core receives, (shrinkage, mean, dof, scale), or None.

    ``"conjugate"`` is ``ConjugatePrior()``: mclust's priorControl() defaults
    from X and n_components. The defaults ignore sample weights (as mclust's
    defaultPrior) and, where X has NaN, use the rows without one.
    """
    prior = check_prior_param(prior)
    if prior is None:
        return None
    if isinstance(prior, str):
        prior = ConjugatePrior()
    model = prior_model(covariance_type)
    if model not in PRIOR_MODELS:
        raise ValueError(
            f"prior: covariance_type={covariance_type!r} has no conjugate prior; "
            f"the models with one: {', '.join(PRIOR_MODELS)} and scikit-learn's "
            "full (VVV), tied (EEE), diag (VVI) and spherical (VII)"
        )
    X = np.asarray(X, dtype=np.float64)
    if np.isnan(X).any():
        X = X[~np.isnan(X).any(axis=1)]
        if X.shape[0] < 2 and (prior.mean is None or prior.scale is None):
            raise ValueError(
                "prior: its default mean and scale come from the rows without "
                "missing values, and X has fewer than 2; give mean and scale"
            )
    r = prior.resolve(X, n_components, model)
    return (
        float(r.shrinkage),
        np.ascontiguousarray(r.mean, dtype=np.float64),
        float(r.dof),
        np.ascontiguousarray(r.scale, dtype=np.float64),
    )
