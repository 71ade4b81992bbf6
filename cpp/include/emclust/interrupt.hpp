// Cooperative cancellation. Long computations call the check from the thread
// that started them (never from a worker), often enough that an interrupt is
// seen within a fraction of a second, and throw Interrupted when it says stop.
#pragma once

#include <functional>

#include "errors.hpp"

namespace emclust {

/// Returns true when the computation should stop. An empty function never stops.
using InterruptCheck = std::function<bool()>;

inline void throw_if_interrupted(const InterruptCheck& check) {
    if (check && check()) throw Interrupted();
}

}  // namespace emclust
