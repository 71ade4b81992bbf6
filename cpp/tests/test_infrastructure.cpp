// The infrastructure under every model: thread pool, chunk plan, RNG and the
// EM driver.
#include <atomic>
#include <chrono>
#include <cmath>
#include <emclust/chunking.hpp>
#include <emclust/em.hpp>
#include <emclust/parallel.hpp>
#include <emclust/random.hpp>
#include <limits>
#include <set>
#include <string>
#include <system_error>
#include <thread>

#include "check.hpp"

using namespace emclust;

EMCLUST_TEST(pool_runs_every_task_once) {
    for (int threads : {1, 2, 4}) {
        ThreadPool pool(threads);
        CHECK(pool.size() == threads);
        for (Index n : {0, 1, 7, 1000}) {
            std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
            pool.run(n, [&](Index i) { hits[static_cast<std::size_t>(i)]++; });
            bool once = true;
            for (auto& h : hits) once = once && h.load() == 1;
            CHECK(once);
        }
    }
}

EMCLUST_TEST(pool_rethrows_the_first_exception_and_stays_usable) {
    ThreadPool pool(3);
    CHECK_THROWS_AS(pool.run(100,
                             [](Index i) {
                                 if (i == 17) throw InvalidArgument("task 17");
                             }),
                    InvalidArgument);
    std::atomic<Index> sum{0};
    pool.run(100, [&](Index i) { sum += i; });
    CHECK(sum.load() == 4950);
}

EMCLUST_TEST(pool_stops_on_interrupt) {
    // The pool polls at most every 20 ms (the check may take the GIL), so the
    // run must outlast that: 100000 tasks of 10 us on two threads take 0.5 s
    // where a run of empty tasks could finish (and did, on a fast CPU) before
    // the first poll.
    ThreadPool pool(2);
    std::atomic<Index> done{0};
    const auto slow = [&](Index) {
        std::this_thread::sleep_for(std::chrono::microseconds(10));
        done++;
    };
    CHECK_THROWS_AS(pool.run(100000, slow, [] { return true; }), Interrupted);
    CHECK(done.load() < 100000);
    ThreadPool serial(1);
    CHECK_THROWS_AS(serial.run(10, [](Index) {}, [] { return true; }), Interrupted);
}

/// The system refuses the 4th worker thread: the three already started are
/// joined (no hang, which TSan/ASan would also flag as a leak), the error is a
/// ResourceError naming the thread and the count, and a new pool still works.
EMCLUST_TEST(pool_cleans_up_after_a_partial_start) {
    int attempts = 0;
    auto refuse_fourth = [&](int t) {
        ++attempts;
        if (t == 4) {
            throw std::system_error(
                std::make_error_code(std::errc::resource_unavailable_try_again));
        }
    };
    bool thrown = false;
    try {
        ThreadPool pool(8, refuse_fourth);
    } catch (const ResourceError& e) {
        thrown = true;
        const std::string what = e.what();
        CHECK(what.find("could not start thread 5 of n_threads=8") !=
              std::string::npos);
        CHECK(what.find("fewer n_threads") != std::string::npos);
    }
    CHECK(thrown);
    CHECK(attempts == 4);
    ThreadPool pool(4);
    std::atomic<int> done{0};
    pool.run(16, [&](Index) { ++done; });
    CHECK(done.load() == 16);
}

EMCLUST_TEST(pool_thread_count_is_bounded) {
    CHECK_THROWS_AS(ThreadPool(kMaxThreads + 1), InvalidArgument);
    CHECK(resolve_n_threads(0) >= 1);
    CHECK(resolve_n_threads(0) <= kMaxThreads);
    CHECK(resolve_n_threads(kMaxThreads) == kMaxThreads);
}

