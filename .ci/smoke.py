"""Smoke test of an installed emclust (the repaired wheel): every model fits
two well-separated blobs and finds them; prints which kernels ran."""

import emclust
import numpy as np
from emclust import _core

rng = np.random.default_rng(0)
X = np.concatenate([rng.normal(size=(300, 3)), rng.normal(size=(300, 3)) + 6])
truth = np.repeat([0, 1], 300)


def found(labels):
    agree = (labels == truth).mean()
    assert max(agree, 1 - agree) == 1.0, agree


for ct in ("full", "tied", "diag", "spherical"):
    found(emclust.GaussianMixture(2, covariance_type=ct, random_state=0).fit_predict(X))
for name in ("KMeans", "KMedians", "MiniBatchKMeans"):
    found(getattr(emclust, name)(2, random_state=0, n_init=1).fit(X).labels_)
found(emclust.BernoulliMixture(2, random_state=0).fit_predict((X > 3).astype(float)))
assert emclust.__file__.find("site-packages") > 0, emclust.__file__
print("smoke ok:", emclust.__version__, _core.lane_kernels())
