// Loss loops, compiled once per ISA: loss_{generic,avx2,avx512}.cpp define AX_ISA_NS and include
// this file with their own -m flags. Fused cross-entropy (rows of an (N, C) input, or tiles of
// positions of an (N, C, D) one) and the pointwise losses. The math: Note [Fused cross-entropy]
// in kernels/loss.h. Each row, tile and sum block is computed whole by one thread.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "axonite/core/parallel.h"
#include "axonite/kernels/cpu/vecmath.h"
#include "axonite/kernels/loss.h"

#ifndef AX_ISA_NS
#error "define AX_ISA_NS before including loss_impl.h"
#endif

namespace ax::cpu::AX_ISA_NS {
namespace {

// Work items (rows, tiles, blocks) per parallel chunk so that a chunk touches ~32K elements.
int64_t grain_for(int64_t per_item) {
  return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, per_item));
}

// log1p accurate in float32 too (Goldberg: log(u) * v / (u - 1) with u = 1 + v rounded), written
// with selects only so that loops using it vectorize.
template <class T>
inline T log1p_acc(T v) {
  if constexpr (std::is_same_v<T, double>) {
    return std::log1p(v);
  } else {
    const float u = 1.0f + v;
    const float den = u - 1.0f;
    const float r = math::log<float>(u) * (v / (den == 0.0f ? 1.0f : den));
    return den == 0.0f ? v : r;
  }
}

template <class T>
struct Ce {
  const T* x;
  const int64_t* t;
  const T* w;
  int64_t C, D, M, ignore;  // M = N * D positions
  T eps;                    // label smoothing
  T wsum;                   // sum_c w_c (C when unweighted)
  explicit Ce(const ClassLossArgs& a)
      : x(static_cast<const T*>(a.x)),
        t(a.target),
        w(static_cast<const T*>(a.weight)),
        C(a.c),
        D(a.d),
        M(a.n * a.d),
        ignore(a.ignore_index),
        eps(static_cast<T>(a.smoothing)) {
    T s = 0;
    if (w) {
      for (int64_t c = 0; c < C; ++c) s += w[c];
    } else {
      s = static_cast<T>(C);
    }
    wsum = s;
  }
  T wt(int64_t cls) const { return w ? w[cls] : T(1); }
  // Loss at one position from its max m, ls = log sum exp(x - m), the smoothing sum
  // q = sum_c w_c (m - x_c) and the target logit xt: lse - xt = (m - xt) + ls.
  T loss(T m, T ls, T q, T xt, int64_t cls) const {
    T l = wt(cls) * ((m - xt) + ls);
    if (eps != T(0)) l = (T(1) - eps) * l + eps / static_cast<T>(C) * (q + ls * wsum);
    return l;
  }
  // Backward coefficients of a valid position with upstream factor sr: softmax weight and the
  // uniform smoothing term (Note [Fused cross-entropy]).
  T coef(T sr, int64_t cls) const {
    return eps == T(0) ? sr * wt(cls)
                       : sr * ((T(1) - eps) * wt(cls) + eps / static_cast<T>(C) * wsum);
  }
};

// ---- cross-entropy over contiguous rows (D == 1) ---------------------------------------------
// x row: (C,) -> loss, stats (max, log-sum) of that row.
template <class T>
void ce_forward_rows(const Ce<T>& k, int64_t r0, int64_t r1, T* loss, T* stats) {
  const int64_t C = k.C;
  for (int64_t r = r0; r < r1; ++r) {
    const T* row = k.x + r * C;
    T m = -std::numeric_limits<T>::infinity();
#pragma omp simd reduction(max : m)
    for (int64_t c = 0; c < C; ++c) m = row[c] > m ? row[c] : m;
    T s = 0, q = 0;
    if (k.eps == T(0)) {
#pragma omp simd reduction(+ : s)
      for (int64_t c = 0; c < C; ++c) s += math::exp<T>(row[c] - m);
    } else if (k.w) {
#pragma omp simd reduction(+ : s, q)
      for (int64_t c = 0; c < C; ++c) {
        s += math::exp<T>(row[c] - m);
        q += k.w[c] * (m - row[c]);
      }
    } else {
#pragma omp simd reduction(+ : s, q)
      for (int64_t c = 0; c < C; ++c) {
        s += math::exp<T>(row[c] - m);
        q += m - row[c];
      }
    }
    const T ls = math::log<T>(s);
    stats[r] = m;
    stats[k.M + r] = ls;
    const int64_t t = k.t[r];
    loss[r] = t == k.ignore ? T(0) : k.loss(m, ls, q, row[t], t);
  }
}

