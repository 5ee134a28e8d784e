// Convolution kernels (see kernels/conv.h): im2col/vol2col over tiles of output rows into
// per-worker scratch, then the packed GEMM (kernels/cpu/gemm); col2im for the input gradient;
// the weight gradient accumulated per fixed batch chunk and reduced in chunk order. Threads
// split the batch; with fewer images than threads the GEMM threads itself instead. The forward
// of kernels larger than 1x1 runs direct kernels instead (conv_rows_impl.h for few input
// channels, conv_ocvec_impl.h otherwise; see use_rows and use_ocvec). The F.pad index-map loops
// live here too.
#include "axonite/kernels/conv.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "axonite/core/cpu_features.h"
#include "axonite/core/parallel.h"
#include "axonite/core/shape.h"
#include "axonite/kernels/gemm.h"

// The portable build of the direct plane kernels.
#define AX_ISA_NS generic
#include "axonite/kernels/cpu/conv_impl.h"
#include "axonite/kernels/cpu/conv_ocvec_impl.h"
#include "axonite/kernels/cpu/conv_rows_impl.h"
#include "axonite/kernels/cpu/conv_wgrad_impl.h"
#include "axonite/kernels/cpu/scratch.h"
#undef AX_ISA_NS

namespace ax::cpu {

#define AX_DECLARE_ISA(ns)                                \
  namespace ns {                                          \
  const ConvPlaneKernels<float>& conv_plane_table_f32();  \
  const ConvPlaneKernels<double>& conv_plane_table_f64(); \
  const ConvRowKernels<float>& conv_row_table_f32();      \
  const ConvRowKernels<double>& conv_row_table_f64();     \
  const ConvOcvecKernels<float>& conv_ocvec_table_f32();  \
  const ConvOcvecKernels<double>& conv_ocvec_table_f64(); \
  const ConvWgradKernels<float>& conv_wgrad_table_f32();  \
  const ConvWgradKernels<double>& conv_wgrad_table_f64(); \
  }
AX_DECLARE_ISA(avx2)
AX_DECLARE_ISA(avx512)
#undef AX_DECLARE_ISA

namespace {

// The table of the ISA this CPU runs (only that ISA's table is ever built or called).
template <class K>
const K& by_isa(const K& (*avx512_table)(), const K& (*avx2_table)(), const K& (*generic_table)()) {
  return cpu_isa() == Isa::Avx512 ? avx512_table()
         : cpu_isa() == Isa::Avx2 ? avx2_table()
                                  : generic_table();
}

}  // namespace

// getter<T>() of one kernel family for both dtypes, chosen once per process.
#define AX_CONV_TABLES(Kernels, getter, table)                                   \
  template <>                                                                    \
  const Kernels<float>& getter<float>() {                                        \
    static const Kernels<float>& t =                                             \
        by_isa(&avx512::table##_f32, &avx2::table##_f32, &generic::table##_f32); \
    return t;                                                                    \
  }                                                                              \
  template <>                                                                    \
  const Kernels<double>& getter<double>() {                                      \
    static const Kernels<double>& t =                                            \
        by_isa(&avx512::table##_f64, &avx2::table##_f64, &generic::table##_f64); \
    return t;                                                                    \
  }
AX_CONV_TABLES(ConvPlaneKernels, conv_plane_kernels, conv_plane_table)
AX_CONV_TABLES(ConvRowKernels, conv_row_kernels, conv_row_table)
AX_CONV_TABLES(ConvWgradKernels, conv_wgrad_kernels, conv_wgrad_table)
AX_CONV_TABLES(ConvOcvecKernels, conv_ocvec_kernels, conv_ocvec_table)
#undef AX_CONV_TABLES

namespace {

// Direct plane kernels instead of im2col + GEMM when every output channel reads one input
// channel and no other output channel shares it (depthwise, multiplier 1): the GEMM would be a
// vector-matrix product and im2col would cost as much as the arithmetic. With several outputs
// per input channel (C_in = 1, LeNet's first layer) im2col + GEMM measured 2x faster than these
// row kernels, so they stay on the GEMM path.
constexpr int64_t kDirectMaxOutPerGroup = 1;

bool use_direct(const ConvGeom& g) {
  return g.groups > 0 && g.c / g.groups == 1 && g.oc / g.groups <= kDirectMaxOutPerGroup &&
         !g.pointwise();
}

// Row-blocked direct kernels (conv_rows_impl.h) when each group has few input channels and
// several output channels, stride 1 along W: there im2col copies the input K times to feed a
// GEMM only Cg * K deep. Above 4 input channels per group the GEMM path measured faster.
constexpr int64_t kRowsMaxInPerGroup = 4;

bool use_rows(const ConvGeom& g) {
  return g.groups > 0 && g.c / g.groups <= kRowsMaxInPerGroup && g.oc / g.groups >= 2 &&
         g.stride[2] == 1 && g.k[0] * g.k[1] <= kConvRowsMaxKRows && !g.pointwise();
}

// The flattened row forward also when a group has few output channels (at most one register
// block) but more inputs: an autoencoder's last layer, or the input gradient of a layer with few
// input channels run as a flipped forward (LeNet's 6 -> 16 layer becomes 16 -> 6). The
// output-channel-vectorized kernel would fill 6 of 16 lanes there; the flattened rows fill ~75%.
constexpr int64_t kRowsMaxNarrowOut = 8;

bool use_rows_narrow(const ConvGeom& g) {
  return g.groups > 0 && g.oc / g.groups <= kRowsMaxNarrowOut && g.in[0] == 1 && g.out[0] == 1 &&
         g.k[0] == 1 && g.stride[1] == 1 && g.stride[2] == 1 && !g.pointwise() &&
         (g.c / g.groups) * g.k[1] * g.k[2] <= kConvRowsMaxFlatTaps;
}

// Output-channel-vectorized direct kernels (conv_ocvec_impl.h) for the forward pass of every
// other kernel larger than 1x1 (checked after use_direct and use_rows): measured at 1 thread
// (AVX-512) against im2col + GEMM, 3.6x faster on LeNet's 6 -> 16 (14x14, k5), 1.3-2.8x on
// ResNet-18's 3x3 layers (4x4 to 32x32 planes, stride 1 and 2), about 2x on grouped 3x3 layers,
// 1.5x on a 7x7 stride-2 stem; 1x1 kernels (strided ones included) stay on the GEMM, 1.9x
// faster there.
bool use_ocvec(const ConvGeom& g) {
  return g.groups > 0 && g.k_size() > 1 && g.k[0] * g.k[1] <= kConvRowsMaxKRows;
}

// Grain (planes per chunk) for loops over planes of `work` multiply-adds each.
int64_t plane_grain(int64_t work) {
  const int64_t target = int64_t{1} << 15;
  return work >= target ? 1 : target / (work > 0 ? work : 1);
}

// A column tile holds at most this many elements (about half of a 1 MiB L2 for float32), so
// im2col writes and the GEMM's B packing read it from cache.
constexpr int64_t kTileElems = int64_t{1} << 17;
// The weight gradient sums images in this many fixed chunks (fewer when the batch is smaller):
// the summation order depends on the batch size only, never on the thread count.
constexpr int64_t kWeightChunks = 8;
// Weights of at least this many elements are summed in one chunk (see conv_backward_weight),
// with GEMMs at least kWeightGemmDepth columns deep.
constexpr int64_t kBigWeight = int64_t{1} << 16;
constexpr int64_t kWeightGemmDepth = 512;
// Below this many multiply-adds per image, one thread does the whole batch.
constexpr int64_t kImageGrainWork = int64_t{1} << 15;

// Grow-only scratch of the calling thread, 64-byte aligned, reserved before any parallel
// region (so nothing inside one can throw) and reused across calls.
thread_local ScratchBuffer tl_scratch;
// The flipped, transposed weights of an input gradient run as a forward convolution (kept apart
// from tl_scratch, which that forward uses).
thread_local ScratchBuffer tl_flipped;

// Note [Interrupts] (core/parallel.h) in the convolution loops: at one thread, or with as many
// parts as threads, parallel_for hands each thread all of its images in one call, so the loops
// over images (or work items, or planes) below poll the flag once per iteration, never inside
// the arithmetic. A part that sees it skips its remaining iterations; parallel_for then throws
// once outside any parallel region, so a half-computed result is never returned.

// Splits [0, n) into nw contiguous parts and calls f(w, i0, i1) for each part w; part w owns
// scratch slot w whichever thread runs it.
template <class F>
void for_parts(int64_t n, int64_t nw, const F& f) {
  parallel_for(0, nw, 1, [&](int64_t w0, int64_t w1) {
    for (int64_t w = w0; w < w1; ++w) f(w, n * w / nw, n * (w + 1) / nw);
  });
}

int64_t div_up(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
int64_t round_up(int64_t a, int64_t b) { return div_up(a, b) * b; }

// Output positions o in [lo, hi) read input index o * s + off inside [0, in).
void valid_range(int64_t in, int64_t out, int64_t s, int64_t off, int64_t* lo, int64_t* hi) {
  int64_t l = div_up(-off, s), h = div_up(in - off, s);
  l = l < 0 ? 0 : (l > out ? out : l);
  h = h > out ? out : (h < l ? l : h);
  *lo = l;
  *hi = h;
}

template <class T>
void fill(T* p, int64_t n, T v) {
  for (int64_t i = 0; i < n; ++i) p[i] = v;
}

// Walks the im2col matrix of `channels` channels of one image, restricted to output rows
// [r0, r1) (a row = one (od, oh) pair, OW positions): for every (c, kd, kh, kw) row of the
// matrix and every output row it calls
//   seg(dst, xrow, lo, hi, off):   positions [lo, hi) read xrow[ow * sw + off],
// where dst points at that output row of the matrix row (ld = (r1 - r0) * OW) and xrow is null
// when the whole output row falls in the padding.
template <class T, class X, class Seg>
void walk_cols(const ConvGeom& g, X* x, int64_t channels, int64_t r0, int64_t r1, T* col,
               int64_t ld, const Seg& seg) {
  const int64_t OH = g.out[1], OW = g.out[2], IH = g.in[1], IW = g.in[2];
  const int64_t in_s = g.in_size();
  T* dst = col;
  for (int64_t c = 0; c < channels; ++c) {
    X* xc = x + c * in_s;
    for (int64_t kd = 0; kd < g.k[0]; ++kd) {
      const int64_t offd = kd * g.dil[0] - g.pad[0];
      for (int64_t kh = 0; kh < g.k[1]; ++kh) {
        const int64_t offh = kh * g.dil[1] - g.pad[1];
        for (int64_t kw = 0; kw < g.k[2]; ++kw, dst += ld) {
          const int64_t offw = kw * g.dil[2] - g.pad[2];
          int64_t wlo, whi;
          valid_range(IW, OW, g.stride[2], offw, &wlo, &whi);
          for (int64_t r = r0; r < r1; ++r) {
            const int64_t od = r / OH, oh = r % OH;
            const int64_t id = od * g.stride[0] + offd, ih = oh * g.stride[1] + offh;
            T* d = dst + (r - r0) * OW;
            if (id < 0 || id >= g.in[0] || ih < 0 || ih >= IH) {
              seg(d, static_cast<X*>(nullptr), wlo, whi, offw);
            } else {
              seg(d, xc + (id * IH + ih) * IW, wlo, whi, offw);
            }
          }
        }
      }
    }
  }
}

// col: (channels * K, (r1 - r0) * OW) <- the patches of x (channels, *in); the matrix rows
// are ld apart (default (r1 - r0) * OW; wider when several images share one matrix).
template <class T>
void im2col_rows(const ConvGeom& g, const T* x, int64_t channels, int64_t r0, int64_t r1, T* col,
                 int64_t ld = 0) {
  const int64_t OW = g.out[2], sw = g.stride[2];
  walk_cols(g, x, channels, r0, r1, col, ld > 0 ? ld : (r1 - r0) * OW,
            [OW, sw](T* d, const T* xr, int64_t lo, int64_t hi, int64_t off) {
              if (xr == nullptr) {
                fill(d, OW, T(0));
                return;
              }
              fill(d, lo, T(0));
              if (sw == 1) {
                const T* s = xr + off;
                for (int64_t ow = lo; ow < hi; ++ow) d[ow] = s[ow];
              } else {
                for (int64_t ow = lo; ow < hi; ++ow) d[ow] = xr[ow * sw + off];
              }
              fill(d + hi, OW - hi, T(0));
            });
}

// x (channels, *in) += the columns of col scattered back (the adjoint of im2col_rows).
template <class T>
void col2im_rows(const ConvGeom& g, const T* col, int64_t channels, int64_t r0, int64_t r1, T* x,
                 int64_t ld = 0) {
  const int64_t sw = g.stride[2];
  walk_cols(g, x, channels, r0, r1, const_cast<T*>(col), ld > 0 ? ld : (r1 - r0) * g.out[2],
            [sw](const T* d, T* xr, int64_t lo, int64_t hi, int64_t off) {
              if (xr == nullptr) return;
              if (sw == 1) {
                T* s = xr + off;
                for (int64_t ow = lo; ow < hi; ++ow) s[ow] += d[ow];
              } else {
                for (int64_t ow = lo; ow < hi; ++ow) xr[ow * sw + off] += d[ow];
              }
            });
}

// Output rows per column tile for a matrix with `krows` rows.
int64_t tile_rows(const ConvGeom& g, int64_t krows) {
  const int64_t rows = g.out[0] * g.out[1];
  int64_t t = kTileElems / (krows * g.out[2] > 0 ? krows * g.out[2] : 1);
  if (t < 1) t = 1;
  return t < rows ? t : rows;
}

// Parts of the batch loop: one per thread when each image carries enough work (with fewer
// images than threads, the GEMM threads itself), else a single one.
int64_t image_parts(const ConvGeom& g) {
  const int64_t work = g.oc * g.out_size() * (g.c / g.groups) * g.k_size();
  if (g.n <= 1 || work * g.n < 2 * kImageGrainWork) return 1;
  const int64_t nt = get_num_threads();
  return g.n < nt ? g.n : nt;
}

// Images whose column matrices share one GEMM: with small output planes (LeNet's 10x10, a
// ResNet's 4x4) a GEMM per image is too narrow to run at speed, so as many whole images as fit
// in one column tile are im2col'ed side by side (outputs and output gradients go through a
// (OCg, images * out_size) staging matrix). 1 when a single image fills a tile.
int64_t images_per_tile(const ConvGeom& g, int64_t krows) {
  const int64_t per = krows * g.out_size();
  if (g.n <= 1 || per <= 0 || tile_rows(g, krows) < g.out[0] * g.out[1]) return 1;
  const int64_t ipt = kTileElems / per;
  return ipt < 1 ? 1 : (ipt > g.n ? g.n : ipt);
}

// Staging of output(-gradient) planes for image-batched GEMMs: (OCg, ni * S) <-> the planes of
// group gi of images n0 .. n0 + ni of a (n, oc, S) tensor.
template <class T>
void gather_planes(const ConvGeom& g, const T* y, int64_t n0, int64_t ni, int64_t gi, T* st) {
  const int64_t OCg = g.oc / g.groups, S = g.out_size(), ld = ni * S;
  for (int64_t i = 0; i < ni; ++i)
    for (int64_t o = 0; o < OCg; ++o)
      std::memcpy(st + o * ld + i * S, y + ((n0 + i) * g.oc + gi * OCg + o) * S,
                  sizeof(T) * static_cast<size_t>(S));
}
template <class T>
void scatter_planes(const ConvGeom& g, const T* st, const T* b, int64_t n0, int64_t ni, int64_t gi,
                    T* y) {
  const int64_t OCg = g.oc / g.groups, S = g.out_size(), ld = ni * S;
  for (int64_t i = 0; i < ni; ++i) {
    for (int64_t o = 0; o < OCg; ++o) {
      const T* src = st + o * ld + i * S;
      T* dst = y + ((n0 + i) * g.oc + gi * OCg + o) * S;
      const T bias = b ? b[gi * OCg + o] : T(0);
      for (int64_t j = 0; j < S; ++j) dst[j] = src[j] + bias;
    }
  }
}

// One group's input for the row kernels: each (c, d, h) row widened to `pw` elements with the
// W padding and a zero tail, so vector loads past the row end read zeros.
struct RowsLayout {
  int64_t pw = 0;      // padded row width
  int64_t group = 0;   // elements of one group's padded planes
  int64_t wblock = 0;  // packed weights of one group
};

template <class T>
RowsLayout rows_layout(const ConvGeom& g, const ConvRowKernels<T>& k) {
  const int64_t OW = g.out[2], vec = (OW > k.lanes ? 2 : 1) * k.lanes;
  int64_t pw = round_up(OW, vec) + (g.k[2] - 1) * g.dil[2];
  if (pw < g.pad[2] + g.in[2]) pw = g.pad[2] + g.in[2];
  RowsLayout lay;
  lay.pw = round_up(pw, k.lanes);
  lay.group = round_up((g.c / g.groups) * g.in[0] * g.in[1] * lay.pw, 16);
  lay.wblock = div_up(g.oc / g.groups, k.block) * (g.c / g.groups) * g.k_size() * k.block;
  return lay;
}

// wp[group][block][c, tap][q] = w[group * OCg + block * B + q][c, tap], zero past OCg.
template <class T>
void rows_pack_weights(const ConvGeom& g, const T* w, const RowsLayout& lay, int64_t B, T* wp) {
  const int64_t OCg = g.oc / g.groups, CgK = (g.c / g.groups) * g.k_size();
  fill(wp, g.groups * lay.wblock, T(0));
  for (int64_t o = 0; o < g.oc; ++o) {
    const int64_t gi = o / OCg, oq = o % OCg;
    T* dst = wp + gi * lay.wblock + (oq / B) * CgK * B + oq % B;
    for (int64_t t = 0; t < CgK; ++t) dst[t * B] = w[o * CgK + t];
  }
}

// Copies one group's input planes (Cg, *in) into the padded rows of xp.
template <class T>
void rows_pad_input(const ConvGeom& g, const T* x, const RowsLayout& lay, T* xp) {
  const int64_t rows = (g.c / g.groups) * g.in[0] * g.in[1], IW = g.in[2], pl = g.pad[2];
  for (int64_t r = 0; r < rows; ++r) {
    T* d = xp + r * lay.pw;
    fill(d, pl, T(0));
    std::memcpy(d + pl, x + r * IW, sizeof(T) * static_cast<size_t>(IW));
    fill(d + pl + IW, lay.pw - pl - IW, T(0));
  }
}

// Parts of a loop over `items` (image, group) pairs: one per thread when there is enough work.
int64_t rows_parts(const ConvGeom& g, int64_t items) {
  const int64_t work = g.oc * g.out_size() * (g.c / g.groups) * g.k_size() * g.n;
  if (items <= 1 || work < 2 * kImageGrainWork) return 1;
  const int64_t nt = get_num_threads();
  return items < nt ? items : nt;
}

// The flattened forward's input (rows_forward_flat in conv_rows_impl.h): each channel padded in
// H and W to (hp, pwf), planes back to back, then a zero tail for the last vectors' overrun.
// For 2-d and 1-d convolutions with stride 1 along H and W.
struct RowsFlat {
  bool ok = false;
  int64_t pwf = 0, hp = 0, size = 0;
};

RowsFlat rows_flat_layout(const ConvGeom& g, int64_t lanes) {
  RowsFlat f;
  if (g.in[0] != 1 || g.out[0] != 1 || g.k[0] != 1 || g.stride[1] != 1 || g.stride[2] != 1 ||
      (g.c / g.groups) * g.k[1] * g.k[2] > kConvRowsMaxFlatTaps)
    return f;
  const int64_t need_w = g.out[2] + (g.k[2] - 1) * g.dil[2],
                need_h = g.out[1] + (g.k[1] - 1) * g.dil[1];
  f.pwf = need_w > g.pad[2] + g.in[2] ? need_w : g.pad[2] + g.in[2];
  f.hp = need_h > g.pad[1] + g.in[1] ? need_h : g.pad[1] + g.in[1];
  f.size = round_up((g.c / g.groups) * f.hp * f.pwf + 2 * lanes + f.pwf, 16);
  f.ok = true;
  return f;
}

template <class T>
void rows_flat_pad_input(const ConvGeom& g, const T* x, const RowsFlat& f, T* xf) {
  const int64_t IH = g.in[1], IW = g.in[2];
  fill(xf, f.size, T(0));
  for (int64_t c = 0; c < g.c / g.groups; ++c)
    for (int64_t ih = 0; ih < IH; ++ih)
      std::memcpy(xf + (c * f.hp + ih + g.pad[1]) * f.pwf + g.pad[2], x + (c * IH + ih) * IW,
                  sizeof(T) * static_cast<size_t>(IW));
}

template <class T>
void rows_forward(const ConvGeom& g, const T* x, const T* w, const T* b, T* y) {
  const auto& k = conv_row_kernels<T>();
  const RowsLayout lay = rows_layout(g, k);
  const RowsFlat flat = rows_flat_layout(g, k.lanes);
  const int64_t G = g.groups, Cg = g.c / G, OCg = g.oc / G, items = g.n * G;
  const int64_t in_s = g.in_size(), out_s = g.out_size(), wsize = round_up(G * lay.wblock, 16);
  const int64_t parts = rows_parts(g, items), xsize = flat.ok ? flat.size : lay.group;
  T* s = static_cast<T*>(tl_scratch.get(sizeof(T) * static_cast<size_t>(wsize + parts * xsize)));
  rows_pack_weights(g, w, lay, k.block, s);
  for_parts(items, parts, [&](int64_t part, int64_t i0, int64_t i1) {
    T* xp = s + wsize + part * xsize;
    for (int64_t i = i0; i < i1 && !interrupt_requested(); ++i) {
      const int64_t n = i / G, gi = i % G;
      const T* xg = x + (n * g.c + gi * Cg) * in_s;
      const T* bg = b ? b + gi * OCg : nullptr;
      T* yg = y + (n * g.oc + gi * OCg) * out_s;
      if (flat.ok) {
        rows_flat_pad_input(g, xg, flat, xp);
        k.forward_flat(g, xp, flat.pwf, flat.hp, s + gi * lay.wblock, bg, OCg, yg);
      } else {
        rows_pad_input(g, xg, lay, xp);
        k.forward(g, xp, lay.pw, s + gi * lay.wblock, bg, OCg, yg);
      }
    }
  });
}

template <class T>
void rows_backward_input(const ConvGeom& g, const T* gy, const T* w, const T* b, T* gx) {
  const auto& k = conv_row_kernels<T>();
  const RowsLayout lay = rows_layout(g, k);
  const int64_t G = g.groups, Cg = g.c / G, OCg = g.oc / G, items = g.n * G;
  const int64_t in_s = g.in_size(), out_s = g.out_size(), wsize = round_up(G * lay.wblock, 16);
  const int64_t parts = rows_parts(g, items), IW = g.in[2], pl = g.pad[2];
  const int64_t rows = g.in[0] * g.in[1];
  T* s =
      static_cast<T*>(tl_scratch.get(sizeof(T) * static_cast<size_t>(wsize + parts * lay.group)));
  rows_pack_weights(g, w, lay, k.block, s);
  for_parts(items, parts, [&](int64_t part, int64_t i0, int64_t i1) {
    T* gxp = s + wsize + part * lay.group;
    for (int64_t i = i0; i < i1 && !interrupt_requested(); ++i) {
      const int64_t n = i / G, gi = i % G;
      fill(gxp, lay.group, T(0));
      k.backward_input(g, gy + (n * g.oc + gi * OCg) * out_s, s + gi * lay.wblock, OCg, gxp,
                       lay.pw);
      for (int64_t c = 0; c < Cg; ++c) {
        const int64_t ch = gi * Cg + c;
        const T init = b ? b[ch] : T(0);
        T* dst = gx + (n * g.c + ch) * in_s;
        for (int64_t r = 0; r < rows; ++r) {
          const T* src = gxp + (c * rows + r) * lay.pw + pl;
          for (int64_t iw = 0; iw < IW; ++iw) dst[r * IW + iw] = init + src[iw];
        }
      }
    }
  });
}

// Images are summed in kWeightChunks fixed chunks (lane-wise partial sums each), then chunks
// in order and lanes in order: the result depends on the batch size only.
template <class T>
void rows_backward_weight(const ConvGeom& g, const T* x, const T* gy, T* gw) {
  const auto& k = conv_row_kernels<T>();
  const RowsLayout lay = rows_layout(g, k);
  const int64_t G = g.groups, Cg = g.c / G, OCg = g.oc / G, CgK = Cg * g.k_size();
  const int64_t in_s = g.in_size(), out_s = g.out_size(), L = k.lanes;
  const int64_t acc_size = round_up(g.oc * CgK * L, 16);
  const int64_t chunks = g.n < kWeightChunks ? g.n : kWeightChunks;
  T* s = static_cast<T*>(
      tl_scratch.get(sizeof(T) * static_cast<size_t>(chunks * (acc_size + lay.group))));
  for_parts(g.n, chunks, [&](int64_t ch, int64_t n0, int64_t n1) {
    T* acc = s + ch * acc_size;
    T* xp = s + chunks * acc_size + ch * lay.group;
    fill(acc, acc_size, T(0));
    for (int64_t n = n0; n < n1 && !interrupt_requested(); ++n) {
      for (int64_t gi = 0; gi < G; ++gi) {
        rows_pad_input(g, x + (n * g.c + gi * Cg) * in_s, lay, xp);
        k.backward_weight(g, xp, lay.pw, gy + (n * g.oc + gi * OCg) * out_s, OCg,
                          acc + gi * OCg * CgK * L);
      }
    }
  });
  parallel_for(0, g.oc * CgK, int64_t{1} << 12, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      T sum = T(0);
      for (int64_t ch = 0; ch < chunks; ++ch) {
        const T* a = s + ch * acc_size + i * L;
        T part = T(0);
        for (int64_t l = 0; l < L; ++l) part += a[l];
        sum += part;
      }
      gw[i] = sum;
    }
  });
}

// Pixel blocks that should share each pass over a chunk's weights (loaded into L1 once per
// pass): with fewer per image (ResNet's 4x4 planes have 4), several images go through one call.
constexpr int64_t kOcvecMinBlocks = 32;

// Forward with the output-channel-vector kernels: items are (group, chunk of max_vecs * L
// output channels, batch of images[, tile of output rows]), images innermost so that a chunk's
// weights (over 1 MiB for 512 channels) stay in cache across images; re-padding the input for each
// item costs about 1 / (K * max_vecs * L) of the arithmetic.
template <class T>
void ocvec_conv_forward(const ConvGeom& g, const T* x, const T* w, const T* b, T* y) {
  if (g.n == 0 || g.oc == 0) return;
  const auto& k = conv_ocvec_kernels<T>();
  const int64_t G = g.groups, Cg = g.c / G, OCg = g.oc / G, K = g.k_size(), L = k.lanes;
  const int64_t nvec = div_up(OCg, L), chunk = k.max_vecs * L, nchunks = div_up(OCg, chunk);
  const int64_t in_s = g.in_size(), out_s = g.out_size(), CgK = Cg * K;
  const int64_t blocks = g.out[0] * g.out[1] * div_up(g.out[2], k.max_pix);
  int64_t ipb = div_up(kOcvecMinBlocks, blocks > 0 ? blocks : 1);
  if (ipb > g.n) ipb = g.n;
  // With fewer (group, chunk, batch) items than threads (batch-1 inference), each also splits
  // into tiles of output rows; any split gives the same sums.
  const int64_t rows = g.out[0] * g.out[1], nbatch = div_up(g.n, ipb), nt = get_num_threads();
  int64_t tiles = G * nchunks * nbatch >= nt ? 1 : div_up(nt, G * nchunks * nbatch);
  if (tiles > rows) tiles = rows;
  const int64_t items = G * nchunks * nbatch * tiles;
  RowsLayout lay;
  // A full pixel block past the last output reads up to index (OW + P - 2) * sw + (KW - 1) * dw.
  lay.pw = (g.out[2] + k.max_pix - 2) * g.stride[2] + (g.k[2] - 1) * g.dil[2] + 1;
  if (lay.pw < g.pad[2] + g.in[2]) lay.pw = g.pad[2] + g.in[2];
  lay.group = round_up(Cg * g.in[0] * g.in[1] * lay.pw, 16);
  // Blocked partial sums of one chunk and image: every pixel block of every output row, each
  // row padded to a whole number of blocks (at most OW + max_pix - 1 pixels).
  const int64_t psize = round_up(chunk * g.out[0] * g.out[1] * (g.out[2] + k.max_pix - 1), 16);
  const int64_t wsize = round_up(G * nvec * CgK * L, 16), bsize = round_up(G * nvec * L, 16);
  const int64_t parts = rows_parts(g, items), per_part = ipb * (lay.group + psize);
  T* s = static_cast<T*>(
      tl_scratch.get(sizeof(T) * static_cast<size_t>(wsize + bsize + parts * per_part)));
  T* wp = s;
  T* bp = s + wsize;
  // wp[gi][v][c, tap][l] = w[gi * OCg + v * L + l][c, tap]; bp[gi][v][l] likewise; zero past OCg.
  // Written in order, read from L rows at once (scattered writes took 4 ms for 512 x 512 x 3 x 3).
  const int64_t pack_grain = CgK * L >= (int64_t{1} << 15) ? 1 : (int64_t{1} << 15) / (CgK * L);
  parallel_for(0, G * nvec, pack_grain, [&](int64_t v0, int64_t v1) {
    for (int64_t v = v0; v < v1; ++v) {
      const int64_t gi = v / nvec, o0 = (v % nvec) * L, nl = OCg - o0 < L ? OCg - o0 : L;
      const T* src = w + (gi * OCg + o0) * CgK;
      T* dst = wp + v * CgK * L;
      for (int64_t t = 0; t < CgK; ++t, dst += L) {
        for (int64_t l = 0; l < nl; ++l) dst[l] = src[l * CgK + t];
        for (int64_t l = nl; l < L; ++l) dst[l] = T(0);
      }
      for (int64_t l = 0; l < L; ++l) bp[v * L + l] = b && l < nl ? b[gi * OCg + o0 + l] : T(0);
    }
  });
  for_parts(items, parts, [&](int64_t part, int64_t i0, int64_t i1) {
    T* xp = s + wsize + bsize + part * per_part;
    int64_t cur = -1;
    for (int64_t i = i0; i < i1 && !interrupt_requested(); ++i) {
      const int64_t tile = i % tiles, nb = i / tiles % nbatch, gc = i / tiles / nbatch;
      const int64_t gi = gc / nchunks;
      const int64_t n0 = nb * ipb, ni = g.n - n0 < ipb ? g.n - n0 : ipb;
      const int64_t v0 = (gc % nchunks) * k.max_vecs, o0 = v0 * L;
      if (nb * G + gi != cur) {
        for (int64_t j = 0; j < ni; ++j)
          rows_pad_input(g, x + ((n0 + j) * g.c + gi * Cg) * in_s, lay, xp + j * lay.group);
        cur = nb * G + gi;
      }
      OcvecCall<T> a;
      a.xp = xp;
      a.pw = lay.pw;
      a.x_stride = lay.group;
      a.wp = wp + (gi * nvec + v0) * CgK * L;
      a.bp = bp + (gi * nvec + v0) * L;
      a.noc = OCg - o0 < chunk ? OCg - o0 : chunk;
      a.part = xp + ipb * lay.group;
      a.part_stride = psize;
      a.y = y + (n0 * g.oc + gi * OCg + o0) * out_s;
      a.y_stride = g.oc * out_s;
      a.images = ni;
      a.row0 = rows * tile / tiles;
      a.row1 = rows * (tile + 1) / tiles;
      k.forward(g, a);
    }
  });
}

}  // namespace

template <class T>
void conv_forward(const ConvGeom& g, const T* x, const T* w, const T* b, T* y) {
  const int64_t G = g.groups, Cg = g.c / G, OCg = g.oc / G, CgK = Cg * g.k_size();
  const int64_t in_s = g.in_size(), out_s = g.out_size(), OW = g.out[2];
  if (use_direct(g)) {  // plane (n, o) reads input plane (n, o / OCg)
    const auto& k = conv_plane_kernels<T>();
    const int64_t K = g.k_size();
    parallel_for(0, g.n * g.oc, plane_grain(out_s * K), [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1 && !interrupt_requested(); ++i) {
        const int64_t n = i / g.oc, o = i % g.oc;
        k.forward(g, x + (n * g.c + o / OCg) * in_s, w + o * K, b ? b[o] : T(0), y + i * out_s);
      }
    });
    return;
  }
  if (use_rows(g) || use_rows_narrow(g)) return rows_forward(g, x, w, b, y);
  if (use_ocvec(g)) return ocvec_conv_forward(g, x, w, b, y);
  if (const int64_t ipt = images_per_tile(g, CgK); ipt > 1) {
    const int64_t parts = image_parts(g), col_size = round_up(CgK * ipt * out_s, 16);
    const int64_t st_size = round_up(OCg * ipt * out_s, 16);
    T* scratch = static_cast<T*>(
        tl_scratch.get(sizeof(T) * static_cast<size_t>((col_size + st_size) * parts)));
    for_parts(g.n, parts, [&](int64_t part, int64_t n0, int64_t n1) {
      T* col = scratch + part * (col_size + st_size);
      T* st = col + col_size;
      for (int64_t nb = n0; nb < n1 && !interrupt_requested(); nb += ipt) {
        const int64_t ni = n1 - nb < ipt ? n1 - nb : ipt, cols = ni * out_s;
        for (int64_t gi = 0; gi < G; ++gi) {
          for (int64_t i = 0; i < ni; ++i)
            im2col_rows(g, x + ((nb + i) * g.c + gi * Cg) * in_s, Cg, 0, g.out[0] * g.out[1],
                        col + i * out_s, cols);
          gemm(OCg, cols, CgK, T(1), w + gi * OCg * CgK, CgK, 1, col, cols, 1, T(0), st, cols);
          scatter_planes(g, st, b, nb, ni, gi, y);
        }
      }
    });
    return;
  }
  const bool pw = g.pointwise();
  const int64_t tr = tile_rows(g, CgK), rows = g.out[0] * g.out[1];
  const int64_t col_size = round_up(CgK * tr * OW, 16);
  const int64_t parts = image_parts(g);
  T* scratch =
      pw ? nullptr
         : static_cast<T*>(tl_scratch.get(sizeof(T) * static_cast<size_t>(col_size * parts)));
  for_parts(g.n, parts, [&](int64_t part, int64_t n0, int64_t n1) {
    T* col = pw ? nullptr : scratch + part * col_size;
    for (int64_t n = n0; n < n1 && !interrupt_requested(); ++n) {
      for (int64_t gi = 0; gi < G; ++gi) {
        const T* xg = x + (n * g.c + gi * Cg) * in_s;
        const T* wg = w + gi * OCg * CgK;
        T* yg = y + (n * g.oc + gi * OCg) * out_s;
        T beta = T(0);
        if (b != nullptr) {
          for (int64_t o = 0; o < OCg; ++o) fill(yg + o * out_s, out_s, b[gi * OCg + o]);
          beta = T(1);
        }
        if (pw) {
          gemm(OCg, out_s, CgK, T(1), wg, CgK, 1, xg, in_s, 1, beta, yg, out_s);
          continue;
        }
        for (int64_t r0 = 0; r0 < rows; r0 += tr) {
          const int64_t r1 = r0 + tr < rows ? r0 + tr : rows, cols = (r1 - r0) * OW;
          im2col_rows(g, xg, Cg, r0, r1, col);
          gemm(OCg, cols, CgK, T(1), wg, CgK, 1, col, cols, 1, beta, yg + r0 * OW, out_s);
        }
      }
    }
  });
}

namespace {

// With stride 1 the input gradient is itself a convolution: gy padded by d * (k - 1) - p and
// correlated with the weights flipped in space and transposed per group (in <-> out channels),
// so it runs on the forward kernels (register-blocked, no col2im). The geometry of that forward,
// or ok = false when this rewrite does not apply: strides other than 1, 1x1 kernels (GEMM
// already), padding beyond the dilated kernel, or an input size the rewrite cannot reproduce
// (a transposed convolution's output_padding).
struct Flipped {
  bool ok = false;
  ConvGeom g;
};

Flipped input_grad_as_forward(const ConvGeom& g) {
  Flipped f;
  if (g.pointwise() || g.groups <= 0) return f;
  f.g = g;
  f.g.c = g.oc;
  f.g.oc = g.c;
  for (int d = 0; d < 3; ++d) {
    const int64_t reach = g.dil[d] * (g.k[d] - 1);
    if (g.stride[d] != 1 || g.pad[d] > reach) return f;
    f.g.in[d] = g.out[d];
    f.g.out[d] = g.in[d];
    f.g.pad[d] = reach - g.pad[d];
    if (g.out[d] + 2 * f.g.pad[d] - reach != g.in[d]) return f;
  }
  f.ok = true;
  return f;
}

// w' (c, oc / groups, *k) of the rewritten forward: w'[g * Cg + c][o][K - 1 - t] =
// w[g * OCg + o][c][t].
template <class T>
void flip_weights(const ConvGeom& g, const T* w, T* wf) {
  const int64_t G = g.groups, Cg = g.c / G, OCg = g.oc / G, K = g.k_size();
  for (int64_t gi = 0; gi < G; ++gi)
    for (int64_t o = 0; o < OCg; ++o)
      for (int64_t c = 0; c < Cg; ++c) {
        const T* src = w + ((gi * OCg + o) * Cg + c) * K;
        T* dst = wf + ((gi * Cg + c) * OCg + o) * K;
        for (int64_t t = 0; t < K; ++t) dst[K - 1 - t] = src[t];
      }
}

}  // namespace

template <class T>
void conv_backward_input(const ConvGeom& g, const T* gy, const T* w, const T* b, T* gx) {
  const int64_t G = g.groups, Cg = g.c / G, OCg = g.oc / G, CgK = Cg * g.k_size();
  const int64_t in_s = g.in_size(), out_s = g.out_size(), OW = g.out[2];
  if (use_direct(g)) {  // input plane (n, c) collects output planes (n, c * OCg ..)
    const auto& k = conv_plane_kernels<T>();
    const int64_t K = g.k_size();
    parallel_for(0, g.n * g.c, plane_grain(out_s * K * OCg), [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1 && !interrupt_requested(); ++i) {
        const int64_t n = i / g.c, c = i % g.c;
        T* gxp = gx + i * in_s;
        fill(gxp, in_s, b ? b[c] : T(0));
        for (int64_t o = c * OCg; o < (c + 1) * OCg; ++o)
          k.backward_input(g, gy + (n * g.oc + o) * out_s, w + o * K, gxp);
      }
    });
    return;
  }
  if (use_rows(g)) return rows_backward_input(g, gy, w, b, gx);
  if (const Flipped f = input_grad_as_forward(g); f.ok) {
    T* wf = static_cast<T*>(tl_flipped.get(sizeof(T) * static_cast<size_t>(g.oc * CgK)));
    flip_weights(g, w, wf);
    return conv_forward(f.g, gy, wf, b, gx);
  }
  if (const int64_t ipt = images_per_tile(g, CgK); ipt > 1) {
    const int64_t parts = image_parts(g), col_size = round_up(CgK * ipt * out_s, 16);
    const int64_t st_size = round_up(OCg * ipt * out_s, 16), rows = g.out[0] * g.out[1];
    T* scratch = static_cast<T*>(
        tl_scratch.get(sizeof(T) * static_cast<size_t>((col_size + st_size) * parts)));
    for_parts(g.n, parts, [&](int64_t part, int64_t n0, int64_t n1) {
      T* col = scratch + part * (col_size + st_size);
      T* st = col + col_size;
      for (int64_t n = n0; n < n1; ++n)
        for (int64_t c = 0; c < g.c; ++c) fill(gx + (n * g.c + c) * in_s, in_s, b ? b[c] : T(0));
      for (int64_t nb = n0; nb < n1 && !interrupt_requested(); nb += ipt) {
        const int64_t ni = n1 - nb < ipt ? n1 - nb : ipt, cols = ni * out_s;
        for (int64_t gi = 0; gi < G; ++gi) {
          gather_planes(g, gy, nb, ni, gi, st);
          // col (CgK, cols) = w_g^T (CgK, OCg) @ st (OCg, cols)
          gemm(CgK, cols, OCg, T(1), w + gi * OCg * CgK, 1, CgK, st, cols, 1, T(0), col, cols);
          for (int64_t i = 0; i < ni; ++i)
            col2im_rows(g, col + i * out_s, Cg, 0, rows, gx + ((nb + i) * g.c + gi * Cg) * in_s,
                        cols);
        }
      }
    });
    return;
  }
  const bool pw = g.pointwise();
  const int64_t tr = tile_rows(g, CgK), rows = g.out[0] * g.out[1];
  const int64_t col_size = round_up(CgK * tr * OW, 16);
  const int64_t parts = image_parts(g);
  T* scratch =
      pw ? nullptr
         : static_cast<T*>(tl_scratch.get(sizeof(T) * static_cast<size_t>(col_size * parts)));
  for_parts(g.n, parts, [&](int64_t part, int64_t n0, int64_t n1) {
    T* col = pw ? nullptr : scratch + part * col_size;
    for (int64_t n = n0; n < n1 && !interrupt_requested(); ++n) {
      T* gxn = gx + n * g.c * in_s;
      for (int64_t c = 0; c < g.c; ++c) fill(gxn + c * in_s, in_s, b ? b[c] : T(0));
      for (int64_t gi = 0; gi < G; ++gi) {
        const T* gyg = gy + (n * g.oc + gi * OCg) * out_s;
        const T* wg = w + gi * OCg * CgK;
        T* gxg = gxn + gi * Cg * in_s;
        if (pw) {  // gx_g (Cg, S) += w_g^T (Cg, OCg) @ gy_g (OCg, S)
          gemm(Cg, out_s, OCg, T(1), wg, 1, CgK, gyg, out_s, 1, T(1), gxg, in_s);
          continue;
        }
        for (int64_t r0 = 0; r0 < rows; r0 += tr) {
          const int64_t r1 = r0 + tr < rows ? r0 + tr : rows, cols = (r1 - r0) * OW;
          gemm(CgK, cols, OCg, T(1), wg, 1, CgK, gyg + r0 * OW, out_s, 1, T(0), col, cols);
          col2im_rows(g, col, Cg, r0, r1, gxg);
        }
      }
    }
  });
}

