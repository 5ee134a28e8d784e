// Index kernels: row gather/put (advanced indexing, index_select, index_add), gather/scatter
// along a dim, range validation, tril/triu and nonzero. Rows whose post block is contiguous on
// both sides move with memcpy. Writers partition by destination (never atomics), so repeated
// destinations resolve in a fixed order whatever the thread count.
#include "axonite/kernels/indexing.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <limits>
#include <vector>

#include "axonite/kernels/cpu/loops.h"
#include "axonite/kernels/cpu/scalar_math.h"

namespace ax::cpu {
namespace {

constexpr int64_t kGrain = kElementwiseGrain;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// Calls f(TypeTag<U>) with an unsigned type of the element size: copies need no arithmetic.
template <class F>
void dispatch_size(int64_t es, F&& f) {
  if (es == 1)
    f(TypeTag<uint8_t>{});
  else if (es == 4)
    f(TypeTag<uint32_t>{});
  else
    f(TypeTag<uint64_t>{});
}

// Multi-index over `sizes` tracking the byte offset of N operands; next() moves one step in
// row-major order.
template <int N>
struct Odometer {
  int nd;
  const int64_t* sizes;
  std::array<const int64_t*, N> strides;
  int64_t idx[kMaxDims];
  int64_t off[N] = {};

  Odometer(const Dims& s, std::array<const int64_t*, N> st)
      : nd(s.size()), sizes(s.data()), strides(st) {}
  void seek(int64_t linear) {
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = nd - 1; d >= 0; --d) {
      idx[d] = linear % sizes[d];
      linear /= sizes[d];
      for (int k = 0; k < N; ++k) off[k] += idx[d] * strides[k][d];
    }
  }
  void next() {
    for (int d = nd - 1; d >= 0; --d) {
      for (int k = 0; k < N; ++k) off[k] += strides[k][d];
      if (++idx[d] < sizes[d]) return;
      for (int k = 0; k < N; ++k) off[k] -= idx[d] * strides[k][d];
      idx[d] = 0;
    }
  }
};

// One post block, described once and applied to every row.
struct RowGeom {
  LoopGeometry<2> g;  // operand 0: destination, 1: source
  int64_t q = 0;
  bool contig = false;  // both sides unit-stride over q elements
};

RowGeom make_row(const Dims& sizes, const Dims& dst_st, const Dims& src_st, int64_t es) {
  RowGeom r;
  r.g = coalesce<2>(sizes, {dst_st.data(), src_st.data()});
  r.q = numel_of(sizes);
  r.contig = r.g.ndim == 0 || (r.g.ndim == 1 && r.g.strides[0][0] == es && r.g.strides[1][0] == es);
  return r;
}

template <class U>
inline void copy_row(const RowGeom& r, char* dst, const char* src) {
  if (r.contig) {
    if (r.q == 1)
      *reinterpret_cast<U*>(dst) = *reinterpret_cast<const U*>(src);
    else
      std::memcpy(dst, src, static_cast<size_t>(r.q) * sizeof(U));
    return;
  }
  loop_range<2>(r.g, {dst, const_cast<char*>(src)}, 0, r.q,
                [](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t n) {
                  for (int64_t i = 0; i < n; ++i)
                    *reinterpret_cast<U*>(p[0] + i * s[0]) =
                        *reinterpret_cast<const U*>(p[1] + i * s[1]);
                });
}

template <class T>
inline void add_row(const RowGeom& r, char* dst, const char* src) {
  if (r.contig) {
    T* d = reinterpret_cast<T*>(dst);
    const T* s = reinterpret_cast<const T*>(src);
    for (int64_t i = 0; i < r.q; ++i) d[i] = math::wrap_add(d[i], s[i]);
    return;
  }
  loop_range<2>(r.g, {dst, const_cast<char*>(src)}, 0, r.q,
                [](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t n) {
                  for (int64_t i = 0; i < n; ++i) {
                    T* d = reinterpret_cast<T*>(p[0] + i * s[0]);
                    *d = math::wrap_add(*d, *reinterpret_cast<const T*>(p[1] + i * s[1]));
                  }
                });
}

// Calls f(p, pre_byte_offset, b) for the rows [begin, end) of (P, nb) in order.
template <class F>
void for_rows(const IndexRows& g, int64_t begin, int64_t end, const F& f) {
  if (begin >= end) return;
  Odometer<1> od(g.pre_sizes, {g.pre_strides.data()});
  int64_t p = begin / g.nb, b = begin % g.nb;
  od.seek(p);
  for (int64_t r = begin; r < end; ++r) {
    f(p, od.off[0], b);
    if (++b == g.nb) {
      b = 0;
      ++p;
      od.next();
    }
  }
}

}  // namespace

