"""emclust: clustering with the EM algorithm on a multithreaded C++ core."""

import importlib

from ._version import __version__

# Every public name, by the module that defines it. They are imported on first
# use (PEP 562): scikit-learn alone takes most of a second to import, and
# `emclust --version` or `--help` should not wait for it.
_LAZY = {
    "datasets": None,
    "reference": None,
    "BayesianGaussianMixture": ".estimators.bayesian_mixture",
    "BernoulliMixture": ".estimators.bernoulli_mixture",
    "GaussianMixture": ".estimators.gaussian_mixture",
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


__all__ = [
    "BayesianGaussianMixture",
    "BernoulliMixture",
    "BernoulliStatistics",
    "ConjugatePrior",
    "ConvergenceWarning",
    "GaussianMixture",
    "GaussianStatistics",
    "KMeans",
    "KMeansStatistics",
    "KMedians",
    "MiniBatchKMeans",
    "NotFittedError",
    "RelocationCandidates",
    "__version__",
    "bernoulli_statistics",
    "datasets",
    "e_step",
    "gmm_statistics",
    "k_means",
    "kmeans_plusplus",
    "kmeans_relocation_candidates",
    "kmeans_statistics",
    "load",
    "m_step",
    "mixture_moments",
    "save",
    "sum_of_mixtures",
]
