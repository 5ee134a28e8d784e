// interpolate and pixel (un)shuffle. Each interpolation mode builds one per-axis tap table with
// PyTorch's source-index rules (upsample_nearest's legacy floor(o * scale) with its in == out and
// out == 2 * in shortcuts, area_pixel_compute_source_index for linear) and runs the shared
// separable resampler; pixel shuffles are reshape/permute compositions (no backward code).
#include "axonite/ops/resize.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "axonite/ops/elementwise.h"
#include "axonite/ops/pooling.h"
#include "axonite/ops/views.h"

namespace ax {
namespace {

void push_taps(cpu::LinAxis& a, int64_t first, std::initializer_list<double> w) {
  a.first.push_back(first);
  a.cnt.push_back(static_cast<int64_t>(w.size()));
  a.off.push_back(static_cast<int64_t>(a.w.size()));
  a.w.insert(a.w.end(), w.begin(), w.end());
}

// PyTorch's compute_scales_value<float>: the given scale's inverse, else in / out.
float nearest_scale(double scale, int64_t in, int64_t out) {
  return scale > 0 ? static_cast<float>(1.0 / scale)
                   : static_cast<float>(in) / static_cast<float>(out);
}

cpu::LinAxis nearest_axis(int64_t in, int64_t out, double scale, bool exact) {
  cpu::LinAxis a;
  a.in = in;
  a.out = out;
  const float sc = nearest_scale(scale, in, out);
  for (int64_t o = 0; o < out; ++o) {
    int64_t src;
    if (exact) {
      src = static_cast<int64_t>(std::floor(static_cast<float>((o + 0.5) * sc)));
    } else if (out == in) {
      src = o;
    } else if (out == 2 * in) {
      src = o >> 1;
    } else {
      src = static_cast<int64_t>(std::floor(static_cast<float>(o) * sc));
    }
    push_taps(a, std::min(src, in - 1), {1.0});
  }
  return a;
}

cpu::LinAxis linear_axis(int64_t in, int64_t out, double scale, bool align_corners) {
  cpu::LinAxis a;
  a.in = in;
  a.out = out;
  double step;
  if (align_corners) {
    step = out > 1 ? static_cast<double>(in - 1) / static_cast<double>(out - 1) : 0.0;
  } else {
    step = scale > 0 ? 1.0 / scale : static_cast<double>(in) / static_cast<double>(out);
  }
  for (int64_t o = 0; o < out; ++o) {
    const double od = static_cast<double>(o);
    const double src = align_corners ? step * od : std::max(step * (od + 0.5) - 0.5, 0.0);
    const int64_t i0 = std::min(static_cast<int64_t>(src), in - 1);
    const double l1 = std::min(std::max(src - static_cast<double>(i0), 0.0), 1.0), l0 = 1.0 - l1;
    if (i0 < in - 1) {
      push_taps(a, i0, {l0, l1});
    } else {
      push_taps(a, i0, {l0 + l1});
    }
  }
  return a;
}

cpu::LinAxis unit_axis() {
  cpu::LinAxis a;
  push_taps(a, 0, {1.0});
  return a;
}

}  // namespace

Tensor interpolate(const Tensor& input, const Dims& output_size, const std::string& mode,
                   bool align_corners, const std::vector<double>& scales) {
  const char* op = "interpolate";
  AXONITE_CHECK(is_floating(input.dtype()), TypeError, op,
                ": expected a floating-point input, got ", dtype_name(input.dtype()));
  const int nd = input.dim(), nsp = nd - 2;
  AXONITE_CHECK(nd >= 3 && nd <= 5, RuntimeError, op,
                ": expected 3D (N, C, L), 4D (N, C, H, W) or 5D (N, C, D, H, W) input, got shape ",
                shape_str(input.sizes()));
  AXONITE_CHECK(output_size.size() == nsp, RuntimeError, op, ": expected ", nsp,
                " output sizes for input of shape ", shape_str(input.sizes()), ", got ",
                shape_str(output_size));
  AXONITE_CHECK(scales.empty() || static_cast<int>(scales.size()) == nsp, RuntimeError, op,
                ": expected ", nsp, " scale factors, got ", scales.size());
  for (int i = 0; i < nsp; ++i)
    AXONITE_CHECK(input.size(2 + i) > 0 && output_size[i] > 0, RuntimeError, op,
                  ": Input and output sizes should be greater than 0, but got input of shape ",
                  shape_str(input.sizes()), " and output_size=", shape_str(output_size));
  {  // the per-axis maps below take O(output size) memory and time: size-check first
    Dims full{input.size(0), input.size(1)};
    for (int64_t v : output_size) full.push_back(v);
    checked_nbytes(full, itemsize(input.dtype()), op);
  }
  if (mode == "area") return adaptive_avg_pool(input, nsp, output_size);
  const bool nearest = mode == "nearest", exact = mode == "nearest-exact";
  static const char* const kLinear[3] = {"linear", "bilinear", "trilinear"};
  const bool lin = mode == "linear" || mode == "bilinear" || mode == "trilinear";
  AXONITE_CHECK(nearest || exact || lin, ValueError, op, ": unsupported mode '", mode,
                "' (expected nearest, nearest-exact, linear, bilinear, trilinear or area)");
  AXONITE_CHECK(!lin || mode == kLinear[nsp - 1], ValueError, op, ": Got ", nd, "D input, but ",
                mode, " mode needs ",
                mode == "linear"     ? 3
                : mode == "bilinear" ? 4
                                     : 5,
                "D input");
  auto map = std::make_shared<cpu::LinMap>();
  map->axis[0] = map->axis[1] = map->axis[2] = unit_axis();
  for (int j = 0; j < nsp; ++j) {
    const int64_t in = input.size(2 + j), out = output_size[j];
    const double sc = scales.empty() ? 0.0 : scales[j];
    map->axis[3 - nsp + j] =
        lin ? linear_axis(in, out, sc, align_corners) : nearest_axis(in, out, sc, exact);
  }
  static const char* const kNames[3][3] = {
      {"UpsampleNearest1DBackward0", "UpsampleNearest2DBackward0", "UpsampleNearest3DBackward0"},
      {"UpsampleNearestExact1DBackward0", "UpsampleNearestExact2DBackward0",
       "UpsampleNearestExact3DBackward0"},
      {"UpsampleLinear1DBackward0", "UpsampleBilinear2DBackward0", "UpsampleTrilinear3DBackward0"}};
  return detail::resample(input, nsp, map, false, kNames[lin ? 2 : exact ? 1 : 0][nsp - 1]);
}

Tensor pixel_shuffle(const Tensor& input, int64_t upscale_factor) {
  const int64_t r = upscale_factor;
  const int nd = input.dim();
  AXONITE_CHECK(nd >= 3, RuntimeError,
                "pixel_shuffle expects input to have at least 3 dimensions, but got input with ",
                nd, " dimension(s)");
  AXONITE_CHECK(r > 0, RuntimeError, "pixel_shuffle expects a positive upscale_factor, but got ",
                r);
  const int64_t c = input.size(nd - 3), h = input.size(nd - 2), w = input.size(nd - 1);
  AXONITE_CHECK(c % (r * r) == 0, RuntimeError,
                "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
                "square of upscale_factor, but input.size(-3)=",
                c, " is not divisible by ", r * r);
  Dims lead, split, perm, out;
  for (int i = 0; i < nd - 3; ++i) {
    lead.push_back(input.size(i));
    perm.push_back(i);
  }
  split = lead;
  out = lead;
  for (int64_t v : {c / (r * r), r, r, h, w}) split.push_back(v);
  const int64_t n = nd - 3;
  for (int64_t v : {n, n + 3, n + 1, n + 4, n + 2}) perm.push_back(v);
  for (int64_t v : {c / (r * r), h * r, w * r}) out.push_back(v);
  return reshape(contiguous(permute(reshape(input, split), perm)), out);
}

Tensor pixel_unshuffle(const Tensor& input, int64_t downscale_factor) {
  const int64_t r = downscale_factor;
  const int nd = input.dim();
  AXONITE_CHECK(nd >= 3, RuntimeError,
                "pixel_unshuffle expects input to have at least 3 dimensions, but got input with ",
                nd, " dimension(s)");
  AXONITE_CHECK(r > 0, RuntimeError,
                "pixel_unshuffle expects a positive downscale_factor, but got ", r);
  const int64_t c = input.size(nd - 3), h = input.size(nd - 2), w = input.size(nd - 1);
  AXONITE_CHECK(h % r == 0, RuntimeError,
                "pixel_unshuffle expects height to be divisible by downscale_factor, but "
                "input.size(-2)=",
                h, " is not divisible by ", r);
  AXONITE_CHECK(w % r == 0, RuntimeError,
                "pixel_unshuffle expects width to be divisible by downscale_factor, but "
                "input.size(-1)=",
                w, " is not divisible by ", r);
  Dims lead, split, perm, out;
  for (int i = 0; i < nd - 3; ++i) {
    lead.push_back(input.size(i));
    perm.push_back(i);
  }
  split = lead;
  out = lead;
  for (int64_t v : {c, h / r, r, w / r, r}) split.push_back(v);
  const int64_t n = nd - 3;
  for (int64_t v : {n, n + 2, n + 4, n + 1, n + 3}) perm.push_back(v);
  for (int64_t v : {c * r * r, h / r, w / r}) out.push_back(v);
  return reshape(contiguous(permute(reshape(input, split), perm)), out);
}

}  // namespace ax
