// Binary elementwise ops: promotion, broadcasting, the strided kernel call, and each op's
// backward beside its forward. In-place variants and dtype conversion/copies live here too.
#include "axonite/ops/elementwise.h"

#include "axonite/autograd/copy_slices.h"
#include "axonite/autograd/record.h"
#include "axonite/kernels/cpu/loops.h"
#include "axonite/ops/broadcast.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/unary.h"

namespace ax {
namespace {

using cpu::BinaryOp;

// Byte strides of `t` viewed at the broadcast shape `shape` (0 on broadcast dims).
Dims broadcast_byte_strides(const Tensor& t, const Dims& shape) {
  const int n = shape.size(), off = n - t.dim();
  const int64_t es = static_cast<int64_t>(itemsize(t.dtype()));
  Dims st(n);
  for (int i = 0; i < n; ++i) {
    const int j = i - off;
    st[i] = (j < 0 || t.sizes()[j] == 1) ? 0 : t.strides()[j] * es;
  }
  return st;
}

int tier(const Tensor& t) { return t.impl()->is_wrapped_number ? 0 : t.dim() == 0 ? 1 : 2; }

// What a backward needs to know about an input without keeping its data alive.
struct Meta {
  bool requires_grad;
  Dims sizes;
  DType dtype;
};
Meta meta(const Tensor& t) { return Meta{t.requires_grad(), t.sizes(), t.dtype()}; }

// Sums a gradient down to an input's shape and dtype (undefined when it needs no grad).
Tensor grad_for(const Tensor& g, const Meta& input) {
  if (!input.requires_grad) return Tensor();
  return to_dtype(sum_to(g, input.sizes), input.dtype);
}

}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  const int ta = tier(a), tb = tier(b);
  if (ta == tb) return promote_types(a.dtype(), b.dtype());
  const Tensor& hi = ta > tb ? a : b;
  const Tensor& lo = ta > tb ? b : a;
  if (category(lo.dtype()) <= category(hi.dtype())) return hi.dtype();
  // A higher category from a lower tier: wrapped floats become the default float dtype.
  if (lo.impl()->is_wrapped_number) return category(lo.dtype()) == 2 ? kDefaultFloat : DType::Int64;
  return lo.dtype();
}

