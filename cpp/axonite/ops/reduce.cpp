// Reductions: dim handling, dtype rules and errors, the kernel call, and each op's backward beside
// its forward (written with differentiable ops, so double backward works). Results never depend
// on the thread count: Note [Reduction order] in kernels/reduce.h.
#include "axonite/ops/reduce.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "axonite/autograd/record.h"
#include "axonite/kernels/reduce.h"
#include "axonite/ops/broadcast.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/unary.h"
#include "axonite/ops/views.h"

namespace ax {
namespace {

using cpu::ReduceMap;
using cpu::ReduceOp;

// Which dims a reduction folds, and the shapes it produces.
struct RDims {
  bool mask[kMaxDims] = {};
  Dims dims;          // the reduced dims, wrapped and sorted (all dims when none were given)
  Dims in;            // input shape
  Dims keep;          // keepdim result shape
  Dims out;           // result shape
  int64_t count = 1;  // elements folded into each output
  bool all = false;   // no dims were given
};

RDims make_rdims(const Tensor& x, const Dims& dims, bool keepdim, const char* op) {
  RDims r;
  const int n = x.dim();
  r.in = x.sizes();
  r.all = dims.empty();
  for (int64_t d : dims) {
    const int w = wrap_dim(d, n, op);
    if (n == 0) continue;  // a 0-d tensor accepts dim 0 / -1 and reduces nothing
    AXONITE_CHECK(!r.mask[w], RuntimeError, op, ": dim ", w,
                  " appears multiple times in the list of dims");
    r.mask[w] = true;
  }
  for (int i = 0; i < n; ++i) {
    if (r.all) r.mask[i] = true;
    if (r.mask[i]) {
      r.dims.push_back(i);
      r.count *= x.sizes()[i];
    }
  }
  r.keep = x.sizes();
  for (int i = 0; i < n; ++i)
    if (r.mask[i]) r.keep[i] = 1;
  if (keepdim) {
    r.out = r.keep;
  } else {
    for (int i = 0; i < n; ++i)
      if (!r.mask[i]) r.out.push_back(x.sizes()[i]);
  }
  return r;
}

// The kernel geometry of x; `src` becomes a contiguous copy of a large input whose layout no
// fast path covers (one copy beats a scalar strided walk).
cpu::ReduceGeom geometry(const Tensor& x, const RDims& rd, Tensor* src) {
  *src = x;
  cpu::ReduceGeom g = cpu::reduce_geometry(x.sizes(), x.strides(), rd.mask);
  if (g.kind == cpu::ReduceGeom::kGeneric && g.nred > 0 && x.numel() > cpu::kReduceBlock) {
    *src = clone(x.detach());
    g = cpu::reduce_geometry(src->sizes(), src->strides(), rd.mask);
  }
  return g;
}

// Runs a reduction kernel (no autograd): result of shape rd.out, contiguous, x's dtype.
// `shift` must be contiguous with one element per output.
Tensor reduce_raw(const Tensor& x, const RDims& rd, ReduceOp op, ReduceMap map = ReduceMap::None,
                  const Tensor& shift = Tensor(), double p = 2.0, double divisor = 1.0) {
  Tensor src;
  const cpu::ReduceGeom g = geometry(x, rd, &src);
  Tensor out = Tensor::empty(rd.out, x.dtype());
  cpu::ReduceArgs a;
  a.in = src.raw_data();
  a.out = out.raw_data();
  a.shift = shift.defined() ? shift.raw_data() : nullptr;
  a.p = p;
  a.divisor = divisor;
  cpu::reduce(op, map, x.dtype(), g, a);
  return out;
}

Tensor s(double v, DType dt) { return scalar_tensor(v, dt, true); }

// A gradient (or saved output) of the result's shape, broadcast back to the input's shape.
Tensor expand_back(const Tensor& g, const RDims& rd) { return expand(reshape(g, rd.keep), rd.in); }

bool any_true(const Tensor& b) {
  const Tensor c = contiguous(b);
  return std::memchr(c.raw_data(), 1, static_cast<size_t>(c.numel())) != nullptr;
}

void check_nonempty(const Tensor& x, const RDims& rd, const char* op) {
  if (x.numel() != 0) return;
  AXONITE_CHECK(!rd.all, RuntimeError, op,
                ": Expected reduction dim to be specified for input.numel() == 0. Specify the "
                "reduction dim with the 'dim' argument.");
  for (int64_t d : rd.dims)
    AXONITE_CHECK(x.sizes()[d] != 0, IndexError, op, ": Expected reduction dim ", d,
                  " to have non-zero size.");
}

// Sum-like ops convert the input to the result dtype first.
Tensor converted(const Tensor& x, DType dt, const char* op) {
  AXONITE_CHECK(dt != DType::Bool, TypeError, op, ": dtype bool is not supported for the result");
  return x.dtype() == dt ? x.detach() : to_dtype(x.detach(), dt);
}

DType sum_dtype(const Tensor& x, std::optional<DType> dtype) {
  return dtype ? *dtype : (is_floating(x.dtype()) ? x.dtype() : DType::Int64);
}

// Gradient cast back to the input dtype (sum(x, dtype=float64) of a float32 x).
Tensor back_to(const Tensor& g, DType dt) { return to_dtype(g, dt); }

}  // namespace

// ---- sum, mean, prod ------------------------------------------------------------------------

Tensor sum(const Tensor& x, const Dims& dims, bool keepdim, std::optional<DType> dtype) {
  const RDims rd = make_rdims(x, dims, keepdim, "sum");
  const DType dt = sum_dtype(x, dtype);
  Tensor y = reduce_raw(converted(x, dt, "sum"), rd, ReduceOp::Sum);
  if (autograd::needs_grad(x) && is_floating(dt)) {
    autograd::record(rd.all ? "SumBackward0" : "SumBackward1", {x}, y,
                     [rd, xdt = x.dtype()](const Tensor& g) {
                       return TensorList{back_to(expand_back(g, rd), xdt)};
                     });
  }
  return y;
}

Tensor mean(const Tensor& x, const Dims& dims, bool keepdim, std::optional<DType> dtype) {
  const DType dt = dtype ? *dtype : x.dtype();
  AXONITE_CHECK(is_floating(dt), RuntimeError, "mean(): could not infer output dtype. ",
                dtype ? "Optional" : "Input",
                " dtype must be either a floating point or complex dtype. Got: ", dtype_name(dt));
  const RDims rd = make_rdims(x, dims, keepdim, "mean");
  Tensor y = reduce_raw(converted(x, dt, "mean"), rd, ReduceOp::Sum, ReduceMap::None, Tensor(), 2.0,
                        static_cast<double>(rd.count));
  if (autograd::needs_grad(x)) {
    autograd::record(
        rd.all ? "MeanBackward0" : "MeanBackward1", {x}, y, [rd, xdt = x.dtype()](const Tensor& g) {
          Tensor ge = div(expand_back(g, rd), s(static_cast<double>(rd.count), g.dtype()));
          return TensorList{back_to(ge, xdt)};
        });
  }
  return y;
}

namespace {
// d prod / d x_j = product of the other elements. Without zeros that is y / x_j. With zeros, it
// is (product of the non-zero elements other than x_j) * (product of the zero elements other than
// x_j); the second factor is written with the zero entries themselves (value 0, but
// differentiable) as elementary symmetric sums, exact for up to two zeros per slice, which is
// all that first and second derivatives can see.
Tensor prod_backward(const Tensor& g, const Tensor& x, const Tensor& y, const RDims& rd) {
  const DType dt = x.dtype();
  const Tensor ge = expand_back(g, rd);
  const Tensor z = eq(x, s(0, dt));
  if (!any_true(z)) return mul(ge, div(expand_back(y, rd), x));
  const Tensor one = s(1, dt), zero = s(0, dt);
  const Tensor xnz = where(z, one, x);  // zeros replaced by 1
  const Tensor x0 = where(z, x, zero);  // only the zero entries
  const Tensor others_nz = div(expand(prod(xnz, rd.dims, true), rd.in), xnz);
  const Tensor s1 = sum(x0, rd.dims, true), s2 = sum(mul(x0, x0), rd.dims, true);
  const Tensor nz = sum(z, rd.dims, true);  // int64 count of zeros per slice
  auto is = [&](int64_t k) { return eq(nz, scalar_tensor_int(k, true)); };
  // Product of the zeros other than x_j, for x_j a zero and for x_j non-zero.
  const Tensor e_zero = where(is(1), one, where(is(2), sub(s1, x0), zero));
  const Tensor e2 = mul(sub(mul(s1, s1), s2), s(0.5, dt));
  const Tensor e_nonzero = where(is(0), one, where(is(1), s1, where(is(2), e2, zero)));
  return mul(ge, mul(others_nz, where(z, e_zero, e_nonzero)));
}
}  // namespace

Tensor prod(const Tensor& x, const Dims& dims, bool keepdim, std::optional<DType> dtype) {
  const RDims rd = make_rdims(x, dims, keepdim, "prod");
  const DType dt = sum_dtype(x, dtype);
  Tensor y = reduce_raw(converted(x, dt, "prod"), rd, ReduceOp::Prod);
  if (autograd::needs_grad(x) && is_floating(dt)) {
    autograd::SavedTensor sx(x, false), sy(y, true);
    autograd::record(rd.all ? "ProdBackward0" : "ProdBackward1", {x}, y,
                     [rd, sx, sy](const Tensor& g) {
                       const Tensor xv = sx.unpack();
                       const Tensor yv = back_to(sy.unpack(), xv.dtype());
                       return TensorList{prod_backward(back_to(g, xv.dtype()), xv, yv, rd)};
                     });
  }
  return y;
}

// ---- max / min ------------------------------------------------------------------------------

namespace {
Tensor extreme(const Tensor& x, const RDims& rd, bool is_max, const char* name, const char* node) {
  check_nonempty(x, rd, name);
  Tensor y = reduce_raw(x, rd, is_max ? ReduceOp::Max : ReduceOp::Min);
  if (autograd::needs_grad(x)) {
    autograd::SavedTensor sx(x, false), sy(y, true);
    autograd::record(node, {x}, y, [rd, sx, sy](const Tensor& g) {
      // Ties share the gradient evenly.
      const Tensor mask = to_dtype(eq(sx.unpack(), expand_back(sy.unpack(), rd)), g.dtype());
      const Tensor share = div(mask, sum(mask, rd.dims, true));
      return TensorList{mul(expand_back(g, rd), share)};
    });
  }
  return y;
}

std::pair<Tensor, Tensor> extreme_dim(const Tensor& x, int64_t dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "max" : "min";
  const RDims rd = make_rdims(x, Dims{dim}, keepdim, name);
  check_nonempty(x, rd, name);
  const Tensor src = x.dtype() == DType::Bool ? to_dtype(x.detach(), DType::Int64) : x;
  Tensor values = Tensor::empty(rd.out, src.dtype());
  Tensor indices = Tensor::empty(rd.out, DType::Int64);
  Tensor in;
  const cpu::ReduceGeom g = geometry(src, rd, &in);
  cpu::arg_reduce(is_max, in.dtype(), g, in.raw_data(), values.raw_data(), indices.data<int64_t>());
  if (x.dtype() == DType::Bool) values = to_dtype(values, DType::Bool);
  if (autograd::needs_grad(x)) {
    const int d = rd.dims.empty() ? -1 : static_cast<int>(rd.dims[0]);
    autograd::record(is_max ? "MaxBackward0" : "MinBackward0", {x}, TensorList{values, indices},
                     [rd, d, idx = indices.detach()](const TensorList& gs) {
                       if (d < 0) return TensorList{reshape(gs[0], rd.in)};  // 0-d input
                       // One-hot along d at the selected index: arange(K) == index.
                       const int64_t k = rd.in[d];
                       Dims ashape(rd.in.size(), 1);
                       ashape[d] = k;
                       Tensor ar = Tensor::empty(ashape, DType::Int64);
                       for (int64_t i = 0; i < k; ++i) ar.data<int64_t>()[i] = i;
                       const Tensor hit = eq(ar, reshape(idx, rd.keep));
                       return TensorList{where(hit, expand_back(gs[0], rd), s(0, gs[0].dtype()))};
                     });
  }
  return {values, indices};
}

Tensor arg_extreme(const Tensor& x, std::optional<int64_t> dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "argmax" : "argmin";
  AXONITE_CHECK(x.dtype() != DType::Bool, RuntimeError, name, "(): does not support bool input");
  if (!dim) {
    AXONITE_CHECK(x.numel() != 0, IndexError, name,
                  "(): Expected reduction dim to be specified for input.numel() == 0.");
    const Tensor flat = contiguous(x.detach());
    const Tensor v = Tensor::from_storage(flat.storage(), Dims{flat.numel()}, Dims{1},
                                          flat.offset(), flat.dtype());
    const RDims rd = make_rdims(v, Dims{0}, false, name);
    Tensor idx = Tensor::empty(Dims{}, DType::Int64);
    cpu::arg_reduce(is_max, v.dtype(), cpu::reduce_geometry(v.sizes(), v.strides(), rd.mask),
                    v.raw_data(), nullptr, idx.data<int64_t>());
    return keepdim ? reshape(idx, Dims(x.dim(), 1)) : idx;
  }
  const RDims rd = make_rdims(x, Dims{*dim}, keepdim, name);
  check_nonempty(x, rd, name);
  Tensor idx = Tensor::empty(rd.out, DType::Int64);
  Tensor in;
  const cpu::ReduceGeom g = geometry(x, rd, &in);
  cpu::arg_reduce(is_max, in.dtype(), g, in.raw_data(), nullptr, idx.data<int64_t>());
  return idx;
}
}  // namespace

Tensor amax(const Tensor& x, const Dims& dims, bool keepdim) {
  return extreme(x, make_rdims(x, dims, keepdim, "amax"), true, "amax", "AmaxBackward0");
}
Tensor amin(const Tensor& x, const Dims& dims, bool keepdim) {
  return extreme(x, make_rdims(x, dims, keepdim, "amin"), false, "amin", "AminBackward0");
}
Tensor max(const Tensor& x) {
  return extreme(x, make_rdims(x, {}, false, "max"), true, "max()", "MaxBackward1");
}
Tensor min(const Tensor& x) {
  return extreme(x, make_rdims(x, {}, false, "min"), false, "min()", "MinBackward1");
}
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_dim(x, dim, keepdim, true);
}
std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_dim(x, dim, keepdim, false);
}
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_extreme(x, dim, keepdim, true);
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_extreme(x, dim, keepdim, false);
}