// gx row: (C,) = s_r * (softmax * A - a), softmax = exp((x - m) - ls).
template <class T>
void ce_backward_rows(const Ce<T>& k, int64_t r0, int64_t r1, const T* stats, const T* g,
                      bool g_scalar, T scale, T* gx) {
  const int64_t C = k.C;
  const T invC = T(1) / static_cast<T>(C);
  for (int64_t r = r0; r < r1; ++r) {
    const T* row = k.x + r * C;
    T* out = gx + r * C;
    const int64_t t = k.t[r];
    if (t == k.ignore) {
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) out[c] = T(0);
      continue;
    }
    const T sr = (g_scalar ? g[0] : g[r]) * scale;
    const T m = stats[r], ls = stats[k.M + r];
    const T coef = k.coef(sr, t);
    if (k.eps == T(0)) {
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) out[c] = coef * math::exp<T>((row[c] - m) - ls);
    } else {
      const T sm = sr * k.eps * invC;
      if (k.w) {
#pragma omp simd
        for (int64_t c = 0; c < C; ++c)
          out[c] = coef * math::exp<T>((row[c] - m) - ls) - sm * k.w[c];
      } else {
#pragma omp simd
        for (int64_t c = 0; c < C; ++c) out[c] = coef * math::exp<T>((row[c] - m) - ls) - sm;
      }
    }
    out[t] -= sr * (T(1) - k.eps) * k.wt(t);
  }
}

// ---- cross-entropy over (N, C, D) in tiles of kTile positions -------------------------------
// Vectorized across the positions of a tile (stride 1 in memory), walking the classes.
constexpr int64_t kTile = 64;

template <class T>
void ce_forward_tile(const Ce<T>& k, int64_t n, int64_t d0, T* loss, T* stats) {
  const int64_t C = k.C, D = k.D, nb = std::min(kTile, D - d0);
  const T* xn = k.x + n * C * D + d0;
  T m[kTile], s[kTile], q[kTile];
  for (int64_t j = 0; j < nb; ++j) {
    m[j] = -std::numeric_limits<T>::infinity();
    s[j] = q[j] = T(0);
  }
  for (int64_t c = 0; c < C; ++c) {
    const T* xc = xn + c * D;
#pragma omp simd
    for (int64_t j = 0; j < nb; ++j) m[j] = xc[j] > m[j] ? xc[j] : m[j];
  }
  for (int64_t c = 0; c < C; ++c) {
    const T* xc = xn + c * D;
    const T wc = k.wt(c);
#pragma omp simd
    for (int64_t j = 0; j < nb; ++j) {
      s[j] += math::exp<T>(xc[j] - m[j]);
      q[j] += wc * (m[j] - xc[j]);
    }
  }
  for (int64_t j = 0; j < nb; ++j) {
    const int64_t p = n * D + d0 + j, t = k.t[p];
    const T ls = math::log<T>(s[j]);
    stats[p] = m[j];
    stats[k.M + p] = ls;
    loss[p] = t == k.ignore ? T(0) : k.loss(m[j], ls, q[j], xn[t * D + j], t);
  }
}

template <class T>
void ce_backward_tile(const Ce<T>& k, int64_t n, int64_t d0, const T* stats, const T* g,
                      bool g_scalar, T scale, T* gx) {
  const int64_t C = k.C, D = k.D, nb = std::min(kTile, D - d0);
  const T invC = T(1) / static_cast<T>(C);
  const T* xn = k.x + n * C * D + d0;
  T* gn = gx + n * C * D + d0;
  T coef[kTile], sm[kTile], m[kTile], ls[kTile];
  for (int64_t j = 0; j < nb; ++j) {
    const int64_t p = n * D + d0 + j, t = k.t[p];
    m[j] = stats[p];
    ls[j] = stats[k.M + p];
    if (t == k.ignore) {
      coef[j] = sm[j] = T(0);
      continue;
    }
    const T sr = (g_scalar ? g[0] : g[p]) * scale;
    coef[j] = k.coef(sr, t);
    sm[j] = sr * k.eps * invC;
  }
  for (int64_t c = 0; c < C; ++c) {
    const T* xc = xn + c * D;
    T* gc = gn + c * D;
    const T wc = k.wt(c);
#pragma omp simd
    for (int64_t j = 0; j < nb; ++j)
      gc[j] = coef[j] * math::exp<T>((xc[j] - m[j]) - ls[j]) - sm[j] * wc;
  }
  for (int64_t j = 0; j < nb; ++j) {
    const int64_t p = n * D + d0 + j, t = k.t[p];
    if (t == k.ignore) {
      for (int64_t c = 0; c < C; ++c) gn[c * D + j] = T(0);  // also clears NaN * 0
      continue;
    }
    const T sr = (g_scalar ? g[0] : g[p]) * scale;
    gn[t * D + j] -= sr * (T(1) - k.eps) * k.wt(t);
  }
}

