"""
K-means against K-medians with outliers
=======================================

Three clusters and a few far outliers. K-means' centres are means, and the
outliers drag the centre of their cluster towards them; K-medians' centres
are component-wise medians (L1), and stay where the clusters are.
"""

import emclust
import matplotlib.pyplot as plt
import numpy as np

rng = np.random.default_rng(0)
true_centres = np.array([[0.0, 0.0], [5.0, 5.0], [10.0, 0.0]])
X = np.vstack([c + rng.normal(scale=0.8, size=(150, 2)) for c in true_centres])
outliers = np.array([[40.0, 40.0]]) + rng.normal(scale=1.0, size=(8, 2))
X = np.vstack([X, outliers])

init = true_centres + 0.5  # the same start for both
km = emclust.KMeans(3, init=init, n_init=1).fit(X)
kmed = emclust.KMedians(3, init=init, n_init=1).fit(X)

fig, ax = plt.subplots(figsize=(6, 5))
ax.scatter(*X.T, s=8, c="0.6")
ax.scatter(*km.cluster_centers_.T, marker="x", s=120, c="C3", label="K-means centres")
ax.scatter(
    *kmed.cluster_centers_.T, marker="+", s=160, c="C0", label="K-medians centres"
)
ax.scatter(
    *true_centres.T,
    marker="o",
    s=60,
    facecolors="none",
    edgecolors="k",
    label="true centres",
)
ax.set_xlim(-4, 16)
ax.set_ylim(-4, 10)
ax.legend(loc="upper right")
ax.set_title("8 outliers near (40, 40), outside the view")
for name, est in [("K-means", km), ("K-medians", kmed)]:
    err = np.abs(
        np.sort(est.cluster_centers_, axis=0) - np.sort(true_centres, axis=0)
    ).max()
    print(f"{name}: largest centre error {err:.2f}")
plt.show()
