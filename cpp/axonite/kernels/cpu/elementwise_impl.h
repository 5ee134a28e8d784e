// Elementwise loops, compiled once per ISA: elementwise_{generic,avx2,avx512}.cpp define
// AX_ISA_NS and include this file, each with its own -m flags, and expose a kernel table.
// Every loop has a contiguous fast path (and scalar-broadcast paths for binary ops) written
// as plain `omp simd` loops, plus a generic byte-strided path.
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "axonite/kernels/cpu/scalar_math.h"
#if defined(__AVX512F__)
#include "axonite/kernels/cpu/vecmath_avx512.h"
#endif
#include "axonite/kernels/elementwise.h"

#ifndef AX_ISA_NS
#error "define AX_ISA_NS before including elementwise_impl.h"
#endif

namespace ax::cpu::AX_ISA_NS {
namespace {

// One functor per op; Out is the element type written (bool for comparisons).
#define AX_BINARY_FUNCTOR(Name, expr) \
  struct Name {                       \
    template <class T>                \
    static inline auto f(T a, T b) {  \
      return expr;                    \
    }                                 \
  };
AX_BINARY_FUNCTOR(AddF, math::wrap_add<T>(a, b))
AX_BINARY_FUNCTOR(SubF, math::wrap_sub<T>(a, b))
AX_BINARY_FUNCTOR(MulF, math::wrap_mul<T>(a, b))
AX_BINARY_FUNCTOR(DivF, static_cast<T>(a / b))
AX_BINARY_FUNCTOR(FloorDivF, math::floor_div<T>(a, b))
AX_BINARY_FUNCTOR(RemF, math::remainder<T>(a, b))
AX_BINARY_FUNCTOR(PowF, math::power<T>(a, b))
AX_BINARY_FUNCTOR(MaxF, math::maximum<T>(a, b))
AX_BINARY_FUNCTOR(MinF, math::minimum<T>(a, b))
AX_BINARY_FUNCTOR(EqF, a == b)
AX_BINARY_FUNCTOR(NeF, a != b)
AX_BINARY_FUNCTOR(LtF, a < b)
AX_BINARY_FUNCTOR(LeF, a <= b)
AX_BINARY_FUNCTOR(GtF, a > b)
AX_BINARY_FUNCTOR(GeF, a >= b)
AX_BINARY_FUNCTOR(AndF, static_cast<T>(a& b))
AX_BINARY_FUNCTOR(OrF, static_cast<T>(a | b))
AX_BINARY_FUNCTOR(XorF, static_cast<T>(a ^ b))
#undef AX_BINARY_FUNCTOR

template <class T, class F>
void binary_loop(char* out, const char* a, const char* b, int64_t n, int64_t so, int64_t sa,
                 int64_t sb) {
  using O = decltype(F::f(T(), T()));
  constexpr int64_t kT = sizeof(T), kO = sizeof(O);
  O* o = reinterpret_cast<O*>(out);
  const T* x = reinterpret_cast<const T*>(a);
  const T* y = reinterpret_cast<const T*>(b);
  if (so == kO && sa == kT && sb == kT) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) o[i] = F::f(x[i], y[i]);
  } else if (so == kO && sa == kT && sb == 0) {
    const T yv = *y;
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) o[i] = F::f(x[i], yv);
  } else if (so == kO && sa == 0 && sb == kT) {
    const T xv = *x;
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) o[i] = F::f(xv, y[i]);
  } else {
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<O*>(out + i * so) =
          F::f(*reinterpret_cast<const T*>(a + i * sa), *reinterpret_cast<const T*>(b + i * sb));
  }
}

#define AX_UNARY_FUNCTOR(Name, expr) \
  struct Name {                      \
    template <class T>               \
    static inline T f(T a) {         \
      return expr;                   \
    }                                \
  };
AX_UNARY_FUNCTOR(NegF, math::wrap_neg<T>(a))
AX_UNARY_FUNCTOR(ExpF, math::exp<T>(a))
AX_UNARY_FUNCTOR(LogF, math::log<T>(a))
AX_UNARY_FUNCTOR(Log1pF, math::log1p<T>(a))
AX_UNARY_FUNCTOR(Expm1F, math::expm1<T>(a))
AX_UNARY_FUNCTOR(SqrtF, std::sqrt(a))
AX_UNARY_FUNCTOR(RsqrtF, T(1) / std::sqrt(a))
AX_UNARY_FUNCTOR(AbsF, a < T(0) ? math::wrap_neg<T>(a) : a)
AX_UNARY_FUNCTOR(SignF, math::sign<T>(a))
AX_UNARY_FUNCTOR(SinF, math::sin<T>(a))
AX_UNARY_FUNCTOR(CosF, math::cos<T>(a))
// tanh and sigmoid also have the 16-lane float32 form of the activation path (activation_impl.h),
// so an integer input promoted to float32 gets the same bits as the float32 tensor.
#if defined(__AVX512F__)
#define AX_F32X16(fn) \
  static __m512 f32x16(__m512 a) { return math::v512::fn(a); }
