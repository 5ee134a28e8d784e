// Reduction loops, compiled once per ISA: reduce_{generic,avx2,avx512}.cpp define AX_ISA_NS and
// include this file with their own -m flags. Drivers for the inner / outer / generic layouts and
// the arg-reductions, on top of reduce_simd.h. Summation order: Note [Reduction order] in
// kernels/reduce.h.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "axonite/core/check.h"
#include "axonite/core/parallel.h"
#include "axonite/kernels/cpu/reduce_simd.h"
#include "axonite/kernels/reduce.h"

namespace ax::cpu::AX_ISA_NS {
namespace {

// Row-major walk over a set of dims, tracking the element offset.
struct Walker {
  int n;
  const int64_t* size;
  const int64_t* stride;
  int64_t idx[kMaxDims];
  int64_t off = 0;
  Walker(int nd, const int64_t* sz, const int64_t* st, int64_t start)
      : n(nd), size(sz), stride(st) {
    if (start == 0) {  // the common case, without divisions
      for (int d = 0; d < n; ++d) idx[d] = 0;
      return;
    }
    for (int d = n - 1; d >= 0; --d) {
      idx[d] = start % size[d];
      start /= size[d];
      off += idx[d] * stride[d];
    }
  }
  void next() {
    for (int d = n - 1; d >= 0; --d) {
      off += stride[d];
      if (++idx[d] < size[d]) return;
      off -= size[d] * stride[d];
      idx[d] = 0;
    }
  }
};

// One past the last element of the input view (count >= 1, outputs >= 1).
template <class T>
const T* input_end(const ReduceGeom& g, const T* in) {
  const T* e = in + 1;
  for (int d = 0; d < g.nkept; ++d) e += (g.kept_size[d] - 1) * g.kept_stride[d];
  for (int d = 0; d < g.nred; ++d) e += (g.red_size[d] - 1) * g.red_stride[d];
  return e;
}

template <class T>
struct Io {
  const T* in;
  T* out;
  const T* shift;
  const T* limit;  // one past the input's last element: reads below it are in bounds
  T p;
  double divisor;
  Io(const ReduceArgs& a, const ReduceGeom& g)
      : in(static_cast<const T*>(a.in)),
        out(static_cast<T*>(a.out)),
        shift(static_cast<const T*>(a.shift)),
        limit(input_end(g, in)),
        p(static_cast<T>(a.p)),
        divisor(a.divisor) {}
  T s(int64_t o) const { return shift ? shift[o] : T(0); }
};

// ---- kInner: each output reduces rows of K0 contiguous elements -----------------------------
// Units: a row longer than kReduceBlock is cut into blocks; shorter rows are grouped so that a
// unit holds about kReduceBlock elements.
template <class Op, ReduceMap M, class T>
void reduce_inner(const ReduceGeom& g, const Io<T>& io) {
  using Acc = AccT<Op, T>;
  const int64_t K0 = g.red_size[g.nred - 1], R = g.count / K0;
  const int nro = g.nred - 1;  // reduced dims walked row by row
  const bool split = K0 >= kReduceBlock;
  const int64_t nb = split ? (K0 + kReduceBlock - 1) / kReduceBlock : 1;
  const int64_t G = split ? 1 : std::max<int64_t>(1, kReduceBlock / K0);
  const int64_t units = split ? R * nb : (R + G - 1) / G;
  auto unit = [&](const T* base, T s, int64_t u) -> Acc {
    if (split) {
      const Walker w(nro, g.red_size, g.red_stride, u / nb);
      const int64_t e0 = (u % nb) * kReduceBlock;
      return static_cast<Acc>(
          run_contig<Op, M>(base + w.off + e0, std::min(kReduceBlock, K0 - e0), s, io.p, io.limit));
    }
    Walker w(nro, g.red_size, g.red_stride, u * G);
    Acc acc = Op::template identity<Acc>();
    const int64_t r1 = std::min(R, (u + 1) * G);
    for (int64_t r = u * G; r < r1; ++r, w.next())
      acc = Op::step(acc, static_cast<Acc>(run_contig<Op, M>(base + w.off, K0, s, io.p, io.limit)));
    return acc;
  };
  const Acc id = Op::template identity<Acc>();
  if (R == 1 && !split) {
    // One row per output: the same arithmetic as below, without the call overhead.
    const int64_t grain = std::max<int64_t>(1, kGrainElems / K0);
    parallel_for(0, g.outputs, grain, [&](int64_t o0, int64_t o1) {
      Walker kw(g.nkept, g.kept_size, g.kept_stride, o0);
      for (int64_t o = o0; o < o1; ++o, kw.next()) {
        const T r = run_contig_inline<Op, M>(io.in + kw.off, K0, io.s(o), io.p, io.limit);
        io.out[o] = finish<Op, T>(Op::step(id, Op::step(id, static_cast<Acc>(r))), io.divisor);
      }
    });
    return;
  }
  if (g.outputs >= 4 * get_num_threads() || units < 2) {
    const int64_t grain = std::max<int64_t>(1, kGrainElems / g.count);
    parallel_for(0, g.outputs, grain, [&](int64_t o0, int64_t o1) {
      Walker kw(g.nkept, g.kept_size, g.kept_stride, o0);
      for (int64_t o = o0; o < o1; ++o, kw.next()) {
        Acc acc = Op::template identity<Acc>();
        for (int64_t u = 0; u < units; ++u) acc = Op::step(acc, unit(io.in + kw.off, io.s(o), u));
        io.out[o] = finish<Op, T>(acc, io.divisor);
      }
    });
    return;
  }
  // Few outputs with many units each: units in parallel, folded in order afterwards.
  std::vector<Acc> part(units);
  Walker kw(g.nkept, g.kept_size, g.kept_stride, 0);
  for (int64_t o = 0; o < g.outputs; ++o, kw.next()) {
    const T* base = io.in + kw.off;
    const T s = io.s(o);
    parallel_for(0, units, 1, [&](int64_t u0, int64_t u1) {
      for (int64_t u = u0; u < u1; ++u) part[u] = unit(base, s, u);
    });
    Acc acc = Op::template identity<Acc>();
    for (int64_t u = 0; u < units; ++u) acc = Op::step(acc, part[u]);
    io.out[o] = finish<Op, T>(acc, io.divisor);
  }
}

// ---- kOuter: the innermost kept dim is contiguous; vectorize across it ------------------------

// column_partial with NV vectors of columns.
template <class Op, ReduceMap M, int NV, class T>
void column_partial_n(const ReduceGeom& g, const T* base, const T* sh, T p, int64_t r0, int64_t r1,
                      int w, T* part) {
  using V = Vec<T>;
  constexpr int L = kLanes<T>, W = NV * L;
  alignas(64) T t[W];
  V acc[NV], sv[NV];
  for (int u = 0; u < NV; ++u) {
    acc[u] = splat(Op::template identity<T>());
    sv[u] = splat(T(0));
  }
  if (sh) {
    alignas(64) T shp[W] = {};
    std::memcpy(shp, sh, static_cast<size_t>(w) * sizeof(T));
    for (int u = 0; u < NV; ++u) sv[u] = load(shp + u * L);
  }
  // A full-width read of a row is in bounds when it ends before the last element of the view.
  int64_t safe_end = w;
  for (int d = 0; d < g.nred; ++d) safe_end += (g.red_size[d] - 1) * g.red_stride[d];
  Walker rw(g.nred, g.red_size, g.red_stride, r0);
  for (int64_t r = r0; r < r1; ++r, rw.next()) {
    const T* row = base + rw.off;
    if (w < W && rw.off + W > safe_end) {
      std::memcpy(t, row, static_cast<size_t>(w) * sizeof(T));
      row = t;
    }
    for (int u = 0; u < NV; ++u) acc[u] = Op::step(acc[u], load_mapped<M>(row + u * L, sv[u], p));
  }
  alignas(64) T all[W];
  for (int u = 0; u < NV; ++u) std::memcpy(all + u * L, &acc[u], sizeof(V));
  std::copy(all, all + w, part);
}

// Columns [0, w) of rows [r0, r1): part[j] = fold over those rows of x[row][j], in row order.
// A block narrower than its vectors still reads whole vectors (inside the input's storage; the
// extra lanes are dropped), except near the end of the view, where it reads a padded copy.
template <class Op, ReduceMap M, class T>
void column_partial(const ReduceGeom& g, const T* base, const T* sh, T p, int64_t r0, int64_t r1,
                    int w, T* part) {
  if (w <= kLanes<T>) return column_partial_n<Op, M, 1>(g, base, sh, p, r0, r1, w, part);
  column_partial_n<Op, M, kColVecs>(g, base, sh, p, r0, r1, w, part);
}

template <class Op, ReduceMap M, class T>
void reduce_outer(const ReduceGeom& g, const Io<T>& io) {
  using Acc = AccT<Op, T>;
  constexpr int W = kColVecs * kLanes<T>;
  const Acc id = Op::template identity<Acc>();
  const int64_t N = g.kept_size[g.nkept - 1], rows = g.count;
  const int64_t ncb = (N + W - 1) / W, tasks = (g.outputs / N) * ncb;
  const int64_t nrb = (rows + kReduceRowBlock - 1) / kReduceRowBlock;
  struct Task {
    const T* base;  // input at (batch, column c0)
    const T* sh;    // shifts of its outputs, or null
    int64_t ob;     // its first output
    int w;          // columns
  };
  auto task_of = [&](int64_t t) {
    const int64_t b = t / ncb, c0 = (t % ncb) * W;
    const Walker bw(g.nkept - 1, g.kept_size, g.kept_stride, b);
    const int64_t ob = b * N + c0;
    return Task{io.in + bw.off + c0, io.shift ? io.shift + ob : nullptr, ob,
                static_cast<int>(std::min<int64_t>(W, N - c0))};
  };
  auto rows_of = [&](const Task& k, int64_t rb, T* part) {
    const int64_t r0 = rb * kReduceRowBlock;
    column_partial<Op, M>(g, k.base, k.sh, io.p, r0, std::min(rows, r0 + kReduceRowBlock), k.w,
                          part);
  };
  if (tasks >= 4 * get_num_threads() || nrb < 2) {
    // Column blocks in parallel. Each thread walks its blocks row block by row block, so a
    // tile of rows is read while it is in cache; per column the fold order is unchanged.
    const int64_t grain = std::max<int64_t>(1, kGrainElems / (W * rows));
    parallel_for(0, tasks, grain, [&](int64_t t0, int64_t t1) {
      T part[W];
      if (nrb == 1) {  // one row block: no partials to fold, write the outputs directly
        for (int64_t t = t0; t < t1; ++t) {
          const Task k = task_of(t);
          rows_of(k, 0, part);
          for (int j = 0; j < k.w; ++j)
            io.out[k.ob + j] = finish<Op, T>(Op::step(id, static_cast<Acc>(part[j])), io.divisor);
        }
        return;
      }
      std::vector<Task> ks;
      for (int64_t t = t0; t < t1; ++t) ks.push_back(task_of(t));
      std::vector<Acc> tot((t1 - t0) * W, id);
      for (int64_t rb = 0; rb < nrb; ++rb)
        for (int64_t t = t0; t < t1; ++t) {
          const Task& k = ks[t - t0];
          rows_of(k, rb, part);
          Acc* tt = tot.data() + (t - t0) * W;
          for (int j = 0; j < k.w; ++j) tt[j] = Op::step(tt[j], static_cast<Acc>(part[j]));
        }
      for (int64_t t = t0; t < t1; ++t) {
        const Task& k = ks[t - t0];
        for (int j = 0; j < k.w; ++j)
          io.out[k.ob + j] = finish<Op, T>(tot[(t - t0) * W + j], io.divisor);
      }
    });
    return;
  }
  // Few column blocks, many rows: row blocks in parallel, folded in order afterwards.
  std::vector<T> parts(nrb * W);
  for (int64_t t = 0; t < tasks; ++t) {
    const Task k = task_of(t);
    parallel_for(0, nrb, 1, [&](int64_t a, int64_t e) {
      for (int64_t rb = a; rb < e; ++rb) rows_of(k, rb, parts.data() + rb * W);
    });
    for (int j = 0; j < k.w; ++j) {
      Acc acc = id;
      for (int64_t rb = 0; rb < nrb; ++rb) acc = Op::step(acc, static_cast<Acc>(parts[rb * W + j]));
      io.out[k.ob + j] = finish<Op, T>(acc, io.divisor);
    }
  }
}

// ---- kGeneric: scalar walk over every reduced element ------------------------------------------
template <class Op, ReduceMap M, class T>
void reduce_generic(const ReduceGeom& g, const Io<T>& io) {
  using Acc = AccT<Op, T>;
  const int64_t grain = std::max<int64_t>(1, kGrainElems / g.count);
  parallel_for(0, g.outputs, grain, [&](int64_t o0, int64_t o1) {
    Walker kw(g.nkept, g.kept_size, g.kept_stride, o0);
    for (int64_t o = o0; o < o1; ++o, kw.next()) {
      Walker rw(g.nred, g.red_size, g.red_stride, 0);
      const T* base = io.in + kw.off;
      const T s = io.s(o);
      Acc acc = Op::template identity<Acc>();
      for (int64_t i = 0; i < g.count; ++i, rw.next())
        acc = Op::step(acc, static_cast<Acc>(map1<M>(base[rw.off], s, io.p)));
      io.out[o] = finish<Op, T>(acc, io.divisor);
    }
  });
}

template <class Op, ReduceMap M, class T>
void reduce_typed(const ReduceGeom& g, const ReduceArgs& a) {
  if (g.outputs == 0) return;
  if (g.count == 0) {
    T* out = static_cast<T*>(a.out);
    std::fill(out, out + g.outputs, finish<Op, T>(Op::template identity<AccT<Op, T>>(), a.divisor));
    return;
  }
  const Io<T> io(a, g);
  switch (g.kind) {
    case ReduceGeom::kInner:
      return reduce_inner<Op, M, T>(g, io);
    case ReduceGeom::kOuter:
      return reduce_outer<Op, M, T>(g, io);
    case ReduceGeom::kGeneric:
      return reduce_generic<Op, M, T>(g, io);
  }
}

template <class T>
void reduce_float(ReduceOp op, ReduceMap map, const ReduceGeom& g, const ReduceArgs& a) {
  using RM = ReduceMap;
  if (op == ReduceOp::Sum) {
    switch (map) {
      case RM::None:
        return reduce_typed<SumR, RM::None, T>(g, a);
      case RM::Abs:
        return reduce_typed<SumR, RM::Abs, T>(g, a);
      case RM::Square:
        return reduce_typed<SumR, RM::Square, T>(g, a);
      case RM::Shift:
        return reduce_typed<SumR, RM::Shift, T>(g, a);
      case RM::SquareShift:
        return reduce_typed<SumR, RM::SquareShift, T>(g, a);
      case RM::ExpShift:
        return reduce_typed<SumR, RM::ExpShift, T>(g, a);
      case RM::PowAbs:
        return reduce_typed<SumR, RM::PowAbs, T>(g, a);
    }
  }
  if (op == ReduceOp::Prod && map == RM::None) return reduce_typed<ProdR, RM::None, T>(g, a);
  if (op == ReduceOp::Max && map == RM::None) return reduce_typed<MaxR, RM::None, T>(g, a);
  if (op == ReduceOp::Max && map == RM::Abs) return reduce_typed<MaxR, RM::Abs, T>(g, a);
  if (op == ReduceOp::Min && map == RM::None) return reduce_typed<MinR, RM::None, T>(g, a);
  if (op == ReduceOp::Min && map == RM::Abs) return reduce_typed<MinR, RM::Abs, T>(g, a);
  AXONITE_ASSERT(false && "unsupported float reduction");
}

// ---- arg-reductions ----------------------------------------------------------------------

template <bool kMax>
struct ArgCmp {
  // x replaces the current best: strictly better, or the first NaN.
  template <class V>
  static AX_VINLINE auto take(const V& x, const V& best) {
    return ((kMax ? (x > best) : (x < best)) | ((x != x) & (best == best)));
  }
};

// Lane index vector matching T's lane width (int32 lanes for float, int64 for 8-byte types).
template <class T>
using IdxT = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;

// First lane set in a comparison mask (kLanes when none), branch-free.
template <class T, class Mask>
AX_VINLINE int64_t first_lane(const Mask& m) {
  using I = IdxT<T>;
  const Vec<I> idx = m ? lane_iota<I>() : splat(static_cast<I>(kLanes<T>));
  return hreduce<MinR>(idx);
}

// Index of the first element equal to v (the first NaN when v is NaN), a vector at a time.
template <class T>
AX_VINLINE int64_t find_first(const T* x, int64_t n, T v) {
  constexpr int L = kLanes<T>;
  const bool nan = v != v;
  const Vec<T> vv = splat(v);
  alignas(64) T t[L];
  for (int64_t i = 0; i < n; i += L) {
    const T* src = x + i;
    if (i + L > n) {  // tail: pad with copies of x[n-1]; a match there is found at n-1 first
      for (int k = 0; k < L; ++k) t[k] = x[std::min<int64_t>(i + k, n - 1)];
      src = t;
    }
    const Vec<T> c = load(src);
    const int64_t j = nan ? first_lane<T>(c != c) : first_lane<T>(c == vv);
    if (j < L) return std::min(i + j, n - 1);
  }
  return n - 1;  // unreachable when v came from x
}

// Scalar single pass (generic layouts); the selects keep it branch-light.
template <bool kMax, class T>
int64_t arg_scalar(const T* x, int64_t n, int64_t stride) {
  T best = x[0];
  int64_t bi = 0;
  for (int64_t i = 1; i < n; ++i) {
    const T v = x[i * stride];
    const bool take = ArgCmp<kMax>::take(v, best);
    best = take ? v : best;
    bi = take ? i : bi;
  }
  return bi;
}

// Rows of K contiguous elements: the extreme value by the reduction kernel, then its first index.
template <bool kMax, class T>
void arg_inner(const ReduceGeom& g, const T* in, T* values, int64_t* idx) {
  using Op = std::conditional_t<kMax, MaxR, MinR>;
  const int64_t K = g.count;
  const int64_t nb = (K + kReduceBlock - 1) / kReduceBlock;
  const T* limit = input_end(g, in);
  auto block = [&](const T* x, int64_t b) {
    const int64_t n = std::min(kReduceBlock, K - b * kReduceBlock);
    if (n < int64_t{kUnroll} * kLanes<T>)  // short rows: inlined, same result
      return run_short<Op, ReduceMap::None>(x + b * kReduceBlock, n, T(0), T(0), limit);
    return run_contig<Op, ReduceMap::None>(x + b * kReduceBlock, n, T(0), T(0), limit);
  };
  auto emit = [&](int64_t o, const T* x, T v) {
    const int64_t i = find_first(x, K, v);
    idx[o] = i;
    if (values) values[o] = x[i];
  };
  if (g.outputs >= 4 * get_num_threads() || nb < 2) {
    const int64_t grain = std::max<int64_t>(1, kGrainElems / K);
    parallel_for(0, g.outputs, grain, [&](int64_t o0, int64_t o1) {
      Walker kw(g.nkept, g.kept_size, g.kept_stride, o0);
      for (int64_t o = o0; o < o1; ++o, kw.next()) {
        const T* x = in + kw.off;
        T v = Op::template identity<T>();
        for (int64_t b = 0; b < nb; ++b) v = Op::step(v, block(x, b));
        emit(o, x, v);
      }
    });
    return;
  }
  std::vector<T> part(nb);
  Walker kw(g.nkept, g.kept_size, g.kept_stride, 0);
  for (int64_t o = 0; o < g.outputs; ++o, kw.next()) {
    const T* x = in + kw.off;
    parallel_for(0, nb, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) part[b] = block(x, b);
    });
    T v = Op::template identity<T>();
    for (int64_t b = 0; b < nb; ++b) v = Op::step(v, part[b]);
    emit(o, x, v);
  }
}

