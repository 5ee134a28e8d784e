// Tensor factories: constants, ranges, identity and the random ops. Random values come from
// the Philox fill kernels in core/rng.cpp; this file owns argument checks, dtype handling and
// writing into tensors of any layout.
#include "axonite/ops/creation.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <type_traits>
#include <vector>

#include "axonite/autograd/record.h"
#include "axonite/core/parallel.h"
#include "axonite/kernels/cpu/loops.h"
#include "axonite/ops/elementwise.h"

namespace ax {

Tensor empty(const Dims& sizes, DType dtype) { return Tensor::empty(sizes, dtype); }

namespace {

template <class T>
void fill_typed(const Tensor& t, T v) {
  const int64_t es = sizeof(T);
  Dims bs = t.strides();
  for (int i = 0; i < bs.size(); ++i) bs[i] *= es;
  cpu::loop_nd<1>(t.sizes(), {static_cast<char*>(t.raw_data())}, {bs.data()},
                  [&](std::array<char*, 1> p, std::array<int64_t, 1> s, int64_t n) {
                    if (s[0] == es) {
                      T* o = reinterpret_cast<T*>(p[0]);
#pragma omp simd
                      for (int64_t i = 0; i < n; ++i) o[i] = v;
                    } else {
                      for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
                    }
                  });
  t.bump_version();
}

}  // namespace

void fill_(const Tensor& t, double value) {
  dispatch(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_typed<T>(t, static_cast<T>(value));
  });
}

void fill_int_(const Tensor& t, int64_t value) {
  dispatch(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_typed<T>(t, static_cast<T>(value));
  });
}

Tensor zeros(const Dims& sizes, DType dtype) {
  checked_nbytes(sizes, itemsize(dtype), "zeros");
  Tensor t = Tensor::empty(sizes, dtype);
  std::memset(t.raw_data(), 0, static_cast<size_t>(t.numel()) * itemsize(dtype));
  return t;
}

Tensor full(const Dims& sizes, double value, DType dtype) {
  checked_nbytes(sizes, itemsize(dtype), "full");
  Tensor t = Tensor::empty(sizes, dtype);
  fill_(t, value);
  return t;
}

Tensor full_int(const Dims& sizes, int64_t value, DType dtype) {
  checked_nbytes(sizes, itemsize(dtype), "full");
  Tensor t = Tensor::empty(sizes, dtype);
  fill_int_(t, value);
  return t;
}

Tensor ones(const Dims& sizes, DType dtype) {
  checked_nbytes(sizes, itemsize(dtype), "ones");
  return full(sizes, 1.0, dtype);
}
Tensor empty_like(const Tensor& t) { return Tensor::empty(t.sizes(), t.dtype()); }
Tensor zeros_like(const Tensor& t) { return zeros(t.sizes(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.sizes(), t.dtype()); }
Tensor full_like(const Tensor& t, double value) { return full(t.sizes(), value, t.dtype()); }

Tensor scalar_tensor(double v, DType dtype, bool wrapped) {
  Tensor t = Tensor::empty(Dims{}, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    *t.data<T>() = static_cast<T>(v);
  });
  t.impl()->is_wrapped_number = wrapped;
  return t;
}

Tensor scalar_tensor_int(int64_t v, bool wrapped) {
  Tensor t = Tensor::empty(Dims{}, DType::Int64);
  *t.data<int64_t>() = v;
  t.impl()->is_wrapped_number = wrapped;
  return t;
}

// ---- ranges and identity ---------------------------------------------------------------

namespace {

__extension__ typedef __int128 i128;  // GCC/Clang; __extension__ quiets -Wpedantic
__extension__ typedef unsigned __int128 u128;

// out[i] = f(i) for a fresh 1-d tensor of n elements.
template <class F>
Tensor generate(int64_t n, DType dtype, const char* op, const F& f) {
  checked_nbytes(Dims{n}, itemsize(dtype), op);
  Tensor out = Tensor::empty(Dims{n}, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = out.data<T>();
    parallel_for(0, n, cpu::kElementwiseGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = static_cast<T>(f(i));
    });
  });
  return out;
}