void index_rows_gather(char* dense, const char* indexed, const IndexRows& g, int64_t esize) {
  const int64_t rows = numel_of(g.pre_sizes) * g.nb;
  const RowGeom r = make_row(g.post_sizes, g.dense_post_strides, g.post_strides, esize);
  if (rows == 0 || r.q == 0) return;
  dispatch_size(esize, [&](auto tag) {
    using U = typename decltype(tag)::type;
    if (rows == g.nb && r.q == 1) {
      // One element per row (x[mask], x[idx] on a 1-d x): a plain gather loop.
      parallel_for(0, rows, kGrain, [&](int64_t s, int64_t e) {
        for (int64_t b = s; b < e; ++b)
          *reinterpret_cast<U*>(dense + b * g.dense_b) =
              *reinterpret_cast<const U*>(indexed + g.offs[b]);
      });
      return;
    }
    parallel_for(0, rows, std::max<int64_t>(1, kGrain / r.q), [&](int64_t s, int64_t e) {
      for_rows(g, s, e, [&](int64_t p, int64_t poff, int64_t b) {
        copy_row<U>(r, dense + p * g.dense_p + b * g.dense_b, indexed + poff + g.offs[b]);
      });
    });
  });
}

void index_rows_put(char* indexed, const char* dense, const IndexRows& g, DType dt,
                    bool accumulate) {
  const int64_t P = numel_of(g.pre_sizes), rows = P * g.nb;
  const RowGeom r = make_row(g.post_sizes, g.post_strides, g.dense_post_strides, itemsize(dt));
  if (rows == 0 || r.q == 0) return;
  dispatch(dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    // Applies the rows of pre positions [p0, p1) whose offset lies in [lo, hi).
    auto run = [&](int64_t p0, int64_t p1, int64_t lo, int64_t hi) {
      for_rows(g, p0 * g.nb, p1 * g.nb, [&](int64_t p, int64_t poff, int64_t b) {
        const int64_t o = g.offs[b];
        if (o < lo || o >= hi) return;
        char* d = indexed + poff + o;
        const char* s = dense + p * g.dense_p + b * g.dense_b;
        if (accumulate)
          add_row<T>(r, d, s);
        else
          copy_row<T>(r, d, s);
      });
    };
    const int64_t work = rows * r.q;
    const int nt = get_num_threads();
    if (work <= kGrain || nt <= 1) {
      run(0, P, kMin, kMax);
    } else if (P >= nt) {
      // Distinct pre positions never share a destination.
      parallel_for(0, P, std::max<int64_t>(1, kGrain / (g.nb * r.q)),
                   [&](int64_t s, int64_t e) { run(s, e, kMin, kMax); });
    } else {
      // Each part owns a range of row offsets and scans every row in order.
      const auto [mn, mx] = std::minmax_element(g.offs, g.offs + g.nb);
      const int64_t lo = *mn, span = *mx - *mn + 1;
      const int64_t parts = std::min<int64_t>({nt, span, work / kGrain + 1});
      parallel_for(0, parts, 1, [&](int64_t s, int64_t e) {
        for (int64_t t = s; t < e; ++t)
          run(0, P, lo + span * t / parts, lo + span * (t + 1) / parts);
      });
    }
  });
}