// x: (batch, K rows, N contiguous columns) -> per column, vectorized across columns. Narrow
// blocks read full width like column_partial (extra lanes dropped).
template <bool kMax, class T>
void arg_outer(const ReduceGeom& g, const T* in, T* values, int64_t* idx) {
  using I = IdxT<T>;
  using V = Vec<T>;
  using IV = Vec<I>;
  constexpr int L = kLanes<T>, W = kColVecs * L;
  const int64_t N = g.kept_size[g.nkept - 1], K = g.count, rs = g.nred ? g.red_stride[0] : 0;
  const int64_t ncb = (N + W - 1) / W, tasks = (g.outputs / N) * ncb;
  const int64_t grain = std::max<int64_t>(1, kGrainElems / (W * K));
  parallel_for(0, tasks, grain, [&](int64_t t0, int64_t t1) {
    alignas(64) T t[W] = {};
    for (int64_t tk = t0; tk < t1; ++tk) {
      const int64_t b = tk / ncb, c0 = (tk % ncb) * W;
      const int w = static_cast<int>(std::min<int64_t>(W, N - c0));
      const Walker bw(g.nkept - 1, g.kept_size, g.kept_stride, b);
      const T* base = in + bw.off + c0;
      auto row = [&](int64_t r) -> const T* {
        if (w == W || r * rs + W <= (K - 1) * rs + w) return base + r * rs;
        std::memcpy(t, base + r * rs, static_cast<size_t>(w) * sizeof(T));
        return t;
      };
      V best[kColVecs];
      IV bi[kColVecs];
      const T* r0 = row(0);
      for (int u = 0; u < kColVecs; ++u) {
        best[u] = load(r0 + u * L);
        bi[u] = splat(I(0));
      }
      for (int64_t r = 1; r < K; ++r) {
        const IV rv = splat(static_cast<I>(r));
        const T* x = row(r);
        for (int u = 0; u < kColVecs; ++u) {
          const V v = load(x + u * L);
          const auto take = ArgCmp<kMax>::take(v, best[u]);
          best[u] = take ? v : best[u];
          bi[u] = take ? rv : bi[u];
        }
      }
      alignas(64) T bv[W];
      alignas(64) I bx[W];
      for (int u = 0; u < kColVecs; ++u) {
        std::memcpy(bv + u * L, &best[u], sizeof(V));
        std::memcpy(bx + u * L, &bi[u], sizeof(IV));
      }
      const int64_t ob = b * N + c0;
      for (int j = 0; j < w; ++j) {
        idx[ob + j] = bx[j];
        if (values) values[ob + j] = bv[j];
      }
    }
  });
}

