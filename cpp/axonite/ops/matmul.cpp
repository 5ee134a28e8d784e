// Matrix products. Every rank case of matmul maps onto one strided batched-GEMM driver: vectors
// become 1 x K / K x 1 matrices through strides (no copies), batch dims broadcast through zero
// strides, and "(B, M, K) @ (K, N)" folds the batch into M for a single large GEMM. The
// backward of every case is the same formula in matmuls of transposed views (double backward).
#include "axonite/ops/matmul.h"

#include <algorithm>
#include <string>
#include <type_traits>

#include "axonite/autograd/record.h"
#include "axonite/core/parallel.h"
#include "axonite/kernels/gemm.h"
#include "axonite/kernels/linalg.h"
#include "axonite/ops/broadcast.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/views.h"

namespace ax {
namespace {

// Per-matrix multiply-adds below which a batch is split across threads (each GEMM then runs
// single-threaded); above it the GEMM threads internally. Never both: no nested regions.
constexpr int64_t kBatchParallelVolume = 96 * 96 * 96;
constexpr int64_t kBatchGrainVolume = 1 << 15;

// PyTorch's spelling of dtypes in matmul messages ("float != double").
const char* c_type_name(DType d) {
  switch (d) {
    case DType::Bool:
      return "bool";
    case DType::Int64:
      return "long int";
    case DType::Float32:
      return "float";
    case DType::Float64:
      return "double";
  }
  return "?";
}

void check_dtypes(const Tensor& a, const Tensor& b, const char* op) {
  AXONITE_CHECK(a.dtype() == b.dtype(), RuntimeError, op,
                ": expected m1 and m2 to have the same dtype, but got: ", c_type_name(a.dtype()),
                " != ", c_type_name(b.dtype()));
  AXONITE_CHECK(a.dtype() != DType::Bool, RuntimeError, op,
                ": \"addmm_impl_cpu_\" not implemented for 'Bool'");
}

// One operand seen as a stack of matrices: matrix dims (vectors become a 1 x K row or a K x 1
// column through a 0 stride) and batch dims right-aligned to the output batch (0 = broadcast).
struct MatOperand {
  char* base;
  int64_t rows, cols, rs, cs;
  Dims bsizes, bstrides;  // the operand's own leading dims
};

MatOperand as_matrices(const Tensor& t, bool is_left) {
  MatOperand o;
  o.base = static_cast<char*>(t.raw_data());
  const int n = t.dim();
  if (n == 1) {
    o.rows = is_left ? 1 : t.size(0);
    o.cols = is_left ? t.size(0) : 1;
    o.rs = is_left ? 0 : t.strides()[0];
    o.cs = is_left ? t.strides()[0] : 0;
    return o;
  }
  o.rows = t.sizes()[n - 2];
  o.cols = t.sizes()[n - 1];
  o.rs = t.strides()[n - 2];
  o.cs = t.strides()[n - 1];
  for (int i = 0; i < n - 2; ++i) {
    o.bsizes.push_back(t.sizes()[i]);
    o.bstrides.push_back(t.strides()[i]);
  }
  return o;
}

// Element strides of `o` over the output batch shape (right-aligned, 0 on broadcast dims).
Dims batch_strides(const MatOperand& o, const Dims& batch) {
  Dims st(batch.size());
  const int off = batch.size() - o.bsizes.size();
  for (int i = 0; i < batch.size(); ++i) {
    const int j = i - off;
    st[i] = (j < 0 || o.bsizes[j] == 1) ? 0 : o.bstrides[j];
  }
  return st;
}

// If the batch dims and the row dim of `o` form one uniform stride (a contiguous-over-batch
// stack), returns true and that row stride: the whole stack is then one tall matrix.
bool fold_rows(const MatOperand& o, const Dims& batch, const Dims& bst, int64_t* row_stride) {
  int64_t expect = -1, rs = 0;
  bool any = false;
  auto visit = [&](int64_t size, int64_t stride) {
    if (size == 1) return true;
    if (any && stride != expect) return false;
    if (!any) rs = stride;
    any = true;
    expect = stride * size;
    return true;
  };
  if (!visit(o.rows, o.rs)) return false;
  for (int i = batch.size() - 1; i >= 0; --i) {
    if (batch[i] != 1 && bst[i] == 0) return false;  // broadcast rows repeat: not one matrix
    if (!visit(batch[i], bst[i])) return false;
  }
  *row_stride = any ? rs : o.cols;
  return true;
}

template <class T>
void gemm_t(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t a_rs, int64_t a_cs,
            const T* b, int64_t b_rs, int64_t b_cs, T beta, T* c, int64_t ldc) {
  if constexpr (std::is_same_v<T, float>) {
    cpu::gemm_f32(m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc);
  } else if constexpr (std::is_same_v<T, double>) {
    cpu::gemm_f64(m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc);
  } else {
    cpu::gemm_i64(m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc);
  }
}

// out (contiguous, batch + (M, N) in memory order) = alpha * A @ B + beta * out.
// a: (*, M, K), b: (*, K, N) as MatOperands whose batch dims broadcast to `batch`.
void batched_gemm(const MatOperand& a, const MatOperand& b, const Dims& batch, const Tensor& out,
                  double alpha, double beta) {
  const int64_t M = a.rows, K = a.cols, N = b.cols, nb = numel_of(batch);
  if (nb == 0 || M == 0 || N == 0) return;
  const Dims ast = batch_strides(a, batch), bst = batch_strides(b, batch);
  dispatch(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, bool>) {
      const T al = static_cast<T>(alpha), be = static_cast<T>(beta);
      const T* ap = reinterpret_cast<const T*>(a.base);
      const T* bp = reinterpret_cast<const T*>(b.base);
      T* cp = out.data<T>();
      bool b_shared = true;
      for (int i = 0; i < batch.size(); ++i) b_shared &= bst[i] == 0;
      int64_t rs = 0;
      if (nb > 1 && b_shared && fold_rows(a, batch, ast, &rs)) {
        gemm_t<T>(nb * M, N, K, al, ap, rs, a.cs, bp, b.rs, b.cs, be, cp, N);
        return;
      }
      // Batch index -> element offsets, advanced like an odometer within each chunk.
      auto run = [&](int64_t s, int64_t e) {
        int64_t idx[kMaxDims] = {};
        int64_t rem = s, aoff = 0, boff = 0;
        for (int d = batch.size() - 1; d >= 0; --d) {
          idx[d] = rem % batch[d];
          rem /= batch[d];
          aoff += idx[d] * ast[d];
          boff += idx[d] * bst[d];
        }
        for (int64_t t = s; t < e; ++t) {
          gemm_t<T>(M, N, K, al, ap + aoff, a.rs, a.cs, bp + boff, b.rs, b.cs, be, cp + t * M * N,
                    N);
          for (int d = batch.size() - 1; d >= 0; --d) {
            aoff += ast[d];
            boff += bst[d];
            if (++idx[d] < batch[d]) break;
            aoff -= ast[d] * batch[d];
            boff -= bst[d] * batch[d];
            idx[d] = 0;
          }
        }
      };
      const int64_t vol = std::max<int64_t>(1, M * N * std::max<int64_t>(K, 1));
      if (nb > 1 && vol < kBatchParallelVolume) {
        parallel_for(0, nb, std::max<int64_t>(1, kBatchGrainVolume / vol), run);
      } else {
        run(0, nb);
      }
    }
  });
}

