"""
The sum of two independent mixtures
===================================

If x and y are independent Gaussian mixtures, x + y is a mixture whose
weights multiply and whose means and covariances add.
``GaussianMixture.from_parameters`` builds a mixture without a fit, and
``x + y`` convolves them. The density of the sum is drawn over a histogram
of sampled sums.
"""

import emclust
import matplotlib.pyplot as plt
import numpy as np

x = emclust.GaussianMixture.from_parameters(
    np.array([0.3, 0.7]), np.array([[-2.0], [1.5]]), np.array([[[0.4]], [[1.0]]])
)
y = emclust.GaussianMixture.from_parameters(
    np.array([0.5, 0.5]), np.array([[0.0], [3.0]]), np.array([[[0.25]], [[0.5]]])
)
z = x + y
print("components of x + y:", z.n_components)
print("mean and variance of x + y:", [np.ravel(m).round(3) for m in z.moments()])

a, _ = x.sample(20_000)
b, _ = y.sample(20_000)
grid = np.linspace(-5, 9, 400)[:, None]

fig, ax = plt.subplots(figsize=(6, 4))
ax.hist((a + b).ravel(), bins=80, density=True, color="0.8", label="x + y, sampled")
ax.plot(grid, np.exp(z.score_samples(grid)), "C3", label="density of x + y")
ax.plot(grid, np.exp(x.score_samples(grid)), "C0--", lw=1, label="x")
ax.plot(grid, np.exp(y.score_samples(grid)), "C2--", lw=1, label="y")
ax.legend()
plt.show()
