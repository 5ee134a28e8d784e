// Caching CPU allocator: 64-byte aligned blocks, rounded up to size buckets and kept in
// per-bucket free lists after release, so that repeated large temporaries (activations,
// gradients) reuse pages instead of page-faulting fresh ones from the OS on every step.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace ax {

struct MemoryStats {
  int64_t allocated_bytes = 0;       // live blocks handed out (bucket sizes)
  int64_t cached_bytes = 0;          // freed blocks kept for reuse
  int64_t peak_allocated_bytes = 0;  // high-water mark of allocated_bytes
  int64_t num_allocs = 0;            // allocate() calls
  int64_t num_cache_hits = 0;        // allocate() calls served from the cache
  int64_t num_os_allocs = 0;         // allocate() calls that went to the OS
  int64_t live_tensors = 0;          // TensorImpls alive (one per tensor or view)
  int64_t live_nodes = 0;            // autograd Nodes alive (graph size, for leak tests)
};

// Live object counts, kept next to the byte counts so that one stats() call answers "did this
// loop leak?" for memory and for graphs alike. Relaxed atomics: they count, they never order
// other memory, so an increment costs one uncontended locked add.
namespace live {
extern std::atomic<int64_t> tensors;
extern std::atomic<int64_t> nodes;

// A member that counts the objects holding it (TensorImpl): a copy is a new object, an
// assignment is not, so the count stays exact whatever the owner does.
struct TensorCounter {
  TensorCounter() { tensors.fetch_add(1, std::memory_order_relaxed); }
  TensorCounter(const TensorCounter&) : TensorCounter() {}
  TensorCounter& operator=(const TensorCounter&) { return *this; }
  ~TensorCounter() { tensors.fetch_sub(1, std::memory_order_relaxed); }
};
}  // namespace live

namespace allocator {

inline constexpr size_t kAlignment = 64;

void* allocate(size_t nbytes);
void release(void* p, size_t nbytes);
// Returns every cached block to the OS.
void empty_cache();
MemoryStats stats();
void reset_peak();
// Bucket size a request of `nbytes` is rounded to.
size_t bucket_size(size_t nbytes);

}  // namespace allocator
}  // namespace ax