namespace detail {

void cast_into(const Tensor& dst, const Tensor& src) {
  const Dims& shape = dst.sizes();
  broadcast_shapes(src.sizes(), shape, "copy_");
  Dims ds = broadcast_byte_strides(dst, shape), ss = broadcast_byte_strides(src, shape);
  cpu::UnaryKernel k = cpu::cast_kernel(dst.dtype(), src.dtype());
  cpu::loop_nd<2>(shape, {static_cast<char*>(dst.raw_data()), static_cast<char*>(src.raw_data())},
                  {ds.data(), ss.data()},
                  [k](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t n) {
                    k(p[0], p[1], n, s[0], s[1]);
                  });
}

// out = k(a, b) elementwise at out's shape (a and b already in the compute dtype and
// broadcastable to it).
static void binary_into(cpu::BinaryKernel k, const Tensor& out, const Tensor& a, const Tensor& b) {
  const Dims& shape = out.sizes();
  if (a.sizes() == shape && b.sizes() == shape && out.is_contiguous() && a.is_contiguous() &&
      b.is_contiguous()) {
    // Fast path: same shape, all contiguous (the tiny-op and large-array common case).
    const int64_t n = out.numel(), es = itemsize(a.dtype()), eo = itemsize(out.dtype());
    char* o = static_cast<char*>(out.raw_data());
    const char* x = static_cast<const char*>(a.raw_data());
    const char* y = static_cast<const char*>(b.raw_data());
    parallel_for(0, n, cpu::kElementwiseGrain, [&](int64_t s, int64_t e) {
      k(o + s * eo, x + s * es, y + s * es, e - s, eo, es, es);
    });
    return;
  }
  Dims os = broadcast_byte_strides(out, shape), as = broadcast_byte_strides(a, shape),
       bs = broadcast_byte_strides(b, shape);
  cpu::loop_nd<3>(shape,
                  {static_cast<char*>(out.raw_data()), static_cast<char*>(a.raw_data()),
                   static_cast<char*>(b.raw_data())},
                  {os.data(), as.data(), bs.data()},
                  [k](std::array<char*, 3> p, std::array<int64_t, 3> s, int64_t n) {
                    k(p[0], p[1], p[2], n, s[0], s[1], s[2]);
                  });
}

Tensor binary_raw(BinaryOp op, const Tensor& a0, const Tensor& b0, DType compute, DType out_dtype,
                  const char* name) {
  cpu::BinaryKernel k = cpu::binary_kernel(op, compute);
  AXONITE_CHECK(k != nullptr, TypeError, name, ": not supported for dtypes ",
                dtype_name(a0.dtype()), " and ", dtype_name(b0.dtype()));
  const Tensor a = a0.dtype() == compute ? a0 : to_dtype(a0.detach(), compute);
  const Tensor b = b0.dtype() == compute ? b0 : to_dtype(b0.detach(), compute);
  const Dims shape =
      a.sizes() == b.sizes() ? a.sizes() : broadcast_shapes(a.sizes(), b.sizes(), name);
  Tensor out = Tensor::empty(shape, out_dtype);
  binary_into(k, out, a, b);
  return out;
}

Tensor unary_raw(cpu::UnaryOp op, const Tensor& x, const char* name) {
  cpu::UnaryKernel k = cpu::unary_kernel(op, x.dtype());
  AXONITE_CHECK(k != nullptr, TypeError, name, ": not supported for dtype ", dtype_name(x.dtype()));
  Tensor out = Tensor::empty(x.sizes(), x.dtype());
  const int64_t es = itemsize(x.dtype());
  if (x.is_contiguous()) {
    char* o = static_cast<char*>(out.raw_data());
    const char* a = static_cast<const char*>(x.raw_data());
    parallel_for(0, x.numel(), cpu::kElementwiseGrain,
                 [&](int64_t s, int64_t e) { k(o + s * es, a + s * es, e - s, es, es); });
    return out;
  }
  Dims os = broadcast_byte_strides(out, x.sizes()), xs = broadcast_byte_strides(x, x.sizes());
  cpu::loop_nd<2>(x.sizes(), {static_cast<char*>(out.raw_data()), static_cast<char*>(x.raw_data())},
                  {os.data(), xs.data()},
                  [k](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t n) {
                    k(p[0], p[1], n, s[0], s[1]);
                  });
  return out;
}

// Note [In-place ops]
// Under autograd an in-place op is computed out of place (recording its node as usual), the
// result is copied into self's storage, and self adopts the result's grad_fn; a view's base
// adopts a CopySlices node instead (Note [View + in-place] in autograd/copy_slices.h). Saved
// tensors that alias self see the version bump, so a backward that needs overwritten values
// raises; ops whose backward needs self's old values compute on a snapshot of it instead.
void rebase_history(const Tensor& self, const Tensor& result) {
  TensorImpl* s = self.impl();
  if (s->view_base != nullptr) {
    autograd::rebase_view_history(self, result);
    return;
  }
  s->grad_fn = result.grad_fn();
  s->output_nr = result.output_nr();
  s->requires_grad = result.requires_grad();
}

Tensor snapshot(const Tensor& t) {
  const bool rg = t.requires_grad();  // also brings a view's history up to date
  TensorImpl* ti = t.impl();
  if (rg && ti->grad_fn == nullptr) return t;  // a leaf: in-place ops on it are refused anyway
  Tensor c = Tensor::empty(t.sizes(), t.dtype());
  cast_into(c, t);
  if (rg) {
    c.impl()->grad_fn = ti->grad_fn;
    c.impl()->output_nr = ti->output_nr;
    c.impl()->requires_grad = true;
  }
  return c;
}

void check_inplace(const Tensor& self, const Tensor& other, const char* name) {
  const Dims &sz = self.sizes(), &st = self.strides();
  for (int d = 0; d < sz.size(); ++d)
    AXONITE_CHECK(sz[d] <= 1 || st[d] != 0, RuntimeError, name,
                  ": unsupported operation: more than one element of the written-to tensor "
                  "refers to a single memory location. Please clone() the tensor before "
                  "performing the operation.");
  if (!autograd::grad_enabled()) return;
  const TensorImpl* s = self.impl();
  if (s->view_base != nullptr) {
    const TensorImpl* b = s->view_base.get();
    AXONITE_CHECK(!(b->requires_grad && b->grad_fn == nullptr), RuntimeError, name,
                  ": a view of a leaf Variable that requires grad is being used in an in-place "
                  "operation.");
    AXONITE_CHECK(
        s->view_grad_mode || !(b->requires_grad || (other.defined() && other.requires_grad())),
        RuntimeError, name,
        ": A view was created in no_grad mode and is being modified inplace with grad "
        "mode enabled. Given that this use case is ambiguous and error-prone, it is "
        "forbidden. You can clarify your code by moving both the view and the inplace "
        "either both inside the no_grad block (if you don't want the inplace to be "
        "tracked) or both outside (if you want the inplace to be tracked).");
  }
  AXONITE_CHECK(!(self.is_leaf() && self.requires_grad()), RuntimeError, name,
                ": a leaf Variable that requires grad is being used in an in-place operation.");
}

}  // namespace detail

