// Whole-sequence RNN/LSTM/GRU forward and backward (see kernels/rnn.h for shapes and lengths).
// The per-step products use weights packed once per call (PackedWeight, rnn_gemm.h); the
// weight gradients are summed by chunks of steps inside backward's time loop. The time loop runs in
// one parallel region. With enough rows forward and backward split the batch (Note [Batch
// split]); otherwise each thread owns a slice of the hidden units (whole 16-unit chunks, every
// gate of them), runs its GEMM slice and gate pass, writes its part of the next step's packed A,
// and meets the others at one barrier per step; with one thread the GEMMs and gate passes split
// across threads inside instead. Every output element has one fixed order of arithmetic, so results
// are bit-identical for any thread count. The pointwise work of a step (bias adds, gates, state
// update, what backward saves) is one fused pass per row (rnn_gates.h, compiled per ISA).
#include "axonite/kernels/rnn.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "axonite/core/cpu_features.h"
#include "axonite/core/parallel.h"
#include "axonite/kernels/cpu/gemm_kernels.h"
#include "axonite/kernels/cpu/rnn_gates.h"
#include "axonite/kernels/cpu/rnn_gemm.h"
#include "axonite/kernels/cpu/scratch.h"
#include "axonite/kernels/gemm.h"
#include "axonite/kernels/normalization.h"

namespace ax::cpu {
namespace {

// Every row of c (m, n) set to bias (n,), or to zero when bias is null.
template <class T>
void fill_rows(T* c, int64_t m, int64_t n, const T* bias) {
  const T zero = T(0);
  norm_kernels<T>().fill_rows(c, m, n, bias ? bias : &zero, bias ? 1 : 0);
}

// n buffers of len elements in one block from the caching allocator (see h and c in
// rnn_forward), each starting on its own 64-byte line so that per-thread parts share no cache
// line; zeroed when asked (a packed A's padding rows must be).
template <class T>
class Parts {
 public:
  Parts(int64_t n, int64_t len, bool zero = false) : len_((len + 15) / 16 * 16), buf_(n * len_) {
    if (zero) std::fill(buf_.data(), buf_.data() + n * len_, T(0));
  }
  T* operator[](int64_t i) const { return buf_.data() + i * len_; }

 private:
  int64_t len_;
  CachedArray<T> buf_;
};

// C (m x n) = A B + beta C through the tiled micro-kernel only (no small-problem or
// matrix-vector shortcut): every element's arithmetic then depends on k alone, not on m, n or
// the threads, so a product split into row blocks has the bits of the whole.
void tiled_gemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t a_rs, int64_t a_cs,
                const float* b, int64_t b_rs, float beta, float* c, int64_t ldc) {
  gemm_detail::gemm_packed_f32(gemm_detail::kernel_desc_f32(cpu_isa()), m, n, k, 1.f, a, a_rs, a_cs,
                               b, b_rs, 1, beta, c, ldc);
}
void tiled_gemm(int64_t m, int64_t n, int64_t k, const double* a, int64_t a_rs, int64_t a_cs,
                const double* b, int64_t b_rs, double beta, double* c, int64_t ldc) {
  gemm_detail::gemm_packed_f64(gemm_detail::kernel_desc_f64(cpu_isa()), m, n, k, 1.0, a, a_rs, a_cs,
                               b, b_rs, 1, beta, c, ldc);
}

// Rows of dG per chunk of the weight gradients (Note [Weight gradients by chunk]); half the K
// block of the AVX-512 float32 GEMM measured a little faster than a whole one (char_lm step,
// medians of 5: 21.15 against 21.31 ms at 1 thread, 11.86 against 12.00 at 2).
constexpr int64_t kWgradChunkRows = 256;

// Rows per chunk of a gate pass: about 4096 gate values per chunk.
int64_t row_grain(int64_t gh) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(gh, 1)); }

// The step whose slot of the (T, B, .) saved buffers step t writes: t, or 0 when forward keeps
// no history (RnnShape::keep_history).
int64_t saved_step(const RnnShape& s, int64_t t) { return s.keep_history ? t : 0; }

bool active(const RnnShape& s, int64_t t, int64_t b) {
  return s.lengths == nullptr || t < s.lengths[b];
}

// The hidden units [j0, j1) one thread of the time loop owns, with every gate of them.
struct Units {
  int64_t j0, j1;
  int64_t size() const { return j1 - j0; }
};

// Thread tid's units out of H, in whole 16-unit chunks (one AVX-512 f32 vector), so where a
// unit's activations fall in a vector body or tail does not depend on the thread count.
Units units_of(int64_t H, int tid, int nt) {
  const int64_t chunks = (H + 15) / 16;
  return {std::min(H, 16 * (chunks * tid / nt)), std::min(H, 16 * (chunks * (tid + 1) / nt))};
}

// The rows [b0, b1) of a batch of B that thread tid of nt owns in the batch split (Note [Batch
// split]), forward and backward alike.
std::pair<int64_t, int64_t> batch_rows(int64_t B, int tid, int nt) {
  return {B * tid / nt, B * (tid + 1) / nt};
}

