// Bindings for the shape family: views (view, reshape, permute, transpose, squeeze, narrow,
// select, expand, movedim, as_strided, ...) and joins/splits (cat, stack, split, chunk, unbind,
// repeat, tile, flip, roll), as Tensor methods and top-level functions with PyTorch's names.
#include "bindings/common.h"

namespace axb {
namespace {

using ax::TensorList;

std::string type_name(py::handle o) {
  return py::str(py::type::of(o).attr("__name__")).cast<std::string>();
}

int64_t int_arg(py::handle o, const char* op, const char* arg) {
  AXONITE_CHECK(PyIndex_Check(o.ptr()) && !PyBool_Check(o.ptr()), TypeError, op, ": argument '",
                arg, "' must be an int, got ", type_name(o));
  return index_value(o);
}

// An int or a sequence of ints (dims, shifts).
Dims int_or_dims(py::handle o, const char* op, const char* arg) {
  if (PyIndex_Check(o.ptr()) && !PyBool_Check(o.ptr())) return Dims{int_arg(o, op, arg)};
  AXONITE_CHECK(py::isinstance<py::sequence>(o) && !py::isinstance<py::str>(o), TypeError, op,
                ": argument '", arg, "' must be an int or a tuple of ints, got ", type_name(o));
  Dims d;
  for (auto item : py::reinterpret_borrow<py::sequence>(o)) d.push_back(int_arg(item, op, arg));
  return d;
}

std::vector<int64_t> int_list(py::handle o, const char* op, const char* arg) {
  std::vector<int64_t> v;
  for (auto item : py::reinterpret_borrow<py::sequence>(o)) v.push_back(int_arg(item, op, arg));
  return v;
}

// f(*sizes) or f(sizes) or f(key=sizes).
Dims shape_args(const py::args& args, const py::kwargs& kw, const char* key, const char* op) {
  if (kw.contains(key)) {
    AXONITE_CHECK(args.empty() && kw.size() == 1, TypeError, op, ": pass the ", key,
                  " either positionally or as the keyword '", key, "', not both");
    return int_or_dims(kw[key], op, key);
  }
  AXONITE_CHECK(kw.empty(), TypeError, op, ": unexpected keyword argument '",
                py::str(kw.begin()->first).cast<std::string>(), "'");
  return dims_from_args(args, op);
}

TensorList tensor_list(py::handle o, const char* op) {
  AXONITE_CHECK(!py::isinstance(o, tensor_type()) && py::isinstance<py::sequence>(o) &&
                    !py::isinstance<py::str>(o),
                TypeError, op, ": argument 'tensors' must be a tuple or list of Tensors, not ",
                type_name(o));
  TensorList ts;
  size_t i = 0;
  for (auto item : py::reinterpret_borrow<py::sequence>(o)) {
    AXONITE_CHECK(py::isinstance(item, tensor_type()), TypeError, op,
                  ": expected Tensor as element ", i, " in argument 'tensors', but got ",
                  type_name(item));
    ts.push_back(item.cast<Tensor>());
    ++i;
  }
  return ts;
}

int64_t total_numel(const TensorList& ts) {
  int64_t n = 0;
  for (const Tensor& t : ts) n += t.numel();
  return n;
}

py::tuple to_tuple(const TensorList& ts) {
  py::tuple out(ts.size());
  for (size_t i = 0; i < ts.size(); ++i) out[i] = py::cast(ts[i]);
  return out;
}

Tensor py_squeeze(const Tensor& t, py::handle dim) {
  if (dim.is_none()) return ax::squeeze(t);
  if (PyIndex_Check(dim.ptr())) return ax::squeeze(t, int_arg(dim, "squeeze", "dim"));
  return ax::squeeze(t, int_or_dims(dim, "squeeze", "dim"));
}

py::tuple py_split(const Tensor& t, py::handle sizes, int64_t dim) {
  if (PyIndex_Check(sizes.ptr()))
    return to_tuple(ax::split(t, int_arg(sizes, "split", "split_size_or_sections"), dim));
  AXONITE_CHECK(py::isinstance<py::sequence>(sizes), TypeError,
                "split: argument 'split_size_or_sections' must be an int or a list of ints, got ",
                type_name(sizes));
  return to_tuple(ax::split_with_sizes(t, int_list(sizes, "split", "split_size_or_sections"), dim));
}

py::tuple py_tensor_split(const Tensor& t, py::handle arg, int64_t dim) {
  if (PyIndex_Check(arg.ptr()))
    return to_tuple(ax::tensor_split(t, int_arg(arg, "tensor_split", "sections"), dim));
  AXONITE_CHECK(py::isinstance<py::sequence>(arg), TypeError,
                "tensor_split: argument 'indices_or_sections' must be an int or a list of ints, "
                "got ",
                type_name(arg));
  return to_tuple(ax::tensor_split(t, int_list(arg, "tensor_split", "indices"), dim));
}

Tensor py_movedim(const Tensor& t, py::handle src, py::handle dst) {
  return ax::movedim(t, int_or_dims(src, "movedim", "source"),
                     int_or_dims(dst, "movedim", "destination"));
}

Tensor py_roll(const Tensor& t, py::handle shifts, py::handle dims) {
  const Dims s = int_or_dims(shifts, "roll", "shifts");
  const Dims d = dims.is_none() ? Dims() : int_or_dims(dims, "roll", "dims");
  return maybe_release(t.numel(), [&] { return ax::roll(t, s, d); });
}

Tensor py_flip(const Tensor& t, const Dims& dims) {
  return maybe_release(t.numel(), [&] { return ax::flip(t, dims); });
}

Tensor py_fliplr(const Tensor& t) {
  return maybe_release(t.numel(), [&] { return ax::fliplr(t); });
}

Tensor py_flipud(const Tensor& t) {
  return maybe_release(t.numel(), [&] { return ax::flipud(t); });
}

Tensor py_as_strided(const Tensor& t, const Dims& size, const Dims& stride,
                     std::optional<int64_t> offset) {
  return ax::as_strided(t, size, stride, offset);
}

Tensor py_cat(py::handle tensors, int64_t dim) {
  const TensorList ts = tensor_list(tensors, "cat");
  return maybe_release(total_numel(ts), [&] { return ax::cat(ts, dim); });
}

Tensor py_stack(py::handle tensors, int64_t dim) {
  const TensorList ts = tensor_list(tensors, "stack");
  return maybe_release(total_numel(ts), [&] { return ax::stack(ts, dim); });
}

}  // namespace

void register_views(py::module_& m, Class& cls) {
  // ---- methods ----
  cls.def(
      "view",
      [](const Tensor& t, const py::args& a, const py::kwargs& kw) {
        return ax::view(t, shape_args(a, kw, "size", "view"));
      },
      "Same data with a new shape (no copy; strides must allow it).");
  cls.def(
      "view_as", [](const Tensor& t, const Tensor& o) { return ax::view(t, o.sizes()); },
      "other"_a);
  cls.def(
      "reshape",
      [](const Tensor& t, const py::args& a, const py::kwargs& kw) {
        return ax::reshape(t, shape_args(a, kw, "shape", "reshape"));
      },
      "Same data with a new shape: a view when possible, else a copy.");
  cls.def(
      "reshape_as", [](const Tensor& t, const Tensor& o) { return ax::reshape(t, o.sizes()); },
      "other"_a);
  cls.def(
      "permute",
      [](const Tensor& t, const py::args& a, const py::kwargs& kw) {
        return ax::permute(t, shape_args(a, kw, "dims", "permute"));
      },
      "A view with the dims reordered.");
  cls.def("transpose", &ax::transpose, "dim0"_a, "dim1"_a);
  cls.def("swapaxes", &ax::transpose, "axis0"_a, "axis1"_a);
  cls.def("swapdims", &ax::transpose, "dim0"_a, "dim1"_a);
  cls.def("t", &ax::t);
  cls.def_property_readonly("T", &ax::numpy_T, "All dims reversed (a view).");
  cls.def_property_readonly("mT", &ax::matrix_T, "The last two dims swapped (a view).");
  cls.def_property_readonly("mH", &ax::matrix_T, "mT (real tensors have no conjugate).");
  cls.def("unsqueeze", &ax::unsqueeze, "dim"_a);
  cls.def("squeeze", &py_squeeze, "dim"_a = py::none());
  cls.def("flatten", &ax::flatten, "start_dim"_a = 0, "end_dim"_a = -1);
  cls.def("unflatten", &ax::unflatten, "dim"_a, "sizes"_a);
  cls.def(
      "expand",
      [](const Tensor& t, const py::args& a, const py::kwargs& kw) {
        return ax::expand(t, shape_args(a, kw, "size", "expand"));
      },
      "A stride-0 view broadcasting size-1 dims to larger sizes (-1 keeps a dim).");
  cls.def(
      "expand_as", [](const Tensor& t, const Tensor& o) { return ax::expand(t, o.sizes()); },
      "other"_a);
  cls.def("narrow", &ax::narrow, "dim"_a, "start"_a, "length"_a);
  cls.def("select", &ax::select, "dim"_a, "index"_a);
  cls.def(
      "unbind", [](const Tensor& t, int64_t d) { return to_tuple(ax::unbind(t, d)); }, "dim"_a = 0);
  cls.def("movedim", &py_movedim, "source"_a, "destination"_a);
  cls.def("moveaxis", &py_movedim, "source"_a, "destination"_a);
  cls.def("as_strided", &py_as_strided, "size"_a, "stride"_a, "storage_offset"_a = py::none());
  cls.def("split", &py_split, "split_size"_a, "dim"_a = 0);
  cls.def(
      "chunk", [](const Tensor& t, int64_t c, int64_t d) { return to_tuple(ax::chunk(t, c, d)); },
      "chunks"_a, "dim"_a = 0);
  cls.def("tensor_split", &py_tensor_split, "indices_or_sections"_a, "dim"_a = 0);
  cls.def(
      "repeat",
      [](const Tensor& t, const py::args& a, const py::kwargs& kw) {
        const Dims r = shape_args(a, kw, "repeats", "repeat");
        return maybe_release(t.numel(), [&] { return ax::repeat(t, r); });
      },
      "A copy repeated along each dim.");
  cls.def("tile", [](const Tensor& t, const py::args& a, const py::kwargs& kw) {
    const Dims r = shape_args(a, kw, "dims", "tile");
    return maybe_release(t.numel(), [&] { return ax::tile(t, r); });
  });
  cls.def(
      "flip",
      [](const Tensor& t, const py::args& a, const py::kwargs& kw) {
        return py_flip(t, shape_args(a, kw, "dims", "flip"));
      },
      "A copy with the element order reversed along dims.");
  cls.def("fliplr", &py_fliplr);
  cls.def("flipud", &py_flipud);
  cls.def("roll", &py_roll, "shifts"_a, "dims"_a = py::none());

  // ---- functions ----
  m.def("reshape", &ax::reshape, "input"_a, "shape"_a);
  m.def("permute", &ax::permute, "input"_a, "dims"_a);
  m.def("transpose", &ax::transpose, "input"_a, "dim0"_a, "dim1"_a);
  m.def("swapaxes", &ax::transpose, "input"_a, "axis0"_a, "axis1"_a);
  m.def("swapdims", &ax::transpose, "input"_a, "dim0"_a, "dim1"_a);
  m.def("t", &ax::t, "input"_a);
  m.def("unsqueeze", &ax::unsqueeze, "input"_a, "dim"_a);
  m.def("squeeze", &py_squeeze, "input"_a, "dim"_a = py::none());
  m.def("flatten", &ax::flatten, "input"_a, "start_dim"_a = 0, "end_dim"_a = -1);
  m.def("unflatten", &ax::unflatten, "input"_a, "dim"_a, "sizes"_a);
  m.def("narrow", &ax::narrow, "input"_a, "dim"_a, "start"_a, "length"_a);
  m.def("select", &ax::select, "input"_a, "dim"_a, "index"_a);
  m.def(
      "unbind", [](const Tensor& t, int64_t d) { return to_tuple(ax::unbind(t, d)); }, "input"_a,
      "dim"_a = 0);
  m.def("movedim", &py_movedim, "input"_a, "source"_a, "destination"_a);
  m.def("moveaxis", &py_movedim, "input"_a, "source"_a, "destination"_a);
  m.def("as_strided", &py_as_strided, "input"_a, "size"_a, "stride"_a,
        "storage_offset"_a = py::none());
  m.def("cat", &py_cat, "tensors"_a, "dim"_a = 0, "Concatenates tensors along an existing dim.");
  m.def("concat", &py_cat, "tensors"_a, "dim"_a = 0);
  m.def("concatenate", &py_cat, "tensors"_a, "axis"_a = 0);
  m.def("stack", &py_stack, "tensors"_a, "dim"_a = 0,
        "Joins equal-shaped tensors along a new dim.");
  m.def("hstack", [](py::handle ts) { return ax::hstack(tensor_list(ts, "hstack")); }, "tensors"_a);
  m.def("vstack", [](py::handle ts) { return ax::vstack(tensor_list(ts, "vstack")); }, "tensors"_a);
  m.def("split", &py_split, "tensor"_a, "split_size_or_sections"_a, "dim"_a = 0);
  m.def(
      "chunk", [](const Tensor& t, int64_t c, int64_t d) { return to_tuple(ax::chunk(t, c, d)); },
      "input"_a, "chunks"_a, "dim"_a = 0);
  m.def("tensor_split", &py_tensor_split, "input"_a, "indices_or_sections"_a, "dim"_a = 0);
  m.def(
      "tile",
      [](const Tensor& t, const Dims& d) {
        return maybe_release(t.numel(), [&] { return ax::tile(t, d); });
      },
      "input"_a, "dims"_a);
  m.def(
      "flip",
      [](const Tensor& t, py::handle d) { return py_flip(t, int_or_dims(d, "flip", "dims")); },
      "input"_a, "dims"_a);
  m.def("fliplr", &py_fliplr, "input"_a);
  m.def("flipud", &py_flipud, "input"_a);
  m.def("roll", &py_roll, "input"_a, "shifts"_a, "dims"_a = py::none());
}

}  // namespace axb
