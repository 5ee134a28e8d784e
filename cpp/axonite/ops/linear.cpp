// F.linear as one op. Forward: the leading dims of x fold into M rows, the output is pre-filled
// with the broadcast bias and one GEMM adds x @ W^T (beta = 1), reading W through transposed
// strides (W^T is never materialized). Backward: dx = g W, dW = g^T x (one GEMM over all rows),
// db = column sums of g, each only when needed; under create_graph the same formulas run as
// differentiable ops so double backward works.
#include "axonite/ops/linear.h"

#include "axonite/autograd/engine.h"
#include "axonite/autograd/record.h"
#include "axonite/kernels/gemm.h"
#include "axonite/kernels/normalization.h"
#include "axonite/ops/broadcast.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/matmul.h"
#include "axonite/ops/reduce.h"
#include "axonite/ops/views.h"

namespace ax {
namespace {

// A tensor seen as an (M, K) matrix with row/column strides: its leading dims folded into
// rows through a view when the strides allow it, else through a contiguous copy.
struct Mat {
  Tensor t;  // keeps the storage (or the copy) alive
  int64_t rows, cols, rs, cs;
};

Mat as_rows(const Tensor& x, int64_t rows, int64_t cols) {
  if (x.dim() == 2) return {x, rows, cols, x.strides()[0], x.strides()[1]};
  if (x.dim() == 1) return {x, 1, cols, 0, x.strides()[0]};
  Dims st;
  if (view_strides(x, Dims{rows, cols}, &st)) return {x, rows, cols, st[0], st[1]};
  Tensor c = contiguous(x.detach());
  return {c, rows, cols, cols, 1};
}

// Rows of a (*, n) shape: the product of its leading dims (1 for a vector).
int64_t lead_rows(const Dims& s) {
  int64_t m = 1;
  for (int i = 0; i + 1 < s.size(); ++i) m *= s[i];
  return m;
}

const char* c_type(DType d) { return d == DType::Float64 ? "double" : "float"; }

// A bias the fused path can pre-fill: (out,), (1,) or 0-d.
bool simple_bias(const Tensor& b, int64_t out) {
  return b.dim() == 0 || (b.dim() == 1 && (b.size(0) == out || b.size(0) == 1));
}

// y + b for a bias the fused path cannot pre-fill. The shapes are checked here so that a bad
// bias is reported by linear, naming the bias, rather than by the add inside it.
Tensor add_bias(const Tensor& y, const Tensor& b, const Tensor& x, const Tensor& w) {
  const Dims &ys = y.sizes(), &bs = b.sizes();
  bool ok = true;
  for (int i = 1; i <= bs.size(); ++i) {
    const int64_t bi = bs[bs.size() - i], yi = i <= ys.size() ? ys[ys.size() - i] : 1;
    ok = ok && (bi == yi || bi == 1 || yi == 1);
  }
  AXONITE_CHECK(ok, RuntimeError, "linear: bias of shape ", shape_str(bs),
                " is not broadcastable to the output shape ", shape_str(ys), " (input shape ",
                shape_str(x.sizes()), ", weight shape ", shape_str(w.sizes()), ")");
  return add(y, b);
}

// x: (*, in), w: (out, in), b: simple or undefined -> (*, out); no autograd.
Tensor linear_raw(const Tensor& x, const Tensor& w, const Tensor& b) {
  const int64_t in = w.size(1), out = w.size(0);
  Dims shape = x.sizes();
  if (x.dim() == 1) {
    shape = Dims{out};
  } else {
    shape[shape.size() - 1] = out;
  }
  Tensor y = Tensor::empty(shape, x.dtype());
  const int64_t M = lead_rows(x.sizes());
  if (M == 0 || out == 0) return y;
  const Mat a = as_rows(x, M, in);
  dispatch_floating(x.dtype(), "linear", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto& k = cpu::norm_kernels<T>();
    T* yp = y.data<T>();
    T beta = T(0);
    if (b.defined()) {
      k.fill_rows(yp, M, out, b.data<T>(), b.numel() == 1 ? 0 : b.strides()[0]);
      beta = T(1);
    } else if (in == 0) {
      const T zero = T(0);
      k.fill_rows(yp, M, out, &zero, 0);
    }
    if (in > 0)
      cpu::gemm(M, out, in, T(1), a.t.data<T>(), a.rs, a.cs, w.data<T>(), w.strides()[1],
                w.strides()[0], beta, yp, out);
  });
  return y;
}

// Gradients of linear for g: (*, out) given x: (*, in) and w: (out, in); raw kernels.
TensorList linear_backward_raw(const Tensor& g, const Tensor& x, const Tensor& w, const Dims& xs,
                               int64_t in, int64_t out, bool rx, bool rw, bool rb, const Dims& bs) {
  const int64_t M = lead_rows(xs);
  const Mat gm = as_rows(g, M, out);
  Tensor gx, gw, gb;
  dispatch_floating(g.dtype(), "linear", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* gp = gm.t.data<T>();
    if (rx) {
      gx = Tensor::empty(xs, g.dtype());
      if (M > 0 && in > 0) {
        if (out > 0) {
          cpu::gemm(M, in, out, T(1), gp, gm.rs, gm.cs, w.data<T>(), w.strides()[0], w.strides()[1],
                    T(0), gx.data<T>(), in);
        } else {
          const T zero = T(0);
          cpu::norm_kernels<T>().fill_rows(gx.data<T>(), M, in, &zero, 0);
        }
      }
    }
    if (rw) {
      // Summed straight into weight.grad where the engine allows (Note [Gradient sinks]).
      const autograd::GradOut dw = autograd::grad_out(true, 1, Dims{out, in}, g.dtype(), {g, x, w});
      if (out > 0 && in > 0) {
        const Mat xm = as_rows(x, M, in);
        if (M > 0) {
          cpu::gemm(out, in, M, T(1), gp, gm.cs, gm.rs, xm.t.data<T>(), xm.rs, xm.cs, dw.beta<T>(),
                    dw.buf.data<T>(), in);
        } else if (!dw.sunk) {
          const T zero = T(0);
          cpu::norm_kernels<T>().fill_rows(dw.buf.data<T>(), out, in, &zero, 0);
        }
      }
      gw = dw.result();
    }
    if (rb) {
      Tensor cols = Tensor::empty(Dims{out}, g.dtype());
      cpu::norm_kernels<T>().column_sums(gp, M, out, gm.rs, gm.cs, cols.data<T>());
      gb = sum_to(cols, bs);
    }
  });
  return {gx, gw, gb};
}

