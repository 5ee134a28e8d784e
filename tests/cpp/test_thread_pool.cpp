// The work pool (core/thread_pool.h): every item runs exactly once whoever claims it, nested
// and concurrent calls fall back to the calling thread, and a forked child gets a working pool.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "axonite/core/parallel.h"
#include "axonite/core/thread_pool.h"
#include "testing.h"

namespace {

// Runs n items on `threads` threads; true if each ran exactly once.
bool each_once(int threads, int64_t n) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  for (auto& h : hits) h.store(0);
  ax::run_items(threads, n, [&](int64_t i) { hits[static_cast<size_t>(i)].fetch_add(1); });
  for (auto& h : hits)
    if (h.load() != 1) return false;
  return true;
}

}  // namespace

TEST(pool_runs_every_item_once) {
  for (int threads : {1, 2, 4})
    for (int64_t n : {0, 1, 2, 3, 7, 64, 1000}) CHECK(each_once(threads, n));
  // Many back-to-back jobs: a worker that read a finished job's state must never claim an item
  // once the next job is being set up (this caught a double-run item about once in 10^4 jobs).
  bool ok = true;
  for (int rep = 0; rep < 200000 && ok; ++rep) ok = each_once(2, 2 + rep % 8);
  CHECK(ok);
}

TEST(pool_uses_workers) {
  // Items slow enough that a worker (spinning or woken) joins in.
  std::atomic<int> on_caller{0}, elsewhere{0};
  const std::thread::id me = std::this_thread::get_id();
  ax::run_items(2, 40, [&](int64_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    (std::this_thread::get_id() == me ? on_caller : elsewhere).fetch_add(1);
  });
  CHECK(on_caller.load() + elsewhere.load() == 40);
  CHECK(elsewhere.load() > 0);
}

TEST(pool_items_are_a_parallel_region) {
  // Inside an item nested jobs run inline on the item's thread.
  std::atomic<int> inner{0}, flagged{0};
  ax::run_items(2, 8, [&](int64_t) {
    if (ax::in_parallel_region() && ax::in_pool_item()) flagged.fetch_add(1);
    const std::thread::id me = std::this_thread::get_id();
    ax::run_items(2, 4, [&](int64_t) {
      if (std::this_thread::get_id() == me) inner.fetch_add(1);
    });
  });
  CHECK(flagged.load() == 8);
  CHECK(inner.load() == 32);
  CHECK(!ax::in_pool_item());
}

TEST(pool_concurrent_callers) {
  // Two threads submitting at once: one gets the pool, the other runs inline; all items run.
  std::atomic<bool> ok{true};
  std::vector<std::thread> callers;
  for (int t = 0; t < 3; ++t)
    callers.emplace_back([&] {
      for (int rep = 0; rep < 300; ++rep)
        if (!each_once(2, 17)) ok.store(false);
    });
  for (auto& c : callers) c.join();
  CHECK(ok.load());
}

TEST(pool_after_fork) {
  CHECK(each_once(2, 100));  // the parent's pool exists and has a worker
  const pid_t pid = fork();
  if (pid == 0) {
    // The child has no pool threads: a new pool must be built, and the job must finish.
    _exit(each_once(2, 100) && each_once(2, 5) ? 0 : 1);
  }
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_MAIN()
