// Loops behind kernels/pooling.h, compiled once per ISA: pooling_{generic,avx2,avx512}.cpp define
// AX_ISA_NS and include this file with their own -m flags. Each plane is one task: max pooling
// first reduces every input row along W (the interior of a regular window map runs with fixed
// offsets, no per-element index math), then reduces whole output rows across the window's rows,
// vectorized along the output width. The resampler does the same in the other order: rows of the
// window are combined first (vectorized along W), then the W taps are applied per output.
#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "axonite/core/parallel.h"
#include "axonite/kernels/pooling.h"

#ifndef AX_ISA_NS
#error "define AX_ISA_NS before including pooling_impl.h"
#endif

namespace ax::cpu::AX_ISA_NS {
namespace {

// Elements per parallel task (below it, a parallel region costs more than it saves).
constexpr int64_t kGrain = 32768;

int64_t plane_grain(int64_t work_per_plane) {
  return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, work_per_plane));
}

// The plane loops below poll the interrupt flag once per plane (never inside the arithmetic) and
// skip the remaining planes once it is set; parallel_for then throws outside any parallel
// region, so a partly written result is never returned (Note [Interrupts], core/parallel.h).

// PyTorch's rule: a strictly better value or a NaN replaces the current pick.
template <bool Min, class T>
inline bool better(T v, T m) {
  return Min ? (v < m || v != v) : (v > m || v != v);
}

// The interior [lo, hi) of a regular axis: outputs whose window is not clipped.
void regular_range(const PoolAxis& a, int64_t* lo, int64_t* hi) {
  *lo = *hi = 0;
  if (a.k <= 0) return;
  auto regular = [&](int64_t o) { return a.cnt[o] == a.k && a.first[o] == o * a.s + a.start0; };
  int64_t l = 0;
  while (l < a.out && !regular(l)) ++l;
  int64_t h = a.out;
  while (h > l && !regular(h - 1)) --h;
  for (int64_t o = l; o < h; ++o)
    if (!regular(o)) return;  // not one run: everything goes the general way
  *lo = l;
  *hi = h;
}

// Interior of one row: hv[o], hi[o] = best of xr[o*S + st + j*d], j < k (S = 0: runtime s).
// I is the index type of the scratch rows (int32 when the plane allows: same lane width as
// float, so the selects vectorize); WithIdx = false computes the values alone.
template <bool Min, bool WithIdx, int64_t S, class I, class T>
void row_interior(const T* __restrict xr, T* __restrict hv, I* __restrict hi, int64_t lo,
                  int64_t hiend, int64_t s_rt, int64_t st, int64_t k, int64_t d, I base) {
  const int64_t s = S > 0 ? S : s_rt;
  for (int64_t o = lo; o < hiend; ++o) {
    const int64_t p = o * s + st;
    hv[o] = xr[p];
    if constexpr (WithIdx) hi[o] = base + static_cast<I>(p);
  }
  for (int64_t j = 1; j < k; ++j) {
    const int64_t off = st + j * d;
    for (int64_t o = lo; o < hiend; ++o) {
      const int64_t p = o * s + off;
      const T v = xr[p], m = hv[o];
      const bool c = better<Min>(v, m);
      hv[o] = c ? v : m;
      if constexpr (WithIdx) {
        const I a = base + static_cast<I>(p), b = hi[o];
        hi[o] = c ? a : b;
      }
    }
  }
}

// row_interior with the common strides 1 and 2 as compile-time constants.
template <bool Min, bool WithIdx, class I, class T>
void interior(const T* xr, T* hv, I* hi, int64_t lo, int64_t hiend, const PoolAxis& a, I base) {
  if (a.s == 2) {
    row_interior<Min, WithIdx, 2>(xr, hv, hi, lo, hiend, a.s, a.start0, a.k, a.dil, base);
  } else if (a.s == 1) {
    row_interior<Min, WithIdx, 1>(xr, hv, hi, lo, hiend, a.s, a.start0, a.k, a.dil, base);
  } else {
    row_interior<Min, WithIdx, 0>(xr, hv, hi, lo, hiend, a.s, a.start0, a.k, a.dil, base);
  }
}

