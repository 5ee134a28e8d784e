// Process-wide thread count (defaults to the OpenMP default: the number of cores) and the
// interrupt flag (Note [Interrupts], parallel.h).
#include "axonite/core/parallel.h"

#include <emmintrin.h>

#include <atomic>
#include <thread>

#include "axonite/core/check.h"
#include "axonite/core/thread_pool.h"

namespace ax {
namespace {
std::atomic<int> g_threads{0};
}

namespace detail {
static_assert(std::atomic<bool>::is_always_lock_free, "the interrupt flag is set in a handler");
std::atomic<bool> g_interrupt{false};

thread_local SpinBarrier* t_region_barrier = nullptr;

// Note [Region barrier] (parallel.h). The last thread to arrive resets the count, then opens the
// round; a waiter sees the new round only after the reset, so its next arrival counts afresh.
void SpinBarrier::wait() {
  const uint32_t round = round_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 ==
      team_.load(std::memory_order_relaxed)) {
    arrived_.store(0, std::memory_order_relaxed);
    round_.store(round + 1, std::memory_order_release);
    return;
  }
  // About 100 us of pause instructions (some 140 cycles each here) covers the imbalance of a
  // step; past that the team mate is probably off the core, so give it ours between polls.
  constexpr int kPausePolls = 2500;
  for (int i = 0; round_.load(std::memory_order_acquire) == round; ++i) {
    if (i < kPausePolls) {
      _mm_pause();
    } else {
      std::this_thread::yield();
    }
  }
}
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
