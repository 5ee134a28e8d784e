// Loops behind kernels/normalization.h, compiled once per ISA: normalization_{generic,avx2,
// avx512}.cpp define AX_ISA_NS and include this file with their own -m flags. Reductions run in
// float64 over fixed, shape-determined units (one (n, c) run, or a block of rows), and unit
// partials are folded in unit order, so the bits never depend on the thread count.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "axonite/core/parallel.h"
#include "axonite/kernels/normalization.h"

#ifndef AX_ISA_NS
#error "define AX_ISA_NS before including normalization_impl.h"
#endif

namespace ax::cpu::AX_ISA_NS {
namespace {

// Column partials use at most this many row blocks of at least kMinBlockRows rows each.
constexpr int64_t kMaxRowBlocks = 64;
constexpr int64_t kMinBlockRows = 16;
// Elements per parallel task (below it, a region costs more than it saves).
constexpr int64_t kGrain = 32768;
// Channel runs at least this long reduce run by run; shorter ones reduce row by row.
constexpr int64_t kMinRun = 8;

int64_t rows_per_block(int64_t m) {
  return std::max(kMinBlockRows, (m + kMaxRowBlocks - 1) / kMaxRowBlocks);
}
int64_t grain_for(int64_t work_per_item) {
  return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, work_per_item));
}

// ---- linear helpers ---------------------------------------------------------------------------

template <class T>
void fill_rows(T* y, int64_t m, int64_t n, const T* v, int64_t vs) {
  // y: (m, n) <- v: (n,) broadcast
  parallel_for(0, m, grain_for(n), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      T* yr = y + r * n;
      if (vs == 1) {
        std::memcpy(yr, v, sizeof(T) * n);
      } else if (vs == 0) {
        std::fill(yr, yr + n, *v);
      } else {
        for (int64_t j = 0; j < n; ++j) yr[j] = v[j * vs];
      }
    }
  });
}

// Sums rows [r0, r1) of g into acc (n doubles, overwritten).
template <class T>
void sum_rows(const T* g, int64_t r0, int64_t r1, int64_t n, int64_t rs, int64_t cs, double* acc) {
  std::fill(acc, acc + n, 0.0);
  for (int64_t r = r0; r < r1; ++r) {
    const T* gr = g + r * rs;
    if (cs == 1) {
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) acc[j] += static_cast<double>(gr[j]);
    } else {
      for (int64_t j = 0; j < n; ++j) acc[j] += static_cast<double>(gr[j * cs]);
    }
  }
}

template <class T>
void column_sums(const T* g, int64_t m, int64_t n, int64_t rs, int64_t cs, T* out) {
  // g: (m, n) -> out: (n,)
  const int64_t rb = rows_per_block(m), nb = (m + rb - 1) / rb;
  std::vector<double> part(static_cast<size_t>(std::max<int64_t>(nb, 1) * n), 0.0);
  parallel_for(0, nb, grain_for(rb * n), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      sum_rows(g, b * rb, std::min(m, (b + 1) * rb), n, rs, cs, part.data() + b * n);
  });
  for (int64_t j = 0; j < n; ++j) {
    double s = 0;
    for (int64_t b = 0; b < nb; ++b) s += part[b * n + j];
    out[j] = static_cast<T>(s);
  }
}

// ---- batch norm: per-channel reductions over x: (N, C, S) --------------------------------------
// Two accumulators per channel. Stats: d = x - shift[c] (shifted sums keep one pass accurate);
// backward: g and g * (x - mean[c]).
struct StatsAcc {
  template <class T>
  static inline void f(T x, T, double m, double& a, double& b) {
    const double d = static_cast<double>(x) - m;
    a += d;
    b += d * d;
  }
};
struct GradAcc {
  template <class T>
  static inline void f(T x, T g, double m, double& a, double& b) {
    const double gd = static_cast<double>(g);
    a += gd;
    b += gd * (static_cast<double>(x) - m);
  }
};

