// Index kernels on raw pointers and byte strides (no Tensor type here): row gather/put for
// advanced indexing, index_select and index_add; element gather/scatter along one dim; tril/triu;
// nonzero. Writers that may hit one destination several times partition the work by
// destination, so results never depend on the thread count.
#pragma once

#include <cstdint>

#include "axonite/core/dtype.h"
#include "axonite/core/shape.h"

namespace ax::cpu {

// Geometry of an advanced-index style op. The indexed tensor is seen as rows (p, b): `pre`
// positions p (strided dims) times nb rows picked by byte offsets offs[b]; each row is a `post`
// block (strided dims). The dense tensor holds the same rows at p * dense_p + b * dense_b with
// its own post strides (all zero for a broadcast scalar).
struct IndexRows {
  Dims pre_sizes, pre_strides;    // indexed side, bytes
  const int64_t* offs = nullptr;  // bytes, nb entries
  int64_t nb = 0;
  Dims post_sizes, post_strides;  // indexed side, bytes
  int64_t dense_p = 0, dense_b = 0;
  Dims dense_post_strides;
};

// dense[p, b, :] = indexed[p, offs[b], :]
void index_rows_gather(char* dense, const char* indexed, const IndexRows& g, int64_t esize);
// indexed[p, offs[b], :] = dense[p, b, :] (or += when accumulate). Rows with equal offsets are
// applied in b order by one thread: the last one wins, sums run in a fixed order.
void index_rows_put(char* indexed, const char* dense, const IndexRows& g, DType dt,
                    bool accumulate);

// Geometry of gather/scatter along `dim`. The index is seen as lines l (its dims without `dim`)
// of J entries. Side `a` is indexed along dim by the index values (gather's input, scatter's
// destination); side `b` sits at the index's own coordinates (gather's output, scatter's src).
struct DimLines {
  Dims line_sizes;
  Dims idx_strides, a_strides, b_strides;         // bytes, one per line dim
  int64_t J = 0, idx_sd = 0, a_sd = 0, b_sd = 0;  // along dim, bytes
  int64_t dim_size = 0;                           // a's size along dim
};

// b[l, j] = a[l, index[l, j]]. Indices must already be validated.
void gather_lines(char* b, const char* a, const char* index, const DimLines& g, int64_t esize);
// a[l, index[l, j]] = b[l, j] (or +=). Partitioned by destination; equal destinations are
// applied in j order.
void scatter_lines(char* a, const char* b, const char* index, const DimLines& g, DType dt,
                   bool accumulate);

// First position i < n with idx[i] outside [lo, hi), or -1.
int64_t find_out_of_range(const int64_t* idx, int64_t n, int64_t lo, int64_t hi);

// x, y: contiguous (N, R, C); y keeps x where j - i <= k (lower) or j - i >= k (upper), zero
// elsewhere. y == x works in place.
void tril_triu(char* y, const char* x, int64_t N, int64_t R, int64_t C, int64_t k, bool lower,
               int64_t esize);

// m: n contiguous bools in a tensor of shape `sizes`. count_nonzero returns how many are set;
// nonzero_fill writes their coordinates, row-major, into out: (count, sizes.size()).
int64_t count_nonzero(const bool* m, int64_t n);
void nonzero_fill(int64_t* out, const bool* m, const Dims& sizes);

}  // namespace ax::cpu