void check_not_bool(DType dtype, const char* op) {
  AXONITE_CHECK(dtype != DType::Bool, TypeError, op, ": not supported for dtype bool");
}

}  // namespace

Tensor arange(double start, double end, double step, DType dtype) {
  check_not_bool(dtype, "arange");
  AXONITE_CHECK(std::isfinite(start) && std::isfinite(end) && std::isfinite(step), RuntimeError,
                "arange: unsupported range: ", start, " -> ", end, " (step ", step, ")");
  if (!is_floating(dtype))  // an integer dtype computes in integers, as PyTorch does
    return arange_int(static_cast<int64_t>(start), static_cast<int64_t>(end),
                      static_cast<int64_t>(step), dtype);
  AXONITE_CHECK(step != 0, RuntimeError, "arange: step must be nonzero");
  AXONITE_CHECK((step > 0 && end >= start) || (step < 0 && end <= start), RuntimeError,
                "arange: upper bound and lower bound inconsistent with step sign (start=", start,
                ", end=", end, ", step=", step, ")");
  const double size_d = std::ceil((end - start) / step);
  AXONITE_CHECK(size_d >= 0 && size_d < 9.2e18, RuntimeError,
                "arange: invalid size, possible overflow? (start=", start, ", end=", end,
                ", step=", step, ")");
  return generate(static_cast<int64_t>(size_d), dtype, "arange",
                  [=](int64_t i) { return start + step * static_cast<double>(i); });
}

Tensor arange_int(int64_t start, int64_t end, int64_t step, DType dtype) {
  check_not_bool(dtype, "arange");
  if (is_floating(dtype))
    return arange(static_cast<double>(start), static_cast<double>(end), static_cast<double>(step),
                  dtype);
  AXONITE_CHECK(step != 0, RuntimeError, "arange: step must be nonzero");
  AXONITE_CHECK((step > 0 && end >= start) || (step < 0 && end <= start), RuntimeError,
                "arange: upper bound and lower bound inconsistent with step sign (start=", start,
                ", end=", end, ", step=", step, ")");
  // ceil((end - start) / step) in 128 bits: end - start can exceed int64.
  const i128 span = static_cast<i128>(end) - start;
  const i128 n = (span + step - (step > 0 ? 1 : -1)) / step;
  return generate(static_cast<int64_t>(n), dtype, "arange",
                  [=](int64_t i) { return start + step * i; });
}

Tensor linspace(double start, double end, int64_t steps, DType dtype) {
  check_not_bool(dtype, "linspace");
  AXONITE_CHECK(steps >= 0, RuntimeError, "linspace: number of steps must be non-negative, got ",
                steps);
  if (steps == 1) return full(Dims{1}, start, dtype);
  const int64_t half = steps / 2;
  // The second half counts back from `end` so both endpoints are exact. Floating dtypes compute
  // in their own precision and integers in double, matching PyTorch's values.
  return dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using S = std::conditional_t<std::is_floating_point_v<T>, T, double>;
    const S a = static_cast<S>(static_cast<T>(start)), b = static_cast<S>(static_cast<T>(end));
    const S step = (b - a) / static_cast<S>(steps - 1);
    return generate(steps, dtype, "linspace", [=](int64_t i) {
      return i < half ? a + step * static_cast<S>(i) : b - step * static_cast<S>(steps - i - 1);
    });
  });
}

