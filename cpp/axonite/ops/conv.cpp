// Convolutions, F.pad and unfold/fold. Three primitive ops carry every convolution and its
// gradients, each the adjoint of another, so gradients of any order are convolutions too:
//   conv_fwd(x, w)          y = x * w                 (N, C, *in)  -> (N, OC, *out)
//   conv_bwd_input(gy, w)   the transposed conv       (N, OC, *out) -> (N, C, *in)
//   conv_bwd_weight(x, gy)  d<gy, x * w>/dw           -> (OC, C / groups, *k)
// A transposed convolution is conv_bwd_input with the roles of input and output swapped. All
// three keep the full geometry (input, output and kernel sizes) explicit, so output_padding and
// 'same' padding need no special case in the kernels. pad/pad_backward and unfold/fold are
// likewise adjoint pairs that record each other as their backward.
#include "axonite/ops/conv.h"

#include <memory>
#include <vector>

#include "axonite/autograd/record.h"
#include "axonite/kernels/conv.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/reduce.h"
#include "axonite/ops/views.h"

namespace ax {
namespace {

// Geometry of one convolution: nd spatial dims, explicit spatial sizes.
struct ConvSpec {
  int nd = 2;
  int64_t groups = 1;
  int64_t stride[3] = {1, 1, 1}, pad[3] = {0, 0, 0}, dil[3] = {1, 1, 1};
  Dims in, out, k;  // nd entries each
};

cpu::ConvGeom geom(const ConvSpec& s, int64_t n, int64_t c, int64_t oc) {
  cpu::ConvGeom g;
  g.n = n;
  g.c = c;
  g.oc = oc;
  g.groups = s.groups;
  const int off = 3 - s.nd;
  for (int d = 0; d < s.nd; ++d) {
    g.in[off + d] = s.in[d];
    g.out[off + d] = s.out[d];
    g.k[off + d] = s.k[d];
    g.stride[off + d] = s.stride[d];
    g.pad[off + d] = s.pad[d];
    g.dil[off + d] = s.dil[d];
  }
  return g;
}

Dims with_spatial(int64_t a, int64_t b, const Dims& sp) {
  Dims r{a, b};
  for (int d = 0; d < sp.size(); ++d) r.push_back(sp[d]);
  return r;
}

// Dims summed for a bias gradient: (0, 2, 3, ...).
Dims bias_dims(int nd) {
  Dims r{0};
  for (int d = 0; d < nd; ++d) r.push_back(2 + d);
  return r;
}

Tensor conv_fwd(const Tensor& x, const Tensor& w, const Tensor& b, const ConvSpec& s);
Tensor conv_bwd_input(const Tensor& gy, const Tensor& w, const Tensor& b, const ConvSpec& s);
Tensor conv_bwd_weight(const Tensor& x, const Tensor& gy, const ConvSpec& s);

// x: (N, C, *in), w: (OC, C / groups, *k), b: (OC,) or undefined -> (N, OC, *out).
Tensor conv_fwd(const Tensor& x, const Tensor& w, const Tensor& b, const ConvSpec& s) {
  const Tensor xc = contiguous_values(x), wc = contiguous_values(w), bc = contiguous_values(b);
  const int64_t N = x.size(0), C = x.size(1), OC = w.size(0);
  Tensor y = Tensor::empty(with_spatial(N, OC, s.out), x.dtype());
  dispatch_floating(x.dtype(), "conv", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::conv_forward<T>(geom(s, N, C, OC), xc.data<T>(), wc.data<T>(), bc.data_or_null<T>(),
                         y.data<T>());
  });
  if (autograd::any_needs_grad({x, w, b})) {
    const bool rx = x.requires_grad(), rw = w.requires_grad();
    const bool rb = b.defined() && b.requires_grad();
    autograd::SavedTensor sx(rw ? x : Tensor(), false), sw(rx ? w : Tensor(), false);
    autograd::record("ConvolutionBackward0", {x, w, b}, y, [=](const Tensor& g) {
      Tensor gx, gw, gb;
      if (rx) gx = conv_bwd_input(g, sw.unpack(), Tensor(), s);
      if (rw) gw = conv_bwd_weight(sx.unpack(), g, s);
      if (rb) gb = sum(g, bias_dims(s.nd));
      return TensorList{gx, gw, gb};
    });
  }
  return y;
}

// gy: (N, OC, *out), w: (OC, C / groups, *k), b: (C,) or undefined -> (N, C, *in).
Tensor conv_bwd_input(const Tensor& gy, const Tensor& w, const Tensor& b, const ConvSpec& s) {
  const Tensor gc = contiguous_values(gy), wc = contiguous_values(w), bc = contiguous_values(b);
  const int64_t N = gy.size(0), OC = w.size(0), C = w.size(1) * s.groups;
  Tensor gx = Tensor::empty(with_spatial(N, C, s.in), gy.dtype());
  dispatch_floating(gy.dtype(), "conv", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::conv_backward_input<T>(geom(s, N, C, OC), gc.data<T>(), wc.data<T>(), bc.data_or_null<T>(),
                                gx.data<T>());
  });
  if (autograd::any_needs_grad({gy, w, b})) {
    const bool rg = gy.requires_grad(), rw = w.requires_grad();
    const bool rb = b.defined() && b.requires_grad();
    autograd::SavedTensor sg(rw ? gy : Tensor(), false), sw(rg ? w : Tensor(), false);
    autograd::record("ConvolutionBackward1", {gy, w, b}, gx, [=](const Tensor& g) {
      Tensor ggy, gw, gb;
      if (rg) ggy = conv_fwd(g, sw.unpack(), Tensor(), s);
      if (rw) gw = conv_bwd_weight(g, sg.unpack(), s);
      if (rb) gb = sum(g, bias_dims(s.nd));
      return TensorList{ggy, gw, gb};
    });
  }
  return gx;
}

