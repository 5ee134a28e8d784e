// grid_sample loops (kernels/grid_sample.h). Each grid point is turned once into a Tap (corner
// offsets, inside flags, bilinear weights, coordinate derivatives) for a block of points, then
// the block is swept once per channel, so coordinates are never recomputed per channel and the
// inner loops allocate nothing. Sums run in PyTorch's order (corners nw, ne, sw, se; channels
// in order; points in order for the input gradient), which keeps float32 results within an ulp
// or two of torch and makes them independent of the thread count.
#include "axonite/kernels/grid_sample.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "axonite/core/parallel.h"

namespace ax::cpu {
namespace {

constexpr int64_t kGrain = 32768;  // multiply-adds per thread below which we stay serial
constexpr int64_t kBlock = 256;    // points whose taps are computed before the channel sweep

int64_t grain_for(int64_t work_per_item) {
  return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, work_per_item));
}

// One image axis: PyTorch's CPU ComputeLocation (unnormalize, then clip or reflect + clip),
// returning the source coordinate and d coordinate / d grid value.
template <class T>
struct Axis {
  int64_t size;
  GridPadding pad;
  bool align;
  T max_val, scale, low, twice_span;
  bool empty;  // reflection over a zero-length span: every coordinate maps to 0

  Axis(int64_t n, GridPadding p, bool align_corners)
      : size(n),
        pad(p),
        align(align_corners),
        max_val(static_cast<T>(n - 1)),
        scale(align_corners ? static_cast<T>(n - 1) / 2 : static_cast<T>(n) / 2),
        low(align_corners ? T(0) : T(-0.5)),
        twice_span(align_corners ? static_cast<T>(n - 1) * 2 : static_cast<T>(n) * 2),
        empty(align_corners && n <= 1) {}

  T unnormalize(T v) const { return align ? (v + 1) * scale : (v + 1) * scale - T(0.5); }

  // Clamp to [0, size - 1]; NaN goes to 0 as in torch's CPU kernel. The derivative is 1 only
  // strictly inside: torch counts the borders as outside.
  T clip(T v, T* d) const {
    if (!(v > 0)) {
      *d = 0;
      return 0;
    }
    if (v >= max_val) {
      *d = 0;
      return max_val;
    }
    *d = 1;
    return v;
  }

  // Reflect about low and low + twice_span / 2 until the value lands between them.
  T reflect(T v, T* d) const {
    if (empty) {
      *d = 0;
      return 0;
    }
    const T a = v - low, abs_a = std::fabs(a);
    const T extra = abs_a - std::trunc(abs_a / twice_span) * twice_span;
    const T mirrored = twice_span - extra;
    const bool flip = extra > mirrored;
    *d = flip != (a < 0) ? T(-1) : T(1);
    return (flip ? mirrored : extra) + low;
  }

  T source(T g, T* d) const {
    T v = unnormalize(g), dv = scale, dc = 1, dr = 1;
    if (pad == GridPadding::Border) {
      v = clip(v, &dc);
    } else if (pad == GridPadding::Reflection) {
      v = clip(reflect(v, &dr), &dc);
    }
    *d = dv * dr * dc;
    return v;
  }
};

// Everything one grid point needs: corners nw, ne, sw, se (nearest: corner 0 only).
template <class T>
struct Tap {
  int64_t off[4];  // flat in-plane position y * W + x; 0 (a safe address) when outside
  bool in[4];      // whether the corner lies inside the image
  T w[4];          // bilinear weights (nearest: 1)
  T tx, ty;        // fractions ix - floor(ix), iy - floor(iy)
  T dx, dy;        // d ix / d grid_x, d iy / d grid_y
};

// Whether integer-valued coordinate v (a float) lies in [0, n): false for NaN. Written with
// `&` so that it compiles to flag arithmetic, not to branches that random grids mispredict.
template <class T>
bool inside(T v, int64_t n) {
  return (v >= 0) & (v <= static_cast<T>(n - 1));
}

// Round half to even (std::nearbyint in the default rounding mode, torch's Vectorized::round)
// without a libm call: adding and removing 2^mantissa_bits rounds in the FPU's mode (the
// library is built without -ffast-math, so the compiler keeps the pair).
template <class T>
T round_half_even(T v) {
  constexpr T kMagic = sizeof(T) == 4 ? T(8388608.0) : T(4503599627370496.0);
  const T a = std::fabs(v);
  if (!(a < kMagic)) return v;  // already an integer, or NaN / inf
  return std::copysign((a + kMagic) - kMagic, v);
}

