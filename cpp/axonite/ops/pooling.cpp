// Max/min, average, adaptive pooling and max unpooling: PyTorch's argument checks and output-size
// rules, the window maps handed to the kernels (kernels/pooling.h), and the backward closures.
// Max pooling's backward is a scatter of the gradient by the saved indices (a raw kernel, or
// scatter_add under create_graph, whose own backward is a gather). Average pools are separable
// linear maps run by detail::resample, whose backward is the adjoint map and vice versa.
#include "axonite/ops/pooling.h"

#include <algorithm>
#include <string>
#include <utility>

#include "axonite/autograd/record.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/indexing.h"
#include "axonite/ops/views.h"

namespace ax {
namespace {

const char* layout(int nsp, bool batched) {
  static const char* const t[2][3] = {{"(C, L)", "(C, H, W)", "(C, D, H, W)"},
                                      {"(N, C, L)", "(N, C, H, W)", "(N, C, D, H, W)"}};
  return t[batched ? 1 : 0][nsp - 1];
}

void check_nsp(int nsp, const char* what) {
  AXONITE_CHECK(nsp >= 1 && nsp <= 3, ValueError, what, ": spatial dims must be 1, 2 or 3, got ",
                nsp);
}

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// PyTorch's pooling_output_shape: in ceil mode the last window must start inside the input or
// its left padding.
int64_t pool_out(int64_t in, int64_t k, int64_t s, int64_t pad, int64_t dil, bool ceil_mode) {
  int64_t out = floor_div(in + 2 * pad - dil * (k - 1) - 1 + (ceil_mode ? s - 1 : 0), s) + 1;
  if (ceil_mode && (out - 1) * s >= in + pad) --out;
  return out;
}

// A per-dim argument: nsp entries, or one entry used for every dim; empty gives `dflt`.
Dims expand_arg(const std::string& op, const char* what, const Dims& v, int nsp, const Dims& dflt) {
  if (v.size() == 0) return dflt;
  AXONITE_CHECK(v.size() == 1 || v.size() == nsp, RuntimeError, op, ": ", what,
                " must be one int or ", nsp, " ints, got ", shape_str(v));
  if (v.size() == nsp) return v;
  return Dims(nsp, v[0]);
}

struct PoolArgs {
  Dims k, s, p, d;
};

PoolArgs pool_args(const std::string& op, int nsp, const Dims& kernel, const Dims& stride,
                   const Dims& padding, const Dims& dilation) {
  PoolArgs a;
  AXONITE_CHECK(kernel.size() > 0, RuntimeError, op, ": kernel_size must be given");
  a.k = expand_arg(op, "kernel_size", kernel, nsp, Dims());
  a.s = expand_arg(op, "stride", stride, nsp, a.k);
  a.p = expand_arg(op, "padding", padding, nsp, Dims(nsp, 0));
  a.d = expand_arg(op, "dilation", dilation, nsp, Dims(nsp, 1));
  for (int i = 0; i < nsp; ++i) {
    AXONITE_CHECK(
        a.k[i] > 0, RuntimeError, op,
        ": kernel size should be greater than zero, but got kernel_size=", shape_str(a.k));
    AXONITE_CHECK(a.s[i] > 0, RuntimeError, op,
                  ": stride should be greater than zero, but got stride=", shape_str(a.s));
    AXONITE_CHECK(a.d[i] > 0, RuntimeError, op,
                  ": dilation should be greater than zero, but got dilation=", shape_str(a.d));
    AXONITE_CHECK(a.p[i] >= 0 && a.p[i] <= a.k[i] / 2, RuntimeError, op,
                  ": pad should be at most half of kernel size, but got padding=", shape_str(a.p),
                  " and kernel_size=", shape_str(a.k));
  }
  return a;
}

void check_out(const std::string& op, const Tensor& xb, int nsp, const Dims& out) {
  bool ok = true;
  for (int i = 0; i < nsp; ++i) ok = ok && out[i] >= 1;
  if (ok) return;
  std::string in_s = std::to_string(xb.size(1)), out_s = in_s;
  for (int i = 0; i < nsp; ++i) {
    in_s += "x" + std::to_string(xb.size(2 + i));
    out_s += "x" + std::to_string(out[i]);
  }
  fail(ErrorKind::RuntimeError, op, ": Given input size: (", in_s, "). Calculated output size: (",
       out_s, "). Output size is too small");
}

// The leading (N, C) of xb followed by the spatial sizes sp.
Dims with_lead(const Tensor& xb, const Dims& sp) {
  Dims d{xb.size(0), xb.size(1)};
  for (int64_t v : sp) d.push_back(v);
  return d;
}

cpu::PoolAxis unit_pool_axis() {
  cpu::PoolAxis a;
  a.k = a.s = 1;
  a.first = {0};
  a.cnt = {1};
  return a;
}

cpu::PoolAxis max_axis(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  cpu::PoolAxis a;
  a.in = in;
  a.out = pool_out(in, k, s, p, d, ceil_mode);
  a.dil = d;
  a.k = k;
  a.s = s;
  a.start0 = -p;
  for (int64_t o = 0; o < a.out; ++o) {
    const int64_t start = o * s - p;
    int64_t f = start;
    if (f < 0) f += (-f + d - 1) / d * d;
    const int64_t end = std::min(start + (k - 1) * d + 1, in);
    a.first.push_back(f);
    a.cnt.push_back(f < end ? (end - f + d - 1) / d : 0);
  }
  return a;
}

cpu::LinAxis unit_lin_axis() {
  cpu::LinAxis a;
  a.first = {0};
  a.cnt = {1};
  a.off = {0};
  a.w = {1.0};
  return a;
}

void push_uniform(cpu::LinAxis& a, int64_t first, int64_t cnt, double w) {
  a.first.push_back(first);
  a.cnt.push_back(cnt);
  a.off.push_back(static_cast<int64_t>(a.w.size()));
  for (int64_t t = 0; t < cnt; ++t) a.w.push_back(w);
}

// Average pooling along one axis: the divisor is separable (a product of per-axis counts).
cpu::LinAxis avg_axis(int64_t in, int64_t k, int64_t s, int64_t p, bool ceil_mode,
                      bool count_include_pad, bool unit_weights) {
  cpu::LinAxis a;
  a.in = in;
  a.out = pool_out(in, k, s, p, 1, ceil_mode);
  for (int64_t o = 0; o < a.out; ++o) {
    const int64_t start = o * s - p, end = std::min(start + k, in + p);
    const int64_t cs = std::max<int64_t>(start, 0), ce = std::min(end, in);
    const int64_t cnt = std::max<int64_t>(ce - cs, 0);
    const int64_t div = count_include_pad ? end - start : cnt;
    push_uniform(a, cs, cnt, unit_weights ? 1.0 : 1.0 / static_cast<double>(div));
  }
  return a;
}

int64_t adaptive_start(int64_t o, int64_t in, int64_t out) { return o * in / out; }
int64_t adaptive_end(int64_t o, int64_t in, int64_t out) { return ((o + 1) * in + out - 1) / out; }

cpu::LinAxis adaptive_avg_axis(int64_t in, int64_t out) {
  cpu::LinAxis a;
  a.in = in;
  a.out = out;
  for (int64_t o = 0; o < out; ++o) {
    const int64_t b = adaptive_start(o, in, out), e = adaptive_end(o, in, out);
    push_uniform(a, b, e - b, 1.0 / static_cast<double>(e - b));
  }
  return a;
}

cpu::PoolAxis adaptive_max_axis(int64_t in, int64_t out) {
  cpu::PoolAxis a;
  a.in = in;
  a.out = out;
  if (out > 0 && in % out == 0) a.k = a.s = in / out;  // regular: windows tile the input
  for (int64_t o = 0; o < out; ++o) {
    const int64_t b = adaptive_start(o, in, out), e = adaptive_end(o, in, out);
    a.first.push_back(b);
    a.cnt.push_back(e - b);
  }
  return a;
}

// Also size-checks the whole output (N, C, *output_size): the adaptive maps and the unpool
// scatter cost O(output size) before any allocation would refuse it (Note [Allocation size
// checks]), so 2**40 columns must fail here rather than hang building tables.
Dims check_output_size(const std::string& op, const Tensor& xb, const Dims& output_size, int nsp) {
  AXONITE_CHECK(output_size.size() == nsp, RuntimeError, op, ": output_size must have ", nsp,
                " entries, got ", shape_str(output_size));
  for (int64_t v : output_size)
    AXONITE_CHECK(v >= 0, RuntimeError, op, ": output_size must be non-negative, got ",
                  shape_str(output_size));
  checked_nbytes(with_lead(xb, output_size), itemsize(xb.dtype()), op.c_str());
  return output_size;
}

// Names of the recorded nodes, per spatial rank.
const char* const kMaxNames[3] = {"MaxPool1DWithIndicesBackward0", "MaxPool2DWithIndicesBackward0",
                                  "MaxPool3DWithIndicesBackward0"};
const char* const kMinNames[3] = {"MinPool1DWithIndicesBackward0", "MinPool2DWithIndicesBackward0",
                                  "MinPool3DWithIndicesBackward0"};
const char* const kAdaMaxNames[3] = {"AdaptiveMaxPool1DBackward0", "AdaptiveMaxPool2DBackward0",
                                     "AdaptiveMaxPool3DBackward0"};
const char* const kAvgNames[3] = {"AvgPool1DBackward0", "AvgPool2DBackward0", "AvgPool3DBackward0"};
const char* const kAdaAvgNames[3] = {"AdaptiveAvgPool1DBackward0", "AdaptiveAvgPool2DBackward0",
                                     "AdaptiveAvgPool3DBackward0"};

// Runs the max/min kernel over xb (N, C, *) with the three axes; records the index scatter.
TensorList run_max(const Tensor& xb, int nsp, const cpu::PoolAxis* axes, bool is_min,
                   bool return_indices, const char* name) {
  Dims osz;
  for (int i = 3 - nsp; i < 3; ++i) osz.push_back(axes[i].out);
  osz = with_lead(xb, osz);
  const int64_t P = xb.size(0) * xb.size(1);
  const int64_t in_plane = axes[0].in * axes[1].in * axes[2].in;
  const int64_t out_plane = axes[0].out * axes[1].out * axes[2].out;
  const Tensor x = contiguous(xb.detach());
  Tensor y = Tensor::empty(osz, xb.dtype());
  const bool grad = autograd::needs_grad(xb);
  Tensor idx = return_indices || grad ? Tensor::empty(osz, DType::Int64) : Tensor();
  dispatch_floating(xb.dtype(), name, [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::pool_kernels<T>().max_pool_forward(x.data<T>(), y.data<T>(), idx.data_or_null<int64_t>(),
                                            P, axes, is_min);
  });
  if (grad) {
    autograd::record(
        name, {xb}, y, [idx, xs = xb.sizes(), P, in_plane, out_plane, name](const Tensor& g) {
          if (autograd::grad_enabled()) {
            const Tensor z = zeros(Dims{P, in_plane}, g.dtype());
            const Tensor gx =
                scatter_add(z, 1, reshape(idx, Dims{P, out_plane}), reshape(g, Dims{P, out_plane}));
            return TensorList{reshape(gx, xs)};
          }
          const Tensor gc = contiguous(g);
          Tensor gx = Tensor::empty(xs, g.dtype());
          dispatch_floating(g.dtype(), name, [&](auto tag) {
            using T = typename decltype(tag)::type;
            cpu::pool_kernels<T>().max_pool_backward(gc.data<T>(), idx.data<int64_t>(),
                                                     gx.data<T>(), P, in_plane, out_plane);
          });
          return TensorList{gx};
        });
  }
  return {y, return_indices ? idx : Tensor()};
}

TensorList unbatch(TensorList ts, bool unbatched) {
  if (unbatched)
    for (Tensor& t : ts)
      if (t.defined()) t = squeeze(t, 0);
  return ts;
}

}  // namespace

namespace detail {

std::string op_name(const char* base, int nsp) {
  return std::string(base) + std::to_string(nsp) + "d";
}

Tensor batched_input(const Tensor& input, int nsp, const std::string& op) {
  AXONITE_CHECK(is_floating(input.dtype()), TypeError, op,
                ": expected a floating-point input, got ", dtype_name(input.dtype()));
  const int nd = input.dim();
  AXONITE_CHECK(nd == nsp + 1 || nd == nsp + 2, RuntimeError, op, ": expected ", nsp + 1, "D ",
                layout(nsp, false), " or ", nsp + 2, "D ", layout(nsp, true), " input, got shape ",
                shape_str(input.sizes()));
  for (int i = nd == nsp + 2 ? 1 : 0; i < nd; ++i)
    AXONITE_CHECK(input.size(i) > 0, RuntimeError, op,
                  ": expected input with non-zero sizes in all non-batch dims, got shape ",
                  shape_str(input.sizes()));
  return nd == nsp + 1 ? unsqueeze(input, 0) : input;
}

Tensor resample(const Tensor& x, int nsp, const std::shared_ptr<const cpu::LinMap>& map,
                bool adjoint, const char* name) {
  Dims osz;
  int64_t P = 1;
  for (int i = 0; i < x.dim() - nsp; ++i) {
    osz.push_back(x.size(i));
    P *= x.size(i);
  }
  for (int i = 3 - nsp; i < 3; ++i) {
    const cpu::LinAxis& a = map->axis[i];
    AXONITE_ASSERT(x.size(x.dim() - 3 + i) == (adjoint ? a.out : a.in));
    osz.push_back(adjoint ? a.in : a.out);
  }
  const Tensor xc = contiguous(x.detach());
  Tensor y = Tensor::empty(osz, x.dtype());
  dispatch_floating(x.dtype(), name, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto& k = cpu::pool_kernels<T>();
    if (adjoint) {
      k.resample_adjoint(xc.data<T>(), y.data<T>(), P, *map);
    } else {
      k.resample_forward(xc.data<T>(), y.data<T>(), P, *map);
    }
  });
  if (autograd::needs_grad(x)) {
    autograd::record(name, {x}, y, [nsp, map, adjoint, name](const Tensor& g) {
      return TensorList{resample(g, nsp, map, !adjoint, name)};
    });
  }
  return y;
}

}  // namespace detail