// ---- var / std ------------------------------------------------------------------------------

namespace {
struct Moments {
  Tensor var, mean;  // shape rd.out
  double divisor;
};

Moments moments(const Tensor& x, const RDims& rd, double correction, const char* op) {
  AXONITE_CHECK(is_floating(x.dtype()), RuntimeError, op,
                ": std and var only support floating point and complex dtypes, got ",
                dtype_name(x.dtype()));
  Moments m;
  m.divisor = std::max(0.0, static_cast<double>(rd.count) - correction);
  // Corrected two-pass algorithm (Chan, Golub and LeVeque 1983): the mean s is only a float32
  // (rounded, and summed in float32 runs), and at mean 1e3 / std 1e-2 its error alone would
  // move the variance by ~1e-4 relative. With d = mean(x - s), the exact identity
  //   sum (x - m)^2 = sum (x - s)^2 - n d^2
  // removes that error, and s + d is the better mean.
  const double n = static_cast<double>(rd.count);
  const Tensor s0 = reduce_raw(x, rd, ReduceOp::Sum, ReduceMap::None, Tensor(), 2.0, n);
  const Tensor d = reduce_raw(x, rd, ReduceOp::Sum, ReduceMap::Shift, s0, 2.0, n);
  m.var = reduce_raw(x, rd, ReduceOp::Sum, ReduceMap::SquareShift, s0, 2.0, m.divisor);
  autograd::GradModeGuard no_grad(false);
  m.mean = add(s0, d);
  if (m.divisor > 0) {  // a zero divisor keeps sum / 0 (inf or nan), as PyTorch
    const Tensor fix = mul(mul(d, d), s(n / m.divisor, x.dtype()));
    m.var = clamp(sub(m.var, fix), s(0, x.dtype()), std::nullopt);  // rounding: never below 0
  }
  return m;
}

// d var / dx = 2 (x - mean) / divisor, times the incoming gradient.
Tensor var_backward(const Tensor& g, const Tensor& x, const RDims& rd, double divisor) {
  const Tensor dev = sub(x, mean(x, rd.dims, true));
  return mul(expand_back(g, rd), mul(dev, s(2.0 / divisor, x.dtype())));
}

void record_var(const Tensor& x, const Tensor& y, const RDims& rd, double divisor) {
  autograd::SavedTensor sx(x, false);
  autograd::record("VarBackward0", {x}, y, [rd, sx, divisor](const Tensor& g) {
    return TensorList{var_backward(g, sx.unpack(), rd, divisor)};
  });
}

void record_std(const Tensor& x, const Tensor& y, const RDims& rd, double divisor) {
  autograd::SavedTensor sx(x, false), sy(y, true);
  autograd::record("StdBackward0", {x}, y, [rd, sx, sy, divisor](const Tensor& g) {
    // d std = d var / (2 std); zero where std == 0, as in PyTorch.
    const Tensor yv = sy.unpack();
    const Tensor flat = eq(yv, s(0, yv.dtype()));
    const Tensor safe = where(flat, s(1, yv.dtype()), yv);
    const Tensor gv = where(flat, s(0, g.dtype()), div(g, mul(safe, s(2, yv.dtype()))));
    return TensorList{var_backward(gv, sx.unpack(), rd, divisor)};
  });
}

Tensor sqrt_raw(const Tensor& v) {
  autograd::GradModeGuard no_grad(false);
  return sqrt(v);
}
}  // namespace

