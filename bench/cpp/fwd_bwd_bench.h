// Shared driver of the C++ layer benchmarks (bench_conv, bench_rnn): the command line
// (--threads N ..., --repeats N, --cases NAME ...), median timing, and the table of forward and
// forward+backward times, GFLOP/s and fraction of the FMA peak (fma_peak.h). A bench supplies
// its cases (each with label() and forward_flops()), how to find a case by name, and a function
// that times one case.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "axonite/core/cpu_features.h"
#include "axonite/core/parallel.h"
#include "fma_peak.h"

namespace bench {

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

struct FwdBwdTiming {
  double fwd_s, fwd_bwd_s;
};

[[noreturn]] inline void usage(const char* name, const char* cases, const char* why) {
  std::fprintf(stderr, "%s: %s\nusage: %s [--threads N ...] [--repeats N] [--cases %s]\n", name,
               why, name, cases);
  std::exit(2);
}

// Parses the command line into threads, repeats and cases (all of `all` by default);
// find(name) returns a pointer into `all` or null for an unknown name. Exits with code 2 and a
// message naming the flag on bad input.
template <class Case, class Find>
void parse_args(int argc, char** argv, const char* name, const char* case_names,
                const std::vector<Case>& all, const Find& find, std::vector<int>* threads,
                int* repeats, std::vector<Case>* cases) {
  *threads = {1, 2};
  *repeats = 7;
  *cases = all;
  auto positive = [&](const std::string& flag, const char* s) {
    char* end = nullptr;
    const long v = std::strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < 1 || v > 1024)
      usage(name, case_names, (flag + " takes positive integers, got '" + s + "'").c_str());
    return static_cast<int>(v);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    // Every flag takes the values that follow it up to the next "--" flag, as argparse's nargs.
    std::vector<const char*> vals;
    while (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0) vals.push_back(argv[++i]);
    if (vals.empty()) usage(name, case_names, (flag + " needs a value").c_str());
    if (flag == "--threads") {
      threads->clear();
      for (const char* v : vals) threads->push_back(positive(flag, v));
    } else if (flag == "--repeats") {
      if (vals.size() != 1) usage(name, case_names, "--repeats takes one value");
      *repeats = positive(flag, vals[0]);
    } else if (flag == "--cases") {
      cases->clear();
      for (const char* v : vals) {
        const Case* c = find(v);
        if (c == nullptr)
          usage(name, case_names,
                ("unknown case '" + std::string(v) + "' (" + case_names + ")").c_str());
        cases->push_back(*c);
      }
    } else {
      usage(name, case_names, ("unknown argument " + flag).c_str());
    }
  }
}

// Times every case at every thread count with time_case(case, repeats) -> FwdBwdTiming and
// prints the table. Forward+backward is counted as 3x the forward FLOPs. The FMA peak is
// measured before and after (`what` names the work in between) and the larger value divides.
template <class Case, class TimeCase>
int run_table(const std::vector<Case>& cases, const std::vector<int>& threads, int repeats,
              const TimeCase& time_case, const char* what) {
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
    for (const Case& c : cases) {
      const FwdBwdTiming t = time_case(c, repeats);
      rows.push_back({c.label(), static_cast<int>(ti), c.forward_flops(), t.fwd_s, t.fwd_bwd_s});
      std::fprintf(stderr, "  %s threads=%d: fwd %.3f ms, fwd+bwd %.3f ms\n", c.label().c_str(),
                   threads[ti], t.fwd_s * 1e3, t.fwd_bwd_s * 1e3);
    }
  }
  // Re-measure the peak afterwards and divide by the larger value, so a noisy first measurement
  // cannot inflate the fractions.
  for (size_t i = 0; i < threads.size(); ++i) {
    const double again = measure_peak(isa, threads[i]);
    std::printf("FMA peak f32, %d thread(s), re-measured after the %s: %.1f GFLOP/s\n", threads[i],
                what, again);
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

}  // namespace bench
