// Direct convolution forward vectorized over OUTPUT channels, compiled once per ISA like
// conv_rows_impl.h (the includer defines AX_ISA_NS). im2col + GEMM spends most of its time
// copying short rows into the column matrix when planes are small (LeNet's 6 -> 16 on 14x14:
// 0.94 ms, of which the GEMM 0.41); this kernel reads the input directly instead.
//
// One call handles one group and a chunk of output channels for a few consecutive images and a
// range of output rows (OcvecCall). The caller copies each image's group input into rows of `pw`
// elements with the W padding and a zero tail materialized (rows_pad_input in conv.cpp: no load
// needs a bound check, even for the pixels of a full block past the row end) and packs the
// weights once per conv call as wp[group][v][c][kd][kh][kw][L]: vector v holds output channels
// v * L .. v * L + L - 1 of the group (zero past OCg), and the bias likewise as bp[group][v][L].
//
// A register block is P consecutive output pixels of one output row x OCB vectors of L output
// channels; its accumulators stay in registers for a pass over up to cb input channels (sized so
// that the pass's weights stay in L1) and go through a partial-sum buffer between passes. Each
// tap loads OCB weight vectors and, per pixel, broadcasts one input value and does OCB FMAs.
// The block is then transposed to NCHW through a small stack buffer. Every output is summed in
// the fixed order bias, then (c, kd, kh, kw), whatever the thread count or the split of images
// and rows into calls. Rows (D and H) in the padding are skipped (row_taps).
#pragma once

#include "axonite/kernels/conv.h"
#include "axonite/kernels/cpu/conv_rows_impl.h"

