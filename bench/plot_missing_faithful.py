"""The missing-values page's picture of exact EM on incomplete data (Old Faithful).

    python bench/plot_missing_faithful.py [-o docs/images/missing_faithful.png]

30 % of the entries of Old Faithful (272 eruptions: duration, waiting time)
are removed completely at random (every row keeps one entry). Four
two-component full-covariance fits, each drawn as 2-sigma ellipses over the
complete-data fit's (dashed):

1. the complete data (the target);
2. exact EM on the incomplete rows (emclust, Ghahramani & Jordan);
3. the complete rows only (drop incomplete rows);
4. each missing entry replaced by its column's mean, then a plain fit.

The printed distances are between each fit and the complete-data fit: the
largest distance between matched means (in standard deviations of the
data) and the largest relative Frobenius error of the covariances.
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import emclust
import matplotlib.pyplot as plt
import numpy as np
from emclust.datasets import load_faithful
from matplotlib.patches import Ellipse

SEED = 0


def fit(X):
    """Two full-covariance components; NaN entries are missing (exact EM)."""
    gm = emclust.GaussianMixture(
        2, tol=1e-6, max_iter=500, n_init=10, random_state=SEED
    ).fit(X)
    order = np.argsort(gm.means_[:, 0])
    return gm.weights_[order], gm.means_[order], gm.covariances_[order]


def remove_at_random(X, fraction, rng):
    holes = rng.random(X.shape) < fraction
    both = holes.all(axis=1)
    holes[both, rng.integers(0, 2, both.sum())] = False
    Y = X.copy()
    Y[holes] = np.nan
    return Y


def ellipses(ax, means, cov, **style):
    for m, c in zip(means, cov):
        vals, vecs = np.linalg.eigh(c)
        angle = np.degrees(np.arctan2(vecs[1, 1], vecs[0, 1]))
        w, h = 2 * 2 * np.sqrt(vals[::-1])
        ax.add_patch(Ellipse(m, w, h, angle=angle, fill=False, **style))


def distances(fitted, target, scale):
    _, m, c = fitted
    _, mt, ct = target
    mean_err = np.max(np.linalg.norm((m - mt) / scale, axis=1))
    cov_err = max(np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(c, ct))
    return mean_err, cov_err


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default="docs/images/missing_faithful.png")
    parser.add_argument("--fraction", type=float, default=0.3)
    args = parser.parse_args(argv)
    X = load_faithful()
    rng = np.random.default_rng(SEED)
    Y = remove_at_random(X, args.fraction, rng)
    observed = ~np.isnan(Y)
    complete_rows = observed.all(axis=1)
    mean_filled = np.where(observed, Y, np.nanmean(Y, axis=0))

    target = fit(X)
    fits = {
        "complete data (target)": (target, X),
        f"exact EM, {args.fraction:.0%} missing": (fit(Y), None),
        "drop incomplete rows": (fit(Y[complete_rows]), Y[complete_rows]),
        "mean imputation": (fit(mean_filled), mean_filled),
    }
    scale = X.std(axis=0)
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.2), sharex=True, sharey=True)
    lo, hi = X.min(axis=0) - 0.5 * scale, X.max(axis=0) + 0.5 * scale
    for ax, (title, (params, shown)) in zip(axes, fits.items()):
        if shown is None:
            # Complete rows as points, a row with one entry as a line at it.
            ax.scatter(*Y[complete_rows].T, s=6, c="0.35")
            for x, y in Y[~complete_rows]:
                if np.isnan(y):
                    ax.plot([x, x], [lo[1], hi[1]], c="0.8", lw=0.5, zorder=0)
                else:
                    ax.plot([lo[0], hi[0]], [y, y], c="0.8", lw=0.5, zorder=0)
        else:
            ax.scatter(*shown.T, s=6, c="0.35")
        ellipses(ax, target[1], target[2], ls="--", color="0.2", lw=1)
        ellipses(ax, params[1], params[2], color="tab:red", lw=2)
        ax.plot(*params[1].T, "x", color="tab:red")
        if title.startswith("complete"):
            ax.set_title(title)
        else:
            me, ce = distances(params, target, scale)
            ax.set_title(f"{title}\nmeans off by {me:.2f} sd, covariances {ce:.0%}")
            print(f"{title}: means {me:.3f} sd, covariances {ce:.1%}")
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_xlabel("eruption (min)")
    axes[0].set_ylabel("waiting (min)")
    fig.suptitle(
        f"Old Faithful, {args.fraction:.0%} of the entries removed at random "
        f"({(~complete_rows).sum()} of {len(X)} rows incomplete); "
        "dashed: fit on the complete data",
        y=1.0,
    )
    fig.tight_layout()
    fig.savefig(args.output, dpi=110, bbox_inches="tight")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