// ---- cross-entropy over rows of few classes (D == 1, C < kFewClasses) ----------------------
// A row of 10 logits is shorter than one vector, so the row loops above would run as their
// scalar remainders (10 scalar exps per row). Instead a tile of kTile rows is transposed into a
// (C, kTile) scratch and goes through the tile loops, vectorized across the rows; the gradient
// tile is transposed back. The per-position arithmetic (class order included) is the same.
constexpr int64_t kFewClasses = 32;

// The tile view of rows [r0, r0 + nb): positions are rows, the logits come from `xt`.
template <class T>
Ce<T> row_tile(const Ce<T>& k, int64_t r0, int64_t nb, const T* xt) {
  Ce<T> v = k;
  v.x = xt;
  v.t = k.t + r0;
  v.D = nb;
  return v;
}

template <class T>
void transpose_rows(const T* x, int64_t C, int64_t nb, T* xt) {
  for (int64_t j = 0; j < nb; ++j)
    for (int64_t c = 0; c < C; ++c) xt[c * nb + j] = x[j * C + c];
}

template <class T>
void ce_forward_few(const Ce<T>& k, int64_t r0, int64_t r1, T* loss, T* stats) {
  T xt[kFewClasses * kTile];
  for (int64_t b = r0; b < r1; b += kTile) {
    const int64_t nb = std::min(kTile, r1 - b);
    transpose_rows(k.x + b * k.C, k.C, nb, xt);
    // stats + b keeps the log-sums at stats[M + row]: the view's M is the full row count.
    ce_forward_tile(row_tile(k, b, nb, xt), 0, 0, loss + b, stats + b);
  }
}

template <class T>
void ce_backward_few(const Ce<T>& k, int64_t r0, int64_t r1, const T* stats, const T* g,
                     bool g_scalar, T scale, T* gx) {
  T xt[kFewClasses * kTile], gt[kFewClasses * kTile];
  const int64_t C = k.C;
  for (int64_t b = r0; b < r1; b += kTile) {
    const int64_t nb = std::min(kTile, r1 - b);
    transpose_rows(k.x + b * C, C, nb, xt);
    ce_backward_tile(row_tile(k, b, nb, xt), 0, 0, stats + b, g_scalar ? g : g + b, g_scalar, scale,
                     gt);
    transpose_rows(gt, nb, C, gx + b * C);  // (C, nb) back to nb rows of C
  }
}

template <class T>
void ce_forward(const ClassLossArgs& a, T* loss, T* stats) {
  const Ce<T> k(a);
  if (a.d == 1 && a.c < kFewClasses) {
    parallel_for(0, a.n, grain_for(a.c),
                 [&](int64_t r0, int64_t r1) { ce_forward_few(k, r0, r1, loss, stats); });
    return;
  }
  if (a.d == 1) {
    parallel_for(0, a.n, grain_for(a.c),
                 [&](int64_t r0, int64_t r1) { ce_forward_rows(k, r0, r1, loss, stats); });
    return;
  }
  const int64_t tiles_per_n = (a.d + kTile - 1) / kTile;
  parallel_for(0, a.n * tiles_per_n, grain_for(a.c * kTile), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      ce_forward_tile(k, i / tiles_per_n, (i % tiles_per_n) * kTile, loss, stats);
  });
}

template <class T>
void ce_backward(const ClassLossArgs& a, const T* stats, const T* g, bool g_scalar, T scale,
                 T* gx) {
  const Ce<T> k(a);
  if (a.d == 1 && a.c < kFewClasses) {
    parallel_for(0, a.n, grain_for(a.c), [&](int64_t r0, int64_t r1) {
      ce_backward_few(k, r0, r1, stats, g, g_scalar, scale, gx);
    });
    return;
  }
  if (a.d == 1) {
    parallel_for(0, a.n, grain_for(a.c), [&](int64_t r0, int64_t r1) {
      ce_backward_rows(k, r0, r1, stats, g, g_scalar, scale, gx);
    });
    return;
  }
  const int64_t tiles_per_n = (a.d + kTile - 1) / kTile;
  parallel_for(0, a.n * tiles_per_n, grain_for(a.c * kTile), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      ce_backward_tile(k, i / tiles_per_n, (i % tiles_per_n) * kTile, stats, g, g_scalar, scale,
                       gx);
  });
}

