// Work arrays shared by the tasks of one parallel pass.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace emclust {

/// Scratch objects lent to the tasks of a ThreadPool::run and given back
/// when a task ends, so that at most one per running thread is ever built.
/// A pass has a hundred or more chunks; building a large scratch per chunk
/// cost a page fault per page each time (the allocator returns big freed
/// blocks to the system). A task must not rely on what an earlier task left
/// in the scratch.
template <class S>
class ScratchPool {
  public:
    /// make() builds a new scratch when none is free.
    template <class Make>
    explicit ScratchPool(Make make) : make_(std::move(make)) {}

    /// A scratch on loan; returned to the pool when destroyed.
    class Lease {
      public:
        Lease(ScratchPool& pool, std::unique_ptr<S> s)
            : pool_(pool), s_(std::move(s)) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { pool_.give_back(std::move(s_)); }
        S& operator*() const { return *s_; }
        S* operator->() const { return s_.get(); }

      private:
        ScratchPool& pool_;
        std::unique_ptr<S> s_;
    };

    Lease borrow() {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            if (!free_.empty()) {
                std::unique_ptr<S> s = std::move(free_.back());
                free_.pop_back();
                return Lease(*this, std::move(s));
            }
        }
        return Lease(*this, make_());
    }

  private:
    void give_back(std::unique_ptr<S> s) noexcept {
        try {
            const std::lock_guard<std::mutex> lock(mutex_);
            free_.push_back(std::move(s));
        } catch (...) {
            // Out of memory for the list: the scratch is freed instead of kept.
        }
    }

    std::function<std::unique_ptr<S>()> make_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<S>> free_;
};

}  // namespace emclust
