// Whole-sequence RNN/LSTM/GRU forward and backward (see kernels/rnn.h for shapes and lengths).
// The whole-sequence GEMMs go through gemm_f32/gemm_f64; the per-step products use weights
// packed once per call (PackedWeight, rnn_gemm.h), both thread-count independent. The
// per-step gate passes split the batch rows across threads, each row computed by one
// thread in a fixed order, so results are bit-identical for any thread count. Sigmoid and tanh
// use the dispatched activation loops of kernels/activation.h (in place, on contiguous slices).
#include "axonite/kernels/rnn.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "axonite/core/parallel.h"
#include "axonite/kernels/activation.h"
#include "axonite/kernels/cpu/rnn_gemm.h"
#include "axonite/kernels/gemm.h"
#include "axonite/kernels/normalization.h"

namespace ax::cpu {
namespace {

// C (m, n; row stride ldc) = A (m, k) B (k, n) + beta C, A and B read through strides.
template <class T>
void gemm(int64_t m, int64_t n, int64_t k, const T* a, int64_t a_rs, int64_t a_cs, const T* b,
          int64_t b_rs, int64_t b_cs, T beta, T* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if constexpr (std::is_same_v<T, float>) {
    gemm_f32(m, n, k, 1.0f, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc);
  } else {
    gemm_f64(m, n, k, 1.0, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc);
  }
}

// Every row of c (m, n) set to bias (n,), or to zero when bias is null.
template <class T>
void fill_rows(T* c, int64_t m, int64_t n, const T* bias) {
  const T zero = T(0);
  norm_kernels<T>().fill_rows(c, m, n, bias ? bias : &zero, bias ? 1 : 0);
}

// The in-place pointwise activations the gate passes need, for one dtype.
struct Acts {
  ActForwardKernel sigmoid, tanh, relu;
  template <class T>
  static Acts get() {
    const DType dt = std::is_same_v<T, float> ? DType::Float32 : DType::Float64;
    return {act_forward_kernel(Act::Sigmoid, dt), act_forward_kernel(Act::Tanh, dt),
            act_forward_kernel(Act::Relu, dt)};
  }
};

// Rows per chunk of a gate pass: about 4096 gate values per chunk.
int64_t row_grain(int64_t gh) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(gh, 1)); }

bool active(const RnnShape& s, int64_t t, int64_t b) {
  return s.lengths == nullptr || t < s.lengths[b];
}

// One forward step over rows [b0, b1). g_t (B, G*H) holds x W_ih^T on entry and the activated
// gates on exit; hg (B, G*H) = h W_hh^T. The biases are added here, in the pass that reads the
// row anyway: bx (G*H,) = b_ih + b_hh (GRU's n gate: b_in only), bhn (H,) = b_hn (GRU).
// h (B, R) and c (B, H) are updated in place (for P > 0 the new h is the projection of m,
// applied by the caller).
template <class T>
void step_forward_rows(const RnnShape& s, const Acts& a, int64_t t, int64_t b0, int64_t b1, T* g_t,
                       const T* hg, const T* bx, const T* bhn, T* h, T* c, T* y_t,
                       const RnnSaved<T>& sv) {
  const int64_t H = s.H, G = rnn_gate_count(s.mode), GH = G * H;
  const int64_t R = s.P > 0 ? s.P : H, row0 = t * s.B;
  for (int64_t b = b0; b < b1; ++b) {
    T* g = g_t + b * GH;
    const T* hgb = hg + b * GH;
    T* hb = h + b * R;
    T* yb = y_t + b * R;
    if (!active(s, t, b)) {  // state kept, output zero, nothing for backward to read
      std::fill(g, g + GH, T(0));
      if (s.mode == RnnMode::Lstm)
        std::fill(sv.tanh_c + (row0 + b) * H, sv.tanh_c + (row0 + b + 1) * H, T(0));
      if (sv.m) std::fill(sv.m + (row0 + b) * H, sv.m + (row0 + b + 1) * H, T(0));
      if (sv.hn) std::fill(sv.hn + (row0 + b) * H, sv.hn + (row0 + b + 1) * H, T(0));
      if (s.P == 0) std::fill(yb, yb + R, T(0));
      continue;
    }
    if (s.mode == RnnMode::Lstm) {
#pragma omp simd
      for (int64_t j = 0; j < GH; ++j) g[j] += hgb[j] + bx[j];
      a.sigmoid(g, g, 2 * H, {});
      a.tanh(g + 2 * H, g + 2 * H, H, {});
      a.sigmoid(g + 3 * H, g + 3 * H, H, {});
      T* cb = c + b * H;
      T* tc = sv.tanh_c + (row0 + b) * H;
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) {
        cb[j] = g[H + j] * cb[j] + g[j] * g[2 * H + j];
        tc[j] = cb[j];
      }
      a.tanh(tc, tc, H, {});
      T* out = s.P > 0 ? sv.m + (row0 + b) * H : hb;
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) out[j] = g[3 * H + j] * tc[j];
      if (s.P == 0) std::memcpy(yb, hb, sizeof(T) * H);
    } else if (s.mode == RnnMode::Gru) {
#pragma omp simd
      for (int64_t j = 0; j < 2 * H; ++j) g[j] += hgb[j] + bx[j];
      a.sigmoid(g, g, 2 * H, {});
      T* hn = sv.hn + (row0 + b) * H;
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) {
        hn[j] = hgb[2 * H + j] + bhn[j];
        g[2 * H + j] += bx[2 * H + j] + g[j] * hn[j];
      }
      a.tanh(g + 2 * H, g + 2 * H, H, {});
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) {
        const T z = g[H + j], n = g[2 * H + j];
        hb[j] = (T(1) - z) * n + z * hb[j];
        yb[j] = hb[j];
      }
    } else {
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) g[j] += hgb[j] + bx[j];
      (s.mode == RnnMode::Tanh ? a.tanh : a.relu)(g, g, H, {});
      std::memcpy(hb, g, sizeof(T) * H);
      std::memcpy(yb, g, sizeof(T) * H);
    }
  }
}

