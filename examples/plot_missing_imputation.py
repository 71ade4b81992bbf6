"""
Imputation of missing values
============================

Remove 30 % of the entries of Old Faithful at random (every row keeps at
least one), fit a Gaussian mixture to the incomplete rows by exact EM, and
fill each hole with its conditional mean given the observed coordinate.
Mean imputation, for comparison, puts every hole on one line.
"""

import emclust
import matplotlib.pyplot as plt
import numpy as np
from emclust.datasets import load_faithful

X = load_faithful()
rng = np.random.default_rng(0)
holes = rng.random(X.shape) < 0.3
holes[holes.all(axis=1), 0] = False  # every row keeps one observed entry
X_missing = np.where(holes, np.nan, X)

gm = emclust.GaussianMixture(2, n_init=5, random_state=0).fit(X_missing)
X_em = gm.impute(X_missing)
X_mean = np.where(holes, np.nanmean(X_missing, axis=0), X_missing)

incomplete = holes.any(axis=1)
for name, filled in [("exact EM", X_em), ("column means", X_mean)]:
    err = np.sqrt(np.mean(((filled - X) / X.std(axis=0))[holes] ** 2))
    print(f"{name:>12}: RMS error of the filled entries {err:.3f} sd")

fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True, sharey=True)
for ax, (name, filled) in zip(
    axes, [("GaussianMixture.impute", X_em), ("column means", X_mean)]
):
    ax.scatter(*X[~incomplete].T, s=8, c="0.6", label="complete rows")
    ax.scatter(*filled[incomplete].T, s=14, c="C3", label="filled rows")
    ax.set_title(name)
    ax.set_xlabel("eruption (minutes)")
axes[0].set_ylabel("waiting time (minutes)")
axes[0].legend(loc="upper left")
fig.tight_layout()
plt.show()
