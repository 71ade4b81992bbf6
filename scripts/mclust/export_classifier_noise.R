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

# MclustDA's default (per class: G = 1..5, every model, by BIC) on iris and
# diabetes: the class labels of diabetes, and each class's choice.
write.csv(data.frame(class=diabetes$class), "tests/mclust/diabetes_class.csv", row.names=FALSE)
choices <- list()
for (name in c("iris", "diabetes")) {
  if (name == "iris") { Z <- X; z <- cl } else { Z <- D; z <- diabetes$class }
  da <- MclustDA(Z, z, verbose=FALSE)
  choices[[name]] <- lapply(names(da$models), function(k) {
    m <- da$models[[k]]
    list(class=k, G=m$G, model=m$modelName, loglik=m$loglik, df=nMclustParams(m$modelName, ncol(Z), m$G), n=m$n)
  })
  choices[[name]] <- list(classes=choices[[name]],
    train_error=mean(as.character(predict(da, Z)$classification) != as.character(z)))
}
writeLines(jsonlite::toJSON(choices, auto_unbox=TRUE, digits=NA, pretty=TRUE),
           "tests/mclust/mclustda.json")

# Mclust's whole selection with a noise start (G = 1..9, every model): iris
# from a seeded random start mask (written for the tests), diabetes from the
# mask above.
set.seed(1)
imask <- sample(c(TRUE,FALSE), nrow(X), replace=TRUE, prob=c(0.1,0.9))
write.csv(data.frame(noise=imask), "tests/mclust/iris_noise_init.csv", row.names=FALSE)
picks <- list()
for (name in c("iris", "diabetes")) {
  if (name == "iris") { Z <- X; m <- imask } else { Z <- D; m <- ninit }
  fit <- Mclust(Z, initialization=list(noise=m), verbose=FALSE)
  picks[[name]] <- list(model=fit$modelName, G=fit$G, bic=fit$bic,
                        loglik=fit$loglik, n_noise=sum(fit$classification == 0))
}
writeLines(jsonlite::toJSON(picks, auto_unbox=TRUE, digits=NA, pretty=TRUE),
           "tests/mclust/noise_selection.json")
