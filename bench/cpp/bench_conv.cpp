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
#include "fwd_bwd_bench.h"

namespace {

using bench::median_seconds;

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

bench::FwdBwdTiming bench_case(const ConvCase& c, int repeats) {
  ax::Generator gen(0);
  ax::Tensor x = ax::randn({c.n, c.c_in, c.h, c.w}, ax::DType::Float32, &gen);
  ax::Tensor w = ax::randn({c.c_out, c.c_in / c.groups, c.k, c.k}, ax::DType::Float32, &gen);
  ax::Tensor b = ax::randn({c.c_out}, ax::DType::Float32, &gen);
  const ax::Tensor gy = ax::randn({c.n, c.c_out, c.out_h(), c.out_w()}, ax::DType::Float32, &gen);
  for (ax::Tensor* p : {&x, &w, &b}) p->set_requires_grad(true);
  const ax::Dims stride{c.stride}, pad{c.pad}, dil{1};

  bench::FwdBwdTiming t{};
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

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads;
  int repeats = 0;
  std::vector<ConvCase> cases;
  auto find = [](const char* v) -> const ConvCase* {
    for (const ConvCase& c : kCases) {
      if (std::strlen(v) == 1 && c.key == v[0]) return &c;
    }
    return nullptr;
  };
  bench::parse_args(argc, argv, "bench_conv", "a b c d", kCases, find, &threads, &repeats, &cases);
  return bench::run_table(cases, threads, repeats, bench_case, "convolutions");
}