// Broadcast batch dims; RuntimeError worded as PyTorch's (its matmul raises RuntimeError).
Dims broadcast_batch(const Dims& a, const Dims& b, const char* op) {
  const int n = std::max(a.size(), b.size());
  Dims out(n);
  for (int i = 0; i < n; ++i) {
    const int ia = i - (n - a.size()), ib = i - (n - b.size());
    const int64_t sa = ia >= 0 ? a[ia] : 1, sb = ib >= 0 ? b[ib] : 1;
    AXONITE_CHECK(sa == sb || sa == 1 || sb == 1, RuntimeError, op, ": The size of tensor a (", sa,
                  ") must match the size of tensor b (", sb, ") at non-singleton dimension ", i,
                  " (batch dims ", shape_str(a), " and ", shape_str(b), ")");
    out[i] = sa == 1 ? sb : sa;
  }
  return out;
}

std::string mat_str(int64_t r, int64_t c) { return detail::cat(r, "x", c); }

// The forward of every matmul case: shapes checked by the caller's rank rules, then one
// batched GEMM into a contiguous output of PyTorch's result shape.
Tensor product_raw(const Tensor& a, const Tensor& b, const char* op) {
  const MatOperand ma = as_matrices(a, true), mb = as_matrices(b, false);
  if (ma.cols != mb.rows) {
    if (b.dim() == 1 && a.dim() >= 2) {
      const int64_t rows = a.numel() / std::max<int64_t>(ma.cols, 1);
      fail(ErrorKind::RuntimeError, op, ": size mismatch, got input (", rows, "), mat (",
           mat_str(rows, ma.cols), "), vec (", mb.rows, ")");
    }
    if (a.dim() > 2 || b.dim() > 2)
      fail(ErrorKind::RuntimeError, op, ": mat1 and mat2 shapes cannot be multiplied (",
           mat_str(ma.rows, ma.cols), " and ", mat_str(mb.rows, mb.cols), "); input shapes ",
           shape_str(a.sizes()), " and ", shape_str(b.sizes()));
    fail(ErrorKind::RuntimeError, op, ": mat1 and mat2 shapes cannot be multiplied (",
         mat_str(ma.rows, ma.cols), " and ", mat_str(mb.rows, mb.cols), ")");
  }
  const Dims batch = broadcast_batch(ma.bsizes, mb.bsizes, op);
  Dims shape = batch;
  if (a.dim() >= 2) shape.push_back(ma.rows);
  if (b.dim() >= 2) shape.push_back(mb.cols);
  Tensor out = Tensor::empty(shape, a.dtype());
  batched_gemm(ma, mb, batch, out, 1.0, 0.0);
  return out;
}