// One input row reduced along W: hv[o], hi[o] (base + column of the pick) for every output.
template <bool Min, bool WithIdx, class I, class T>
void row_pass(const T* xr, T* hv, I* hi, const PoolAxis& a, int64_t lo, int64_t hiend, I base) {
  const T init = Min ? std::numeric_limits<T>::infinity() : -std::numeric_limits<T>::infinity();
  auto general = [&](int64_t o) {
    const int64_t f = a.first[o];
    T m = init;
    int64_t im = std::min(f, a.in - 1);
    for (int64_t t = 0; t < a.cnt[o]; ++t) {
      const int64_t p = f + t * a.dil;
      const T v = xr[p];
      if (better<Min>(v, m)) {
        m = v;
        im = p;
      }
    }
    hv[o] = m;
    if constexpr (WithIdx) hi[o] = base + static_cast<I>(im);
  };
  for (int64_t o = 0; o < lo; ++o) general(o);
  if (hiend > lo) interior<Min, WithIdx>(xr, hv, hi, lo, hiend, a, base);
  for (int64_t o = std::max(lo, hiend); o < a.out; ++o) general(o);
}

// Folds one reduced row (values hv, in-plane positions hi) into the running picks.
template <bool Min, bool WithIdx, class I, class T>
void merge_row(const T* __restrict hv, const I* __restrict hi, T* __restrict yv, I* __restrict yi,
               int64_t n, bool first) {
  if (first) {
    for (int64_t o = 0; o < n; ++o) yv[o] = hv[o];
    if constexpr (WithIdx)
      for (int64_t o = 0; o < n; ++o) yi[o] = hi[o];
    return;
  }
  for (int64_t o = 0; o < n; ++o) {
    const T v = hv[o], m = yv[o];
    const bool c = better<Min>(v, m);
    yv[o] = c ? v : m;
    if constexpr (WithIdx) {
      const I a = hi[o], b = yi[o];
      yi[o] = c ? a : b;
    }
  }
}

template <bool Min, bool WithIdx, class I, class T>
void max_pool_planes(const T* x, T* y, int64_t* idx, int64_t P, const PoolAxis* axes) {
  const PoolAxis &A = axes[0], &B = axes[1], &C = axes[2];
  const int64_t D = A.in, H = B.in, W = C.in, OD = A.out, OH = B.out, OW = C.out;
  const int64_t in_plane = D * H * W, out_plane = OD * OH * OW;
  int64_t lo, hiend;
  regular_range(C, &lo, &hiend);
  // Rows that tile W exactly (no padding, no remainder) are one run over the whole plane.
  const bool flat = lo == 0 && hiend == OW && C.start0 == 0 && W == OW * C.s;
  const T init = Min ? std::numeric_limits<T>::infinity() : -std::numeric_limits<T>::infinity();
  parallel_for(0, P, plane_grain(in_plane + out_plane), [&](int64_t pb, int64_t pe) {
    std::vector<T> hv(static_cast<size_t>(D * H * OW));
    std::vector<I> hi(WithIdx ? static_cast<size_t>(D * H * OW) : 0);
    std::vector<I> yi(WithIdx ? static_cast<size_t>(OW) : 0);
    for (int64_t p = pb; p < pe && !interrupt_requested(); ++p) {
      const T* xp = x + p * in_plane;
      if (flat) {
        interior<Min, WithIdx>(xp, hv.data(), hi.data(), 0, D * H * OW, C, I(0));
      } else {
        for (int64_t r = 0; r < D * H; ++r)
          row_pass<Min, WithIdx>(xp + r * W, hv.data() + r * OW, hi.data() + r * OW, C, lo, hiend,
                                 static_cast<I>(r * W));
      }
      for (int64_t od = 0; od < OD; ++od) {
        for (int64_t oh = 0; oh < OH; ++oh) {
          const int64_t orow = p * out_plane + (od * OH + oh) * OW;
          T* yr = y + orow;
          bool first = true;
          for (int64_t td = 0; td < A.cnt[od]; ++td) {
            const int64_t d = A.first[od] + td * A.dil;
            for (int64_t th = 0; th < B.cnt[oh]; ++th) {
              const int64_t r = d * H + B.first[oh] + th * B.dil;
              merge_row<Min, WithIdx>(hv.data() + r * OW, hi.data() + r * OW, yr, yi.data(), OW,
                                      first);
              first = false;
            }
          }
          if (first) {  // an empty window (only in degenerate maps): PyTorch's fill values
            std::fill(yr, yr + OW, init);
            if constexpr (WithIdx) std::fill(yi.begin(), yi.end(), I(0));
          }
          if constexpr (WithIdx)
            for (int64_t o = 0; o < OW; ++o) idx[orow + o] = static_cast<int64_t>(yi[o]);
        }
      }
    }
  });
}