// x: (N, C, *in), gy: (N, OC, *out) -> (OC, C / groups, *k).
Tensor conv_bwd_weight(const Tensor& x, const Tensor& gy, const ConvSpec& s) {
  const Tensor xc = contiguous_values(x), gc = contiguous_values(gy);
  const int64_t N = x.size(0), C = x.size(1), OC = gy.size(1);
  Tensor gw = Tensor::empty(with_spatial(OC, C / s.groups, s.k), x.dtype());
  dispatch_floating(x.dtype(), "conv", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::conv_backward_weight<T>(geom(s, N, C, OC), xc.data<T>(), gc.data<T>(), gw.data<T>());
  });
  if (autograd::any_needs_grad({x, gy})) {
    const bool rx = x.requires_grad(), rg = gy.requires_grad();
    autograd::SavedTensor sx(rg ? x : Tensor(), false), sg(rx ? gy : Tensor(), false);
    autograd::record("ConvolutionBackwardWeight", {x, gy}, gw, [=](const Tensor& g) {
      Tensor gx, ggy;
      if (rx) gx = conv_bwd_input(sg.unpack(), g, Tensor(), s);
      if (rg) ggy = conv_fwd(sx.unpack(), g, Tensor(), s);
      return TensorList{gx, ggy};
    });
  }
  return gw;
}

// ---- argument checks ---------------------------------------------------------------------------

const char* conv_name(int nd, bool transposed) {
  static const char* const names[2][3] = {
      {"conv1d", "conv2d", "conv3d"}, {"conv_transpose1d", "conv_transpose2d", "conv_transpose3d"}};
  return names[transposed ? 1 : 0][nd - 1];
}

const char* spatial_letters(int nd) {
  static const char* const l[3] = {"L", "H, W", "D, H, W"};
  return l[nd - 1];
}

const char* kernel_letters(int nd) {
  static const char* const l[3] = {"kL", "kH, kW", "kD, kH, kW"};
  return l[nd - 1];
}

// One value repeated, or one per spatial dim.
std::vector<int64_t> expand(const char* name, const char* arg, const Dims& v, int nd,
                            int64_t min_value) {
  AXONITE_CHECK(v.size() == 1 || v.size() == nd, ValueError, name, ": expected ", arg,
                " to be a single integer or a tuple of ", nd, " values, got ", shape_str(v));
  std::vector<int64_t> r(nd);
  for (int d = 0; d < nd; ++d) {
    r[d] = v[v.size() == 1 ? 0 : d];
    AXONITE_CHECK(r[d] >= min_value, ValueError, name, ": ", arg, " must be ",
                  min_value == 0 ? "non-negative" : "positive", ", got ", shape_str(v));
  }
  return r;
}

Dims to_dims(const std::vector<int64_t>& v) { return Dims(v); }

