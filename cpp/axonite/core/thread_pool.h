// Note [Work pool]: a dynamic alternative to an OpenMP region for kernels of a few hundred
// microseconds (the GEMMs of a training step). An OpenMP region splits its work statically and
// ends at a join: when the worker thread has gone to sleep since the last region (its spin wait
// is short on purpose, see python/axonite/_openmp.py) every region waits the 50-100 us a wake-up
// takes on a VM, which on a 2-core machine made two threads slower than one. Here the calling
// thread starts on the work at once and the workers claim items as they arrive, so a late (or
// descheduled) worker costs nothing: it finds the work already taken. Items are fixed by the
// caller, never by who runs them, so results do not depend on the thread count.
#pragma once

#include <cstdint>

namespace ax {

namespace detail {
using ItemFn = void (*)(void* ctx, int64_t item);
void run_items(int threads, int64_t n, ItemFn fn, void* ctx);
}  // namespace detail

// Runs f(i) for every i in [0, n) on the calling thread and on up to threads - 1 pool workers,
// each claiming the next unclaimed item; returns when all have run. f must not throw. Runs
// everything on the calling thread when threads <= 1, inside a parallel region or a pool item
// (in_parallel_region() is true inside items, so nested kernels run serially), and while
// another thread's call is using the pool.
template <class F>
void run_items(int threads, int64_t n, const F& f) {
  detail::run_items(
      threads, n, [](void* ctx, int64_t i) { (*static_cast<const F*>(ctx))(i); },
      const_cast<void*>(static_cast<const void*>(&f)));
}

// True on a thread while it runs a pool item.
bool in_pool_item();

}  // namespace ax
