"""The parameter protocol of scikit-learn estimators, without depending on it."""

from __future__ import annotations

import inspect

from ..exceptions import NotFittedError


class BaseEstimator:
    """get_params/set_params/repr from the constructor's keyword arguments, so
    that ``sklearn.base.clone``, grid searches and pipelines work unchanged."""

    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values() if p.name != "self")

    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for {type(self).__name__}; "
                    f"valid parameters are {valid}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self):
        sig = inspect.signature(type(self).__init__)
        changed = []
        for name, p in sig.parameters.items():
            if name == "self":
                continue
            value = getattr(self, name, p.default)
            default = p.default
            same = value is default
            if not same:
                try:
                    same = bool(value == default)
                except (TypeError, ValueError):  # arrays compare elementwise
                    same = False
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def _check_is_fitted(self, attribute):
        if not hasattr(self, attribute):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet; call fit first"
            )

    def _check_n_features(self, X):
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
