// A minimal test harness for the C++ tests (no dependency): cases register
// themselves with EMCLUST_TEST, CHECK* record failures and go on, and main()
// runs every case, reports each, and fails if any check failed or a case threw.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace emclust_test {

struct Case {
    const char* name;
    std::function<void()> body;
};

inline std::vector<Case>& cases() {
    static std::vector<Case> all;
    return all;
}

inline int& failures() {
    static int n = 0;
    return n;
}

inline bool add_case(const char* name, std::function<void()> body) {
    cases().push_back({name, std::move(body)});
    return true;
}

inline void fail(const char* file, int line, const std::string& what) {
    ++failures();
    std::fprintf(stderr, "  %s:%d: FAILED %s\n", file, line, what.c_str());
}

/// max |a - b| / max(|b|, atol/rtol) over all entries: the entry-wise
/// relative error, absolute near zero. Shapes must agree.
template <class A, class B>
double relative_error(const Eigen::DenseBase<A>& a, const Eigen::DenseBase<B>& b,
                      double floor) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) return INFINITY;
    double worst = 0;
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
        for (Eigen::Index j = 0; j < a.cols(); ++j) {
            const double x = static_cast<double>(a(i, j));
            const double y = static_cast<double>(b(i, j));
            const double err = std::abs(x - y) / std::max(std::abs(y), floor);
            if (!(err <= worst)) worst = err;  // NaN counts as the worst
        }
    }
    return worst;
}

inline int run_all(const char* program) {
    int failed_cases = 0;
    for (const Case& c : cases()) {
        const int before = failures();
        try {
            c.body();
        } catch (const std::exception& e) {
            fail(c.name, 0, std::string("uncaught exception: ") + e.what());
        }
        const bool ok = failures() == before;
        failed_cases += ok ? 0 : 1;
        std::printf("%s %s\n", ok ? "[ ok ]" : "[FAIL]", c.name);
    }
    std::printf("%s: %zu cases, %d failed\n", program, cases().size(), failed_cases);
    return failed_cases == 0 ? 0 : 1;
}

}  // namespace emclust_test

#define EMCLUST_CONCAT_(a, b) a##b
#define EMCLUST_CONCAT(a, b) EMCLUST_CONCAT_(a, b)

/// Defines and registers a test case.
#define EMCLUST_TEST(name)                                \
    static void name();                                   \
    static const bool EMCLUST_CONCAT(name, _registered) = \
        emclust_test::add_case(#name, name);              \
    static void name()

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) emclust_test::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
    } while (false)

/// Entry-wise relative error of two Eigen expressions at most rtol (with an
/// absolute floor `floor` below which errors count absolutely).
#define CHECK_CLOSE(a, b, rtol, floor)                                               \
    do {                                                                             \
        const double emclust_err_ = emclust_test::relative_error((a), (b), (floor)); \
        if (!(emclust_err_ <= (rtol))) {                                             \
            std::ostringstream emclust_msg_;                                         \
            emclust_msg_ << "CHECK_CLOSE(" #a ", " #b "): relative error "           \
                         << emclust_err_ << " > " << (rtol);                         \
            emclust_test::fail(__FILE__, __LINE__, emclust_msg_.str());              \
        }                                                                            \
    } while (false)

/// The expression throws an exception of type `type` (or derived).
#define CHECK_THROWS_AS(expr, type)                                                    \
    do {                                                                               \
        bool emclust_thrown_ = false;                                                  \
        try {                                                                          \
            (void)(expr);                                                              \
        } catch (const type&) {                                                        \
            emclust_thrown_ = true;                                                    \
        } catch (const std::exception& e) {                                            \
            emclust_test::fail(__FILE__, __LINE__,                                     \
                               "CHECK_THROWS_AS(" #expr ", " #type                     \
                               "): threw another exception: " +                        \
                                   std::string(e.what()));                             \
            emclust_thrown_ = true;                                                    \
        }                                                                              \
        if (!emclust_thrown_)                                                          \
            emclust_test::fail(__FILE__, __LINE__,                                     \
                               "CHECK_THROWS_AS(" #expr ", " #type "): no exception"); \
    } while (false)

#define EMCLUST_TEST_MAIN() \
    int main(int, char** argv) { return emclust_test::run_all(argv[0]); }