template <class T, class Acc>
void channel_sums(const T* x, const T* g, int64_t N, int64_t C, int64_t S, const double* m,
                  double* sa, double* sb) {
  std::fill(sa, sa + C, 0.0);
  std::fill(sb, sb + C, 0.0);
  if (N * S == 0) return;
  if (S >= kMinRun) {
    // One unit per (n, c) run of S contiguous elements, folded over n in order.
    std::vector<double> pa(static_cast<size_t>(N * C)), pb(static_cast<size_t>(N * C));
    parallel_for(0, N * C, grain_for(S), [&](int64_t u0, int64_t u1) {
      for (int64_t u = u0; u < u1; ++u) {
        const T* xr = x + u * S;
        const T* gr = g + u * S;
        const double mc = m[u % C];
        double a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
        for (int64_t s = 0; s < S; ++s) Acc::f(xr[s], gr[s], mc, a, b);
        pa[u] = a;
        pb[u] = b;
      }
    });
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < C; ++c) {
        sa[c] += pa[n * C + c];
        sb[c] += pb[n * C + c];
      }
    return;
  }
  // Short runs: rows of C*S elements; one unit per block of rows, vectorized across columns.
  const int64_t W = C * S, rb = rows_per_block(N), nb = (N + rb - 1) / rb;
  std::vector<double> mw(static_cast<size_t>(W));
  for (int64_t j = 0; j < W; ++j) mw[j] = m[j / S];
  std::vector<double> pa(static_cast<size_t>(nb * W), 0.0), pb(static_cast<size_t>(nb * W), 0.0);
  parallel_for(0, nb, grain_for(rb * W), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      double* a = pa.data() + b * W;
      double* bb = pb.data() + b * W;
      for (int64_t n = b * rb; n < std::min(N, (b + 1) * rb); ++n) {
        const T* xr = x + n * W;
        const T* gr = g + n * W;
#pragma omp simd
        for (int64_t j = 0; j < W; ++j) Acc::f(xr[j], gr[j], mw[j], a[j], bb[j]);
      }
    }
  });
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t j = 0; j < W; ++j) {
      sa[j / S] += pa[b * W + j];
      sb[j / S] += pb[b * W + j];
    }
}

template <class T>
void bn_stats(const T* x, int64_t N, int64_t C, int64_t S, double* mean, double* var) {
  // x: (N, C, S) -> mean, var (biased): (C,)
  const double cnt = static_cast<double>(N * S);
  std::vector<double> shift(static_cast<size_t>(C), 0.0);
  if (N * S > 0)
    for (int64_t c = 0; c < C; ++c) shift[c] = static_cast<double>(x[c * S]);
  channel_sums<T, StatsAcc>(x, x, N, C, S, shift.data(), mean, var);
  for (int64_t c = 0; c < C; ++c) {
    const double s1 = mean[c], s2 = var[c];
    mean[c] = shift[c] + s1 / cnt;
    var[c] = std::max(0.0, (s2 - s1 * s1 / cnt) / cnt);
  }
}

// Elementwise over (N, C, S) with per-channel constants: out = F(x, g, c).
template <class T, class F>
void channel_map(int64_t N, int64_t C, int64_t S, const F& f) {
  if (S == 1) {
    parallel_for(0, N, grain_for(C), [&](int64_t n0, int64_t n1) {
      for (int64_t n = n0; n < n1; ++n) {
        const int64_t base = n * C;
#pragma omp simd
        for (int64_t c = 0; c < C; ++c) f(base + c, c);
      }
    });
    return;
  }
  parallel_for(0, N * C, grain_for(S), [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t c = u % C, base = u * S;
#pragma omp simd
      for (int64_t s = 0; s < S; ++s) f(base + s, c);
    }
  });
}

template <class T>
void bn_apply(const T* x, T* y, int64_t N, int64_t C, int64_t S, const double* mean,
              const double* scale, const double* shift) {
  // x: (N, C, S) -> y = (x - mean[c]) * scale[c] + shift[c]
  channel_map<T>(N, C, S, [=](int64_t i, int64_t c) {
    y[i] = static_cast<T>((static_cast<double>(x[i]) - mean[c]) * scale[c] + shift[c]);
  });
}

template <class T>
void bn_backward_reduce(const T* g, const T* x, int64_t N, int64_t C, int64_t S, const double* mean,
                        double* sum_g, double* sum_gx) {
  channel_sums<T, GradAcc>(x, g, N, C, S, mean, sum_g, sum_gx);
}

template <class T>
void bn_backward_apply(const T* g, const T* x, T* gx, int64_t N, int64_t C, int64_t S,
                       const double* mean, const double* k1, const double* k2, const double* k3) {
  channel_map<T>(N, C, S, [=](int64_t i, int64_t c) {
    gx[i] = static_cast<T>(k1[c] * static_cast<double>(g[i]) +
                           k2[c] * (static_cast<double>(x[i]) - mean[c]) + k3[c]);
  });
}

// ---- layer norm: rows of K -------------------------------------------------------------------

