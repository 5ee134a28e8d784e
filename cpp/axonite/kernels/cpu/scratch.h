// Grow-only, 64-byte aligned scratch memory for one thread's kernel calls. A kernel keeps one
// `thread_local ScratchBuffer` and reserves what it needs before its parallel region (so
// nothing inside the region can throw); memory is reused across calls, so a warm kernel
// allocates nothing. Kernels that call each other (conv calls GEMM) keep separate buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "axonite/core/allocator.h"

namespace ax::cpu {

class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  ~ScratchBuffer() { std::free(p_); }

  // At least `bytes` bytes; the previous contents are not kept when it grows.
  void* get(size_t bytes) {
    if (bytes > cap_) {
      std::free(p_);
      p_ = nullptr;
      cap_ = 0;
      const size_t sz = (bytes + 4095) & ~static_cast<size_t>(4095);
      p_ = std::aligned_alloc(64, sz);
      if (p_ == nullptr) throw std::bad_alloc();
      cap_ = sz;
    }
    return p_;
  }
  // The current buffer (null before the first get).
  void* data() const { return p_; }

 private:
  void* p_ = nullptr;
  size_t cap_ = 0;
};

// An uninitialized array of n T from the caching allocator (core/allocator.h), for a kernel's
// per-call buffers of megabytes (a recurrent layer's gate gradients, its packed weights): a
// std::vector would zero them and, past malloc's mmap threshold, page-fault them in again on
// every call; these blocks come back warm from the allocator's cache.
template <class T>
class CachedArray {
 public:
  explicit CachedArray(int64_t n)
      : bytes_(sizeof(T) * static_cast<size_t>(n > 0 ? n : 0)),
        p_(static_cast<T*>(allocator::allocate(bytes_))) {}
  CachedArray(const CachedArray&) = delete;
  CachedArray& operator=(const CachedArray&) = delete;
  ~CachedArray() { allocator::release(p_, bytes_); }
  T* data() const { return p_; }

 private:
  size_t bytes_;
  T* p_;
};

}  // namespace ax::cpu
