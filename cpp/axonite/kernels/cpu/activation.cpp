// Run-time ISA selection for the activation, PReLU and softmax kernels, and the drivers that
// split PReLU and softmax work across threads (fixed blocks, so results are thread-count
// independent).
#include "axonite/kernels/activation.h"

#include <vector>

#include "axonite/core/cpu_features.h"
#include "axonite/core/parallel.h"

namespace ax::cpu {

// Declared here, defined by the per-ISA translation units (activation_impl.h, softmax_impl.h).
#define AX_DECLARE_ISA(ns)                                 \
  namespace ns {                                           \
  ActForwardKernel act_forward_kernel(Act op, DType dt);   \
  ActBackwardKernel act_backward_kernel(Act op, DType dt); \
  PreluKernels prelu_kernels(DType dt);                    \
  SoftmaxKernels softmax_kernels(DType dt);                \
  }
AX_DECLARE_ISA(generic)
AX_DECLARE_ISA(avx2)
AX_DECLARE_ISA(avx512)
#undef AX_DECLARE_ISA

namespace {

// Elements per task below which splitting across threads costs more than it saves.
constexpr int64_t kGrain = 32768;
// Columns per task in the strided softmax.
constexpr int64_t kColsPerTask = 256;

template <class R, class F512, class F2, class F1>
R pick(F512 f512, F2 f2, F1 f1) {
  static const Isa isa = cpu_isa();
  if (isa == Isa::Avx512) return f512();
  if (isa == Isa::Avx2) return f2();
  return f1();
}

PreluKernels prelu_table(DType dt) {
  return pick<PreluKernels>([&] { return avx512::prelu_kernels(dt); },
                            [&] { return avx2::prelu_kernels(dt); },
                            [&] { return generic::prelu_kernels(dt); });
}

SoftmaxKernels softmax_table(DType dt) {
  return pick<SoftmaxKernels>([&] { return avx512::softmax_kernels(dt); },
                              [&] { return avx2::softmax_kernels(dt); },
                              [&] { return generic::softmax_kernels(dt); });
}

}  // namespace

ActForwardKernel act_forward_kernel(Act op, DType dt) {
  return pick<ActForwardKernel>([&] { return avx512::act_forward_kernel(op, dt); },
                                [&] { return avx2::act_forward_kernel(op, dt); },
                                [&] { return generic::act_forward_kernel(op, dt); });
}

ActBackwardKernel act_backward_kernel(Act op, DType dt) {
  return pick<ActBackwardKernel>([&] { return avx512::act_backward_kernel(op, dt); },
                                 [&] { return avx2::act_backward_kernel(op, dt); },
                                 [&] { return generic::act_backward_kernel(op, dt); });
}

// x: (N, C, S), w: (C,) -> y: (N, C, S)
void prelu_forward(DType dt, void* y, const void* x, const void* w, int64_t N, int64_t C,
                   int64_t S) {
  const PreluKernels k = prelu_table(dt);
  const int64_t es = static_cast<int64_t>(itemsize(dt));
  if (C == 1) {  // one slope: any flat split works
    parallel_for(0, N * S, kGrain, [&](int64_t b, int64_t e) {
      k.forward(static_cast<char*>(y) + b * es, static_cast<const char*>(x) + b * es, w, 1, 1,
                e - b);
    });
    return;
  }
  const int64_t row = C * S;
  const int64_t grain = kGrain / row > 1 ? kGrain / row : 1;
  parallel_for(0, N, grain, [&](int64_t b, int64_t e) {
    k.forward(static_cast<char*>(y) + b * row * es, static_cast<const char*>(x) + b * row * es, w,
              e - b, C, S);
  });
}

// g, x: (N, C, S), w: (C,) -> gx: (N, C, S), gw: (C,)
void prelu_backward(DType dt, void* gx, void* gw, const void* g, const void* x, const void* w,
                    int64_t N, int64_t C, int64_t S) {
  const PreluKernels k = prelu_table(dt);
  const int64_t es = static_cast<int64_t>(itemsize(dt));
  // Fixed blocks (by element count, never by thread count), each with its own partial sums.
  const bool flat = C == 1;
  const int64_t units = flat ? N * S : N;  // flat elements, or rows of C * S
  const int64_t unit_elems = flat ? 1 : C * S;
  int64_t per_block = kGrain / unit_elems;
  if (per_block < 1) per_block = 1;
  const int64_t blocks = units == 0 ? 0 : (units + per_block - 1) / per_block;
  std::vector<double> partial(static_cast<size_t>(blocks * C), 0.0);
  parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t u0 = b * per_block, u1 = u0 + per_block < units ? u0 + per_block : units;
      const int64_t off = u0 * unit_elems * es;
      double* acc = partial.data() + b * C;
      if (flat) {
        k.backward(static_cast<char*>(gx) + off, acc, static_cast<const char*>(g) + off,
                   static_cast<const char*>(x) + off, w, 1, 1, u1 - u0);
      } else {
        k.backward(static_cast<char*>(gx) + off, acc, static_cast<const char*>(g) + off,
                   static_cast<const char*>(x) + off, w, u1 - u0, C, S);
      }
    }
  });
  std::vector<double> total(static_cast<size_t>(C), 0.0);
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t c = 0; c < C; ++c) total[c] += partial[b * C + c];
  for (int64_t c = 0; c < C; ++c) {
    if (dt == DType::Float64)
      static_cast<double*>(gw)[c] = total[c];
    else
      static_cast<float*>(gw)[c] = static_cast<float>(total[c]);
  }
}

