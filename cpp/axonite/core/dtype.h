// Element types (float32 default, float64, int64, bool), their names and sizes, type
// promotion, and `dispatch`, which calls a generic lambda with the C++ type of a dtype.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "axonite/core/check.h"

namespace ax {

enum class DType : uint8_t { Bool = 0, Int64 = 1, Float32 = 2, Float64 = 3 };

inline constexpr DType kDefaultFloat = DType::Float32;

inline size_t itemsize(DType d) {
  switch (d) {
    case DType::Bool:
      return 1;
    case DType::Int64:
      return 8;
    case DType::Float32:
      return 4;
    case DType::Float64:
      return 8;
  }
  return 0;
}

inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::Bool:
      return "bool";
    case DType::Int64:
      return "int64";
    case DType::Float32:
      return "float32";
    case DType::Float64:
      return "float64";
  }
  return "?";
}

inline bool is_floating(DType d) { return d == DType::Float32 || d == DType::Float64; }

// Category order bool < integer < floating, used by the wrapped-number promotion rule.
inline int category(DType d) { return d == DType::Bool ? 0 : d == DType::Int64 ? 1 : 2; }

// Promotion among tensors of equal priority: the larger of the two in Bool < Int64 < F32 < F64.
inline DType promote_types(DType a, DType b) { return a > b ? a : b; }

template <class T>
struct TypeTag {
  using type = T;
};

template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, bool>)
    return DType::Bool;
  else if constexpr (std::is_same_v<T, int64_t>)
    return DType::Int64;
  else if constexpr (std::is_same_v<T, float>)
    return DType::Float32;
  else
    return DType::Float64;
}

// dispatch(d, [&](auto tag) { using T = typename decltype(tag)::type; ... });
template <class F>
decltype(auto) dispatch(DType d, F&& f) {
  switch (d) {
    case DType::Bool:
      return f(TypeTag<bool>{});
    case DType::Int64:
      return f(TypeTag<int64_t>{});
    case DType::Float32:
      return f(TypeTag<float>{});
    case DType::Float64:
      return f(TypeTag<double>{});
  }
  return f(TypeTag<float>{});
}

// Same for floating dtypes only; `op` names the operation in the error for other dtypes.
template <class F>
decltype(auto) dispatch_floating(DType d, const char* op, F&& f) {
  if (d == DType::Float64) return f(TypeTag<double>{});
  AXONITE_CHECK(d == DType::Float32, TypeError, op, ": expected a floating-point tensor, got ",
                dtype_name(d));
  return f(TypeTag<float>{});
}

}  // namespace ax
