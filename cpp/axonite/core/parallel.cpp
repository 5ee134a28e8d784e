// Process-wide thread count (defaults to the OpenMP default: the number of cores) and the
// interrupt flag (Note [Interrupts], parallel.h).
#include "axonite/core/parallel.h"

#include <atomic>

#include "axonite/core/check.h"
#include "axonite/core/thread_pool.h"

namespace ax {
namespace {
std::atomic<int> g_threads{0};
}

namespace detail {
static_assert(std::atomic<bool>::is_always_lock_free, "the interrupt flag is set in a handler");
std::atomic<bool> g_interrupt{false};
}  // namespace detail

int get_num_threads() {
  int n = g_threads.load(std::memory_order_relaxed);
  if (n > 0) return n;
#if AXONITE_WITH_OPENMP
  n = omp_get_max_threads();
#else
  n = 1;
#endif
  g_threads.store(n, std::memory_order_relaxed);
  return n;
}

void set_num_threads(int n) {
  AXONITE_CHECK(n >= 1, ValueError, "set_num_threads: expected a positive thread count, got ", n);
  g_threads.store(n, std::memory_order_relaxed);
}

bool in_parallel_region() {
#if AXONITE_WITH_OPENMP
  if (omp_in_parallel() != 0) return true;
#endif
  return in_pool_item();
}

}  // namespace ax