// Mean and 1/sqrt(var + eps) of one contiguous row in one float64 pass over x - x[0]: the shift
// keeps the sums at the data's spread, so no cancellation even at mean 1e3 and std 1e-2.
template <class T>
void row_stats(const T* x, int64_t K, double eps, double* mean, double* rstd) {
  if (K == 0) {
    *mean = 0.0;
    *rstd = 1.0 / std::sqrt(eps);
    return;
  }
  const double sh = static_cast<double>(x[0]);
  double s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : s1, s2)
  for (int64_t k = 0; k < K; ++k) StatsAcc::f(x[k], x[k], sh, s1, s2);
  const double n = static_cast<double>(K), d = s1 / n;
  *mean = sh + d;
  *rstd = 1.0 / std::sqrt(std::max(0.0, s2 / n - d * d) + eps);
}

template <class T>
void ln_forward(const T* x, T* y, int64_t M, int64_t K, const T* w, const T* b, double eps,
                double* mean, double* rstd) {
  // x: (M, K) -> y: (M, K), mean/rstd: (M,)
  parallel_for(0, M, grain_for(3 * K), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = x + r * K;
      T* yr = y + r * K;
      row_stats(xr, K, eps, mean + r, rstd + r);
      const double mu = mean[r], rs = rstd[r];
      if (w != nullptr && b != nullptr) {
#pragma omp simd
        for (int64_t k = 0; k < K; ++k)
          yr[k] = static_cast<T>((static_cast<double>(xr[k]) - mu) * rs * w[k] + b[k]);
      } else if (w != nullptr) {
#pragma omp simd
        for (int64_t k = 0; k < K; ++k)
          yr[k] = static_cast<T>((static_cast<double>(xr[k]) - mu) * rs * w[k]);
      } else {
#pragma omp simd
        for (int64_t k = 0; k < K; ++k)
          yr[k] = static_cast<T>((static_cast<double>(xr[k]) - mu) * rs + (b ? b[k] : T(0)));
      }
    }
  });
}

template <class T>
void ln_backward(const T* g, const T* x, const double* mean, const double* rstd, const T* w,
                 int64_t M, int64_t K, T* gx, T* gw, T* gb) {
  // g, x: (M, K) -> gx: (M, K); gw, gb: (K,) summed over rows in row-block partials.
  const int64_t rb = rows_per_block(M), nb = M > 0 ? (M + rb - 1) / rb : 0;
  const bool want_wb = gw != nullptr || gb != nullptr;
  std::vector<double> pw(want_wb ? static_cast<size_t>(nb * K) : 0, 0.0);
  std::vector<double> pb(want_wb ? static_cast<size_t>(nb * K) : 0, 0.0);
  const double inv_k = K > 0 ? 1.0 / static_cast<double>(K) : 0.0;
  std::vector<T> ones(w == nullptr ? static_cast<size_t>(K) : 0, T(1));
  const T* wp = w != nullptr ? w : ones.data();
  parallel_for(0, nb, grain_for(rb * K * 3), [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk) {
      for (int64_t r = blk * rb; r < std::min(M, (blk + 1) * rb); ++r) {
        const T* gr = g + r * K;
        const T* xr = x + r * K;
        const double mu = mean[r], rs = rstd[r];
        // One read of the row for the row sums of gxhat = g * w (and the weight/bias partials).
        double a = 0, bsum = 0;
        if (want_wb) {
          double* aw = pw.data() + blk * K;
          double* ab = pb.data() + blk * K;
#pragma omp simd reduction(+ : a, bsum)
          for (int64_t k = 0; k < K; ++k) {
            const double gd = static_cast<double>(gr[k]);
            const double xc = static_cast<double>(xr[k]) - mu;
            aw[k] += gd * xc * rs;
            ab[k] += gd;
            const double gh = gd * static_cast<double>(wp[k]);
            a += gh;
            bsum += gh * xc;
          }
        } else {
#pragma omp simd reduction(+ : a, bsum)
          for (int64_t k = 0; k < K; ++k) {
            const double gh = static_cast<double>(gr[k]) * static_cast<double>(wp[k]);
            a += gh;
            bsum += gh * (static_cast<double>(xr[k]) - mu);
          }
        }
        if (gx == nullptr) continue;
        const double ca = a * inv_k, cb = bsum * rs * rs * inv_k;
        T* gxr = gx + r * K;
#pragma omp simd
        for (int64_t k = 0; k < K; ++k) {
          const double gh = static_cast<double>(gr[k]) * static_cast<double>(wp[k]);
          gxr[k] = static_cast<T>(rs * (gh - ca - (static_cast<double>(xr[k]) - mu) * cb));
        }
      }
    }
  });
  if (!want_wb) return;
  parallel_for(0, K, grain_for(nb), [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      double sw = 0, sb = 0;
      for (int64_t blk = 0; blk < nb; ++blk) {
        sw += pw[blk * K + k];
        sb += pb[blk * K + k];
      }
      if (gw) gw[k] = static_cast<T>(sw);
      if (gb) gb[k] = static_cast<T>(sb);
    }
  });
}