Tensor var(const Tensor& x, const Dims& dims, double correction, bool keepdim) {
  const RDims rd = make_rdims(x, dims, keepdim, "var");
  Moments m = moments(x, rd, correction, "var");
  if (autograd::needs_grad(x)) record_var(x, m.var, rd, m.divisor);
  return m.var;
}

Tensor std(const Tensor& x, const Dims& dims, double correction, bool keepdim) {
  const RDims rd = make_rdims(x, dims, keepdim, "std");
  Moments m = moments(x, rd, correction, "std");
  Tensor y = sqrt_raw(m.var);
  if (autograd::needs_grad(x)) record_std(x, y, rd, m.divisor);
  return y;
}

std::pair<Tensor, Tensor> var_mean(const Tensor& x, const Dims& dims, double correction,
                                   bool keepdim) {
  const RDims rd = make_rdims(x, dims, keepdim, "var_mean");
  Moments m = moments(x, rd, correction, "var_mean");
  if (autograd::needs_grad(x)) {
    record_var(x, m.var, rd, m.divisor);
    return {m.var, mean(x, dims, keepdim)};
  }
  return {m.var, m.mean};
}

std::pair<Tensor, Tensor> std_mean(const Tensor& x, const Dims& dims, double correction,
                                   bool keepdim) {
  const RDims rd = make_rdims(x, dims, keepdim, "std_mean");
  Moments m = moments(x, rd, correction, "std_mean");
  Tensor y = sqrt_raw(m.var);
  if (autograd::needs_grad(x)) {
    record_std(x, y, rd, m.divisor);
    return {y, mean(x, dims, keepdim)};
  }
  return {y, m.mean};
}