// One forward step over rows [b0, b1) and units u. g_t (B, G*H) holds x W_ih^T on entry when
// `add_input` (else the input part is already in hg) and the activated gates on exit; hg holds
// the GEMM products of the units for the rows from hg_row0 on, gate q of unit u.j0 + i of row b
// at hg[(b - hg_row0) * ldhg + q * u.size() + i]; an LSTM forward without history over every
// unit activates its gates there in place rather than in g_t, the same layout then (one buffer
// of the two in cache: the 1-thread LSTM forward 0.7% faster, 6 A/B rounds). The biases are added
// here, in the pass that reads the row anyway: bx (G*H,) = b_ih + b_hh (GRU's n gate: b_in only),
// bhn (H,) = b_hn (GRU). h (B, R) and c (B, H) are updated in place (for P > 0 the new h is the
// projection of m, applied by the caller), after their old values are saved for backward (hprev
// only when P == 0; the caller saves it otherwise). An active row is one fused pass (rnn_gates.h);
// u.j0 is a multiple of 16, which that pass needs for its bits not to depend on the thread count.
template <class T>
void step_forward_rows(const RnnShape& s, const RnnGateKernels<T>& k, int64_t t, int64_t b0,
                       int64_t b1, Units u, bool add_input, T* g_t, T* hg, int64_t ldhg,
                       int64_t hg_row0, const T* bx, const T* bhn, T* h, T* c, T* y_t,
                       const RnnSaved<T>& sv) {
  const int64_t H = s.H, G = rnn_gate_count(s.mode), GH = G * H, n = u.size();
  const int64_t R = s.P > 0 ? s.P : H, row0 = saved_step(s, t) * s.B;
  const GateIn in = add_input ? GateIn::Add : GateIn::Set;
  const T* bxu = bx + u.j0;
  for (int64_t b = b0; b < b1; ++b) {
    T* g = g_t + b * GH + u.j0;  // gate q of unit u.j0 + i at g[q * H + i]
    T* hgb = hg + (b - hg_row0) * ldhg;
    T* hb = h + b * R + u.j0;
    T* yb = y_t + b * R + u.j0;
    T* hp = sv.hprev + (row0 + b) * R + u.j0;
    const int64_t su = (row0 + b) * H + u.j0;  // the units' offset in the (T, B, H) buffers
    if (!active(s, t, b)) {  // state kept, output zero, nothing for backward to read
      if (s.P == 0) std::memcpy(hp, hb, sizeof(T) * n);
      if (s.mode == RnnMode::Lstm) std::memcpy(sv.cprev + su, c + b * H + u.j0, sizeof(T) * n);
      for (int64_t q = 0; q < G; ++q) std::fill(g + q * H, g + q * H + n, T(0));
      if (s.mode == RnnMode::Lstm) std::fill(sv.tanh_c + su, sv.tanh_c + su + n, T(0));
      if (sv.m) std::fill(sv.m + su, sv.m + su + n, T(0));
      if (sv.hn) std::fill(sv.hn + su, sv.hn + su + n, T(0));
      if (s.P == 0) std::fill(yb, yb + n, T(0));
      continue;
    }
    if (s.mode == RnnMode::Lstm) {
      LstmForwardRow<T> r{};
      r.in = in;
      r.g = g;
      if (!s.keep_history && n == H && in == GateIn::Set) r.g = hgb;
      r.gs = H;
      r.hg = hgb;
      r.hs = n;
      r.bias = bxu;
      r.c = r.c_new = c + b * H + u.j0;
      if (s.keep_history) {  // what backward reads, copied before the step updates it in place
        std::memcpy(sv.cprev + su, r.c, sizeof(T) * n);
        if (s.P == 0) std::memcpy(hp, hb, sizeof(T) * n);
        r.tanh_c = sv.tanh_c + su;
      }
      r.out = s.P > 0 ? sv.m + su : hb;
      if (s.P == 0) r.y = yb;
      k.lstm_forward(r, n);
    } else if (s.mode == RnnMode::Gru) {  // add_input: the input projections are in g_t
      GruForwardRow<T> r{};
      r.g = g;
      r.gs = H;
      r.hg = hgb;
      r.hs = n;
      r.bias = bxu;
      r.bhn = bhn + u.j0;
      r.h = r.h_new = hb;
      r.hn = sv.hn + su;
      r.hprev = hp;
      r.y = yb;
      k.gru_forward(r, n);
    } else {
      RnnForwardRow<T> r{};
      r.in = in;
      r.relu = s.mode == RnnMode::Relu;
      r.g = g;
      r.hg = hgb;
      r.bias = bxu;
      r.h = r.h_new = hb;
      r.hprev = hp;
      r.y = yb;
      k.rnn_forward(r, n);
    }
  }
}