// The batch dims of a matrix shape (all but the last two).
Dims leading(const Dims& d) {
  Dims out;
  for (int i = 0; i + 2 < d.size(); ++i) out.push_back(d[i]);
  return out;
}

// Gradient of one operand of a matrix product, summed over the dims it was broadcast along.
Tensor reduce_to(const Tensor& g, const Dims& shape) {
  return g.sizes() == shape ? g : sum_to(g, shape);
}

// Records the backward shared by every rank case. Vectors are promoted to matrices (a: 1 x K,
// b: K x 1) so one formula serves all: dA = G B^T, dB = A^T G, reduced over broadcast dims.
void record_product(const char* node, const Tensor& a, const Tensor& b, const Tensor& y) {
  const bool ra = a.requires_grad(), rb = b.requires_grad();
  autograd::SavedTensor sa(rb ? a : Tensor(), false), sb(ra ? b : Tensor(), false);
  const Dims as = a.sizes(), bs = b.sizes();
  autograd::record(node, {a, b}, y, [sa, sb, ra, rb, as, bs](const Tensor& g) {
    Tensor A = sa.unpack(), B = sb.unpack(), ga, gb;
    if (as.size() == 1 && bs.size() == 1) {  // dot: g is 0-d
      return TensorList{ra ? mul(g, B) : Tensor(), rb ? mul(g, A) : Tensor()};
    }
    const int64_t K = as[as.size() - 1];
    Dims a2 = as, b2 = bs, g2;
    if (as.size() == 1) a2 = Dims{1, K};
    if (bs.size() == 1) b2 = Dims{K, 1};
    g2 = broadcast_shapes(leading(a2), leading(b2), "matmul");
    g2.push_back(a2[a2.size() - 2]);
    g2.push_back(b2[b2.size() - 1]);
    const Tensor G = reshape(g, g2);
    if (ra) {
      const Tensor B2 = bs.size() == 1 ? reshape(B, b2) : B;
      ga = reshape(reduce_to(matmul(G, matrix_T(B2)), a2), as);
    }
    if (rb) {
      const Tensor A2 = as.size() == 1 ? reshape(A, a2) : A;
      const int64_t N = b2[b2.size() - 1];
      if (b2.size() == 2 && a2.size() > 2) {
        // (B, M, K) @ (K, N): the batch sum is folded into one (K, B*M) @ (B*M, N) product.
        gb = matmul(matrix_T(reshape(A2, Dims{-1, K})), reshape(G, Dims{-1, N}));
      } else {
        gb = reduce_to(matmul(matrix_T(A2), G), b2);
      }
      gb = reshape(gb, bs);
    }
    return TensorList{ga, gb};
  });
}

