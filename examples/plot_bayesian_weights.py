"""
A Dirichlet prior empties the extra components
==============================================

``BayesianGaussianMixture`` with 12 components, fitted to data from 3
well-separated clusters. With a small weight concentration prior the
variational fit leaves three components with weight and empties the other
nine. A Dirichlet distribution with a large concentration (1000 pseudo-rows
per component) instead holds every weight near 1/12: the prior outweighs
the 900 rows.
"""

import emclust
import matplotlib.pyplot as plt
import numpy as np

rng = np.random.default_rng(0)
X = np.vstack([rng.normal(c, 0.5, size=(300, 2)) for c in ([0, 0], [5, 0], [0, 5])])

settings = [("dirichlet_process", 0.01), ("dirichlet_distribution", 1000.0)]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
for ax, (prior_type, prior) in zip(axes, settings):
    bgm = emclust.BayesianGaussianMixture(
        n_components=12,
        weight_concentration_prior_type=prior_type,
        weight_concentration_prior=prior,
        max_iter=500,
        random_state=0,
    ).fit(X)
    kept = int((bgm.weights_ > 0.02).sum())
    print(f"{prior_type}, prior {prior:g}: {kept} weights above 0.02")
    ax.bar(np.arange(12), bgm.weights_, color="C0")
    ax.axhline(0.02, color="k", lw=0.8, ls="--")
    ax.set_xticks(np.arange(12))
    ax.set_xlabel("component")
    ax.set_title(f"{prior_type}, prior {prior:g}: {kept} above 0.02", fontsize=10)
axes[0].set_ylabel("weight")
fig.tight_layout()
plt.show()