namespace {

// Direct weight gradient (conv_wgrad_impl.h) for short patches, few output channels and small
// planes, where im2col dominates: measured at 1 thread, LeNet's 6 -> 16 14x14 k5 weight gradient
// 1.35 -> 0.39 ms. With more output channels, longer patches or large planes it lost to
// im2col + GEMM (16 -> 32 16x16 k3: 12.1 -> 15.1 ms; 3 -> 64 224x224 k7 s2 and the ResNet-18
// 3x3 layers several times slower), so those stay on the GEMM path.
constexpr int64_t kWgradMaxOutPerGroup = 16;
constexpr int64_t kWgradMaxPatch = 256;
constexpr int64_t kWgradMaxPlane = 4096;

bool use_wgrad_direct(const ConvGeom& g) {
  return g.groups > 0 && g.k[2] <= kConvWgradMaxKW && !g.pointwise() &&
         g.oc / g.groups <= kWgradMaxOutPerGroup &&
         (g.c / g.groups) * g.k_size() <= kWgradMaxPatch && g.out_size() <= kWgradMaxPlane;
}

template <class T>
void wgrad_direct(const ConvGeom& g, const T* x, const T* gy, T* gw) {
  const auto& k = conv_wgrad_kernels<T>();
  const int64_t G = g.groups, Cg = g.c / G, OCg = g.oc / G, K = g.k_size(), CgK = Cg * K;
  const int64_t ocp = round_up(OCg, k.lanes), in_s = g.in_size(), out_s = g.out_size();
  RowsLayout lay;
  lay.pw = g.pad[2] + g.in[2];
  const int64_t reach = (g.out[2] - 1) * g.stride[2] + (g.k[2] - 1) * g.dil[2] + 1;
  if (reach > lay.pw) lay.pw = reach;
  lay.group = round_up(Cg * g.in[0] * g.in[1] * lay.pw, 16);
  const int64_t acc_size = round_up(G * CgK * ocp, 16), gt_size = round_up(out_s * ocp, 16);
  const int64_t per = acc_size + lay.group + gt_size;
  const int64_t chunks = g.n < kWeightChunks ? g.n : kWeightChunks;
  T* s = static_cast<T*>(tl_scratch.get(sizeof(T) * static_cast<size_t>(chunks * per)));
  for_parts(g.n, chunks, [&](int64_t ch, int64_t n0, int64_t n1) {
    T* acc = s + ch * per;
    T* xp = acc + acc_size;
    T* gt = xp + lay.group;
    fill(acc, acc_size, T(0));
    fill(gt, gt_size, T(0));  // the padding channels stay zero
    for (int64_t n = n0; n < n1 && !interrupt_requested(); ++n) {
      for (int64_t gi = 0; gi < G; ++gi) {
        rows_pad_input(g, x + (n * g.c + gi * Cg) * in_s, lay, xp);
        const T* gyg = gy + (n * g.oc + gi * OCg) * out_s;
        for (int64_t o = 0; o < OCg; ++o)
          for (int64_t p = 0; p < out_s; ++p) gt[p * ocp + o] = gyg[o * out_s + p];
        k.accumulate(g, xp, lay.pw, gt, ocp, acc + gi * CgK * ocp);
      }
    }
  });
  // gw[g * OCg + o][c, t] = chunk sums of acc[g][c, t][o], chunks in order.
  parallel_for(0, g.oc, 1, [&](int64_t o0, int64_t o1) {
    for (int64_t oc = o0; oc < o1; ++oc) {
      const int64_t gi = oc / OCg, o = oc % OCg;
      for (int64_t t = 0; t < CgK; ++t) {
        T sum = T(0);
        for (int64_t ch = 0; ch < chunks; ++ch) sum += s[ch * per + (gi * CgK + t) * ocp + o];
        gw[oc * CgK + t] = sum;
      }
    }
  });
}

}  // namespace

