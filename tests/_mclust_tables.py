"""Readers for the mclust 6.0 reference tables in tests/mclust (see scripts/mclust)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent / "mclust"
DATA_SETS = ("faithful", "iris", "diabetes", "banknote", "thyroid", "wine")


def data(name):
    return np.loadtxt(HERE / "data" / f"{name}.csv", delimiter=",", skiprows=1, ndmin=2)


def table(name, kind):
    """(model names, G = 1..9 x models array with NaN where mclust has none)."""
    with open(HERE / f"{name}_{kind}.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    values = [[np.nan if v == "NA" else float(v) for v in row[1:]] for row in rows[1:]]
    return rows[0][1:], np.array(values)


def hc_partitions(name):
    """(initial partition, labels (n, 9) for G = 1..9), labels from 1."""
    cols = np.loadtxt(HERE / f"{name}_hc_partitions.csv", delimiter=",", skiprows=1)
    return cols[:, 0].astype(int), cols[:, 1:].astype(int)


def hc_pairs(name):
    return np.loadtxt(
        HERE / f"{name}_hc_pairs.csv", delimiter=",", skiprows=1, dtype=int
    )


def mstep(name):
    """(z (n, G), {model: (weights, means (G, d), covariances (G, d, d))}, prior dict)."""
    with open(HERE / f"{name}_mstep.json") as fh:
        js = json.load(fh)
    n, d = data(name).shape
    g = js["G"]

    def params(entry):
        # jsonlite writes the d x G matrix as d rows
        means = np.array(entry["mean"], dtype=float).reshape(d, g).T
        sigma = (
            np.array(entry["sigma"], dtype=float).reshape(g, d, d).transpose(0, 2, 1)
        )
        return np.array(entry["pro"], dtype=float), means, sigma

    z = np.array(js["z"], dtype=float).reshape(g, n).T
    fits = {m: params(e) for m, e in js["models"].items()}
    prior = {
        m: (*params(e), np.array(e["prior_scale"])) for m, e in js["prior"].items()
    }
    return z, fits, prior


def summary():
    with open(HERE / "summary.json") as fh:
        return json.load(fh)
