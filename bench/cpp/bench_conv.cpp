// Conv2d benchmark through the public C++ API (ax::conv2d + the autograd engine): forward, and
// forward + backward (input, weight and bias gradients), as median ms per call, GFLOP/s and the
// fraction of the measured f32 FMA peak of the active ISA, for the cases of
// bench/python/bench_conv.py (same letters, same labels; that script gives the PyTorch ratios,
// which cannot be measured here since PyTorch does not run in this process):
//   (a) N=64, 1->6, 28x28, k5           (LeNet's first layer)
//   (b) N=64, 64->64, 32x32, k3 p1
//   (c) N=32, 3->64, 224x224, k7 s2 p3  (ResNet stem)
//   (d) depthwise 3x3, N=32, 128 ch, 56x56, p1
// FLOPs count multiply-adds as 2: forward 2*N*OC*OH*OW*(C/groups)*KH*KW; forward+backward is 3x
// that (grad input and grad weight each cost one forward; bias add and bias grad are ignored).
// Usage: bench_conv [--threads 1 2] [--repeats 7] [--cases a b c d]
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "axonite/axonite.h"
#include "axonite/core/cpu_features.h"
#include "axonite/core/rng.h"
#include "fma_peak.h"

namespace {

using bench::Clock;
using bench::measure_peak;
using bench::seconds_since;

// ---- The cases: the CONFIGS table of bench/python/bench_conv.py.
struct ConvCase {
  char key;
  int64_t n, c_in, c_out, h, w, k, stride, pad, groups;

  int64_t out_h() const { return (h + 2 * pad - k) / stride + 1; }
  int64_t out_w() const { return (w + 2 * pad - k) / stride + 1; }
  double forward_flops() const {
    return 2.0 * n * c_out * out_h() * out_w() * (c_in / groups) * k * k;
  }
  // The label bench_conv.py prints, so rows of the two benches can be matched by eye.
  std::string label() const {
    std::string s = "(" + std::string(1, key) + ") " + std::to_string(n) + "x" +
                    std::to_string(c_in) + "->" + std::to_string(c_out) + " " + std::to_string(h) +
                    "x" + std::to_string(w) + " k" + std::to_string(k);
    if (stride > 1) s += " s" + std::to_string(stride);
    if (pad) s += " p" + std::to_string(pad);
    if (groups > 1) s += " dw";
    return s;
  }
};

const std::vector<ConvCase> kCases = {
    {'a', 64, 1, 6, 28, 28, 5, 1, 0, 1},
    {'b', 64, 64, 64, 32, 32, 3, 1, 1, 1},
    {'c', 32, 3, 64, 224, 224, 7, 2, 3, 1},
    {'d', 32, 128, 128, 56, 56, 3, 1, 1, 128},
};

// Median seconds per call of fn over `repeats` samples; each sample runs fn enough times to last
// about 50 ms (the Python harness's batch length), after one untimed warm-up call.
template <class F>
double median_seconds(const F& fn, int repeats) {
  auto t0 = Clock::now();
  fn();
  const double once = std::max(seconds_since(t0), 1e-7);
  const int inner = std::max(1, static_cast<int>(0.05 / once));
  std::vector<double> per_call;
  for (int r = 0; r < repeats; ++r) {
    t0 = Clock::now();
    for (int i = 0; i < inner; ++i) fn();
    per_call.push_back(seconds_since(t0) / inner);
  }
  std::sort(per_call.begin(), per_call.end());
  return per_call[per_call.size() / 2];
}

struct Timing {
  double fwd_s, fwd_bwd_s;
};

Timing bench_case(const ConvCase& c, int repeats) {
  ax::Generator gen(0);
  ax::Tensor x = ax::randn({c.n, c.c_in, c.h, c.w}, ax::DType::Float32, &gen);
  ax::Tensor w = ax::randn({c.c_out, c.c_in / c.groups, c.k, c.k}, ax::DType::Float32, &gen);
  ax::Tensor b = ax::randn({c.c_out}, ax::DType::Float32, &gen);
  const ax::Tensor gy = ax::randn({c.n, c.c_out, c.out_h(), c.out_w()}, ax::DType::Float32, &gen);
  for (ax::Tensor* p : {&x, &w, &b}) p->set_requires_grad(true);
  const ax::Dims stride{c.stride}, pad{c.pad}, dil{1};

  Timing t{};
  {
    // Inference: no graph is recorded, as under Python's no_grad().
    ax::autograd::GradModeGuard no_grad(false);
    t.fwd_s = median_seconds([&] { ax::conv2d(x, w, b, stride, pad, dil, c.groups); }, repeats);
  }
  t.fwd_bwd_s = median_seconds(
      [&] {
        // Drop last call's gradients so every call computes all three afresh instead of adding
        // into the previous ones (optimizer.zero_grad(set_to_none=True)).
        for (ax::Tensor* p : {&x, &w, &b}) p->set_grad(ax::Tensor());
        const ax::Tensor y = ax::conv2d(x, w, b, stride, pad, dil, c.groups);
        ax::autograd::backward({y}, {gy}, false, false);
      },
      repeats);
  // The timed loop must have produced all three gradients, or it timed less than it claims.
  for (const ax::Tensor* p : {&x, &w, &b}) {
    if (!p->grad().defined() || p->grad().sizes() != p->sizes()) {
      std::fprintf(stderr, "bench_conv: case (%c): backward did not produce every gradient\n",
                   c.key);
      std::exit(1);
    }
  }
  return t;
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "bench_conv: %s\nusage: bench_conv [--threads N ...] [--repeats N] "
               "[--cases a b c d]\n",
               why);
  std::exit(2);
}