template <bool Min, class T>
void max_pool_dispatch(const T* x, T* y, int64_t* idx, int64_t P, const PoolAxis* axes) {
  const int64_t in_plane = axes[0].in * axes[1].in * axes[2].in;
  if (idx == nullptr) {
    max_pool_planes<Min, false, int32_t>(x, y, idx, P, axes);
  } else if (sizeof(T) == 4 && in_plane < (int64_t{1} << 31)) {
    max_pool_planes<Min, true, int32_t>(x, y, idx, P, axes);
  } else {
    max_pool_planes<Min, true, int64_t>(x, y, idx, P, axes);
  }
}

template <class T>
void max_pool_forward(const T* x, T* y, int64_t* idx, int64_t P, const PoolAxis* axes,
                      bool is_min) {
  if (is_min) {
    max_pool_dispatch<true>(x, y, idx, P, axes);
  } else {
    max_pool_dispatch<false>(x, y, idx, P, axes);
  }
}

template <class T>
void max_pool_backward(const T* gy, const int64_t* idx, T* gx, int64_t P, int64_t in_plane,
                       int64_t out_plane) {
  parallel_for(0, P, plane_grain(in_plane + out_plane), [&](int64_t pb, int64_t pe) {
    for (int64_t p = pb; p < pe && !interrupt_requested(); ++p) {
      T* g = gx + p * in_plane;
      std::fill(g, g + in_plane, T(0));
      const T* src = gy + p * out_plane;
      const int64_t* ip = idx + p * out_plane;
      for (int64_t o = 0; o < out_plane; ++o) g[ip[o]] += src[o];
    }
  });
}

// W-axis fast paths of the resampler.
enum class WMode { General, Pool2, Unit };

template <class T>
struct WPlan {
  WMode mode = WMode::General;
  std::vector<T> w;   // per tap (General)
  std::vector<T> wo;  // per output: the weight of its first tap (Pool2, Unit)
};

template <class T>
WPlan<T> plan_w(const LinAxis& c) {
  WPlan<T> pl;
  pl.w.assign(c.w.begin(), c.w.end());
  pl.wo.resize(static_cast<size_t>(c.out));
  bool pool2 = true, unit = true;
  for (int64_t o = 0; o < c.out; ++o) {
    const int64_t n = c.cnt[o], f = c.off[o];
    pl.wo[o] = n > 0 ? static_cast<T>(c.w[f]) : T(0);
    pool2 = pool2 && n == 2 && c.first[o] == 2 * o && c.w[f] == c.w[f + 1];
    unit = unit && n == 1;
  }
  pl.mode = pool2 && c.out > 0 ? WMode::Pool2 : unit ? WMode::Unit : WMode::General;
  return pl;
}

// 2-d maps that tile the plane exactly with 2x2 windows of uniform weights (AvgPool2d(2) on even
// sizes: LeNet's subsampling). The general two-stage loops spend most of their time on per-row
// scratch fills at these sizes; these paths do the same arithmetic in the same order (so the
// bits match), reading and writing each element once. wt: the H-stage weight, wc: the W one.
template <class T>
struct Tile2x2 {
  bool ok = false;
  T wt = 0, wc = 0;
};

inline bool uniform_pairs(const LinAxis& a) {
  if (a.out <= 0 || a.in != 2 * a.out) return false;
  const double w = a.w[a.off[0]];
  for (int64_t o = 0; o < a.out; ++o)
    if (a.cnt[o] != 2 || a.first[o] != 2 * o || a.w[a.off[o]] != w || a.w[a.off[o] + 1] != w)
      return false;
  return true;
}

template <class T>
Tile2x2<T> tile2x2(const LinMap& m) {
  Tile2x2<T> t;
  const LinAxis& A = m.axis[0];
  if (A.in != 1 || A.out != 1 || A.cnt[0] != 1 || !uniform_pairs(m.axis[1]) ||
      !uniform_pairs(m.axis[2]))
    return t;
  t.ok = true;
  t.wt = static_cast<T>(A.w[A.off[0]] * m.axis[1].w[m.axis[1].off[0]]);
  t.wc = static_cast<T>(m.axis[2].w[m.axis[2].off[0]]);
  return t;
}

template <class T>
void tile2x2_forward(const T* x, T* y, int64_t P, int64_t H, int64_t W, const Tile2x2<T>& t) {
  const int64_t OH = H / 2, OW = W / 2, in_plane = H * W, out_plane = OH * OW;
  const T wt = t.wt, wc = t.wc;
  parallel_for(0, P, plane_grain(in_plane + out_plane), [&](int64_t pb, int64_t pe) {
    for (int64_t p = pb; p < pe && !interrupt_requested(); ++p) {
      for (int64_t oh = 0; oh < OH; ++oh) {
        const T* r0 = x + p * in_plane + 2 * oh * W;
        const T* r1 = r0 + W;
        T* yr = y + p * out_plane + oh * OW;
        for (int64_t o = 0; o < OW; ++o) {
          const T a = T(0) + wt * r0[2 * o] + wt * r1[2 * o];
          const T b = T(0) + wt * r0[2 * o + 1] + wt * r1[2 * o + 1];
          yr[o] = (a + b) * wc;
        }
      }
    }
  });
}

