// Error types and the AXONITE_CHECK macro. Each error kind maps to one Python exception class
// in the bindings (ValueError, TypeError, IndexError, RuntimeError, NotImplementedError).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace ax {

enum class ErrorKind { ValueError, TypeError, IndexError, RuntimeError };

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& msg) : std::runtime_error(msg), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

namespace detail {
template <class... Args>
std::string cat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}
}  // namespace detail

template <class... Args>
[[noreturn]] void fail(ErrorKind kind, Args&&... args) {
  throw Error(kind, detail::cat(std::forward<Args>(args)...));
}

}  // namespace ax

// AXONITE_CHECK(cond, Kind, message parts...): throws ax::Error of ErrorKind::Kind when cond fails.
#define AXONITE_CHECK(cond, kind, ...)                           \
  do {                                                           \
    if (!(cond)) ::ax::fail(::ax::ErrorKind::kind, __VA_ARGS__); \
  } while (0)

// Internal invariant; failure is a bug in axonite, reported as RuntimeError.
#define AXONITE_ASSERT(cond)                                                                       \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      ::ax::fail(::ax::ErrorKind::RuntimeError, "internal assert failed: " #cond " at ", __FILE__, \
                 ":", __LINE__);                                                                   \
  } while (0)