TensorList max_pool(const Tensor& input, int nsp, const Dims& kernel_size, const Dims& stride,
                    const Dims& padding, const Dims& dilation, bool ceil_mode, bool is_min,
                    bool return_indices) {
  check_nsp(nsp, is_min ? "min_pool" : "max_pool");
  const std::string op = detail::op_name(is_min ? "min_pool" : "max_pool", nsp);
  const Tensor xb = detail::batched_input(input, nsp, op);
  const PoolArgs a = pool_args(op, nsp, kernel_size, stride, padding, dilation);
  cpu::PoolAxis axes[3] = {unit_pool_axis(), unit_pool_axis(), unit_pool_axis()};
  Dims out;
  for (int j = 0; j < nsp; ++j) {
    axes[3 - nsp + j] = max_axis(xb.size(2 + j), a.k[j], a.s[j], a.p[j], a.d[j], ceil_mode);
    out.push_back(axes[3 - nsp + j].out);
  }
  check_out(op, xb, nsp, out);
  return unbatch(
      run_max(xb, nsp, axes, is_min, return_indices, (is_min ? kMinNames : kMaxNames)[nsp - 1]),
      xb.dim() != input.dim());
}

Tensor avg_pool(const Tensor& input, int nsp, const Dims& kernel_size, const Dims& stride,
                const Dims& padding, bool ceil_mode, bool count_include_pad,
                std::optional<int64_t> divisor_override) {
  check_nsp(nsp, "avg_pool");
  const std::string op = detail::op_name("avg_pool", nsp);
  const Tensor xb = detail::batched_input(input, nsp, op);
  const PoolArgs a = pool_args(op, nsp, kernel_size, stride, padding, Dims());
  AXONITE_CHECK(!divisor_override || *divisor_override != 0, RuntimeError, op,
                ": divisor must be not zero");
  auto map = std::make_shared<cpu::LinMap>();
  map->axis[0] = map->axis[1] = map->axis[2] = unit_lin_axis();
  Dims out;
  for (int j = 0; j < nsp; ++j) {
    cpu::LinAxis& ax = map->axis[3 - nsp + j];
    ax = avg_axis(xb.size(2 + j), a.k[j], a.s[j], a.p[j], ceil_mode, count_include_pad,
                  divisor_override.has_value());
    out.push_back(ax.out);
  }
  check_out(op, xb, nsp, out);
  if (divisor_override) {  // one W tap per product term: the divisor goes on the W weights
    for (double& w : map->axis[2].w) w = 1.0 / static_cast<double>(*divisor_override);
  }
  const Tensor y = detail::resample(xb, nsp, map, false, kAvgNames[nsp - 1]);
  return xb.dim() != input.dim() ? squeeze(y, 0) : y;
}