// One backward step over rows [b0, b1) and units u: from dht (B, R) (gradient reaching h after
// this step) and dm (B, H) (reaching o * tanh(c); dm = dht without projection), writes the gate
// gradients dg_t (B, G*H) (w.r.t. x W_ih^T + b_ih) and dhg_t (w.r.t. h W_hh^T + b_hh; GRU only,
// else dg_t), updates dc (B, H) in place and writes into base (B, R) the part of dh_prev that
// does not pass through W_hh (the caller adds dhg_t W_hh). dh (B, R) is the carried gradient,
// which rows past their length pass on unchanged. With a projection (P > 0, one thread) u spans
// every unit and base and dh are whole rows of R = P. An active row is one fused pass.
template <class T>
void step_backward_rows(const RnnShape& s, const RnnGateKernels<T>& k, int64_t t, int64_t b0,
                        int64_t b1, Units u, const RnnSaved<T>& sv, const T* dht, const T* dm,
                        const T* dh, T* dc, T* dg_t, T* dhg_t, T* base) {
  const int64_t H = s.H, G = rnn_gate_count(s.mode), GH = G * H, n = u.size();
  const int64_t R = s.P > 0 ? s.P : H, row = t * s.B;
  const int64_t r0 = s.P > 0 ? 0 : u.j0, rn = s.P > 0 ? R : n;  // this call's part of an h row
  for (int64_t b = b0; b < b1; ++b) {
    T* dg = dg_t + b * GH + u.j0;  // gate q of unit u.j0 + i at dg[q * H + i]
    T* bb = base + b * R + r0;
    if (!active(s, t, b)) {
      for (int64_t q = 0; q < G; ++q) {
        std::fill(dg + q * H, dg + q * H + n, T(0));
        if (s.mode == RnnMode::Gru)
          std::fill(dhg_t + b * GH + u.j0 + q * H, dhg_t + b * GH + u.j0 + q * H + n, T(0));
      }
      std::memcpy(bb, dh + b * R + r0, sizeof(T) * rn);
      continue;
    }
    const T* g = sv.gates + (row + b) * GH + u.j0;
    const T* dhb = dht + b * R + u.j0;  // GRU and plain RNN only (R == H)
    const int64_t su = (row + b) * H + u.j0;
    if (s.mode == RnnMode::Lstm) {
      T* dcb = dc + b * H + u.j0;
      k.lstm_backward({g, H, sv.tanh_c + su, sv.cprev + su, dm + b * H + u.j0, dcb, dg, dcb}, n);
      std::fill(bb, bb + rn, T(0));
    } else if (s.mode == RnnMode::Gru) {
      k.gru_backward({g, H, sv.hn + su, sv.hprev + su, dhb, dg, dhg_t + b * GH + u.j0, bb}, n);
    } else {
      k.rnn_backward({s.mode == RnnMode::Relu, g, dhb, dg}, n);
      std::fill(bb, bb + rn, T(0));
    }
  }
}

// The step GEMM's weight for units u, packed once for all steps: [W_ih | W_hh]^T restricted to
// the gate columns of the units (K x G*n, K = KX + R), or W_hh^T alone when the input
// projection is not folded into the step (KX == 0).
template <class T>
std::unique_ptr<PackedWeight<T>> pack_step_weight(const RnnShape& s, const RnnWeights<T>& w,
                                                  int64_t KX, Units u) {
  const int64_t H = s.H, G = rnn_gate_count(s.mode), I = s.I, R = s.P > 0 ? s.P : H;
  const int64_t K = KX + R, n = u.size();
  // Column (q, j) of the packed weight: row q * H + j of W_ih, then of W_hh.
  const typename PackedWeight<T>::RowPair rows{KX > 0 ? w.w_ih : nullptr, I, w.w_hh, R, n, H, u.j0};
  return std::make_unique<PackedWeight<T>>(K, KX, G * n, rows);
}

// Threads for a layer's time loop. Each owns a slice of the hidden units (every gate of them),
// so a step is one GEMM slice and one gate pass per thread and a single barrier; it pays once
// a step's recurrent GEMM is large. With a projection (P > 0) the next h needs every unit, so
// one thread runs the loop (its GEMMs and gate passes still split across threads inside); so
// does a layer called inside another parallel region (Note [Concurrent directions], ops/rnn.cpp).
bool time_loop_may_split(const RnnShape& s) {
  const int64_t macs = s.B * rnn_gate_count(s.mode) * s.H * s.H;  // per step
  return s.P == 0 && !in_parallel_region() && macs >= (int64_t{1} << 19);
}
int time_loop_threads(const RnnShape& s) {
  if (!time_loop_may_split(s)) return 1;
  return static_cast<int>(std::min<int64_t>(get_num_threads(), std::max<int64_t>(1, s.H / 32)));
}

// Threads for the batch split of a layer's time loop (Note [Batch split]), or 1 for the units
// split. Each thread needs at least 16 rows, two 8-row tiles of the AVX-512 float32 GEMM kernel
// (PackedWeight tiles rows evenly). Measured at 2 threads: B = 64 (32 rows each) LSTM forward
// 5.67-5.69 ms against 6.56-6.66 ms with the units split; the char_lm step (B = 32, 16 rows
// each) 13.6-14.6 ms against 16.5-17.5 ms with both passes split by rows (in a slow phase of
// this VM, where the units split's per-step exchange between the cores costs most), the LSTM
// forward+backward at that size 12.0 against 14.4-15.4 ms. With 14 + 2 row tiles the char_lm
// forward had measured slower split by rows.
int batch_split_threads(const RnnShape& s) {
  constexpr int64_t kMinRows = 16;
  if (!time_loop_may_split(s)) return 1;
  return static_cast<int>(std::min<int64_t>(get_num_threads(), s.B / kMinRows));
}

