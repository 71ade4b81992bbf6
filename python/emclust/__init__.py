"""emclust: clustering with the EM algorithm on a multithreaded C++ core."""

import importlib

from ._version import __version__ as __version__  # re-exported

# Every public name, by the module that defines it. They are imported on first
# use (PEP 562): scikit-learn alone takes most of a second to import, and
# `emclust --version` or `--help` should not wait for it.
_LAZY = {
    "datasets": None,
    "reference": None,
    "BayesianGaussianMixture": ".estimators.bayesian_mixture",
    "BernoulliMixture": ".estimators.bernoulli_mixture",
    "GaussianMixture": ".estimators.gaussian_mixture",
    "GaussianMixtureClassifier": ".estimators.classifier",
    "GaussianMixtureSelector": ".estimators.selector",
    "KMeans": ".estimators.kmeans",
    "KMedians": ".estimators.kmeans",
    "k_means": ".estimators.kmeans",
    "MiniBatchKMeans": ".estimators.minibatch_kmeans",
    "ConvergenceWarning": ".exceptions",
    "NotFittedError": ".exceptions",
    "load": ".io",
    "save": ".io",
    "mixture_moments": ".models.algebra",
    "sum_of_mixtures": ".models.algebra",
    "BernoulliStatistics": ".models.bernoulli",
    "ConjugatePrior": ".models.prior",
    "bernoulli_statistics": ".models.bernoulli",
    "GaussianStatistics": ".models.gaussian",
    "e_step": ".models.gaussian",
    "gmm_statistics": ".models.gaussian",
    "m_step": ".models.gaussian",
    "KMeansStatistics": ".models.kmeans",
    "RelocationCandidates": ".models.kmeans",
    "kmeans_plusplus": ".models.kmeans",
    "kmeans_relocation_candidates": ".models.kmeans",
    "kmeans_statistics": ".models.kmeans",
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = _LAZY[name]
    if module is None:  # a submodule
        value = importlib.import_module(f".{name}", __name__)
    else:
        value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


# Every lazy name but the reference (a submodule for tests and oracles).
__all__ = sorted([*(name for name in _LAZY if name != "reference"), "__version__"])
