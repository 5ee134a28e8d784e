// Embedding: a row gather forward and a scatter-add backward (kernels/normalization.h). The
// backward pair is closed under differentiation: embedding_dense_backward (scatter, padding
// rows skipped, optional 1/frequency scale) and the masked gather are each other's adjoints, so
// gradients of any order work. Also embedding_renorm_ for max_norm.
#include "axonite/ops/embedding.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "axonite/autograd/record.h"
#include "axonite/kernels/normalization.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"

namespace ax {
namespace {

// Contiguous int64 indices, each checked to lie in [0, V).
Tensor checked_indices(const Tensor& idx, int64_t V, const char* op) {
  AXONITE_CHECK(idx.dtype() == DType::Int64, RuntimeError, op,
                ": expected argument 'indices' to have dtype int64 (Long), but got ",
                dtype_name(idx.dtype()));
  Tensor c = contiguous(idx.detach());
  const int64_t* p = c.data<int64_t>();
  for (int64_t i = 0; i < c.numel(); ++i)
    AXONITE_CHECK(p[i] >= 0 && p[i] < V, IndexError, op, ": index ", p[i],
                  " is out of range for num_embeddings=", V, " (expected 0 <= index < ", V, ")");
  return c;
}

// 1 / (occurrences of idx[i] among all indices), as PyTorch's scale_grad_by_freq.
std::vector<double> freq_scale(const int64_t* idx, int64_t n, int64_t V) {
  std::vector<int64_t> count(static_cast<size_t>(V), 0);
  for (int64_t i = 0; i < n; ++i) ++count[idx[i]];
  std::vector<double> scale(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) scale[i] = 1.0 / static_cast<double>(count[idx[i]]);
  return scale;
}

Dims with_last(const Dims& lead, int64_t d) {
  Dims s = lead;
  s.push_back(d);
  return s;
}

Tensor masked_gather(const Tensor& w, const Tensor& idx, int64_t pad, bool freq);

// Shared by the dense backward and its adjoint: what to skip and how to scale.
struct ScatterSpec {
  Tensor idx;  // contiguous int64, checked
  int64_t V, pad;
  bool freq;
};

Tensor dense_backward_impl(const Tensor& g, const ScatterSpec& sp) {
  const int64_t n = sp.idx.numel(), D = g.dim() > 0 ? g.sizes()[g.dim() - 1] : 1;
  Tensor gw = zeros(Dims{sp.V, D}, g.dtype());
  const Tensor gc = contiguous(g.detach());
  const int64_t* ip = sp.idx.data<int64_t>();
  const std::vector<double> scale = sp.freq ? freq_scale(ip, n, sp.V) : std::vector<double>();
  dispatch_floating(g.dtype(), "embedding_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::norm_kernels<T>().embedding_scatter(gc.data<T>(), D, ip, sp.freq ? scale.data() : nullptr,
                                             n, D, sp.V, sp.pad, gw.data<T>());
  });
  if (autograd::needs_grad(g)) {
    autograd::record("EmbeddingDenseBackward0", {g}, gw, [sp](const Tensor& gg) {
      return TensorList{masked_gather(gg, sp.idx, sp.pad, sp.freq)};
    });
  }
  return gw;
}

// Gathers rows of w: (V, D) at idx -> (*idx.shape, D); with `masked`, rows at pad are zero and
// rows are scaled by 1/frequency when freq (the adjoint of dense_backward_impl).
Tensor gather_impl(const Tensor& w, const Tensor& idx, int64_t pad, bool freq, bool masked) {
  const int64_t V = w.size(0), D = w.size(1), n = idx.numel();
  const Tensor wc = w.strides()[1] == 1 ? w.detach() : contiguous(w.detach());
  Tensor out = Tensor::empty(with_last(idx.sizes(), D), w.dtype());
  const int64_t* ip = idx.data<int64_t>();
  dispatch_floating(w.dtype(), "embedding", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* op = out.data<T>();
    cpu::norm_kernels<T>().embedding_gather(wc.data<T>(), wc.strides()[0], ip, n, D, op);
    if (masked && (pad >= 0 || freq)) {
      const std::vector<double> scale = freq ? freq_scale(ip, n, V) : std::vector<double>();
      for (int64_t i = 0; i < n; ++i) {
        const T sc = ip[i] == pad ? T(0) : freq ? static_cast<T>(scale[i]) : T(1);
        if (sc != T(1))
          for (int64_t d = 0; d < D; ++d) op[i * D + d] *= sc;
      }
    }
  });
  if (autograd::needs_grad(w)) {
    const ScatterSpec sp{idx, V, pad, freq};
    autograd::SavedTensor si(idx, false);
    autograd::record(masked ? "EmbeddingDenseBackwardBackward0" : "EmbeddingBackward0", {w}, out,
                     [sp, si](const Tensor& g) {
                       ScatterSpec s2 = sp;
                       s2.idx = si.unpack();
                       return TensorList{dense_backward_impl(g, s2)};
                     });
  }
  return out;
}