namespace ax::cpu {

// One kernel call: a chunk of output channels of one group for `images` consecutive images
// (several images share each pass over the weights when planes are small).
template <class T>
struct OcvecCall {
  const T* xp = nullptr;         // padded input rows (width pw) of the first image
  int64_t pw = 0, x_stride = 0;  // x_stride: between images' padded inputs
  const T* wp = nullptr;         // packed weights of the chunk (vectors cg * K * L apart)
  const T* bp = nullptr;         // packed bias of the chunk
  int64_t noc = 0;               // output channels in the chunk, at most max_vecs * L
  T* part = nullptr;             // partial sums, part_stride elements per image: at least
  int64_t part_stride = 0;       // max_vecs * L * out[0] * out[1] * (out[2] + max_pix - 1)
  T* y = nullptr;                // plane of the chunk's first output channel of the first image
  int64_t y_stride = 0, images = 1;
  int64_t row0 = 0, row1 = 0;  // output rows (od, oh) = row / out[1], row % out[1] to compute
};

template <class T>
struct ConvOcvecKernels {
  int64_t lanes;     // L: output channels per vector
  int64_t max_vecs;  // vectors per chunk: the caller's unit of work is max_vecs * L channels
  int64_t max_pix;   // largest pixel block: the caller pads rows for a full block past OW
  // y (noc channels, *out) = conv of the chunk for each image.
  void (*forward)(const ConvGeom& g, const OcvecCall<T>& a);
};

template <class T>
const ConvOcvecKernels<T>& conv_ocvec_kernels();

namespace AX_ISA_NS {
namespace {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"

// Pixels per register block for OCB vectors of output channels: OCB * P accumulators plus OCB
// weight vectors and one broadcast must fit the register file (32 zmm; 16 ymm or xmm). Each OCB
// has a long and a short block; a row takes the one that computes fewer padded pixels (OW = 4
// or 8 wastes a third of a 6-pixel block, none of a 4-pixel one).
#if defined(__AVX512F__)
constexpr int kOcvecMaxVecs = 4;
template <int OCB>
constexpr int ocvec_pix() {
  return OCB == 4 ? 6 : (OCB == 2 ? 12 : 14);
}
template <int OCB>
constexpr int ocvec_pix_short() {
  return OCB == 4 ? 4 : (OCB == 2 ? 8 : 10);
}
#else
constexpr int kOcvecMaxVecs = 2;
template <int OCB>
constexpr int ocvec_pix() {
  return OCB == 2 ? 6 : 12;
}
template <int OCB>
constexpr int ocvec_pix_short() {
  return OCB == 2 ? 4 : 8;
}
#endif

// Input channels per pass: the weights of one pass (OCB vectors x cb channels x K taps) stay
// in L1 while every pixel block of the plane streams through them. From L2 they would cap a
// block of P pixels at about P * OCB FMAs per OCB * 64 bytes.
template <class T>
int64_t ocvec_channels_per_pass(int64_t ocb, int64_t lanes, int64_t k) {
  constexpr int64_t kL1Budget = 24 * 1024;
  const int64_t per_c = ocb * lanes * k * static_cast<int64_t>(sizeof(T));
  return per_c >= kL1Budget ? 1 : kL1Budget / per_c;
}

// SW: the stride along W when it is 1 or 2 (the pixel offsets become immediates), 0 otherwise.
// With several channel passes the accumulators go through `part` (one block of P x OCB vectors
// per pixel block, pixel-major) between passes; every output is still summed in the order bias,
// then (c, kd, kh, kw).
template <class T, int OCB, int P, int SW, int KWT>
void ocvec_block(const ConvGeom& g, const OcvecCall<T>& a) {
  using R = RowVec<T>;
  using V = typename R::V;
  constexpr int L = R::L;
  const int64_t cg = g.c / g.groups, K = g.k_size(), KW = KWT > 0 ? KWT : g.k[2], dw = g.dil[2];
  const int64_t sw = SW > 0 ? SW : g.stride[2], OW = g.out[2], out_s = g.out_size();
  const int64_t plane = g.in[0] * g.in[1] * a.pw, wstride = cg * K * L;
  const int64_t cb = ocvec_channels_per_pass<T>(OCB, L, K);
  alignas(64) T buf[P][OCB * L];
  RowTaps rt;
  for (int64_t c0 = 0; c0 < cg; c0 += cb) {
    const int64_t c1 = c0 + cb < cg ? c0 + cb : cg;
    for (int64_t img = 0; img < a.images; ++img) {
      const T* xp = a.xp + img * a.x_stride;
      T* pb = a.part + img * a.part_stride;
      for (int64_t row = a.row0; row < a.row1; ++row) {
        row_taps(g, a.pw, row / g.out[1], row % g.out[1], &rt);
        T* yrow = a.y + img * a.y_stride + row * OW;
        for (int64_t j = 0; j < OW; j += P, pb += P * OCB * L) {
          V acc[OCB][P];
          // The bias is reloaded per block: kept in registers it would push accumulators out.
          for (int q = 0; q < OCB; ++q) {
            if (c0 == 0) {
              const V bq = R::load(a.bp + q * L);
              for (int p = 0; p < P; ++p) acc[q][p] = bq;
            } else {
              for (int p = 0; p < P; ++p) acc[q][p] = R::load(pb + (p * OCB + q) * L);
            }
          }
          const T* xj = xp + j * sw;
          for (int64_t c = c0; c < c1; ++c) {
            for (int64_t r = 0; r < rt.n; ++r) {
              const T* xr = xj + c * plane + rt.xo[r];
              const T* wt = a.wp + (c * K + rt.tap[r]) * L;
              for (int64_t kw = 0; kw < KW; ++kw, wt += L, xr += dw) {
                V wv[OCB];
                for (int q = 0; q < OCB; ++q) wv[q] = R::load(wt + q * wstride);
                for (int p = 0; p < P; ++p) {
                  const V xv = R::set1(xr[p * sw]);
                  for (int q = 0; q < OCB; ++q) acc[q][p] = R::fma(wv[q], xv, acc[q][p]);
                }
              }
            }
          }
          if (c1 < cg) {
            for (int p = 0; p < P; ++p)
              for (int q = 0; q < OCB; ++q) R::store(pb + (p * OCB + q) * L, acc[q][p]);
            continue;
          }
          // Transpose (P pixels x OCB * L channels) to NCHW; only valid pixels and channels.
          const int64_t np = OW - j < P ? OW - j : P;
          for (int p = 0; p < P; ++p)
            for (int q = 0; q < OCB; ++q) R::store(buf[p] + q * L, acc[q][p]);
          for (int64_t o = 0; o < a.noc; ++o) {
            T* yo = yrow + o * out_s + j;
            for (int64_t p = 0; p < np; ++p) yo[p] = buf[p][o];
          }
        }
      }
    }
  }
}

template <class T, int OCB, int P>
void ocvec_block_sw(const ConvGeom& g, const OcvecCall<T>& a) {
  if (g.stride[2] == 1 && g.k[2] == 3) return ocvec_block<T, OCB, P, 1, 3>(g, a);
  if (g.stride[2] == 1) return ocvec_block<T, OCB, P, 1, 0>(g, a);
  if (g.stride[2] == 2) return ocvec_block<T, OCB, P, 2, 0>(g, a);
  ocvec_block<T, OCB, P, 0, 0>(g, a);
}

template <class T, int OCB>
void ocvec_block_any(const ConvGeom& g, const OcvecCall<T>& a) {
  constexpr int64_t P = ocvec_pix<OCB>(), PS = ocvec_pix_short<OCB>();
  const int64_t OW = g.out[2];
  if ((OW + PS - 1) / PS * PS < (OW + P - 1) / P * P) return ocvec_block_sw<T, OCB, PS>(g, a);
  ocvec_block_sw<T, OCB, P>(g, a);
}

// A chunk of up to kOcvecMaxVecs vectors in blocks of 4, 2 and 1 vectors.
template <class T>
void ocvec_forward(const ConvGeom& g, const OcvecCall<T>& a) {
  constexpr int L = RowVec<T>::L;
  const int64_t wstride = (g.c / g.groups) * g.k_size() * L, out_s = g.out_size();
  for (int64_t o = 0; o < a.noc;) {
    const int64_t nv = (a.noc - o + L - 1) / L, n = a.noc - o;
    OcvecCall<T> s = a;
    s.wp = a.wp + (o / L) * wstride;
    s.bp = a.bp + o;
    s.y = a.y + o * out_s;
    if (kOcvecMaxVecs >= 4 && nv >= 4) {
      s.noc = n < 4 * L ? n : 4 * L;
      ocvec_block_any<T, kOcvecMaxVecs>(g, s);
    } else if (nv >= 2) {
      s.noc = n < 2 * L ? n : 2 * L;
      ocvec_block_any<T, 2>(g, s);
    } else {
      s.noc = n;
      ocvec_block_any<T, 1>(g, s);
    }
    o += s.noc;
  }
}

#pragma GCC diagnostic pop

template <class T>
ConvOcvecKernels<T> ocvec_table() {
  constexpr int p1 = ocvec_pix<1>(), p2 = ocvec_pix<2>(), p4 = ocvec_pix<kOcvecMaxVecs>();
  constexpr int pmax = p1 > p2 ? (p1 > p4 ? p1 : p4) : (p2 > p4 ? p2 : p4);
  return {RowVec<T>::L, kOcvecMaxVecs, pmax, &ocvec_forward<T>};
}

}  // namespace

const ConvOcvecKernels<float>& conv_ocvec_table_f32() {
  static const ConvOcvecKernels<float> t = ocvec_table<float>();
  return t;
}
const ConvOcvecKernels<double>& conv_ocvec_table_f64() {
  static const ConvOcvecKernels<double> t = ocvec_table<double>();
  return t;
}

}  // namespace AX_ISA_NS
}  // namespace ax::cpu
