// PackedWeight (see rnn_gemm.h). Layout: K is cut into blocks of kd.kc steps; block [k0, k1)
// occupies (k1 - k0) * Npad elements from k0 * Npad (Npad = N rounded up to nr), holding one
// (k1 - k0) x nr micro-panel per group of nr columns, lanes past N zero. A is packed the same
// way per call with mr-row panels. This matches the micro-kernel contract of gemm_kernels.h.
#include "axonite/kernels/cpu/rnn_gemm.h"

#include <algorithm>
#include <type_traits>

#include "axonite/core/parallel.h"

namespace ax::cpu {
namespace {

template <class T>
gemm_detail::KernelDesc<T> desc() {
  if constexpr (std::is_same_v<T, float>) {
    return gemm_detail::kernel_desc_f32(cpu_isa());
  } else {
    return gemm_detail::kernel_desc_f64(cpu_isa());
  }
}

}  // namespace

template <class T>
PackedWeight<T>::PackedWeight(int64_t K, int64_t N, const T* b, int64_t rs, int64_t cs)
    : kd_(desc<T>()), K_(K), N_(N), npanel_((N + kd_.nr - 1) / kd_.nr), b_(K * npanel_ * kd_.nr) {
  const int64_t npad = npanel_ * kd_.nr;
  T* out = b_.data();
  for (int64_t k0 = 0; k0 < K; k0 += kd_.kc) {
    const int64_t k1 = std::min<int64_t>(K, k0 + kd_.kc);
    gemm_detail::pack_micro_panels(kd_, kd_.nr, N, k1 - k0, b + k0 * rs, cs, rs, out + k0 * npad);
  }
}

template <class T>
PackedWeight<T>::PackedWeight(int64_t K, int64_t K1, int64_t N, const RowPair& rp)
    : kd_(desc<T>()), K_(K), N_(N), npanel_((N + kd_.nr - 1) / kd_.nr), b_(K * npanel_ * kd_.nr) {
  const int nr = kd_.nr;
  const int64_t npad = npanel_ * nr;
  T* out = b_.data();
  // Panels split across threads; each writes only its own (any split gives the same bytes).
  parallel_for(0, npanel_, 4, [&](int64_t q0, int64_t q1) {
    for (int64_t k0 = 0; k0 < K; k0 += kd_.kc) {
      const int64_t k1 = std::min<int64_t>(K, k0 + kd_.kc), kcb = k1 - k0;
      for (int64_t q = q0; q < q1; ++q) {
        T* panel = out + k0 * npad + q * nr * kcb;
        // Runs of lanes that are consecutive rows of one group, at most nr of them.
        for (int64_t n = q * nr; n < std::min(N, (q + 1) * nr);) {
          const int64_t in_group = n % rp.group;
          const int64_t lanes = std::min({rp.group - in_group, N - n, (q + 1) * nr - n});
          const int64_t row = n / rp.group * rp.group_stride + rp.first + in_group;
          T* o = panel + (n - q * nr);
          if (k0 < K1) {  // steps [k0, min(k1, K1)) from top
            const int64_t hi = std::min(k1, K1);
            kd_.transpose(lanes, hi - k0, rp.top + row * rp.top_ld + k0, rp.top_ld, nr, o);
          }
          if (k1 > K1) {  // steps [max(k0, K1), k1) from bottom
            const int64_t lo = std::max(k0, K1);
            kd_.transpose(lanes, k1 - lo, rp.bottom + row * rp.bottom_ld + (lo - K1), rp.bottom_ld,
                          nr, o + (lo - k0) * nr);
          }
          n += lanes;
        }
        const int64_t valid = std::min<int64_t>(nr, N - q * nr);  // lanes past N are zero
        for (int64_t p = 0; p < kcb && valid < nr; ++p)
          std::fill(panel + p * nr + valid, panel + (p + 1) * nr, T(0));
      }
    }
  });
}

template <class T>
void PackedWeight<T>::pack_a(int64_t M, const T* a, int64_t a_rs, int64_t a_cs, T* ap) const {
  const int64_t mp = mpad(M);
  const int w = static_cast<int>(panel_rows(M));
  for (int64_t k0 = 0; k0 < K_; k0 += kd_.kc)
    gemm_detail::pack_micro_panels(kd_, w, M, std::min<int64_t>(K_, k0 + kd_.kc) - k0,
                                   a + k0 * a_cs, a_rs, a_cs, ap + k0 * mp);
}

template <class T>
void PackedWeight<T>::scatter_a(int64_t M, int64_t i0, int64_t i1, int64_t k0, int64_t k1,
                                const T* src, int64_t ld, T* ap) const {
  const int mr = static_cast<int>(panel_rows(M));
  const int64_t mp = mpad(M);
  // Within a K block, tile q holds (k, r) at q * mr * kcb + k * mr + r (mr: the panel's rows):
  // for each k the tile's rows are mr consecutive elements, written in order (row by row, the
  // stores would stride through the whole packed block once per row).
  for (int64_t kb = k0 / kd_.kc * kd_.kc; kb < k1; kb += kd_.kc) {
    const int64_t kcb = std::min<int64_t>(kd_.kc, K_ - kb);
    const int64_t lo = std::max(k0, kb), hi = std::min(k1, kb + kcb);
    for (int64_t i = i0; i < i1;) {
      const int64_t r0 = i % mr, r1 = std::min<int64_t>(mr, r0 + (i1 - i));
      T* out = ap + kb * mp + (i / mr) * mr * kcb + (lo - kb) * mr + r0;
      kd_.transpose(r1 - r0, hi - lo, src + (i - i0) * ld + (lo - k0), ld, mr, out);
      i += r1 - r0;
    }
  }
}

template <class T>
void PackedWeight<T>::multiply(int64_t M, const T* a, int64_t a_rs, int64_t a_cs, T beta, T* c,
                               int64_t ldc) {
  if (M == 0 || N_ == 0) return;
  T* ap = static_cast<T*>(a_.get(sizeof(T) * std::max<int64_t>(a_size(M), 1)));
  pack_a(M, a, a_rs, a_cs, ap);
  multiply_packed(M, ap, beta, c, ldc);
}

template <class T>
void PackedWeight<T>::multiply_packed(int64_t M, const T* ap, T beta, T* c, int64_t ldc) const {
  if (M == 0 || N_ == 0) return;
  const int mr = static_cast<int>(panel_rows(M)), nr = kd_.nr;
  const int64_t mtiles = (M + mr - 1) / mr, mp = mtiles * mr, npad = npanel_ * nr;
  if (K_ == 0) {  // C = beta C
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N_; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
    return;
  }
  const T* bp = b_.data();
  // Threads split the column panels; about a million multiply-adds per chunk.
  const int64_t grain =
      std::max<int64_t>(1, (int64_t{1} << 20) / std::max<int64_t>(M * K_ * nr, 1));
  parallel_for(0, npanel_, grain, [&](int64_t q0, int64_t q1) {
    for (int64_t k0 = 0; k0 < K_; k0 += kd_.kc) {
      const int64_t kc = std::min<int64_t>(K_, k0 + kd_.kc) - k0;
      const T bk = k0 == 0 ? beta : T(1);
      const T* ablk = ap + k0 * mp;
      const T* bblk = bp + k0 * npad;
      for (int64_t q = q0; q < q1; ++q) {
        const T* bpan = bblk + q * nr * kc;
        const int n_eff = static_cast<int>(std::min<int64_t>(nr, N_ - q * nr));
        // Each tile's kernel prefetches kc lines of the next B micro-panel into L2, as in the
        // library GEMM (gemm.cpp), so the panels of a weight that has spilled out of L2 are
        // on their way before they are needed. Same-process A/B against prefetching the
        // current (cached) panel: LSTM forward 3.6-3.9% faster at 1 thread, 1.9% at 2; the
        // LSTM forward+backward and the char_lm step 1-2%.
        const T* next = q + 1 < q1 ? bpan + nr * kc : bpan;
        const int64_t panel_bytes = nr * kc * static_cast<int64_t>(sizeof(T));
        for (int64_t t = 0; t < mtiles; ++t) {
          const int m_eff = static_cast<int>(std::min<int64_t>(mr, M - t * mr));
          const char* pf = gemm_detail::panel_prefetch(bpan, next, panel_bytes, t, kc);
          kd_.kernel(kc, ablk + t * mr * kc, mr, bpan, c + t * mr * ldc + q * nr, ldc, T(1), bk,
                     m_eff, n_eff, pf);
        }
      }
    }
  });
}

template class PackedWeight<float>;
template class PackedWeight<double>;

}  // namespace ax::cpu
