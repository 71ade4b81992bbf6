"""
The θ images of a Bernoulli mixture on digits
=============================================

A mixture of 10 multivariate Bernoullis fitted to the bundled binarised 8×8
digits. Each component's θ (the probability that a pixel is drawn) is an
image; its weight π is in the title. EM is unsupervised, so some digits
share a component and some digits get two.
"""

import emclust
import matplotlib.pyplot as plt
import numpy as np
from emclust.datasets import load_digits_binary

X, digit = load_digits_binary()
bm = emclust.BernoulliMixture(10, n_init=3, random_state=0).fit(X)
labels = bm.predict(X)
order = np.argsort(-bm.weights_)

fig, axes = plt.subplots(2, 5, figsize=(9, 4))
for ax, k in zip(axes.ravel(), order):
    ax.imshow(bm.probabilities_[k].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    members = digit[labels == k]
    common = np.bincount(members, minlength=10).argmax() if members.size else -1
    ax.set_title(f"π={bm.weights_[k]:.2f}, mostly {common}", fontsize=9)
    ax.set_axis_off()
fig.suptitle(f"BernoulliMixture(10): log-likelihood per row {bm.score(X):.2f}")
fig.tight_layout()
plt.show()