// Checks shared by both directions; returns whether the input has a batch dim.
bool check_conv_args(const char* name, const Tensor& input, const Tensor& weight,
                     const Tensor& bias, int64_t groups, int nd, bool transposed) {
  AXONITE_CHECK(is_floating(input.dtype()), TypeError, name,
                ": expected a floating-point input, got ", dtype_name(input.dtype()));
  AXONITE_CHECK(weight.dtype() == input.dtype(), RuntimeError, name, ": input (",
                dtype_name(input.dtype()), ") and weight (", dtype_name(weight.dtype()),
                ") must have the same dtype");
  AXONITE_CHECK(input.dim() == nd + 1 || input.dim() == nd + 2, RuntimeError, name,
                ": expected input with ", nd + 1, " (unbatched) or ", nd + 2,
                " (batched) dims (N, C, ", spatial_letters(nd), "), got shape ",
                shape_str(input.sizes()));
  AXONITE_CHECK(
      weight.dim() == nd + 2, RuntimeError, name, ": expected weight with ", nd + 2, " dims (",
      transposed ? "in_channels, out_channels / groups, " : "out_channels, in_channels / groups, ",
      kernel_letters(nd), "), got shape ", shape_str(weight.sizes()));
  AXONITE_CHECK(groups > 0, ValueError, name, ": groups must be a positive integer, got ", groups);
  const bool batched = input.dim() == nd + 2;
  const int64_t c_in = input.size(batched ? 1 : 0);
  const int64_t w0 = weight.size(0), w1 = weight.size(1);
  if (transposed) {
    AXONITE_CHECK(c_in == w0, RuntimeError, name, ": expected input of shape ",
                  shape_str(input.sizes()), " to have ", w0, " channels (weight.size(0)), got ",
                  c_in, " channels; weight shape ", shape_str(weight.sizes()));
    AXONITE_CHECK(w0 % groups == 0, RuntimeError, name, ": in_channels (weight.size(0) = ", w0,
                  ") must be divisible by groups = ", groups, "; weight shape ",
                  shape_str(weight.sizes()));
  } else {
    AXONITE_CHECK(w0 % groups == 0, RuntimeError, name, ": out_channels (weight.size(0) = ", w0,
                  ") must be divisible by groups = ", groups, "; weight shape ",
                  shape_str(weight.sizes()));
    AXONITE_CHECK(c_in == w1 * groups, RuntimeError, name, ": expected input of shape ",
                  shape_str(input.sizes()), " to have ", w1 * groups,
                  " channels (weight.size(1) = ", w1, " times groups = ", groups, "), got ", c_in,
                  " channels; weight shape ", shape_str(weight.sizes()));
  }
  for (int d = 0; d < nd; ++d)
    AXONITE_CHECK(weight.size(2 + d) > 0, RuntimeError, name,
                  ": kernel sizes must be positive, got weight shape ", shape_str(weight.sizes()));
  if (bias.defined()) {
    const int64_t out_c = transposed ? w1 * groups : w0;
    AXONITE_CHECK(bias.dim() == 1 && bias.size(0) == out_c, RuntimeError, name,
                  ": expected bias of shape [", out_c, "], got ", shape_str(bias.sizes()));
    AXONITE_CHECK(bias.dtype() == input.dtype(), RuntimeError, name, ": bias (",
                  dtype_name(bias.dtype()), ") must have the input's dtype (",
                  dtype_name(input.dtype()), ")");
  }
  return batched;
}

Tensor conv_impl(const Tensor& input, const Tensor& weight, const Tensor& bias,
                 const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                 const std::vector<int64_t>& dilation, int64_t groups, int nd, bool batched,
                 const char* name) {
  const Tensor x = batched ? input : unsqueeze(input, 0);
  ConvSpec s;
  s.nd = nd;
  s.groups = groups;
  Dims padded, dilated;
  bool fits = true;
  for (int d = 0; d < nd; ++d) {
    s.stride[d] = stride[d];
    s.pad[d] = padding[d];
    s.dil[d] = dilation[d];
    const int64_t in = x.size(2 + d), k = weight.size(2 + d);
    const int64_t span = dilation[d] * (k - 1) + 1;
    s.in.push_back(in);
    s.k.push_back(k);
    padded.push_back(in + 2 * padding[d]);
    dilated.push_back(span);
    fits = fits && in + 2 * padding[d] >= span;
    s.out.push_back(fits ? (in + 2 * padding[d] - span) / stride[d] + 1 : 0);
  }
  AXONITE_CHECK(fits, RuntimeError, name, ": kernel size (dilated) ", shape_str(dilated),
                " is larger than the padded input size ", shape_str(padded), "; input shape ",
                shape_str(input.sizes()), ", weight shape ", shape_str(weight.sizes()),
                ", padding ", shape_str(to_dims(padding)), ", dilation ",
                shape_str(to_dims(dilation)));
  const Tensor y = conv_fwd(x, weight, bias, s);
  return batched ? y : squeeze(y, 0);
}

}  // namespace