template <bool kMax, class T>
void arg_generic(const ReduceGeom& g, const T* in, T* values, int64_t* idx) {
  const int64_t K = g.count, rs = g.nred ? g.red_stride[0] : 0;
  const int64_t grain = std::max<int64_t>(1, kGrainElems / K);
  parallel_for(0, g.outputs, grain, [&](int64_t o0, int64_t o1) {
    Walker kw(g.nkept, g.kept_size, g.kept_stride, o0);
    for (int64_t o = o0; o < o1; ++o, kw.next()) {
      const int64_t i = arg_scalar<kMax>(in + kw.off, K, rs);
      idx[o] = i;
      if (values) values[o] = in[kw.off + i * rs];
    }
  });
}

template <bool kMax, class T>
void arg_typed(const ReduceGeom& g, const void* in, void* values, int64_t* idx) {
  const T* x = static_cast<const T*>(in);
  T* v = static_cast<T*>(values);
  if (g.outputs == 0) return;
  AXONITE_ASSERT(g.nred <= 1 && g.count >= 1);
  // int32 column indices in the vector path: fall back for row counts they can't hold.
  const bool outer_ok = sizeof(T) == 8 || g.count < (int64_t{1} << 31);
  if (g.kind == ReduceGeom::kInner) return arg_inner<kMax>(g, x, v, idx);
  if (g.kind == ReduceGeom::kOuter && outer_ok) return arg_outer<kMax>(g, x, v, idx);
  arg_generic<kMax>(g, x, v, idx);
}

}  // namespace

