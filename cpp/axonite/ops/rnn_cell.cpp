// lstm_cell and gru_cell: checks, the GEMMs around the pointwise passes of kernels/rnn_cell.h,
// and each cell's backward beside its forward (raw kernels, or differentiable ops under
// create_graph).
#include "axonite/ops/rnn_cell.h"

#include "axonite/autograd/engine.h"
#include "axonite/autograd/record.h"
#include "axonite/kernels/gemm.h"
#include "axonite/kernels/normalization.h"
#include "axonite/kernels/rnn_cell.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/join.h"
#include "axonite/ops/linear.h"
#include "axonite/ops/matmul.h"
#include "axonite/ops/reduce.h"
#include "axonite/ops/rnn.h"
#include "axonite/ops/unary.h"
#include "axonite/ops/views.h"

namespace ax {
namespace {

// Sizes (N, I, H) of a cell call with G gates, after checking every argument (c: LSTM only).
struct Sizes {
  int64_t N, I, H;
};
Sizes check_cell(const char* op, int G, const Tensor& x, const Tensor& h, const Tensor* c,
                 const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  AXONITE_CHECK(x.defined() && x.dim() == 2, ValueError, op,
                ": expected x of shape (N, input_size), got ",
                x.defined() ? shape_str(x.sizes()) : std::string("None"));
  AXONITE_CHECK(is_floating(x.dtype()), TypeError, op, ": expected a floating-point x, got ",
                dtype_name(x.dtype()));
  AXONITE_CHECK(
      w_hh.defined() && w_hh.dim() == 2 && w_hh.size(0) == G * w_hh.size(1) && w_hh.size(1) > 0,
      ValueError, op, ": expected w_hh of shape (", G, " * hidden_size, hidden_size), got ",
      w_hh.defined() ? shape_str(w_hh.sizes()) : std::string("None"));
  const DType dt = x.dtype();
  const int64_t N = x.size(0), I = x.size(1), H = w_hh.size(1);
  check_recurrent_arg(op, "w_ih", w_ih, Dims{G * H, I}, dt);
  check_recurrent_arg(op, "w_hh", w_hh, Dims{G * H, H}, dt);
  check_recurrent_arg(op, "h", h, Dims{N, H}, dt);
  if (c != nullptr) check_recurrent_arg(op, "c", *c, Dims{N, H}, dt);
  AXONITE_CHECK(b_ih.defined() == b_hh.defined(), ValueError, op,
                ": b_ih and b_hh must both be given or both be None");
  if (b_ih.defined()) {
    check_recurrent_arg(op, "b_ih", b_ih, Dims{G * H}, dt);
    check_recurrent_arg(op, "b_hh", b_hh, Dims{G * H}, dt);
  }
  return {N, I, H};
}

Tensor detached(const Tensor& t) { return t.defined() ? t.detach() : Tensor(); }

// out (N, G*H) = bias (zero when undefined) broadcast over the rows.
template <class T>
void fill_bias(T* out, int64_t N, int64_t GH, const Tensor& bias) {
  const T zero = T(0);
  cpu::norm_kernels<T>().fill_rows(out, N, GH, bias.defined() ? bias.data<T>() : &zero,
                                   bias.defined() ? bias.strides()[0] : 0);
}

// out (N, G*H) += a (N, K) w^T, w (G*H, K); both read through their strides.
template <class T>
void add_a_wt(T* out, const Tensor& a, const Tensor& w) {
  cpu::gemm(a.size(0), w.size(0), a.size(1), T(1), a.data<T>(), a.strides()[0], a.strides()[1],
            w.data<T>(), w.strides()[1], w.strides()[0], T(1), out, w.size(0));
}

// The gradients that flow from the pre-activation gradient dg (N, G*H) of a product a w^T:
// da = dg w (when da is defined; beta = 1 adds to what da holds) and dw = dg^T a (added to what
// dw holds when it is a sink).
template <class T>
void product_grads(const T* dg, int64_t N, const Tensor& a, const Tensor& w, const Tensor& da,
                   T beta, const autograd::GradOut& dw) {
  const int64_t GH = w.size(0), K = w.size(1);
  if (da.defined())
    cpu::gemm(N, K, GH, T(1), dg, GH, 1, w.data<T>(), w.strides()[0], w.strides()[1], beta,
              da.data<T>(), K);
  // N == 0 (an empty batch) makes dw zero: GEMM with k = 0 only scales C by beta.
  if (dw.buf.defined())
    cpu::gemm(GH, K, N, T(1), dg, 1, GH, a.data<T>(), a.strides()[0], a.strides()[1], dw.beta<T>(),
              dw.buf.data<T>(), K);
}

// Column sums of dg (N, G*H) -> (G*H,).
template <class T>
Tensor bias_grad(const T* dg, int64_t N, int64_t GH, DType dt) {
  Tensor db = Tensor::empty(Dims{GH}, dt);
  cpu::norm_kernels<T>().column_sums(dg, N, GH, GH, 1, db.data<T>());
  return db;
}

Tensor one_minus(const Tensor& t) { return sub(scalar_tensor(1.0, t.dtype(), true), t); }

// The gradients of every input of a cell, in argument order, from the pre-activation
// gradients dgi (of x W_ih^T + b_ih) and dgh (of h W_hh^T + b_hh) as differentiable ops.
TensorList cell_grads_graph(const Tensor& dgi, const Tensor& dgh, const Tensor& x, const Tensor& h,
                            const Tensor& w_ih, const Tensor& w_hh, const bool* req,
                            const Tensor& dh_direct) {
  Tensor dh;
  if (req[1]) dh = dh_direct.defined() ? add(dh_direct, mm(dgh, w_hh)) : mm(dgh, w_hh);
  return {req[0] ? mm(dgi, w_ih) : Tensor(),        dh,
          req[3] ? mm(matrix_T(dgi), x) : Tensor(), req[4] ? mm(matrix_T(dgh), h) : Tensor(),
          req[5] ? sum(dgi, Dims{0}) : Tensor(),    req[6] ? sum(dgh, Dims{0}) : Tensor()};
}

}  // namespace

TensorList lstm_cell(const Tensor& x, const Tensor& h, const Tensor& c, const Tensor& w_ih,
                     const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  const Sizes s = check_cell("lstm_cell", 4, x, h, &c, w_ih, w_hh, b_ih, b_hh);
  const int64_t N = s.N, H = s.H;
  const DType dt = x.dtype();
  const Tensor xd = x.detach(), hd = h.detach(), wi = w_ih.detach(), wh = w_hh.detach();
  const Tensor cc = contiguous_values(c);
  // What backward reads: the activated gates and tanh(c').
  const Tensor gates = Tensor::empty(Dims{N, 4 * H}, dt), tanh_c = Tensor::empty(Dims{N, H}, dt);
  Tensor h_new = Tensor::empty(Dims{N, H}, dt), c_new = Tensor::empty(Dims{N, H}, dt);
  dispatch_floating(dt, "lstm_cell", [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_bias<T>(gates.data<T>(), N, 4 * H,
                 b_ih.defined() ? add(b_ih.detach(), b_hh.detach()) : Tensor());
    add_a_wt<T>(gates.data<T>(), xd, wi);
    add_a_wt<T>(gates.data<T>(), hd, wh);
    cpu::lstm_cell_forward<T>(N, H, gates.data<T>(), cc.data<T>(), c_new.data<T>(),
                              tanh_c.data<T>(), h_new.data<T>());
  });
  const TensorList ins{x, h, c, w_ih, w_hh, b_ih, b_hh};
  if (!autograd::any_needs_grad(ins)) return {h_new, c_new};

  bool req[7];
  for (int i = 0; i < 7; ++i) req[i] = ins[i].defined() && ins[i].requires_grad();
  autograd::SavedTensor sx(x, false), sh(h, false), sc(c, false), swi(w_ih, false),
      swh(w_hh, false), sbi(b_ih, false), sbh(b_hh, false);
  autograd::record("LstmCellBackward0", ins, {h_new, c_new}, [=](const TensorList& g) {
    const Tensor &dh_new = g[0], &dc_new = g[1];
    if (autograd::grad_enabled()) {
      // create_graph: recompute the gates from the inputs as differentiable ops and apply the
      // same formulas as the raw pass below, so the gradients are differentiable again.
      const Tensor xs = sx.unpack(), hs = sh.unpack(), cs = sc.unpack(), wis = swi.unpack(),
                   whs = swh.unpack();
      const TensorList q =
          chunk(add(linear(xs, wis, sbi.unpack()), linear(hs, whs, sbh.unpack())), 4, 1);
      const Tensor i = sigmoid(q[0]), f = sigmoid(q[1]), gg = tanh(q[2]), o = sigmoid(q[3]);
      const Tensor tc = tanh(add(mul(f, cs), mul(i, gg)));
      Tensor dct = dc_new.defined() ? dc_new : zeros_like(tc), dout = zeros_like(tc);
      if (dh_new.defined()) {
        dct = add(dct, mul(mul(dh_new, o), one_minus(mul(tc, tc))));
        dout = mul(mul(dh_new, tc), mul(o, one_minus(o)));
      }
      const Tensor dg =
          cat({mul(mul(dct, gg), mul(i, one_minus(i))), mul(mul(dct, cs), mul(f, one_minus(f))),
               mul(mul(dct, i), one_minus(mul(gg, gg))), dout},
              1);
      TensorList r = cell_grads_graph(dg, dg, xs, hs, wis, whs, req, Tensor());
      r.insert(r.begin() + 2, req[2] ? mul(dct, f) : Tensor());
      return r;
    }
    const Tensor dh = contiguous_values(dh_new), dc = contiguous_values(dc_new),
                 cs = contiguous_values(sc.unpack());
    const Tensor dgates = Tensor::empty(Dims{N, 4 * H}, dt);
    auto make = [&](int i, const Dims& shape) {
      return req[i] ? Tensor::empty(shape, dt) : Tensor();
    };
    const Tensor xs = sx.unpack(), hs = sh.unpack(), wis = swi.unpack(), whs = swh.unpack();
    const autograd::GradOut dwi = autograd::grad_out(req[3], 3, Dims{4 * H, s.I}, dt,
                                                     {xs, hs, cs, wis, whs, dh_new, dc_new}),
                            dwh = autograd::grad_out(req[4], 4, Dims{4 * H, H}, dt,
                                                     {xs, hs, cs, wis, whs, dh_new, dc_new});
    TensorList r{make(0, Dims{N, s.I}),
                 make(1, Dims{N, H}),
                 make(2, Dims{N, H}),
                 dwi.result(),
                 dwh.result(),
                 Tensor(),
                 Tensor()};
    dispatch_floating(dt, "lstm_cell", [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* dgp = dgates.data<T>();
      cpu::lstm_cell_backward<T>(N, H, gates.data<T>(), cs.data<T>(), tanh_c.data<T>(),
                                 dh.data_or_null<T>(), dc.data_or_null<T>(), dgp,
                                 r[2].data_or_null<T>());
      product_grads<T>(dgp, N, req[3] ? xs.detach() : Tensor(), wis.detach(), r[0], T(0), dwi);
      product_grads<T>(dgp, N, req[4] ? hs.detach() : Tensor(), whs.detach(), r[1], T(0), dwh);
      if (req[5] || req[6]) {
        const Tensor db = bias_grad<T>(dgp, N, 4 * H, dt);
        r[5] = req[5] ? db : Tensor();
        r[6] = req[6] ? (req[5] ? clone(db) : db) : Tensor();
      }
    });
    return r;
  });
  return {h_new, c_new};
}

Tensor gru_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh,
                const Tensor& b_ih, const Tensor& b_hh) {
  const Sizes s = check_cell("gru_cell", 3, x, h, nullptr, w_ih, w_hh, b_ih, b_hh);
  const int64_t N = s.N, H = s.H;
  const DType dt = x.dtype();
  const Tensor xd = x.detach(), hd = h.detach(), hc = contiguous_values(h);
  // gi: the activated gates after forward; gh: h W_hh^T + b_hh (backward reads its n part).
  const Tensor gi = Tensor::empty(Dims{N, 3 * H}, dt), gh = Tensor::empty(Dims{N, 3 * H}, dt);
  Tensor h_new = Tensor::empty(Dims{N, H}, dt);
  dispatch_floating(dt, "gru_cell", [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_bias<T>(gi.data<T>(), N, 3 * H, detached(b_ih));
    add_a_wt<T>(gi.data<T>(), xd, w_ih.detach());
    fill_bias<T>(gh.data<T>(), N, 3 * H, detached(b_hh));
    add_a_wt<T>(gh.data<T>(), hd, w_hh.detach());
    cpu::gru_cell_forward<T>(N, H, gi.data<T>(), gh.data<T>(), hc.data<T>(), h_new.data<T>());
  });
  const TensorList ins{x, h, w_ih, w_hh, b_ih, b_hh};
  if (!autograd::any_needs_grad(ins)) return h_new;

  bool req[7] = {};  // in lstm_cell's slots (x, h, c, w_ih, w_hh, b_ih, b_hh); GRU has no c
  const int slot[6] = {0, 1, 3, 4, 5, 6};
  for (int j = 0; j < 6; ++j) req[slot[j]] = ins[j].defined() && ins[j].requires_grad();
  autograd::SavedTensor sx(x, false), sh(h, false), swi(w_ih, false), swh(w_hh, false),
      sbi(b_ih, false), sbh(b_hh, false);
  autograd::record("GruCellBackward0", ins, h_new, [=](const Tensor& d) {
    if (autograd::grad_enabled()) {
      const Tensor xs = sx.unpack(), hs = sh.unpack(), wis = swi.unpack(), whs = swh.unpack();
      const TensorList qi = chunk(linear(xs, wis, sbi.unpack()), 3, 1),
                       qh = chunk(linear(hs, whs, sbh.unpack()), 3, 1);
      const Tensor rg = sigmoid(add(qi[0], qh[0])), z = sigmoid(add(qi[1], qh[1]));
      const Tensor n = tanh(add(qi[2], mul(rg, qh[2])));
      const Tensor dn = mul(mul(d, one_minus(z)), one_minus(mul(n, n)));
      const Tensor dr = mul(mul(dn, qh[2]), mul(rg, one_minus(rg)));
      const Tensor dz = mul(mul(d, sub(hs, n)), mul(z, one_minus(z)));
      return cell_grads_graph(cat({dr, dz, dn}, 1), cat({dr, dz, mul(dn, rg)}, 1), xs, hs, wis, whs,
                              req, mul(d, z));
    }
    const Tensor dh_new = contiguous_values(d), hs = contiguous_values(sh.unpack());
    const Tensor dgi = Tensor::empty(Dims{N, 3 * H}, dt), dgh = Tensor::empty(Dims{N, 3 * H}, dt);
    const Tensor dh = Tensor::empty(Dims{N, H}, dt);
    const Tensor xs = sx.unpack(), wis = swi.unpack(), whs = swh.unpack();
    const autograd::GradOut dwi = autograd::grad_out(req[3], 2, Dims{3 * H, s.I}, dt,
                                                     {xs, hs, wis, whs, d}),
                            dwh = autograd::grad_out(req[4], 3, Dims{3 * H, H}, dt,
                                                     {xs, hs, wis, whs, d});
    TensorList r{req[0] ? Tensor::empty(Dims{N, s.I}, dt) : Tensor(),
                 req[1] ? dh : Tensor(),
                 dwi.result(),
                 dwh.result(),
                 Tensor(),
                 Tensor()};
    dispatch_floating(dt, "gru_cell", [&](auto tag) {
      using T = typename decltype(tag)::type;
      cpu::gru_cell_backward<T>(N, H, gi.data<T>(), gh.data<T>(), hs.data<T>(), dh_new.data<T>(),
                                dgi.data<T>(), dgh.data<T>(), dh.data<T>());
      product_grads<T>(dgi.data<T>(), N, req[3] ? xs.detach() : Tensor(), wis.detach(), r[0], T(0),
                       dwi);
      product_grads<T>(dgh.data<T>(), N, req[4] ? hs : Tensor(), whs.detach(), r[1], T(1), dwh);
      if (req[5]) r[4] = bias_grad<T>(dgi.data<T>(), N, 3 * H, dt);
      if (req[6]) r[5] = bias_grad<T>(dgh.data<T>(), N, 3 * H, dt);
    });
    return r;
  });
  return h_new;
}

}  // namespace ax
