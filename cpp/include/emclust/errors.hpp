// Exception types of the core. The core never prints and never aborts: every
// failure is one of these, and the Python bindings map each to a Python error.
#pragma once

#include <stdexcept>
#include <string>

namespace emclust {

/// Bad argument: wrong shape, out-of-range option, non-finite data.
class InvalidArgument : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

/// The data or the model made a computation impossible at run time, e.g. a covariance
/// matrix that is not positive definite.
class NumericalError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// The system refused a resource the computation needs, e.g. a thread (a limit
/// on processes or memory).
class ResourceError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// The caller's interrupt check asked the computation to stop.
class Interrupted : public std::runtime_error {
  public:
    Interrupted() : std::runtime_error("interrupted") {}
};

}  // namespace emclust