// ---- pointwise losses -----------------------------------------------------------------------

template <class T>
inline T absv(T v) {
  return v < T(0) ? -v : v;
}
// softplus(-x) = max(-x, 0) + log1p(exp(-|x|)).
template <class T>
inline T softplus_neg(T x) {
  const T mx = -x > T(0) ? -x : T(0);
  return mx + log1p_acc<T>(math::exp<T>(-absv(x)));
}

// BCE with logits as (1 - y) softplus(x) + pw y softplus(-x): a sum of non-negative terms that
// share one exp and one log1p. The textbook (1 - y) x + (1 + (pw - 1) y) softplus(-x) cancels
// to 0 for a confident right answer (x = -30, y = 0 gives -30 + 30, not 9.4e-14).
template <class T>
inline T bce_logits_value(T x, T y, T pw) {
  const T l = log1p_acc<T>(math::exp<T>(-absv(x)));
  const T pos = x > T(0) ? x : T(0);
  const T neg = x < T(0) ? -x : T(0);
  return (T(1) - y) * (pos + l) + pw * y * (neg + l);
}

// d/dx = (1 - y) sigmoid(x) - pw y sigmoid(-x), both sigmoids from one exp(-|x|), so that the
// slope of a confident right answer keeps its ~1e-13 size instead of rounding 1 - 1 to 0.
template <class T>
inline T bce_logits_dx(T x, T y, T pw) {
  const T e = math::exp<T>(-absv(x));
  const T big = T(1) / (T(1) + e);  // sigmoid(|x|)
  const T small = e * big;          // sigmoid(-|x|)
  const T sp = x >= T(0) ? big : small;
  const T sn = x >= T(0) ? small : big;
  return (T(1) - y) * sp - pw * y * sn;
}

// Loss value; pw is 1 where there is no pos_weight.
template <PointwiseLoss K, class T>
inline T pl_value(T x, T y, T pw, T p) {
  const T d = x - y;
  if constexpr (K == PointwiseLoss::Mse) {
    return d * d;
  } else if constexpr (K == PointwiseLoss::L1) {
    return absv(d);
  } else if constexpr (K == PointwiseLoss::Huber) {
    const T z = absv(d);
    return z < p ? T(0.5) * d * d : p * (z - T(0.5) * p);
  } else if constexpr (K == PointwiseLoss::SmoothL1) {
    const T z = absv(d);
    return z < p ? T(0.5) * d * d / p : z - T(0.5) * p;
  } else if constexpr (K == PointwiseLoss::Bce) {
    const T lx = std::max(math::log<T>(x), T(-100));
    const T l1x = std::max(log1p_acc<T>(-x), T(-100));
    return (y - T(1)) * l1x - y * lx;
  } else {
    return bce_logits_value(x, y, pw);
  }
}

// d loss / d x.
template <PointwiseLoss K, class T>
inline T pl_dx(T x, T y, T pw, T p) {
  const T d = x - y;
  if constexpr (K == PointwiseLoss::Mse) {
    return T(2) * d;
  } else if constexpr (K == PointwiseLoss::L1) {
    return d > T(0) ? T(1) : (d < T(0) ? T(-1) : T(0));
  } else if constexpr (K == PointwiseLoss::Huber) {
    return d < -p ? -p : (d > p ? p : d);
  } else if constexpr (K == PointwiseLoss::SmoothL1) {
    return d < -p ? T(-1) : (d > p ? T(1) : d / p);
  } else if constexpr (K == PointwiseLoss::Bce) {
    return d / std::max((T(1) - x) * x, T(1e-12));
  } else {
    return bce_logits_dx(x, y, pw);
  }
}

// d loss / d y.
template <PointwiseLoss K, class T>
inline T pl_dy(T x, T y, T pw, T p) {
  if constexpr (K == PointwiseLoss::Bce) {
    return log1p_acc<T>(-x) - math::log<T>(x);  // unclamped, as PyTorch
  } else if constexpr (K == PointwiseLoss::BceLogits) {
    return (pw - T(1)) * softplus_neg(x) - x;
  } else {
    return -pl_dx<K>(x, y, pw, p);
  }
}