using detail::binary_raw;

// ---- arithmetic ----------------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  const DType dt = result_type(a, b);
  Tensor y = binary_raw(BinaryOp::Add, a, b, dt, dt, "add");
  if (autograd::any_needs_grad({a, b})) {
    autograd::record("AddBackward0", {a, b}, y, [a = meta(a), b = meta(b)](const Tensor& g) {
      return TensorList{grad_for(g, a), grad_for(g, b)};
    });
  }
  return y;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  const DType dt = result_type(a, b);
  AXONITE_CHECK(dt != DType::Bool, TypeError,
                "sub: subtraction with two bool tensors is not supported; use logical_xor");
  Tensor y = binary_raw(BinaryOp::Sub, a, b, dt, dt, "sub");
  if (autograd::any_needs_grad({a, b})) {
    autograd::record("SubBackward0", {a, b}, y, [a = meta(a), b = meta(b)](const Tensor& g) {
      return TensorList{grad_for(g, a), b.requires_grad ? grad_for(neg(g), b) : Tensor()};
    });
  }
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  const DType dt = result_type(a, b);
  Tensor y = binary_raw(dt == DType::Bool ? BinaryOp::BitAnd : BinaryOp::Mul, a, b, dt, dt, "mul");
  if (autograd::any_needs_grad({a, b})) {
    autograd::SavedTensor sa(a, false), sb(b, false);
    autograd::record(
        "MulBackward0", {a, b}, y, [a = meta(a), b = meta(b), sa, sb](const Tensor& g) {
          return TensorList{a.requires_grad ? grad_for(mul(g, sb.unpack()), a) : Tensor(),
                            b.requires_grad ? grad_for(mul(g, sa.unpack()), b) : Tensor()};
        });
  }
  return y;
}