Tensor conv_nd(const Tensor& input, const Tensor& weight, const Tensor& bias, const Dims& stride,
               const Dims& padding, const Dims& dilation, int64_t groups, int nd) {
  AXONITE_CHECK(nd >= 1 && nd <= 3, ValueError, "conv: expected 1 to 3 spatial dims, got ", nd);
  const char* name = conv_name(nd, false);
  const bool batched = check_conv_args(name, input, weight, bias, groups, nd, false);
  return conv_impl(input, weight, bias, expand(name, "stride", stride, nd, 1),
                   expand(name, "padding", padding, nd, 0),
                   expand(name, "dilation", dilation, nd, 1), groups, nd, batched, name);
}

Tensor conv_nd(const Tensor& input, const Tensor& weight, const Tensor& bias, const Dims& stride,
               const std::string& padding, const Dims& dilation, int64_t groups, int nd) {
  AXONITE_CHECK(nd >= 1 && nd <= 3, ValueError, "conv: expected 1 to 3 spatial dims, got ", nd);
  const char* name = conv_name(nd, false);
  AXONITE_CHECK(padding == "same" || padding == "valid", ValueError, name,
                ": padding must be 'same', 'valid', an integer or a tuple of integers, got '",
                padding, "'");
  const bool batched = check_conv_args(name, input, weight, bias, groups, nd, false);
  const std::vector<int64_t> st = expand(name, "stride", stride, nd, 1);
  const std::vector<int64_t> dil = expand(name, "dilation", dilation, nd, 1);
  std::vector<int64_t> pads(nd, 0);
  if (padding == "valid")
    return conv_impl(input, weight, bias, st, pads, dil, groups, nd, batched, name);
  for (int d = 0; d < nd; ++d)
    AXONITE_CHECK(st[d] == 1, ValueError, name,
                  ": padding='same' is not supported for strided convolutions (stride ",
                  shape_str(stride), ")");
  // Total padding dil * (k - 1) per dim, split left = total / 2; an odd total puts the extra
  // element on the right through an explicit pad (as PyTorch does).
  Dims extra;
  bool asym = false;
  for (int d = nd - 1; d >= 0; --d) {
    const int64_t total = dil[d] * (weight.size(2 + d) - 1);
    pads[d] = total / 2;
    extra.push_back(0);
    extra.push_back(total - 2 * pads[d]);
    asym = asym || total % 2 != 0;
  }
  const Tensor x = asym ? pad(input, extra, "constant", 0.0) : input;
  return conv_impl(x, weight, bias, st, pads, dil, groups, nd, batched, name);
}

Tensor conv_transpose_nd(const Tensor& input, const Tensor& weight, const Tensor& bias,
                         const Dims& stride, const Dims& padding, const Dims& output_padding,
                         int64_t groups, const Dims& dilation, int nd) {
  AXONITE_CHECK(nd >= 1 && nd <= 3, ValueError,
                "conv_transpose: expected 1 to 3 spatial dims, got ", nd);
  const char* name = conv_name(nd, true);
  const bool batched = check_conv_args(name, input, weight, bias, groups, nd, true);
  const std::vector<int64_t> st = expand(name, "stride", stride, nd, 1);
  const std::vector<int64_t> pd = expand(name, "padding", padding, nd, 0);
  const std::vector<int64_t> op = expand(name, "output_padding", output_padding, nd, 0);
  const std::vector<int64_t> dil = expand(name, "dilation", dilation, nd, 1);
  const Tensor x = batched ? input : unsqueeze(input, 0);
  ConvSpec s;
  s.nd = nd;
  s.groups = groups;
  for (int d = 0; d < nd; ++d) {
    AXONITE_CHECK(op[d] < st[d] || op[d] < dil[d], ValueError, name,
                  ": output_padding must be smaller than either stride or dilation, got "
                  "output_padding ",
                  shape_str(output_padding), ", stride ", shape_str(stride), ", dilation ",
                  shape_str(dilation));
    s.stride[d] = st[d];
    s.pad[d] = pd[d];
    s.dil[d] = dil[d];
    const int64_t in = x.size(2 + d), k = weight.size(2 + d);
    s.out.push_back(in);
    s.k.push_back(k);
    s.in.push_back((in - 1) * st[d] - 2 * pd[d] + dil[d] * (k - 1) + op[d] + 1);
  }
  bool positive = true;
  for (int d = 0; d < nd; ++d) positive = positive && s.in[d] > 0;
  AXONITE_CHECK(positive, RuntimeError, name, ": the output size ", shape_str(s.in),
                " is not positive; input shape ", shape_str(input.sizes()), ", weight shape ",
                shape_str(weight.sizes()), ", stride ", shape_str(stride), ", padding ",
                shape_str(padding));
  const Tensor y = conv_bwd_input(x, weight, bias, s);
  return batched ? y : squeeze(y, 0);
}