int parse_positive(const char* flag, const char* s) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < 1 || v > 1024)
    usage((std::string(flag) + " takes positive integers, got '" + s + "'").c_str());
  return static_cast<int>(v);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads = {1, 2};
  int repeats = 7;
  std::vector<ConvCase> cases = kCases;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    // Every flag takes the values that follow it up to the next "--" flag, as argparse's nargs.
    std::vector<const char*> vals;
    while (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0) vals.push_back(argv[++i]);
    if (vals.empty()) usage((flag + " needs a value").c_str());
    if (flag == "--threads") {
      threads.clear();
      for (const char* v : vals) threads.push_back(parse_positive("--threads", v));
    } else if (flag == "--repeats") {
      if (vals.size() != 1) usage("--repeats takes one value");
      repeats = parse_positive("--repeats", vals[0]);
    } else if (flag == "--cases") {
      cases.clear();
      for (const char* v : vals) {
        const auto it = std::find_if(kCases.begin(), kCases.end(), [&](const ConvCase& c) {
          return std::strlen(v) == 1 && c.key == v[0];
        });
        if (it == kCases.end())
          usage(("unknown case '" + std::string(v) + "' (a, b, c, d)").c_str());
        cases.push_back(*it);
      }
    } else {
      usage(("unknown argument " + flag).c_str());
    }
  }

  const ax::Isa isa = ax::cpu_isa();
  std::printf("ISA: %s; %u hardware threads; medians of %d samples\n", ax::isa_name(isa),
              std::thread::hardware_concurrency(), repeats);
  std::vector<double> peak(threads.size());
  for (size_t i = 0; i < threads.size(); ++i) {
    peak[i] = measure_peak(isa, threads[i]);
    std::printf("FMA peak f32, %d thread(s): %.1f GFLOP/s\n", threads[i], peak[i]);
  }

  struct Row {
    std::string label;
    int threads_idx;
    double flops, fwd_s, fwd_bwd_s;
  };
  std::vector<Row> rows;
  for (size_t ti = 0; ti < threads.size(); ++ti) {
    ax::set_num_threads(threads[ti]);
    for (const ConvCase& c : cases) {
      const Timing t = bench_case(c, repeats);
      rows.push_back({c.label(), static_cast<int>(ti), c.forward_flops(), t.fwd_s, t.fwd_bwd_s});
      std::fprintf(stderr, "  %s threads=%d: fwd %.3f ms, fwd+bwd %.3f ms\n", c.label().c_str(),
                   threads[ti], t.fwd_s * 1e3, t.fwd_bwd_s * 1e3);
    }
  }
  // Re-measure the peak afterwards and divide by the larger value, so a noisy first measurement
  // cannot inflate the fractions.
  for (size_t i = 0; i < threads.size(); ++i) {
    const double again = measure_peak(isa, threads[i]);
    std::printf("FMA peak f32, %d thread(s), re-measured after the convolutions: %.1f GFLOP/s\n",
                threads[i], again);
    peak[i] = std::max(peak[i], again);
  }

  std::printf("\n%-34s %-8s %7s %11s %9s %10s\n", "case", "pass", "threads", "median ms", "GFLOP/s",
              "% of peak");
  for (const Row& r : rows) {
    const double pk = peak[r.threads_idx];
    const int th = threads[r.threads_idx];
    const double gf = r.flops / r.fwd_s / 1e9, gfb = 3 * r.flops / r.fwd_bwd_s / 1e9;
    std::printf("%-34s %-8s %7d %11.3f %9.1f %9.1f%%\n", r.label.c_str(), "fwd", th, r.fwd_s * 1e3,
                gf, 100 * gf / pk);
    std::printf("%-34s %-8s %7d %11.3f %9.1f %9.1f%%\n", r.label.c_str(), "fwd+bwd", th,
                r.fwd_bwd_s * 1e3, gfb, 100 * gfb / pk);
  }
  return 0;
}
