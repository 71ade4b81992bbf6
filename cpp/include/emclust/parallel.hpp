// A small fork-join thread pool. Work is split into tasks that each write only
// their own output slot, so the result never depends on which thread ran a
// task; reductions over the slots happen afterwards, in task order.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

#include "errors.hpp"
#include "interrupt.hpp"
#include "types.hpp"

namespace emclust {

/// Number of cores this process may run on (its CPU affinity on Linux, which
/// is what containers and `taskset` restrict), at least 1.
inline int usable_cores() {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
#endif
    unsigned n = std::thread::hardware_concurrency();
    return n > 0 ? static_cast<int>(n) : 1;
}

/// The largest thread count a pool accepts. Far above any core count a chunk
/// partition can use (a fit has at most a few thousand chunks), and low enough
/// that a mistyped or tampered value (a model file's n_threads = 2**20) is an
/// error instead of an attempt to start a million threads.
inline constexpr int kMaxThreads = 1024;

/// Resolves a user's thread count: <= 0 means every usable core (capped at
/// kMaxThreads); above kMaxThreads is an InvalidArgument.
inline int resolve_n_threads(int n_threads) {
    if (n_threads > kMaxThreads) {
        throw InvalidArgument("n_threads must be <= " + std::to_string(kMaxThreads) +
                              ", got " + std::to_string(n_threads));
    }
    return n_threads > 0 ? n_threads : std::min(usable_cores(), kMaxThreads);
}

/// Called with the index (from 1) of every worker thread just before the pool
/// starts it. A test seam: it may throw to simulate the system refusing a thread.
using BeforeThreadStart = std::function<void(int)>;

/// Fork-join pool: run(n, task) calls task(i) for i in [0, n) on the pool's
/// threads and the calling thread, and returns when all are done. Not
/// reentrant: a task must not call run() on the same pool.
class ThreadPool {
  public:
    /// n_threads counts the calling thread; <= 0 means every usable core.
    /// When the system refuses a thread (a limit on processes or memory), the
    /// threads already started are stopped and joined before ResourceError is
    /// thrown: a half-built pool must not be left with waiting threads, whose
    /// condition variable would then be destroyed under them (a hang).
    explicit ThreadPool(int n_threads = 0, const BeforeThreadStart& before_start = {}) {
        const int n = resolve_n_threads(n_threads);
        workers_.reserve(static_cast<std::size_t>(n - 1));
        for (int t = 1; t < n; ++t) {
            try {
                if (before_start) before_start(t);
                workers_.emplace_back([this] { worker_loop(); });
            } catch (const std::exception& e) {
                stop_workers();
                throw ResourceError("could not start thread " + std::to_string(t + 1) +
                                    " of n_threads=" + std::to_string(n) + " (" +
                                    e.what() +
                                    "): the process may be limited in threads or "
                                    "memory (ulimit -u, cgroups); use fewer n_threads");
            }
        }
    }

    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    ~ThreadPool() { stop_workers(); }

    /// Threads that take tasks, the calling thread included.
    int size() const { return static_cast<int>(workers_.size()) + 1; }

    /// Calls task(i) for every i in [0, n_tasks). The calling thread polls
    /// `interrupt` between its tasks (at most every few milliseconds, since the
    /// check may have to take a lock such as Python's GIL). The first exception
    /// a task throws, or Interrupted, is rethrown once every thread has stopped;
    /// tasks not yet started are then skipped.
    void run(Index n_tasks, const std::function<void(Index)>& task,
             const InterruptCheck& interrupt = {}) {
        if (n_tasks <= 0) return;
        if (workers_.empty() || n_tasks == 1) {
            for (Index i = 0; i < n_tasks; ++i) {
                throw_if_interrupted(interrupt);
                task(i);
            }
            return;
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            task_ = &task;
            n_tasks_ = n_tasks;
            next_.store(0);
            stop_.store(false);
            error_ = nullptr;
            busy_workers_ = static_cast<int>(workers_.size());
            ++generation_;
        }
        start_.notify_all();

        auto last_poll = std::chrono::steady_clock::now();
        bool interrupted = false;
        while (!stop_.load(std::memory_order_relaxed)) {
            if (interrupt) {
                auto now = std::chrono::steady_clock::now();
                if (now - last_poll > std::chrono::milliseconds(20)) {
                    last_poll = now;
                    if (interrupt()) {
                        interrupted = true;
                        stop_.store(true);
                        break;
                    }
                }
            }
            const Index i = next_.fetch_add(1);
            if (i >= n_tasks) break;
            run_one(task, i);
        }
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return busy_workers_ == 0; });
        task_ = nullptr;
        if (error_) std::rethrow_exception(error_);
        if (interrupted) throw Interrupted();
    }

  private:
    void stop_workers() noexcept {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            shutdown_ = true;
        }
        start_.notify_all();
        for (auto& w : workers_) {
            if (w.joinable()) w.join();
        }
        workers_.clear();
    }

    void run_one(const std::function<void(Index)>& task, Index i) {
        try {
            task(i);
        } catch (...) {
            std::lock_guard<std::mutex> lock(error_mutex_);
            if (!error_) error_ = std::current_exception();
            stop_.store(true);
        }
    }

    void worker_loop() {
        std::uint64_t seen = 0;
        for (;;) {
            const std::function<void(Index)>* task;
            Index n_tasks;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                start_.wait(lock, [&] { return shutdown_ || generation_ != seen; });
                if (shutdown_) return;
                seen = generation_;
                task = task_;
                n_tasks = n_tasks_;
            }
            while (!stop_.load(std::memory_order_relaxed)) {
                const Index i = next_.fetch_add(1);
                if (i >= n_tasks) break;
                run_one(*task, i);
            }
            {
                std::lock_guard<std::mutex> lock(mutex_);
                if (--busy_workers_ == 0) done_.notify_one();
            }
        }
    }

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::mutex error_mutex_;
    std::condition_variable start_;
    std::condition_variable done_;
    const std::function<void(Index)>* task_ = nullptr;
    Index n_tasks_ = 0;
    std::uint64_t generation_ = 0;
    int busy_workers_ = 0;
    bool shutdown_ = false;
    std::atomic<Index> next_{0};
    std::atomic<bool> stop_{false};
    std::exception_ptr error_;
};

}  // namespace emclust
