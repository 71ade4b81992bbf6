// The four covariance structures of a Gaussian mixture (scikit-learn's names).
#pragma once

#include <string>

#include "covariance_models.hpp"
#include "errors.hpp"
#include "types.hpp"

namespace emclust {

/// full: one (d, d) matrix per component; tied: one (d, d) matrix shared by
/// all components; diag: one (d) vector of variances per component;
/// spherical: one variance per component.
enum class CovarianceType { full, tied, diag, spherical };

inline CovarianceType parse_covariance_type(const std::string& name) {
    if (name == "full") return CovarianceType::full;
    if (name == "tied") return CovarianceType::tied;
    if (name == "diag") return CovarianceType::diag;
    if (name == "spherical") return CovarianceType::spherical;
    // mclust's models are stored as full matrices: the E-step does not change,
    // only the M-step (covariance_model_m_step.hpp) constrains them.
    if (parse_covariance_model(name)) return CovarianceType::full;
    throw InvalidArgument(
        "covariance_type must be 'full', 'tied', 'diag', 'spherical' or one of "
        "mclust's "
        "models EII, VII, EEI, VEI, EVI, VVI, EEE, VEE, EVE, VVE, EEV, VEV, EVV, VVV "
        "(E "
        "or V for one feature), got '" +
        name + "'");
}

inline const char* to_string(CovarianceType type) {
    switch (type) {
        case CovarianceType::full:
            return "full";
        case CovarianceType::tied:
            return "tied";
        case CovarianceType::diag:
            return "diag";
        case CovarianceType::spherical:
            return "spherical";
    }
    return "?";
}

/// Shape (rows, cols) of the flat storage of covariances or precision Cholesky
/// factors: full (K, d*d) with each row a row-major (d, d) matrix; tied
/// (1, d*d); diag (K, d); spherical (K, 1).
inline std::pair<Index, Index> covariance_storage_shape(CovarianceType type,
                                                        Index n_components,
                                                        Index n_features) {
    switch (type) {
        case CovarianceType::full:
            return {n_components, n_features * n_features};
        case CovarianceType::tied:
            return {1, n_features * n_features};
        case CovarianceType::diag:
            return {n_components, n_features};
        case CovarianceType::spherical:
            return {n_components, 1};
    }
    return {0, 0};
}

/// True for the types that store (d, d) matrices.
inline bool is_matrix_type(CovarianceType type) {
    return type == CovarianceType::full || type == CovarianceType::tied;
}

}  // namespace emclust