Tensor adaptive_avg_pool(const Tensor& input, int nsp, const Dims& output_size) {
  check_nsp(nsp, "adaptive_avg_pool");
  const std::string op = detail::op_name("adaptive_avg_pool", nsp);
  const Tensor xb = detail::batched_input(input, nsp, op);
  check_output_size(op, xb, output_size, nsp);
  auto map = std::make_shared<cpu::LinMap>();
  map->axis[0] = map->axis[1] = map->axis[2] = unit_lin_axis();
  for (int j = 0; j < nsp; ++j)
    map->axis[3 - nsp + j] = adaptive_avg_axis(xb.size(2 + j), output_size[j]);
  const Tensor y = detail::resample(xb, nsp, map, false, kAdaAvgNames[nsp - 1]);
  return xb.dim() != input.dim() ? squeeze(y, 0) : y;
}

TensorList adaptive_max_pool(const Tensor& input, int nsp, const Dims& output_size,
                             bool return_indices) {
  check_nsp(nsp, "adaptive_max_pool");
  const std::string op = detail::op_name("adaptive_max_pool", nsp);
  const Tensor xb = detail::batched_input(input, nsp, op);
  check_output_size(op, xb, output_size, nsp);
  cpu::PoolAxis axes[3] = {unit_pool_axis(), unit_pool_axis(), unit_pool_axis()};
  for (int j = 0; j < nsp; ++j)
    axes[3 - nsp + j] = adaptive_max_axis(xb.size(2 + j), output_size[j]);
  return unbatch(run_max(xb, nsp, axes, false, return_indices, kAdaMaxNames[nsp - 1]),
                 xb.dim() != input.dim());
}

