// Timing harness of the fused E-step and statistics (one EM iteration's pass
// over the data), the lane kernels against the tile kernels, with the
// largest relative difference of their statistics.
// g++ -O3 -march=native -DNDEBUG -std=c++17 -Icpp/include -I<eigen> -pthread \
//     bench/estep.cpp -o estep && ./estep [n d k cov threads]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <emclust/gaussian_statistics.hpp>
#include <random>

using namespace emclust;

template <class T>
GaussianStatistics tile_path(const ConstRowMatrixRef<T>& X,
                             const GaussianMixtureParams& p, ThreadPool& pool) {
    const GaussianKernel<T> kernel(p);
    return chunked_statistics<T>(X, Eigen::VectorXd(), p.covariance_type, p.means, true,
                                 true, pool, {},
                                 [&](Index, Index rows, TileScratch<T>& s) {
                                     weighted_log_prob_tile(kernel, rows, s);
                                     normalize_tile(kernel.n_components, rows, s);
                                     return true;
                                 });
}

double rel(const Eigen::Ref<const RowMatrixXd>& a,
           const Eigen::Ref<const RowMatrixXd>& b) {
    return (a - b).cwiseAbs().maxCoeff() / std::max(1e-300, b.cwiseAbs().maxCoeff());
}

template <class T>
void run(Index n, Index d, Index k, CovarianceType type, int threads) {
    std::mt19937_64 rng(1);
    std::normal_distribution<double> N01;
    RowMatrixXd centres(k, d);
    for (Index i = 0; i < centres.size(); ++i) centres.data()[i] = 4 * N01(rng);
    RowMatrix<T> X(n, d);
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < d; ++j)
            X(i, j) = static_cast<T>(centres(i % k, j) + N01(rng));
    GaussianMixtureParams p;
    p.covariance_type = type;
    p.weights = Eigen::VectorXd::Constant(k, 1.0 / k);
    p.means = centres;
    for (Index i = 0; i < p.means.size(); ++i) p.means.data()[i] += 0.3 * N01(rng);
    if (is_matrix_type(type)) {
        const Index kk = type == CovarianceType::tied ? 1 : k;
        p.precisions_cholesky = RowMatrixXd::Zero(kk, d * d);
        for (Index c = 0; c < kk; ++c) {
            auto sq = as_square(p.precisions_cholesky, c, d);
            for (Index i = 0; i < d; ++i) {
                sq(i, i) = 0.8 + 0.4 * std::abs(N01(rng));
                for (Index j = i + 1; j < d; ++j) sq(i, j) = 0.2 * N01(rng);
            }
        }
    } else {
        p.precisions_cholesky =
            RowMatrixXd::Constant(k, type == CovarianceType::spherical ? 1 : d, 1.0);
        for (Index i = 0; i < p.precisions_cholesky.size(); ++i)
            p.precisions_cholesky.data()[i] = 0.8 + 0.4 * std::abs(N01(rng));
    }
    ThreadPool pool(threads);
    const ConstRowMatrixRef<T> Xr(X);
    GaussianStatistics a = e_step_statistics<T>(Xr, Eigen::VectorXd(), p, pool);
    GaussianStatistics b = tile_path<T>(Xr, p, pool);
    double t_new = 1e9, t_old = 1e9;
    for (int r = 0; r < 7; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        a = e_step_statistics<T>(Xr, Eigen::VectorXd(), p, pool);
        auto t1 = std::chrono::steady_clock::now();
        b = tile_path<T>(Xr, p, pool);
        auto t2 = std::chrono::steady_clock::now();
        t_new = std::min(t_new, std::chrono::duration<double>(t1 - t0).count());
        t_old = std::min(t_old, std::chrono::duration<double>(t2 - t1).count());
    }
    std::printf(
        "n=%ld d=%ld k=%ld %s %s T=%d: lanes %.2f ms, tiles %.2f ms (%.2fx); rel diff "
        "N %.1e "
        "first %.1e second %.1e loglik %.1e\n",
        (long)n, (long)d, (long)k, sizeof(T) == 8 ? "f64" : "f32", to_string(type),
        threads, t_new * 1e3, t_old * 1e3, t_old / t_new,
        rel(a.resp_sum.transpose(), b.resp_sum.transpose()), rel(a.first, b.first),
        rel(a.second, b.second),
        std::abs(a.log_likelihood - b.log_likelihood) / std::abs(b.log_likelihood));
}

int main(int argc, char** argv) {
    const Index n = argc > 1 ? std::atol(argv[1]) : 100000;
    const Index d = argc > 2 ? std::atol(argv[2]) : 8;
    const Index k = argc > 3 ? std::atol(argv[3]) : 16;
    const std::string cov = argc > 4 ? argv[4] : "full";
    const int threads = argc > 5 ? std::atoi(argv[5]) : 1;
    const CovarianceType type = parse_covariance_type(cov);
    run<double>(n, d, k, type, threads);
    run<float>(n, d, k, type, threads);
}