// One backward step over rows [b0, b1): from dht (B, R) (gradient reaching h after this step)
// and dm (B, H) (reaching o * tanh(c); dm = dht without projection), writes the gate gradients
// dg_t (B, G*H) (w.r.t. x W_ih^T + b_ih) and dhg_t (w.r.t. h W_hh^T + b_hh; GRU only, else
// dg_t), updates dc (B, H) in place and writes into base (B, R) the part of dh_prev that does
// not pass through W_hh (the caller adds dhg_t W_hh). dh (B, R) is the carried gradient, which
// rows past their length pass on unchanged.
template <class T>
void step_backward_rows(const RnnShape& s, int64_t t, int64_t b0, int64_t b1, const RnnSaved<T>& sv,
                        const T* dht, const T* dm, const T* dh, T* dc, T* dg_t, T* dhg_t, T* base) {
  const int64_t H = s.H, G = rnn_gate_count(s.mode), GH = G * H;
  const int64_t R = s.P > 0 ? s.P : H, row = t * s.B;
  for (int64_t b = b0; b < b1; ++b) {
    T* dg = dg_t + b * GH;
    T* bb = base + b * R;
    if (!active(s, t, b)) {
      std::fill(dg, dg + GH, T(0));
      if (s.mode == RnnMode::Gru) std::fill(dhg_t + b * GH, dhg_t + (b + 1) * GH, T(0));
      std::memcpy(bb, dh + b * R, sizeof(T) * R);
      continue;
    }
    const T* g = sv.gates + (row + b) * GH;
    const T* dhb = dht + b * R;
    if (s.mode == RnnMode::Lstm) {
      const T* tc = sv.tanh_c + (row + b) * H;
      const T* cp = sv.cprev + (row + b) * H;
      const T* dmb = dm + b * H;
      T* dcb = dc + b * H;
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) {
        const T i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j], tcj = tc[j];
        const T dcj = dcb[j] + dmb[j] * o * (T(1) - tcj * tcj);
        dg[j] = dcj * gg * i * (T(1) - i);
        dg[H + j] = dcj * cp[j] * f * (T(1) - f);
        dg[2 * H + j] = dcj * i * (T(1) - gg * gg);
        dg[3 * H + j] = dmb[j] * tcj * o * (T(1) - o);
        dcb[j] = dcj * f;
      }
      std::fill(bb, bb + R, T(0));
    } else if (s.mode == RnnMode::Gru) {
      const T* hn = sv.hn + (row + b) * H;
      const T* hp = sv.hprev + (row + b) * H;
      T* dhg = dhg_t + b * GH;
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) {
        const T r = g[j], z = g[H + j], n = g[2 * H + j], d = dhb[j];
        const T dn = d * (T(1) - z) * (T(1) - n * n);
        const T dr = dn * hn[j] * r * (T(1) - r);
        const T dz = d * (hp[j] - n) * z * (T(1) - z);
        dg[j] = dr;
        dg[H + j] = dz;
        dg[2 * H + j] = dn;
        dhg[j] = dr;
        dhg[H + j] = dz;
        dhg[2 * H + j] = dn * r;
        bb[j] = d * z;
      }
    } else {
      if (s.mode == RnnMode::Tanh) {
#pragma omp simd
        for (int64_t j = 0; j < H; ++j) dg[j] = dhb[j] * (T(1) - g[j] * g[j]);
      } else {
#pragma omp simd
        for (int64_t j = 0; j < H; ++j) dg[j] = g[j] > T(0) ? dhb[j] : T(0);
      }
      std::fill(bb, bb + R, T(0));
    }
  }
}

}  // namespace

