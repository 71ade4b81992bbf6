"""
Speed-ups against scikit-learn and oneDAL
=========================================

Drawn from stored benchmark results, not re-run:
``examples/data/compare_gmm.csv`` holds the milliseconds per EM iteration
that ``python bench/compare_gmm.py --repeats 2`` measured on a 2-vCPU
Intel Xeon VM with AVX-512, for emclust, scikit-learn and Intel oneDAL
(``daal4py``), each baseline at its best thread setting. The bars are
speed-ups (baseline time / emclust time) at 2 threads.
"""

import csv
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

try:
    here = Path(__file__).resolve().parent
except NameError:  # run cell by cell in a notebook
    here = Path.cwd()
with open(here / "data" / "compare_gmm.csv") as f:
    rows = list(csv.DictReader(line for line in f if not line.startswith("#")))

rows = [r for r in rows if r["threads"] == "2"]
labels = [
    f"n={int(r['n']):.0e} d={r['d']} k={r['k']}\n{r['covariance']} {r['dtype']}"
    for r in rows
]
emclust_ms = np.array([float(r["emclust_ms"]) for r in rows])
sklearn = np.array([float(r["sklearn_ms"]) for r in rows]) / emclust_ms
onedal = np.array([float(r["daal4py_ms"]) for r in rows]) / emclust_ms

for label, s, o in zip(labels, sklearn, onedal):
    print(
        f"{label.replace(chr(10), ', '):45s} vs scikit-learn {s:5.1f}x  vs oneDAL {o:4.1f}x"
    )

y = np.arange(len(rows))
fig, ax = plt.subplots(figsize=(8, 6))
ax.barh(y - 0.2, sklearn, height=0.4, label="vs scikit-learn")
ax.barh(y + 0.2, onedal, height=0.4, label="vs oneDAL (daal4py)")
ax.axvline(1, color="k", lw=0.8)
ax.set_xscale("log")
ax.set_yticks(y, labels, fontsize=7)
ax.invert_yaxis()
ax.set_xlabel("speed-up of emclust per EM iteration (log scale), 2 threads")
fig.legend(*ax.get_legend_handles_labels(), loc="upper center", ncol=2)
fig.tight_layout(rect=(0, 0, 1, 0.95))
plt.show()
