// Tensor construction, contiguity, detach/view handles and scalar access.
#include "axonite/tensor/tensor.h"

#include <sys/sysinfo.h>

#include <cstdint>
#include <limits>
#include <sstream>

#include "axonite/autograd/grad_mode.h"
#include "axonite/autograd/node.h"

namespace ax {

std::string shape_str(const Dims& s) {
  std::ostringstream os;
  os << "[";
  for (int i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << "]";
  return os.str();
}

Dims broadcast_shapes(const Dims& a, const Dims& b, const char* op) {
  const int n = a.size() > b.size() ? a.size() : b.size();
  Dims out(n);
  for (int i = 0; i < n; ++i) {
    const int ia = a.size() - n + i, ib = b.size() - n + i;
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    AXONITE_CHECK(da == db || da == 1 || db == 1, ValueError, op, ": shapes ", shape_str(a),
                  " and ", shape_str(b), " are not broadcastable (size ", da, " vs ", db,
                  " at dimension ", i, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {

// RAM + swap in bytes, read once: the most a single allocation could ever get.
uint64_t memory_limit_bytes() {
  static const uint64_t limit = [] {
    struct sysinfo si{};
    if (sysinfo(&si) != 0) return std::numeric_limits<uint64_t>::max();
    return (static_cast<uint64_t>(si.totalram) + si.totalswap) * si.mem_unit;
  }();
  return limit;
}

}  // namespace

int64_t checked_numel(const Dims& sizes, const char* op) {
  int64_t n = 1;
  bool overflow = false, zero = false;
  for (int64_t s : sizes) {
    AXONITE_CHECK(s >= 0, ValueError, op, ": negative dimension in shape ", shape_str(sizes));
    zero = zero || s == 0;
    overflow = overflow || __builtin_mul_overflow(n, s, &n);
  }
  if (zero) return 0;
  AXONITE_CHECK(!overflow, RuntimeError, op, ": size ", shape_str(sizes),
                " is too large: it has more than 2**63 elements and needs more than 2**63 bytes");
  return n;
}

size_t checked_nbytes(const Dims& sizes, size_t itemsize, const char* op) {
  const int64_t n = checked_numel(sizes, op);
  int64_t bytes = 0;
  AXONITE_CHECK(!__builtin_mul_overflow(n, static_cast<int64_t>(itemsize), &bytes), RuntimeError,
                op, ": size ", shape_str(sizes), " is too large: it needs more than 2**63 bytes");
  AXONITE_CHECK(static_cast<uint64_t>(bytes) <= memory_limit_bytes(), RuntimeError, op, ": size ",
                shape_str(sizes), " is too large: it needs ", bytes,
                " bytes, more than this machine's memory (", memory_limit_bytes(),
                " bytes of RAM and swap)");
  return static_cast<size_t>(bytes);
}

Tensor Tensor::empty(const Dims& sizes, DType dtype) {
  const size_t nbytes = checked_nbytes(sizes, itemsize(dtype), "empty");
  const int64_t n = static_cast<int64_t>(nbytes / itemsize(dtype));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(nbytes);
  impl->sizes = sizes;
  impl->strides = contiguous_strides(sizes);
  impl->numel = n;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::from_storage(std::shared_ptr<Storage> storage, const Dims& sizes,
                            const Dims& strides, int64_t offset, DType dtype) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->sizes = sizes;
  impl->strides = strides;
  impl->offset = offset;
  impl->numel = checked_numel(sizes, "view");  // an expanded view can claim 2**64 elements
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int i = dim() - 1; i >= 0; --i) {
    const int64_t s = impl_->sizes[i];
    if (s == 1) continue;
    if (impl_->strides[i] != expected) return numel() == 0;
    expected *= s;
  }
  return true;
}

void Tensor::set_requires_grad(bool r) {
  if (r) {
    AXONITE_CHECK(is_floating(dtype()), RuntimeError,
                  "requires_grad_: only floating-point tensors can require gradients, got dtype ",
                  dtype_name(dtype()));
  } else {
    AXONITE_CHECK(is_leaf(), RuntimeError,
                  "requires_grad_: you can only change requires_grad flags of leaf tensors; "
                  "use detach() to get a tensor that does not require grad");
  }
  impl_->requires_grad = r;
}

Tensor Tensor::grad() const { return impl_->grad; }

void Tensor::set_grad(const Tensor& g) {
  if (g.defined()) {
    AXONITE_CHECK(g.sizes() == sizes(), ValueError, "grad: assigned grad has shape ",
                  shape_str(g.sizes()), " but the tensor has shape ", shape_str(sizes()));
    AXONITE_CHECK(g.dtype() == dtype(), TypeError, "grad: assigned grad has dtype ",
                  dtype_name(g.dtype()), " but the tensor has dtype ", dtype_name(dtype()));
  }
  impl_->grad = g;
}

Tensor Tensor::detach() const {
  return from_storage(impl_->storage, impl_->sizes, impl_->strides, impl_->offset, impl_->dtype);
}

Tensor Tensor::as_strided_view(const Dims& sizes, const Dims& strides, int64_t offset) const {
  Tensor v = from_storage(impl_->storage, sizes, strides, offset, impl_->dtype);
  v.impl_->view_base = impl_->view_base ? impl_->view_base : impl_;
  v.impl_->view_version = impl_->storage->version();
  v.impl_->view_grad_mode = autograd::grad_enabled();
  return v;
}

double Tensor::item() const {
  AXONITE_CHECK(numel() == 1, ValueError, "item: a Tensor with ", numel(),
                " elements cannot be converted to a Python scalar (shape ", shape_str(sizes()),
                ")");
  return dispatch(dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    return static_cast<double>(*data<T>());
  });
}

}  // namespace ax