Tensor logspace(double start, double end, int64_t steps, double base, DType dtype) {
  check_not_bool(dtype, "logspace");
  AXONITE_CHECK(steps >= 0, RuntimeError, "logspace: number of steps must be non-negative, got ",
                steps);
  if (steps == 1) return full(Dims{1}, std::pow(base, start), dtype);
  const int64_t half = steps / 2;
  return dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using S = std::conditional_t<std::is_floating_point_v<T>, T, double>;
    const S a = static_cast<S>(start), b = static_cast<S>(end), bs = static_cast<S>(base);
    const S step = (b - a) / static_cast<S>(steps - 1);
    return generate(steps, dtype, "logspace", [=](int64_t i) {
      return std::pow(
          bs, i < half ? a + step * static_cast<S>(i) : b - step * static_cast<S>(steps - i - 1));
    });
  });
}

Tensor eye(int64_t n, int64_t m, DType dtype) {
  AXONITE_CHECK(n >= 0, RuntimeError, "eye: n must be greater or equal to 0, got ", n);
  AXONITE_CHECK(m >= 0, RuntimeError, "eye: m must be greater or equal to 0, got ", m);
  checked_nbytes(Dims{n, m}, itemsize(dtype), "eye");
  Tensor out = zeros(Dims{n, m}, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = out.data<T>();
    for (int64_t i = 0; i < std::min(n, m); ++i) o[i * m + i] = T(1);
  });
  return out;
}

// ---- random ops --------------------------------------------------------------------------

namespace {

void check_floating(DType dtype, const char* op) {
  AXONITE_CHECK(is_floating(dtype), TypeError, op,
                ": expected a floating-point dtype (float32 or float64), got ", dtype_name(dtype));
}

// Fills a contiguous floating tensor with uniform or normal values.
void fill_uniform(const Tensor& t, double lo, double hi, const PhiloxStream& s) {
  if (t.dtype() == DType::Float32)
    rng::uniform(t.data<float>(), t.numel(), s, lo, hi);
  else
    rng::uniform(t.data<double>(), t.numel(), s, lo, hi);
}
void fill_normal(const Tensor& t, double mean, double std, const PhiloxStream& s) {
  if (t.dtype() == DType::Float32)
    rng::normal(t.data<float>(), t.numel(), s, mean, std);
  else
    rng::normal(t.data<double>(), t.numel(), s, mean, std);
}

// A contiguous float64 copy of t's values (for scanning and sampling; no autograd).
Tensor as_f64(const Tensor& t) {
  Tensor out = Tensor::empty(t.sizes(), DType::Float64);
  detail::cast_into(out, t.detach());
  return out;
}

// Runs fill(dst) on a contiguous tensor of self's dtype and lands the values in self. Random
// values carry no gradient: a non-leaf self gets a node that sends zeros to its old history.
template <class F>
Tensor fill_inplace(const Tensor& self, const char* name, const char* node, const F& fill) {
  detail::check_inplace(self, Tensor(), name);
  if (self.is_contiguous()) {
    fill(self);
  } else {
    Tensor tmp = Tensor::empty(self.sizes(), self.dtype());
    fill(tmp);
    detail::cast_into(self, tmp);
  }
  self.bump_version();
  if (autograd::needs_grad(self)) {
    Tensor out = self.detach();
    autograd::record(node, {self}, out, [](const Tensor& g) { return TensorList{zeros_like(g)}; });
    detail::rebase_history(self, out);
  }
  return self;
}

// dst (contiguous, any dtype) <- Bernoulli draws with probabilities p (null: p_scalar).
void fill_bernoulli(const Tensor& dst, const double* p, double p_scalar, const PhiloxStream& s) {
  if (dst.dtype() == DType::Bool) {
    rng::bernoulli(dst.data<bool>(), dst.numel(), s, p, p_scalar);
    return;
  }
  Tensor mask = Tensor::empty(dst.sizes(), DType::Bool);
  rng::bernoulli(mask.data<bool>(), mask.numel(), s, p, p_scalar);
  detail::cast_into(dst, mask);
}

void check_probability(double p, const char* op) {
  AXONITE_CHECK(p >= 0 && p <= 1, RuntimeError, op, ": expects p to be in [0, 1], but got p=", p);
}

// The values of a probability tensor as contiguous float64, each checked to lie in [0, 1].
Tensor checked_probs(const Tensor& p, const Dims& shape, const char* op) {
  check_floating(p.dtype(), op);
  bool ok = p.dim() <= shape.size();
  for (int i = 1; ok && i <= p.dim(); ++i) {
    const int64_t a = p.sizes()[p.dim() - i], b = shape[shape.size() - i];
    ok = a == b || a == 1;
  }
  AXONITE_CHECK(ok, RuntimeError, op, ": p of shape ", shape_str(p.sizes()),
                " does not broadcast to shape ", shape_str(shape));
  Tensor pd = Tensor::empty(shape, DType::Float64);
  detail::cast_into(pd, p.detach());
  const double* v = pd.data<double>();
  for (int64_t i = 0; i < pd.numel(); ++i)
    AXONITE_CHECK(v[i] >= 0 && v[i] <= 1, RuntimeError, op,
                  ": expects all probabilities in [0, 1], but found ", v[i], " at flat index ", i);
  return pd;
}

}  // namespace

