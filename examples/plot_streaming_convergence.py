"""
A streaming fit converging
==========================

Online EM (``partial_fit``) on a stream of batches from a mixture of four
Gaussians. Each batch's mean log-likelihood before its step, stored in
``lower_bounds_``, is a held-out score of the stream; it approaches the
score of the batch fit to all the data.
"""

import emclust
import matplotlib.pyplot as plt
import numpy as np

rng = np.random.default_rng(0)
centres = np.array([[0, 0], [6, 0], [0, 6], [6, 6]], dtype=float)


def batch(n):
    z = rng.integers(0, 4, n)
    return centres[z] + rng.normal(size=(n, 2))


online = emclust.GaussianMixture(4, random_state=0)
for _ in range(60):
    online.partial_fit(batch(2000))

X_all = batch(120_000)
exact = emclust.GaussianMixture(4, random_state=0).fit(X_all)
print(
    f"online score {online.score(X_all):.4f}, batch EM score {exact.score(X_all):.4f}"
)

fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(
    np.arange(1, len(online.lower_bounds_) + 1),
    online.lower_bounds_,
    label="partial_fit, batch score",
)
ax.axhline(exact.score(X_all), color="k", ls="--", label="batch EM on all rows")
ax.set_xlabel("batch")
ax.set_ylabel("mean log-likelihood")
ax.legend()
plt.show()