Tensor div(const Tensor& a, const Tensor& b) {
  DType dt = result_type(a, b);
  if (!is_floating(dt)) dt = kDefaultFloat;
  Tensor y = binary_raw(BinaryOp::Div, a, b, dt, dt, "div");
  if (autograd::any_needs_grad({a, b})) {
    autograd::SavedTensor sa(a, false), sb(b, false);
    autograd::record(
        "DivBackward0", {a, b}, y, [a = meta(a), b = meta(b), sa, sb](const Tensor& g) {
          Tensor bv = sb.unpack();
          Tensor ga = a.requires_grad ? grad_for(div(g, bv), a) : Tensor();
          Tensor gb =
              b.requires_grad ? grad_for(neg(div(mul(g, sa.unpack()), mul(bv, bv))), b) : Tensor();
          return TensorList{ga, gb};
        });
  }
  return y;
}

static void check_int_divisor(const Tensor& b, DType dt, const char* name) {
  if (is_floating(dt)) return;
  Tensor zero = eq(b, scalar_tensor_int(0, true));
  const bool* z = zero.data<bool>();
  for (int64_t i = 0; i < zero.numel(); ++i)
    AXONITE_CHECK(!z[i], RuntimeError, name, ": ZeroDivisionError (integer division by zero)");
}

Tensor floor_divide(const Tensor& a, const Tensor& b) {
  const DType dt = result_type(a, b);
  AXONITE_CHECK(dt != DType::Bool, TypeError, "floor_divide: not supported for bool tensors");
  check_int_divisor(b, dt, "floor_divide");
  // Piecewise constant: the gradient is zero almost everywhere, as in PyTorch.
  Tensor y = binary_raw(BinaryOp::FloorDiv, a, b, dt, dt, "floor_divide");
  if (autograd::any_needs_grad({a, b})) {
    autograd::record("FloorDivideBackward0", {a, b}, y,
                     [a = meta(a), b = meta(b)](const Tensor& g) {
                       Tensor z = zeros_like(g);
                       return TensorList{grad_for(z, a), grad_for(z, b)};
                     });
  }
  return y;
}

Tensor remainder(const Tensor& a, const Tensor& b) {
  const DType dt = result_type(a, b);
  AXONITE_CHECK(dt != DType::Bool, TypeError, "remainder: not supported for bool tensors");
  check_int_divisor(b, dt, "remainder");
  Tensor y = binary_raw(BinaryOp::Rem, a, b, dt, dt, "remainder");
  if (autograd::any_needs_grad({a, b})) {
    autograd::SavedTensor sa(a, false), sb(b, false);
    autograd::record("RemainderBackward0", {a, b}, y,
                     [a = meta(a), b = meta(b), sa, sb](const Tensor& g) {
                       Tensor gb;
                       if (b.requires_grad)
                         gb = grad_for(neg(mul(g, floor_divide(sa.unpack(), sb.unpack()))), b);
                       return TensorList{grad_for(g, a), gb};
                     });
  }
  return y;
}

Tensor pow(const Tensor& a, const Tensor& b) {
  const DType dt = result_type(a, b);
  if (dt == DType::Int64) {
    Tensor neg_exp = lt(b, scalar_tensor_int(0, true));
    const bool* p = neg_exp.data<bool>();
    for (int64_t i = 0; i < neg_exp.numel(); ++i)
      AXONITE_CHECK(!p[i], RuntimeError,
                    "pow: integers to negative integer powers are not allowed");
  }
  Tensor y = binary_raw(BinaryOp::Pow, a, b, dt, dt, "pow");
  if (autograd::any_needs_grad({a, b})) {
    autograd::SavedTensor sa(a, false), sb(b, false), sy(y, true);
    autograd::record("PowBackward1", {a, b}, y,
                     [a = meta(a), b = meta(b), sa, sb, sy](const Tensor& g) {
                       Tensor av = sa.unpack(), bv = sb.unpack();
                       Tensor ga, gb;
                       if (a.requires_grad) {
                         // d/da a^b = b * a^(b-1); zero where b == 0 (PyTorch's convention at a ==
                         // 0).
                         Tensor one = scalar_tensor(1.0, bv.dtype(), true);
                         Tensor d = mul(bv, pow(av, sub(bv, one)));
                         d = where(eq(bv, scalar_tensor(0.0, bv.dtype(), true)), zeros_like(d), d);
                         ga = grad_for(mul(g, d), a);
                       }
                       if (b.requires_grad) {
                         // d/db a^b = a^b * log(a); defined as 0 where a == 0 and b >= 0.
                         Tensor d = mul(sy.unpack(), log(av));
                         Tensor mask = bitwise_and(eq(av, scalar_tensor(0.0, av.dtype(), true)),
                                                   ge(bv, scalar_tensor(0.0, bv.dtype(), true)));
                         d = where(mask, zeros_like(d), d);
                         gb = grad_for(mul(g, d), b);
                       }
                       return TensorList{ga, gb};
                     });
  }
  return y;
}