template <class T>
void rnn_forward(const RnnShape& s, const RnnWeights<T>& w, const T* x, const T* h0, const T* c0,
                 T* y, T* h_n, T* c_n, const RnnSaved<T>& sv) {
  const int64_t H = s.H, G = rnn_gate_count(s.mode), GH = G * H, B = s.B;
  const int64_t R = s.P > 0 ? s.P : H, TB = s.T * B;
  const bool lstm = s.mode == RnnMode::Lstm;
  const Acts acts = Acts::get<T>();
  // The input projections of all steps in one GEMM, straight into the gate buffer.
  if (s.I > 0) {
    gemm<T>(TB, GH, s.I, x, s.I, 1, w.w_ih, 1, s.I, T(0), sv.gates, GH);
  } else {
    fill_rows<T>(sv.gates, TB, GH, nullptr);
  }
  // Both biases summed once (GRU keeps b_hn apart: it is scaled by r).
  std::vector<T> bx(GH, T(0)), bhn(H, T(0));
  if (w.b_ih) {
    const int64_t shared = s.mode == RnnMode::Gru ? 2 * H : GH;
    for (int64_t j = 0; j < GH; ++j) bx[j] = w.b_ih[j] + (j < shared ? w.b_hh[j] : T(0));
    if (s.mode == RnnMode::Gru) std::copy(w.b_hh + 2 * H, w.b_hh + 3 * H, bhn.begin());
  }
  std::vector<T> h(h0, h0 + B * R), c(lstm ? c0 : h0, lstm ? c0 + B * H : h0), hg(B * GH);
  std::vector<T> proj(s.P > 0 ? B * s.P : 0);
  // The recurrent weights are packed once for all steps: W_hh^T (R x G*H), W_hr^T (H x P).
  PackedWeight<T> whh_t(R, GH, w.w_hh, 1, R);
  std::unique_ptr<PackedWeight<T>> whr_t;
  if (s.P > 0) whr_t = std::make_unique<PackedWeight<T>>(H, s.P, w.w_hr, 1, H);
  const int64_t grain = row_grain(GH);
  for (int64_t step = 0; step < s.T; ++step) {
    const int64_t t = s.reverse ? s.T - 1 - step : step;
    std::memcpy(sv.hprev + t * B * R, h.data(), sizeof(T) * B * R);
    if (lstm) std::memcpy(sv.cprev + t * B * H, c.data(), sizeof(T) * B * H);
    whh_t.multiply(B, h.data(), R, 1, T(0), hg.data(), GH);
    T* g_t = sv.gates + t * B * GH;
    T* y_t = y + t * B * R;
    parallel_for(0, B, grain, [&](int64_t b0, int64_t b1) {
      step_forward_rows<T>(s, acts, t, b0, b1, g_t, hg.data(), bx.data(), bhn.data(), h.data(),
                           c.data(), y_t, sv);
    });
    if (s.P > 0) {  // h = W_hr m for the rows that ran this step
      whr_t->multiply(B, sv.m + t * B * H, H, 1, T(0), proj.data(), s.P);
      for (int64_t b = 0; b < B; ++b) {
        T* yb = y_t + b * R;
        if (active(s, t, b)) {
          std::memcpy(h.data() + b * R, proj.data() + b * R, sizeof(T) * R);
          std::memcpy(yb, proj.data() + b * R, sizeof(T) * R);
        } else {
          std::fill(yb, yb + R, T(0));
        }
      }
    }
  }
  std::memcpy(h_n, h.data(), sizeof(T) * B * R);
  if (lstm) std::memcpy(c_n, c.data(), sizeof(T) * B * H);
}