template <class T>
void conv_backward_weight(const ConvGeom& g, const T* x, const T* gy, T* gw) {
  const int64_t G = g.groups, Cg = g.c / G, OCg = g.oc / G, CgK = Cg * g.k_size();
  const int64_t in_s = g.in_size(), out_s = g.out_size(), OW = g.out[2];
  const int64_t w_size = g.oc * CgK;
  if (g.n == 0) {
    fill(gw, w_size, T(0));
    return;
  }
  if (use_direct(g)) {  // per output channel, images summed in order
    const auto& k = conv_plane_kernels<T>();
    const int64_t K = g.k_size(), acc_size = round_up(K * OW, 16);
    const int64_t nt = get_num_threads();
    const int64_t parts =
        g.oc * g.n * out_s * K < 2 * kImageGrainWork ? 1 : (g.oc < nt ? g.oc : nt);
    T* accs = static_cast<T*>(tl_scratch.get(sizeof(T) * static_cast<size_t>(acc_size * parts)));
    for_parts(g.oc, parts, [&](int64_t part, int64_t o0, int64_t o1) {
      T* acc = accs + part * acc_size;
      for (int64_t o = o0; o < o1 && !interrupt_requested(); ++o) {
        fill(acc, K * OW, T(0));
        for (int64_t n = 0; n < g.n; ++n)
          k.backward_weight(g, x + (n * g.c + o / OCg) * in_s, gy + (n * g.oc + o) * out_s, acc);
        for (int64_t t = 0; t < K; ++t) {
          T s = T(0);
          for (int64_t j = 0; j < OW; ++j) s += acc[t * OW + j];
          gw[o * K + t] = s;
        }
      }
    });
    return;
  }
  if (use_rows(g)) return rows_backward_weight(g, x, gy, gw);
  if (use_wgrad_direct(g)) return wgrad_direct(g, x, gy, gw);
  // A large weight (ResNet's 512x512x3x3) with small planes: per-chunk partial weights would
  // cost more memory traffic than the products, and a GEMM per image would be only out_size
  // deep. One chunk then, whose GEMMs are at least kWeightGemmDepth columns deep (threads split
  // the GEMM itself; its sums do not depend on the thread count).
  const bool big_w = w_size >= kBigWeight;
  int64_t ipt = images_per_tile(g, CgK);
  if (big_w && g.n > 1 && out_s < kWeightGemmDepth) {
    const int64_t want = div_up(kWeightGemmDepth, out_s > 0 ? out_s : 1);
    ipt = want > ipt ? (want < g.n ? want : g.n) : ipt;
  }
  const bool pw = g.pointwise() && ipt == 1;
  const int64_t tr = tile_rows(g, CgK), rows = g.out[0] * g.out[1];
  // Per chunk: the column tile, and with image batching the staged output gradients.
  const int64_t st_size = ipt > 1 ? round_up(OCg * ipt * out_s, 16) : 0;
  const int64_t col_size =
      pw ? 0 : (ipt > 1 ? round_up(CgK * ipt * out_s, 16) + st_size : round_up(CgK * tr * OW, 16));
  const int64_t chunks = big_w ? 1 : (g.n < kWeightChunks ? g.n : kWeightChunks);
  const int64_t part_size = round_up(w_size, 16);
  T* scratch = static_cast<T*>(
      tl_scratch.get(sizeof(T) * static_cast<size_t>((part_size + col_size) * chunks)));
  T* parts = scratch + col_size * chunks;
  for_parts(g.n, chunks, [&](int64_t ch, int64_t n0, int64_t n1) {
    T* col = scratch + ch * col_size;
    T* acc = ch == 0 ? gw : parts + (ch - 1) * part_size;
    if (ipt > 1) {
      T* st = col + col_size - st_size;
      for (int64_t nb = n0; nb < n1 && !interrupt_requested(); nb += ipt) {
        const int64_t ni = n1 - nb < ipt ? n1 - nb : ipt, cols = ni * out_s;
        for (int64_t gi = 0; gi < G; ++gi) {
          for (int64_t i = 0; i < ni; ++i)
            im2col_rows(g, x + ((nb + i) * g.c + gi * Cg) * in_s, Cg, 0, rows, col + i * out_s,
                        cols);
          gather_planes(g, gy, nb, ni, gi, st);
          gemm(OCg, CgK, cols, T(1), st, cols, 1, col, 1, cols, nb == n0 ? T(0) : T(1),
               acc + gi * OCg * CgK, CgK);
        }
      }
      return;
    }
    {
      for (int64_t n = n0; n < n1 && !interrupt_requested(); ++n) {
        for (int64_t gi = 0; gi < G; ++gi) {
          const T* xg = x + (n * g.c + gi * Cg) * in_s;
          const T* gyg = gy + (n * g.oc + gi * OCg) * out_s;
          T* gwg = acc + gi * OCg * CgK;
          if (pw) {  // gw_g (OCg, Cg) (+)= gy_g (OCg, S) @ x_g^T (S, Cg)
            gemm(OCg, CgK, out_s, T(1), gyg, out_s, 1, xg, 1, in_s, n == n0 ? T(0) : T(1), gwg,
                 CgK);
            continue;
          }
          for (int64_t r0 = 0; r0 < rows; r0 += tr) {
            const int64_t r1 = r0 + tr < rows ? r0 + tr : rows, cols = (r1 - r0) * OW;
            im2col_rows(g, xg, Cg, r0, r1, col);
            const T beta = n == n0 && r0 == 0 ? T(0) : T(1);
            gemm(OCg, CgK, cols, T(1), gyg + r0 * OW, out_s, 1, col, 1, cols, beta, gwg, CgK);
          }
        }
      }
    }
  });
  // Chunk partials in chunk order; each element's sum order is fixed.
  if (chunks > 1) {
    parallel_for(0, w_size, int64_t{1} << 14, [&](int64_t i0, int64_t i1) {
      for (int64_t ch = 1; ch < chunks; ++ch) {
        const T* p = parts + (ch - 1) * part_size;
        for (int64_t i = i0; i < i1; ++i) gw[i] += p[i];
      }
    });
  }
}

