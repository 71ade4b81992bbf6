"""How the statistics of a fit are gathered: in memory (the core's own loop)
or on Dask (one map and one tree reduction per iteration). A driver knows the
models and never the estimators."""
