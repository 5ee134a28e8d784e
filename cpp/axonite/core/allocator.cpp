// Size-bucketed caching allocator. Small requests round up to 64 bytes, larger ones to an
// eighth of their next power of two, so a bucket wastes at most 25% and similar sizes share blocks.
// The cache is capped (kMaxCached); past the cap, freed blocks go straight back to the OS.
#include "axonite/core/allocator.h"

#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace ax::live {
std::atomic<int64_t> tensors{0};
std::atomic<int64_t> nodes{0};
}  // namespace ax::live

namespace ax::allocator {
namespace {

constexpr size_t kMaxCached = size_t{4} << 30;  // 4 GiB of cached blocks at most

struct State {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_lists;
  MemoryStats st;
};

State& state() {
  static State* s = new State();  // leaked on purpose: tensors may be freed at exit
  return *s;
}

}  // namespace

size_t bucket_size(size_t n) {
  if (n == 0) n = 1;
  if (n <= 4096) return (n + 63) & ~size_t{63};
  size_t p = 1;
  while (p < n) p <<= 1;
  const size_t step = p / 8;  // n > p/2, so rounding up to p/8 wastes under 25%
  return (n + step - 1) / step * step;
}

void* allocate(size_t nbytes) {
  const size_t b = bucket_size(nbytes);
  State& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    ++s.st.num_allocs;
    auto it = s.free_lists.find(b);
    if (it != s.free_lists.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      ++s.st.num_cache_hits;
      s.st.cached_bytes -= static_cast<int64_t>(b);
      s.st.allocated_bytes += static_cast<int64_t>(b);
      if (s.st.allocated_bytes > s.st.peak_allocated_bytes)
        s.st.peak_allocated_bytes = s.st.allocated_bytes;
      return p;
    }
  }
  void* p = std::aligned_alloc(kAlignment, b);
  if (p == nullptr) {
    empty_cache();
    p = std::aligned_alloc(kAlignment, b);
    if (p == nullptr) throw std::bad_alloc();
  }
  std::lock_guard<std::mutex> lock(s.mu);
  ++s.st.num_os_allocs;
  s.st.allocated_bytes += static_cast<int64_t>(b);
  if (s.st.allocated_bytes > s.st.peak_allocated_bytes)
    s.st.peak_allocated_bytes = s.st.allocated_bytes;
  return p;
}

void release(void* p, size_t nbytes) {
  if (p == nullptr) return;
  const size_t b = bucket_size(nbytes);
  State& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.st.allocated_bytes -= static_cast<int64_t>(b);
    if (static_cast<size_t>(s.st.cached_bytes) + b <= kMaxCached) {
      s.free_lists[b].push_back(p);
      s.st.cached_bytes += static_cast<int64_t>(b);
      return;
    }
  }
  std::free(p);
}

void empty_cache() {
  State& s = state();
  std::vector<void*> to_free;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    for (auto& kv : s.free_lists) {
      to_free.insert(to_free.end(), kv.second.begin(), kv.second.end());
      kv.second.clear();
    }
    s.st.cached_bytes = 0;
  }
  for (void* p : to_free) std::free(p);
}

MemoryStats stats() {
  State& s = state();
  MemoryStats out;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    out = s.st;
  }
  out.live_tensors = live::tensors.load(std::memory_order_relaxed);
  out.live_nodes = live::nodes.load(std::memory_order_relaxed);
  return out;
}

void reset_peak() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.st.peak_allocated_bytes = s.st.allocated_bytes;
}

}  // namespace ax::allocator