template <class T>
void unfold_forward(const ConvGeom& g, const T* x, T* cols) {
  const int64_t rows = g.out[0] * g.out[1];
  const int64_t per = g.c * g.k_size() * g.out_size(), in_per = g.c * g.in_size();
  parallel_for(0, g.n, per >= kImageGrainWork ? 1 : g.n + 1, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) im2col_rows(g, x + n * in_per, g.c, 0, rows, cols + n * per);
  });
}

template <class T>
void fold_forward(const ConvGeom& g, const T* cols, T* x) {
  const int64_t rows = g.out[0] * g.out[1];
  const int64_t per = g.c * g.k_size() * g.out_size(), in_per = g.c * g.in_size();
  parallel_for(0, g.n, per >= kImageGrainWork ? 1 : g.n + 1, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      fill(x + n * in_per, in_per, T(0));
      col2im_rows(g, cols + n * per, g.c, 0, rows, x + n * in_per);
    }
  });
}

namespace {

struct PadShape {
  int64_t in_plane = 1, out_plane = 1, orows = 1;
  int64_t in_stride[kMaxDims] = {};
};

PadShape pad_shape(int k, const int64_t* in, const int64_t* out) {
  PadShape s;
  for (int d = k - 1; d >= 0; --d) {
    s.in_stride[d] = s.in_plane;
    s.in_plane *= in[d];
    s.out_plane *= out[d];
    if (d < k - 1) s.orows *= out[d];
  }
  return s;
}

// Source offset (within an input plane) of output row q, or -1 when the row is padding.
int64_t pad_row_source(int k, const int64_t* out, const int64_t* const* maps, const PadShape& s,
                       int64_t q) {
  int64_t src = 0;
  for (int d = k - 2; d >= 0; --d) {
    const int64_t id = maps[d][q % out[d]];
    q /= out[d];
    if (id < 0) return -1;
    src += id * s.in_stride[d];
  }
  return src;
}

}  // namespace

