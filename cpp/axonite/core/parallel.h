// Thread-count control and a parallel_for over OpenMP with a grain size.
// Work is split into chunks whose boundaries depend only on the range and grain, never on the
// thread count, so kernels that combine per-chunk partials in chunk order are deterministic.
#pragma once

#include <cstdint>

#include "axonite/core/config.h"

#if AXONITE_WITH_OPENMP
#include <omp.h>
#endif

namespace ax {

int get_num_threads();
void set_num_threads(int n);
// True while running inside a parallel region (nested parallel_for runs serially).
bool in_parallel_region();

// Calls f(b, e) over [begin, end) in chunks of at least `grain` elements. Runs serially when the
// range is at most `grain`, one thread is configured, or we are already inside a parallel region.
template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& f) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  const int nt = get_num_threads();
  if (grain < 1) grain = 1;
  if (n <= grain || nt <= 1 || in_parallel_region()) {
    f(begin, end);
    return;
  }
#if AXONITE_WITH_OPENMP
  int64_t chunks = (n + grain - 1) / grain;
  if (chunks > nt) chunks = nt;
  const int64_t step = (n + chunks - 1) / chunks;
#pragma omp parallel for num_threads(static_cast<int>(chunks)) schedule(static, 1)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t b = begin + c * step;
    const int64_t e = b + step < end ? b + step : end;
    if (b < e) f(b, e);
  }
#else
  f(begin, end);
#endif
}

}  // namespace ax