void reduce(ReduceOp op, ReduceMap map, DType dt, const ReduceGeom& g, const ReduceArgs& a) {
  switch (dt) {
    case DType::Float32:
      return reduce_float<float>(op, map, g, a);
    case DType::Float64:
      return reduce_float<double>(op, map, g, a);
    case DType::Int64:
      AXONITE_ASSERT(map == ReduceMap::None);
      switch (op) {
        case ReduceOp::Sum:
          return reduce_typed<SumR, ReduceMap::None, int64_t>(g, a);
        case ReduceOp::Prod:
          return reduce_typed<ProdR, ReduceMap::None, int64_t>(g, a);
        case ReduceOp::Max:
          return reduce_typed<MaxR, ReduceMap::None, int64_t>(g, a);
        case ReduceOp::Min:
          return reduce_typed<MinR, ReduceMap::None, int64_t>(g, a);
      }
      return;
    case DType::Bool:
      AXONITE_ASSERT(map == ReduceMap::None && (op == ReduceOp::Max || op == ReduceOp::Min));
      if (op == ReduceOp::Max) return reduce_typed<MaxR, ReduceMap::None, uint8_t>(g, a);
      return reduce_typed<MinR, ReduceMap::None, uint8_t>(g, a);
  }
}

void arg_reduce(bool is_max, DType dt, const ReduceGeom& g, const void* in, void* values,
                int64_t* indices) {
  switch (dt) {
    case DType::Float32:
      return is_max ? arg_typed<true, float>(g, in, values, indices)
                    : arg_typed<false, float>(g, in, values, indices);
    case DType::Float64:
      return is_max ? arg_typed<true, double>(g, in, values, indices)
                    : arg_typed<false, double>(g, in, values, indices);
    case DType::Int64:
      return is_max ? arg_typed<true, int64_t>(g, in, values, indices)
                    : arg_typed<false, int64_t>(g, in, values, indices);
    case DType::Bool:
      AXONITE_ASSERT(false && "arg_reduce: bool input");
  }
}

}  // namespace ax::cpu::AX_ISA_NS