template <class T>
void pad_forward(int64_t outer, int k, const int64_t* in, const int64_t* out,
                 const int64_t* const* maps, const T* x, T value, T* y) {
  const PadShape s = pad_shape(k, in, out);
  const int64_t OW = out[k - 1];
  const int64_t* last = maps[k - 1];
  const int64_t grain = OW > 0 ? (int64_t{1} << 15) / OW + 1 : int64_t{1} << 30;
  parallel_for(0, outer * s.orows, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t p = r / s.orows, q = r % s.orows;
      T* yr = y + p * s.out_plane + q * OW;
      const int64_t src = pad_row_source(k, out, maps, s, q);
      if (src < 0) {
        fill(yr, OW, value);
        continue;
      }
      const T* xr = x + p * s.in_plane + src;
      for (int64_t j = 0; j < OW; ++j) {
        const int64_t m = last[j];
        yr[j] = m >= 0 ? xr[m] : value;
      }
    }
  });
}

template <class T>
void pad_backward(int64_t outer, int k, const int64_t* in, const int64_t* out,
                  const int64_t* const* maps, const T* g, T* gx) {
  const PadShape s = pad_shape(k, in, out);
  const int64_t OW = out[k - 1];
  const int64_t* last = maps[k - 1];
  // Several output rows may hit one input row (reflect/replicate/circular): threads split
  // whole planes, and each plane is summed in output order.
  const int64_t grain = s.out_plane > 0 ? (int64_t{1} << 15) / s.out_plane + 1 : outer + 1;
  parallel_for(0, outer, grain, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      T* gxp = gx + p * s.in_plane;
      fill(gxp, s.in_plane, T(0));
      for (int64_t q = 0; q < s.orows; ++q) {
        const int64_t src = pad_row_source(k, out, maps, s, q);
        if (src < 0) continue;
        const T* gr = g + p * s.out_plane + q * OW;
        T* xr = gxp + src;
        for (int64_t j = 0; j < OW; ++j) {
          const int64_t m = last[j];
          if (m >= 0) xr[m] += gr[j];
        }
      }
    }
  });
}