// One block [lo, hi) of losses; out and pw are compile-time present or absent, so the vector
// loop never loads through a null pointer or stores conditionally.
template <PointwiseLoss K, bool kOut, bool kPw, class T>
T pl_block(const T* x, const T* y, const T* pw, T p, T* out, int64_t lo, int64_t hi) {
  T acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t i = lo; i < hi; ++i) {
    T w = T(1);
    if constexpr (kPw) w = pw[i];
    const T v = pl_value<K>(x[i], y[i], w, p);
    if constexpr (kOut) out[i] = v;
    acc += v;
  }
  return acc;
}

template <PointwiseLoss K, class T>
int pl_forward(const PointwiseArgs& a, T* out, double* sum) {
  const T* x = static_cast<const T*>(a.x);
  const T* y = static_cast<const T*>(a.y);
  const T* pw = static_cast<const T*>(a.pw);
  const T p = static_cast<T>(a.param);
  const int64_t nblk = (a.n + kLossBlock - 1) / kLossBlock;
  std::vector<double> partial(static_cast<size_t>(nblk), 0.0);
  std::vector<int> bad(static_cast<size_t>(nblk), 0);
  parallel_for(0, nblk, grain_for(kLossBlock), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t lo = b * kLossBlock, hi = std::min(a.n, lo + kLossBlock);
      if (pw) {
        partial[b] = out ? pl_block<K, true, true>(x, y, pw, p, out, lo, hi)
                         : pl_block<K, false, true>(x, y, pw, p, out, lo, hi);
      } else {
        partial[b] = out ? pl_block<K, true, false>(x, y, pw, p, out, lo, hi)
                         : pl_block<K, false, false>(x, y, pw, p, out, lo, hi);
      }
      if constexpr (K == PointwiseLoss::Bce) {
        int bx = 0, by = 0;
#pragma omp simd reduction(| : bx, by)
        for (int64_t i = lo; i < hi; ++i) {
          bx |= !(x[i] >= T(0) && x[i] <= T(1));
          by |= !(y[i] >= T(0) && y[i] <= T(1));
        }
        bad[b] = bx ? 1 : (by ? 2 : 0);
      }
    }
  });
  for (int64_t b = 0; b < nblk; ++b)
    if (bad[b]) return bad[b];
  if (sum) {
    double s = 0;
    for (double v : partial) s += v;
    *sum = s;
  }
  return 0;
}

// d(loss)/dx (kDx) or d(loss)/dy over [lo, hi) times the upstream gradient: one scalar g0
// (kScalarG) or g[i] * scale; pw present when kPw.
template <PointwiseLoss K, bool kDx, bool kScalarG, bool kPw, class T>
void pl_grad(const T* x, const T* y, const T* pw, T p, const T* g, T g0, T scale, T* out,
             int64_t lo, int64_t hi) {
#pragma omp simd
  for (int64_t i = lo; i < hi; ++i) {
    T s = g0, w = T(1);
    if constexpr (!kScalarG) s = g[i] * scale;
    if constexpr (kPw) w = pw[i];
    if constexpr (kDx)
      out[i] = s * pl_dx<K>(x[i], y[i], w, p);
    else
      out[i] = s * pl_dy<K>(x[i], y[i], w, p);
  }
}

template <PointwiseLoss K, bool kDx, class T>
void pl_grad_any(const T* x, const T* y, const T* pw, T p, const T* g, bool g_scalar, T g0, T scale,
                 T* out, int64_t lo, int64_t hi) {
  if (g_scalar) {
    if (pw)
      pl_grad<K, kDx, true, true>(x, y, pw, p, g, g0, scale, out, lo, hi);
    else
      pl_grad<K, kDx, true, false>(x, y, pw, p, g, g0, scale, out, lo, hi);
  } else {
    if (pw)
      pl_grad<K, kDx, false, true>(x, y, pw, p, g, g0, scale, out, lo, hi);
    else
      pl_grad<K, kDx, false, false>(x, y, pw, p, g, g0, scale, out, lo, hi);
  }
}