void gather_lines(char* b, const char* a, const char* index, const DimLines& g, int64_t esize) {
  const int64_t L = numel_of(g.line_sizes), J = g.J, total = L * J;
  if (total == 0) return;
  dispatch_size(esize, [&](auto tag) {
    using U = typename decltype(tag)::type;
    parallel_for(0, total, kGrain, [&](int64_t s, int64_t e) {
      Odometer<3> od(g.line_sizes, {g.idx_strides.data(), g.a_strides.data(), g.b_strides.data()});
      int64_t j = s % J;
      od.seek(s / J);
      for (int64_t r = s; r < e;) {
        const int64_t jn = std::min(J, j + (e - r));
        const char* ip = index + od.off[0];
        const char* ap = a + od.off[1];
        char* bp = b + od.off[2];
        if (g.idx_sd == sizeof(int64_t) && g.b_sd == sizeof(U) && g.a_sd == sizeof(U)) {
          // Contiguous along dim on every side (gather over the last dim): plain typed loop.
          const int64_t* iv = reinterpret_cast<const int64_t*>(ip);
          const U* av = reinterpret_cast<const U*>(ap);
          U* bv = reinterpret_cast<U*>(bp);
          r += jn - j;
          for (; j < jn; ++j) bv[j] = av[iv[j]];
        }
        for (; j < jn; ++j, ++r) {
          const int64_t k = *reinterpret_cast<const int64_t*>(ip + j * g.idx_sd);
          *reinterpret_cast<U*>(bp + j * g.b_sd) = *reinterpret_cast<const U*>(ap + k * g.a_sd);
        }
        if (j == J) {
          j = 0;
          od.next();
        }
      }
    });
  });
}

void scatter_lines(char* a, const char* b, const char* index, const DimLines& g, DType dt,
                   bool accumulate) {
  const int64_t L = numel_of(g.line_sizes), J = g.J, work = L * J;
  if (work == 0) return;
  dispatch(dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    // Lines [l0, l1), destinations along dim in [lo, hi) only.
    auto run = [&](int64_t l0, int64_t l1, int64_t lo, int64_t hi) {
      Odometer<3> od(g.line_sizes, {g.idx_strides.data(), g.a_strides.data(), g.b_strides.data()});
      od.seek(l0);
      for (int64_t l = l0; l < l1; ++l, od.next()) {
        const char* ip = index + od.off[0];
        char* ap = a + od.off[1];
        const char* bp = b + od.off[2];
        for (int64_t j = 0; j < J; ++j) {
          const int64_t k = *reinterpret_cast<const int64_t*>(ip + j * g.idx_sd);
          if (k < lo || k >= hi) continue;
          T* d = reinterpret_cast<T*>(ap + k * g.a_sd);
          const T v = *reinterpret_cast<const T*>(bp + j * g.b_sd);
          *d = accumulate ? math::wrap_add(*d, v) : v;
        }
      }
    };
    const int nt = get_num_threads();
    if (work <= kGrain || nt <= 1) {
      run(0, L, 0, g.dim_size);
    } else if (L >= nt) {
      // Distinct lines write distinct destinations.
      parallel_for(0, L, std::max<int64_t>(1, kGrain / J),
                   [&](int64_t s, int64_t e) { run(s, e, 0, g.dim_size); });
    } else {
      const int64_t n = g.dim_size, parts = std::min<int64_t>(nt, n);
      parallel_for(0, parts, 1, [&](int64_t s, int64_t e) {
        for (int64_t t = s; t < e; ++t) run(0, L, n * t / parts, n * (t + 1) / parts);
      });
    }
  });
}