// x: (outer, D, inner) -> y: same shape
void softmax_forward(DType dt, void* y, const void* x, int64_t outer, int64_t D, int64_t inner,
                     bool log) {
  const SoftmaxKernels k = softmax_table(dt);
  const int64_t es = static_cast<int64_t>(itemsize(dt));
  if (outer * D * inner == 0) return;
  if (inner == 1) {
    const int64_t grain = kGrain / D > 1 ? kGrain / D : 1;
    parallel_for(0, outer, grain, [&](int64_t b, int64_t e) {
      k.rows(static_cast<char*>(y) + b * D * es, static_cast<const char*>(x) + b * D * es, e - b, D,
             log);
    });
    return;
  }
  const int64_t nblk = (inner + kColsPerTask - 1) / kColsPerTask;
  const int64_t task_elems = D * (inner < kColsPerTask ? inner : kColsPerTask);
  const int64_t grain = kGrain / task_elems > 1 ? kGrain / task_elems : 1;
  parallel_for(0, outer * nblk, grain, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / nblk, i0 = (t % nblk) * kColsPerTask;
      const int64_t w = inner - i0 < kColsPerTask ? inner - i0 : kColsPerTask;
      const int64_t off = (o * D * inner + i0) * es;
      k.cols(static_cast<char*>(y) + off, static_cast<const char*>(x) + off, D, inner, w, log);
    }
  });
}

// g, y: (outer, D, inner) -> gx: same shape
void softmax_backward(DType dt, void* gx, const void* g, const void* y, int64_t outer, int64_t D,
                      int64_t inner, bool log) {
  const SoftmaxKernels k = softmax_table(dt);
  const int64_t es = static_cast<int64_t>(itemsize(dt));
  if (outer * D * inner == 0) return;
  if (inner == 1) {
    const int64_t grain = kGrain / D > 1 ? kGrain / D : 1;
    parallel_for(0, outer, grain, [&](int64_t b, int64_t e) {
      const int64_t off = b * D * es;
      k.rows_backward(static_cast<char*>(gx) + off, static_cast<const char*>(g) + off,
                      static_cast<const char*>(y) + off, e - b, D, log);
    });
    return;
  }
  const int64_t nblk = (inner + kColsPerTask - 1) / kColsPerTask;
  const int64_t task_elems = D * (inner < kColsPerTask ? inner : kColsPerTask);
  const int64_t grain = kGrain / task_elems > 1 ? kGrain / task_elems : 1;
  parallel_for(0, outer * nblk, grain, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / nblk, i0 = (t % nblk) * kColsPerTask;
      const int64_t w = inner - i0 < kColsPerTask ? inner - i0 : kColsPerTask;
      const int64_t off = (o * D * inner + i0) * es;
      k.cols_backward(static_cast<char*>(gx) + off, static_cast<const char*>(g) + off,
                      static_cast<const char*>(y) + off, D, inner, w, log);
    }
  });
}

}  // namespace ax::cpu
