// Dims: a fixed-capacity inline vector of int64 used for sizes and strides (no heap traffic on
// the tiny-op path), plus shape helpers: numel, contiguous strides, broadcasting, dim wrapping.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "axonite/core/check.h"

namespace ax {

inline constexpr int kMaxDims = 16;

class Dims {
 public:
  Dims() = default;
  explicit Dims(int n, int64_t fill = 0) { resize(n, fill); }
  Dims(std::initializer_list<int64_t> v) { assign(v.begin(), v.end()); }
  Dims(const std::vector<int64_t>& v) { assign(v.data(), v.data() + v.size()); }  // NOLINT
  template <class It>
  void assign(It b, It e) {
    n_ = 0;
    for (; b != e; ++b) push_back(*b);
  }
  void push_back(int64_t v) {
    AXONITE_CHECK(n_ < kMaxDims, ValueError, "tensors support at most ", kMaxDims, " dimensions");
    d_[n_++] = v;
  }
  void insert(int pos, int64_t v) {
    push_back(0);
    for (int i = n_ - 1; i > pos; --i) d_[i] = d_[i - 1];
    d_[pos] = v;
  }
  void erase(int pos) {
    for (int i = pos; i + 1 < n_; ++i) d_[i] = d_[i + 1];
    --n_;
  }
  void resize(int n, int64_t fill = 0) {
    AXONITE_CHECK(n >= 0 && n <= kMaxDims, ValueError, "tensors support at most ", kMaxDims,
                  " dimensions, got ", n);
    for (int i = n_; i < n; ++i) d_[i] = fill;
    n_ = static_cast<uint8_t>(n);
  }
  int size() const { return n_; }
  bool empty() const { return n_ == 0; }
  int64_t& operator[](int i) { return d_[i]; }
  int64_t operator[](int i) const { return d_[i]; }
  int64_t back() const { return d_[n_ - 1]; }
  const int64_t* data() const { return d_; }
  int64_t* data() { return d_; }
  const int64_t* begin() const { return d_; }
  const int64_t* end() const { return d_ + n_; }
  std::vector<int64_t> vec() const { return std::vector<int64_t>(d_, d_ + n_); }
  bool operator==(const Dims& o) const {
    if (n_ != o.n_) return false;
    for (int i = 0; i < n_; ++i)
      if (d_[i] != o.d_[i]) return false;
    return true;
  }
  bool operator!=(const Dims& o) const { return !(*this == o); }

 private:
  int64_t d_[kMaxDims] = {};
  uint8_t n_ = 0;
};

inline int64_t numel_of(const Dims& s) {
  int64_t n = 1;
  for (int64_t v : s) n *= v;
  return n;
}

// Note [Allocation size checks]: every shape that becomes an allocation passes through
// checked_nbytes (Tensor::empty does it; ops that build large side tables first, such as pooling
// maps, call it up front with their own name). A product of sizes that wraps around int64 would
// allocate a small buffer for a huge tensor, and kernels would write far outside it; a request
// beyond the machine's memory either fails late with a vague error or, with overcommit, hangs
// touching pages. Both are refused with a message naming `op` and the shape.

// Elements of a tensor of `sizes`: ValueError naming `op` for a negative size, RuntimeError when
// the product exceeds int64 (a zero size anywhere makes it 0, as in PyTorch).
int64_t checked_numel(const Dims& sizes, const char* op);

// Bytes of a contiguous tensor of `sizes` with `itemsize`-byte elements: checked_numel, then a
// RuntimeError naming `op` past 2**63 bytes or past the machine's RAM + swap.
size_t checked_nbytes(const Dims& sizes, size_t itemsize, const char* op);

inline Dims contiguous_strides(const Dims& sizes) {
  Dims st(sizes.size());
  int64_t acc = 1;
  for (int i = sizes.size() - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= sizes[i] > 1 ? sizes[i] : 1;
  }
  return st;
}

// "[2, 3]" as PyTorch prints shapes in messages.
std::string shape_str(const Dims& s);

// Broadcast two shapes with NumPy rules; `op` names the operation in the error.
Dims broadcast_shapes(const Dims& a, const Dims& b, const char* op);

// Wrap a possibly negative dim into [0, ndim); IndexError naming `op` when out of range.
inline int wrap_dim(int64_t dim, int ndim, const char* op) {
  const int64_t n = ndim > 0 ? ndim : 1;
  AXONITE_CHECK(dim >= -n && dim < n, IndexError, op,
                ": dimension out of range (expected to be in range of [", -n, ", ", n - 1,
                "], but got ", dim, ")");
  return static_cast<int>(dim < 0 ? dim + n : dim);
}

}  // namespace ax
