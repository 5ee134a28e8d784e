// Generators (seed/offset bookkeeping) and the distribution fill kernels over Philox blocks.
// Every kernel maps Philox block j to a fixed set of output elements (see Note [Random
// streams] in rng.h), so any split of the blocks across threads gives the same values.
#include "axonite/core/rng.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "axonite/core/parallel.h"

namespace ax {

void Generator::manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mu_);
  seed_ = seed;
  offset_ = 0;
}

uint64_t Generator::seed() {
  std::random_device rd;
  const uint64_t s = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  manual_seed(s);
  return s;
}

uint64_t Generator::initial_seed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seed_;
}

PhiloxStream Generator::next_stream() {
  std::lock_guard<std::mutex> lock(mu_);
  return PhiloxStream{seed_, offset_++};
}

PhiloxStream Generator::get_state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return PhiloxStream{seed_, offset_};
}

void Generator::set_state(const PhiloxStream& s) {
  std::lock_guard<std::mutex> lock(mu_);
  seed_ = s.seed;
  offset_ = s.offset;
}

Generator& default_generator() {
  // Leaked on purpose: ops that run during static destruction (interpreter shutdown, other
  // translation units' destructors) may still draw from it.
  static Generator* g = new Generator();
  return *g;
}

namespace rng {
namespace {

constexpr int64_t kChunk = 256;                // blocks generated per batch (4 KiB of words)
constexpr int64_t kGrainBlocks = 4096;         // blocks below which threading does not pay
__extension__ typedef unsigned __int128 u128;  // GCC/Clang; __extension__ quiets -Wpedantic
constexpr double kTwoPi = 6.283185307179586476925286766559;

struct Lanes {
  alignas(64) uint32_t w[4][kChunk];  // w[k][i]: word k of block (first + i)
};

// The hot loops are cloned for AVX2 / AVX-512 and one clone is picked at load time (GNU ifunc)
// while the rest of the library stays baseline x86-64. This file is built with
// -ffp-contract=off: a fused a*b+c in a vector body but not in its scalar remainder would make
// values depend on where a thread's chunk starts. With IEEE ops in a fixed order and integer
// Philox, every clone computes the same bits.
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#define AXONITE_RNG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define AXONITE_RNG_CLONES
#endif

// Philox words of blocks [b0, b0 + nb), nb <= kChunk. Written lane-wise so the loop vectorizes.
AXONITE_RNG_CLONES void philox_lanes(const PhiloxStream& s, uint64_t b0, int64_t nb, Lanes& L) {
  const uint32_t k0 = static_cast<uint32_t>(s.seed), k1 = static_cast<uint32_t>(s.seed >> 32);
  const uint32_t o0 = static_cast<uint32_t>(s.offset), o1 = static_cast<uint32_t>(s.offset >> 32);
#pragma omp simd
  for (int64_t i = 0; i < nb; ++i) {
    const uint64_t j = b0 + static_cast<uint64_t>(i);
    uint32_t c0 = static_cast<uint32_t>(j), c1 = static_cast<uint32_t>(j >> 32), c2 = o0, c3 = o1;
    philox4x32_10(c0, c1, c2, c3, k0, k1);
    L.w[0][i] = c0;
    L.w[1][i] = c1;
    L.w[2][i] = c2;
    L.w[3][i] = c3;
  }
}

// Calls body(first_block, nb, lanes) over all blocks needed for n elements at `per_block`
// elements each, in parallel.
template <class F>
void for_each_chunk(int64_t n, int per_block, const PhiloxStream& s, const F& body) {
  const int64_t nblocks = (n + per_block - 1) / per_block;
  parallel_for(0, nblocks, kGrainBlocks, [&](int64_t b, int64_t e) {
    Lanes L;
    for (int64_t c = b; c < e; c += kChunk) {
      const int64_t nb = std::min(kChunk, e - c);
      philox_lanes(s, static_cast<uint64_t>(c), nb, L);
      body(c, nb, L);
    }
  });
}

// Writes the chunk's elements through put(i, k, element_index): element (c + i) * E + k comes
// from block c + i. Splits off the (rare) chunk that runs past n so the main loop has no
// bounds checks.
template <int E, class Put>
void scatter(int64_t n, int64_t c, int64_t nb, const Put& put) {
  const int64_t full = std::min(nb, (n - c * E) / E);  // blocks whose E elements are all < n
#pragma omp simd
  for (int64_t i = 0; i < full; ++i) {
    for (int k = 0; k < E; ++k) put(i, k, (c + i) * E + k);
  }
  for (int64_t i = full; i < nb; ++i) {
    for (int k = 0; k < E; ++k)
      if ((c + i) * E + k < n) put(i, k, (c + i) * E + k);
  }
}

inline float u24(uint32_t x) {  // [0, 1)
  return static_cast<float>(static_cast<int32_t>(x >> 8)) * 0x1.0p-24f;
}
inline double u53(uint32_t lo, uint32_t hi) {  // [0, 1)
  const uint64_t x = (static_cast<uint64_t>(hi) << 32) | lo;
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

// ln(u) for u in [2^-24, 1]: u = m * 2^e with m in [sqrt(1/2), sqrt(2)), ln(m) = 2 atanh(s),
// s = (m - 1) / (m + 1), |s| < 0.172, so the odd series to s^9 is exact to float precision.
// Decisions are made on the integer bits: a float compare may trap, which stops GCC from
// vectorizing the Box-Muller loop under the default -ftrapping-math.
inline float log_unit(float u) {
  int32_t bits;
  std::memcpy(&bits, &u, sizeof bits);
  int32_t mbits = (bits & 0x7fffff) | 0x3f800000;  // m in [1, 2)
  const int32_t big = mbits > 0x3fb504f3 ? 1 : 0;  // m > sqrt(2): halve it
  mbits -= big << 23;
  const int32_t e = (bits >> 23) - 127 + big;
  float m;
  std::memcpy(&m, &mbits, sizeof m);
  const float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
  const float p = s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7 + s2 * (1.0f / 9))));
  return static_cast<float>(e) * 0.693147180559945f + 2.0f * s + 2.0f * s * p;
}

