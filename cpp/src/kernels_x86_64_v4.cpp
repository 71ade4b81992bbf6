// The dispatched kernels compiled for x86-64-v4, installed at load time when the CPU
// has its features (run-time dispatch of a portable build, EMCLUST_NATIVE=OFF).
//
// Eigen and emclust are renamed in this translation unit: every inline
// function compiled here for the newer target gets its own symbol, so the
// linker can never merge one of them into the baseline code, which must run
// on any x86-64. Only the plain types of dispatch_table.hpp are shared.
#include <emclust/dispatch_table.hpp>

#define Eigen emclust_x86_64_v4_Eigen
#define emclust emclust_x86_64_v4
#include <emclust/dispatch.hpp>
#undef emclust
#undef Eigen

namespace {

struct Install {
    Install() {
        __builtin_cpu_init();
        if (!(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
              __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512vl") &&
              __builtin_cpu_supports("avx512cd"))) {
            return;
        }
        emclust_x86_64_v4::dispatch::install_compiled(4, "x86-64-v4");
    }
};

const Install install_at_load;

}  // namespace