template <class T>
void rnn_backward(const RnnShape& s, const RnnWeights<T>& w, const T* x, const RnnSaved<T>& sv,
                  const T* dy, const T* dh_n, const T* dc_n, const RnnGrads<T>& gr) {
  const int64_t H = s.H, G = rnn_gate_count(s.mode), GH = G * H, B = s.B, P = s.P;
  const int64_t R = P > 0 ? P : H, TB = s.T * B;
  const bool gru = s.mode == RnnMode::Gru, lstm = s.mode == RnnMode::Lstm;
  std::vector<T> dG(TB * GH), dHGbuf(gru ? TB * GH : 0);
  T* dHG = gru ? dHGbuf.data() : dG.data();  // the same gradient except for GRU's n gate
  // dh entering each step: kept for all steps when dW_hr needs it, else one step's worth.
  std::vector<T> dht_buf(P > 0 ? TB * P : B * R), dm(P > 0 ? B * H : 0);
  std::vector<T> dh(B * R, T(0)), next(B * R), dc(lstm ? B * H : 0, T(0));
  if (dh_n) std::copy(dh_n, dh_n + B * R, dh.begin());
  if (lstm && dc_n) std::copy(dc_n, dc_n + B * H, dc.begin());
  // Packed once for all steps: W_hh (G*H x R), W_hr (P x H).
  PackedWeight<T> whh(GH, R, w.w_hh, R, 1);
  std::unique_ptr<PackedWeight<T>> whr;
  if (P > 0) whr = std::make_unique<PackedWeight<T>>(P, H, w.w_hr, H, 1);
  const int64_t grain = row_grain(GH);
  for (int64_t step = s.T - 1; step >= 0; --step) {
    const int64_t t = s.reverse ? s.T - 1 - step : step;
    T* dht = P > 0 ? dht_buf.data() + t * B * P : dht_buf.data();
    const T* dy_t = dy + t * B * R;
    for (int64_t b = 0; b < B; ++b) {
      T* d = dht + b * R;
      if (active(s, t, b)) {
        for (int64_t j = 0; j < R; ++j) d[j] = dh[b * R + j] + dy_t[b * R + j];
      } else {
        std::fill(d, d + R, T(0));  // the output past the length is a constant zero
      }
    }
    const T* dmp = dht;
    if (P > 0) {
      whr->multiply(B, dht, P, 1, T(0), dm.data(), H);
      dmp = dm.data();
    }
    T* dg_t = dG.data() + t * B * GH;
    T* dhg_t = dHG + t * B * GH;
    parallel_for(0, B, grain, [&](int64_t b0, int64_t b1) {
      step_backward_rows<T>(s, t, b0, b1, sv, dht, dmp, dh.data(), dc.data(), dg_t, dhg_t,
                            next.data());
    });
    whh.multiply(B, dhg_t, GH, 1, T(1), next.data(), R);
    dh.swap(next);
  }
  if (gr.dh0) std::copy(dh.begin(), dh.end(), gr.dh0);
  if (gr.dc0 && lstm) std::copy(dc.begin(), dc.end(), gr.dc0);
  // Everything else is one GEMM (or column sum) over all T*B rows.
  if (gr.dx && s.I > 0) gemm<T>(TB, s.I, GH, dG.data(), GH, 1, w.w_ih, s.I, 1, T(0), gr.dx, s.I);
  if (gr.dw_ih && s.I > 0) gemm<T>(GH, s.I, TB, dG.data(), 1, GH, x, s.I, 1, T(0), gr.dw_ih, s.I);
  if (gr.dw_hh) gemm<T>(GH, R, TB, dHG, 1, GH, sv.hprev, R, 1, T(0), gr.dw_hh, R);
  const auto& nk = norm_kernels<T>();
  if (gr.db_ih) nk.column_sums(dG.data(), TB, GH, GH, 1, gr.db_ih);
  if (gr.db_hh && gr.db_ih && !gru) {
    std::copy(gr.db_ih, gr.db_ih + GH, gr.db_hh);  // b_ih and b_hh enter the same sum
  } else if (gr.db_hh) {
    nk.column_sums(dHG, TB, GH, GH, 1, gr.db_hh);
  }
  if (gr.dw_hr && P > 0) gemm<T>(P, H, TB, dht_buf.data(), 1, P, sv.m, H, 1, T(0), gr.dw_hr, H);
}

template void rnn_forward<float>(const RnnShape&, const RnnWeights<float>&, const float*,
                                 const float*, const float*, float*, float*, float*,
                                 const RnnSaved<float>&);
template void rnn_forward<double>(const RnnShape&, const RnnWeights<double>&, const double*,
                                  const double*, const double*, double*, double*, double*,
                                  const RnnSaved<double>&);
template void rnn_backward<float>(const RnnShape&, const RnnWeights<float>&, const float*,
                                  const RnnSaved<float>&, const float*, const float*, const float*,
                                  const RnnGrads<float>&);
template void rnn_backward<double>(const RnnShape&, const RnnWeights<double>&, const double*,
                                   const RnnSaved<double>&, const double*, const double*,
                                   const double*, const RnnGrads<double>&);

}  // namespace ax::cpu
