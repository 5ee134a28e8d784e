// Tensor: a cheap value handle (shared_ptr) to a TensorImpl, which is a strided view
// (sizes, strides, element offset, dtype) over a shared Storage plus its autograd state.
// Ops live in axonite/ops; this file only holds the type, accessors and view construction.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "axonite/core/check.h"
#include "axonite/core/dtype.h"
#include "axonite/core/shape.h"
#include "axonite/tensor/storage.h"

namespace ax {

class TensorImpl;

namespace autograd {
class Node;
// Brings a view's grad_fn up to date with its base's history once the storage version has moved
// (Note [View + in-place] in autograd/copy_slices.h). The accessors below call it; it is
// defined in the autograd layer.
void refresh_view(TensorImpl* view);
}  // namespace autograd

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // A new contiguous tensor with uninitialized contents (memory from the caching allocator).
  static Tensor empty(const Dims& sizes, DType dtype = kDefaultFloat);
  // A view over existing storage.
  static Tensor from_storage(std::shared_ptr<Storage> storage, const Dims& sizes,
                             const Dims& strides, int64_t offset, DType dtype);

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

  inline const Dims& sizes() const;
  inline const Dims& strides() const;
  inline int64_t size(int64_t dim) const;
  inline int64_t stride(int64_t dim) const;
  inline int dim() const;
  inline int64_t numel() const;
  inline DType dtype() const;
  inline int64_t offset() const;
  inline const std::shared_ptr<Storage>& storage() const;
  inline void* raw_data() const;  // pointer to element 0 of this view
  template <class T>
  T* data() const {
    return static_cast<T*>(raw_data());
  }
  // data<T>(), or null for an undefined tensor (an optional operand: a bias, an initial state).
  template <class T>
  T* data_or_null() const {
    return defined() ? data<T>() : nullptr;
  }
  bool is_contiguous() const;

  // Autograd state.
  inline bool requires_grad() const;
  void set_requires_grad(bool r);
  inline bool is_leaf() const;
  inline const std::shared_ptr<autograd::Node>& grad_fn() const;
  inline uint32_t output_nr() const;
  Tensor grad() const;
  void set_grad(const Tensor& g);
  inline uint32_t version() const;
  inline void bump_version() const;

  // A new handle sharing storage and (sizes, strides, offset) but with no autograd history.
  Tensor detach() const;
  // A view with new geometry over the same storage, no autograd history (ops add it).
  Tensor as_strided_view(const Dims& sizes, const Dims& strides, int64_t offset) const;

  // Scalar access for 1-element tensors, converted to double (ValueError otherwise).
  double item() const;

 private:
  // A view whose storage was written since its history was last made current regenerates it.
  inline void sync_view() const;

  std::shared_ptr<TensorImpl> impl_;
};

using TensorList = std::vector<Tensor>;
// Called with a gradient; returns a replacement gradient or an undefined Tensor to keep it.
using TensorHook = std::function<Tensor(const Tensor&)>;

class TensorImpl {
 public:
  std::shared_ptr<Storage> storage;
  Dims sizes;
  Dims strides;
  int64_t offset = 0;  // in elements
  int64_t numel = 0;
  DType dtype = kDefaultFloat;

  // Autograd. A leaf has no grad_fn; a non-leaf's gradient flows into grad_fn's input output_nr.
  bool requires_grad = false;
  bool retains_grad = false;
  bool is_wrapped_number = false;  // a Python scalar turned into a 0-d tensor (promotion rules)
  uint32_t output_nr = 0;
  Tensor grad;
  std::shared_ptr<autograd::Node> grad_fn;
  std::weak_ptr<autograd::Node> grad_accumulator;  // leaves: shared AccumulateGrad node
  std::vector<TensorHook> hooks;                   // leaves: run before accumulation
  std::shared_ptr<TensorImpl> view_base;           // set on views: the tensor they look into
  // Views only (Note [View + in-place]): the storage version at which grad_fn was last known to
  // match the base's history, and whether the view was made in grad mode (views made under
  // no_grad never get a history from their base).
  uint32_t view_version = 0;
  bool view_grad_mode = true;
  live::TensorCounter counted;  // ax.memory_stats()["live_tensors"]
};

inline const Dims& Tensor::sizes() const { return impl_->sizes; }
inline const Dims& Tensor::strides() const { return impl_->strides; }
inline int Tensor::dim() const { return impl_->sizes.size(); }
inline int64_t Tensor::size(int64_t d) const { return impl_->sizes[wrap_dim(d, dim(), "size")]; }
inline int64_t Tensor::stride(int64_t d) const {
  return impl_->strides[wrap_dim(d, dim(), "stride")];
}
inline int64_t Tensor::numel() const { return impl_->numel; }
inline DType Tensor::dtype() const { return impl_->dtype; }
inline int64_t Tensor::offset() const { return impl_->offset; }
inline const std::shared_ptr<Storage>& Tensor::storage() const { return impl_->storage; }
inline void* Tensor::raw_data() const {
  return static_cast<char*>(impl_->storage->data()) +
         impl_->offset * static_cast<int64_t>(itemsize(impl_->dtype));
}
inline void Tensor::sync_view() const {
  const TensorImpl* i = impl_.get();
  if (i->view_base != nullptr && i->view_version != i->storage->version())
    autograd::refresh_view(impl_.get());
}
inline bool Tensor::requires_grad() const {
  sync_view();
  return impl_->requires_grad;
}
inline bool Tensor::is_leaf() const {
  sync_view();
  return impl_->grad_fn == nullptr;
}
inline const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const {
  sync_view();
  return impl_->grad_fn;
}
inline uint32_t Tensor::output_nr() const {
  sync_view();
  return impl_->output_nr;
}
inline uint32_t Tensor::version() const { return impl_->storage->version(); }
inline void Tensor::bump_version() const { impl_->storage->bump_version(); }

}  // namespace ax
