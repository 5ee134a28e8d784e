// softmax / log_softmax / softmin: checks, the fused kernels over an (outer, D, inner) view,
// and the backward ops (fused kernels, recorded with differentiable double-backward formulas).
#include "axonite/ops/softmax.h"

#include "axonite/autograd/record.h"
#include "axonite/kernels/activation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/reduce.h"
#include "axonite/ops/unary.h"

namespace ax {
namespace {

struct Layout {
  int dim;
  int64_t outer, D, inner;
};

Layout layout(const Tensor& x, int64_t dim, const char* op) {
  Layout l{wrap_dim(dim, x.dim(), op), 1, 1, 1};
  if (x.dim() == 0) return l;
  for (int i = 0; i < l.dim; ++i) l.outer *= x.size(i);
  l.D = x.size(l.dim);
  for (int i = l.dim + 1; i < x.dim(); ++i) l.inner *= x.size(i);
  return l;
}

void check_floating(const Tensor& x, const char* op) {
  AXONITE_CHECK(is_floating(x.dtype()), TypeError, op,
                ": expected a floating-point tensor (float32 or float64), got ",
                dtype_name(x.dtype()), "; pass dtype= to convert");
}

Tensor forward(const Tensor& x0, int64_t dim, std::optional<DType> dtype, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  if (dtype)
    AXONITE_CHECK(is_floating(*dtype), TypeError, op, ": dtype must be floating, got ",
                  dtype_name(*dtype));
  const Tensor x = dtype ? to_dtype(x0, *dtype) : x0;
  check_floating(x, op);
  const Layout l = layout(x, dim, op);
  const Tensor xc = x.is_contiguous() ? x : contiguous(x.detach());
  Tensor y = Tensor::empty(x.sizes(), x.dtype());
  cpu::softmax_forward(x.dtype(), y.raw_data(), xc.raw_data(), l.outer, l.D, l.inner, log);
  if (autograd::needs_grad(x)) {
    autograd::SavedTensor sy(y, true);
    const int d = l.dim;
    autograd::record(
        log ? "LogSoftmaxBackward0" : "SoftmaxBackward0", {x}, y, [sy, d, log](const Tensor& g) {
          const Tensor yv = sy.unpack();
          return TensorList{log ? log_softmax_backward(g, yv, d) : softmax_backward(g, yv, d)};
        });
  }
  return y;
}

Tensor backward(const Tensor& g, const Tensor& y, int64_t dim, bool log) {
  const char* op = log ? "log_softmax_backward" : "softmax_backward";
  AXONITE_CHECK(g.sizes() == y.sizes(), RuntimeError, op, ": grad has shape ", shape_str(g.sizes()),
                " but the output has shape ", shape_str(y.sizes()));
  check_floating(y, op);
  AXONITE_CHECK(g.dtype() == y.dtype(), TypeError, op, ": grad has dtype ", dtype_name(g.dtype()),
                " but the output has dtype ", dtype_name(y.dtype()));
  const Layout l = layout(y, dim, op);
  const Tensor gc = g.is_contiguous() ? g : contiguous(g.detach());
  const Tensor yc = y.is_contiguous() ? y : contiguous(y.detach());
  Tensor gx = Tensor::empty(y.sizes(), y.dtype());
  cpu::softmax_backward(y.dtype(), gx.raw_data(), gc.raw_data(), yc.raw_data(), l.outer, l.D,
                        l.inner, log);
  if (autograd::any_needs_grad({g, y})) {
    autograd::SavedTensor sg(g, false), sy(y, false);
    const bool g_req = g.requires_grad(), y_req = y.requires_grad();
    const Dims dims{l.dim};
    const int d = l.dim;
    autograd::record(log ? "LogSoftmaxBackwardDataBackward0" : "SoftmaxBackwardDataBackward0",
                     {g, y}, gx, [sg, sy, g_req, y_req, dims, d, log](const Tensor& gg) {
                       const Tensor gv = sg.unpack(), yv = sy.unpack();
                       Tensor dg, dy;
                       if (log) {  // gx = g - e^y sum(g)
                         const Tensor ey = exp(yv);
                         if (g_req) dg = sub(gg, sum(mul(gg, ey), dims, true));
                         if (y_req) dy = neg(mul(mul(gg, ey), sum(gv, dims, true)));
                       } else {  // gx = y (g - sum(g y))
                         if (g_req) dg = softmax_backward(gg, yv, d);
                         if (y_req) {
                           const Tensor sgy = sum(mul(gv, yv), dims, true);
                           dy = sub(mul(gg, sub(gv, sgy)), mul(gv, sum(mul(gg, yv), dims, true)));
                         }
                       }
                       return TensorList{dg, dy};
                     });
  }
  return gx;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  return forward(x, dim, dtype, false);
}
Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  return forward(x, dim, dtype, true);
}
Tensor softmin(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  if (dtype)
    AXONITE_CHECK(is_floating(*dtype), TypeError, "softmin: dtype must be floating, got ",
                  dtype_name(*dtype));
  const Tensor xc = dtype ? to_dtype(x, *dtype) : x;
  check_floating(xc, "softmin");
  wrap_dim(dim, xc.dim(), "softmin");
  return forward(neg(xc), dim, std::nullopt, false);
}
Tensor softmax_backward(const Tensor& g, const Tensor& y, int64_t dim) {
  return backward(g, y, dim, false);
}
Tensor log_softmax_backward(const Tensor& g, const Tensor& y, int64_t dim) {
  return backward(g, y, dim, true);
}

}  // namespace ax
