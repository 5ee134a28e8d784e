// Thread-count control, parallel_for (on the work pool, thread_pool.h) with a grain size, the
// OpenMP parallel_region for kernels whose threads meet at barriers, and the interrupt flag.
// Kernels must not let results depend on where chunks split: elementwise work does not, and
// reductions combine fixed-size blocks in order (see docs/ARCHITECTURE.md).
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>

#include "axonite/core/config.h"
#include "axonite/core/thread_pool.h"

#if AXONITE_WITH_OPENMP
#include <omp.h>
#endif

namespace ax {

int get_num_threads();
void set_num_threads(int n);
// True while running inside an OpenMP parallel region or a pool item (thread_pool.h): nested
// parallel_for, GEMMs and pool jobs then run serially.
bool in_parallel_region();

// Note [Interrupts]: Ctrl-C during a long call. While a call runs with the GIL released, the
// bindings route SIGINT to request_interrupt() (bindings/common.h, release_gil). Long kernels
// poll the flag where work is split (parallel_for chunks, GEMM K blocks, autograd nodes): a
// thread that sees it skips its remaining work, and the first poll outside any OpenMP region
// (an exception must never leave one) throws Interrupted, which Python sees as
// KeyboardInterrupt. A poll is one relaxed load and never touches the arithmetic, so results of
// uninterrupted calls are bit-identical; a skipped result is never returned (something throws).
class Interrupted : public std::exception {
 public:
  const char* what() const noexcept override { return "axonite: interrupted"; }
};

namespace detail {
extern std::atomic<bool> g_interrupt;  // lock-free, so a signal handler may set it
}
inline bool interrupt_requested() { return detail::g_interrupt.load(std::memory_order_relaxed); }
// Async-signal-safe.
inline void request_interrupt() { detail::g_interrupt.store(true, std::memory_order_relaxed); }
inline void clear_interrupt() { detail::g_interrupt.store(false, std::memory_order_relaxed); }
// Throws Interrupted when an interrupt is pending and we are not inside a parallel region.
inline void check_interrupt() {
  if (interrupt_requested() && !in_parallel_region()) throw Interrupted();
}

// Calls f(b, e) over [begin, end) in chunks of at least `grain` elements. Runs serially when the
// range is at most `grain`, one thread is configured, or we are already inside a parallel region.
template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& f) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  const int nt = get_num_threads();
  if (grain < 1) grain = 1;
  if (n <= grain || nt <= 1 || in_parallel_region()) {
    check_interrupt();
    f(begin, end);
    check_interrupt();  // f's own loops skip the rest once the flag is set: never return that
    return;
  }
  // On the work pool (Note [Work pool], thread_pool.h): up to four chunks per thread, so a
  // worker that joins late still finds some.
  int64_t chunks = (n + grain - 1) / grain;
  if (chunks > 4 * static_cast<int64_t>(nt)) chunks = 4 * static_cast<int64_t>(nt);
  const int64_t step = (n + chunks - 1) / chunks;
  run_items(nt, (n + step - 1) / step, [&](int64_t c) {
    const int64_t b = begin + c * step;
    const int64_t e = b + step < end ? b + step : end;
    if (!interrupt_requested()) f(b, e);  // Note [Interrupts]
  });
  check_interrupt();
}

// Runs f(tid, nt) once on each of up to `threads` threads of one parallel region (nt is the team
// size OpenMP actually gave, tid in [0, nt)), for kernels whose threads stay together across
// many dependent steps (a recurrent layer's time loop) and meet at region_barrier() instead of
// paying a fork and a join per step. Runs f(0, 1) inline for one thread, without OpenMP or
// inside another region. f must not throw (there is no one to catch it inside the region) and
// every thread must reach the same barriers; the caller polls interrupts at a point all threads
// agree on (see rnn.cpp).
namespace detail {
// Note [Region barrier]: a recurrent time loop meets at a barrier every step, tens of
// microseconds apart. OpenMP's barrier spins only as long as GOMP_SPINCOUNT (kept short, see
// python/axonite/_openmp.py) and then sleeps in the kernel, so a thread that arrives a little
// early sleeps and its wake-up costs more than the step: a 2-thread char_lm step made 90
// context switches. This barrier spins with pause instructions, then yields the core between
// polls (so a descheduled team mate can run), and never sleeps; it lives only as long as one
// parallel_region, so the spinning stays inside the loop that asked for it.
class SpinBarrier {
 public:
  void set_team(int n) { team_.store(n, std::memory_order_relaxed); }
  void wait();

 private:
  std::atomic<int> team_{1}, arrived_{0};
  std::atomic<uint32_t> round_{0};
};
// The barrier of the parallel_region the calling thread is in (null outside one).
extern thread_local SpinBarrier* t_region_barrier;
}  // namespace detail

template <class F>
void parallel_region(int threads, const F& f) {
#if AXONITE_WITH_OPENMP
  if (threads > 1 && !in_parallel_region()) {
    detail::SpinBarrier barrier;
#pragma omp parallel num_threads(threads)
    {
      // Every thread stores the same team size before its first wait.
      barrier.set_team(omp_get_num_threads());
      detail::t_region_barrier = &barrier;
      f(omp_get_thread_num(), omp_get_num_threads());
      detail::t_region_barrier = nullptr;
    }
    return;
  }
#endif
  (void)threads;
  // A team of one, also inside another region: its barriers are no-ops, not that region's.
  struct Alone {
    detail::SpinBarrier* outer = detail::t_region_barrier;
    Alone() { detail::t_region_barrier = nullptr; }
    ~Alone() { detail::t_region_barrier = outer; }
  } alone;
  f(0, 1);
}

// Waits for every thread of the enclosing parallel_region (a no-op with one thread).
inline void region_barrier() {
  if (detail::t_region_barrier != nullptr) detail::t_region_barrier->wait();
}

}  // namespace ax