#else
#define AX_F32X16(fn)
#endif
#define AX_UNARY_FUNCTOR_V512(Name, fn) \
  struct Name {                         \
    template <class T>                  \
    static inline T f(T a) {            \
      return math::fn<T>(a);            \
    }                                   \
    AX_F32X16(fn)                       \
  };
AX_UNARY_FUNCTOR_V512(TanhF, tanh)
AX_UNARY_FUNCTOR_V512(SigmoidF, sigmoid)
#undef AX_UNARY_FUNCTOR_V512
#undef AX_F32X16
AX_UNARY_FUNCTOR(ReluF, math::relu<T>(a))
AX_UNARY_FUNCTOR(FloorF, std::floor(a))
AX_UNARY_FUNCTOR(CeilF, std::ceil(a))
AX_UNARY_FUNCTOR(RoundF, math::round_even<T>(a))
AX_UNARY_FUNCTOR(ReciprocalF, T(1) / a)
AX_UNARY_FUNCTOR(NotF, !a)
#undef AX_UNARY_FUNCTOR

template <class T, class F>
void unary_loop(char* out, const char* a, int64_t n, int64_t so, int64_t sa) {
  constexpr int64_t kT = sizeof(T);
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float> && math::v512::has_f32x16<F>::value) {
    if (so == kT && sa == kT) {
      math::v512::map(reinterpret_cast<const float*>(a), reinterpret_cast<float*>(out), n,
                      F::f32x16);
      return;
    }
    float buf[16];  // strided: 16 elements at a time through the same vector code
    for (int64_t i0 = 0; i0 < n; i0 += 16) {
      const int64_t m = n - i0 < 16 ? n - i0 : 16;
      for (int64_t i = 0; i < m; ++i) std::memcpy(&buf[i], a + (i0 + i) * sa, sizeof(float));
      math::v512::map(buf, buf, m, F::f32x16);
      for (int64_t i = 0; i < m; ++i) std::memcpy(out + (i0 + i) * so, &buf[i], sizeof(float));
    }
    return;
  }
#endif
  if (so == kT && sa == kT) {
    T* o = reinterpret_cast<T*>(out);
    const T* x = reinterpret_cast<const T*>(a);
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) o[i] = F::f(x[i]);
  } else {
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<T*>(out + i * so) = F::f(*reinterpret_cast<const T*>(a + i * sa));
  }
}

template <class To, class From>
void cast_loop(char* out, const char* a, int64_t n, int64_t so, int64_t sa) {
  auto conv = [](From v) -> To {
    if constexpr (std::is_same_v<To, bool>)
      return v != From(0);
    else
      return static_cast<To>(v);
  };
  if (so == sizeof(To) && sa == sizeof(From)) {
    To* o = reinterpret_cast<To*>(out);
    const From* x = reinterpret_cast<const From*>(a);
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) o[i] = conv(x[i]);
  } else if (so == sizeof(To) && sa == 0) {
    To* o = reinterpret_cast<To*>(out);
    const To v = conv(*reinterpret_cast<const From*>(a));
    for (int64_t i = 0; i < n; ++i) o[i] = v;
  } else {
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<To*>(out + i * so) = conv(*reinterpret_cast<const From*>(a + i * sa));
  }
}

template <class T>
BinaryKernel arith(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add:
      return binary_loop<T, AddF>;
    case BinaryOp::Sub:
      return binary_loop<T, SubF>;
    case BinaryOp::Mul:
      return binary_loop<T, MulF>;
    case BinaryOp::Div:
      return binary_loop<T, DivF>;
    case BinaryOp::FloorDiv:
      return binary_loop<T, FloorDivF>;
    case BinaryOp::Rem:
      return binary_loop<T, RemF>;
    case BinaryOp::Pow:
      return binary_loop<T, PowF>;
    case BinaryOp::Maximum:
      return binary_loop<T, MaxF>;
    case BinaryOp::Minimum:
      return binary_loop<T, MinF>;
    default:
      return nullptr;
  }
}

