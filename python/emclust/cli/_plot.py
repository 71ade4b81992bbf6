"""Figures (matplotlib, the optional extra ``emclust[plot]``).

fit: the data coloured by cluster with each Gaussian's 1σ and 2σ ellipses
(for more than two features, projected on the two leading principal axes of
the data), next to the log-likelihood per iteration; select: BIC against k.

Rows with missing (NaN) entries (``--missing keep``) have no place in the
plane as they are: a mixture draws each at its conditional mean given what
was observed (``model.impute``, the point the fit completed it to), as a
hollow marker coloured by its cluster given the observed entries; a model
without ``impute`` leaves them out and says how many in the title.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ._errors import CLIError
from ._output import write_file

_MAX_POINTS = 20_000  # points drawn in a scatter plot; more only add ink


def require_matplotlib():
    """Import matplotlib with a file-only backend, or fail with one line.

    Called before fitting so that a missing extra is reported at once.
    """
    try:
        import matplotlib
    except ImportError:
        raise CLIError("--plot needs matplotlib: pip install 'emclust[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path):
    """Render in memory, then write atomically: a failed write leaves no
    truncated image under the name."""
    buffer = io.BytesIO()
    # As savefig(path) would: the format from the suffix, else the default.
    fmt = Path(path).suffix[1:].lower() or None
    try:
        fig.savefig(buffer, format=fmt, dpi=120, bbox_inches="tight")
    except (OSError, ValueError) as exc:
        raise CLIError(f"cannot write the plot {path}: {exc}") from None
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)
    write_file(path, buffer.getvalue(), "plot")


def full_covariances(model):
    """Every component's covariance as a (k, d, d) array, or None for models
    without covariances."""
    cov = getattr(model, "covariances_", None)
    if cov is None:
        return None
    k, d = model.means_.shape
    t = model.covariance_type
    if t == "full" or np.shape(cov) == (k, d, d):  # mclust's models, classifiers
        return cov
    if t == "tied":
        return np.broadcast_to(cov, (k, d, d))
    if t == "diag":
        return np.stack([np.diag(c) for c in cov])
    return cov[:, None, None] * np.eye(d)


def _centres(model):
    """Each component's mean: means_, cluster_centers_, or a mixture of
    Bernoullis' probabilities_ (E[x | k] = θ_k)."""
    for name in ("means_", "cluster_centers_", "probabilities_"):
        if hasattr(model, name):
            return getattr(model, name)
    return np.empty((0, 0))


def _projection(X):
    """(origin, W (d, 2), axis labels): the two leading principal axes of X."""
    d = X.shape[1]
    if d <= 2:
        return None
    mu = X.mean(axis=0)
    vals, vecs = np.linalg.eigh(np.cov(X - mu, rowvar=False))
    order = np.argsort(vals)[::-1][:2]
    share = vals[order] / vals.sum()
    labels = [
        f"principal axis {i + 1} ({100 * s:.0f}% of variance)"
        for i, s in enumerate(share)
    ]
    return mu, vecs[:, order], labels


def _ellipse(ax, mean, cov, n_sigma, color):
    from matplotlib.patches import Ellipse

    vals, vecs = np.linalg.eigh(cov)
    vals = np.maximum(vals, 0.0)
    angle = np.degrees(np.arctan2(vecs[1, 1], vecs[0, 1]))
    ax.add_patch(
        Ellipse(
            mean,
            2 * n_sigma * np.sqrt(vals[1]),
            2 * n_sigma * np.sqrt(vals[0]),
            angle=angle,
            fill=False,
            color=color,
            lw=2.0 if n_sigma == 1 else 1.2,
            ls="-" if n_sigma == 1 else "--",
        )
    )


def _complete_rows(X, labels, model):
    """(X, labels, imputed, title note) with no NaN left: rows with missing
    entries at their conditional mean under the model (``imputed`` marks
    them), or dropped when the model cannot impute."""
    X = np.asarray(X)
    missing = (
        np.isnan(X).any(axis=1)
        if X.dtype.kind == "f"
        else np.zeros(X.shape[0], dtype=bool)
    )
    if not missing.any():
        return X, labels, missing, ""
    if hasattr(model, "impute"):
        note = f" ({int(missing.sum())} incomplete rows at their conditional means)"
        return model.impute(X), labels, missing, note
    keep = ~missing
    note = f" ({int(missing.sum())} incomplete rows not shown)"
    return X[keep], labels[keep], missing[keep], note