Tensor product(const Tensor& a, const Tensor& b, const char* op, const char* node) {
  check_dtypes(a, b, op);
  Tensor y = product_raw(a, b, op);
  if (autograd::any_needs_grad({a, b})) record_product(node, a, b, y);
  return y;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  AXONITE_CHECK(a.dim() >= 1 && b.dim() >= 1, RuntimeError,
                "matmul: both arguments to matmul need to be at least 1D, but they are ", a.dim(),
                "D and ", b.dim(), "D");
  const char* node = a.dim() == 1 && b.dim() == 1   ? "DotBackward0"
                     : a.dim() == 2 && b.dim() == 1 ? "MvBackward0"
                     : a.dim() <= 2 && b.dim() == 2 ? "MmBackward0"
                                                    : "BmmBackward0";
  if (a.dim() == 1 && b.dim() == 1) return dot(a, b);
  return product(a, b, "matmul", node);
}

Tensor mm(const Tensor& a, const Tensor& b) {
  AXONITE_CHECK(a.dim() == 2, RuntimeError, "mm: self must be a matrix, got shape ",
                shape_str(a.sizes()));
  AXONITE_CHECK(b.dim() == 2, RuntimeError, "mm: mat2 must be a matrix, got shape ",
                shape_str(b.sizes()));
  return product(a, b, "mm", "MmBackward0");
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  AXONITE_CHECK(a.dim() == 3, RuntimeError, "bmm: batch1 must be a 3D tensor, got shape ",
                shape_str(a.sizes()));
  AXONITE_CHECK(b.dim() == 3, RuntimeError, "bmm: batch2 must be a 3D tensor, got shape ",
                shape_str(b.sizes()));
  AXONITE_CHECK(b.size(0) == a.size(0) && b.size(1) == a.size(2), RuntimeError,
                "bmm: Expected size for first two dimensions of batch2 tensor to be: [", a.size(0),
                ", ", a.size(2), "] but got: [", b.size(0), ", ", b.size(1), "].");
  return product(a, b, "bmm", "BmmBackward0");
}

Tensor mv(const Tensor& a, const Tensor& v) {
  AXONITE_CHECK(a.dim() == 2 && v.dim() == 1, RuntimeError,
                "mv: vector + matrix @ vector expected, got 1, ", a.dim(), ", ", v.dim());
  return product(a, v, "mv", "MvBackward0");
}