template <PointwiseLoss K, class T>
void pl_backward(const PointwiseArgs& a, const T* g, bool g_scalar, T scale, T* gx, T* gy) {
  const T* x = static_cast<const T*>(a.x);
  const T* y = static_cast<const T*>(a.y);
  const T* pw = static_cast<const T*>(a.pw);
  const T p = static_cast<T>(a.param);
  const T g0 = g_scalar ? g[0] * scale : T(0);
  parallel_for(0, a.n, 32768, [&](int64_t lo, int64_t hi) {
    if (gx) pl_grad_any<K, true>(x, y, pw, p, g, g_scalar, g0, scale, gx, lo, hi);
    if (gy) pl_grad_any<K, false>(x, y, pw, p, g, g_scalar, g0, scale, gy, lo, hi);
  });
}

template <class T>
int pl_forward_any(PointwiseLoss k, const PointwiseArgs& a, void* out, double* sum) {
  T* o = static_cast<T*>(out);
  switch (k) {
    case PointwiseLoss::Mse:
      return pl_forward<PointwiseLoss::Mse, T>(a, o, sum);
    case PointwiseLoss::L1:
      return pl_forward<PointwiseLoss::L1, T>(a, o, sum);
    case PointwiseLoss::Huber:
      return pl_forward<PointwiseLoss::Huber, T>(a, o, sum);
    case PointwiseLoss::SmoothL1:
      return pl_forward<PointwiseLoss::SmoothL1, T>(a, o, sum);
    case PointwiseLoss::Bce:
      return pl_forward<PointwiseLoss::Bce, T>(a, o, sum);
    case PointwiseLoss::BceLogits:
      return pl_forward<PointwiseLoss::BceLogits, T>(a, o, sum);
  }
  return 0;
}

template <class T>
void pl_backward_any(PointwiseLoss k, const PointwiseArgs& a, const void* grad, bool g_scalar,
                     double scale, void* gx, void* gy) {
  const T* g = static_cast<const T*>(grad);
  const T sc = static_cast<T>(scale);
  T* ox = static_cast<T*>(gx);
  T* oy = static_cast<T*>(gy);
  switch (k) {
    case PointwiseLoss::Mse:
      return pl_backward<PointwiseLoss::Mse, T>(a, g, g_scalar, sc, ox, oy);
    case PointwiseLoss::L1:
      return pl_backward<PointwiseLoss::L1, T>(a, g, g_scalar, sc, ox, oy);
    case PointwiseLoss::Huber:
      return pl_backward<PointwiseLoss::Huber, T>(a, g, g_scalar, sc, ox, oy);
    case PointwiseLoss::SmoothL1:
      return pl_backward<PointwiseLoss::SmoothL1, T>(a, g, g_scalar, sc, ox, oy);
    case PointwiseLoss::Bce:
      return pl_backward<PointwiseLoss::Bce, T>(a, g, g_scalar, sc, ox, oy);
    case PointwiseLoss::BceLogits:
      return pl_backward<PointwiseLoss::BceLogits, T>(a, g, g_scalar, sc, ox, oy);
  }
}

}  // namespace

void cross_entropy_forward(DType dt, const ClassLossArgs& a, void* loss, void* stats) {
  if (dt == DType::Float64)
    ce_forward<double>(a, static_cast<double*>(loss), static_cast<double*>(stats));
  else
    ce_forward<float>(a, static_cast<float*>(loss), static_cast<float*>(stats));
}

void cross_entropy_backward(DType dt, const ClassLossArgs& a, const void* stats, const void* grad,
                            bool grad_scalar, double scale, void* gx) {
  if (dt == DType::Float64)
    ce_backward<double>(a, static_cast<const double*>(stats), static_cast<const double*>(grad),
                        grad_scalar, scale, static_cast<double*>(gx));
  else
    ce_backward<float>(a, static_cast<const float*>(stats), static_cast<const float*>(grad),
                       grad_scalar, static_cast<float>(scale), static_cast<float*>(gx));
}

int pointwise_loss_forward(PointwiseLoss k, DType dt, const PointwiseArgs& a, void* out,
                           double* sum) {
  return dt == DType::Float64 ? pl_forward_any<double>(k, a, out, sum)
                              : pl_forward_any<float>(k, a, out, sum);
}

void pointwise_loss_backward(PointwiseLoss k, DType dt, const PointwiseArgs& a, const void* grad,
                             bool grad_scalar, double scale, void* gx, void* gy) {
  if (dt == DType::Float64)
    pl_backward_any<double>(k, a, grad, grad_scalar, scale, gx, gy);
  else
    pl_backward_any<float>(k, a, grad, grad_scalar, scale, gx, gy);
}

}  // namespace ax::cpu::AX_ISA_NS