// ---- pad ---------------------------------------------------------------------------------------

namespace {

// Where each output element of F.pad reads from: the input viewed as (outer, in_1 .. in_k).
struct PadPlan {
  int k = 0;
  int64_t outer = 1;
  Dims in_sizes, out_sizes;  // full shapes
  std::vector<int64_t> in, out;
  std::vector<std::vector<int64_t>> maps;
  std::vector<const int64_t*> map_ptrs;
};

Tensor pad_apply(const Tensor& x, const std::shared_ptr<const PadPlan>& plan, double value);

// The adjoint of pad_apply: g (out shape) summed back into the input shape.
Tensor pad_adjoint(const Tensor& g, const std::shared_ptr<const PadPlan>& plan) {
  const Tensor gc = contiguous_values(g);
  Tensor gx = Tensor::empty(plan->in_sizes, g.dtype());
  dispatch_floating(g.dtype(), "pad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::pad_backward<T>(plan->outer, plan->k, plan->in.data(), plan->out.data(),
                         plan->map_ptrs.data(), gc.data<T>(), gx.data<T>());
  });
  if (autograd::needs_grad(g))
    autograd::record("ConstantPadNdBackward0Backward", {g}, gx,
                     [plan](const Tensor& gg) { return TensorList{pad_apply(gg, plan, 0.0)}; });
  return gx;
}

Tensor pad_apply(const Tensor& x, const std::shared_ptr<const PadPlan>& plan, double value) {
  const Tensor xc = contiguous_values(x);
  Tensor y = Tensor::empty(plan->out_sizes, x.dtype());
  dispatch_floating(x.dtype(), "pad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::pad_forward<T>(plan->outer, plan->k, plan->in.data(), plan->out.data(),
                        plan->map_ptrs.data(), xc.data<T>(), static_cast<T>(value), y.data<T>());
  });
  if (autograd::needs_grad(x))
    autograd::record("PadBackward0", {x}, y,
                     [plan](const Tensor& g) { return TensorList{pad_adjoint(g, plan)}; });
  return y;
}

}  // namespace