Tensor dot(const Tensor& a, const Tensor& b) {
  AXONITE_CHECK(a.dim() == 1 && b.dim() == 1, RuntimeError, "dot: 1D tensors expected, but got ",
                a.dim(), "D and ", b.dim(), "D tensors");
  AXONITE_CHECK(a.dtype() == b.dtype(), RuntimeError,
                "dot: expected both vectors to have same dtype, but found ", dtype_name(a.dtype()),
                " and ", dtype_name(b.dtype()));
  AXONITE_CHECK(a.size(0) == b.size(0), RuntimeError,
                "dot: inconsistent tensor size, expected tensor [", a.size(0), "] and src [",
                b.size(0), "] to have the same number of elements, but got ", a.size(0), " and ",
                b.size(0), " elements respectively");
  return product(a, b, "dot", "DotBackward0");
}

Tensor outer(const Tensor& a, const Tensor& b) {
  AXONITE_CHECK(a.dim() == 1, RuntimeError, "outer: Expected 1-D argument self, but got ", a.dim(),
                "-D");
  AXONITE_CHECK(b.dim() == 1, RuntimeError, "outer: Expected 1-D argument vec2, but got ", b.dim(),
                "-D");
  return mul(reshape(a, Dims{a.size(0), 1}), reshape(b, Dims{1, b.size(0)}));
}

Tensor addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2, double beta,
             double alpha) {
  AXONITE_CHECK(mat1.dim() == 2, RuntimeError, "addmm: mat1 must be a matrix, got ", mat1.dim(),
                "-D tensor");
  AXONITE_CHECK(mat2.dim() == 2, RuntimeError, "addmm: mat2 must be a matrix, got ", mat2.dim(),
                "-D tensor");
  check_dtypes(mat1, mat2, "addmm");
  AXONITE_CHECK(input.dtype() == mat1.dtype(), RuntimeError,
                "addmm: self and mat2 must have the same dtype, but got ",
                c_type_name(input.dtype()), " and ", c_type_name(mat2.dtype()));
  AXONITE_CHECK(mat1.size(1) == mat2.size(0), RuntimeError,
                "addmm: mat1 and mat2 shapes cannot be multiplied (",
                mat_str(mat1.size(0), mat1.size(1)), " and ", mat_str(mat2.size(0), mat2.size(1)),
                ")");
  const Dims shape{mat1.size(0), mat2.size(1)};
  bool fits = input.dim() <= 2;
  for (int i = 0; fits && i < input.dim(); ++i) {
    const int64_t have = input.sizes()[input.dim() - 1 - i], want = shape[1 - i];
    fits = have == want || have == 1;
  }
  AXONITE_CHECK(fits, RuntimeError, "addmm: the input of shape ", shape_str(input.sizes()),
                " cannot be broadcast to the product's shape ", shape_str(shape));
  Tensor y = Tensor::empty(shape, mat1.dtype());
  if (beta != 0.0) detail::cast_into(y, input.detach());
  batched_gemm(as_matrices(mat1, true), as_matrices(mat2, false), Dims(), y, alpha, beta);
  if (autograd::any_needs_grad({input, mat1, mat2})) {
    const bool ri = input.requires_grad(), r1 = mat1.requires_grad(), r2 = mat2.requires_grad();
    autograd::SavedTensor s1(r2 ? mat1 : Tensor(), false), s2(r1 ? mat2 : Tensor(), false);
    const Dims in_shape = input.sizes();
    const DType dt = y.dtype();
    autograd::record("AddmmBackward0", {input, mat1, mat2}, y, [=](const Tensor& g) {
      auto scaled = [dt](const Tensor& t, double s) {
        return s == 1.0 ? t : mul(t, scalar_tensor(s, dt, true));
      };
      Tensor gi, g1, g2;
      if (ri) gi = reduce_to(scaled(g, beta), in_shape);
      if (r1) g1 = scaled(mm(g, matrix_T(s2.unpack())), alpha);
      if (r2) g2 = scaled(mm(matrix_T(s1.unpack()), g), alpha);
      return TensorList{gi, g1, g2};
    });
  }
  return y;
}

}  // namespace ax
