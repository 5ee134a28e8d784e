// rnn_layer: checks, buffers and the autograd node around the whole-sequence kernels of
// kernels/cpu/rnn.cpp. Forward saves the activated gates and the states before each step;
// backward runs backward-through-time in C++ and returns every gradient in one node, so a
// layer of T steps adds one node to the graph instead of T cells' worth.
#include "axonite/ops/rnn.h"

#include <exception>
#include <utility>
#include <vector>

#include "axonite/autograd/engine.h"
#include "axonite/autograd/record.h"
#include "axonite/core/parallel.h"
#include "axonite/kernels/rnn.h"
#include "axonite/ops/elementwise.h"

namespace ax {
namespace {

cpu::RnnMode parse_mode(const std::string& mode) {
  if (mode == "rnn_tanh") return cpu::RnnMode::Tanh;
  if (mode == "rnn_relu") return cpu::RnnMode::Relu;
  if (mode == "lstm") return cpu::RnnMode::Lstm;
  if (mode == "gru") return cpu::RnnMode::Gru;
  fail(ErrorKind::ValueError,
       "rnn_layer: mode must be 'rnn_tanh', 'rnn_relu', 'lstm' or 'gru', got '", mode, "'");
}

// `t` must be defined exactly when `want`, with shape `shape` and dtype `dt`.
void check_arg(const Tensor& t, bool want, const char* name, const Dims& shape, DType dt) {
  if (want) {
    check_recurrent_arg("rnn_layer", name, t, shape, dt);
  } else {
    AXONITE_CHECK(!t.defined(), ValueError, "rnn_layer: ", name, " must be None here");
  }
}

// The buffers forward fills for backward (see RnnSaved in kernels/rnn.h).
struct Saved {
  Tensor gates, hprev, cprev, tanh_c, m, hn;
  template <class T>
  cpu::RnnSaved<T> view() const {
    return {gates.data_or_null<T>(),  hprev.data_or_null<T>(), cprev.data_or_null<T>(),
            tanh_c.data_or_null<T>(), m.data_or_null<T>(),     hn.data_or_null<T>()};
  }
};

template <class T>
cpu::RnnWeights<T> weights(const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                           const Tensor& b_hh, const Tensor& w_hr) {
  return {w_ih.data_or_null<T>(), w_hh.data_or_null<T>(), b_ih.data_or_null<T>(),
          b_hh.data_or_null<T>(), w_hr.data_or_null<T>()};
}

}  // namespace

void check_recurrent_arg(const char* op, const char* name, const Tensor& t, const Dims& shape,
                         DType dt) {
  AXONITE_CHECK(t.defined(), ValueError, op, ": ", name, " is required");
  AXONITE_CHECK(t.sizes() == shape, ValueError, op, ": expected ", name, " of shape ",
                shape_str(shape), ", got ", shape_str(t.sizes()));
  AXONITE_CHECK(t.dtype() == dt, TypeError, op, ": ", name, " has dtype ", dtype_name(t.dtype()),
                " but the input is ", dtype_name(dt));
}

namespace {

// One direction of a layer call, checked, with its inputs made contiguous and its outputs and
// saved buffers allocated: forward() runs the kernel (possibly on one thread of a parallel
// region, next to the other direction), finish() returns the outputs and records the node.
struct Direction {
  cpu::RnnShape shape;
  DType dt;
  bool grad;
  TensorList ins;  // x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr as given: the node's inputs
  Tensor xc, h0c, c0c, wih, whh, bih, bhh, whr, lens;
  Saved sv;
  Tensor y, h_n, c_n;