template <class T>
BinaryKernel compare(BinaryOp op) {
  switch (op) {
    case BinaryOp::Eq:
      return binary_loop<T, EqF>;
    case BinaryOp::Ne:
      return binary_loop<T, NeF>;
    case BinaryOp::Lt:
      return binary_loop<T, LtF>;
    case BinaryOp::Le:
      return binary_loop<T, LeF>;
    case BinaryOp::Gt:
      return binary_loop<T, GtF>;
    case BinaryOp::Ge:
      return binary_loop<T, GeF>;
    default:
      return nullptr;
  }
}

template <class T>
BinaryKernel bitwise(BinaryOp op) {
  switch (op) {
    case BinaryOp::BitAnd:
      return binary_loop<T, AndF>;
    case BinaryOp::BitOr:
      return binary_loop<T, OrF>;
    case BinaryOp::BitXor:
      return binary_loop<T, XorF>;
    default:
      return nullptr;
  }
}

template <class T>
UnaryKernel unary_float(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg:
      return unary_loop<T, NegF>;
    case UnaryOp::Exp:
      return unary_loop<T, ExpF>;
    case UnaryOp::Log:
      return unary_loop<T, LogF>;
    case UnaryOp::Log1p:
      return unary_loop<T, Log1pF>;
    case UnaryOp::Expm1:
      return unary_loop<T, Expm1F>;
    case UnaryOp::Sqrt:
      return unary_loop<T, SqrtF>;
    case UnaryOp::Rsqrt:
      return unary_loop<T, RsqrtF>;
    case UnaryOp::Abs:
      return unary_loop<T, AbsF>;
    case UnaryOp::Sign:
      return unary_loop<T, SignF>;
    case UnaryOp::Sin:
      return unary_loop<T, SinF>;
    case UnaryOp::Cos:
      return unary_loop<T, CosF>;
    case UnaryOp::Tanh:
      return unary_loop<T, TanhF>;
    case UnaryOp::Sigmoid:
      return unary_loop<T, SigmoidF>;
    case UnaryOp::Relu:
      return unary_loop<T, ReluF>;
    case UnaryOp::Floor:
      return unary_loop<T, FloorF>;
    case UnaryOp::Ceil:
      return unary_loop<T, CeilF>;
    case UnaryOp::Round:
      return unary_loop<T, RoundF>;
    case UnaryOp::Reciprocal:
      return unary_loop<T, ReciprocalF>;
    default:
      return nullptr;
  }
}

}  // namespace

BinaryKernel binary_kernel(BinaryOp op, DType dt) {
  const bool cmp = op >= BinaryOp::Eq && op <= BinaryOp::Ge;
  const bool bit = op >= BinaryOp::BitAnd && op <= BinaryOp::BitXor;
  switch (dt) {
    case DType::Float32:
      return cmp ? compare<float>(op) : bit ? nullptr : arith<float>(op);
    case DType::Float64:
      return cmp ? compare<double>(op) : bit ? nullptr : arith<double>(op);
    case DType::Int64:
      return cmp ? compare<int64_t>(op) : bit ? bitwise<int64_t>(op) : arith<int64_t>(op);
    case DType::Bool:
      if (cmp) return compare<bool>(op);
      if (bit) return bitwise<bool>(op);
      if (op == BinaryOp::Maximum) return binary_loop<bool, OrF>;
      if (op == BinaryOp::Minimum) return binary_loop<bool, AndF>;
      return nullptr;
  }
  return nullptr;
}

UnaryKernel unary_kernel(UnaryOp op, DType dt) {
  switch (dt) {
    case DType::Float32:
      return unary_float<float>(op);
    case DType::Float64:
      return unary_float<double>(op);
    case DType::Int64:
      if (op == UnaryOp::Neg) return unary_loop<int64_t, NegF>;
      if (op == UnaryOp::Abs) return unary_loop<int64_t, AbsF>;
      if (op == UnaryOp::Sign) return unary_loop<int64_t, SignF>;
      if (op == UnaryOp::Relu) return unary_loop<int64_t, ReluF>;
      return nullptr;
    case DType::Bool:
      if (op == UnaryOp::LogicalNot) return unary_loop<bool, NotF>;
      return nullptr;
  }
  return nullptr;
}

UnaryKernel cast_kernel(DType to, DType from) {
  return dispatch(to, [&](auto t) -> UnaryKernel {
    using To = typename decltype(t)::type;
    return dispatch(from, [&](auto f) -> UnaryKernel {
      using From = typename decltype(f)::type;
      return cast_loop<To, From>;
    });
  });
}

}  // namespace ax::cpu::AX_ISA_NS
