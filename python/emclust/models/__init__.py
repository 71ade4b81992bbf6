"""One module per model: its parameters, their conversion to and from the
native core, its sufficient statistics (chunk -> statistics, statistics +
statistics, statistics -> M-step) and the per-chunk tasks the drivers map.

Models import only the ground floor (``emclust._core``, ``emclust._validation``)
and each other; they never import a driver or an estimator.
"""