// sqrt(x) for x >= 0 as x / sqrt(x) via three Newton steps on the reciprocal square root
// (relative error below 1e-7); std::sqrt may set errno, which blocks vectorization.
inline float sqrt_nonneg(float x) {
  int32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  // First guess at 1/sqrt(x) from the exponent. Unsigned subtraction: x = -0.0f (sign bit
  // set) would overflow int32_t; the wrapped bits are what the signed code always produced.
  bits = static_cast<int32_t>(0x5f3759dfu - static_cast<uint32_t>(bits >> 1));
  float y;
  std::memcpy(&y, &bits, sizeof y);
  const float h = 0.5f * x;
  y = y * (1.5f - h * y * y);
  y = y * (1.5f - h * y * y);
  y = y * (1.5f - h * y * y);
  return x * y;  // x = 0 gives 0 (y stays finite)
}

// sin and cos of 2*pi*v for v in [0, 1): quarter-turn reduction (exact for 24-bit v), then
// Taylor polynomials on [-pi/4, pi/4] (truncation below 3e-8).
inline void sincos_turns(float v, float* sn, float* cs) {
  const int q = static_cast<int>(4.0f * v + 0.5f);  // nearest quarter turn, 0..4
  const float x = (v - static_cast<float>(q) * 0.25f) * static_cast<float>(kTwoPi);
  const float x2 = x * x;
  const float s =
      x * (1.0f + x2 * (-1.0f / 6 + x2 * (1.0f / 120 + x2 * (-1.0f / 5040 + x2 / 362880))));
  const float c = 1.0f + x2 * (-0.5f + x2 * (1.0f / 24 + x2 * (-1.0f / 720 + x2 / 40320)));
  const bool swap = q & 1;
  const float sv = swap ? c : s, cv = swap ? s : c;
  *sn = (q & 2) ? -sv : sv;
  *cs = ((q + 1) & 2) ? -cv : cv;
}

inline void box_muller(uint32_t a, uint32_t b, float* z0, float* z1) {
  // (0, 1] so the log stays finite; int32 because SSE2 has no uint32 -> float conversion.
  const float u1 = static_cast<float>(static_cast<int32_t>((a >> 8) + 1)) * 0x1.0p-24f;
  const float r = sqrt_nonneg(-2.0f * log_unit(u1));
  float sn, cs;
  sincos_turns(u24(b), &sn, &cs);
  *z0 = r * cs;
  *z1 = r * sn;
}

}  // namespace

void box_muller_f32(uint32_t a, uint32_t b, float* z0, float* z1) { box_muller(a, b, z0, z1); }

// out: (n,) float32 <- 4 elements per block, one 24-bit uniform per word.
void uniform(float* out, int64_t n, const PhiloxStream& s, double lo, double hi) {
  const float a = static_cast<float>(lo), w = static_cast<float>(hi - lo);
  for_each_chunk(n, 4, s, [&](int64_t c, int64_t nb, const Lanes& L) {
    scatter<4>(n, c, nb, [&](int64_t i, int k, int64_t e) { out[e] = a + w * u24(L.w[k][i]); });
  });
}

// out: (n,) float64 <- 2 elements per block, one 53-bit uniform per word pair.
void uniform(double* out, int64_t n, const PhiloxStream& s, double lo, double hi) {
  const double w = hi - lo;
  for_each_chunk(n, 2, s, [&](int64_t c, int64_t nb, const Lanes& L) {
    scatter<2>(n, c, nb, [&](int64_t i, int k, int64_t e) {
      out[e] = lo + w * u53(L.w[2 * k][i], L.w[2 * k + 1][i]);
    });
  });
}

