"""
BIC curves and the chosen model
===============================

Fit Gaussian mixtures of 1 to 7 components with each of the four covariance
types to Old Faithful, and keep the lowest BIC (scikit-learn's sign: lower
is better). The chosen model is marked, and drawn over the data.
"""

import emclust
import matplotlib.pyplot as plt
from emclust.datasets import load_faithful

X = load_faithful()
ks = range(1, 8)
types = ("spherical", "diag", "tied", "full")
fits = {
    (cov, k): emclust.GaussianMixture(
        k, covariance_type=cov, n_init=3, random_state=0
    ).fit(X)
    for cov in types
    for k in ks
}
bic = {key: gm.bic(X) for key, gm in fits.items()}
best = min(bic, key=bic.get)
print(f"best: covariance_type={best[0]!r}, n_components={best[1]}, BIC {bic[best]:.2f}")

fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4))
for cov in types:
    ax.plot(ks, [bic[cov, k] for k in ks], marker="o", label=cov)
ax.plot(best[1], bic[best], "k*", markersize=16, label="chosen")
ax.set_xlabel("number of components")
ax.set_ylabel("BIC (lower is better)")
ax.legend()

gm = fits[best]
ax2.scatter(X[:, 0], X[:, 1], c=gm.predict(X), s=10, cmap="viridis")
ax2.scatter(*gm.means_.T, c="red", marker="x", s=80)
ax2.set_xlabel("eruption (minutes)")
ax2.set_ylabel("waiting time (minutes)")
ax2.set_title(f"{best[0]}, {best[1]} components")
fig.tight_layout()
plt.show()