// ---- logsumexp, norm ------------------------------------------------------------------------

Tensor logsumexp(const Tensor& x0, const Dims& dims, bool keepdim) {
  const Tensor x = is_floating(x0.dtype()) ? x0 : to_dtype(x0, kDefaultFloat);
  const RDims rd = make_rdims(x, dims, keepdim, "logsumexp");
  Tensor y, shift;
  if (rd.count == 0) {
    y = full(rd.out, -std::numeric_limits<double>::infinity(), x.dtype());
    shift = full(rd.out, 0.0, x.dtype());
  } else {
    autograd::GradModeGuard no_grad(false);
    // Shift by the max, except where it is infinite (all -inf, or a +inf present).
    const Tensor m = reduce_raw(x, rd, ReduceOp::Max);
    shift = where(eq(abs(m), s(INFINITY, m.dtype())), s(0, m.dtype()), m);
    const Tensor se = reduce_raw(x, rd, ReduceOp::Sum, ReduceMap::ExpShift, shift);
    y = add(log(se), shift);
  }
  if (autograd::needs_grad(x)) {
    autograd::SavedTensor sx(x, false);
    autograd::record("LogsumexpBackward0", {x}, y, [rd, sx, shift](const Tensor& g) {
      // Softmax weights. exp(x - y) with the rounded output y would be off by an ulp of y
      // (5e-4 relative at 1e4, a factor 2 at 1e38), so they come from x - shift, whose
      // log-sum-exp is small and exact enough. Non-finite rows give torch's nan/0 pattern.
      const Tensor xs = sub(sx.unpack(), expand_back(shift, rd));
      const Tensor w = exp(sub(xs, logsumexp(xs, rd.dims, true)));
      return TensorList{mul(expand_back(g, rd), w)};
    });
  }
  return y;
}