  void forward() const {
    dispatch_floating(dt, "rnn_layer", [&](auto tag) {
      using S = typename decltype(tag)::type;
      cpu::rnn_forward<S>(shape, weights<S>(wih, whh, bih, bhh, whr), xc.data<S>(), h0c.data<S>(),
                          c0c.data_or_null<S>(), y.data<S>(), h_n.data<S>(), c_n.data_or_null<S>(),
                          sv.view<S>());
    });
  }
  TensorList finish() const;
};

// Checks one direction's arguments against x and allocates its buffers; lens holds the
// checked lengths (or is undefined).
Direction prepare(cpu::RnnMode md, const Tensor& x, const Tensor& lens, const RnnDirection& d) {
  const Tensor &h0 = d.h0, &c0 = d.c0, &w_ih = d.w_ih, &w_hh = d.w_hh, &b_ih = d.b_ih,
               &b_hh = d.b_hh, &w_hr = d.w_hr;
  const DType dt = x.dtype();
  const int64_t T = x.size(0), B = x.size(1), I = x.size(2);
  AXONITE_CHECK(w_ih.defined() && w_ih.dim() == 2 && w_hh.defined() && w_hh.dim() == 2, ValueError,
                "rnn_layer: w_ih and w_hh must be 2-D");
  const int G = cpu::rnn_gate_count(md);
  AXONITE_CHECK(w_hh.size(0) % G == 0 && w_hh.size(0) > 0, ValueError, "rnn_layer: w_hh of shape ",
                shape_str(w_hh.sizes()), " has no whole number of ", G, " gates");
  const int64_t H = w_hh.size(0) / G, GH = G * H;
  const bool proj = w_hr.defined();
  AXONITE_CHECK(!proj || md == cpu::RnnMode::Lstm, ValueError,
                "rnn_layer: w_hr (projections) is only supported for lstm");
  const int64_t P = proj ? w_hr.size(0) : 0, R = proj ? P : H;
  AXONITE_CHECK(!proj || (w_hr.dim() == 2 && P > 0), ValueError,
                "rnn_layer: expected w_hr of shape (proj_size, ", H, "), got ",
                shape_str(w_hr.sizes()));
  check_arg(w_ih, true, "w_ih", Dims{GH, I}, dt);
  check_arg(w_hh, true, "w_hh", Dims{GH, R}, dt);
  if (proj) check_arg(w_hr, true, "w_hr", Dims{P, H}, dt);
  check_arg(h0, true, "h0", Dims{B, R}, dt);
  check_arg(c0, md == cpu::RnnMode::Lstm, "c0", Dims{B, H}, dt);
  AXONITE_CHECK(b_ih.defined() == b_hh.defined(), ValueError,
                "rnn_layer: b_ih and b_hh must both be given or both be None");
  if (b_ih.defined()) {
    check_arg(b_ih, true, "b_ih", Dims{GH}, dt);
    check_arg(b_hh, true, "b_hh", Dims{GH}, dt);
  }
  Direction r;
  r.dt = dt;
  r.xc = contiguous_values(x);
  r.h0c = contiguous_values(h0);
  r.c0c = contiguous_values(c0);
  r.wih = contiguous_values(w_ih);
  r.whh = contiguous_values(w_hh);
  r.bih = contiguous_values(b_ih);
  r.bhh = contiguous_values(b_hh);
  r.whr = contiguous_values(w_hr);
  r.lens = lens;
  const bool lstm = md == cpu::RnnMode::Lstm, gru = md == cpu::RnnMode::Gru;
  r.ins = TensorList{x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr};
  // Without autograd nothing reads the saved buffers back: they hold one step (inference).
  r.grad = autograd::any_needs_grad(r.ins);
  const int64_t TS = r.grad ? T : 1;
  Saved& sv = r.sv;
  sv.gates = Tensor::empty(Dims{gru ? T : TS, B, GH}, dt);  // GRU: every step's x W_ih^T
  sv.hprev = Tensor::empty(Dims{TS, B, R}, dt);
  if (lstm) {
    sv.cprev = Tensor::empty(Dims{TS, B, H}, dt);
    sv.tanh_c = Tensor::empty(Dims{TS, B, H}, dt);
  }
  if (proj) sv.m = Tensor::empty(Dims{TS, B, H}, dt);
  if (gru) sv.hn = Tensor::empty(Dims{TS, B, H}, dt);
  r.y = Tensor::empty(Dims{T, B, R}, dt);
  r.h_n = Tensor::empty(Dims{B, R}, dt);
  if (lstm) r.c_n = Tensor::empty(Dims{B, H}, dt);
  r.shape = {md, T, B, I, H, P, d.reverse, r.lens.data_or_null<int64_t>(), r.grad};
  return r;
}

TensorList Direction::finish() const {
  const cpu::RnnMode md = shape.mode;
  const bool lstm = md == cpu::RnnMode::Lstm, gru = md == cpu::RnnMode::Gru;
  const int64_t B = shape.B, I = shape.I, H = shape.H, P = shape.P;
  const int64_t R = P > 0 ? P : H, GH = cpu::rnn_gate_count(md) * H;
  TensorList outs = lstm ? TensorList{y, h_n, c_n} : TensorList{y, h_n};
  if (!grad) return outs;
  const Tensor &x = ins[0], &w_ih = ins[3], &w_hh = ins[4], &w_hr = ins[7];
  const Saved saved = sv;
  const Tensor lens_kept = lens;
  const cpu::RnnShape shape_kept = shape;
  const DType dtype = dt;

  bool req[8];
  for (int i = 0; i < 8; ++i) req[i] = ins[i].defined() && ins[i].requires_grad();
  // x is read only for dW_ih, the weights for every gradient: kept with version checks.
  autograd::SavedTensor sx(req[3] ? x : Tensor(), false), swih(w_ih, false), swhh(w_hh, false),
      swhr(w_hr, false);
  const Dims xs = x.sizes();
  autograd::record(
      lstm ? "LstmLayerBackward0" : (gru ? "GruLayerBackward0" : "RnnLayerBackward0"), ins, outs,
      [=](const TensorList& g) {
        AXONITE_CHECK(!autograd::grad_enabled(), RuntimeError,
                      "rnn: double backward through the fused LSTM/GRU kernel is not supported; "
                      "call backward without create_graph=True (or differentiate a cell-by-cell "
                      "composite model instead)");
        cpu::RnnShape sh = shape_kept;  // the lengths pointer must come from the captured copy
        sh.lengths = lens_kept.data_or_null<int64_t>();
        const Tensor xr = req[3] ? contiguous_values(sx.unpack()) : Tensor(),
                     wi = contiguous_values(swih.unpack()), wh = contiguous_values(swhh.unpack()),
                     wr = contiguous_values(swhr.unpack());
        const Tensor dy = contiguous_values(g[0]), dhn = contiguous_values(g[1]),
                     dcn = lstm ? contiguous_values(g[2]) : Tensor();
        auto make = [&](int i, const Dims& s) {
          return req[i] ? Tensor::empty(s, dtype) : Tensor();
        };
        // The weights' gradients go straight into their .grad where the engine allows (Note
        // [Gradient sinks]).
        auto weight = [&](int i, const Dims& s) {
          return autograd::grad_out(req[i], i, s, dtype, {xr, wi, wh, wr, dy, dhn, dcn});
        };
        const autograd::GradOut dwi = weight(3, Dims{GH, I}), dwh = weight(4, Dims{GH, R}),
                                dwr = weight(7, Dims{P, H});
        TensorList grads{make(0, xs), make(1, Dims{B, R}), make(2, Dims{B, H}), dwi.buf,
                         dwh.buf,     make(5, Dims{GH}),   make(6, Dims{GH}),   dwr.buf};
        dispatch_floating(dtype, "rnn_layer", [&](auto tag) {
          using S = typename decltype(tag)::type;
          cpu::RnnGrads<S> gr{grads[0].data_or_null<S>(), grads[1].data_or_null<S>(),
                              grads[2].data_or_null<S>(), grads[3].data_or_null<S>(),
                              grads[4].data_or_null<S>(), grads[5].data_or_null<S>(),
                              grads[6].data_or_null<S>(), grads[7].data_or_null<S>()};
          gr.add_w_ih = dwi.sunk;
          gr.add_w_hh = dwh.sunk;
          gr.add_w_hr = dwr.sunk;
          cpu::rnn_backward<S>(sh, weights<S>(wi, wh, Tensor(), Tensor(), wr), xr.data_or_null<S>(),
                               saved.view<S>(), dy.data<S>(), dhn.data<S>(), dcn.data_or_null<S>(),
                               gr);
        });
        grads[3] = dwi.result();
        grads[4] = dwh.result();
        grads[7] = dwr.result();
        return grads;
      });
  return outs;
}

// Whether the two directions of a bidirectional layer run at once, one per thread (Note
// [Concurrent directions]).
bool concurrent_directions(const std::vector<Direction>& ds) {
  if (ds.size() != 2 || get_num_threads() != 2 || in_parallel_region()) return false;
  const cpu::RnnShape& s = ds[0].shape;
  const int64_t macs = s.T * s.B * cpu::rnn_gate_count(s.mode) * s.H * (s.I + s.H);
  return macs >= (int64_t{1} << 22);
}

}  // namespace

TensorList rnn_layer_directions(const std::string& mode, const Tensor& x,
                                const std::vector<RnnDirection>& dirs, const Tensor& lengths) {
  const cpu::RnnMode md = parse_mode(mode);
  AXONITE_CHECK(x.defined() && x.dim() == 3, ValueError,
                "rnn_layer: expected x of shape (T, B, input_size), got ",
                x.defined() ? shape_str(x.sizes()) : std::string("None"));
  AXONITE_CHECK(is_floating(x.dtype()), TypeError, "rnn_layer: expected a floating-point x, got ",
                dtype_name(x.dtype()));
  const int64_t T = x.size(0), B = x.size(1);
  AXONITE_CHECK(T > 0 && B > 0, ValueError,
                "rnn_layer: expected a non-empty sequence and batch, got x of shape ",
                shape_str(x.sizes()));
  Tensor lens;
  if (lengths.defined()) {
    AXONITE_CHECK(lengths.dtype() == DType::Int64 && lengths.sizes() == Dims{B}, ValueError,
                  "rnn_layer: expected int64 lengths of shape (", B, ",), got ",
                  dtype_name(lengths.dtype()), " of shape ", shape_str(lengths.sizes()));
    lens = contiguous_values(lengths);
    const int64_t* lp = lens.data<int64_t>();
    for (int64_t b = 0; b < B; ++b)
      AXONITE_CHECK(lp[b] >= 1 && lp[b] <= T, ValueError, "rnn_layer: lengths[", b, "] = ", lp[b],
                    " is outside [1, ", T, "] for a sequence of length ", T);
  }

  std::vector<Direction> ds;
  for (const RnnDirection& d : dirs) ds.push_back(prepare(md, x, lens, d));
  // Note [Concurrent directions]: at 2 threads the two directions of a bidirectional layer
  // are independent recurrences of equal work, so each runs on its own thread (its kernels,
  // inside that thread's region, single-threaded): no step waits for the other thread, where
  // one direction at a time on both threads splits every step (kernels/cpu/rnn.cpp). One
  // bidirectional layer (T 50, I 128, H 256), forward: LSTM 11.8 ms against 13.5-13.6 at
  // batch 64, 6.3 against 7.9-8.2 at 32, 3.9 against 5.0 at 16; GRU 9.2-9.5 against
  // 10.0-10.1, 4.7 against 6.8-7.0, 2.6 against 3.9-4.0. More threads than 2 split each
  // direction instead (a nested region here would run one thread per direction). Exceptions
  // (out of memory) are carried out of the region and rethrown; on Ctrl-C both kernels stop
  // and check_interrupt() throws.
  if (concurrent_directions(ds)) {
    std::exception_ptr err[2];
    parallel_region(2, [&](int tid, int nt) {
      for (int i = tid; i < 2; i += nt) {
        try {
          ds[i].forward();
        } catch (...) {
          err[i] = std::current_exception();
        }
      }
    });
    for (const std::exception_ptr& e : err)
      if (e) std::rethrow_exception(e);
    check_interrupt();
  } else {
    for (const Direction& d : ds) d.forward();
  }
  TensorList outs;
  for (const Direction& d : ds) {
    const TensorList o = d.finish();
    outs.insert(outs.end(), o.begin(), o.end());
  }
  return outs;
}

TensorList rnn_layer(const std::string& mode, const Tensor& x, const Tensor& h0, const Tensor& c0,
                     const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
                     const Tensor& w_hr, const Tensor& lengths, bool reverse) {
  return rnn_layer_directions(mode, x, {{h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse}}, lengths);
}

}  // namespace ax