int64_t find_out_of_range(const int64_t* idx, int64_t n, int64_t lo, int64_t hi) {
  std::atomic<int64_t> first{kMax};
  parallel_for(0, n, kGrain, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) {
      if (idx[i] >= lo && idx[i] < hi) continue;
      int64_t cur = first.load();
      while (i < cur && !first.compare_exchange_weak(cur, i)) {
      }
      return;
    }
  });
  const int64_t f = first.load();
  return f == kMax ? -1 : f;
}

void tril_triu(char* y, const char* x, int64_t N, int64_t R, int64_t C, int64_t k, bool lower,
               int64_t esize) {
  const int64_t rows = N * R;
  if (rows == 0 || C == 0) return;
  const bool inplace = y == x;
  parallel_for(0, rows, std::max<int64_t>(1, kGrain / C), [&](int64_t s, int64_t e) {
    for (int64_t r = s; r < e; ++r) {
      const int64_t i = r % R;
      // Columns [c0, c1) are kept; the rest of the row is zeroed.
      const int64_t c0 = lower ? 0 : std::clamp<int64_t>(i + k, 0, C);
      const int64_t c1 = lower ? std::clamp<int64_t>(i + k + 1, 0, C) : C;
      char* yr = y + r * C * esize;
      const char* xr = x + r * C * esize;
      std::memset(yr, 0, static_cast<size_t>(c0 * esize));
      if (!inplace && c1 > c0)
        std::memcpy(yr + c0 * esize, xr + c0 * esize, static_cast<size_t>((c1 - c0) * esize));
      std::memset(yr + c1 * esize, 0, static_cast<size_t>((C - c1) * esize));
    }
  });
}

int64_t count_nonzero(const bool* m, int64_t n) {
  std::atomic<int64_t> total{0};
  parallel_for(0, n, kGrain, [&](int64_t s, int64_t e) {
    int64_t c = 0;
    for (int64_t i = s; i < e; ++i) c += m[i];
    total += c;
  });
  return total.load();
}

void nonzero_fill(int64_t* out, const bool* m, const Dims& sizes) {
  const int64_t n = numel_of(sizes), nd = sizes.size();
  if (n == 0) return;
  // Fixed-size blocks: count, prefix-sum, then each block writes its own slice of out.
  constexpr int64_t kBlock = 1 << 16;
  const int64_t nblocks = (n + kBlock - 1) / kBlock;
  std::vector<int64_t> start(nblocks + 1, 0);
  parallel_for(0, nblocks, 1, [&](int64_t s, int64_t e) {
    for (int64_t blk = s; blk < e; ++blk) {
      int64_t c = 0;
      for (int64_t i = blk * kBlock, end = std::min(n, i + kBlock); i < end; ++i) c += m[i];
      start[blk + 1] = c;
    }
  });
  for (int64_t blk = 0; blk < nblocks; ++blk) start[blk + 1] += start[blk];
  parallel_for(0, nblocks, 1, [&](int64_t s, int64_t e) {
    for (int64_t blk = s; blk < e; ++blk) {
      int64_t idx[kMaxDims];
      int64_t rem = blk * kBlock;
      for (int64_t d = nd - 1; d >= 0; --d) {
        idx[d] = rem % sizes[d];
        rem /= sizes[d];
      }
      // Branch-free: every element writes its coordinates into the next free slot, which only
      // advances when the element is set. Stopping once the block's slots are full keeps the
      // writes inside this block's slice (the remaining elements are all zero).
      int64_t* o = out + start[blk] * nd;
      const int64_t* full = out + start[blk + 1] * nd;
      for (int64_t i = blk * kBlock, end = std::min(n, i + kBlock); i < end && o < full; ++i) {
        for (int64_t d = 0; d < nd; ++d) o[d] = idx[d];
        o += nd * static_cast<int64_t>(m[i]);
        for (int64_t d = nd - 1; d >= 0; --d) {
          if (++idx[d] < sizes[d]) break;
          idx[d] = 0;
        }
      }
    }
  });
}

}  // namespace ax::cpu