Tensor pad(const Tensor& input, const Dims& pads, const std::string& mode, double value) {
  const bool constant = mode == "constant";
  AXONITE_CHECK(constant || mode == "reflect" || mode == "replicate" || mode == "circular",
                ValueError, "pad: unknown padding mode '", mode,
                "' (expected 'constant', 'reflect', 'replicate' or 'circular')");
  AXONITE_CHECK(pads.size() % 2 == 0, ValueError,
                "pad: padding length must be divisible by 2, got ", shape_str(pads));
  const int k = pads.size() / 2, nd = input.dim();
  AXONITE_CHECK(k <= nd, ValueError, "pad: padding ", shape_str(pads), " pads ", k,
                " dims but the input of shape ", shape_str(input.sizes()), " has only ", nd);
  if (!constant) {
    AXONITE_CHECK(k >= 1 && k <= 3 && (nd == k + 1 || nd == k + 2), ValueError, "pad: mode '", mode,
                  "' pads 1 to 3 trailing dims of a (N, C, *) or (C, *) input: padding ",
                  shape_str(pads), " needs a ", k + 1, "-D or ", k + 2, "-D input, got shape ",
                  shape_str(input.sizes()));
    AXONITE_CHECK(value == 0.0, ValueError, "pad: padding mode '", mode,
                  "' does not take a fill value, got value=", value);
  }
  if (k == 0) return clone(input);
  auto plan = std::make_shared<PadPlan>();
  plan->k = k;
  plan->in_sizes = input.sizes();
  plan->out_sizes = input.sizes();
  for (int d = 0; d < nd - k; ++d) plan->outer *= input.size(d);
  for (int j = 0; j < k; ++j) {
    const int dim = nd - k + j;
    const int64_t left = pads[2 * (k - 1 - j)], right = pads[2 * (k - 1 - j) + 1];
    const int64_t L = input.size(dim);
    int64_t O = 0;
    AXONITE_CHECK(!__builtin_add_overflow(L, left, &O) && !__builtin_add_overflow(O, right, &O),
                  RuntimeError, "pad: padding (", left, ", ", right, ") of dim ", dim,
                  " is too large for input shape ", shape_str(input.sizes()));
    AXONITE_CHECK(O >= 0, ValueError, "pad: padding (", left, ", ", right, ") of dim ", dim,
                  " leaves a negative size for input shape ", shape_str(input.sizes()));
    if (!constant) {
      AXONITE_CHECK(left >= 0 && right >= 0, ValueError, "pad: mode '", mode,
                    "' needs non-negative padding, got ", shape_str(pads));
      if (mode == "reflect")
        AXONITE_CHECK(left < L && right < L, ValueError, "pad: reflect padding (", left, ", ",
                      right, ") must be smaller than the size ", L, " of dim ", dim,
                      " (input shape ", shape_str(input.sizes()), ")");
      if (mode == "replicate")
        AXONITE_CHECK(L > 0, ValueError, "pad: replicate padding needs a non-empty dim ", dim,
                      " (input shape ", shape_str(input.sizes()), ")");
      if (mode == "circular")
        AXONITE_CHECK(left <= L && right <= L, ValueError, "pad: circular padding (", left, ", ",
                      right, ") must not exceed the size ", L, " of dim ", dim, " (input shape ",
                      shape_str(input.sizes()), ")");
    }
    plan->out_sizes[dim] = O;
    // The index map below takes O entries: size-check before building it.
    checked_nbytes(plan->out_sizes, itemsize(input.dtype()), "pad");
    plan->in.push_back(L);
    plan->out.push_back(O);
    std::vector<int64_t> m(static_cast<size_t>(O));
    for (int64_t o = 0; o < O; ++o) {
      int64_t i = o - left;
      if (constant) {
        i = i >= 0 && i < L ? i : -1;
      } else if (mode == "reflect") {
        if (i < 0) i = -i;
        if (i >= L) i = 2 * (L - 1) - i;
      } else if (mode == "replicate") {
        i = i < 0 ? 0 : (i >= L ? L - 1 : i);
      } else {
        i = ((i % L) + L) % L;
      }
      m[static_cast<size_t>(o)] = i;
    }
    plan->maps.push_back(std::move(m));
  }
  for (const auto& m : plan->maps) plan->map_ptrs.push_back(m.data());
  return pad_apply(input, plan, value);
}

// ---- unfold / fold -----------------------------------------------------------------------------

namespace {

Tensor fold_op(const Tensor& cols, const ConvSpec& s, int64_t C);

// x: (N, C, H, W) -> (N, C * kh * kw, L).
Tensor unfold_op(const Tensor& x, const ConvSpec& s) {
  const Tensor xc = contiguous_values(x);
  const int64_t N = x.size(0), C = x.size(1);
  Tensor cols = Tensor::empty(Dims{N, C * s.k[0] * s.k[1], s.out[0] * s.out[1]}, x.dtype());
  dispatch_floating(x.dtype(), "unfold", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::unfold_forward<T>(geom(s, N, C, 1), xc.data<T>(), cols.data<T>());
  });
  if (autograd::needs_grad(x))
    autograd::record("Im2ColBackward0", {x}, cols,
                     [s, C](const Tensor& g) { return TensorList{fold_op(g, s, C)}; });
  return cols;
}

