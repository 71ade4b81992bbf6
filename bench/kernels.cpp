// Micro-benchmark behind the kernel choices in gaussian_statistics.hpp:
// Eigen GEMM vs symmetric rank update vs triangular product on one tile.
// g++ -O3 -march=native -DNDEBUG -I<eigen> bench/kernels.cpp -o kernels
#include <Eigen/Core>
#include <chrono>
#include <cstdio>
using M = Eigen::Matrix<double, -1, -1, Eigen::RowMajor>;
int main() {
    for (int d : {16, 32, 64})
        for (int B : {64, 128, 256}) {
            M W = M::Random(d, B), D = M::Random(d, B), O(d, d);
            double tg = 1e9, ts = 1e9, tt = 1e9;
            M C = M::Random(d, d);
            C = C.triangularView<Eigen::Lower>();
            M Y(d, B);
            for (int rep = 0; rep < 30; ++rep) {
                auto t0 = std::chrono::steady_clock::now();
                for (int i = 0; i < 200; ++i) {
                    O.noalias() = W * D.transpose();
                }
                auto t1 = std::chrono::steady_clock::now();
                for (int i = 0; i < 200; ++i) {
                    O.setZero();
                    O.selfadjointView<Eigen::Lower>().rankUpdate(W);
                }
                auto t2 = std::chrono::steady_clock::now();
                for (int i = 0; i < 200; ++i) {
                    Y.noalias() = C.triangularView<Eigen::Lower>() * D;
                }
                auto t3 = std::chrono::steady_clock::now();
                tg = std::min(tg, std::chrono::duration<double>(t1 - t0).count() / 200);
                ts = std::min(ts, std::chrono::duration<double>(t2 - t1).count() / 200);
                tt = std::min(tt, std::chrono::duration<double>(t3 - t2).count() / 200);
            }
            double f = 2.0 * d * d * B;
            printf(
                "d=%d B=%d gemm %.1f GF/s  syrk %.2fx faster (%.1f eff GF/s)  trmm "
                "%.1f eff-dense GF/s\n",
                d, B, f / tg / 1e9, tg / ts, f / ts / 1e9, f / tt / 1e9);
        }
}