// ---- group norm: x: (N, C, S), rows (n, g) of K = (C / G) * S --------------------------------

template <class T>
void gn_forward(const T* x, T* y, int64_t N, int64_t C, int64_t S, int64_t G, const T* w,
                const T* b, double eps, double* mean, double* rstd) {
  const int64_t cg = C / G, K = cg * S;
  parallel_for(0, N * G, grain_for(3 * K), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = x + r * K;
      T* yr = y + r * K;
      row_stats(xr, K, eps, mean + r, rstd + r);
      const double mu = mean[r], rs = rstd[r];
      const int64_t c0 = (r % G) * cg;
      for (int64_t j = 0; j < cg; ++j) {
        const double sc = rs * (w ? static_cast<double>(w[c0 + j]) : 1.0);
        const double sh = b ? static_cast<double>(b[c0 + j]) : 0.0;
        const T* xs = xr + j * S;
        T* ys = yr + j * S;
#pragma omp simd
        for (int64_t s = 0; s < S; ++s)
          ys[s] = static_cast<T>((static_cast<double>(xs[s]) - mu) * sc + sh);
      }
    }
  });
}

template <class T>
void gn_backward(const T* g, const T* x, const double* mean, const double* rstd, const T* w,
                 int64_t N, int64_t C, int64_t S, int64_t G, T* gx, T* gw, T* gb) {
  const int64_t cg = C / G, K = cg * S;
  // Per (n, c): sg = sum_s g, sgx = sum_s g * (x - mean[n, g]).
  std::vector<double> sg(static_cast<size_t>(N * C)), sgx(static_cast<size_t>(N * C));
  parallel_for(0, N * C, grain_for(S), [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const double mu = mean[(u / C) * G + (u % C) / cg];
      const T* gr = g + u * S;
      const T* xr = x + u * S;
      double a = 0, bsum = 0;
#pragma omp simd reduction(+ : a, bsum)
      for (int64_t s = 0; s < S; ++s) GradAcc::f(xr[s], gr[s], mu, a, bsum);
      sg[u] = a;
      sgx[u] = bsum;
    }
  });
  if (gx != nullptr) {
    const double inv_k = K > 0 ? 1.0 / static_cast<double>(K) : 0.0;
    parallel_for(0, N * G, grain_for(K), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t n = r / G, c0 = (r % G) * cg;
        const double mu = mean[r], rs = rstd[r];
        double a = 0, bsum = 0;
        for (int64_t j = 0; j < cg; ++j) {
          const double wc = w ? static_cast<double>(w[c0 + j]) : 1.0;
          a += wc * sg[n * C + c0 + j];
          bsum += wc * sgx[n * C + c0 + j];
        }
        const double ca = a * inv_k, cb = bsum * rs * rs * inv_k;
        for (int64_t j = 0; j < cg; ++j) {
          const double wc = w ? static_cast<double>(w[c0 + j]) : 1.0;
          const int64_t off = r * K + j * S;
          const T* gs = g + off;
          const T* xs = x + off;
          T* out = gx + off;
#pragma omp simd
          for (int64_t s = 0; s < S; ++s)
            out[s] = static_cast<T>(rs * (wc * static_cast<double>(gs[s]) - ca -
                                          (static_cast<double>(xs[s]) - mu) * cb));
        }
      }
    });
  }
  if (gw == nullptr && gb == nullptr) return;
  for (int64_t c = 0; c < C; ++c) {
    double sw = 0, sb = 0;
    for (int64_t n = 0; n < N; ++n) {
      sw += sgx[n * C + c] * rstd[n * G + c / cg];
      sb += sg[n * C + c];
    }
    if (gw) gw[c] = static_cast<T>(sw);
    if (gb) gb[c] = static_cast<T>(sb);
  }
}

// ---- dropout ----------------------------------------------------------------------------------
// Note [Dropout stream layout]
// Elements come in chunks of 4 * kDropBlocks; chunk q draws Philox blocks q * kDropBlocks + t,
// and word l of block t decides element q * 4 * kDropBlocks + l * kDropBlocks + t. So each
// element's draw depends only on (seed, offset, index), both loops stay unit-stride, and the
// chunk grid (not the thread split) fixes the layout.
constexpr int64_t kDropBlocks = 64;