Tensor rand(const Dims& sizes, DType dtype, Generator* gen) {
  check_floating(dtype, "rand");
  checked_nbytes(sizes, itemsize(dtype), "rand");
  Tensor t = Tensor::empty(sizes, dtype);
  fill_uniform(t, 0.0, 1.0, generator_or_default(gen).next_stream());
  return t;
}

Tensor randn(const Dims& sizes, DType dtype, Generator* gen) {
  check_floating(dtype, "randn");
  checked_nbytes(sizes, itemsize(dtype), "randn");
  Tensor t = Tensor::empty(sizes, dtype);
  fill_normal(t, 0.0, 1.0, generator_or_default(gen).next_stream());
  return t;
}

Tensor randint(int64_t low, int64_t high, const Dims& sizes, DType dtype, Generator* gen) {
  AXONITE_CHECK(low < high, RuntimeError,
                "randint: expects 'low' to be less than 'high', but got low=", low,
                " >= high=", high);
  AXONITE_CHECK(dtype != DType::Bool || (low >= 0 && high <= 2), RuntimeError, "randint: range [",
                low, ", ", high, ") is out of bounds for dtype bool");
  const PhiloxStream s = generator_or_default(gen).next_stream();
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  checked_nbytes(sizes, itemsize(DType::Int64), "randint");
  Tensor ints = Tensor::empty(sizes, DType::Int64);
  rng::randint(ints.data<int64_t>(), ints.numel(), s, low, range);
  if (dtype == DType::Int64) return ints;
  Tensor out = Tensor::empty(sizes, dtype);
  detail::cast_into(out, ints);
  return out;
}

Tensor randperm(int64_t n, DType dtype, Generator* gen) {
  AXONITE_CHECK(n >= 0, RuntimeError, "randperm: n must be non-negative, got ", n);
  check_not_bool(dtype, "randperm");
  checked_nbytes(Dims{n, 2}, sizeof(int64_t), "randperm");  // the permutation + its random bits
  const PhiloxStream s = generator_or_default(gen).next_stream();
  Tensor perm = Tensor::empty(Dims{n}, DType::Int64);
  int64_t* p = perm.data<int64_t>();
  std::iota(p, p + n, int64_t{0});
  // Fisher-Yates from the top: step i swaps p[i] with p[j], j uniform on [0, i].
  std::vector<uint64_t> r(static_cast<size_t>(n));
  rng::bits64(r.data(), n, s);
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>((static_cast<u128>(r[i]) * (i + 1)) >> 64);
    std::swap(p[i], p[j]);
  }
  if (dtype == DType::Int64) return perm;
  Tensor out = Tensor::empty(Dims{n}, dtype);
  detail::cast_into(out, perm);
  return out;
}