namespace {
Tensor norm_backward(const Tensor& g, const Tensor& x, const Tensor& y, const RDims& rd, double p) {
  const DType dt = x.dtype();
  const Tensor ge = expand_back(g, rd);
  if (p == 0) return zeros_like(x);
  if (p == 1) return mul(ge, sign(x));
  const Tensor ye = expand_back(y, rd);
  if (std::isinf(p)) {
    // Ties share the gradient evenly, as in amax.
    const Tensor mask = to_dtype(eq(abs(x), ye), dt);
    return mul(ge, mul(sign(x), div(mask, sum(mask, rd.dims, true))));
  }
  // Zero norms get a zero (sub)gradient; safe denominators keep double backward NaN-free.
  const Tensor yz = eq(ye, s(0, dt));
  const Tensor ys = where(yz, s(1, dt), ye);
  Tensor scaled;
  if (p == 2) {
    scaled = div(x, ys);
  } else {
    const Tensor xz = eq(x, s(0, dt));
    const Tensor ax = where(xz, s(1, dt), abs(x));
    const Tensor num = where(xz, s(0, dt), mul(sign(x), pow(ax, s(p - 1, dt))));
    scaled = div(num, pow(ys, s(p - 1, dt)));
  }
  return mul(ge, where(yz, s(0, dt), scaled));
}
}  // namespace