/// A step that returns a non-finite bound or parameter stops EM with a
/// NumericalError; the first iteration's message blames the initial means.
EMCLUST_TEST(em_driver_stops_on_non_finite_values) {
    EmOptions options;
    auto init = [](int) { return 1.0; };
    auto minus_inf = [](const double& p) {
        return std::make_pair(p, -std::numeric_limits<double>::infinity());
    };
    try {
        run_em<double>(options, init, minus_inf);
        CHECK(false);
    } catch (const NumericalError& e) {
        CHECK(std::string(e.what()).find("initial means") != std::string::npos);
    }
    int calls = 0;
    auto nan_later = [&](const double& p) {
        ++calls;
        return std::make_pair(calls < 3 ? p + 1 : std::nan(""), -1.0 / calls);
    };
    try {
        run_em<double>(options, init, nan_later);
        CHECK(false);
    } catch (const NumericalError& e) {
        CHECK(std::string(e.what()).find("iteration 3") != std::string::npos);
        CHECK(std::string(e.what()).find("scale of X") != std::string::npos);
    }
}

EMCLUST_TEST(chunks_partition_rows_in_whole_blocks) {
    for (Index n : {0, 1, 255, 256, 257, 100000, 10000000}) {
        for (std::size_t slot : {std::size_t(0), std::size_t(1) << 20}) {
            const ChunkPlan plan = plan_chunks(n, 256, slot);
            Index covered = 0;
            for (Index c = 0; c < plan.n_chunks; ++c) {
                CHECK(plan.chunk_begin(c) == covered);
                CHECK(plan.chunk_begin(c) % 256 == 0);
                CHECK(plan.chunk_size(c) > 0);
                covered += plan.chunk_size(c);
            }
            CHECK(covered == n);
            CHECK(plan.n_chunks <= 128);
            if (slot > 0) CHECK(plan.n_chunks <= 64);
        }
    }
}

EMCLUST_TEST(rng_is_reproducible_and_in_range) {
    Rng a(42), b(42), c(43);
    bool same = true, differ = false;
    for (int i = 0; i < 100; ++i) {
        const std::uint64_t x = a.next();
        same = same && x == b.next();
        differ = differ || x != c.next();
    }
    CHECK(same);
    CHECK(differ);
    Rng r(1);
    std::set<std::uint64_t> seen;
    for (int i = 0; i < 10000; ++i) {
        const double u = r.uniform();
        CHECK(u >= 0.0 && u < 1.0);
        const std::uint64_t k = r.below(7);
        CHECK(k < 7);
        seen.insert(k);
    }
    CHECK(seen.size() == 7);
    CHECK(Rng::stream(5, 0).next() != Rng::stream(5, 1).next());
    CHECK(Rng::stream(5, 1).next() == Rng::stream(5, 1).next());
}

/// run_em on a model whose step halves the distance to a fixed point: stops
/// on tol, keeps the restart with the largest bound, reports the trace.
EMCLUST_TEST(em_driver_converges_and_keeps_the_best_restart) {
    EmOptions options;
    options.max_iter = 100;
    options.n_init = 3;
    options.tol = 1e-6;
    // Parameter: a number; its bound is -(p - target)^2 with target per restart.
    const double targets[] = {1.0, 0.0, 2.0};
    int restart = 0;
    auto init = [&](int r) {
        restart = r;
        return 10.0;
    };
    auto step = [&](const double& p) {
        const double t = targets[restart];
        return std::make_pair(t + (p - t) / 2, -(p - t) * (p - t) / 1000 + t);
    };
    auto [best, trace] = run_em<double>(options, init, step);
    CHECK(trace.converged);
    CHECK(std::abs(best - 2.0) < 1e-2);
    CHECK(static_cast<int>(trace.lower_bounds.size()) == trace.n_iter);
    CHECK(trace.lower_bound == trace.lower_bounds.back());
    options.n_init = 0;
    CHECK_THROWS_AS(run_em<double>(options, init, step), InvalidArgument);
}

EMCLUST_TEST_MAIN()