Tensor max_unpool(const Tensor& input, const Tensor& indices, int nsp, const Dims& output_size) {
  check_nsp(nsp, "max_unpool");
  const std::string op = detail::op_name("max_unpool", nsp);
  const Tensor xb = detail::batched_input(input, nsp, op);
  AXONITE_CHECK(indices.dtype() == DType::Int64, TypeError, op,
                ": expected indices of dtype int64, got ", dtype_name(indices.dtype()));
  AXONITE_CHECK(indices.sizes() == input.sizes(), RuntimeError, op,
                ": expected indices of the input's shape ", shape_str(input.sizes()),
                ", got shape ", shape_str(indices.sizes()));
  check_output_size(op, xb, output_size, nsp);
  const int64_t P = xb.size(0) * xb.size(1), out_plane = numel_of(output_size);
  const int64_t in_plane = P > 0 ? xb.numel() / P : 0;
  const Tensor ic = contiguous(indices);
  const int64_t* ip = ic.data<int64_t>();
  for (int64_t i = 0; i < ic.numel(); ++i)
    AXONITE_CHECK(
        ip[i] >= 0 && ip[i] < out_plane, RuntimeError, op, ": Found an invalid max index: ", ip[i],
        " (output volumes are of size ",
        [&] {
          std::string s;
          for (int j = 0; j < nsp; ++j) s += (j ? "x" : "") + std::to_string(output_size[j]);
          return s;
        }(),
        ")");
  const Tensor out = scatter(zeros(Dims{P, out_plane}, input.dtype()), 1,
                             reshape(ic, Dims{P, in_plane}), reshape(xb, Dims{P, in_plane}));
  const Tensor y = reshape(out, with_lead(xb, output_size));
  return xb.dim() != input.dim() ? squeeze(y, 0) : y;
}

}  // namespace ax
