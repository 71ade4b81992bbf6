// The 14 covariance models of Celeux and Govaert (1995), named as mclust
// names them: Sigma_k = lambda_k D_k A_k D_k^T, each letter saying whether the
// volume lambda, the shape A (diagonal, det 1) and the orientation D are
// Equal across components, Variable, or the Identity.
#pragma once

#include <optional>
#include <string>

namespace emclust {

enum class CovarianceModel {
    EII,
    VII,
    EEI,
    VEI,
    EVI,
    VVI,
    EEE,
    VEE,
    EVE,
    VVE,
    EEV,
    VEV,
    EVV,
    VVV
};

/// The names in mclust's order, then "E" and "V", mclust's names for d = 1
/// (equal and variable variance, which the core fits as EII and VII).
inline constexpr const char* kCovarianceModelNames[] = {
    "EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE",
    "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV"};

/// The model of an mclust name, or nothing for any other name.
inline std::optional<CovarianceModel> parse_covariance_model(const std::string& name) {
    if (name == "E") return CovarianceModel::EII;
    if (name == "V") return CovarianceModel::VII;
    for (int i = 0; i < 14; ++i) {
        if (name == kCovarianceModelNames[i]) return static_cast<CovarianceModel>(i);
    }
    return std::nullopt;
}

inline const char* to_string(CovarianceModel model) {
    return kCovarianceModelNames[static_cast<int>(model)];
}

/// EII..VVI: every Sigma_k is diagonal, so only the diagonal of the scatter
/// matters.
inline bool is_diagonal_model(CovarianceModel model) {
    return static_cast<int>(model) <= static_cast<int>(CovarianceModel::VVI);
}

}  // namespace emclust
