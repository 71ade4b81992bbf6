// The dispatched kernels compiled for x86-64-v3, installed at load time when the CPU
// has its features (run-time dispatch of a portable build, EMCLUST_NATIVE=OFF).
//
// Eigen and emclust are renamed in this translation unit: every inline
// function compiled here for the newer target gets its own symbol, so the
// linker can never merge one of them into the baseline code, which must run
// on any x86-64. Only the plain types of dispatch_table.hpp are shared.
#include <emclust/dispatch_table.hpp>

#define Eigen emclust_x86_64_v3_Eigen
#define emclust emclust_x86_64_v3
#include <emclust/dispatch.hpp>
#undef emclust
#undef Eigen

namespace {

struct Install {
    Install() {
        __builtin_cpu_init();
        if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
              __builtin_cpu_supports("bmi2"))) {
            return;
        }
        emclust_x86_64_v3::dispatch::install_compiled(3, "x86-64-v3");
    }
};

const Install install_at_load;

}  // namespace