// cols: (N, C * kh * kw, L) -> (N, C, H, W).
Tensor fold_op(const Tensor& cols, const ConvSpec& s, int64_t C) {
  const Tensor cc = contiguous_values(cols);
  const int64_t N = cols.size(0);
  Tensor x = Tensor::empty(Dims{N, C, s.in[0], s.in[1]}, cols.dtype());
  dispatch_floating(cols.dtype(), "fold", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::fold_forward<T>(geom(s, N, C, 1), cc.data<T>(), x.data<T>());
  });
  if (autograd::needs_grad(cols))
    autograd::record("Col2ImBackward0", {cols}, x,
                     [s](const Tensor& g) { return TensorList{unfold_op(g, s)}; });
  return x;
}

// The block grid of a 2-d sliding window; false when the kernel does not fit.
bool block_spec(const char* name, const Dims& spatial, const Dims& kernel_size,
                const Dims& dilation, const Dims& padding, const Dims& stride, ConvSpec* s) {
  const std::vector<int64_t> k = expand(name, "kernel_size", kernel_size, 2, 1);
  const std::vector<int64_t> dil = expand(name, "dilation", dilation, 2, 1);
  const std::vector<int64_t> pd = expand(name, "padding", padding, 2, 0);
  const std::vector<int64_t> st = expand(name, "stride", stride, 2, 1);
  s->nd = 2;
  bool fits = true;
  for (int d = 0; d < 2; ++d) {
    s->stride[d] = st[d];
    s->pad[d] = pd[d];
    s->dil[d] = dil[d];
    s->k.push_back(k[d]);
    s->in.push_back(spatial[d]);
    const int64_t span = dil[d] * (k[d] - 1) + 1;
    fits = fits && spatial[d] + 2 * pd[d] >= span;
    s->out.push_back(fits ? (spatial[d] + 2 * pd[d] - span) / st[d] + 1 : 0);
  }
  return fits;
}

}  // namespace

Tensor unfold(const Tensor& input, const Dims& kernel_size, const Dims& dilation,
              const Dims& padding, const Dims& stride) {
  AXONITE_CHECK(input.dim() == 3 || input.dim() == 4, RuntimeError,
                "unfold: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ",
                shape_str(input.sizes()));
  const bool batched = input.dim() == 4;
  const Tensor x = batched ? input : unsqueeze(input, 0);
  ConvSpec s;
  const bool fits =
      block_spec("unfold", Dims{x.size(2), x.size(3)}, kernel_size, dilation, padding, stride, &s);
  AXONITE_CHECK(fits, RuntimeError, "unfold: the (dilated) kernel ", shape_str(kernel_size),
                " does not fit in the padded input; input shape ", shape_str(input.sizes()),
                ", padding ", shape_str(padding), ", dilation ", shape_str(dilation));
  const Tensor y = unfold_op(x, s);
  return batched ? y : squeeze(y, 0);
}

Tensor fold(const Tensor& input, const Dims& output_size, const Dims& kernel_size,
            const Dims& dilation, const Dims& padding, const Dims& stride) {
  AXONITE_CHECK(input.dim() == 2 || input.dim() == 3, RuntimeError,
                "fold: expected a 2-D (C * kh * kw, L) or 3-D (N, C * kh * kw, L) input, got "
                "shape ",
                shape_str(input.sizes()));
  const std::vector<int64_t> os = expand("fold", "output_size", output_size, 2, 1);
  const bool batched = input.dim() == 3;
  const Tensor x = batched ? input : unsqueeze(input, 0);
  ConvSpec s;
  const bool fits = block_spec("fold", to_dims(os), kernel_size, dilation, padding, stride, &s);
  AXONITE_CHECK(fits, RuntimeError, "fold: the (dilated) kernel ", shape_str(kernel_size),
                " does not fit in the padded output_size ", shape_str(output_size));
  const int64_t kk = s.k[0] * s.k[1], blocks = s.out[0] * s.out[1];
  AXONITE_CHECK(x.size(1) % kk == 0, RuntimeError, "fold: expected size(", batched ? 1 : 0,
                ") of input of shape ", shape_str(input.sizes()),
                " to be divisible by the product of kernel_size ", shape_str(kernel_size), " (", kk,
                ")");
  AXONITE_CHECK(x.size(2) == blocks, RuntimeError, "fold: input of shape ",
                shape_str(input.sizes()), " has ", x.size(2), " blocks, but output_size ",
                shape_str(output_size), " with kernel_size ", shape_str(kernel_size), " gives ",
                blocks, " (", s.out[0], " x ", s.out[1], ")");
  const Tensor y = fold_op(x, s, x.size(1) / kk);
  return batched ? y : squeeze(y, 0);
}

}  // namespace ax
