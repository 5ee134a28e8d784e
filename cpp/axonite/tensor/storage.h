// Storage: a ref-counted block of bytes shared by a tensor and all of its views. It owns the
// version counter (bumped by every in-place write through any view) that autograd uses to
// detect saved tensors modified in place. Memory comes from the caching allocator, or from an
// external owner (a NumPy array, a DLPack capsule) kept alive by `owner`.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "axonite/core/allocator.h"

namespace ax {

class Storage {
 public:
  explicit Storage(size_t nbytes) : data_(allocator::allocate(nbytes)), nbytes_(nbytes) {}
  Storage(void* data, size_t nbytes, std::shared_ptr<void> owner)
      : data_(data), nbytes_(nbytes), owner_(std::move(owner)) {}
  ~Storage() {
    if (!owner_) allocator::release(data_, nbytes_);
  }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  bool is_external() const { return owner_ != nullptr; }
  uint32_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void* data_;
  size_t nbytes_;
  std::shared_ptr<void> owner_;
  std::atomic<uint32_t> version_{0};
};

}  // namespace ax
