// Caching CPU allocator: 64-byte aligned blocks, rounded up to size buckets and kept in
// per-bucket free lists after release, so that repeated large temporaries (activations,
// gradients) reuse pages instead of page-faulting fresh ones from the OS on every step.
#pragma once

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
};

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
