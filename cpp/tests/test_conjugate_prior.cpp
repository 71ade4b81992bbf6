// The conjugate prior's MAP M-step (conjugate_prior.hpp) against the NumPy
// reference (python/emclust/reference/prior.py, mclust 6.0's formulas): the
// expected values below were computed with it for this small problem. The full
// comparison over mclust's data sets runs from Python.
#include <emclust/conjugate_prior.hpp>
#include <string>
#include <vector>

#include "check.hpp"

using namespace emclust;

namespace {

struct Problem {
    Eigen::VectorXd nk;
    RowMatrixXd xbar, scatter;
};

Problem problem() {
    RowMatrixXd X(6, 2), z(6, 2);
    X << 0, 1, 1, 3, 2, 2, 5, 1, 6, 0.5, 7, 2.5;
    z << 0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.2, 0.8, 0.1, 0.9, 0.3, 0.7;
    Problem p;
    p.nk = z.colwise().sum().transpose();
    p.xbar = z.transpose() * X;
    for (Index c = 0; c < 2; ++c) p.xbar.row(c) /= p.nk(c);
    p.scatter = RowMatrixXd::Zero(2, 4);
    for (Index c = 0; c < 2; ++c)
        for (Index i = 0; i < 6; ++i) {
            const Eigen::RowVector2d v = X.row(i) - p.xbar.row(c);
            for (Index a = 0; a < 2; ++a)
                for (Index b = 0; b < 2; ++b)
                    p.scatter(c, a * 2 + b) += z(i, c) * v(a) * v(b);
        }
    return p;
}

ConjugatePrior prior(bool scalar) {
    ConjugatePrior pr;
    pr.shrinkage = 0.01;
    pr.mean = Eigen::Vector2d(21.0 / 6.0, 10.0 / 6.0);
    pr.dof = 4.0;
    pr.scale.resize(2, 2);
    if (scalar) {
        pr.scale << 1.5, 0, 0, 1.5;  // tr / d = 1.5, the reference's scalar scale
    } else {
        pr.scale << 2.0, 0.3, 0.3, 1.0;
    }
    return pr;
}

void check_model(const std::string& model, bool scalar,
                 const std::vector<double>& means, const std::vector<double>& covs) {
    const Problem p = problem();
    const MapParameters out = map_m_step(model, prior(scalar), p.nk, p.xbar, p.scatter);
    const Eigen::Map<const RowMatrixXd> want_means(means.data(), 2, 2);
    CHECK_CLOSE(out.means, want_means, 1e-12, 1e-14);
    for (Index c = 0; c < 2; ++c) {
        const Eigen::Map<const RowMatrixXd> want(covs.data() + c * 4, 2, 2);
        CHECK_CLOSE(out.covariances[c], want, 1e-10, 1e-14);
    }
}

}  // namespace

EMCLUST_TEST(vvv_equals_reference) {
    check_model(
        "VVV", false,
        {1.9717607973421927, 1.8992248062015502, 5.028239202657808, 1.4341085271317831},
        {1.5745545152521898, 0.076039464411557442, 0.0760394644115574,
         0.28823114869626498, 1.283645424343099, -0.054263565891472881,
         -0.054263565891472881, 0.30338266384778012});
}

EMCLUST_TEST(eei_keeps_sample_means_as_mclust) {
    check_model("EEI", true,
                {1.9666666666666666, 1.8999999999999997, 5.0333333333333341,
                 1.4333333333333333},
                {2.0671570953962979, 0, 0, 0.42912513842746403, 2.0671570953962979, 0,
                 0, 0.42912513842746403});
}

EMCLUST_TEST(vei_iteration_equals_reference) {
    check_model(
        "VEI", true,
        {1.9717607973421927, 1.8992248062015502, 5.028239202657808, 1.4341085271317831},
        {2.4325777973120233, 0, 0, 0.60316369646264034, 2.2381294749160472, 0, 0,
         0.55494975278654746});
}

EMCLUST_TEST(eev_zeroes_shrinkage_as_mclust) {
    check_model("EEV", false,
                {1.9666666666666666, 1.8999999999999997, 5.0333333333333341,
                 1.4333333333333333},
                {2.4144675748366322, 0.11378356173684268, 0.1137835617368427,
                 0.50091704054798292, 2.4154030090548382, -0.10562113063353802,
                 -0.10562113063353802, 0.49998160632977812});
}

EMCLUST_TEST(vev_iteration_equals_reference) {
    check_model(
        "VEV", false,
        {1.9717607973421927, 1.8992248062015502, 5.028239202657808, 1.4341085271317831},
        {5.4197167501023378, 0.25369331875867768, 0.25369331875867768,
         1.1281078285538619, 5.0353242958903497, -0.22083075249135986,
         -0.22083075249135986, 1.0460515770206897});
}

EMCLUST_TEST(bad_prior_and_unsupported_models_throw_invalid_argument) {
    const Problem p = problem();
    ConjugatePrior bad = prior(false);
    bad.mean = Eigen::Vector3d::Zero();
    CHECK_THROWS_AS(map_m_step("VVV", bad, p.nk, p.xbar, p.scatter), InvalidArgument);
    bad = prior(false);
    bad.dof = 0;
    CHECK_THROWS_AS(map_m_step("VVV", bad, p.nk, p.xbar, p.scatter), InvalidArgument);
    CHECK_THROWS_AS(map_m_step("VVE", prior(false), p.nk, p.xbar, p.scatter),
                    InvalidArgument);
}

EMCLUST_TEST(default_prior_is_mclust_default) {
    Eigen::Matrix2d var;
    var << 4.0, 1.0, 1.0, 2.0;
    const ConjugatePrior full =
        default_conjugate_prior(Eigen::Vector2d(1, 2), var, 10, 4, true);
    CHECK(full.dof == 4.0 && full.shrinkage == 0.01);
    CHECK_CLOSE(full.scale, (var / 4.0).eval(), 1e-15, 0.0);  // G^(2/d) = 4
    const ConjugatePrior diag =
        default_conjugate_prior(Eigen::Vector2d(1, 2), var, 10, 4, false);
    CHECK(diag.scale(0, 1) == 0.0);
    CHECK(std::abs(diag.scale.trace() / 2.0 - 0.75) <= 1e-15);
}

EMCLUST_TEST_MAIN()
