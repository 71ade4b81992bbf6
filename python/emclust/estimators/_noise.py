"""GaussianMixture's noise component (``noise=True``): a uniform density 1/V
over the data's region joins the mixture (Banfield and Raftery, 1993), so
that outliers do not inflate the covariances.

Kept apart from gaussian_mixture.py: GaussianMixture calls ``_fit_noise``
from ``fit`` and ``_noise_e_step`` from its E-step when the noise is on; the
EM loop is the core's masked EM (emclust/masked_em.hpp).
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import (
    check_data,
    check_n_threads,
    check_sample_weight,
    seed_from_random_state,
)
from ..drivers import memory
from ..drivers.dask import is_dask_collection
from ..drivers.streaming import is_block_source
from ..models import gaussian, masked
from ._online import OnlineMixtureMixin
from ._shared import float_result

_NOISE_ATTRIBUTES = ("noise_weight_", "noise_volume_", "log_noise_volume_")


def noise_start_mask(X, noise_init, n_components):
    """The rows the noise starts with: ``noise_init`` checked against X, or
    the nearest-neighbour clutter rule of Byers and Raftery (1998)."""
    n = X.shape[0]
    if noise_init is None:
        mask = masked.nearest_neighbour_noise(X)
    else:
        mask = np.asarray(noise_init)
        if mask.shape != (n,) or mask.dtype != bool:
            raise ValueError(
                f"noise_init must be a boolean array of shape ({n},), one "
                f"entry per row of X; got {mask.dtype} of shape {mask.shape}"
            )
    if int((~mask).sum()) < n_components:
        raise ValueError(
            f"noise_init leaves {int((~mask).sum())} rows outside the noise, "
            f"fewer than n_components={n_components}"
        )
    return mask


class NoiseMixin:
    """The noise path of GaussianMixture: fit, E-step, predict's -1 and the
    one more parameter of bic/aic."""

    def _has_noise(self):
        return "noise_weight_" in self.__dict__

    def _drop_noise(self):
        for name in _NOISE_ATTRIBUTES:
            self.__dict__.pop(name, None)

    def _check_noise_input(self, X):
        if is_dask_collection(X) or is_block_source(X) or self.batch_size is not None:
            raise ValueError(
                "noise=True fits one in-memory array by batch EM: Dask arrays, "
                "blocks and batch_size are not supported with the noise"
            )
        if self.warm_start:
            raise ValueError("noise=True does not support warm_start=True")

    def _noise_log_volume(self, X):
        if self.noise_volume is None:
            log_v = masked.hypervolume(X)
        else:
            v = float(self.noise_volume)
            if not (math.isfinite(v) and v > 0):
                raise ValueError(
                    f"noise_volume must be a finite number > 0, got {self.noise_volume!r}"
                )
            log_v = math.log(v)
        if not math.isfinite(log_v):
            raise ValueError(
                "the data's region has zero volume (a constant feature, or a "
                "feature determined by the others); give noise_volume"
            )
        return log_v

    def _noise_start_mask(self, X):
        return noise_start_mask(X, self.noise_init, self.n_components)

    def _fit_noise(self, X, sample_weight, callback=None, hc_tree=None):
        self._check_noise_input(X)
        X = check_data(X, self, reset=True)
        k, t = self.n_components, self.covariance_type
        if X.shape[0] < k + 1:
            raise ValueError(
                f"Expected n_samples > n_components with the noise but got "
                f"n_components = {k}, n_samples = {X.shape[0]}"
            )
        given = self._check_parameters(X.shape[1])
        w = check_sample_weight(sample_weight, X.shape[0])
        log_v = self._noise_log_volume(X)
        mask = self._noise_start_mask(X)
        ww = np.ones(X.shape[0]) if w is None else w
        # The noise starts at the weight of the rows it starts with (at least
        # one row's, so that EM can grow it).
        f = float(ww[mask].sum() / ww.sum())
        f = min(max(f, 1.0 / X.shape[0]), 0.5)
        seed = seed_from_random_state(self.random_state)
        n_threads = check_n_threads(self.n_threads)
        progress = self._progress(callback) if self.verbose or callback else None
        best = None
        hc = self.init_params == "hc"
        for r in range(1 if hc else self.n_init):
            if hc:
                # mclust's noise start: the tree of the rows the noise does
                # not start with (a shared one, from GaussianMixtureSelector,
                # is of those rows too: it passes its mask as noise_init).
                keep = np.ascontiguousarray(X[~mask])
                start = dict(
                    zip(
                        ("weights", "means", "covariances", "precisions_cholesky"),
                        self._hc_start(keep, None if w is None else w[~mask], hc_tree),
                    )
                )
            else:
                start = self._cluster_start(X, w, mask, given, seed, r, n_threads)
            weights = np.asarray(start["weights"], dtype=np.float64)
            weights = weights / weights.sum() * (1.0 - f)
            result = masked.fit_masked(
                X,
                w,
                t,
                (
                    weights,
                    start["means"],
                    start["covariances"],
                    start["precisions_cholesky"],
                ),
                noise_weight=f,
                log_noise_density=-log_v,
                tol=self.tol,
                reg_covar=self.reg_covar,
                max_iter=self.max_iter,
                n_threads=n_threads,
                relative_tol=getattr(self, "_relative_tol", False),
                progress=None
                if progress is None
                else (lambda i, it, lb, ch, r=r: progress(r, it, lb, ch)),
            )
            if best is None or result["lower_bound"] > best["lower_bound"]:
                best = result
        self._set_fitted(best, X.shape[1], X.dtype)
        self.weights_ = float_result(best["weights"], X.dtype)
        self.noise_weight_ = float(best["noise_weight"])
        self.log_noise_volume_ = float(log_v)
        self.noise_volume_ = math.exp(log_v) if log_v < 700 else math.inf
        self._set_status(X, sample_weight)
        self._warn_if_not_converged()
        return X

    def _cluster_start(self, X, w, mask, given, seed, restart, n_threads):
        """The clusters' starting parameters (core layout) from the rows the
        noise does not start with, drawn by init_params (max_iter=0)."""
        return memory.fit_gaussian_mixture(
            np.ascontiguousarray(X[~mask]),
            None if w is None else np.ascontiguousarray(w[~mask]),
            n_components=self.n_components,
            covariance_type=self.covariance_type,
            tol=0.0,
            reg_covar=self.reg_covar,
            max_iter=0,
            n_init=1,
            init_params=self.init_params,
            weights_init=given[0],
            means_init=given[1],
            precisions_init=given[2],
            warm=None,
            warm_lower_bound=-np.inf,
            seed=(seed + restart) % 2**64,
            n_threads=n_threads,
            progress=None,
        )

    def _noise_e_step(self, X, want_resp, want_log_prob, log_resp):
        lr, lp = gaussian.infer(
            X,
            self.weights_,
            self.means_,
            self.precisions_cholesky_,
            self.covariance_type,
            True,
            True,
            True,
            check_n_threads(self.n_threads),
        )
        out, total = masked.add_noise_column(
            lr, lp, self.noise_weight_, -self.log_noise_volume_
        )
        resp = None
        if want_resp:
            resp = out if log_resp else np.exp(out)
            resp = resp.astype(X.dtype, copy=False)
        return resp, total.astype(X.dtype, copy=False) if want_log_prob else None

    def _infer(self, X, what, validated=False):
        if not self._has_noise():
            return super()._infer(X, what, validated)
        if is_dask_collection(X):
            raise ValueError("a model fitted with noise=True takes NumPy arrays only")
        labels = super()._infer(X, what, validated)
        if what == "predict":
            labels = np.where(labels == self.means_.shape[0], -1, labels)
        return labels

    def _allow_nan(self):
        # The noise density of a row with missing entries would need the
        # volume of its observed coordinates: the noise takes complete rows.
        if self.noise:
            return False
        return super()._allow_nan()

    def partial_fit(self, X, y=None, sample_weight=None):
        if self.noise:
            raise ValueError("noise=True does not support partial_fit")
        return super().partial_fit(X, y, sample_weight)

    partial_fit.__doc__ = OnlineMixtureMixin.partial_fit.__doc__
