# mclust 6.0 references of issue 27 (run from the repository root: Rscript
# scripts/mclust/export_classifier_noise.R): EDDA posteriors on iris, and the
# noise fit of diabetes from a seeded random noise start (its mask is written
# for the tests); the printed numbers are the constants of tests/test_mclust_noise_da.py.
suppressMessages(library(mclust))
data(iris); X <- as.matrix(iris[,1:4]); cl <- iris$Species
for (m in c("EEE","VVV","VEV")) {
  da <- MclustDA(X, cl, modelType="EDDA", modelNames=m, verbose=FALSE)
  p <- predict(da, X)
  write.csv(p$z, sprintf("tests/mclust/iris_edda_%s.csv", m), row.names=FALSE)
  cat("EDDA", m, "loglik", da$loglik, "train error", mean(p$classification != cl), "\n")
}
da <- MclustDA(X, cl, verbose=FALSE)
cat("MclustDA G per class:", sapply(da$models, function(x) x$G), sapply(da$models, function(x) x$modelName), "train error", mean(predict(da, X)$classification != cl), "\n")
data(diabetes); D <- as.matrix(diabetes[,2:4])

set.seed(0)
for (G in 3) {
  ninit <- sample(c(TRUE,FALSE), nrow(D), replace=TRUE, prob=c(0.1,0.9))
  write.csv(data.frame(noise=ninit), "tests/mclust/diabetes_noise_init.csv", row.names=FALSE)
  fit <- Mclust(D, G=G, modelNames="VVV", initialization=list(noise=ninit), verbose=FALSE)
  cat("diabetes VVV", G, "noise: loglik", fit$loglik, "bic", fit$bic, "df", fit$df, "Vinv", fit$hypvol, "pro", fit$parameters$pro, "\n")
  cat("means", fit$parameters$mean, "\n")
  cat("n noise", sum(fit$classification == 0), "\n")
}
cat("hypvol diabetes", hypvol(D), "iris", hypvol(X), "\n")