template <class T>
void tile2x2_adjoint(const T* gy, T* gx, int64_t P, int64_t H, int64_t W, const Tile2x2<T>& t) {
  const int64_t OH = H / 2, OW = W / 2, in_plane = H * W, out_plane = OH * OW;
  const T wt = t.wt, wc = t.wc;
  parallel_for(0, P, plane_grain(in_plane + out_plane), [&](int64_t pb, int64_t pe) {
    for (int64_t p = pb; p < pe && !interrupt_requested(); ++p) {
      for (int64_t oh = 0; oh < OH; ++oh) {
        const T* g = gy + p * out_plane + oh * OW;
        T* r0 = gx + p * in_plane + 2 * oh * W;
        T* r1 = r0 + W;
        for (int64_t o = 0; o < OW; ++o) {
          const T v = T(0) + wt * (g[o] * wc);
          r0[2 * o] = v;
          r0[2 * o + 1] = v;
          r1[2 * o] = v;
          r1[2 * o + 1] = v;
        }
      }
    }
  });
}

// Global pooling (every axis maps its whole input to one output with one weight): the map is
// scale * sum(plane); returns the scale, or 0 when the map is not of that form.
double global_scale(const LinMap& m) {
  double scale = 1.0;
  for (const LinAxis& a : m.axis) {
    if (a.out != 1 || a.first[0] != 0 || a.cnt[0] != a.in) return 0.0;
    for (int64_t t = 1; t < a.in; ++t)
      if (a.w[t] != a.w[0]) return 0.0;
    scale *= a.w[0];
  }
  return scale;
}

// Sum of n contiguous values in kLanes independent partial sums (vectorizes without
// reassociation flags), folded in a fixed order.
template <class T>
T plane_sum(const T* __restrict x, int64_t n) {
  constexpr int kLanes = 16;
  T acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += x[i + l];
  T s = 0;
  for (; i < n; ++i) s += x[i];
  for (int l = 0; l < kLanes; ++l) s += acc[l];
  return s;
}

template <class T>
void resample_forward(const T* x, T* y, int64_t P, const LinMap& m) {
  const LinAxis &A = m.axis[0], &B = m.axis[1], &C = m.axis[2];
  const int64_t H = B.in, W = C.in, OD = A.out, OH = B.out, OW = C.out;
  const int64_t in_plane = A.in * H * W, out_plane = OD * OH * OW;
  if (const double gs = global_scale(m); gs != 0.0) {
    parallel_for(0, P, plane_grain(in_plane), [&](int64_t pb, int64_t pe) {
      for (int64_t p = pb; p < pe && !interrupt_requested(); ++p)
        y[p] = plane_sum(x + p * in_plane, in_plane) * T(gs);
    });
    return;
  }
  if (const Tile2x2<T> t = tile2x2<T>(m); t.ok) return tile2x2_forward(x, y, P, H, W, t);
  const WPlan<T> pl = plan_w<T>(C);
  parallel_for(0, P, plane_grain(in_plane + out_plane), [&](int64_t pb, int64_t pe) {
    std::vector<T> r(static_cast<size_t>(W));
    for (int64_t p = pb; p < pe && !interrupt_requested(); ++p) {
      const T* xp = x + p * in_plane;
      for (int64_t od = 0; od < OD; ++od) {
        for (int64_t oh = 0; oh < OH; ++oh) {
          // Stage 1: the window's rows, weighted, into one row (or the row itself).
          const T* src = r.data();
          const int64_t na = A.cnt[od], nb = B.cnt[oh];
          const double w11 = na * nb == 1 ? A.w[A.off[od]] * B.w[B.off[oh]] : 0.0;
          if (na * nb == 1 && w11 == 1.0) {
            src = xp + (A.first[od] * H + B.first[oh]) * W;
          } else {
            T* rr = r.data();
            std::fill(rr, rr + W, T(0));
            for (int64_t ta = 0; ta < na; ++ta) {
              for (int64_t tb = 0; tb < nb; ++tb) {
                const T wt = static_cast<T>(A.w[A.off[od] + ta] * B.w[B.off[oh] + tb]);
                const T* xr = xp + ((A.first[od] + ta) * H + B.first[oh] + tb) * W;
                for (int64_t i = 0; i < W; ++i) rr[i] += wt * xr[i];
              }
            }
          }
          // Stage 2: the W taps.
          T* yr = y + p * out_plane + (od * OH + oh) * OW;
          const T* wo = pl.wo.data();
          if (pl.mode == WMode::Pool2) {
            for (int64_t o = 0; o < OW; ++o) yr[o] = (src[2 * o] + src[2 * o + 1]) * wo[o];
          } else if (pl.mode == WMode::Unit) {
            const int64_t* f = C.first.data();
            for (int64_t o = 0; o < OW; ++o) yr[o] = wo[o] * src[f[o]];
          } else {
            for (int64_t o = 0; o < OW; ++o) {
              const T* s = src + C.first[o];
              const T* w = pl.w.data() + C.off[o];
              T acc = 0;
              for (int64_t t = 0; t < C.cnt[o]; ++t) acc += w[t] * s[t];
              yr[o] = acc;
            }
          }
        }
      }
    }
  });
}