static Tensor min_max(BinaryOp op, const Tensor& a, const Tensor& b, const char* name,
                      const char* node) {
  const DType dt = result_type(a, b);
  Tensor y = binary_raw(op, a, b, dt, dt, name);
  if (autograd::any_needs_grad({a, b})) {
    autograd::SavedTensor sa(a, false), sb(b, false);
    const bool is_max = op == BinaryOp::Maximum;
    autograd::record(node, {a, b}, y, [a = meta(a), b = meta(b), sa, sb, is_max](const Tensor& g) {
      // Ties split the gradient evenly, as in PyTorch.
      Tensor av = sa.unpack(), bv = sb.unpack();
      Tensor half = mul(g, scalar_tensor(0.5, g.dtype(), true));
      Tensor zero = zeros_like(g);
      Tensor tie = eq(av, bv);
      Tensor a_wins = is_max ? gt(av, bv) : lt(av, bv);
      Tensor ga = where(tie, half, where(a_wins, g, zero));
      Tensor gb = where(tie, half, where(a_wins, zero, g));
      return TensorList{grad_for(ga, a), grad_for(gb, b)};
    });
  }
  return y;
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  return min_max(BinaryOp::Maximum, a, b, "maximum", "MaximumBackward0");
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return min_max(BinaryOp::Minimum, a, b, "minimum", "MinimumBackward0");
}

// ---- comparisons and bitwise (no gradient) --------------------------------------------------

static Tensor compare(BinaryOp op, const Tensor& a, const Tensor& b, const char* name) {
  return binary_raw(op, a, b, result_type(a, b), DType::Bool, name);
}
Tensor eq(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Eq, a, b, "eq"); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Ne, a, b, "ne"); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Lt, a, b, "lt"); }
Tensor le(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Le, a, b, "le"); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Gt, a, b, "gt"); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Ge, a, b, "ge"); }

static Tensor bitwise(BinaryOp op, const Tensor& a, const Tensor& b, const char* name) {
  const DType dt = result_type(a, b);
  AXONITE_CHECK(!is_floating(dt), TypeError, name,
                ": only bool and integer tensors are supported, got ", dtype_name(a.dtype()),
                " and ", dtype_name(b.dtype()));
  return binary_raw(op, a, b, dt, dt, name);
}
Tensor bitwise_and(const Tensor& a, const Tensor& b) {
  return bitwise(BinaryOp::BitAnd, a, b, "bitwise_and");
}
Tensor bitwise_or(const Tensor& a, const Tensor& b) {
  return bitwise(BinaryOp::BitOr, a, b, "bitwise_or");
}
Tensor bitwise_xor(const Tensor& a, const Tensor& b) {
  return bitwise(BinaryOp::BitXor, a, b, "bitwise_xor");
}
Tensor logical_not(const Tensor& a) {
  if (a.dtype() == DType::Bool)
    return detail::unary_raw(cpu::UnaryOp::LogicalNot, a, "logical_not");
  return eq(a, scalar_tensor_int(0, true));
}