template <class T>
struct Sampler {
  Axis<T> ax, ay;
  bool bilinear;
  int64_t W, P, K;  // image width, points per sample, corners per point

  explicit Sampler(const GridSampleShape& s)
      : ax(s.W, s.padding, s.align_corners),
        ay(s.H, s.padding, s.align_corners),
        bilinear(s.mode == GridInterp::Bilinear),
        W(s.W),
        P(s.HO * s.WO),
        K(bilinear ? 4 : 1) {}

  // g: one (x, y) grid entry. Coordinates become integers only where a corner is inside, so
  // huge or NaN coordinates never overflow the conversion; they simply read nothing.
  void tap(const T* g, Tap<T>& t) const {
    const T ix = ax.source(g[0], &t.dx), iy = ay.source(g[1], &t.dy);
    if (!bilinear) {
      const T rx = round_half_even(ix), ry = round_half_even(iy);
      t.in[0] = inside(rx, ax.size) & inside(ry, ay.size);
      t.off[0] = t.in[0] ? static_cast<int64_t>(ry) * W + static_cast<int64_t>(rx) : 0;
      t.w[0] = 1;
      t.tx = t.ty = t.dx = t.dy = 0;
      return;
    }
    const T x0 = std::floor(ix), y0 = std::floor(iy);
    t.tx = ix - x0;
    t.ty = iy - y0;
    const T e = 1 - t.tx, s = 1 - t.ty;
    t.w[0] = s * e;
    t.w[1] = s * t.tx;
    t.w[2] = t.ty * e;
    t.w[3] = t.ty * t.tx;
    const bool inx[2] = {inside(x0, ax.size), inside(x0 + 1, ax.size)};
    const bool iny[2] = {inside(y0, ay.size), inside(y0 + 1, ay.size)};
    const int64_t xi = static_cast<int64_t>(inx[0] | inx[1] ? x0 : T(0));
    const int64_t yi = static_cast<int64_t>(iny[0] | iny[1] ? y0 : T(0));
    for (int k = 0; k < 4; ++k) {
      const int dxk = k & 1, dyk = k >> 1;
      t.in[k] = inx[dxk] & iny[dyk];
      t.off[k] = t.in[k] ? (yi + dyk) * W + xi + dxk : 0;
    }
  }

  // Value of plane xp at corner k: always a safe load, zeroed when outside (a select, so an
  // Inf or NaN stored at offset 0 never leaks into masked corners).
  static T corner(const T* xp, const Tap<T>& t, int k) {
    const T v = xp[t.off[k]];
    return t.in[k] ? v : T(0);
  }

  // Weights multiply the (masked) corner values in torch's order.
  T sample(const T* xp, const Tap<T>& t) const {
    if (!bilinear) return corner(xp, t, 0);
    return corner(xp, t, 0) * t.w[0] + corner(xp, t, 1) * t.w[1] + corner(xp, t, 2) * t.w[2] +
           corner(xp, t, 3) * t.w[3];
  }

  // Taps of points [p0, p0 + cnt) of sample n into buf.
  void fill(const T* grid, int64_t n, int64_t p0, int64_t cnt, Tap<T>* buf) const {
    const T* g = grid + (n * P + p0) * 2;
    for (int64_t i = 0; i < cnt; ++i) tap(g + 2 * i, buf[i]);
  }
};

// Calls f(n, p0, cnt) over the flat point range [b, e) of (N, P), in blocks of at most kBlock
// points that never cross a sample boundary.
template <class F>
void for_blocks(int64_t b, int64_t e, int64_t P, const F& f) {
  while (b < e) {
    const int64_t n = b / P, p0 = b % P;
    const int64_t cnt = std::min({kBlock, P - p0, e - b});
    f(n, p0, cnt);
    b += cnt;
  }
}

}  // namespace

template <class T>
void grid_sample_forward(const T* x, const T* grid, T* y, const GridSampleShape& s) {
  const Sampler<T> sp(s);
  const int64_t P = sp.P, plane = s.H * s.W, C = s.C;
  parallel_for(0, s.N * P, grain_for(C * sp.K), [&](int64_t b, int64_t e) {
    std::vector<Tap<T>> taps(kBlock);
    for_blocks(b, e, P, [&](int64_t n, int64_t p0, int64_t cnt) {
      sp.fill(grid, n, p0, cnt, taps.data());
      for (int64_t c = 0; c < C; ++c) {
        const T* xp = x + (n * C + c) * plane;
        T* yp = y + (n * C + c) * P + p0;
        for (int64_t i = 0; i < cnt; ++i) yp[i] = sp.sample(xp, taps[i]);
      }
    });
  });
}