Tensor masked_gather(const Tensor& w, const Tensor& idx, int64_t pad, bool freq) {
  return gather_impl(w, idx, pad, freq, true);
}

void check_weight(const Tensor& weight, const char* op) {
  AXONITE_CHECK(weight.dim() == 2, RuntimeError, op, ": 'weight' must be 2-D, got shape ",
                shape_str(weight.sizes()));
  AXONITE_CHECK(is_floating(weight.dtype()), TypeError, op,
                ": expected a floating-point weight, got ", dtype_name(weight.dtype()));
}

}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx,
                 bool scale_grad_by_freq) {
  check_weight(weight, "embedding");
  const int64_t V = weight.size(0);
  AXONITE_CHECK(padding_idx < V, ValueError, "embedding: padding_idx (", padding_idx,
                ") must be within num_embeddings (", V, ")");
  const Tensor idx = checked_indices(indices, V, "embedding");
  return gather_impl(weight, idx, padding_idx < 0 ? -1 : padding_idx, scale_grad_by_freq, false);
}

Tensor embedding_dense_backward(const Tensor& grad, const Tensor& indices, int64_t num_weights,
                                int64_t padding_idx, bool scale_grad_by_freq) {
  AXONITE_CHECK(is_floating(grad.dtype()), TypeError,
                "embedding_dense_backward: expected a floating-point grad, got ",
                dtype_name(grad.dtype()));
  const Tensor idx = checked_indices(indices, num_weights, "embedding_dense_backward");
  const int64_t D = grad.dim() > 0 ? grad.sizes()[grad.dim() - 1] : 0;
  AXONITE_CHECK(grad.dim() == indices.dim() + 1 && grad.numel() == idx.numel() * D, RuntimeError,
                "embedding_dense_backward: grad of shape ", shape_str(grad.sizes()),
                " does not match indices of shape ", shape_str(indices.sizes()));
  return dense_backward_impl(
      grad, {idx, num_weights, padding_idx < 0 ? -1 : padding_idx, scale_grad_by_freq});
}

Tensor embedding_renorm_(const Tensor& weight, const Tensor& indices, double max_norm,
                         double norm_type) {
  check_weight(weight, "embedding_renorm_");
  AXONITE_CHECK(max_norm >= 0.0, ValueError, "embedding_renorm_: max_norm must be >= 0, got ",
                max_norm);
  const Tensor idx = checked_indices(indices, weight.size(0), "embedding_renorm_");
  std::vector<int64_t> rows(idx.data<int64_t>(), idx.data<int64_t>() + idx.numel());
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  const int64_t D = weight.size(1), rs = weight.strides()[0], cs = weight.strides()[1];
  dispatch_floating(weight.dtype(), "embedding_renorm_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* w = weight.data<T>();
    for (const int64_t r : rows) {
      T* row = w + r * rs;
      double norm = 0;
      if (std::isinf(norm_type)) {
        for (int64_t d = 0; d < D; ++d) norm = std::max(norm, std::abs(double(row[d * cs])));
      } else if (norm_type == 1.0) {
        for (int64_t d = 0; d < D; ++d) norm += std::abs(double(row[d * cs]));
      } else if (norm_type == 2.0) {
        for (int64_t d = 0; d < D; ++d) norm += double(row[d * cs]) * double(row[d * cs]);
        norm = std::sqrt(norm);
      } else {
        for (int64_t d = 0; d < D; ++d) norm += std::pow(std::abs(double(row[d * cs])), norm_type);
        norm = std::pow(norm, 1.0 / norm_type);
      }
      if (norm > max_norm) {
        const double scale = max_norm / (norm + 1e-7);
        for (int64_t d = 0; d < D; ++d) row[d * cs] = static_cast<T>(row[d * cs] * scale);
      }
    }
  });
  weight.bump_version();
  return weight;
}

}  // namespace ax