template void conv_forward<float>(const ConvGeom&, const float*, const float*, const float*,
                                  float*);
template void conv_backward_input<float>(const ConvGeom&, const float*, const float*, const float*,
                                         float*);
template void conv_backward_weight<float>(const ConvGeom&, const float*, const float*, float*);
template void unfold_forward<float>(const ConvGeom&, const float*, float*);
template void fold_forward<float>(const ConvGeom&, const float*, float*);
template void pad_forward<float>(int64_t, int, const int64_t*, const int64_t*,
                                 const int64_t* const*, const float*, float, float*);
template void pad_backward<float>(int64_t, int, const int64_t*, const int64_t*,
                                  const int64_t* const*, const float*, float*);
template void conv_forward<double>(const ConvGeom&, const double*, const double*, const double*,
                                   double*);
template void conv_backward_input<double>(const ConvGeom&, const double*, const double*,
                                          const double*, double*);
template void conv_backward_weight<double>(const ConvGeom&, const double*, const double*, double*);
template void unfold_forward<double>(const ConvGeom&, const double*, double*);
template void fold_forward<double>(const ConvGeom&, const double*, double*);
template void pad_forward<double>(int64_t, int, const int64_t*, const int64_t*,
                                  const int64_t* const*, const double*, double, double*);
template void pad_backward<double>(int64_t, int, const int64_t*, const int64_t*,
                                   const int64_t* const*, const double*, double*);

}  // namespace ax::cpu
