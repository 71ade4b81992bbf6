#!/usr/bin/env Rscript
# Export mclust's reference results for emclust's tests, so that the tests need no R.
#
# Usage: Rscript scripts/mclust/export.R OUTDIR [WINE_CSV]
#   OUTDIR    where to write (the repo keeps them in tests/mclust)
#   WINE_CSV  the UCI wine data (178 x 13, header row); no R package installed here
#             ships it, so scripts/mclust/export.py writes it from scikit-learn's copy.
#
# Every data set is written with 17 significant digits and read back before fitting,
# so the tests fit exactly the numbers mclust fitted.
suppressPackageStartupMessages({
  library(mclust)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/mclust"
wine_csv <- if (length(args) >= 2) args[2] else NA
dir.create(file.path(out, "data"), recursive = TRUE, showWarnings = FALSE)

models <- mclust.options("emModelNames")  # the 14, in mclust's order
G <- 1:9

write17 <- function(df, path) {
  # 17 significant digits round-trip every double exactly; NA stays "NA".
  txt <- as.data.frame(lapply(df, function(col) {
    if (is.numeric(col)) ifelse(is.na(col), "NA", sprintf("%.17g", col)) else col
  }), stringsAsFactors = FALSE)
  names(txt) <- names(df)
  write.csv(txt, path, row.names = FALSE, quote = FALSE)
}

table_csv <- function(tab, path) {
  # G rows x 14 model columns; a model mclust did not fit is NA.
  full <- matrix(NA_real_, nrow = length(G), ncol = length(models),
                 dimnames = list(as.character(G), models))
  tab <- unclass(tab)
  rn <- intersect(rownames(tab), rownames(full))
  cn <- intersect(colnames(tab), models)
  full[rn, cn] <- tab[rn, cn]
  write17(data.frame(G = G, full, check.names = FALSE), path)
}

best_of <- function(tab, k = 3) {
  picks <- pickBIC(tab, k)  # names "MODEL,G"
  lapply(seq_along(picks), function(i) {
    parts <- strsplit(names(picks)[i], ",")[[1]]
    list(model = parts[1], G = as.integer(parts[2]), value = unname(picks[i]))
  })
}

mstep_export <- function(X, z) {
  # One M-step of every model from the same soft responsibilities z, and the
  # log-likelihood of the parameters it gives: a direct oracle for the M-steps.
  res <- list()
  for (m in models) {
    ms <- mstep(data = X, modelName = m, z = z)
    es <- do.call("estep", c(list(data = X), ms))
    res[[m]] <- list(pro = ms$parameters$pro, mean = ms$parameters$mean,
                     sigma = as.vector(ms$parameters$variance$sigma),
                     loglik = es$loglik)
  }
  res
}

mstep_prior_export <- function(X, z) {
  G <- ncol(z)
  res <- list()
  for (m in setdiff(models, c("EVE", "VEE", "VVE", "EVV"))) {
    prior <- defaultPrior(X, G, m)
    ms <- mstep(data = X, modelName = m, z = z, prior = priorControl())
    res[[m]] <- list(pro = ms$parameters$pro, mean = ms$parameters$mean,
                     sigma = as.vector(ms$parameters$variance$sigma),
                     prior_scale = as.vector(prior$scale))
  }
  res
}

export_one <- function(name, X, hc_export = TRUE) {
  X <- as.data.frame(X)
  path <- file.path(out, "data", paste0(name, ".csv"))
  write17(X, path)
  X <- data.matrix(read.csv(path))  # fit what the tests will read
  n <- nrow(X); d <- ncol(X)
  cat(name, n, "x", d, "\n")

  bic <- mclustBIC(X, G = G, modelNames = models, verbose = FALSE)
  table_csv(bic, file.path(out, paste0(name, "_bic.csv")))
  codes <- attr(bic, "returnCodes")
  table_csv(codes, file.path(out, paste0(name, "_bic_codes.csv")))
  # log-likelihood at each fit: BIC = 2 loglik - npar log n (mclust's bic()).
  ll <- bic
  for (m in models) for (g in G)
    ll[as.character(g), m] <- (bic[as.character(g), m] +
                               nMclustParams(m, d, g) * log(n)) / 2
  table_csv(ll, file.path(out, paste0(name, "_loglik.csv")))
  npar <- sapply(models, function(m) sapply(G, function(g) nMclustParams(m, d, g)))
  rownames(npar) <- G
  table_csv(npar, file.path(out, paste0(name, "_nparams.csv")))

  icl <- mclustICL(X, G = G, modelNames = models, verbose = FALSE)
  table_csv(icl, file.path(out, paste0(name, "_icl.csv")))

  bicp <- mclustBIC(X, G = G, modelNames = models, prior = priorControl(),
                    verbose = FALSE)
  table_csv(bicp, file.path(out, paste0(name, "_bic_prior.csv")))

  # The hierarchical start exactly as mclustBIC builds it, and its cuts.
  hcp <- hc(X, modelName = mclust.options("hcModelName"), use = mclust.options("hcUse"))
  pairs <- t(unclass(hcp))
  write17(data.frame(i = as.integer(pairs[, 1]), j = as.integer(pairs[, 2])),
          file.path(out, paste0(name, "_hc_pairs.csv")))
  cls <- hclass(hcp, G)
  write17(data.frame(initial = attr(hcp, "initialPartition"), cls, check.names = FALSE),
          file.path(out, paste0(name, "_hc_partitions.csv")))

  # One fit per model at the best G, from mclust's own start: parameters and z.
  best <- best_of(bic, 3)
  g3 <- min(3, n - 1)
  z3 <- unmap(cls[, as.character(g3)])
  vvv <- me(data = X, modelName = "VVV", z = z3)
  zsoft <- vvv$z
  fits <- mstep_export(X, zsoft)
  fits_prior <- mstep_prior_export(X, zsoft)
  list(n = n, d = d,
       bic_best = best, icl_best = best_of(icl, 3), prior_best = best_of(bicp, 3),
       mstep = list(G = g3, z = as.vector(zsoft), models = fits, prior = fits_prior))
}

data_sets <- list(
  faithful = faithful,
  iris = iris[, 1:4],
  diabetes = diabetes[, c("glucose", "insulin", "sspg")],
  banknote = banknote[, -1],
  thyroid = thyroid[, -1]
)
if (!is.na(wine_csv)) {
  wine <- read.csv(wine_csv)
  data_sets$wine <- as.data.frame(scale(wine))  # standardised, as the issue asks
}

summary <- list(mclust_version = as.character(packageVersion("mclust")),
                r_version = R.version.string,
                models = models, G = G, data_sets = list())
for (name in names(data_sets)) {
  res <- export_one(name, data_sets[[name]])
  summary$data_sets[[name]] <- res[c("n", "d", "bic_best", "icl_best", "prior_best")]
  write(toJSON(res$mstep, digits = NA, auto_unbox = TRUE),
        file.path(out, paste0(name, "_mstep.json")))
}
write(toJSON(summary, digits = NA, auto_unbox = TRUE, pretty = TRUE),
      file.path(out, "summary.json"))
