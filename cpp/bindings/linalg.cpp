// Bindings for matrix products (matmul/@, mm, bmm, mv, dot, outer/ger, addmm, Tensor.mT) and the
// ax.linalg functions, which live on the private submodule _C._linalg and are re-exported by
// python/axonite/linalg.py (so `solve`, `norm`, ... do not land in the top-level namespace).
#include "bindings/common.h"

namespace axb {
namespace {

using BinFn = Tensor (*)(const Tensor&, const Tensor&);

int64_t work(const Tensor& a, const Tensor& b) { return a.numel() + b.numel(); }

using ax::linalg::NormOrd;

// ord: None, a number (inf allowed) or a string ('fro', 'nuc').
std::optional<NormOrd> parse_ord(py::handle o, const char* op) {
  if (o.is_none()) return std::nullopt;
  if (py::isinstance<py::str>(o)) return NormOrd{0.0, o.cast<std::string>()};
  AXONITE_CHECK(PyNumber_Check(o.ptr()) && !py::isinstance(o, tensor_type()), TypeError, op,
                ": argument 'ord' must be a number or a string, not ",
                std::string(py::str(py::type::of(o).attr("__name__"))));
  return NormOrd{o.cast<double>(), ""};
}

// dim: None, an int, or a sequence of ints.
std::optional<std::vector<int64_t>> parse_dims(py::handle o, const char* op) {
  if (o.is_none()) return std::nullopt;
  if (PyIndex_Check(o.ptr()) && !PyBool_Check(o.ptr()))
    return std::vector<int64_t>{o.cast<int64_t>()};
  AXONITE_CHECK(py::isinstance<py::sequence>(o) && !py::isinstance<py::str>(o), TypeError, op,
                ": argument 'dim' must be an int or a tuple of ints, not ",
                std::string(py::str(py::type::of(o).attr("__name__"))));
  std::vector<int64_t> dims;
  for (py::handle d : py::reinterpret_borrow<py::sequence>(o)) {
    AXONITE_CHECK(PyIndex_Check(d.ptr()) && !PyBool_Check(d.ptr()), TypeError, op,
                  ": argument 'dim' must contain ints");
    dims.push_back(d.cast<int64_t>());
  }
  return dims;
}

void bind_linalg_namespace(py::module_& m, Class& cls) {
  py::module_ l = m.def_submodule("_linalg", "ax.linalg functions (re-exported by axonite.linalg)");
  auto heavy = [](const Tensor& a) { return a.numel() * 8; };
  l.def(
      "solve",
      [](const Tensor& A, const Tensor& B) {
        return maybe_release(work(A, B), [&] { return ax::linalg::solve(A, B); });
      },
      "A"_a, "B"_a, "The solution X of A X = B (batched; B may be a vector or batch of vectors).");
  auto inv = [heavy](const Tensor& A) {
    return maybe_release(heavy(A), [&] { return ax::linalg::inv(A); });
  };
  auto det = [heavy](const Tensor& A) {
    return maybe_release(heavy(A), [&] { return ax::linalg::det(A); });
  };
  l.def("inv", inv, "A"_a, "The inverse of each square matrix in A.");
  l.def("det", det, "A"_a, "The determinant of each square matrix in A.");
  m.def("inverse", inv, "input"_a, "The inverse of each square matrix (torch.inverse).");
  m.def("det", det, "input"_a, "The determinant of each square matrix (torch.det).");
  cls.def("inverse", inv);
  cls.def("det", det);
  l.def(
      "cholesky",
      [heavy](const Tensor& A, bool upper) {
        return maybe_release(heavy(A), [&] { return ax::linalg::cholesky(A, upper); });
      },
      "A"_a, py::kw_only(), "upper"_a = false,
      "Cholesky factor L (A = L L^T) of each symmetric positive-definite matrix in A.");
  l.def(
      "qr",
      [heavy](const Tensor& A, const std::string& mode) {
        auto r = maybe_release(heavy(A), [&] { return ax::linalg::qr(A, mode); });
        return py::make_tuple(r.first, r.second);
      },
      "A"_a, "mode"_a = "reduced",
      "(Q, R) with A = Q R: mode 'reduced' (default), 'complete' or 'r' (Q empty).");
  l.def(
      "slogdet",
      [heavy](const Tensor& A) {
        auto r = maybe_release(heavy(A), [&] { return ax::linalg::slogdet(A); });
        return py::make_tuple(r.first, r.second);
      },
      "A"_a, "(sign, log|det|) of each square matrix in A.");
  l.def(
      "lstsq",
      [](const Tensor& A, const Tensor& B, std::optional<double> rcond,
         std::optional<std::string> driver) {
        auto r = maybe_release(
            work(A, B), [&] { return ax::linalg::lstsq(A, B, rcond, driver ? *driver : "gelsy"); });
        return py::make_tuple(r.solution, r.residuals, r.rank, r.singular_values);
      },
      "A"_a, "B"_a, "rcond"_a = py::none(), py::kw_only(), "driver"_a = py::none(),
      "Least-squares solution of A X = B: (solution, residuals, rank, singular_values).");
  l.def(
      "vector_norm",
      [](const Tensor& x, py::handle ord, py::handle dim, bool keepdim) {
        auto o = parse_ord(ord, "linalg.vector_norm");
        AXONITE_CHECK(!o || o->name.empty(), TypeError,
                      "linalg.vector_norm: argument 'ord' must be Number, not str");
        auto d = parse_dims(dim, "linalg.vector_norm");
        return maybe_release(x.numel(), [&] {
          return ax::linalg::vector_norm(x, o ? o->p : 2.0, d ? *d : std::vector<int64_t>{},
                                         keepdim);
        });
      },
      "x"_a, "ord"_a = 2, "dim"_a = py::none(), "keepdim"_a = false,
      "The vector ord-norm of x over dim (all elements when dim is None).");
  l.def(
      "matrix_norm",
      [](const Tensor& A, py::handle ord, py::handle dim, bool keepdim) {
        auto o = parse_ord(ord, "linalg.matrix_norm");
        auto d = parse_dims(dim, "linalg.matrix_norm");
        return maybe_release(A.numel(), [&] {
          return ax::linalg::matrix_norm(A, o ? *o : NormOrd{0.0, "fro"},
                                         d ? *d : std::vector<int64_t>{-2, -1}, keepdim);
        });
      },
      "A"_a, "ord"_a = "fro", "dim"_a = py::make_tuple(-2, -1), "keepdim"_a = false,
      "The matrix norm of A over the two dims in dim ('fro', 1, -1, inf, -inf).");
  l.def(
      "norm",
      [](const Tensor& x, py::handle ord, py::handle dim, bool keepdim) {
        auto o = parse_ord(ord, "linalg.norm");
        auto d = parse_dims(dim, "linalg.norm");
        return maybe_release(x.numel(), [&] { return ax::linalg::norm(x, o, d, keepdim); });
      },
      "input"_a, "ord"_a = py::none(), "dim"_a = py::none(), "keepdim"_a = false,
      "A vector or matrix norm, as torch.linalg.norm.");
}

// f(input, <arg>) as a top-level function and as a method.
void bind_product(py::module_& m, Class& cls, const char* name, const char* arg, BinFn f) {
  m.def(
      name,
      [f](const Tensor& a, const Tensor& b) {
        return maybe_release(work(a, b), [&] { return f(a, b); });
      },
      "input"_a, py::arg(arg));
  cls.def(
      name,
      [f](const Tensor& a, const Tensor& b) {
        return maybe_release(work(a, b), [&] { return f(a, b); });
      },
      py::arg(arg));
}

}  // namespace

void register_linalg(py::module_& m, Class& cls) {
  // @ only takes tensors: anything else returns NotImplemented so Python can try the other side.
  cls.def("__matmul__", [](const Tensor& a, py::handle o) -> py::object {
    if (!py::isinstance(o, tensor_type()))
      return py::reinterpret_borrow<py::object>(Py_NotImplemented);
    const Tensor b = o.cast<Tensor>();
    return py::cast(maybe_release(work(a, b), [&] { return ax::matmul(a, b); }));
  });
  cls.def("__rmatmul__", [](const Tensor& a, py::handle o) -> py::object {
    if (!py::isinstance(o, tensor_type()))
      return py::reinterpret_borrow<py::object>(Py_NotImplemented);
    const Tensor b = o.cast<Tensor>();
    return py::cast(maybe_release(work(a, b), [&] { return ax::matmul(b, a); }));
  });
  bind_product(m, cls, "matmul", "other", ax::matmul);
  bind_product(m, cls, "mm", "mat2", ax::mm);
  bind_product(m, cls, "bmm", "mat2", ax::bmm);
  bind_product(m, cls, "mv", "vec", ax::mv);
  bind_product(m, cls, "dot", "tensor", ax::dot);
  bind_product(m, cls, "outer", "vec2", ax::outer);
  m.attr("ger") = m.attr("outer");
  cls.attr("ger") = cls.attr("outer");
  m.def(
      "addmm",
      [](const Tensor& input, const Tensor& m1, const Tensor& m2, double beta, double alpha) {
        return maybe_release(work(m1, m2), [&] { return ax::addmm(input, m1, m2, beta, alpha); });
      },
      "input"_a, "mat1"_a, "mat2"_a, py::kw_only(), "beta"_a = 1.0, "alpha"_a = 1.0,
      "beta * input + alpha * (mat1 @ mat2); input broadcasts to the product's shape.");
  cls.def(
      "addmm",
      [](const Tensor& input, const Tensor& m1, const Tensor& m2, double beta, double alpha) {
        return maybe_release(work(m1, m2), [&] { return ax::addmm(input, m1, m2, beta, alpha); });
      },
      "mat1"_a, "mat2"_a, py::kw_only(), "beta"_a = 1.0, "alpha"_a = 1.0);
  bind_linalg_namespace(m, cls);
}

}  // namespace axb
