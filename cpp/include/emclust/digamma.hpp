// The digamma function psi(x) = d/dx log Gamma(x), and log B(a, b), for the
// variational Bayesian mixture (expected log weights and log determinants).
// The standard library has lgamma but no digamma.
#pragma once

#include <cmath>
#include <limits>

namespace emclust {

namespace digamma_detail {

/// psi's only positive root, rounded to double, and psi there (not exactly 0).
inline constexpr double kRoot = 1.4616321449683622;
inline constexpr double kRootValue = -9.241265521729427e-17;

/// Taylor coefficients about kRoot: psi(r + h) = psi(r) + sum_n c_n h^n with
/// c_n = (-1)^(n+1) zeta(n + 1, r), the Hurwitz zeta function (computed with
/// scipy.special.zeta). On [1, 2] (|h| < 0.54) the terms shrink by 0.37 or
/// faster, so 42 of them reach double precision; about the root the series
/// keeps the relative accuracy that a recurrence would lose to cancellation.
inline constexpr double kRootSeries[] = {
    0.9676722454476214,      -0.44276316898359214,   0.2584997609556512,
    -0.16394270544240658,    0.10782405069126239,    -0.07219956125645476,
    0.048804288164143145,    -0.033161126474847376,  0.022597648232218125,
    -0.015424765904948968,   0.010538791616612182,   -0.007204534386356875,
    0.004926781395729858,    -0.0033698016554393317, 0.00230512632673493,
    -0.0015769367714301987,  0.0010788252019162975,  -0.000738070938996006,
    0.0005049532658346026,   -0.0003454680251063082, 0.00023635601564027086,
    -0.00016170622091974825, 0.00011063372768747429, -7.569179582195077e-05,
    5.17857579522209e-05,    -3.543007094765967e-05, 2.424006611860136e-05,
    -1.658424227185416e-05,  1.1346384584663872e-05, -7.76281766846211e-06,
    5.3110609208898746e-06,  -3.633650789801054e-06, 2.4860227331295433e-06,
    -1.7008538854332643e-06, 1.163667536354887e-06,  -7.961425431241989e-07,
    5.446941930669458e-07,   -3.726616128343833e-07, 2.549626552021561e-07,
    -1.7443695117727793e-07, 1.1934394829830278e-07, -8.165115189488431e-08,
};

/// Asymptotic expansion for x >= kAsymptoticFrom:
///   psi(x) = log x - 1/(2x) - sum_k B_2k / (2k x^2k),
/// whose first omitted term is below 1e-16 relative there.
inline constexpr double kAsymptoticFrom = 10.0;

inline double asymptotic(double x) {
    const double z = 1.0 / (x * x);
    // B_2k / (2k) for k = 1..7, in Horner form in z.
    const double tail =
        z * (1.0 / 12 -
             z * (1.0 / 120 -
                  z * (1.0 / 252 -
                       z * (1.0 / 240 -
                            z * (1.0 / 132 - z * (691.0 / 32760 - z * (1.0 / 12)))))));
    return std::log(x) - 0.5 / x - tail;
}

/// psi on [1, 2] from the series about the root.
inline double one_to_two(double x) {
    const double h = x - kRoot;  // exact near the root (Sterbenz)
    double sum = 0.0;
    constexpr int n = sizeof(kRootSeries) / sizeof(kRootSeries[0]);
    for (int i = n - 1; i >= 0; --i) sum = (sum + kRootSeries[i]) * h;
    return kRootValue + sum;
}

inline double positive(double x) {
    if (x >= kAsymptoticFrom) return asymptotic(x);
    // Into [1, 2] by psi(x) = psi(x - 1) + 1/(x - 1) (or psi(x) = psi(x + 1)
    // - 1/x below 1): for x > 2 every term is positive, nothing cancels.
    double shift = 0.0;
    if (x < 1.0) {
        shift = -1.0 / x;
        x += 1.0;
    }
    while (x > 2.0) {
        x -= 1.0;
        shift += 1.0 / x;
    }
    return shift + one_to_two(x);
}

}  // namespace digamma_detail

/// psi(x) to about 1e-15 relative for x > 0: the asymptotic series from 10
/// on, below it the recurrence into [1, 2] and a Taylor series about the
/// root 1.4616... there. Negative non-integers use the reflection
/// psi(x) = psi(1 - x) - pi / tan(pi x); at the poles (0, -1, -2, ...) the
/// result is NaN (-inf at +0, +inf at -0, as scipy.special.digamma), and
/// psi(+inf) = +inf, psi(NaN) = NaN. Near the negative roots the reflection
/// loses relative accuracy (1e-11); the mixtures only need x > 0.
inline double digamma(double x) {
    if (std::isnan(x)) return x;
    if (x == std::numeric_limits<double>::infinity()) return x;
    if (x > 0) return digamma_detail::positive(x);
    if (x == 0) return -std::copysign(std::numeric_limits<double>::infinity(), x);
    if (x == std::floor(x)) return std::numeric_limits<double>::quiet_NaN();
    constexpr double pi = 3.14159265358979323846;
    return digamma_detail::positive(1.0 - x) - pi / std::tan(pi * x);
}

/// log B(a, b) = log Gamma(a) + log Gamma(b) - log Gamma(a + b), for a, b > 0.
inline double log_beta(double a, double b) {
    return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b);
}

}  // namespace emclust