// ---- where ------------------------------------------------------------------------------

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  AXONITE_CHECK(cond.dtype() == DType::Bool, TypeError,
                "where: expected condition to be a bool tensor, got ", dtype_name(cond.dtype()));
  const DType dt = result_type(a, b);
  const Dims shape =
      broadcast_shapes(broadcast_shapes(cond.sizes(), a.sizes(), "where"), b.sizes(), "where");
  const Tensor ac = a.dtype() == dt ? a : to_dtype(a.detach(), dt);
  const Tensor bc = b.dtype() == dt ? b : to_dtype(b.detach(), dt);
  Tensor y = Tensor::empty(shape, dt);
  Dims ys = broadcast_byte_strides(y, shape), cs = broadcast_byte_strides(cond, shape),
       as = broadcast_byte_strides(ac, shape), bs = broadcast_byte_strides(bc, shape);
  dispatch(dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::loop_nd<4>(shape,
                    {static_cast<char*>(y.raw_data()), static_cast<char*>(cond.raw_data()),
                     static_cast<char*>(ac.raw_data()), static_cast<char*>(bc.raw_data())},
                    {ys.data(), cs.data(), as.data(), bs.data()},
                    [](std::array<char*, 4> p, std::array<int64_t, 4> s, int64_t n) {
                      for (int64_t i = 0; i < n; ++i)
                        *reinterpret_cast<T*>(p[0] + i * s[0]) =
                            *reinterpret_cast<const bool*>(p[1] + i * s[1])
                                ? *reinterpret_cast<const T*>(p[2] + i * s[2])
                                : *reinterpret_cast<const T*>(p[3] + i * s[3]);
                    });
  });
  if (autograd::any_needs_grad({a, b})) {
    autograd::record(
        "WhereBackward0", {a, b}, y, [cond, a = meta(a), b = meta(b)](const Tensor& g) {
          Tensor z = zeros_like(g);
          return TensorList{a.requires_grad ? grad_for(where(cond, g, z), a) : Tensor(),
                            b.requires_grad ? grad_for(where(cond, z, g), b) : Tensor()};
        });
  }
  return y;
}

// ---- in-place -------------------------------------------------------------------------------

// True when `other` may be read while self is written element by element: it does not share
// self's storage, or it is exactly self (x.add_(x)).
static bool safe_to_stream(const Tensor& self, const Tensor& other) {
  return other.storage() != self.storage() ||
         (other.offset() == self.offset() && other.sizes() == self.sizes() &&
          other.strides() == self.strides());
}

// keeps_self: op's backward reads self's old value when `other` requires grad (and, for pow,
// when self does), so under autograd it runs on a snapshot that the write cannot change.
// direct: the kernel of op; without autograd and with nothing to convert, it writes straight
// into self instead of computing out of place and copying back (a gradient accumulation or an
// optimizer-style update then reads and writes each element once).
template <class F>
static Tensor inplace(const Tensor& self, const Tensor& other, const char* name, F op,
                      bool keeps_self = false, bool pow_like = false,
                      const BinaryOp* direct = nullptr) {
  const DType dt = result_type(self, other);
  AXONITE_CHECK(category(dt) <= category(self.dtype()), TypeError, name, ": result type ",
                dtype_name(dt), " can't be cast to the desired output type ",
                dtype_name(self.dtype()));
  const Dims shape = broadcast_shapes(self.sizes(), other.sizes(), name);
  AXONITE_CHECK(shape == self.sizes(), ValueError, name, ": output with shape ",
                shape_str(self.sizes()), " doesn't match the broadcast shape ", shape_str(shape));
  detail::check_inplace(self, other, name);
  const bool grad = autograd::any_needs_grad({self, other});
  if (direct != nullptr && !grad && is_floating(dt) && self.dtype() == dt && other.dtype() == dt &&
      safe_to_stream(self, other)) {
    detail::binary_into(cpu::binary_kernel(*direct, dt), self, self, other);
    self.bump_version();
    return self;
  }
  Tensor a = grad ? self : self.detach(), b = grad ? other : other.detach();
  if (grad && ((keeps_self && other.requires_grad()) || (pow_like && self.requires_grad())))
    a = detail::snapshot(self);
  // A saved `other` that shares self's storage would see the version bump too.
  if (grad && (keeps_self || pow_like) && other.storage() == self.storage())
    b = detail::snapshot(other);
  Tensor r = op(a, b);
  detail::cast_into(self, r);
  self.bump_version();
  if (grad) detail::rebase_history(self, r);
  return self;
}

