// Multi-tensor driver for the optimizer kernels: spreads the pieces of a whole parameter group
// over threads by total element count, and picks the ISA table (optim_impl.h) once.
// Norms are reduced over fixed-size blocks combined in block order, so they do not depend on
// the thread count.
#include "axonite/kernels/optim.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "axonite/core/cpu_features.h"
#include "axonite/core/parallel.h"

namespace ax::cpu {
namespace {

// Elements per thread below which splitting a group costs more than it saves.
constexpr int64_t kOptimGrain = 16384;
// Norm partials are taken over blocks of this many elements.
constexpr int64_t kNormBlock = 8192;

const OptimKernels& kernels() {
  static const OptimKernels& k = [&]() -> const OptimKernels& {
    const Isa isa = cpu_isa();
    if (isa == Isa::Avx512) return avx512::optim_kernels();
    if (isa == Isa::Avx2) return avx2::optim_kernels();
    return generic::optim_kernels();
  }();
  return k;
}

// Calls f(i, b, e) for pieces [b, e) of tensor i covering all elements of all tensors; the
// threads split the concatenation of the tensors, so many small tensors and one large tensor
// parallelize alike.
template <class F>
void for_each_piece(const MultiTensor& mt, const F& f) {
  std::vector<int64_t> start(mt.count + 1, 0);
  for (int64_t i = 0; i < mt.count; ++i) start[i + 1] = start[i] + mt.numel[i];
  parallel_for(0, start[mt.count], kOptimGrain, [&](int64_t lo, int64_t hi) {
    int64_t i = std::upper_bound(start.begin(), start.end(), lo) - start.begin() - 1;
    while (lo < hi) {
      const int64_t end = std::min(hi, start[i + 1]);
      if (end > lo) f(i, lo - start[i], end - start[i]);
      lo = end;
      ++i;
    }
  });
}

// Combines two block partials of a p-norm (NaN wins for max/min, as in the sums).
double combine(double a, double b, double p) {
  if (std::isnan(a) || std::isnan(b)) return NAN;
  if (std::isinf(p)) return p > 0 ? std::max(a, b) : std::min(a, b);
  return a + b;
}

double finish(double s, double p) {
  if (std::isinf(p) || p == 0 || p == 1) return s;
  if (p == 2) return std::sqrt(s);
  return std::pow(s, 1.0 / p);
}

}  // namespace

void sgd_update(const MultiTensor& mt, const SgdArgs& a) {
  const auto k = kernels().sgd;
  for_each_piece(mt, [&](int64_t i, int64_t b, int64_t e) { k(mt, a, i, b, e); });
}

void adam_update(const MultiTensor& mt, const AdamArgs& a) {
  const auto k = kernels().adam;
  for_each_piece(mt, [&](int64_t i, int64_t b, int64_t e) { k(mt, a, i, b, e); });
}

void nadam_update(const MultiTensor& mt, const NadamArgs& a) {
  const auto k = kernels().nadam;
  for_each_piece(mt, [&](int64_t i, int64_t b, int64_t e) { k(mt, a, i, b, e); });
}

void adagrad_update(const MultiTensor& mt, const AdagradArgs& a) {
  const auto k = kernels().adagrad;
  for_each_piece(mt, [&](int64_t i, int64_t b, int64_t e) { k(mt, a, i, b, e); });
}

void rmsprop_update(const MultiTensor& mt, const RmspropArgs& a) {
  const auto k = kernels().rmsprop;
  for_each_piece(mt, [&](int64_t i, int64_t b, int64_t e) { k(mt, a, i, b, e); });
}

void adadelta_update(const MultiTensor& mt, const AdadeltaArgs& a) {
  const auto k = kernels().adadelta;
  for_each_piece(mt, [&](int64_t i, int64_t b, int64_t e) { k(mt, a, i, b, e); });
}

void tensor_norms(const MultiTensor& mt, const void* const* x, double p, double* norms) {
  // Block j of the flattened block list belongs to tensor owner[j] at element offset first[j].
  std::vector<int64_t> block_start(mt.count + 1, 0);
  for (int64_t i = 0; i < mt.count; ++i)
    block_start[i + 1] = block_start[i] + (mt.numel[i] + kNormBlock - 1) / kNormBlock;
  const int64_t nblocks = block_start[mt.count];
  std::vector<double> partial(nblocks);
  const auto k = kernels().norm_partial;
  const size_t es = itemsize(mt.dtype);
  parallel_for(
      0, nblocks, std::max<int64_t>(1, kOptimGrain / kNormBlock), [&](int64_t lo, int64_t hi) {
        int64_t i =
            std::upper_bound(block_start.begin(), block_start.end(), lo) - block_start.begin() - 1;
        for (int64_t j = lo; j < hi; ++j) {
          while (j >= block_start[i + 1]) ++i;
          const int64_t off = (j - block_start[i]) * kNormBlock;
          const int64_t n = std::min(kNormBlock, mt.numel[i] - off);
          partial[j] = k(mt.dtype, static_cast<const char*>(x[i]) + off * es, n, p);
        }
      });
  const double empty = std::isinf(p) && p < 0 ? INFINITY : 0.0;
  for (int64_t i = 0; i < mt.count; ++i) {
    double s = empty;
    for (int64_t j = block_start[i]; j < block_start[i + 1]; ++j) s = combine(s, partial[j], p);
    norms[i] = finish(s, p);
  }
}

void scale_(const MultiTensor& mt, void* const* x, double scale) {
  const auto k = kernels().scale;
  const size_t es = itemsize(mt.dtype);
  for_each_piece(mt, [&](int64_t i, int64_t b, int64_t e) {
    k(mt.dtype, static_cast<char*>(x[i]) + b * es, e - b, scale);
  });
}

void clamp_(const MultiTensor& mt, void* const* x, double lo, double hi) {
  const auto k = kernels().clamp;
  const size_t es = itemsize(mt.dtype);
  for_each_piece(mt, [&](int64_t i, int64_t b, int64_t e) {
    k(mt.dtype, static_cast<char*>(x[i]) + b * es, e - b, lo, hi);
  });
}

}  // namespace ax::cpu