// Runs the T steps of a time loop on nt_want threads of one parallel region: before(tid, i),
// then a barrier, then after(tid, i). On Ctrl-C every thread stops after the same step
// (Note [Interrupts]; the caller's check_interrupt() then throws). Returns false, having run
// nothing, when OpenMP gave fewer threads than asked: the caller redoes its per-thread setup
// for one thread.
template <class Before, class After>
bool time_loop(int nt_want, int64_t T, const Before& before, const After& after) {
  std::atomic<int64_t> stop_at{T + 1};  // the step after which all threads stop
  std::atomic<bool> short_team{false};
  parallel_region(nt_want, [&](int tid, int nt) {
    if (nt != nt_want) {  // every thread sees the same team size, so none starts
      short_team.store(true);
      return;
    }
    for (int64_t i = 0; i < T; ++i) {
      before(tid, i);
      if (tid == 0 && interrupt_requested()) stop_at.store(i + 1);
      region_barrier();
      // A later step's store is i + 2 or more, so every thread agrees here.
      if (stop_at.load() <= i + 1) break;
      after(tid, i);
    }
  });
  return !short_team.load();
}

}  // namespace

template <class T>
void rnn_forward(const RnnShape& s, const RnnWeights<T>& w, const T* x, const T* h0, const T* c0,
                 T* y, T* h_n, T* c_n, const RnnSaved<T>& sv) {
  const int64_t H = s.H, G = rnn_gate_count(s.mode), GH = G * H, B = s.B, P = s.P, I = s.I;
  const int64_t R = P > 0 ? P : H, TB = s.T * B;
  const bool lstm = s.mode == RnnMode::Lstm;
  const RnnGateKernels<T>& gates = rnn_gate_kernels<T>();
  // LSTM and the plain RNNs fold the input projection into every step's GEMM: A = [x_t | h]
  // against [W_ih | W_hh]^T, so a step's pre-activations come out of one GEMM while in cache
  // instead of a (T*B, G*H) buffer written by one large GEMM and read back step by step. GRU
  // cannot (its n gate scales only the recurrent part by r): its input projections of all steps
  // are one GEMM, straight into the gate buffer.
  const bool fold = s.mode != RnnMode::Gru;
  const int64_t KX = fold ? I : 0, K = KX + R;  // A's columns: x_t (KX), then h (R)
  if (!fold && I > 0) {
    gemm(TB, GH, I, T(1), x, I, 1, w.w_ih, 1, I, T(0), sv.gates, GH);
  } else if (!fold) {
    fill_rows<T>(sv.gates, TB, GH, nullptr);
  }
  // Both biases summed once (GRU keeps b_hn apart: it is scaled by r).
  std::vector<T> bx(GH, T(0)), bhn(H, T(0));
  if (w.b_ih) {
    const int64_t shared = s.mode == RnnMode::Gru ? 2 * H : GH;
    for (int64_t j = 0; j < GH; ++j) bx[j] = w.b_ih[j] + (j < shared ? w.b_hh[j] : T(0));
    if (s.mode == RnnMode::Gru) std::copy(w.b_hh + 2 * H, w.b_hh + 3 * H, bhn.begin());
  }
  // Per-call buffers come from the caching allocator (CachedArray): as std::vectors they were
  // zeroed and, past malloc's mmap threshold, page-faulted in on every call (a 1-step LSTM
  // forward at B 64, H 256 took 450 us at 1 thread; 290 us without).
  CachedArray<T> h(B * R), c(lstm ? B * H : 0);
  std::copy(h0, h0 + B * R, h.data());
  if (lstm) std::copy(c0, c0 + B * H, c.data());
  std::vector<T> proj(P > 0 ? B * P : 0);
  std::unique_ptr<PackedWeight<T>> whr_t;  // W_hr^T (H x P), packed once
  if (P > 0) whr_t = std::make_unique<PackedWeight<T>>(H, P, w.w_hr, 1, H);
  const int64_t grain = row_grain(GH);
  const auto t_of = [&](int64_t step) { return s.reverse ? s.T - 1 - step : step; };
  if (const int nb = batch_split_threads(s); nb > 1) {
    // Note [Batch split]: each thread runs the whole recurrence on its own rows of the batch,
    // with its own packed A and GEMM products and the one packed weight shared (read only);
    // rows of h, c, y and the saved buffers are disjoint between threads. Nothing crosses
    // between cores and no step waits at a barrier, where the units split exchanges every
    // step's h: on this VM that exchange has slow phases (2-thread LSTM forward 7.9-8.5 ms
    // against 5.8-6.2 ms in fast ones). A row's GEMM and gate arithmetic does not depend on
    // the tile or thread that computes it, so the bits are those of the other paths. On Ctrl-C
    // each thread stops at its next step; check_interrupt() then throws.
    const std::unique_ptr<PackedWeight<T>> wt = pack_step_weight(s, w, KX, Units{0, H});
    // Per thread, at most ceil(B / nb) rows: a packed A (zeroed, for its padding rows) and the
    // GEMM products, 64-byte apart so that no cache line is shared.
    const int64_t mb_max = (B + nb - 1) / nb;
    const Parts<T> apb(nb, wt->a_size(mb_max), true), hgb(nb, mb_max * GH);
    std::atomic<bool> short_team{false};
    parallel_region(nb, [&](int tid, int nt) {
      if (nt != nb) {  // every thread sees the same team size, so none starts
        short_team.store(true);
        return;
      }
      const auto [b0, b1] = batch_rows(B, tid, nt);
      const int64_t mb = b1 - b0;
      T* ap = apb[tid];
      T* hgp = hgb[tid];
      if (KX > 0) wt->scatter_a(mb, 0, mb, 0, KX, x + (t_of(0) * B + b0) * I, I, ap);
      wt->scatter_a(mb, 0, mb, KX, K, h.data() + b0 * R, R, ap);
      for (int64_t step = 0; step < s.T && !interrupt_requested(); ++step) {
        const int64_t t = t_of(step);
        wt->multiply_packed(mb, ap, T(0), hgp, GH);
        step_forward_rows<T>(s, gates, t, b0, b1, Units{0, H}, !fold,
                             sv.gates + (fold ? saved_step(s, t) : t) * B * GH, hgp, GH, b0,
                             bx.data(), bhn.data(), h.data(), c.data(), y + t * B * R, sv);
        if (step + 1 == s.T) break;
        wt->scatter_a(mb, 0, mb, KX, K, h.data() + b0 * R, R, ap);
        if (KX > 0) wt->scatter_a(mb, 0, mb, 0, KX, x + (t_of(step + 1) * B + b0) * I, I, ap);
      }
    });
    if (!short_team.load()) {
      check_interrupt();
      std::memcpy(h_n, h.data(), sizeof(T) * B * R);
      if (lstm) std::memcpy(c_n, c.data(), sizeof(T) * B * H);
      return;
    }  // else nothing ran: the units split below takes over
  }
  for (int nt_want = time_loop_threads(s);; nt_want = 1) {
    // Per thread, packed once for all steps: [W_ih | W_hh]^T (W_hh^T alone for GRU) restricted
    // to the gate columns of its units (K x G*n), and room for their products.
    std::vector<std::unique_ptr<PackedWeight<T>>> wt(nt_want);
    const Parts<T> hg(nt_want, B * GH);  // per thread, at most every unit
    for (int tid = 0; tid < nt_want; ++tid)
      wt[tid] = pack_step_weight(s, w, KX, units_of(H, tid, nt_want));
    // Each step's A in the packed layout the GEMM reads, double-buffered: a step writes the next
    // step's A (its units of h, its share of the rows of x) while other threads may still
    // multiply with the current one.
    const PackedWeight<T>& lay = *wt[0];
    const Parts<T> ap(2, lay.a_size(B), true);
    if (KX > 0 && s.T > 0) lay.scatter_a(B, 0, B, 0, KX, x + t_of(0) * B * I, I, ap[0]);
    lay.scatter_a(B, 0, B, KX, K, h.data(), R, ap[0]);
    const int nt = nt_want;
    const auto step_forward = [&](int tid, int64_t step) {
      const Units u = units_of(H, tid, nt);
      const int64_t ldhg = G * u.size();
      const int64_t h0u = P > 0 ? 0 : u.j0, h1u = P > 0 ? R : u.j1;  // this thread's part of h
      const int64_t t = t_of(step);
      const T* ap_cur = ap[step & 1];
      T* ap_next = ap[(step + 1) & 1];
      const int64_t ts = saved_step(s, t);
      T* g_t = sv.gates + (fold ? ts : t) * B * GH;  // GRU's holds every step's x W_ih^T
      T* y_t = y + t * B * R;
      if (u.size() > 0) {
        if (P > 0 && s.keep_history)
          std::memcpy(sv.hprev + ts * B * R, h.data(), sizeof(T) * B * R);
        wt[tid]->multiply_packed(B, ap_cur, T(0), hg[tid], ldhg);
        parallel_for(0, B, grain, [&](int64_t b0, int64_t b1) {
          step_forward_rows<T>(s, gates, t, b0, b1, u, !fold, g_t, hg[tid], ldhg, 0, bx.data(),
                               bhn.data(), h.data(), c.data(), y_t, sv);
        });
        if (P > 0) {  // h = W_hr m for the rows that ran this step (one thread: nt == 1)
          whr_t->multiply(B, sv.m + ts * B * H, H, 1, T(0), proj.data(), P);
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
        lay.scatter_a(B, 0, B, KX + h0u, KX + h1u, h.data() + h0u, R, ap_next);
      }
      if (KX > 0 && step + 1 < s.T) {
        const int64_t b0 = B * tid / nt, b1 = B * (tid + 1) / nt;
        lay.scatter_a(B, b0, b1, 0, KX, x + (t_of(step + 1) * B + b0) * I, I, ap_next);
      }
    };
    if (time_loop(nt, s.T, step_forward, [](int, int64_t) {})) break;
  }
  check_interrupt();
  std::memcpy(h_n, h.data(), sizeof(T) * B * R);
  if (lstm) std::memcpy(c_n, c.data(), sizeof(T) * B * H);
}

template <class T>
void rnn_backward(const RnnShape& s, const RnnWeights<T>& w, const T* x, const RnnSaved<T>& sv,
                  const T* dy, const T* dh_n, const T* dc_n, const RnnGrads<T>& gr) {
  const int64_t H = s.H, G = rnn_gate_count(s.mode), GH = G * H, B = s.B, P = s.P;
  const int64_t R = P > 0 ? P : H, TB = s.T * B;
  const bool gru = s.mode == RnnMode::Gru, lstm = s.mode == RnnMode::Lstm;
  const RnnGateKernels<T>& gates = rnn_gate_kernels<T>();
  // dh entering each step: kept for all steps when dW_hr needs it, else one step's worth.
  CachedArray<T> dht_buf(P > 0 ? TB * P : B * R), dm(P > 0 ? B * H : 0);
  // The carried dh, ping-ponged between steps: step i reads dhs[i & 1], writes the other.
  const Parts<T> dhs(2, B * R);
  CachedArray<T> dc(lstm ? B * H : 0);
  if (dh_n) {
    std::copy(dh_n, dh_n + B * R, dhs[0]);
  } else {
    std::fill(dhs[0], dhs[0] + B * R, T(0));
  }
  if (lstm && dc_n) {
    std::copy(dc_n, dc_n + B * H, dc.data());
  } else if (lstm) {
    std::fill(dc.data(), dc.data() + B * H, T(0));
  }
  std::unique_ptr<PackedWeight<T>> whr;  // W_hr (P x H), packed once
  if (P > 0) whr = std::make_unique<PackedWeight<T>>(P, H, w.w_hr, H, 1);
  // LSTM and the plain RNNs form dx_t = dg_t W_ih inside the time loop, from the step's packed
  // dg_t that dh_prev already needs, instead of one GEMM after the loop that packs all of dG
  // (T*B x G*H, 8 MB at the char_lm size) again. Measured: the char_lm step and the LSTM
  // forward+backward 3.5-4% faster at 2 threads, unchanged at 1 (there the per-step products,
  // at B rows, run a little below the large GEMM's rate and use up the saved pack). GRU keeps
  // the large GEMM: its packed operand is dhg_t (the n gate scaled by r), not dg_t.
  const bool dx_in_loop = !gru && gr.dx && s.I > 0;
  // The time index of the loop's i-th step (steps walk backward through the forward order).
  const auto t_at = [&](int64_t i) { return s.reverse ? i : s.T - 1 - i; };
  // Note [Weight gradients by chunk]: dW_ih = dG^T x, dW_hh = dHG^T h_prev and the bias
  // gradients (column sums of dG) are summed chunk by chunk inside the time loop: right after a
  // chunk of steps has written its gate gradients, each thread adds its units' rows of dW and
  // entries of db, while the chunk is still in cache (with the units split, in its own core's:
  // it wrote those columns of dG itself; the batch split meets at a barrier first). After
  // the loop, products over all T*B rows read dG back from L3 and memory (8 MB at the char_lm
  // size): there the two products took 6.7 ms of the 1-thread char_lm step against 5.5 ms on
  // warm operands. LSTM and the plain RNNs then need only one chunk of dG (their dx_t is formed
  // at its step); GRU keeps all of it for its dx product after the loop. A chunk's size depends
  // only on B, the chunks are summed in the loop's order and each product's arithmetic per
  // element depends only on its K (tiled_gemm), so the bits do not depend on the thread count.
  const int64_t chunk_steps = std::max<int64_t>(1, kWgradChunkRows / std::max<int64_t>(B, 1));
  // The first (forward-order) time step of the chunk holding loop step i, and its step count.
  const auto chunk_of = [&](int64_t i) {
    const int64_t i0 = i / chunk_steps * chunk_steps, i1 = std::min(s.T, i0 + chunk_steps) - 1;
    return std::pair<int64_t, int64_t>{std::min(t_at(i0), t_at(i1)), i1 - i0 + 1};
  };
  // LSTM and the plain RNNs keep two chunks of dG (the batch split below writes the next chunk
  // while other threads may still read this one), GRU all of it.
  const bool dg_chunk_only = !gru;
  // Every step writes its rows of both (zeros past a row's length), so no zero-fill.
  CachedArray<T> dG((dg_chunk_only ? std::min(s.T, 2 * chunk_steps) : s.T) * B * GH);
  CachedArray<T> dHGbuf(gru ? TB * GH : 0);
  T* dHG = gru ? dHGbuf.data() : dG.data();  // the same gradient except for GRU's n gate
  // Where the rows of the chunk holding loop step i start in dG and dHG, and step i's own.
  const auto chunk_offset = [&](int64_t i) {
    return dg_chunk_only ? (i / chunk_steps & 1) * chunk_steps * B * GH
                         : chunk_of(i).first * B * GH;
  };
  const auto dg_offset = [&](int64_t i) {
    return chunk_offset(i) + (t_at(i) - chunk_of(i).first) * B * GH;
  };
  // b_ih and b_hh enter the same sum except for GRU's n gate: one sum of dG serves both.
  T* db_dg = gr.db_ih ? gr.db_ih : (gru ? nullptr : gr.db_hh);
  T* db_dhg = gru ? gr.db_hh : nullptr;
  const auto& nk = norm_kernels<T>();
  // Thread tid's part at the chunk's last step i; dbt: room for G * H sums.
  const auto weight_grads = [&](int tid, int nt, int64_t i, T* dbt) {
    if ((i + 1) % chunk_steps != 0 && i + 1 != s.T) return;
    const auto [t0, n_steps] = chunk_of(i);
    const int64_t rows = n_steps * B, off = chunk_offset(i);
    const bool first = i < chunk_steps;
    const Units u = units_of(H, tid, nt);
    // Rows of dW (columns of dG): gate q of the thread's units, one product per gate (one for
    // all gates when it owns every unit).
    const int64_t groups = u.size() == H ? 1 : G, m = u.size() == H ? GH : u.size();
    const auto sum_into = [&](const T* src, T* db) {
      nk.column_sums(src, rows, m, GH, 1, dbt);
      for (int64_t j = 0; j < m; ++j) db[j] = first ? dbt[j] : db[j] + dbt[j];
    };
    for (int64_t q = 0; q < groups && u.size() > 0; ++q) {
      const int64_t col = q * H + u.j0;
      const T* dg = dG.data() + off + col;
      const T* dhg = dHG + off + col;
      if (gr.dw_ih && s.I > 0)
        tiled_gemm(m, s.I, rows, dg, 1, GH, x + t0 * B * s.I, s.I,
                   first && !gr.add_w_ih ? T(0) : T(1), gr.dw_ih + col * s.I, s.I);
      if (gr.dw_hh)
        tiled_gemm(m, R, rows, dhg, 1, GH, sv.hprev + t0 * B * R, R,
                   first && !gr.add_w_hh ? T(0) : T(1), gr.dw_hh + col * R, R);
      if (db_dg) sum_into(dg, db_dg + col);
      if (db_dhg) sum_into(dhg, db_dhg + col);
    }
  };
  // The carried gradient entering loop step i for rows [b0, b1) (all units when P == 0, the
  // only case that splits the rows): dh + dy_t, zero past a row's length.
  const auto dh_in = [&](int64_t i, int64_t b0, int64_t b1, int64_t r0, int64_t rn) {
    const int64_t t = t_at(i);
    const T* dh = dhs[i & 1];
    T* dht = P > 0 ? dht_buf.data() + t * B * P : dht_buf.data();
    const T* dy_t = dy + t * B * R;
    for (int64_t b = b0; b < b1; ++b) {
      T* d = dht + b * R + r0;
      if (active(s, t, b)) {
        for (int64_t j = 0; j < rn; ++j) d[j] = dh[b * R + r0 + j] + dy_t[b * R + r0 + j];
      } else {
        std::fill(d, d + rn, T(0));  // the output past the length is a constant zero
      }
    }
    return dht;
  };
  bool done = false;
  if (const int nb = batch_split_threads(s); nb > 1) {
    // Note [Batch split], backward: each thread runs the whole backward recurrence of its rows
    // of the batch (gate gradients, dh_prev = dhg_t W_hh and dx_t for those rows), without a
    // barrier per step; only the weight gradients, which sum over every row, meet once per
    // chunk (Note [Weight gradients by chunk]): after a barrier each thread adds its units'
    // rows of dW from every row of the chunk. A row's products and gate arithmetic do not
    // depend on the tile or thread that computes it, so the bits are those of the units split.
    const PackedWeight<T> whh(GH, R, w.w_hh, R, 1);
    std::unique_ptr<PackedWeight<T>> wih;
    if (dx_in_loop) wih = std::make_unique<PackedWeight<T>>(GH, s.I, w.w_ih, s.I, 1);
    const int64_t mb_max = (B + nb - 1) / nb;
    const Parts<T> apb(nb, whh.a_size(mb_max), true);
    const Parts<T> dbt(nb, GH);
    const int64_t chunks = (s.T + chunk_steps - 1) / chunk_steps;
    const auto chunk_steps_of = [&](int tid, int64_t c) {
      const auto [b0, b1] = batch_rows(B, tid, nb);
      const int64_t mb = b1 - b0;
      for (int64_t i = c * chunk_steps; i < std::min(s.T, (c + 1) * chunk_steps); ++i) {
        if (interrupt_requested()) return;  // time_loop stops every thread after this chunk
        const int64_t t = t_at(i);
        T* next = dhs[(i + 1) & 1];
        const T* dht = dh_in(i, b0, b1, 0, R);
        step_backward_rows<T>(s, gates, t, b0, b1, Units{0, H}, sv, dht, dht, dhs[i & 1], dc.data(),
                              dG.data() + dg_offset(i), dHG + dg_offset(i), next);
        whh.scatter_a(mb, 0, mb, 0, GH, dHG + dg_offset(i) + b0 * GH, GH, apb[tid]);
        whh.multiply_packed(mb, apb[tid], T(1), next + b0 * R, R);
        if (wih) wih->multiply_packed(mb, apb[tid], T(0), gr.dx + (t * B + b0) * s.I, s.I);
      }
    };
    const auto chunk_weight_grads = [&](int tid, int64_t c) {
      weight_grads(tid, nb, std::min(s.T, (c + 1) * chunk_steps) - 1, dbt[tid]);
    };
    done = time_loop(nb, chunks, chunk_steps_of, chunk_weight_grads);
  }
  const int64_t grain = row_grain(GH);
  for (int nt_want = time_loop_threads(s); !done; nt_want = 1) {
    // Per thread, packed once: the columns of W_hh (G*H x R) for its units (all of it for one
    // thread), so each thread forms its own units of dh_prev = dhg_t W_hh; and for dx_t its
    // share of W_ih's columns, in groups of 32 (an AVX-512 float32 micro-panel; any split gives
    // the same bits).
    std::vector<std::unique_ptr<PackedWeight<T>>> whh(nt_want), wih(nt_want);
    // Thread tid forms columns [xcol[tid], xcol[tid + 1]) of dx.
    std::vector<int64_t> xcol(nt_want + 1, 0);
    const int64_t xpanels = (s.I + 31) / 32;
    for (int tid = 0; tid < nt_want; ++tid) {
      const Units u = units_of(H, tid, nt_want);
      whh[tid] = nt_want == 1
                     ? std::make_unique<PackedWeight<T>>(GH, R, w.w_hh, R, 1)
                     : std::make_unique<PackedWeight<T>>(GH, u.size(), w.w_hh + u.j0, R, 1);
      xcol[tid + 1] = std::min(s.I, 32 * (xpanels * (tid + 1) / nt_want));
      const int64_t nx = xcol[tid + 1] - xcol[tid];
      if (dx_in_loop && nx > 0)
        wih[tid] = std::make_unique<PackedWeight<T>>(GH, nx, w.w_ih + xcol[tid], s.I, 1);
    }
    // dhg_t in the packed A layout, double-buffered as in rnn_forward.
    const Parts<T> ap(2, whh[0]->a_size(B), true);
    const Parts<T> dbt(nt_want, GH);  // per thread, a chunk's bias sums
    const int nt = nt_want;
    // Before the barrier: this thread's units of the step's gate gradients, into apc ...
    const auto gate_grads = [&](int tid, int64_t i) {
      const Units u = units_of(H, tid, nt);
      const int64_t r0 = P > 0 ? 0 : u.j0, rn = P > 0 ? R : u.size();  // this thread's h part
      const int64_t t = t_at(i);
      const T* dh = dhs[i & 1];
      T* next = dhs[(i + 1) & 1];
      T* apc = ap[i & 1];
      const T* dht = dh_in(i, 0, B, r0, rn);
      const T* dmp = dht;
      if (P > 0) {  // one thread
        whr->multiply(B, dht, P, 1, T(0), dm.data(), H);
        dmp = dm.data();
      }
      T* dg_t = dG.data() + dg_offset(i);
      T* dhg_t = dHG + dg_offset(i);
      if (u.size() > 0) {
        parallel_for(0, B, grain, [&](int64_t b0, int64_t b1) {
          step_backward_rows<T>(s, gates, t, b0, b1, u, sv, dht, dmp, dh, dc.data(), dg_t, dhg_t,
                                next);
        });
        for (int64_t q = 0; q < G; ++q) {
          const int64_t k0 = q * H + u.j0;
          whh[tid]->scatter_a(B, 0, B, k0, k0 + u.size(), dhg_t + k0, GH, apc);
        }
      }
    };
    // ... after it, with every unit's dhg_t in apc: this thread's part of next += dhg_t W_hh
    // and of dx_t = dg_t W_ih.
    const auto dh_prev = [&](int tid, int64_t i) {
      const Units u = units_of(H, tid, nt);
      const int64_t r0 = P > 0 ? 0 : u.j0, rn = P > 0 ? R : u.size();
      if (rn > 0) whh[tid]->multiply_packed(B, ap[i & 1], T(1), dhs[(i + 1) & 1] + r0, R);
      if (wih[tid])
        wih[tid]->multiply_packed(B, ap[i & 1], T(0), gr.dx + t_at(i) * B * s.I + xcol[tid], s.I);
      weight_grads(tid, nt, i, dbt[tid]);
    };
    done = time_loop(nt, s.T, gate_grads, dh_prev);
  }
  check_interrupt();
  const T* dh = dhs[s.T & 1];
  if (gr.dh0) std::copy(dh, dh + B * R, gr.dh0);
  if (gr.dc0 && lstm) std::copy(dc.data(), dc.data() + B * H, gr.dc0);
  // GRU's dx: one GEMM over all T*B rows.
  if (gr.dx && s.I > 0 && !dx_in_loop)
    gemm(TB, s.I, GH, T(1), dG.data(), GH, 1, w.w_ih, s.I, 1, T(0), gr.dx, s.I);
  if (gr.db_hh && gr.db_ih && !gru) std::copy(gr.db_ih, gr.db_ih + GH, gr.db_hh);
  if (gr.dw_hr && P > 0)
    gemm(P, H, TB, T(1), dht_buf.data(), 1, P, sv.m, H, 1, gr.add_w_hr ? T(1) : T(0), gr.dw_hr, H);
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