Tensor add_(const Tensor& s, const Tensor& o) {
  static constexpr BinaryOp k = BinaryOp::Add;
  return inplace(s, o, "add_", add, false, false, &k);
}
Tensor sub_(const Tensor& s, const Tensor& o) {
  static constexpr BinaryOp k = BinaryOp::Sub;
  return inplace(s, o, "sub_", sub, false, false, &k);
}
Tensor mul_(const Tensor& s, const Tensor& o) {
  static constexpr BinaryOp k = BinaryOp::Mul;
  return inplace(s, o, "mul_", mul, true, false, &k);
}
Tensor div_(const Tensor& s, const Tensor& o) {
  static constexpr BinaryOp k = BinaryOp::Div;
  return inplace(s, o, "div_", div, true, false, &k);
}
Tensor floor_divide_(const Tensor& s, const Tensor& o) {
  return inplace(s, o, "floor_divide_", floor_divide);
}
Tensor remainder_(const Tensor& s, const Tensor& o) {
  return inplace(s, o, "remainder_", remainder, true);
}
Tensor pow_(const Tensor& s, const Tensor& o) {
  return inplace(s, o, "pow_", static_cast<Tensor (*)(const Tensor&, const Tensor&)>(pow), true,
                 true);
}

// ---- conversion and copies --------------------------------------------------------------

Tensor to_dtype(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  Tensor y = Tensor::empty(t.sizes(), dtype);
  detail::cast_into(y, t);
  if (autograd::needs_grad(t) && is_floating(dtype)) {
    const DType src = t.dtype();
    autograd::record("ToCopyBackward0", {t}, y,
                     [src](const Tensor& g) { return TensorList{to_dtype(g, src)}; });
  }
  return y;
}

Tensor clone(const Tensor& t) {
  Tensor y = Tensor::empty(t.sizes(), t.dtype());
  detail::cast_into(y, t);
  if (autograd::needs_grad(t))
    autograd::record("CloneBackward0", {t}, y, [](const Tensor& g) { return TensorList{g}; });
  return y;
}

Tensor contiguous(const Tensor& t) { return t.is_contiguous() ? t : clone(t); }

Tensor contiguous_values(const Tensor& t) {
  return t.defined() ? contiguous(t.detach()) : Tensor();
}

Tensor copy_(const Tensor& dst, const Tensor& src) {
  broadcast_shapes(src.sizes(), dst.sizes(), "copy_");
  detail::check_inplace(dst, src, "copy_");
  const bool grad = autograd::any_needs_grad({dst, src});
  detail::cast_into(dst, src);
  dst.bump_version();
  if (grad) {
    // dst's old values are overwritten, so only src receives gradient. `r` is a handle on
    // dst's storage that carries the new node until dst adopts it.
    Tensor r = dst.detach();
    autograd::record("CopyBackwards", {dst, src}, r, [s = meta(src)](const Tensor& g) {
      return TensorList{zeros_like(g), grad_for(g, s)};
    });
    detail::rebase_history(dst, r);
  }
  return dst;
}

bool all_finite(const Tensor& t) {
  if (!is_floating(t.dtype())) return true;
  Tensor c = contiguous(t.detach());
  if (c.dtype() == DType::Float32) return cpu::all_finite_f32(c.data<float>(), c.numel());
  return cpu::all_finite_f64(c.data<double>(), c.numel());
}

}  // namespace ax
