// The work pool of Note [Work pool] (thread_pool.h). One job at a time: `state` holds the job's
// generation (high 32 bits) and its next unclaimed item (low 32 bits), so a claim is one
// compare-and-swap that fails if the job changed in between. Workers spin briefly after a job
// (the gaps between the ops of a training step are shorter than a wake-up), yielding the core
// between polls, then sleep on a condition variable.
#include "axonite/core/thread_pool.h"

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "axonite/core/parallel.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define AX_PAUSE() _mm_pause()
#else
#define AX_PAUSE() ((void)0)
#endif

namespace ax {
namespace {

// How long an idle worker polls for the next job before it sleeps. Long enough to bridge the
// Python-side gaps between the ops of a step (5-30 us), short enough that an idle worker gives
// the core back quickly on a busy machine.
constexpr auto kSpin = std::chrono::microseconds(100);

// The item index of a closed job: above any job's item count.
constexpr uint64_t kClosed = 0xffffffffu;

thread_local bool tl_in_item = false;

struct Pool {
  std::mutex dispatch;  // held by the thread whose job is running
  std::mutex mu;        // guards the sleep/wake handshake
  std::condition_variable cv;
  std::atomic<uint64_t> state{0};
  std::atomic<detail::ItemFn> fn{nullptr};
  std::atomic<void*> ctx{nullptr};
  std::atomic<int64_t> n_items{0};
  std::atomic<int64_t> done{0};
  std::atomic<int> wanted{0};  // workers [0, wanted) may join the current job
  std::atomic<int> sleepers{0};
  uint64_t generation = 0;           // guarded by dispatch
  std::vector<std::thread> workers;  // guarded by dispatch; never joined (see pool())

  static uint64_t gen_of(uint64_t s) { return s >> 32; }

  // Claims and runs items of generation gen until none is left or the job changed.
  void work(uint64_t gen) {
    tl_in_item = true;
    for (;;) {
      uint64_t s = state.load(std::memory_order_acquire);
      if (gen_of(s) != gen) break;
      const int64_t i = static_cast<int64_t>(s & kClosed);
      const detail::ItemFn f = fn.load(std::memory_order_relaxed);
      void* c = ctx.load(std::memory_order_relaxed);
      if (i >= n_items.load(std::memory_order_relaxed)) break;
      // Success means the job did not change since `s` was read, so f, c and n were its own.
      if (!state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) continue;
      f(c, i);
      done.fetch_add(1, std::memory_order_release);
    }
    tl_in_item = false;
  }

  void worker_loop(int index) {
    uint64_t seen = 0;
    for (;;) {
      uint64_t s = state.load(std::memory_order_acquire);
      if (gen_of(s) == seen) {
        const auto until = std::chrono::steady_clock::now() + kSpin;
        bool changed = false;
        while (!changed && std::chrono::steady_clock::now() < until) {
          for (int k = 0; k < 32 && !changed; ++k) {
            AX_PAUSE();
            changed = gen_of(state.load(std::memory_order_acquire)) != seen;
          }
          // Give the core to any other runnable thread (an OpenMP worker of the next op, or
          // another process) rather than spin it away from them.
          if (!changed) sched_yield();
        }
        if (!changed) {
          std::unique_lock<std::mutex> lock(mu);
          sleepers.fetch_add(1, std::memory_order_seq_cst);
          cv.wait(lock, [&] { return gen_of(state.load(std::memory_order_seq_cst)) != seen; });
          sleepers.fetch_sub(1, std::memory_order_relaxed);
        }
        continue;
      }
      seen = gen_of(s);
      if (index < wanted.load(std::memory_order_relaxed)) work(seen);
    }
  }
};

Pool* g_pool = nullptr;
std::once_flag g_atfork_once;

// A forked child has none of the parent's threads (DataLoader workers fork): it forgets the
// pool, leaking it on purpose (its mutexes may be held and its threads cannot be joined), and
// builds a new one on first use.
void forget_pool_in_child() { g_pool = nullptr; }

Pool& pool() {
  // Created on first use and never destroyed: workers sleep until the process exits.
  static std::mutex create;
  std::call_once(g_atfork_once, [] { pthread_atfork(nullptr, nullptr, &forget_pool_in_child); });
  std::lock_guard<std::mutex> lock(create);
  if (g_pool == nullptr) g_pool = new Pool();
  return *g_pool;
}

}  // namespace

bool in_pool_item() { return tl_in_item; }

namespace detail {

void run_items(int threads, int64_t n, ItemFn fn, void* ctx) {
  if (n <= 0) return;
  const auto serial = [&] {
    for (int64_t i = 0; i < n; ++i) fn(ctx, i);
  };
  if (threads <= 1 || n == 1 || static_cast<uint64_t>(n) >= kClosed || in_parallel_region())
    return serial();
  Pool& p = pool();
  std::unique_lock<std::mutex> job(p.dispatch, std::try_to_lock);
  if (!job.owns_lock()) return serial();
  while (static_cast<int>(p.workers.size()) < threads - 1) {
    const int index = static_cast<int>(p.workers.size());
    p.workers.emplace_back([&p, index] { p.worker_loop(index); });
    p.workers.back().detach();
  }
  // Close the finished job first: with its index at the sentinel nobody can claim from it. A
  // worker that read the old state (index == its n) could otherwise see the new n, written
  // below, and claim from the old state before the new one is published.
  const uint64_t prev = p.state.load(std::memory_order_relaxed);
  p.state.store((Pool::gen_of(prev) << 32) | kClosed, std::memory_order_seq_cst);
  p.fn.store(fn, std::memory_order_relaxed);
  p.ctx.store(ctx, std::memory_order_relaxed);
  p.n_items.store(n, std::memory_order_relaxed);
  p.done.store(0, std::memory_order_relaxed);
  p.wanted.store(threads - 1, std::memory_order_relaxed);
  uint64_t gen = ++p.generation & 0xffffffffu;
  if (gen == 0) gen = ++p.generation & 0xffffffffu;     // 0 is what a new worker has seen
  p.state.store(gen << 32, std::memory_order_seq_cst);  // publishes the job
  if (p.sleepers.load(std::memory_order_seq_cst) > 0) {
    {
      std::lock_guard<std::mutex> lock(p.mu);
    }  // a sleeper is either waiting or will see gen
    p.cv.notify_all();
  }
  p.work(gen);
  // Items claimed by workers may still be running. Yield after a short spin: on a busy machine
  // the worker that holds the last item may be waiting for a core.
  for (int k = 0; p.done.load(std::memory_order_acquire) < n; ++k) {
    if (k < 256) {
      AX_PAUSE();
    } else {
      sched_yield();
    }
  }
}

}  // namespace detail
}  // namespace ax