Tensor bernoulli(const Tensor& probs, Generator* gen) {
  Tensor pd = checked_probs(probs, probs.sizes(), "bernoulli");
  Tensor out = Tensor::empty(probs.sizes(), probs.dtype());
  fill_bernoulli(out, pd.data<double>(), 0.0, generator_or_default(gen).next_stream());
  return out;
}

Tensor bernoulli(const Tensor& input, double p, Generator* gen) {
  check_probability(p, "bernoulli");
  Tensor out = Tensor::empty(input.sizes(), input.dtype());
  fill_bernoulli(out, nullptr, p, generator_or_default(gen).next_stream());
  return out;
}

Tensor normal(const Tensor& mean, const Tensor& std, Generator* gen) {
  // A wrapped Python number takes the other operand's dtype (normal(mean_f64, 1.0) is f64).
  const bool mw = mean.impl()->is_wrapped_number, sw = std.impl()->is_wrapped_number;
  const DType dt = mw && !sw   ? std.dtype()
                   : sw && !mw ? mean.dtype()
                               : promote_types(mean.dtype(), std.dtype());
  AXONITE_CHECK(is_floating(dt) || (mw && sw), TypeError,
                "normal: expected floating-point mean and std, got ", dtype_name(mean.dtype()),
                " and ", dtype_name(std.dtype()));
  const DType out_dt = is_floating(dt) ? dt : kDefaultFloat;
  const Dims shape = broadcast_shapes(mean.sizes(), std.sizes(), "normal");
  Tensor sd = as_f64(std);
  for (int64_t i = 0; i < sd.numel(); ++i)
    AXONITE_CHECK(sd.data<double>()[i] >= 0, RuntimeError,
                  "normal: expects std >= 0.0, but found std ", sd.data<double>()[i]);
  Tensor z = Tensor::empty(shape, out_dt);
  fill_normal(z, 0.0, 1.0, generator_or_default(gen).next_stream());
  autograd::GradModeGuard no_grad(false);
  Tensor out = add(mul(z, to_dtype(std.detach(), out_dt)), to_dtype(mean.detach(), out_dt));
  return out.dtype() == out_dt ? out : to_dtype(out, out_dt);
}

