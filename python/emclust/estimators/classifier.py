"""GaussianMixtureClassifier: discriminant analysis with Gaussian mixtures
(EDDA and MclustDA; Bensmail and Celeux 1996, Fraley and Raftery 2002), and
its semi-supervised fit.

Every class is a mixture of Gaussian components; the classifier is the
mixture of all of them, each component carrying its class. Inference is one
E-step of that mixture: a class's posterior is the sum of its components'
responsibilities. With one component per class the covariance model applies
across the classes (EDDA: "tied" is one covariance for all, which is linear
discriminant analysis); with several it applies within each class.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import _core, io
from .._validation import check_n_threads
from ..models import gaussian, masked
from ..models.algebra import full_covariances
from ..models.covariance_models import canonical_model, layout
from ..models.gaussian import ALL_COVARIANCE_TYPES, precision_cholesky
from ._shared import N_THREADS, RANDOM_STATE, CachedParamValidation, ModelFileMixin

#: The components per class that n_components_per_class="bic" tries (MclustDA's G).
BIC_COMPONENTS = range(1, 6)


def _one_hot(index, n_columns):
    resp = np.zeros((index.shape[0], n_columns))
    resp[np.arange(index.shape[0]), index] = 1.0
    return resp


class GaussianMixtureClassifier(
    ModelFileMixin, CachedParamValidation, ClassifierMixin, BaseEstimator
):
    """Classifier whose classes are Gaussian mixtures (EDDA and MclustDA).

    Parameters
    ----------
    n_components_per_class : int, dict or "bic", default=1
        Components of every class: 1 (EDDA: one Gaussian per class, fitted in
        one M-step), an int, a dict {class label: int} (classes not named get
        1), or "bic": per class, the number in 1..5 of best BIC (MclustDA),
        chosen by GaussianMixtureSelector from mclust's hierarchical start.
    covariance_type : str, default="full"
        Any name GaussianMixture takes (scikit-learn's four or mclust's 14),
        or "all" with ``n_components_per_class="bic"``: every class chooses
        its model among the 14 as well (MclustDA's default).
        With one component per class it applies across the classes ("tied"
        = EEE: one shared covariance, linear discriminant analysis; "full" =
        VVV: quadratic discriminant analysis); with several, within each
        class. In a semi-supervised fit it applies across all components.
    priors : array-like of shape (n_classes,), optional
        Class prior probabilities, in the order of ``classes_``; None uses
        the class frequencies (in a semi-supervised fit, the fitted class
        proportions).
    prior : None
        Reserved for a conjugate prior on the class mixtures (not yet
        supported: only None).
    reg_covar : float, default=0.0
        Added to the diagonal of every covariance. 0 gives the exact
        maximum-likelihood classifier (and exactly LDA for "tied"); a class
        with a singular covariance then raises ValueError.
    tol : float, default=1e-3
        EM tolerance of the class mixtures and of the semi-supervised fit.
    max_iter : int, default=100
        EM iterations of the class mixtures and of the semi-supervised fit.
    n_init : int, default=1
        Restarts of each class mixture (several components per class).
    random_state : int, RandomState, Generator or None
        Seed of the class mixtures' initialisation.
    n_threads : int, optional
        Threads for the core; None uses every usable core.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (-1, the mark of an unlabelled row, excluded).
    priors_ : ndarray of shape (n_classes,)
        The class prior probabilities used by predict.
    n_components_per_class_ : ndarray of shape (n_classes,)
        Components of every class.
    class_covariance_types_ : ndarray of shape (n_classes,)
        The covariance model of every class's mixture (the one chosen by BIC
        with ``covariance_type="all"``; otherwise ``covariance_type``).
    component_class_ : ndarray of shape (n_components,)
        The class index (into ``classes_``) of every component.
    weights_ : ndarray of shape (n_components,)
        prior of the component's class x its weight within the class.
    means_ : ndarray of shape (n_components, n_features)
    covariances_, precisions_cholesky_ : ndarray of shape (n_components, n_features, n_features)
        Full matrices whatever ``covariance_type`` (its constraints hold).
    transduction_ : ndarray of shape (n_samples,)
        Semi-supervised fits only: the label of every training row, the
        given one for labelled rows and the predicted one for the others.
    n_iter_ : int
        EM iterations: of the semi-supervised fit, the most of the class
        mixtures', or 1 (the one M-step of one component per class).
    converged_ : bool
        Whether every EM run converged.
    lower_bound_ : float
        Semi-supervised fits only: the final mean log-likelihood (labelled
        rows by their class's density).
    lower_bounds_ : list of float
        Semi-supervised fits only: the mean log-likelihood at every iteration.
    n_features_in_ : int
    """

    def __init__(
        self,
        n_components_per_class=1,
        *,
        covariance_type="full",
        priors=None,
        prior=None,
        reg_covar=0.0,
        tol=1e-3,
        max_iter=100,
        n_init=1,
        random_state=None,
        n_threads=None,
    ):
        self.n_components_per_class = n_components_per_class
        self.covariance_type = covariance_type
        self.priors = priors
        self.prior = prior
        self.reg_covar = reg_covar
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.random_state = random_state
        self.n_threads = n_threads

    _parameter_constraints: ClassVar[dict] = {
        "n_components_per_class": [
            Interval(Integral, 1, None, closed="left"),
            dict,
            StrOptions({"bic"}),
        ],
        "covariance_type": [StrOptions(set(ALL_COVARIANCE_TYPES) | {"all"})],
        "priors": ["array-like", None],
        "prior": [None],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "random_state": RANDOM_STATE,
        "n_threads": N_THREADS,
    }

    # -- fitting --

    def fit(self, X, y):
        """Fit one mixture per class, or the semi-supervised mixture.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training data.
        y : array-like of shape (n_samples,)
            Class labels (any labels scikit-learn accepts). With integer
            labels, -1 marks an unlabelled row: EM over all rows then fits
            the mixture with the labelled rows' responsibilities fixed to
            their class (Dempster, Laird and Rubin's EM for partly labelled
            data), in the core's loop.

        Returns
        -------
        self
            The fitted classifier.
        """
        self._validate_params()
        if self.prior is not None:
            raise ValueError("prior: only None is supported")
        X, y = validate_data(
            self, X, y, dtype=np.float64, order="C", ensure_min_samples=2
        )
        if self.covariance_type == "all":
            if self.n_components_per_class != "bic":
                raise ValueError(
                    "covariance_type='all' (a model chosen per class by BIC) needs "
                    "n_components_per_class='bic'"
                )
        else:
            canonical_model(self.covariance_type, X.shape[1])
        check_classification_targets(y)
        unlabelled = self._unlabelled(y)
        if unlabelled.all():
            raise ValueError(
                "y has no labelled row: every entry is -1 (unlabelled); label "
                "at least one row of each class"
            )
        classes, index = np.unique(y[~unlabelled], return_inverse=True)
        row_class = np.full(y.shape[0], -1, dtype=np.int64)
        row_class[~unlabelled] = index
        counts = np.bincount(index, minlength=len(classes))
        self.classes_ = classes
        per_class = self._components_per_class(classes, counts)
        for c, (g, n_c) in enumerate(zip(per_class, counts)):
            if g != "bic" and n_c < g:
                raise ValueError(
                    f"class {classes.tolist()[c]!r} has {n_c} labelled rows, fewer than its "
                    f"{g} components need (n_components_per_class)"
                )
        for name in ("transduction_", "lower_bound_", "lower_bounds_"):
            self.__dict__.pop(name, None)
        if unlabelled.any():
            if self.covariance_type == "all":
                raise ValueError(
                    "covariance_type='all' chooses a model per class, but a "
                    "semi-supervised fit has one model across all components; "
                    "name one (y has unlabelled rows, -1)"
                )
            self._fit_semi_supervised(X, row_class, per_class, counts)
        else:
            self._fit_supervised(X, row_class, per_class, counts)
        return self

    def _unlabelled(self, y):
        if y.dtype.kind in "iuf":
            return y == -1
        return np.zeros(y.shape[0], dtype=bool)

    def _components_per_class(self, classes, counts):
        spec = self.n_components_per_class
        if isinstance(spec, dict):
            unknown = [key for key in spec if key not in set(classes.tolist())]
            if unknown:
                raise ValueError(
                    f"n_components_per_class names classes not in y: {unknown}"
                )
            out = []
            for c in classes.tolist():
                g = spec.get(c, 1)
                if isinstance(g, bool) or not isinstance(g, Integral) or g < 1:
                    raise ValueError(
                        f"n_components_per_class[{c!r}] must be an int >= 1, got {g!r}"
                    )
                out.append(int(g))
            return out
        if spec == "bic":
            return ["bic"] * len(classes)
        return [int(spec)] * len(classes)

    def _em_params(self):
        """The parameters every class mixture and selector takes from here."""
        names = ("reg_covar", "tol", "max_iter", "n_init", "random_state", "n_threads")
        return {name: getattr(self, name) for name in names}

    def _class_mixture(self, Xc, g):
        """A GaussianMixture of g components on one class's rows."""
        from .gaussian_mixture import GaussianMixture

        return GaussianMixture(
            g, covariance_type=self.covariance_type, **self._em_params()
        ).fit(Xc)

    def _select_by_bic(self, Xc, label):
        """MclustDA's choice for one class: GaussianMixtureSelector over 1..5
        components (fewer where the class has few rows) and
        ``covariance_type`` (every model for "all"), from mclust's
        hierarchical start. Singular fits are never chosen, as mclust's NA
        BICs are not."""
        from .selector import GaussianMixtureSelector

        G = [g for g in BIC_COMPONENTS if g == 1 or g < Xc.shape[0]]
        models = "all" if self.covariance_type == "all" else [self.covariance_type]
        selector = GaussianMixtureSelector(
            G,
            covariance_types=models,
            **self._em_params(),
        )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                selector.fit(Xc)
        except ValueError as exc:
            raise ValueError(
                f"class {label!r}: every mixture of 1..{G[-1]} components is "
                f"singular; increase reg_covar ({exc})"
            ) from None
        return selector.best_estimator_

    def _singular(self, exc, what):
        return ValueError(
            f"{what} has a singular covariance (too few rows of the class for "
            "covariance_type, or collapsed rows); increase reg_covar, or choose a "
            f"more constrained covariance_type ({exc})"
        )

    def _edda_m_step(self, X, index, n_classes, covariance_type):
        """One M-step of the model from one-hot class responsibilities:
        (weights, means, covariances in the type's shape, factors)."""
        resp = _one_hot(index, n_classes)
        weights, means, cov = gaussian.m_step(
            X, resp, covariance_type, self.reg_covar, n_threads=self.n_threads
        )
        d = X.shape[1]
        chol = precision_cholesky(cov, covariance_type, d)  # ValueError if singular
        return weights, means, cov, chol

    def _fit_supervised(self, X, row_class, per_class, counts):
        d, classes = X.shape[1], self.classes_
        if all(g == 1 for g in per_class):
            try:
                _, means, cov, _ = self._edda_m_step(
                    X, row_class, len(classes), self.covariance_type
                )
            except ValueError as exc:
                raise self._singular(exc, "a class") from None
            k = len(classes)
            covs = full_covariances(cov, self.covariance_type, k, d)
            comp_class = np.arange(k)
            models = [self.covariance_type] * k
            within = np.ones(k)
            self.n_iter_, self.converged_ = 1, True
        else:
            w_list, m_list, c_list, cc, models = [], [], [], [], []
            self.n_iter_, self.converged_ = 0, True
            for c, g in enumerate(per_class):
                Xc = np.ascontiguousarray(X[row_class == c])
                if g == "bic":
                    gm = self._select_by_bic(Xc, classes.tolist()[c])
                else:
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore", ConvergenceWarning)
                            gm = self._class_mixture(Xc, g)
                    except ValueError as exc:
                        raise self._singular(
                            exc, f"class {classes.tolist()[c]!r}"
                        ) from None
                k_c = gm.means_.shape[0]
                self.n_iter_ = max(self.n_iter_, int(gm.n_iter_))
                self.converged_ = self.converged_ and bool(gm.converged_)
                w_list.append(np.asarray(gm.weights_, dtype=np.float64))
                m_list.append(np.asarray(gm.means_, dtype=np.float64))
                c_list.append(
                    full_covariances(
                        np.asarray(gm.covariances_, dtype=np.float64),
                        gm.covariance_type,
                        k_c,
                        d,
                    )
                )
                cc.append(np.full(k_c, c))
                models.append(gm.covariance_type)
            within = np.concatenate(w_list)
            means = np.vstack(m_list)
            covs = np.concatenate(c_list)
            comp_class = np.concatenate(cc)
        freq = counts / counts.sum()
        self.class_covariance_types_ = np.array(models, dtype=object)
        self._set_mixture(within, means, covs, comp_class, freq)

    def _set_mixture(self, within, means, covs, comp_class, class_weights):
        """The fitted attributes from within-class weights (any scale per
        class), means, full covariances and the class weights (used unless
        ``priors`` is given)."""
        n_classes = len(self.classes_)
        totals = np.bincount(comp_class, weights=within, minlength=n_classes)
        within = within / totals[comp_class]
        priors = self._check_priors(n_classes, class_weights)
        d = means.shape[1]
        covs = np.ascontiguousarray(covs, dtype=np.float64)
        chol = precision_cholesky(covs, "full", d).reshape(-1, d, d)
        self.priors_ = priors
        self.component_class_ = comp_class.astype(np.int64)
        self.n_components_per_class_ = np.bincount(comp_class, minlength=n_classes)
        self.weights_ = priors[comp_class] * within
        self.means_ = np.ascontiguousarray(means, dtype=np.float64)
        self.covariances_ = covs
        self.precisions_cholesky_ = chol

    def _check_priors(self, n_classes, default):
        if self.priors is None:
            return np.asarray(default, dtype=np.float64)
        p = np.asarray(self.priors, dtype=np.float64)
        if p.shape != (n_classes,):
            raise ValueError(
                f"priors must have shape ({n_classes},), one per class, got {p.shape}"
            )
        if not np.isfinite(p).all() or (p < 0).any() or not np.isclose(p.sum(), 1.0):
            raise ValueError("priors must be non-negative and sum to 1")
        return p / p.sum()

    def _fit_semi_supervised(self, X, row_class, per_class, counts):
        """EM over all rows with the labelled rows' responsibilities fixed
        (the core's masked EM), from an M-step on the labelled rows."""
        d, t, classes = X.shape[1], self.covariance_type, self.classes_
        labelled = row_class >= 0
        Xl = np.ascontiguousarray(X[labelled])
        # Components per class, and the labelled rows' starting components.
        comp_index = np.empty(Xl.shape[0], dtype=np.int64)
        comp_class, offset = [], 0
        for c, g in enumerate(per_class):
            rows = row_class[labelled] == c
            Xc = np.ascontiguousarray(Xl[rows])
            if g == "bic":
                g = self._select_by_bic(Xc, classes.tolist()[c]).means_.shape[0]
            if g == 1:
                sub = np.zeros(Xc.shape[0], dtype=np.int64)
            else:
                from .kmeans import KMeans

                sub = KMeans(
                    g, random_state=self.random_state, n_threads=self.n_threads
                ).fit_predict(Xc)
            comp_index[rows] = offset + sub
            comp_class.extend([c] * g)
            offset += g
        comp_class = np.asarray(comp_class, dtype=np.int64)
        k = offset
        # The model's M-step on the labelled rows; when a class has too few of
        # them for its covariance, the pooled ("tied") one starts every
        # component instead, and EM on all rows moves on from there.
        try:
            weights, means, cov, chol = self._edda_m_step(Xl, comp_index, k, t)
        except ValueError:
            try:
                weights, means, tied, _ = self._edda_m_step(Xl, comp_index, k, "tied")
            except ValueError as exc:
                raise self._singular(exc, "the labelled rows' pooled scatter") from None
            cov = _tied_as(tied, t, k, d)
            chol = precision_cholesky(cov, t, d)
        result = masked.fit_masked(
            X,
            None,
            t,
            (weights, means, cov, chol),
            row_class=row_class,
            component_class=comp_class,
            tol=self.tol,
            reg_covar=self.reg_covar,
            max_iter=self.max_iter,
            n_threads=check_n_threads(self.n_threads),
        )
        covs = full_covariances(
            gaussian.from_core(result["covariances"], t, k, d), t, k, d
        )
        class_weights = np.bincount(
            comp_class, weights=result["weights"], minlength=len(classes)
        )
        self._set_mixture(
            result["weights"], result["means"], covs, comp_class, class_weights
        )
        self.class_covariance_types_ = np.array([t] * len(classes), dtype=object)
        self.n_iter_ = int(result["n_iter"])
        self.converged_ = bool(result["converged"])
        self.lower_bound_ = float(result["lower_bound"])
        self.lower_bounds_ = list(result["lower_bounds"])
        labels = self.predict(X)
        labels[labelled] = classes[row_class[labelled]]
        self.transduction_ = labels
        if not self.converged_:
            warnings.warn(
                "The semi-supervised EM did not converge; increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=3,
            )

    # -- inference --

    def predict_log_proba(self, X):
        """Return the log posterior probability of every class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            The log-posteriors log p(class | x), classes in the order of
            ``classes_``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64, order="C")
        d = X.shape[1]
        log_resp, _ = _core.gmm_e_step(
            X,
            self.weights_,
            self.means_,
            np.ascontiguousarray(self.precisions_cholesky_.reshape(-1, d * d)),
            "full",
            True,
            False,
            True,
            check_n_threads(self.n_threads),
        )
        n_classes = len(self.classes_)
        if self.means_.shape[0] == n_classes:  # one component per class
            return log_resp[:, np.argsort(self.component_class_)]
        out = np.empty((X.shape[0], n_classes))
        for c in range(n_classes):
            out[:, c] = logsumexp(log_resp[:, self.component_class_ == c], axis=1)
        return out

    def predict_proba(self, X):
        """Return the posterior probability of every class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            The posteriors p(class | x); rows sum to 1.
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """Return the most probable class of every row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        best = np.argmax(self.predict_log_proba(X), axis=1)  # checks the fit first
        return self.classes_[best]


def _tied_as(tied, covariance_type, k, d):
    """A (d, d) pooled covariance in the storage of covariance_type."""
    shape = layout(covariance_type)
    if shape == "tied":
        return tied
    if shape == "full":
        return np.broadcast_to(tied, (k, d, d)).copy()
    if shape == "diag":
        return np.broadcast_to(np.diag(tied), (k, d)).copy()
    return np.full(k, np.trace(tied) / d)


io.register_kind(GaussianMixtureClassifier)

__all__ = ["GaussianMixtureClassifier"]
