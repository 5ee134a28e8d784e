// Random numbers: the Philox4x32-10 counter-based generator, `Generator` (seed + offset, the
// global default one and user-made ones), and raw fill kernels for the distributions used by
// ops/creation.cpp. Tensor-level random ops live in ops/creation.{h,cpp}, not here.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>

namespace ax {

// Note [Random streams]
// Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3",
// SC'11) maps a 128-bit counter and a 64-bit key to 128 random bits. Each random op takes one
// stream (seed, offset) from its generator, which then advances its offset by one; block j of
// that op is Philox(counter = (j, offset), key = seed). A value therefore depends only on
// (seed, offset, element index), never on the thread that computes it or the order of work,
// so fills run in parallel and repeat bit-for-bit after manual_seed.
// Ten rounds on a counter held in scalars (keeps the caller's loop vectorizable).
inline void philox4x32_10(uint32_t& c0, uint32_t& c1, uint32_t& c2, uint32_t& c3, uint32_t k0,
                          uint32_t k1) {
  for (int r = 0; r < 10; ++r) {
    const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0;
    const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2;
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(p1);
    c3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;  // Weyl key schedule: golden ratio and sqrt(3) - 1
    k1 += 0xBB67AE85u;
  }
}

inline void philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
  philox4x32_10(c0, c1, c2, c3, key[0], key[1]);
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

// One op's share of a generator: see Note [Random streams].
struct PhiloxStream {
  uint64_t seed = 0;
  uint64_t offset = 0;
  void block(uint64_t j, uint32_t out[4]) const {
    const uint32_t ctr[4] = {static_cast<uint32_t>(j), static_cast<uint32_t>(j >> 32),
                             static_cast<uint32_t>(offset), static_cast<uint32_t>(offset >> 32)};
    const uint32_t key[2] = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
    philox4x32_10(ctr, key, out);
  }
};

// A seeded source of streams. Thread-safe: taking a stream is a short locked increment.
class Generator {
 public:
  static constexpr uint64_t kDefaultSeed = 67280421310721ull;  // PyTorch's default seed
  explicit Generator(uint64_t seed = kDefaultSeed) : seed_(seed) {}
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  void manual_seed(uint64_t seed);
  // Re-seeds from a non-deterministic source and returns the new seed.
  uint64_t seed();
  uint64_t initial_seed() const;
  // The stream for the next op (current seed and offset), then offset += 1.
  PhiloxStream next_stream();
  // Checkpointable state: the seed and the offset.
  PhiloxStream get_state() const;
  void set_state(const PhiloxStream& s);

 private:
  mutable std::mutex mu_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// The process-wide generator behind ax.manual_seed and every op called without generator=.
Generator& default_generator();
inline Generator& generator_or_default(Generator* g) { return g ? *g : default_generator(); }

// Raw fill kernels: out[i] depends only on (stream, i); they split work across threads.
namespace rng {

// Uniform on [lo, hi) (hi itself may appear after rounding of lo + (hi - lo) * u).
void uniform(float* out, int64_t n, const PhiloxStream& s, double lo, double hi);
void uniform(double* out, int64_t n, const PhiloxStream& s, double lo, double hi);
// Normal(mean, std) by the Box-Muller transform.
void normal(float* out, int64_t n, const PhiloxStream& s, double mean, double std);
void normal(double* out, int64_t n, const PhiloxStream& s, double mean, double std);
// Exponential with rate lambd: -log(1 - u) / lambd.
void exponential(float* out, int64_t n, const PhiloxStream& s, double lambd);
void exponential(double* out, int64_t n, const PhiloxStream& s, double lambd);
// out[i] = u[i] < p[i] (or < p_scalar when p is null) with u uniform on [0, 1) at 53 bits, so
// p = 0 never fires and p = 1 always does.
void bernoulli(bool* out, int64_t n, const PhiloxStream& s, const double* p, double p_scalar);
// Integers uniform on [low, low + range) (range >= 1, as unsigned to allow the full int64 span).
void randint(int64_t* out, int64_t n, const PhiloxStream& s, int64_t low, uint64_t range);
// 64 random bits per element.
void bits64(uint64_t* out, int64_t n, const PhiloxStream& s);
// One float32 Box-Muller pair from two 24-bit uniforms (exposed for the accuracy test).
void box_muller_f32(uint32_t a, uint32_t b, float* z0, float* z1);

}  // namespace rng
}  // namespace ax