Tensor normal(double mean, double std, const Dims& sizes, DType dtype, Generator* gen) {
  check_floating(dtype, "normal");
  AXONITE_CHECK(std >= 0, RuntimeError, "normal: expects std >= 0.0, but found std ", std);
  Tensor t = Tensor::empty(sizes, dtype);
  fill_normal(t, mean, std, generator_or_default(gen).next_stream());
  return t;
}

Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator* gen) {
  AXONITE_CHECK(probs.dim() == 1 || probs.dim() == 2, RuntimeError,
                "multinomial: prob_dist must be 1 or 2 dim, got shape ", shape_str(probs.sizes()));
  check_floating(probs.dtype(), "multinomial");
  AXONITE_CHECK(num_samples > 0, RuntimeError, "multinomial: cannot sample n_sample <= 0 samples");
  const int64_t rows = probs.dim() == 2 ? probs.size(0) : 1, cats = probs.size(-1);
  AXONITE_CHECK(replacement || num_samples <= cats, RuntimeError,
                "multinomial: cannot sample n_sample > prob_dist.size(-1) samples without "
                "replacement (n_sample=",
                num_samples, ", size(-1)=", cats, ")");
  Tensor w = as_f64(probs);
  const double* wp = w.data<double>();
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    int64_t nonzero = 0;
    for (int64_t c = 0; c < cats; ++c) {
      const double v = wp[r * cats + c];
      AXONITE_CHECK(std::isfinite(v) && v >= 0, RuntimeError,
                    "multinomial: probability tensor contains either inf, nan or element < 0");
      sum += v;
      nonzero += v > 0;
    }
    AXONITE_CHECK(sum > 0, RuntimeError,
                  "multinomial: invalid multinomial distribution (sum of probabilities <= 0)");
    AXONITE_CHECK(replacement || nonzero >= num_samples, RuntimeError,
                  "multinomial: invalid multinomial distribution (with replacement=False, not "
                  "enough non-negative category to sample)");
  }
  const PhiloxStream s = generator_or_default(gen).next_stream();
  Tensor out = probs.dim() == 2 ? Tensor::empty(Dims{rows, num_samples}, DType::Int64)
                                : Tensor::empty(Dims{num_samples}, DType::Int64);
  int64_t* op = out.data<int64_t>();
  if (replacement) {
    // Inverse CDF: sample k is the first category whose running sum exceeds u * total.
    std::vector<double> u(static_cast<size_t>(rows * num_samples));
    rng::uniform(u.data(), rows * num_samples, s, 0.0, 1.0);
    parallel_for(0, rows, 1, [&](int64_t b, int64_t e) {
      std::vector<double> cdf(static_cast<size_t>(cats));
      for (int64_t r = b; r < e; ++r) {
        std::partial_sum(wp + r * cats, wp + (r + 1) * cats, cdf.begin());
        int64_t last = cats - 1;  // the last positive category guards against rounding at u*sum
        while (wp[r * cats + last] == 0) --last;
        for (int64_t k = 0; k < num_samples; ++k) {
          const double x = u[r * num_samples + k] * cdf[cats - 1];
          const auto idx = std::upper_bound(cdf.begin(), cdf.end(), x) - cdf.begin();
          op[r * num_samples + k] = std::min<int64_t>(idx, last);
        }
      }
    });
  } else {
    // Exponential races: the smallest E_c / w_c (E_c ~ Exp(1)) wins, then the next, ..., which
    // is distributed exactly as drawing without replacement in proportion to w.
    std::vector<double> keys(static_cast<size_t>(rows * cats));
    rng::exponential(keys.data(), rows * cats, s, 1.0);
    parallel_for(0, rows, 1, [&](int64_t b, int64_t e) {
      std::vector<int64_t> idx(static_cast<size_t>(cats));
      for (int64_t r = b; r < e; ++r) {
        const double* kr = keys.data() + r * cats;
        const double* wr = wp + r * cats;
        std::iota(idx.begin(), idx.end(), int64_t{0});
        auto key = [&](int64_t c) { return wr[c] > 0 ? kr[c] / wr[c] : HUGE_VAL; };
        std::partial_sort(idx.begin(), idx.begin() + num_samples, idx.end(),
                          [&](int64_t x, int64_t y) {
                            const double kx = key(x), ky = key(y);
                            return kx < ky || (kx == ky && x < y);
                          });
        std::copy(idx.begin(), idx.begin() + num_samples, op + r * num_samples);
      }
    });
  }
  return out;
}

Tensor uniform_(const Tensor& self, double from, double to, Generator* gen) {
  check_floating(self.dtype(), "uniform_");
  AXONITE_CHECK(from <= to, RuntimeError,
                "uniform_: expects to return a [from, to) range, but found from=", from,
                " > to=", to);
  const PhiloxStream s = generator_or_default(gen).next_stream();
  return fill_inplace(self, "uniform_", "UniformBackward0",
                      [&](const Tensor& t) { fill_uniform(t, from, to, s); });
}

Tensor normal_(const Tensor& self, double mean, double std, Generator* gen) {
  check_floating(self.dtype(), "normal_");
  AXONITE_CHECK(std >= 0, RuntimeError, "normal_: expects std >= 0.0, but found std ", std);
  const PhiloxStream s = generator_or_default(gen).next_stream();
  return fill_inplace(self, "normal_", "NormalBackward0",
                      [&](const Tensor& t) { fill_normal(t, mean, std, s); });
}

