"""
Ellipses of a Gaussian mixture on Old Faithful
==============================================

Two full-covariance Gaussians fitted to the eruptions of the Old Faithful
geyser, drawn as their 1σ and 2σ ellipses over the data.
"""

import emclust
import matplotlib.pyplot as plt
import numpy as np
from emclust.datasets import load_faithful
from matplotlib.patches import Ellipse

X = load_faithful()
gm = emclust.GaussianMixture(n_components=2, random_state=0).fit(X)
labels = gm.predict(X)

fig, ax = plt.subplots(figsize=(6, 4.5))
ax.scatter(X[:, 0], X[:, 1], c=labels, s=10, cmap="coolwarm")
for mean, cov in zip(gm.means_, gm.covariances_):
    values, vectors = np.linalg.eigh(cov)
    angle = np.degrees(np.arctan2(vectors[1, -1], vectors[0, -1]))
    for n_sigma in (1, 2):
        w, h = 2 * n_sigma * np.sqrt(values[::-1])
        ax.add_patch(Ellipse(mean, w, h, angle=angle, fill=False, lw=1.5))
ax.set_xlabel("eruption (minutes)")
ax.set_ylabel("waiting time (minutes)")
ax.set_title(f"BIC {gm.bic(X):.1f}, {gm.n_iter_} iterations")
plt.show()