def plot_fit(path, X, labels, model, names, title):
    """Scatter by cluster with ellipses (+ the log-likelihood trace)."""
    plt = require_matplotlib()
    trace = getattr(model, "lower_bounds_", None)
    # A variational fit's weights: the components its prior emptied show.
    weights = getattr(model, "weights_", None)
    bayesian = hasattr(model, "weight_concentration_")
    ncols = (2 if trace else 1) + bayesian
    fig, axes = plt.subplots(1, ncols, figsize=(6.2 * ncols, 5.2), squeeze=False)
    ax = axes[0, 0]
    k = int(labels.max()) + 1 if labels.size else 0
    k = max(k, len(_centres(model)))
    colors = plt.get_cmap("tab10" if k <= 10 else "tab20")(np.arange(k) % 20)
    if (labels < 0).any():  # the noise component's rows, in grey
        colors = np.vstack([colors, [0.6, 0.6, 0.6, 1.0]])
        labels = np.where(labels < 0, k, labels)

    X, labels, imputed, note = _complete_rows(X, labels, model)
    title += note
    rng = np.random.default_rng(0)
    shown = np.arange(X.shape[0])
    if X.shape[0] > _MAX_POINTS:
        shown = np.sort(rng.choice(X.shape[0], _MAX_POINTS, replace=False))
        title += f" ({_MAX_POINTS} of {X.shape[0]} points shown)"
    centres = np.asarray(_centres(model), dtype=np.float64)
    covs = full_covariances(model)
    proj = _projection(X)
    if X.shape[1] == 1:
        for j in range(k):
            ax.hist(
                X[labels == j, 0],
                bins=40,
                color=colors[j],
                alpha=0.6,
                label=f"cluster {j}",
            )
        ax.set_xlabel(names[0])
        ax.set_ylabel("count")
        ax.legend(frameon=False)
    else:
        if proj is None:
            P, C = X[shown], centres
            covs2 = covs
            xlabel, ylabel = names[0], names[1]
        else:
            mu, W, (xlabel, ylabel) = proj
            P, C = (X[shown] - mu) @ W, (centres - mu) @ W
            covs2 = None if covs is None else np.einsum("di,kde,ej->kij", W, covs, W)
        hollow = imputed[shown]
        size = 12 if len(shown) < 2000 else 4
        ax.scatter(
            P[~hollow, 0],
            P[~hollow, 1],
            c=colors[labels[shown][~hollow]],
            s=size,
            alpha=0.6,
            linewidths=0,
        )
        if hollow.any():
            ax.scatter(
                P[hollow, 0],
                P[hollow, 1],
                facecolors="none",
                edgecolors=colors[labels[shown][hollow]],
                s=size * 1.5,
                alpha=0.8,
                linewidths=0.8,
                label="incomplete row, at E[x | observed]",
            )
        for j in range(len(C)):
            if bayesian and weights[j] < 0.01:
                continue  # an emptied component is its prior: not drawn
            ax.plot(*C[j], marker="x", color="black", ms=9, mew=2)
            if covs2 is not None:
                for n_sigma in (1, 2):
                    _ellipse(ax, C[j], covs2[j], n_sigma, colors[j])
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.autoscale_view()
        if covs2 is not None:
            ax.plot([], [], color="grey", lw=2, label="1\u03c3")
            ax.plot([], [], color="grey", lw=1.2, ls="--", label="2\u03c3")
        if covs2 is not None or hollow.any():
            ax.legend(frameon=False, loc="best")
    ax.set_title(title)
    if trace:
        ax2 = axes[0, 1]
        ax2.plot(np.arange(1, len(trace) + 1), trace, marker="o", ms=3)
        from matplotlib.ticker import MaxNLocator

        ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax2.ticklabel_format(axis="y", useOffset=False)
        ax2.set_xlabel("iteration")
        ax2.set_ylabel(
            "variational lower bound" if bayesian else "mean log-likelihood per row"
        )
        ax2.set_title("EM convergence (best initialisation)")
        ax2.grid(alpha=0.3)
    if bayesian:
        ax3 = axes[0, ncols - 1]
        ax3.bar(np.arange(len(weights)), weights, color=colors[: len(weights)])
        ax3.set_xlabel("component")
        ax3.set_ylabel("posterior mean weight")
        ax3.set_title("weights (the prior empties unneeded components)")
        ax3.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    _save(fig, path)


def plot_bic(path, ks, table, best, label="BIC"):
    """The criterion against k, one line per covariance model; ``table[ct][i]``
    is its value for ks[i] (NaN where the fit is singular or failed, drawn
    as a cross on the axis); ``best`` = (ct, k)."""
    plt = require_matplotlib()
    fig, ax = plt.subplots(figsize=(7.2, 4.8))
    finite = [v for values in table.values() for v in values if v == v]
    floor = max(finite) if finite else 0.0
    cmap = plt.get_cmap("tab20")
    singular_drawn = False
    for j, (ct, values) in enumerate(table.items()):
        colour = cmap(j % 20)
        ax.plot(ks, values, marker="o", ms=4, label=ct, color=colour)
        bad = [k for k, v in zip(ks, values) if v != v]
        if bad:
            ax.plot(
                bad,
                [floor] * len(bad),
                marker="x",
                ls="none",
                color=colour,
                label=None if singular_drawn else "singular (x)",
            )
            singular_drawn = True
    ct, k = best
    ax.plot(
        [k],
        [table[ct][ks.index(k)]],
        marker="*",
        ms=16,
        color="black",
        ls="none",
        label=f"best: k={k}, {ct}",
    )
    ax.set_xlabel("number of components G")
    ax.set_ylabel(f"{label} (lower is better)")
    ax.set_xticks(ks)
    ax.grid(alpha=0.3)
    ax.legend(
        frameon=False,
        fontsize="small",
        ncol=2 if len(table) > 6 else 1,
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
    )
    fig.tight_layout()
    _save(fig, path)
