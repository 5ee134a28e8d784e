// GEMM benchmark: measures the machine's FMA peak for the active ISA (independent FMA chains on
// many registers, 1 and 2 threads), then square SGEMM/DGEMM GFLOP/s and % of that peak.
// Honours AXONITE_ISA (e.g. AXONITE_ISA=avx2 measures the AVX2 kernel against the AVX2 peak).
// Usage: bench_gemm [s|d|sd] [size,size,...]
//        bench_gemm v      batch-1 f32 GEMVs (Linear / LSTMCell shapes), median us per call
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "axonite/core/cpu_features.h"
#include "axonite/core/parallel.h"
#include "axonite/kernels/gemm.h"
#include "fma_peak.h"

namespace {

using bench::Clock;
using bench::measure_peak;
using bench::seconds_since;

void gemm_call(int64_t n, const float* a, const float* b, float* c) {
  ax::cpu::gemm_f32(n, n, n, 1.f, a, n, 1, b, n, 1, 0.f, c, n);
}
void gemm_call(int64_t n, const double* a, const double* b, double* c) {
  ax::cpu::gemm_f64(n, n, n, 1.0, a, n, 1, b, n, 1, 0.0, c, n);
}

// Median GFLOP/s of square n x n x n GEMMs (C = A * B, all row-major).
template <class T>
double bench_gemm(int64_t n) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<T> a(n * n), b(n * n), c(n * n);
  for (auto& x : a) x = static_cast<T>(dist(rng));
  for (auto& x : b) x = static_cast<T>(dist(rng));
  const double flops = 2.0 * n * n * n;
  // Calls per sample so that one sample takes ~20 ms; at least 7 samples.
  auto t0 = Clock::now();
  gemm_call(n, a.data(), b.data(), c.data());
  const double once = std::max(seconds_since(t0), 1e-7);
  const int inner = std::max(1, static_cast<int>(0.02 / once));
  const int samples = once > 0.2 ? 5 : 9;
  std::vector<double> rates;
  for (int s = 0; s < samples; ++s) {
    t0 = Clock::now();
    for (int r = 0; r < inner; ++r) gemm_call(n, a.data(), b.data(), c.data());
    rates.push_back(flops * inner / seconds_since(t0) / 1e9);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

// Median microseconds per call of the f32 product (1 x n) = (1 x k) @ B, B given by its strides.
// The same B every call, so it stays cache-resident as a layer's weight does between steps.
double bench_gemv(int64_t n, int64_t k, int64_t b_rs, int64_t b_cs) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<float> x(k), b(n * k), y(n);
  for (auto& v : x) v = static_cast<float>(dist(rng));
  for (auto& v : b) v = static_cast<float>(dist(rng));
  const auto call = [&] {
    ax::cpu::gemm_f32(1, n, k, 1.f, x.data(), k, 1, b.data(), b_rs, b_cs, 0.f, y.data(), n);
  };
  for (int r = 0; r < 100; ++r) call();  // warm caches and the work pool
  auto t0 = Clock::now();
  call();
  const double once = std::max(seconds_since(t0), 1e-7);
  const int inner = std::max(1, static_cast<int>(0.01 / once));
  std::vector<double> us;
  for (int s = 0; s < 21; ++s) {
    t0 = Clock::now();
    for (int r = 0; r < inner; ++r) call();
    us.push_back(seconds_since(t0) / inner * 1e6);
  }
  std::sort(us.begin(), us.end());
  return us[us.size() / 2];
}

int gemv_main() {
  struct Shape {
    const char* name;
    int64_t n, k, b_rs, b_cs;
  };
  const Shape shapes[] = {{"(1x256) = (1x1024) @ B(1024x256) row-major", 256, 1024, 256, 1},
                          {"(1x256) = (1x1024) @ W^T, W(256x1024) row-major", 256, 1024, 1, 1024},
                          {"(1x128) = (1x1024) @ B(1024x128) row-major", 128, 1024, 128, 1}};
  std::printf("ISA: %s, f32 GEMV, median us per call\n", ax::cpu::gemm_isa());
  for (const Shape& s : shapes)
    for (int t = 1; t <= 2; ++t) {
      ax::set_num_threads(t);
      std::printf("  %-50s threads=%d: %8.2f us\n", s.name, t,
                  bench_gemv(s.n, s.k, s.b_rs, s.b_cs));
    }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string types = argc > 1 ? argv[1] : "sd";
  if (types == "v") return gemv_main();
  std::vector<int64_t> sizes = {64, 128, 256, 512, 1024, 1536, 2048};
  if (argc > 2) {
    sizes.clear();
    for (const char* p = argv[2]; *p;) {
      sizes.push_back(std::strtoll(p, const_cast<char**>(&p), 10));
      if (*p == ',') ++p;
    }
  }
  const ax::Isa isa = ax::cpu_isa();
  const int max_threads = std::min(2, static_cast<int>(std::thread::hardware_concurrency()));
  std::printf("ISA: %s (gemm kernels: %s)\n", ax::isa_name(isa), ax::cpu::gemm_isa());
  double peak[3] = {0, 0, 0};
  for (int t = 1; t <= max_threads; ++t) {
    peak[t] = measure_peak(isa, t);
    std::printf("FMA peak f32, %d thread(s): %.1f GFLOP/s (f64: half)\n", t, peak[t]);
  }
  struct Row {
    char type;
    int64_t n;
    int threads;
    double gflops;
  };
  std::vector<Row> rows;
  for (char ty : types) {
    if (ty != 's' && ty != 'd') continue;
    for (int64_t n : sizes) {
      for (int t = 1; t <= max_threads; ++t) {
        ax::set_num_threads(t);
        const double g = ty == 's' ? bench_gemm<float>(n) : bench_gemm<double>(n);
        rows.push_back({ty, n, t, g});
        std::fprintf(stderr, "  %cgemm n=%lld threads=%d: %.1f GFLOP/s\n", ty,
                     static_cast<long long>(n), t, g);
      }
    }
  }
  // Re-measure the peak afterwards and divide by the larger value, so a noisy first measurement
  // cannot inflate the fractions.
  for (int t = 1; t <= max_threads; ++t) {
    const double again = measure_peak(isa, t);
    std::printf("FMA peak f32, %d thread(s), re-measured after the GEMMs: %.1f GFLOP/s\n", t,
                again);
    peak[t] = std::max(peak[t], again);
  }
  char last = 0;
  for (const Row& r : rows) {
    if (r.type != last) {
      std::printf("\n%s        size  threads   GFLOP/s   %% of peak\n",
                  r.type == 's' ? "SGEMM" : "DGEMM");
      last = r.type;
    }
    const double pk = r.type == 's' ? peak[r.threads] : peak[r.threads] / 2;
    std::printf("            %5lld  %7d  %8.1f   %8.1f%%\n", static_cast<long long>(r.n), r.threads,
                r.gflops, 100.0 * r.gflops / pk);
  }
  return 0;
}
