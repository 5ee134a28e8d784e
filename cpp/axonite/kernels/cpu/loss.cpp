// Run-time ISA selection of the loss kernels (loss_impl.h compiled per ISA), plus the cheap
// target checks and the nll gather/scatter, which are memory-bound and need no SIMD variants.
#include "axonite/kernels/loss.h"

#include <algorithm>
#include <cstring>

#include "axonite/core/cpu_features.h"
#include "axonite/core/parallel.h"

namespace ax::cpu {

#define AX_DECLARE_ISA(ns)                                                                 \
  namespace ns {                                                                           \
  void cross_entropy_forward(DType dt, const ClassLossArgs& a, void* loss, void* stats);   \
  void cross_entropy_backward(DType dt, const ClassLossArgs& a, const void* stats,         \
                              const void* grad, bool grad_scalar, double scale, void* gx); \
  int pointwise_loss_forward(PointwiseLoss k, DType dt, const PointwiseArgs& a, void* out, \
                             double* sum);                                                 \
  void pointwise_loss_backward(PointwiseLoss k, DType dt, const PointwiseArgs& a,          \
                               const void* grad, bool grad_scalar, double scale, void* gx, \
                               void* gy);                                                  \
  }
AX_DECLARE_ISA(generic)
AX_DECLARE_ISA(avx2)
AX_DECLARE_ISA(avx512)
#undef AX_DECLARE_ISA

namespace {

template <class T>
int64_t check_targets(const ClassLossArgs& a, double* total_weight) {
  const T* w = static_cast<const T*>(a.weight);
  const int64_t m = a.n * a.d;
  double tw = 0;
  for (int64_t i = 0; i < m; ++i) {
    const int64_t t = a.target[i];
    if (t == a.ignore_index) continue;
    if (t < 0 || t >= a.c) return i;
    tw += w ? static_cast<double>(w[t]) : 1.0;
  }
  *total_weight = tw;
  return -1;
}

// x: (N, C, D) -> loss: (N, D) = -w_t x[n, t, d].
template <class T>
void nll_forward(const ClassLossArgs& a, T* loss) {
  const T* x = static_cast<const T*>(a.x);
  const T* w = static_cast<const T*>(a.weight);
  const int64_t C = a.c, D = a.d;
  for (int64_t n = 0; n < a.n; ++n) {
    for (int64_t j = 0; j < D; ++j) {
      const int64_t p = n * D + j, t = a.target[p];
      loss[p] = t == a.ignore_index ? T(0) : -(w ? w[t] : T(1)) * x[(n * C + t) * D + j];
    }
  }
}

template <class T>
void nll_backward(const ClassLossArgs& a, const T* g, bool g_scalar, T scale, T* gx) {
  const T* w = static_cast<const T*>(a.weight);
  const int64_t C = a.c, D = a.d, per_n = C * D;
  parallel_for(0, a.n, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, per_n)),
               [&](int64_t n0, int64_t n1) {
                 std::memset(gx + n0 * per_n, 0, sizeof(T) * (n1 - n0) * per_n);
                 for (int64_t n = n0; n < n1; ++n) {
                   for (int64_t j = 0; j < D; ++j) {
                     const int64_t p = n * D + j, t = a.target[p];
                     if (t == a.ignore_index) continue;
                     const T s = (g_scalar ? g[0] : g[p]) * scale;
                     gx[(n * C + t) * D + j] = -s * (w ? w[t] : T(1));
                   }
                 }
               });
}

}  // namespace

int64_t check_class_targets(DType dt, const ClassLossArgs& a, double* total_weight) {
  return dt == DType::Float64 ? check_targets<double>(a, total_weight)
                              : check_targets<float>(a, total_weight);
}

void nll_loss_forward(DType dt, const ClassLossArgs& a, void* loss) {
  if (dt == DType::Float64)
    nll_forward<double>(a, static_cast<double*>(loss));
  else
    nll_forward<float>(a, static_cast<float*>(loss));
}

void nll_loss_backward(DType dt, const ClassLossArgs& a, const void* grad, bool grad_scalar,
                       double scale, void* gx) {
  if (dt == DType::Float64)
    nll_backward<double>(a, static_cast<const double*>(grad), grad_scalar, scale,
                         static_cast<double*>(gx));
  else
    nll_backward<float>(a, static_cast<const float*>(grad), grad_scalar, static_cast<float>(scale),
                        static_cast<float*>(gx));
}

void cross_entropy_forward(DType dt, const ClassLossArgs& a, void* loss, void* stats) {
  static const Isa isa = cpu_isa();
  if (isa == Isa::Avx512) return avx512::cross_entropy_forward(dt, a, loss, stats);
  if (isa == Isa::Avx2) return avx2::cross_entropy_forward(dt, a, loss, stats);
  generic::cross_entropy_forward(dt, a, loss, stats);
}

void cross_entropy_backward(DType dt, const ClassLossArgs& a, const void* stats, const void* grad,
                            bool grad_scalar, double scale, void* gx) {
  static const Isa isa = cpu_isa();
  if (isa == Isa::Avx512)
    return avx512::cross_entropy_backward(dt, a, stats, grad, grad_scalar, scale, gx);
  if (isa == Isa::Avx2)
    return avx2::cross_entropy_backward(dt, a, stats, grad, grad_scalar, scale, gx);
  generic::cross_entropy_backward(dt, a, stats, grad, grad_scalar, scale, gx);
}

int pointwise_loss_forward(PointwiseLoss k, DType dt, const PointwiseArgs& a, void* out,
                           double* sum) {
  static const Isa isa = cpu_isa();
  if (isa == Isa::Avx512) return avx512::pointwise_loss_forward(k, dt, a, out, sum);
  if (isa == Isa::Avx2) return avx2::pointwise_loss_forward(k, dt, a, out, sum);
  return generic::pointwise_loss_forward(k, dt, a, out, sum);
}

void pointwise_loss_backward(PointwiseLoss k, DType dt, const PointwiseArgs& a, const void* grad,
                             bool grad_scalar, double scale, void* gx, void* gy) {
  static const Isa isa = cpu_isa();
  if (isa == Isa::Avx512)
    return avx512::pointwise_loss_backward(k, dt, a, grad, grad_scalar, scale, gx, gy);
  if (isa == Isa::Avx2)
    return avx2::pointwise_loss_backward(k, dt, a, grad, grad_scalar, scale, gx, gy);
  generic::pointwise_loss_backward(k, dt, a, grad, grad_scalar, scale, gx, gy);
}

}  // namespace ax::cpu