template <class T>
void dropout(const T* x, T* y, T* mask, int64_t n, const PhiloxStream& st, double p) {
  const T scale = static_cast<T>(1.0 / (1.0 - p));
  // Dropped when the 32-bit draw r < threshold, i.e. with probability threshold / 2^32.
  const double thr_d = std::ceil(p * 4294967296.0);
  const uint32_t thr = thr_d >= 4294967295.0 ? 4294967295u : static_cast<uint32_t>(thr_d);
  const uint32_t k0 = static_cast<uint32_t>(st.seed), k1 = static_cast<uint32_t>(st.seed >> 32);
  const uint32_t o0 = static_cast<uint32_t>(st.offset);
  const uint32_t o1 = static_cast<uint32_t>(st.offset >> 32);
  constexpr int64_t kChunk = 4 * kDropBlocks;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  parallel_for(0, chunks, std::max<int64_t>(1, 65536 / kChunk), [&](int64_t q0, int64_t q1) {
    alignas(64) uint32_t r[4][kDropBlocks];
    for (int64_t q = q0; q < q1; ++q) {
      const uint64_t j0 = static_cast<uint64_t>(q) * kDropBlocks;
#pragma omp simd
      for (int64_t t = 0; t < kDropBlocks; ++t) {
        const uint64_t j = j0 + static_cast<uint64_t>(t);
        uint32_t c0 = static_cast<uint32_t>(j), c1 = static_cast<uint32_t>(j >> 32), c2 = o0,
                 c3 = o1;
        philox4x32_10(c0, c1, c2, c3, k0, k1);
        r[0][t] = c0;
        r[1][t] = c1;
        r[2][t] = c2;
        r[3][t] = c3;
      }
      const int64_t base = q * kChunk;
      for (int l = 0; l < 4; ++l) {
        const int64_t b = base + l * kDropBlocks;
        const int64_t cnt = std::min<int64_t>(kDropBlocks, n - b);
        const uint32_t* rl = r[l];
#pragma omp simd
        for (int64_t t = 0; t < cnt; ++t) {
          const T mk = rl[t] >= thr ? scale : T(0);
          mask[b + t] = mk;
          y[b + t] = x[b + t] * mk;
        }
      }
    }
  });
}

// ---- embedding --------------------------------------------------------------------------------

template <class T>
void embedding_gather(const T* w, int64_t ldw, const int64_t* idx, int64_t n, int64_t D, T* out) {
  // w: (V, D), idx: (n,) -> out: (n, D)
  parallel_for(0, n, grain_for(D), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) std::memcpy(out + i * D, w + idx[i] * ldw, sizeof(T) * D);
  });
}

template <class T>
void embedding_scatter(const T* g, int64_t ldg, const int64_t* idx, const double* scale, int64_t n,
                       int64_t D, int64_t V, int64_t pad, T* gw) {
  // g: (n, D) -> gw: (V, D) += rows; threads own column ranges, so every row of gw receives
  // its contributions in index order whatever the split.
  (void)V;
  parallel_for(0, D, std::max<int64_t>(16, grain_for(n)), [&](int64_t d0, int64_t d1) {
    for (int64_t i = 0; i < n; ++i) {
      if (idx[i] == pad) continue;
      T* row = gw + idx[i] * D;
      const T* gr = g + i * ldg;
      if (scale != nullptr) {
        const T sc = static_cast<T>(scale[i]);
#pragma omp simd
        for (int64_t d = d0; d < d1; ++d) row[d] += gr[d] * sc;
      } else {
#pragma omp simd
        for (int64_t d = d0; d < d1; ++d) row[d] += gr[d];
      }
    }
  });
}

template <class T>
NormKernels<T> make_table() {
  NormKernels<T> k{};
  k.fill_rows = &fill_rows<T>;
  k.column_sums = &column_sums<T>;
  k.bn_stats = &bn_stats<T>;
  k.bn_apply = &bn_apply<T>;
  k.bn_backward_reduce = &bn_backward_reduce<T>;
  k.bn_backward_apply = &bn_backward_apply<T>;
  k.ln_forward = &ln_forward<T>;
  k.ln_backward = &ln_backward<T>;
  k.gn_forward = &gn_forward<T>;
  k.gn_backward = &gn_backward<T>;
  k.dropout = &dropout<T>;
  k.embedding_gather = &embedding_gather<T>;
  k.embedding_scatter = &embedding_scatter<T>;
  return k;
}

}  // namespace

const NormKernels<float>& norm_table_f32() {
  static const NormKernels<float> t = make_table<float>();
  return t;
}
const NormKernels<double>& norm_table_f64() {
  static const NormKernels<double> t = make_table<double>();
  return t;
}

}  // namespace ax::cpu::AX_ISA_NS