template <class T>
void grid_sample_backward(const T* gy, const T* x, const T* grid, T* gx, T* ggrid,
                          const GridSampleShape& s) {
  const Sampler<T> sp(s);
  const int64_t P = sp.P, plane = s.H * s.W, C = s.C;
  if (ggrid != nullptr && !sp.bilinear) std::fill(ggrid, ggrid + s.N * P * 2, T(0));
  if (ggrid != nullptr && sp.bilinear) {
    parallel_for(0, s.N * P, grain_for(C * 8), [&](int64_t b, int64_t e) {
      std::vector<Tap<T>> taps(kBlock);
      std::vector<T> acc(2 * kBlock);
      for_blocks(b, e, P, [&](int64_t n, int64_t p0, int64_t cnt) {
        sp.fill(grid, n, p0, cnt, taps.data());
        std::fill(acc.begin(), acc.end(), T(0));
        for (int64_t c = 0; c < C; ++c) {
          const T* xp = x + (n * C + c) * plane;
          const T* go = gy + (n * C + c) * P + p0;
          for (int64_t i = 0; i < cnt; ++i) {
            const Tap<T>& t = taps[i];
            T v[4];
            for (int k = 0; k < 4; ++k) v[k] = Sampler<T>::corner(xp, t, k);
            const T e_ = 1 - t.tx, s_ = 1 - t.ty;
            acc[2 * i] += ((v[1] - v[0]) * s_ + (v[3] - v[2]) * t.ty) * go[i];
            acc[2 * i + 1] += ((v[2] - v[0]) * e_ + (v[3] - v[1]) * t.tx) * go[i];
          }
        }
        T* gg = ggrid + (n * P + p0) * 2;
        for (int64_t i = 0; i < cnt; ++i) {
          gg[2 * i] = acc[2 * i] * taps[i].dx;
          gg[2 * i + 1] = acc[2 * i + 1] * taps[i].dy;
        }
      });
    });
  }
  if (gx == nullptr) return;
  // One thread owns each (n, c) plane of gx; the planes of one sample share their taps.
  parallel_for(0, s.N * C, grain_for(P * sp.K + plane), [&](int64_t qb, int64_t qe) {
    std::fill(gx + qb * plane, gx + qe * plane, T(0));
    std::vector<Tap<T>> taps(kBlock);
    for (int64_t n = qb / C; n * C < qe; ++n) {
      const int64_t cb = std::max(qb, n * C) - n * C, ce = std::min(qe, (n + 1) * C) - n * C;
      for_blocks(n * P, (n + 1) * P, P, [&](int64_t, int64_t p0, int64_t cnt) {
        sp.fill(grid, n, p0, cnt, taps.data());
        for (int64_t c = cb; c < ce; ++c) {
          T* gp = gx + (n * C + c) * plane;
          const T* go = gy + (n * C + c) * P + p0;
          for (int64_t i = 0; i < cnt; ++i) {
            const Tap<T>& t = taps[i];
            // Outside corners add an exact 0 at the safe offset instead of branching.
            for (int k = 0; k < sp.K; ++k) gp[t.off[k]] += t.in[k] ? t.w[k] * go[i] : T(0);
          }
        }
      });
    }
  });
}

template <class T>
void grid_sample_taps(const T* grid, int64_t* idx, T* mask, T* frac, T* dcoord,
                      const GridSampleShape& s) {
  const Sampler<T> sp(s);
  parallel_for(0, s.N * sp.P, grain_for(16), [&](int64_t b, int64_t e) {
    Tap<T> t;
    for (int64_t q = b; q < e; ++q) {
      sp.tap(grid + 2 * q, t);
      for (int64_t k = 0; k < 4; ++k) {
        const bool in = k < sp.K && t.in[k];
        idx[4 * q + k] = in ? t.off[k] : 0;
        mask[4 * q + k] = in ? T(1) : T(0);
      }
      frac[2 * q] = t.tx;
      frac[2 * q + 1] = t.ty;
      dcoord[2 * q] = t.dx;
      dcoord[2 * q + 1] = t.dy;
    }
  });
}

#define AX_INSTANTIATE(T)                                                               \
  template void grid_sample_forward<T>(const T*, const T*, T*, const GridSampleShape&); \
  template void grid_sample_backward<T>(const T*, const T*, const T*, T*, T*,           \
                                        const GridSampleShape&);                        \
  template void grid_sample_taps<T>(const T*, int64_t*, T*, T*, T*, const GridSampleShape&);
AX_INSTANTIATE(float)
AX_INSTANTIATE(double)
#undef AX_INSTANTIATE

}  // namespace ax::cpu