// The same gradients as differentiable ops (create_graph).
TensorList linear_backward_graph(const Tensor& g, const Tensor& x, const Tensor& w, const Dims& xs,
                                 int64_t in, int64_t out, bool rx, bool rw, bool rb,
                                 const Dims& bs) {
  Tensor gx, gw, gb;
  const Tensor g2 = reshape(g, Dims{-1, out});
  if (rx) gx = reshape(mm(g2, w), xs);
  if (rw) gw = mm(matrix_T(g2), reshape(x, Dims{-1, in}));
  if (rb) gb = sum_to(sum(g2, Dims{0}), bs);
  return {gx, gw, gb};
}

}  // namespace

Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  AXONITE_CHECK(input.dim() >= 1 && weight.dim() >= 1, RuntimeError,
                "linear: both arguments to linear need to be at least 1D, but they are ",
                input.dim(), "D and ", weight.dim(), "D");
  AXONITE_CHECK(weight.dim() <= 2, RuntimeError,
                "linear: weight must be 2-D (out_features, in_features) or 1-D, got shape ",
                shape_str(weight.sizes()));
  AXONITE_CHECK(is_floating(input.dtype()), TypeError,
                "linear: expected a floating-point input, got ", dtype_name(input.dtype()));
  AXONITE_CHECK(input.dtype() == weight.dtype(), RuntimeError,
                "linear: expected m1 and m2 to have the same dtype, but got: ",
                c_type(input.dtype()), " != ", c_type(weight.dtype()));
  if (bias.defined())
    AXONITE_CHECK(bias.dtype() == input.dtype(), RuntimeError,
                  "linear: expected bias to have the same dtype as input, but got: ",
                  c_type(bias.dtype()), " != ", c_type(input.dtype()));
  if (weight.dim() == 1) {  // (*, in) @ (in,) -> (*): a matrix-vector product
    const Tensor y = matmul(input, weight);
    return bias.defined() ? add_bias(y, bias, input, weight) : y;
  }
  const int64_t in = weight.size(1), out = weight.size(0);
  const int64_t in_x = input.sizes()[input.dim() - 1];
  if (in_x != in) {
    fail(ErrorKind::RuntimeError, "linear: mat1 and mat2 shapes cannot be multiplied (",
         lead_rows(input.sizes()), "x", in_x, " and ", in, "x", out, "); input shape ",
         shape_str(input.sizes()), ", weight shape ", shape_str(weight.sizes()));
  }
  if (bias.defined() && !simple_bias(bias, out))
    return add_bias(linear(input, weight), bias, input, weight);

  Tensor y = linear_raw(input, weight, bias);
  if (autograd::any_needs_grad({input, weight, bias})) {
    const bool rx = input.requires_grad(), rw = weight.requires_grad();
    const bool rb = bias.defined() && bias.requires_grad();
    autograd::SavedTensor sx(rw ? input : Tensor(), false), sw(rx ? weight : Tensor(), false);
    const Dims xs = input.sizes(), bs = bias.defined() ? bias.sizes() : Dims();
    autograd::record(bias.defined() ? "AddmmBackward0" : "MmBackward0", {input, weight, bias}, y,
                     [=](const Tensor& g) {
                       const Tensor x = sx.unpack(), w = sw.unpack();
                       return autograd::grad_enabled()
                                  ? linear_backward_graph(g, x, w, xs, in, out, rx, rw, rb, bs)
                                  : linear_backward_raw(g, x, w, xs, in, out, rx, rw, rb, bs);
                     });
  }
  return y;
}

}  // namespace ax