template <class T>
void resample_adjoint(const T* gy, T* gx, int64_t P, const LinMap& m) {
  const LinAxis &A = m.axis[0], &B = m.axis[1], &C = m.axis[2];
  const int64_t H = B.in, W = C.in, OD = A.out, OH = B.out, OW = C.out;
  const int64_t in_plane = A.in * H * W, out_plane = OD * OH * OW;
  if (const double gs = global_scale(m); gs != 0.0) {
    parallel_for(0, P, plane_grain(in_plane), [&](int64_t pb, int64_t pe) {
      for (int64_t p = pb; p < pe && !interrupt_requested(); ++p)
        std::fill(gx + p * in_plane, gx + (p + 1) * in_plane, gy[p] * T(gs));
    });
    return;
  }
  if (const Tile2x2<T> t = tile2x2<T>(m); t.ok) return tile2x2_adjoint(gy, gx, P, H, W, t);
  const WPlan<T> pl = plan_w<T>(C);
  parallel_for(0, P, plane_grain(in_plane + out_plane), [&](int64_t pb, int64_t pe) {
    std::vector<T> r(static_cast<size_t>(W));
    for (int64_t p = pb; p < pe && !interrupt_requested(); ++p) {
      T* gp = gx + p * in_plane;
      std::fill(gp, gp + in_plane, T(0));
      for (int64_t od = 0; od < OD; ++od) {
        for (int64_t oh = 0; oh < OH; ++oh) {
          // Stage 2 transposed: spread the output row over one input-width row.
          const T* g = gy + p * out_plane + (od * OH + oh) * OW;
          const T* wo = pl.wo.data();
          T* rr = r.data();
          if (pl.mode == WMode::Pool2) {
            std::fill(rr + 2 * OW, rr + W, T(0));
            for (int64_t o = 0; o < OW; ++o) {
              const T v = g[o] * wo[o];
              rr[2 * o] = v;
              rr[2 * o + 1] = v;
            }
          } else if (pl.mode == WMode::Unit) {
            std::fill(rr, rr + W, T(0));
            const int64_t* f = C.first.data();
            for (int64_t o = 0; o < OW; ++o) rr[f[o]] += wo[o] * g[o];
          } else {
            std::fill(rr, rr + W, T(0));
            for (int64_t o = 0; o < OW; ++o) {
              T* s = rr + C.first[o];
              const T* w = pl.w.data() + C.off[o];
              for (int64_t t = 0; t < C.cnt[o]; ++t) s[t] += w[t] * g[o];
            }
          }
          // Stage 1 transposed: add the row, weighted, into each row of the window.
          for (int64_t ta = 0; ta < A.cnt[od]; ++ta) {
            for (int64_t tb = 0; tb < B.cnt[oh]; ++tb) {
              const T wt = static_cast<T>(A.w[A.off[od] + ta] * B.w[B.off[oh] + tb]);
              T* xr = gp + ((A.first[od] + ta) * H + B.first[oh] + tb) * W;
              for (int64_t i = 0; i < W; ++i) xr[i] += wt * rr[i];
            }
          }
        }
      }
    }
  });
}

}  // namespace

const PoolKernels<float>& pool_table_f32() {
  static const PoolKernels<float> t{&max_pool_forward<float>, &max_pool_backward<float>,
                                    &resample_forward<float>, &resample_adjoint<float>};
  return t;
}

const PoolKernels<double>& pool_table_f64() {
  static const PoolKernels<double> t{&max_pool_forward<double>, &max_pool_backward<double>,
                                     &resample_forward<double>, &resample_adjoint<double>};
  return t;
}

}  // namespace ax::cpu::AX_ISA_NS
