"""Small data sets shipped with emclust, for examples and tests."""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["load_digits_binary", "load_faithful"]


def _read_csv(name):
    with resources.files("emclust").joinpath("data", name).open("r") as f:
        header = f.readline().strip().split(",")
        data = np.loadtxt(f, delimiter=",")
    return header, data


def load_digits_binary():
    """1797 handwritten digits as binary 8x8 images.

    The 8x8 digits of the UCI "Optical Recognition of Handwritten Digits"
    test set (as in scikit-learn's ``load_digits``), each of the 16 grey
    levels thresholded at 8: a pixel is 1 where the digit is drawn.

    Returns
    -------
    X : ndarray of shape (1797, 64), dtype uint8
        Pixel values 0 or 1, row by row (reshape a row to (8, 8) to view it).
    y : ndarray of shape (1797,), dtype int64
        The digit 0-9 each image shows.
    """
    header, data = _read_csv("digits_binary.csv")
    if header[-1] != "digit":
        raise RuntimeError("digits_binary.csv: last column must be 'digit'")
    return data[:, :-1].astype(np.uint8), data[:, -1].astype(np.int64)


def load_faithful():
    """Old Faithful geyser eruptions (272 rows).

    Returns
    -------
    ndarray of shape (272, 2), dtype float64
        Eruption duration (minutes) and waiting time to the next eruption
        (minutes).
    """
    _, data = _read_csv("faithful.csv")
    return np.ascontiguousarray(data)
