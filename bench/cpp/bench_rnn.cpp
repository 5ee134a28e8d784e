// Recurrent-layer benchmark through the public C++ API (ax::rnn_layer, the fused whole-sequence
// op behind axonite.nn.LSTM and GRU, + the autograd engine): forward, and forward + backward
// (gradients of the input, the initial states and all four weight/bias tensors), as median ms
// per call, GFLOP/s and the fraction of the measured f32 FMA peak of the active ISA, for one
// layer in one direction at the size of bench/python/bench_rnn.py: seq T=50, batch B=64,
// input I=128, hidden H=256 (that script gives the PyTorch ratios, which cannot be measured
// here since PyTorch does not run in this process).
// FLOPs count multiply-adds as 2 and only the GEMMs: forward 2*T*B*G*H*(I+H) with G gates
// (4 for LSTM, 3 for GRU); forward+backward is 3x that (grad input/hidden and grad weights each
// cost one forward). Gate nonlinearities and the cell update are ignored.
// Usage: bench_rnn [--threads 1 2] [--repeats 7] [--cases lstm gru]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "axonite/axonite.h"
#include "axonite/core/cpu_features.h"
#include "axonite/core/rng.h"
#include "axonite/ops/rnn.h"
#include "fwd_bwd_bench.h"

namespace {

using bench::median_seconds;

constexpr int64_t kT = 50, kB = 64, kI = 128, kH = 256;

struct RnnCase {
  std::string mode;  // ax::rnn_layer's mode string, also the --cases key
  int64_t gates;

  double forward_flops() const { return 2.0 * kT * kB * gates * kH * (kI + kH); }
  std::string label() const {
    std::string name = mode == "lstm" ? "LSTM" : "GRU";
    return name + " T=" + std::to_string(kT) + " B=" + std::to_string(kB) +
           " I=" + std::to_string(kI) + " H=" + std::to_string(kH);
  }
};

const std::vector<RnnCase> kCases = {{"lstm", 4}, {"gru", 3}};

bench::FwdBwdTiming bench_case(const RnnCase& c, int repeats) {
  const bool lstm = c.mode == "lstm";
  const int64_t gh = c.gates * kH;
  ax::Generator gen(0);
  const auto f32 = ax::DType::Float32;
  ax::Tensor x = ax::randn({kT, kB, kI}, f32, &gen);
  ax::Tensor h0 = ax::randn({kB, kH}, f32, &gen);
  // Only the LSTM has a cell state; rnn_layer takes an undefined tensor otherwise.
  ax::Tensor c0 = lstm ? ax::randn({kB, kH}, f32, &gen) : ax::Tensor();
  // PyTorch's default init scale 1/sqrt(H) keeps the gates out of saturation, as in training.
  const ax::Tensor scale = ax::full({}, 1.0 / std::sqrt(static_cast<double>(kH)), f32);
  ax::Tensor w_ih = ax::mul(ax::randn({gh, kI}, f32, &gen), scale);
  ax::Tensor w_hh = ax::mul(ax::randn({gh, kH}, f32, &gen), scale);
  ax::Tensor b_ih = ax::mul(ax::randn({gh}, f32, &gen), scale);
  ax::Tensor b_hh = ax::mul(ax::randn({gh}, f32, &gen), scale);
  std::vector<ax::Tensor*> leaves = {&x, &h0, &w_ih, &w_hh, &b_ih, &b_hh};
  if (lstm) leaves.push_back(&c0);
  for (ax::Tensor* p : leaves) p->set_requires_grad(true);
  // Upstream gradients for every output (y, h_n and, for LSTM, c_n), as when the final states
  // feed a classifier head and the outputs feed a per-step loss.
  ax::TensorList grads = {ax::randn({kT, kB, kH}, f32, &gen), ax::randn({kB, kH}, f32, &gen)};
  if (lstm) grads.push_back(ax::randn({kB, kH}, f32, &gen));
  const ax::Tensor none;
  auto run = [&] {
    return ax::rnn_layer(c.mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, none, none, false);
  };

  bench::FwdBwdTiming t{};
  {
    // Inference: no graph is recorded, as under Python's no_grad().
    ax::autograd::GradModeGuard no_grad(false);
    t.fwd_s = median_seconds(run, repeats);
  }
  t.fwd_bwd_s = median_seconds(
      [&] {
        // Drop last call's gradients so every call computes them afresh instead of adding into
        // the previous ones (optimizer.zero_grad(set_to_none=True)).
        for (ax::Tensor* p : leaves) p->set_grad(ax::Tensor());
        const ax::TensorList out = run();
        ax::autograd::backward(out, grads, false, false);
      },
      repeats);
  // The timed loop must have produced every gradient, or it timed less than it claims.
  for (const ax::Tensor* p : leaves) {
    if (!p->grad().defined() || p->grad().sizes() != p->sizes()) {
      std::fprintf(stderr, "bench_rnn: case %s: backward did not produce every gradient\n",
                   c.mode.c_str());
      std::exit(1);
    }
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads;
  int repeats = 0;
  std::vector<RnnCase> cases;
  auto find = [](const char* v) -> const RnnCase* {
    for (const RnnCase& c : kCases) {
      if (c.mode == v) return &c;
    }
    return nullptr;
  };
  bench::parse_args(argc, argv, "bench_rnn", "lstm gru", kCases, find, &threads, &repeats, &cases);
  return bench::run_table(cases, threads, repeats, bench_case, "RNN layers");
}
