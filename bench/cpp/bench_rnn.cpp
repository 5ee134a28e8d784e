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
#include "fma_peak.h"

namespace {

using bench::Clock;
using bench::measure_peak;
using bench::seconds_since;

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

Timing bench_case(const RnnCase& c, int repeats) {
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

  Timing t{};
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

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "bench_rnn: %s\nusage: bench_rnn [--threads N ...] [--repeats N] "
               "[--cases lstm gru]\n",
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
  std::vector<RnnCase> cases = kCases;
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
        const auto it = std::find_if(kCases.begin(), kCases.end(),
                                     [&](const RnnCase& c) { return c.mode == v; });
        if (it == kCases.end())
          usage(("unknown case '" + std::string(v) + "' (lstm, gru)").c_str());
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
    for (const RnnCase& c : cases) {
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
    std::printf("FMA peak f32, %d thread(s), re-measured after the RNN layers: %.1f GFLOP/s\n",
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
