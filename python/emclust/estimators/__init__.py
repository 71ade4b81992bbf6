"""scikit-learn's face of emclust: the estimators validate, pick a driver and
store the fitted attributes."""
