"""
A streaming fit converging
==========================

Online EM (``partial_fit``) on a stream of batches of 1000 rows from a
mixture of four Gaussians. The first batch initialises the model; every
later batch takes one step of online EM. After each batch the model is
scored on a held-out set, and the curve climbs towards the score of batch
EM fitted to the held-out rows.

Two starts: the default, k-means on the first batch, is close from the
beginning; a start from random rows (two means in one cluster here) climbs
slowly, because each step moves the parameters only by the step size η_t.
``lower_bounds_`` holds each batch's own score before its step (the thin
lines), a noisier view of the same curve.
"""

import emclust
import matplotlib.pyplot as plt
import numpy as np

rng = np.random.default_rng(0)
centres = np.array([[0, 0], [6, 0], [0, 6], [6, 6]], dtype=float)


def batch(n):
    z = rng.integers(0, 4, n)
    return centres[z] + rng.normal(size=(n, 2))


held_out = batch(20_000)
stream = [batch(1000) for _ in range(60)]
exact = emclust.GaussianMixture(4, random_state=0).fit(held_out)

fig, ax = plt.subplots(figsize=(6.5, 4))
for init, colour in [("kmeans", "C0"), ("random_from_data", "C3")]:
    online = emclust.GaussianMixture(4, init_params=init, random_state=0)
    scores = []
    for X in stream:
        online.partial_fit(X)
        scores.append(online.score(held_out))
    steps = np.arange(1, len(scores) + 1)
    # The first batch is scored under its initial parameters: skip it.
    ax.plot(steps[1:], online.lower_bounds_[1:], color=colour, lw=0.6, alpha=0.4)
    ax.plot(steps, scores, color=colour, lw=2, label=f"init_params={init!r}")
    print(f"{init:>16}: after 1 batch {scores[0]:.4f}, after 60 {scores[-1]:.4f}")
print(f"{'batch EM':>16}: {exact.score(held_out):.4f}")

ax.axhline(exact.score(held_out), color="k", ls="--", label="batch EM")
ax.set_ylim(-4.6, -4.1)
ax.set_xlabel("batches of 1000 rows")
ax.set_ylabel("held-out mean log-likelihood")
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()
