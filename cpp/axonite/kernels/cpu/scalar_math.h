// Scalar definitions of every elementwise op, written branch-free where it matters so that
// `omp simd` loops over them vectorize. Included by each ISA's elementwise translation unit;
// everything here is inline and ISA-neutral source.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "axonite/kernels/cpu/vecmath.h"

namespace ax::cpu::math {

// Integer +, - and * wrap around on overflow (two's complement), as in PyTorch. Signed overflow
// is undefined in C++, so int32/int64 run on their unsigned type (narrower types are promoted
// to int, where they cannot overflow; a bool sum is the logical or). Always inlined: ISA
// translation units and baseline ones both use them, and an out-of-line copy built with AVX-512
// flags must never be what a baseline caller links to.
template <class T>
constexpr bool kWraps =
    std::is_integral_v<T> && !std::is_same_v<T, bool> && sizeof(T) >= sizeof(int);

template <class T>
[[gnu::always_inline]] inline T wrap_add(T a, T b) {
  if constexpr (kWraps<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return static_cast<T>(a + b);
  }
}
template <class T>
[[gnu::always_inline]] inline T wrap_sub(T a, T b) {
  if constexpr (kWraps<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
  } else {
    return static_cast<T>(a - b);
  }
}
template <class T>
[[gnu::always_inline]] inline T wrap_mul(T a, T b) {
  if constexpr (kWraps<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  } else {
    return static_cast<T>(a * b);
  }
}
template <class T>
[[gnu::always_inline]] inline T wrap_neg(T a) {
  return wrap_sub(T(0), a);
}

template <class T>
inline T floor_div(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    // The lowest value over -1 overflows (x86 traps on it): it wraps to itself, as in PyTorch.
    if constexpr (std::is_signed_v<T>)
      if (b == T(-1)) return wrap_neg(a);
    const T q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
  } else {
    // NumPy's divmod: exact for cases where floor(a / b) rounds the wrong way (1 // 0.1 == 9).
    if (b == 0) return a / b;
    T mod = std::fmod(a, b);
    T div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1;
    if (div != 0) {
      T f = std::floor(div);
      if (div - f > T(0.5)) f += 1;
      return f;
    }
    return std::copysign(T(0), a / b);
  }
}

template <class T>
inline T remainder(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if constexpr (std::is_signed_v<T>)
      if (b == T(-1)) return T(0);  // the lowest value % -1 traps on x86
    const T r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
  } else {
    if (b == 0) return std::fmod(a, b);
    T r = std::fmod(a, b);
    if (r != 0 && ((b < 0) != (r < 0)))
      r += b;
    else if (r == 0)
      r = std::copysign(T(0), b);
    return r;
  }
}

template <class T>
inline T power(T a, T b) {
  if constexpr (std::is_same_v<T, bool>) {
    return a || !b;
  } else if constexpr (std::is_integral_v<T>) {
    // Square-and-multiply with wrap-around, as PyTorch does for int64; b < 0 is rejected by ops.
    T r = 1, base = a;
    auto e = static_cast<uint64_t>(b);
    while (e) {
      if (e & 1) r = static_cast<T>(static_cast<uint64_t>(r) * static_cast<uint64_t>(base));
      base = static_cast<T>(static_cast<uint64_t>(base) * static_cast<uint64_t>(base));
      e >>= 1;
    }
    return r;
  } else {
    return std::pow(a, b);
  }
}

// NaN-propagating maximum/minimum (torch.maximum semantics).
template <class T>
inline T maximum(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return a != a ? a : (b != b ? b : (a > b ? a : b));
  } else {
    return a > b ? a : b;
  }
}
template <class T>
inline T minimum(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return a != a ? a : (b != b ? b : (a < b ? a : b));
  } else {
    return a < b ? a : b;
  }
}

template <class T>
inline T sign(T a) {
  if constexpr (std::is_same_v<T, bool>) {
    return a;
  } else {
    return static_cast<T>((T(0) < a) - (a < T(0)));
  }
}

template <class T>
inline T relu(T a) {
  if constexpr (std::is_same_v<T, bool>) {
    return a;
  } else {
    return (a > T(0) || a != a) ? a : T(0);  // NaN propagates, as in torch.relu
  }
}

// Round half to even, like torch.round and numpy.round.
template <class T>
inline T round_even(T a) {
  return std::nearbyint(a);
}

}  // namespace ax::cpu::math
