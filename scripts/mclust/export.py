"""Regenerate tests/mclust/ from R's mclust (needs R with mclust and jsonlite).

    python scripts/mclust/export.py [OUTDIR]

R has no copy of the UCI wine data installed here, so this writes scikit-learn's
bundled copy (178 x 13) to a temporary CSV and hands it to export.R, which
standardises it.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_wine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "tests" / "mclust"
    wine = load_wine()
    names = [n.replace("/", "_") for n in wine.feature_names]
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "wine.csv"
        np.savetxt(
            csv,
            wine.data,
            delimiter=",",
            header=",".join(names),
            comments="",
            fmt="%.17g",
        )
        cmd = ["Rscript", str(HERE / "export.R"), str(out), str(csv)]
        return subprocess.run(cmd, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
