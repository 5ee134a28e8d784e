// SIMD building blocks of the reduction kernels, compiled once per ISA (included by
// reduce_impl.h inside AX_ISA_NS): 64-byte GCC vector lanes (one zmm, two ymm or four xmm),
// the reduction operators, the elementwise maps, horizontal folds and the contiguous-run
// reducer. Everything is in an anonymous namespace: each ISA's copy stays in its own TU.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "axonite/kernels/cpu/scalar_math.h"
#include "axonite/kernels/cpu/vecmath.h"
#include "axonite/kernels/reduce.h"

#ifndef AX_ISA_NS
#error "define AX_ISA_NS before including reduce_simd.h"
#endif

// Vector-typed helpers are internal and always inlined: the AVX-512 argument ABI is moot.
#pragma GCC diagnostic ignored "-Wpsabi"
#define AX_VINLINE __attribute__((always_inline)) inline

namespace ax::cpu::AX_ISA_NS {
namespace {

// kUnroll: 64-byte accumulators in flight on contiguous runs, enough independent chains to hide
// the add latency. kColVecs: 64-byte vectors of columns per block on the outer path.
#if defined(__AVX512F__)
constexpr int kUnroll = 8;
constexpr int kColVecs = 4;
#elif defined(__AVX2__)
constexpr int kUnroll = 4;
constexpr int kColVecs = 4;
#else
constexpr int kUnroll = 2;
constexpr int kColVecs = 2;
#endif
constexpr int64_t kGrainElems = 32768;  // elements per thread below which threads don't pay

template <class T>
struct VecT;
template <>
struct VecT<float> {
  typedef float type __attribute__((vector_size(64)));
};
template <>
struct VecT<double> {
  typedef double type __attribute__((vector_size(64)));
};
template <>
struct VecT<int64_t> {
  typedef int64_t type __attribute__((vector_size(64)));
};
template <>
struct VecT<int32_t> {
  typedef int32_t type __attribute__((vector_size(64)));
};
template <>
struct VecT<uint8_t> {
  typedef uint8_t type __attribute__((vector_size(64)));
};
template <class T>
using Vec = typename VecT<T>::type;
// Unsigned lanes for int64 sums and products: they wrap like PyTorch's, where signed
// overflow would be undefined behaviour.
typedef uint64_t VecU64 __attribute__((vector_size(64)));
template <class T>
constexpr int kLanes = static_cast<int>(64 / sizeof(T));

template <class T>
AX_VINLINE Vec<T> load(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
AX_VINLINE Vec<T> splat(T s) {
  return s - Vec<T>{};  // one broadcast; s - 0 keeps -0.0, NaN and inf as they are
}

// ---- reduction operators: identity and step, the same expression for scalars and vectors ----

struct SumR {
  static constexpr ReduceOp kOp = ReduceOp::Sum;
  template <class T>
  static T identity() {
    return T(0);
  }
  template <class V>
  static AX_VINLINE V step(const V& a, const V& x) {
    if constexpr (std::is_same_v<V, int64_t>)  // wraps on overflow, as in PyTorch, without UB
      return math::wrap_add(a, x);
    else if constexpr (std::is_same_v<V, Vec<int64_t>>)  // the same, lane-wise
      return reinterpret_cast<V>(reinterpret_cast<VecU64>(a) + reinterpret_cast<VecU64>(x));
    else
      return a + x;
  }
};
struct ProdR {
  static constexpr ReduceOp kOp = ReduceOp::Prod;
  template <class T>
  static T identity() {
    return T(1);
  }
  template <class V>
  static AX_VINLINE V step(const V& a, const V& x) {
    if constexpr (std::is_same_v<V, int64_t>)
      return math::wrap_mul(a, x);
    else if constexpr (std::is_same_v<V, Vec<int64_t>>)
      return reinterpret_cast<V>(reinterpret_cast<VecU64>(a) * reinterpret_cast<VecU64>(x));
    else
      return a * x;
  }
};
// NaN wins: once a lane holds NaN, neither comparison can replace it.
struct MaxR {
  static constexpr ReduceOp kOp = ReduceOp::Max;
  template <class T>
  static T identity() {
    if constexpr (std::is_floating_point_v<T>)
      return -std::numeric_limits<T>::infinity();
    else
      return std::numeric_limits<T>::lowest();
  }
  template <class V>
  static AX_VINLINE V step(const V& a, const V& x) {
    return ((x > a) | (x != x)) ? x : a;
  }
};
struct MinR {
  static constexpr ReduceOp kOp = ReduceOp::Min;
  template <class T>
  static T identity() {
    if constexpr (std::is_floating_point_v<T>)
      return std::numeric_limits<T>::infinity();
    else if constexpr (std::is_same_v<T, uint8_t>)
      return T(1);  // bool: all() of nothing
    else
      return std::numeric_limits<T>::max();
  }
  template <class V>
  static AX_VINLINE V step(const V& a, const V& x) {
    return ((x < a) | (x != x)) ? x : a;
  }
};

// float32 sums and products fold their unit partials in float64 (Note [Reduction order]).
template <class Op, class T>
using AccT = std::conditional_t<
    std::is_same_v<T, float> && (Op::kOp == ReduceOp::Sum || Op::kOp == ReduceOp::Prod), double, T>;

template <class Op, class T, class Acc>
inline T finish(Acc a, double divisor) {
  if constexpr (Op::kOp == ReduceOp::Sum && std::is_floating_point_v<T>) {
    if (divisor != 1.0) return static_cast<T>(a / divisor);
  }
  return static_cast<T>(a);
}

// ---- elementwise maps ----------------------------------------------------------------------

// exp and pow have no vector form here: they are staged through a small buffer.
template <ReduceMap M>
constexpr bool kStaged = M == ReduceMap::ExpShift || M == ReduceMap::PowAbs;

template <ReduceMap M, class T>
inline T map1(T x, T s, T p) {
  if constexpr (M == ReduceMap::None) {
    return x;
  } else {
    static_assert(std::is_floating_point_v<T>, "maps apply to floating types only");
    // x <= 0 ? 0 - x : x maps -0.0 to +0.0 and keeps NaN.
    if constexpr (M == ReduceMap::Abs) return x <= T(0) ? T(0) - x : x;
    if constexpr (M == ReduceMap::Square) return x * x;
    if constexpr (M == ReduceMap::Shift) return x - s;
    if constexpr (M == ReduceMap::SquareShift) return (x - s) * (x - s);
    if constexpr (M == ReduceMap::ExpShift) return math::exp<T>(x - s);
    if constexpr (M == ReduceMap::PowAbs) return std::pow(x <= T(0) ? T(0) - x : x, p);
  }
}

template <ReduceMap M, class V>
AX_VINLINE V mapv(const V& x, const V& s) {
  if constexpr (M == ReduceMap::None) return x;
  if constexpr (M == ReduceMap::Abs) return (x <= V{}) ? V{} - x : x;
  if constexpr (M == ReduceMap::Square) return x * x;
  if constexpr (M == ReduceMap::Shift) return x - s;
  if constexpr (M == ReduceMap::SquareShift) return (x - s) * (x - s);
  return x;  // staged maps never get here
}

// One vector of mapped elements from x[0, kLanes); `s` holds the shift of each lane.
template <ReduceMap M, class T>
AX_VINLINE Vec<T> load_mapped(const T* x, const Vec<T>& s, T p) {
  if constexpr (kStaged<M>) {
    alignas(64) T t[kLanes<T>];
    for (int k = 0; k < kLanes<T>; ++k) t[k] = map1<M>(x[k], s[k], p);
    return load(t);
  } else {
    return mapv<M>(load(x), s);
  }
}

template <class T>
AX_VINLINE Vec<T> lane_iota() {
  Vec<T> v;
  for (int j = 0; j < kLanes<T>; ++j) v[j] = static_cast<T>(j);
  return v;
}

// x[0, m) mapped, m < kLanes; the other lanes hold the identity (branch-free row tails). Reads a
// whole vector when that stays below `limit` (the end of the input), else a padded copy.
template <class Op, ReduceMap M, class T>
AX_VINLINE Vec<T> load_partial(const T* x, int64_t m, const Vec<T>& s, T p, const T* limit) {
  alignas(64) T t[kLanes<T>] = {};
  const T* src = x;
  if (x + kLanes<T> > limit) {
    for (int64_t k = 0; k < m; ++k) t[k] = x[k];
    src = t;
  }
  const Vec<T> v = load_mapped<M>(src, s, p);
  return lane_iota<T>() < splat(static_cast<T>(m)) ? v : splat(Op::template identity<T>());
}

// Horizontal fold of one vector, lanes j and j + n/2 first: halving shuffles down to 16 bytes,
// then butterflies within 16 bytes, so that even max/min stay branch-free.
template <class V, size_t... I>
AX_VINLINE auto lo_half(const V& v, std::index_sequence<I...>) {
  return __builtin_shufflevector(v, v, I...);
}
template <class V, size_t... I>
AX_VINLINE auto hi_half(const V& v, std::index_sequence<I...>) {
  return __builtin_shufflevector(v, v, (I + sizeof...(I))...);
}
template <size_t K, class V, size_t... I>
AX_VINLINE V swap_lanes(const V& v, std::index_sequence<I...>) {
  return __builtin_shufflevector(v, v, (I ^ K)...);
}
template <class Op, size_t K, class V>
AX_VINLINE V butterfly(const V& v) {
  constexpr size_t n = sizeof(V) / sizeof(v[0]);
  const V w = Op::step(v, swap_lanes<K>(v, std::make_index_sequence<n>{}));
  if constexpr (K == 1)
    return w;
  else
    return butterfly<Op, K / 2>(w);
}
template <class Op, class V>
AX_VINLINE auto hreduce(const V& v) {
  constexpr size_t n = sizeof(V) / sizeof(v[0]);
  if constexpr (sizeof(V) > 16) {
    using Half = std::make_index_sequence<n / 2>;
    return hreduce<Op>(Op::step(lo_half(v, Half{}), hi_half(v, Half{})));
  } else {
    return butterfly<Op, n / 2>(v)[0];
  }
}

// The end of a run: whole vectors from i on into acc, the identity-padded tail, then the lanes.
template <class Op, ReduceMap M, class T>
AX_VINLINE T run_tail(const Vec<T>& acc, const T* x, int64_t i, int64_t n, T s, T p,
                      const T* limit) {
  constexpr int L = kLanes<T>;
  const Vec<T> sv = splat(s);
  Vec<T> a0 = acc;
  for (; i + L <= n; i += L) a0 = Op::step(a0, load_mapped<M>(x + i, sv, p));
  if (i < n) a0 = Op::step(a0, load_partial<Op, M>(x + i, n - i, sv, p, limit));
  return hreduce<Op>(a0);
}

// run_contig for n < kUnroll * kLanes (same result), inlined into loops over short rows.
template <class Op, ReduceMap M, class T>
AX_VINLINE T run_short(const T* x, int64_t n, T s, T p, const T* limit) {
  return run_tail<Op, M>(splat(Op::template identity<T>()), x, 0, n, s, p, limit);
}

// x: (n,) contiguous, readable up to `limit` -> one partial, reduced in kUnroll x kLanes lanes
// then folded as a tree. Inlined into loops over single-row outputs; run_contig otherwise.
template <class Op, ReduceMap M, class T>
AX_VINLINE T run_contig_inline(const T* x, int64_t n, T s, T p, const T* limit) {
  using V = Vec<T>;
  constexpr int L = kLanes<T>;
  constexpr int64_t kStep = int64_t{kUnroll} * L;
  if (n < kStep) return run_short<Op, M>(x, n, s, p, limit);
  const V sv = splat(s);
  // Filled by an initializer, unrolled loops, passed on by value: the accumulators stay in
  // registers (a loop-filled array becomes a memset on the stack).
  V acc[kUnroll] = {};
  const V id = splat(Op::template identity<T>());
#pragma GCC unroll 8
  for (int u = 0; u < kUnroll; ++u) acc[u] = id;
  int64_t i = 0;
  for (; i + kStep <= n; i += kStep) {
#pragma GCC unroll 8
    for (int u = 0; u < kUnroll; ++u)
      acc[u] = Op::step(acc[u], load_mapped<M>(x + i + u * L, sv, p));
  }
  if constexpr (kUnroll >= 8) {
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) acc[u] = Op::step(acc[u], acc[u + 4]);
  }
  if constexpr (kUnroll >= 4) {
    acc[0] = Op::step(acc[0], acc[2]);
    acc[1] = Op::step(acc[1], acc[3]);
  }
  const V a0 = Op::step(acc[0], acc[1]);
  return run_tail<Op, M>(a0, x, i, n, s, p, limit);
}

template <class Op, ReduceMap M, class T>
T run_contig(const T* x, int64_t n, T s, T p, const T* limit) {
  return run_contig_inline<Op, M>(x, n, s, p, limit);
}

}  // namespace
}  // namespace ax::cpu::AX_ISA_NS
