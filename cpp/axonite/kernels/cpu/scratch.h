// Grow-only, 64-byte aligned scratch memory for one thread's kernel calls. A kernel keeps one
// `thread_local ScratchBuffer` and reserves what it needs before its parallel region (so
// nothing inside the region can throw); memory is reused across calls, so a warm kernel
// allocates nothing. Kernels that call each other (conv calls GEMM) keep separate buffers.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

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

}  // namespace ax::cpu
