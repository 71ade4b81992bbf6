// The kernels to run: this translation unit's build of them, or the build
// for a newer CPU that a dispatch source installed at load time
// (dispatch_table.hpp, cpp/src/kernels_x86_64_v*.cpp).
#pragma once

#include <atomic>

#include "dispatch_table.hpp"
#include "gaussian_lanes.hpp"
#include "kmeans_fold.hpp"
#include "kmeans_manhattan.hpp"
#include "kmeans_nearest.hpp"
#include "simd.hpp"
#include "tile_products.hpp"

namespace emclust::dispatch {

using emclust_dispatch::KernelTable;

/// The kernels as compiled here, with this translation unit's target.
template <class T>
const KernelTable<T>& compiled_table(int level, const char* name) {
    static const KernelTable<T> table{&lanes::log_prob_any<T>,
                                      &lanes::normalize<T>,
                                      &lanes::statistics_any<T>,
                                      &lanes::exp_array<T>,
                                      &products::norms<T>,
                                      &products::stacked_norms<T>,
                                      &products::cross<T>,
                                      &products::scaled_scatter<T>,
                                      &products::stacked_scatter<T>,
                                      &kmeans_detail::nearest_shifted<T>,
                                      &kmeans_detail::nearest_l1<T>,
                                      &kmeans_detail::manhattan<T>,
                                      &kmeans_detail::fold<T>,
                                      kLanes<T>,
                                      static_cast<int>(kmeans_detail::kLaneRows<T>),
                                      level,
                                      name};
    return table;
}

/// Installs this translation unit's kernels for both scalar types, as a
/// dispatch source does once it has checked that the CPU runs them.
inline void install_compiled(int level, const char* name) {
    emclust_dispatch::install(&compiled_table<double>(level, name));
    emclust_dispatch::install(&compiled_table<float>(level, name));
}

/// The kernels to run: those a dispatch source installed for this CPU, else
/// the ones compiled with the caller.
template <class T>
const KernelTable<T>& table() {
    const KernelTable<T>* t =
        emclust_dispatch::installed<T>.load(std::memory_order_acquire);
    return t != nullptr ? *t : compiled_table<T>(0, "as compiled");
}

}  // namespace emclust::dispatch
