// Indexing bindings: __getitem__/__setitem__ turn the Python index into an ax::IndexSpec (all
// semantics live in ops/indexing.cpp), plus gather/scatter/index_select/masked_* and friends as
// methods and top-level functions.
#include "bindings/common.h"

namespace axb {
namespace {

using ax::TensorIndex;

std::string type_name(py::handle o) { return py::str(py::type::of(o).attr("__name__")); }

int64_t as_int(py::handle o) {
  const Py_ssize_t v = PyNumber_AsSsize_t(o.ptr(), PyExc_IndexError);
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  return v;
}

// An index tensor from a list / NumPy array / nested sequence: int64 or bool.
Tensor index_tensor(py::handle o) {
  if (PyList_Check(o.ptr())) {
    // Fast path for a flat list of Python ints, the common case.
    const Py_ssize_t n = PyList_GET_SIZE(o.ptr());
    bool ints = true;
    for (Py_ssize_t i = 0; i < n && ints; ++i) {
      PyObject* it = PyList_GET_ITEM(o.ptr(), i);
      ints = PyLong_Check(it) && !PyBool_Check(it);
    }
    if (ints) {
      Tensor t = Tensor::empty(Dims{static_cast<int64_t>(n)}, DType::Int64);
      int64_t* p = t.data<int64_t>();
      for (Py_ssize_t i = 0; i < n; ++i) p[i] = as_int(PyList_GET_ITEM(o.ptr(), i));
      return t;
    }
  }
  Tensor t;
  try {
    t = py::module_::import("axonite").attr("tensor")(o).cast<Tensor>();
  } catch (py::error_already_set&) {
    ax::fail(ax::ErrorKind::TypeError,
             "only integers, slices (`:`), ellipsis (`...`), None and long or bool tensors are "
             "valid indices (got ",
             type_name(o), ")");
  }
  if (t.numel() == 0 && ax::is_floating(t.dtype())) return ax::to_dtype(t, DType::Int64);
  return t;
}

TensorIndex parse_item(py::handle o) {
  PyObject* p = o.ptr();
  if (p == Py_None) return TensorIndex::none();
  if (p == Py_Ellipsis) return TensorIndex::ellipsis();
  if (PyBool_Check(p)) return TensorIndex::from_bool(p == Py_True);
  if (py::isinstance(o, tensor_type())) return TensorIndex::from_tensor(o.cast<Tensor>());
  if (PyLong_Check(p)) return TensorIndex::from_int(as_int(o));
  if (PySlice_Check(p)) {
    auto* s = reinterpret_cast<PySliceObject*>(p);
    auto bound = [](PyObject* b) -> std::optional<int64_t> {
      if (b == Py_None) return std::nullopt;
      return as_int(b);
    };
    const std::optional<int64_t> step = bound(s->step);
    AXONITE_CHECK(!step || *step > 0, ValueError, "step must be greater than zero");
    return TensorIndex::from_slice(bound(s->start), bound(s->stop), step.value_or(1));
  }
  const bool array_like = py::hasattr(o, "dtype") && py::hasattr(o, "ndim");
  if (array_like && o.attr("ndim").cast<int>() == 0) {
    // NumPy scalars: bools and integers act like their Python counterparts.
    const char kind = py::str(o.attr("dtype").attr("kind")).cast<std::string>()[0];
    if (kind == 'b') return TensorIndex::from_bool(o.attr("item")().cast<bool>());
    if (kind == 'i' || kind == 'u') return TensorIndex::from_int(as_int(o));
  }
  // Floats (Python or 0-d NumPy) are refused like PyTorch does, with an IndexError.
  AXONITE_CHECK(!PyFloat_Check(p) && !(array_like && o.attr("ndim").cast<int>() == 0), IndexError,
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                "are valid indices (got ",
                type_name(o), ")");
  AXONITE_CHECK(!PyUnicode_Check(p) && !PyBytes_Check(p) && (PySequence_Check(p) || array_like),
                TypeError,
                "only integers, slices (`:`), ellipsis (`...`), None and long or bool tensors "
                "are valid indices (got ",
                type_name(o), ")");
  return TensorIndex::from_tensor(index_tensor(o));
}

ax::IndexSpec parse_index(py::handle idx) {
  ax::IndexSpec spec;
  if (PyTuple_Check(idx.ptr())) {
    auto t = py::reinterpret_borrow<py::tuple>(idx);
    spec.reserve(t.size());
    for (auto item : t) spec.push_back(parse_item(item));
  } else {
    spec.push_back(parse_item(idx));
  }
  return spec;
}

// index_put's `indices`: a tuple/list of index tensors (or None for a whole dim).
ax::TensorList parse_indices(py::handle seq) {
  AXONITE_CHECK(PyTuple_Check(seq.ptr()) || PyList_Check(seq.ptr()), TypeError,
                "index_put: indices must be a tuple of tensors, got ", type_name(seq));
  ax::TensorList out;
  for (auto item : py::reinterpret_borrow<py::sequence>(seq)) {
    if (item.is_none())
      out.emplace_back();
    else if (py::isinstance(item, tensor_type()))
      out.push_back(item.cast<Tensor>());
    else
      out.push_back(index_tensor(item));
  }
  return out;
}

Tensor scaled(const Tensor& t, py::handle alpha) {
  if (PyLong_Check(alpha.ptr()) && PyLong_AsLongLong(alpha.ptr()) == 1) return t;
  return ax::mul(t, to_tensor_arg(alpha, "alpha"));
}

// scatter's third argument: a tensor src, or a number (value), as in PyTorch's overloads.
Tensor scatter_dispatch(const Tensor& x, int64_t dim, const Tensor& index, py::handle src,
                        py::handle value, bool inplace) {
  const char* op = inplace ? "scatter_" : "scatter";
  AXONITE_CHECK(src.is_none() != value.is_none(), TypeError, op,
                "(): expected exactly one of 'src' (a tensor) or 'value' (a number)");
  if (!src.is_none() && py::isinstance(src, tensor_type())) {
    const Tensor s = src.cast<Tensor>();
    return inplace ? ax::scatter_(x, dim, index, s) : ax::scatter(x, dim, index, s);
  }
  const Tensor v = to_tensor_arg(src.is_none() ? value : src, op);
  return inplace ? ax::scatter_value_(x, dim, index, v) : ax::scatter_value(x, dim, index, v);
}

// Elements an indexing call may touch: basic indexing only builds a view (no work), while
// tensor indices may gather or write up to all of x.
int64_t spec_work(const Tensor& x, const ax::IndexSpec& spec, bool writes) {
  for (const TensorIndex& it : spec)
    if (it.kind == TensorIndex::Kind::Tensor) return x.numel();
  return writes ? x.numel() : 0;
}

}  // namespace

void register_indexing(py::module_& m, Class& cls) {
  cls.def("__getitem__", [](const Tensor& x, py::handle idx) {
    const ax::IndexSpec spec = parse_index(idx);
    return maybe_release(spec_work(x, spec, false), [&] { return ax::index(x, spec); });
  });
  cls.def("__setitem__", [](const Tensor& x, py::handle idx, py::handle value) {
    const ax::IndexSpec spec = parse_index(idx);
    const Tensor v = to_tensor_arg(value, "__setitem__");
    maybe_release(spec_work(x, spec, true), [&] { ax::index_put_(x, spec, v); });
  });

  // Methods and functions share one lambda each: self/input first.
  auto index_select = [](const Tensor& x, int64_t dim, const Tensor& index) {
    return maybe_release(index.numel(), [&] { return ax::index_select(x, dim, index); });
  };
  cls.def("index_select", index_select, "dim"_a, "index"_a);
  m.def("index_select", index_select, "input"_a, "dim"_a, "index"_a,
        "Rows of input along dim picked by a 1-d int64 index.");

  auto gather = [](const Tensor& x, int64_t dim, const Tensor& index, bool) {
    return maybe_release(index.numel(), [&] { return ax::gather(x, dim, index); });
  };
  cls.def("gather", gather, "dim"_a, "index"_a, py::kw_only(), "sparse_grad"_a = false);
  m.def("gather", gather, "input"_a, "dim"_a, "index"_a, py::kw_only(), "sparse_grad"_a = false,
        "out[i][j] = input[i][index[i][j]] (dim=1); index has input's ndim.");

  auto scatter = [](const Tensor& x, int64_t dim, const Tensor& index, py::handle src,
                    py::handle value) {
    return scatter_dispatch(x, dim, index, src, value, false);
  };
  cls.def("scatter", scatter, "dim"_a, "index"_a, "src"_a = py::none(), py::kw_only(),
          "value"_a = py::none());
  m.def("scatter", scatter, "input"_a, "dim"_a, "index"_a, "src"_a = py::none(), py::kw_only(),
        "value"_a = py::none(), "Copy of input with src (or a number) written at index along dim.");
  cls.def(
      "scatter_",
      [](const Tensor& x, int64_t dim, const Tensor& index, py::handle src, py::handle value) {
        return scatter_dispatch(x, dim, index, src, value, true);
      },
      "dim"_a, "index"_a, "src"_a = py::none(), py::kw_only(), "value"_a = py::none());

  auto scatter_add = [](const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
    return maybe_release(index.numel(), [&] { return ax::scatter_add(x, dim, index, src); });
  };
  cls.def("scatter_add", scatter_add, "dim"_a, "index"_a, "src"_a);
  m.def("scatter_add", scatter_add, "input"_a, "dim"_a, "index"_a, "src"_a,
        "Copy of input with src added at index along dim (deterministic).");
  cls.def(
      "scatter_add_",
      [](const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
        return maybe_release(index.numel(), [&] { return ax::scatter_add_(x, dim, index, src); });
      },
      "dim"_a, "index"_a, "src"_a);

  auto index_add = [](const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source,
                      py::handle alpha) {
    const Tensor s = scaled(source, alpha);
    return maybe_release(x.numel(), [&] { return ax::index_add(x, dim, index, s); });
  };
  cls.def("index_add", index_add, "dim"_a, "index"_a, "source"_a, py::kw_only(), "alpha"_a = 1);
  m.def("index_add", index_add, "input"_a, "dim"_a, "index"_a, "source"_a, py::kw_only(),
        "alpha"_a = 1, "Copy of input with alpha * source added at index along dim.");
  cls.def(
      "index_add_",
      [](const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source,
         py::handle alpha) { return ax::index_add_(x, dim, index, scaled(source, alpha)); },
      "dim"_a, "index"_a, "source"_a, py::kw_only(), "alpha"_a = 1);

  auto index_put = [](const Tensor& x, py::handle indices, py::handle values, bool accumulate) {
    return ax::index_put(x, parse_indices(indices), to_tensor_arg(values, "index_put"), accumulate);
  };
  cls.def("index_put", index_put, "indices"_a, "values"_a, "accumulate"_a = false);
  m.def("index_put", index_put, "input"_a, "indices"_a, "values"_a, "accumulate"_a = false,
        "Copy of input with values written (or added) at a tuple of index tensors.");
  cls.def(
      "index_put_",
      [](const Tensor& x, py::handle indices, py::handle values, bool accumulate) {
        return ax::index_put_(x, parse_indices(indices), to_tensor_arg(values, "index_put_"),
                              accumulate);
      },
      "indices"_a, "values"_a, "accumulate"_a = false);

  auto masked_fill = [](const Tensor& x, const Tensor& mask, py::handle value) {
    const Tensor v = to_tensor_arg(value, "masked_fill");
    return maybe_release(x.numel(), [&] { return ax::masked_fill(x, mask, v); });
  };
  cls.def("masked_fill", masked_fill, "mask"_a, "value"_a);
  m.def("masked_fill", masked_fill, "input"_a, "mask"_a, "value"_a,
        "input with value where the bool mask is true.");
  cls.def(
      "masked_fill_",
      [](const Tensor& x, const Tensor& mask, py::handle value) {
        return ax::masked_fill_(x, mask, to_tensor_arg(value, "masked_fill_"));
      },
      "mask"_a, "value"_a);
  auto masked_select = [](const Tensor& x, const Tensor& mask) {
    return maybe_release(x.numel(), [&] { return ax::masked_select(x, mask); });
  };
  cls.def("masked_select", masked_select, "mask"_a);
  m.def("masked_select", masked_select, "input"_a, "mask"_a,
        "1-d tensor of the elements of input where mask is true.");

  auto take_along_dim = [](const Tensor& x, const Tensor& indices, std::optional<int64_t> dim) {
    return ax::take_along_dim(x, indices, dim);
  };
  cls.def("take_along_dim", take_along_dim, "indices"_a, "dim"_a = py::none());
  m.def("take_along_dim", take_along_dim, "input"_a, "indices"_a, "dim"_a = py::none(),
        "Values of input at indices along dim (both broadcast apart from dim).");

  auto nonzero = [](const Tensor& x, bool as_tuple) -> py::object {
    if (!as_tuple) return py::cast(maybe_release(x.numel(), [&] { return ax::nonzero(x); }));
    py::list cols = py::cast(maybe_release(x.numel(), [&] { return ax::nonzero_tuple(x); }));
    return py::tuple(cols);
  };
  cls.def("nonzero", nonzero, py::kw_only(), "as_tuple"_a = false);
  m.def("nonzero", nonzero, "input"_a, py::kw_only(), "as_tuple"_a = false,
        "int64 (n, ndim) coordinates of the nonzero elements (a tuple of columns with "
        "as_tuple=True).");

  m.def("one_hot", &ax::one_hot, "tensor"_a, "num_classes"_a = -1,
        "int64 one-hot encoding (..., num_classes) of an int64 tensor of class indices.");

  struct Tri {
    const char* name;
    ax::Tensor (*fn)(const Tensor&, int64_t);
  };
  static const Tri tris[] = {{"tril", ax::tril}, {"triu", ax::triu}};
  static const Tri tris_[] = {{"tril_", ax::tril_}, {"triu_", ax::triu_}};
  for (const Tri& t : tris) {
    auto f = [fn = t.fn](const Tensor& x, int64_t k) {
      return maybe_release(x.numel(), [&] { return fn(x, k); });
    };
    cls.def(t.name, f, "diagonal"_a = 0);
    m.def(t.name, f, "input"_a, "diagonal"_a = 0,
          "Lower (tril) / upper (triu) triangle of the last two dims, zeros elsewhere.");
  }
  for (const Tri& t : tris_) {
    cls.def(
        t.name,
        [fn = t.fn](const Tensor& x, int64_t k) {
          return maybe_release(x.numel(), [&] { return fn(x, k); });
        },
        "diagonal"_a = 0);
  }
}

}  // namespace axb
