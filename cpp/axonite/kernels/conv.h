// Convolution kernels on raw pointers (no Tensor): one generic N-d (1 to 3 spatial dims)
// implementation, im2col/vol2col into per-thread scratch + the packed GEMM, col2im for the
// input gradient, a fixed-order reduction for the weight gradient; plus the F.pad index-map
// kernels. Every result is bit-identical for any thread count.
#pragma once

#include <cstdint>

namespace ax::cpu {

// Geometry of a convolution with all sizes given explicitly (the output size is never
// recomputed here, so transposed convolutions with output_padding fit). A 1-d or 2-d problem
// is the 3-d one with leading spatial sizes 1 (kernel 1, stride 1, padding 0, dilation 1).
// x: (n, c, in[0], in[1], in[2]), w: (oc, c / groups, k[0], k[1], k[2]),
// y: (n, oc, out[0], out[1], out[2]); all contiguous.
struct ConvGeom {
  int64_t n = 0, c = 0, oc = 0, groups = 1;
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1}, pad[3] = {0, 0, 0}, dil[3] = {1, 1, 1};

  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t k_size() const { return k[0] * k[1] * k[2]; }
  // 1x1(x1), stride 1, no padding: the image itself is the im2col matrix.
  bool pointwise() const {
    for (int d = 0; d < 3; ++d)
      if (k[d] != 1 || stride[d] != 1 || pad[d] != 0 || in[d] != out[d]) return false;
    return true;
  }
};

// y = conv(x, w) + b (b: (oc,) or null).
template <class T>
void conv_forward(const ConvGeom& g, const T* x, const T* w, const T* b, T* y);
// gx = d<gy, conv(x, w)>/dx (the transposed convolution of gy), plus b[c] per channel when b is
// not null (b: (c,)). gy: (n, oc, *out) -> gx: (n, c, *in).
template <class T>
void conv_backward_input(const ConvGeom& g, const T* gy, const T* w, const T* b, T* gx);
// gw = d<gy, conv(x, w)>/dw: (oc, c / groups, *k).
template <class T>
void conv_backward_weight(const ConvGeom& g, const T* x, const T* gy, T* gw);

// F.unfold / F.fold on g (oc and groups unused): x: (n, c, *in) <-> cols: (n, c * K, out_size).
template <class T>
void unfold_forward(const ConvGeom& g, const T* x, T* cols);
template <class T>
void fold_forward(const ConvGeom& g, const T* cols, T* x);

// F.pad as index maps. x: (outer, in_1 .. in_k) -> y: (outer, out_1 .. out_k), contiguous;
// maps[d][o] is the source index along padded dim d for output index o, or -1 (value).
template <class T>
void pad_forward(int64_t outer, int k, const int64_t* in, const int64_t* out,
                 const int64_t* const* maps, const T* x, T value, T* y);
// gx (zeroed here) += g gathered back through the same maps (the adjoint of pad_forward).
template <class T>
void pad_backward(int64_t outer, int k, const int64_t* in, const int64_t* out,
                  const int64_t* const* maps, const T* g, T* gx);

}  // namespace ax::cpu