Tensor exponential_(const Tensor& self, double lambd, Generator* gen) {
  check_floating(self.dtype(), "exponential_");
  AXONITE_CHECK(lambd > 0, RuntimeError,
                "exponential_: expects lambda > 0.0, but found lambda=", lambd);
  const PhiloxStream s = generator_or_default(gen).next_stream();
  return fill_inplace(self, "exponential_", "ExponentialBackward0", [&](const Tensor& t) {
    if (t.dtype() == DType::Float32)
      rng::exponential(t.data<float>(), t.numel(), s, lambd);
    else
      rng::exponential(t.data<double>(), t.numel(), s, lambd);
  });
}

Tensor bernoulli_(const Tensor& self, double p, Generator* gen) {
  check_probability(p, "bernoulli_");
  const PhiloxStream s = generator_or_default(gen).next_stream();
  return fill_inplace(self, "bernoulli_", "BernoulliBackward0",
                      [&](const Tensor& t) { fill_bernoulli(t, nullptr, p, s); });
}

Tensor bernoulli_(const Tensor& self, const Tensor& p, Generator* gen) {
  Tensor pd = checked_probs(p, self.sizes(), "bernoulli_");
  const PhiloxStream s = generator_or_default(gen).next_stream();
  return fill_inplace(self, "bernoulli_", "BernoulliBackward1",
                      [&](const Tensor& t) { fill_bernoulli(t, pd.data<double>(), 0.0, s); });
}

namespace {

// Standard normal quantile Phi^{-1}(p), p in (0, 1): Acklam's rational approximation (relative
// error 1.2e-9, below float32's rounding), then, when `refine`, one Halley step on Phi(x) - p,
// which brings it to double precision.
double norm_ppf(double p, bool refine) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  auto tail = [&](double q) {
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  };
  double x;
  if (p < kLow) {
    x = tail(std::sqrt(-2 * std::log(p)));
  } else if (p <= 1 - kLow) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    x = -tail(std::sqrt(-2 * std::log1p(-p)));
  }
  if (!refine) return x;
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * 2.5066282746310002 * std::exp(0.5 * x * x);  // e * sqrt(2 pi) / phi(x)
  if (std::isfinite(u)) x -= u / (1 + 0.5 * x * u);
  return x;
}

double norm_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

}  // namespace

Tensor trunc_normal_(const Tensor& self, double mean, double std, double a, double b,
                     Generator* gen) {
  check_floating(self.dtype(), "trunc_normal_");
  AXONITE_CHECK(std::isfinite(mean) && std::isfinite(std) && std > 0, RuntimeError,
                "trunc_normal_: expects a finite mean and a finite std > 0, but found mean=", mean,
                " and std=", std);
  AXONITE_CHECK(a < b, RuntimeError, "trunc_normal_: expects a < b, but found a=", a, " and b=", b);
  const PhiloxStream s = generator_or_default(gen).next_stream();
  return fill_inplace(self, "trunc_normal_", "TruncNormalBackward0", [&](const Tensor& t) {
    // An interval above the mean is sampled as its mirror image below it: Phi near 0 keeps
    // full relative precision, Phi near 1 would not.
    const double alpha = (a - mean) / std, beta = (b - mean) / std;
    const bool flip = alpha > 0;
    const double lo = norm_cdf(flip ? -beta : alpha), hi = norm_cdf(flip ? -alpha : beta);
    const int64_t n = t.numel();
    std::vector<double> u(static_cast<size_t>(n));
    rng::uniform(u.data(), n, s, lo, hi);
    dispatch_floating(t.dtype(), "trunc_normal_", [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* out = t.data<T>();
      const T ta = static_cast<T>(a), tb = static_cast<T>(b);
      parallel_for(0, n, 1024, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) {
          const double z = norm_ppf(std::max(u[i], std::numeric_limits<double>::min()),
                                    std::is_same_v<T, double>);
          const T x = static_cast<T>(mean + std * (flip ? -z : z));
          out[i] = std::min(std::max(x, ta), tb);
        }
      });
    });
  });
}

}  // namespace ax