// z[2k + {0, 1}][i]: the Box-Muller pair from words (2k, 2k + 1) of block i.
AXONITE_RNG_CLONES void box_muller_lanes(const Lanes& L, int64_t nb, float (*z)[kChunk]) {
#pragma omp simd
  for (int64_t i = 0; i < nb; ++i) {
    box_muller(L.w[0][i], L.w[1][i], &z[0][i], &z[1][i]);
    box_muller(L.w[2][i], L.w[3][i], &z[2][i], &z[3][i]);
  }
}

// out: (n,) float32 <- 4 elements per block: words (0, 1) and (2, 3) each make a Box-Muller pair.
void normal(float* out, int64_t n, const PhiloxStream& s, double mean, double std) {
  const float m = static_cast<float>(mean), sd = static_cast<float>(std);
  for_each_chunk(n, 4, s, [&](int64_t c, int64_t nb, const Lanes& L) {
    alignas(64) float z[4][kChunk];
    box_muller_lanes(L, nb, z);
    scatter<4>(n, c, nb, [&](int64_t i, int k, int64_t e) { out[e] = m + sd * z[k][i]; });
  });
}

// out: (n,) float64 <- 2 elements per block: one Box-Muller pair from two 53-bit uniforms.
void normal(double* out, int64_t n, const PhiloxStream& s, double mean, double std) {
  for_each_chunk(n, 2, s, [&](int64_t c, int64_t nb, const Lanes& L) {
    alignas(64) double z[2][kChunk];
    for (int64_t i = 0; i < nb; ++i) {
      const double u1 = 1.0 - u53(L.w[0][i], L.w[1][i]);  // (0, 1]
      const double r = std::sqrt(-2.0 * std::log(u1));
      const double t = kTwoPi * u53(L.w[2][i], L.w[3][i]);
      z[0][i] = r * std::cos(t);
      z[1][i] = r * std::sin(t);
    }
    scatter<2>(n, c, nb, [&](int64_t i, int k, int64_t e) { out[e] = mean + std * z[k][i]; });
  });
}

// out: (n,) <- 2 elements per block.
template <class T>
void exponential_impl(T* out, int64_t n, const PhiloxStream& s, double lambd) {
  for_each_chunk(n, 2, s, [&](int64_t c, int64_t nb, const Lanes& L) {
    scatter<2>(n, c, nb, [&](int64_t i, int k, int64_t e) {
      out[e] = static_cast<T>(-std::log1p(-u53(L.w[2 * k][i], L.w[2 * k + 1][i])) / lambd);
    });
  });
}
void exponential(float* out, int64_t n, const PhiloxStream& s, double lambd) {
  exponential_impl(out, n, s, lambd);
}
void exponential(double* out, int64_t n, const PhiloxStream& s, double lambd) {
  exponential_impl(out, n, s, lambd);
}

// out: (n,) <- 2 elements per block.
void bernoulli(bool* out, int64_t n, const PhiloxStream& s, const double* p, double p_scalar) {
  for_each_chunk(n, 2, s, [&](int64_t c, int64_t nb, const Lanes& L) {
    scatter<2>(n, c, nb, [&](int64_t i, int k, int64_t e) {
      out[e] = u53(L.w[2 * k][i], L.w[2 * k + 1][i]) < (p ? p[e] : p_scalar);
    });
  });
}

// Multiply-shift maps w random bits onto [0, range) with a bias below range / 2^w. Ranges up to
// 2^32 use one 32-bit word per element (out: (n,) <- 4 per block), larger ones 64 bits (2 per
// block); either way the bias is negligible for any range a tensor can index.
void randint(int64_t* out, int64_t n, const PhiloxStream& s, int64_t low, uint64_t range) {
  const uint64_t base = static_cast<uint64_t>(low);
  if (range <= (uint64_t{1} << 32)) {
    for_each_chunk(n, 4, s, [&](int64_t c, int64_t nb, const Lanes& L) {
      scatter<4>(n, c, nb, [&](int64_t i, int k, int64_t e) {
        out[e] = static_cast<int64_t>(base + ((static_cast<uint64_t>(L.w[k][i]) * range) >> 32));
      });
    });
    return;
  }
  for_each_chunk(n, 2, s, [&](int64_t c, int64_t nb, const Lanes& L) {
    scatter<2>(n, c, nb, [&](int64_t i, int k, int64_t e) {
      const uint64_t x = (static_cast<uint64_t>(L.w[2 * k + 1][i]) << 32) | L.w[2 * k][i];
      out[e] =
          static_cast<int64_t>(base + static_cast<uint64_t>((static_cast<u128>(x) * range) >> 64));
    });
  });
}

void bits64(uint64_t* out, int64_t n, const PhiloxStream& s) {
  for_each_chunk(n, 2, s, [&](int64_t c, int64_t nb, const Lanes& L) {
    scatter<2>(n, c, nb, [&](int64_t i, int k, int64_t e) {
      out[e] = (static_cast<uint64_t>(L.w[2 * k + 1][i]) << 32) | L.w[2 * k][i];
    });
  });
}

}  // namespace rng
}  // namespace ax