Tensor norm(const Tensor& x0, double p, const Dims& dims, bool keepdim,
            std::optional<DType> dtype) {
  AXONITE_CHECK(is_floating(x0.dtype()), RuntimeError,
                "linalg.vector_norm: Expected a floating point or complex tensor as input. Got ",
                dtype_name(x0.dtype()));
  AXONITE_CHECK(!dtype || is_floating(*dtype), RuntimeError,
                "linalg.vector_norm: dtype should be floating point, got ", dtype_name(*dtype));
  const Tensor x = dtype ? to_dtype(x0, *dtype) : x0;
  const RDims rd = make_rdims(x, dims, keepdim, "norm");
  Tensor y;
  {
    autograd::GradModeGuard no_grad(false);
    const Tensor xd = x.detach();
    if (p == 2) {
      y = sqrt(reduce_raw(xd, rd, ReduceOp::Sum, ReduceMap::Square));
    } else if (p == 1) {
      y = reduce_raw(xd, rd, ReduceOp::Sum, ReduceMap::Abs);
    } else if (std::isinf(p)) {
      AXONITE_CHECK(rd.count != 0, RuntimeError, "linalg.vector_norm cannot compute the ",
                    p > 0 ? "inf" : "-inf",
                    " norm on an empty tensor because the operation does not have an identity");
      y = reduce_raw(xd, rd, p > 0 ? ReduceOp::Max : ReduceOp::Min, ReduceMap::Abs);
    } else if (p == 0) {
      y = to_dtype(sum(ne(xd, s(0, xd.dtype())), rd.dims, keepdim), x.dtype());
    } else {
      y = pow(reduce_raw(xd, rd, ReduceOp::Sum, ReduceMap::PowAbs, Tensor(), p),
              s(1.0 / p, x.dtype()));
    }
  }
  if (autograd::needs_grad(x)) {
    autograd::SavedTensor sx(x, false), sy(y, true);
    autograd::record("LinalgVectorNormBackward0", {x}, y, [rd, sx, sy, p](const Tensor& g) {
      return TensorList{norm_backward(g, sx.unpack(), sy.unpack(), rd, p)};
    });
  }
  return y;
}

// ---- all, any, count_nonzero ----------------------------------------------------------------

namespace {
Tensor nonzero_mask(const Tensor& x) {
  autograd::GradModeGuard no_grad(false);
  return x.dtype() == DType::Bool ? x.detach() : ne(x.detach(), scalar_tensor_int(0, true));
}
}  // namespace

Tensor all(const Tensor& x, const Dims& dims, bool keepdim) {
  const RDims rd = make_rdims(x, dims, keepdim, "all");
  return reduce_raw(nonzero_mask(x), rd, ReduceOp::Min);
}

Tensor any(const Tensor& x, const Dims& dims, bool keepdim) {
  const RDims rd = make_rdims(x, dims, keepdim, "any");
  return reduce_raw(nonzero_mask(x), rd, ReduceOp::Max);
}

Tensor count_nonzero(const Tensor& x, const Dims& dims) {
  make_rdims(x, dims, false, "count_nonzero");  // validates dims
  return sum(nonzero_mask(x), dims, false);
}

}  // namespace ax
