// axonite.Tensor: properties, metadata methods, dtype objects, NumPy interop (zero-copy both
// ways, buffer protocol). Indexing, views and math are bound in their own files.
#include <pybind11/numpy.h>

#include "bindings/common.h"

namespace axb {
namespace {

py::object g_size_cls;
py::handle g_tensor_type;

py::dtype numpy_dtype(DType d) {
  switch (d) {
    case DType::Bool:
      return py::dtype::of<bool>();
    case DType::Int64:
      return py::dtype::of<int64_t>();
    case DType::Float32:
      return py::dtype::of<float>();
    case DType::Float64:
      return py::dtype::of<double>();
  }
  return py::dtype::of<float>();
}

std::optional<DType> from_numpy_dtype(const py::dtype& dt) {
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (!dt.attr("isnative").cast<bool>()) return std::nullopt;  // byte-swapped data
  if (kind == 'f' && size == 4) return DType::Float32;
  if (kind == 'f' && size == 8) return DType::Float64;
  if (kind == 'i' && size == 8) return DType::Int64;
  if (kind == 'b' && size == 1) return DType::Bool;
  return std::nullopt;
}

// Shares the array's memory; the tensor's storage keeps the array alive.
Tensor from_numpy(const py::array& arr) {
  auto dt = from_numpy_dtype(arr.dtype());
  if (!dt)
    ax::fail(ax::ErrorKind::TypeError, "from_numpy: can't convert np.ndarray of dtype ",
             std::string(py::str(arr.dtype())),
             "; the supported dtypes are float64, float32, int64 and bool");
  const int64_t es = static_cast<int64_t>(ax::itemsize(*dt));
  Dims sizes, strides;
  for (py::ssize_t i = 0; i < arr.ndim(); ++i) {
    sizes.push_back(arr.shape(i));
    const py::ssize_t st = arr.strides(i);
    AXONITE_CHECK(st >= 0 && st % es == 0, ValueError,
                  "from_numpy: arrays with negative or non-element-aligned strides are not "
                  "supported (strides ",
                  st, " bytes at dim ", i, "); use np.ascontiguousarray first");
    strides.push_back(st / es);
  }
  PyObject* owner = arr.ptr();
  Py_INCREF(owner);
  std::shared_ptr<void> keep(owner, [](void* o) {
    py::gil_scoped_acquire gil;  // may be freed from a GIL-released kernel or backward
    Py_DECREF(static_cast<PyObject*>(o));
  });
  // Size the storage to cover the furthest element so views stay in bounds.
  int64_t span = 1;
  for (int i = 0; i < sizes.size(); ++i) span += (sizes[i] - 1) * strides[i];
  if (ax::numel_of(sizes) == 0) span = 0;
  auto storage = std::make_shared<ax::Storage>(const_cast<void*>(arr.data()),
                                               static_cast<size_t>(span * es), std::move(keep));
  return Tensor::from_storage(std::move(storage), sizes, strides, 0, *dt);
}

// A NumPy array over the tensor's memory whose base is the Python tensor object.
py::array to_numpy(py::handle self_obj, const Tensor& t, bool force) {
  if (t.requires_grad() && !force)
    ax::fail(ax::ErrorKind::RuntimeError,
             "numpy: can't call numpy() on a Tensor that requires grad; use "
             "tensor.detach().numpy() instead");
  std::vector<py::ssize_t> shape, strides;
  const auto es = static_cast<py::ssize_t>(ax::itemsize(t.dtype()));
  for (int i = 0; i < t.dim(); ++i) {
    shape.push_back(t.sizes()[i]);
    strides.push_back(t.strides()[i] * es);
  }
  return py::array(numpy_dtype(t.dtype()), shape, strides, t.raw_data(), self_obj);
}

py::object item(const Tensor& t) {
  AXONITE_CHECK(t.numel() == 1, ValueError, "item: a Tensor with ", t.numel(),
                " elements cannot be converted to a Python scalar (shape ",
                ax::shape_str(t.sizes()), ")");
  switch (t.dtype()) {
    case DType::Bool:
      return py::bool_(*t.data<bool>());
    case DType::Int64:
      return py::int_(*t.data<int64_t>());
    case DType::Float32:
      return py::float_(*t.data<float>());
    case DType::Float64:
      return py::float_(*t.data<double>());
  }
  return py::none();
}

// index_value(o) for entry i of op's shape argument. An __index__ that refuses (a float or
// multi-element tensor) raises its own exception type again, with the message under op's name.
int64_t shape_entry(py::handle o, const char* op, int i) {
  const Py_ssize_t v = PyNumber_AsSsize_t(o.ptr(), PyExc_OverflowError);
  if (v == -1 && PyErr_Occurred()) {
    py::error_already_set e;  // takes the pending exception
    const std::string msg = py::str(e.value());
    PyErr_Format(e.type().ptr(), "%s: shape entry %d: %s", op, i, msg.c_str());
    throw py::error_already_set();
  }
  return v;
}

}  // namespace

py::handle tensor_type() { return g_tensor_type; }

// Calls tuple.__new__(Size, entries) directly, skipping Size.__new__ (python/axonite/_tensor.py):
// that one validates user input in Python, and these entries are ints by construction. Going
// through it would add a Python frame to every Tensor.shape.
py::object make_size(const Dims& d) {
  py::tuple t(d.size());
  for (int i = 0; i < d.size(); ++i) t[i] = py::int_(d[i]);
  if (!g_size_cls) return std::move(t);
  py::tuple args = py::make_tuple(std::move(t));
  PyObject* size =
      PyTuple_Type.tp_new(reinterpret_cast<PyTypeObject*>(g_size_cls.ptr()), args.ptr(), nullptr);
  if (size == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(size);
}

std::optional<Tensor> as_operand(py::handle o) {
  if (py::isinstance(o, g_tensor_type)) return o.cast<Tensor>();
  PyObject* p = o.ptr();
  if (PyBool_Check(p)) return ax::scalar_tensor(p == Py_True ? 1.0 : 0.0, DType::Bool, true);
  if (PyLong_Check(p)) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(p, &overflow);
    AXONITE_CHECK(!overflow, ValueError, "value cannot be converted to int64 without overflow");
    return ax::scalar_tensor_int(v, true);
  }
  if (PyFloat_Check(p)) return ax::scalar_tensor(PyFloat_AS_DOUBLE(p), DType::Float64, true);
  // NumPy scalars and 0-d arrays of supported kinds behave like Python numbers.
  if (py::hasattr(o, "dtype") && py::hasattr(o, "item") && py::hasattr(o, "ndim") &&
      o.attr("ndim").cast<int>() == 0)
    return as_operand(o.attr("item")());
  return std::nullopt;
}

Tensor to_tensor_arg(py::handle o, const char* op) {
  if (auto t = as_operand(o)) return *t;
  py::object ax_mod = py::module_::import("axonite");
  try {
    return ax_mod.attr("tensor")(o).cast<Tensor>();
  } catch (py::error_already_set&) {
    ax::fail(ax::ErrorKind::TypeError, op, ": expected a Tensor or a number, got ",
             std::string(py::str(py::type::of(o).attr("__name__"))));
  }
}

Dims dims_from_args(const py::args& args, const char* op) {
  if (args.size() == 1 && !PyIndex_Check(args[0].ptr())) {
    try {
      return args[0].cast<Dims>();
    } catch (py::cast_error&) {
      ax::fail(ax::ErrorKind::TypeError, op, ": expected a sequence of ints as the shape, got ",
               std::string(py::str(py::type::of(args[0]).attr("__name__"))));
    }
  }
  Dims d;
  for (auto a : args) {
    AXONITE_CHECK(PyIndex_Check(a.ptr()) && !PyBool_Check(a.ptr()), TypeError, op,
                  ": expected ints as the shape, got ",
                  std::string(py::str(py::type::of(a).attr("__name__"))));
    d.push_back(shape_entry(a, op, d.size()));
  }
  return d;
}

void register_tensor(py::module_& m, Class& cls) {
  g_tensor_type = cls;
  py::enum_<DType> dt(m, "dtype", "Element type of a tensor.");
  dt.value("bool", DType::Bool)
      .value("int64", DType::Int64)
      .value("float32", DType::Float32)
      .value("float64", DType::Float64)
      .def_property_readonly("is_floating_point", [](DType d) { return ax::is_floating(d); })
      .def_property_readonly("itemsize", [](DType d) { return ax::itemsize(d); });
  // Replace (not overload) enum_'s own repr: dtypes print as `axonite.float32`.
  auto name = py::cpp_function([](DType d) { return std::string("axonite.") + ax::dtype_name(d); },
                               py::is_method(dt));
  dt.attr("__repr__") = name;
  dt.attr("__str__") = name;
  m.attr("float32") = DType::Float32;
  m.attr("float64") = DType::Float64;
  m.attr("int64") = DType::Int64;
  m.attr("bool") = DType::Bool;

  m.def("_set_size_class", [](py::object c) {
    // make_size calls tuple's own tp_new on it, which is only valid for a tuple subclass.
    AXONITE_CHECK(PyType_Check(c.ptr()) &&
                      PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(c.ptr()), &PyTuple_Type),
                  TypeError, "_set_size_class: expected a subclass of tuple");
    g_size_cls = std::move(c);
  });
  m.def("from_numpy", &from_numpy, "ndarray"_a,
        "A tensor sharing memory with a NumPy array (float32/float64/int64/bool).");
  m.def("_empty", [](const Dims& s, DType d) { return ax::empty(s, d); }, "size"_a, "dtype"_a);

  // Tensor(data) is a detached alias of data (same memory, no history): what Python
  // subclasses such as nn.Parameter build on. Tensor() is an empty float tensor.
  cls.def(py::init([] { return ax::empty(Dims{0}, ax::kDefaultFloat).impl_ptr(); }))
      .def(py::init([](const Tensor& data) { return data.detach().impl_ptr(); }), "data"_a);
  cls.def_property_readonly("shape", [](const Tensor& t) { return make_size(t.sizes()); })
      .def_property_readonly("dtype", [](const Tensor& t) { return t.dtype(); })
      .def_property_readonly("ndim", [](const Tensor& t) { return t.dim(); })
      .def_property(
          "requires_grad", [](const Tensor& t) { return t.requires_grad(); },
          [](Tensor t, bool r) { t.set_requires_grad(r); })
      .def_property(
          "grad", [](const Tensor& t) { return t.grad(); },
          [](Tensor t, std::optional<Tensor> g) { t.set_grad(g ? *g : Tensor()); })
      .def_property_readonly("is_leaf", [](const Tensor& t) { return t.is_leaf(); })
      .def_property_readonly("_version", [](const Tensor& t) { return t.version(); })
      .def_property_readonly("_is_view",
                             [](const Tensor& t) { return t.impl()->view_base != nullptr; })
      .def_property(
          "data", [](const Tensor& t) { return t.detach(); },
          [](const Tensor& t, const Tensor& src) {
            // Swap in src's memory and geometry, keeping t's identity and autograd flags.
            ax::TensorImpl* i = t.impl();
            i->storage = src.storage();
            i->sizes = src.sizes();
            i->strides = src.strides();
            i->offset = src.offset();
            i->numel = src.numel();
            i->dtype = src.dtype();
          })
      .def(
          "size",
          [](const Tensor& t, std::optional<int64_t> d) -> py::object {
            if (d) return py::int_(t.size(*d));
            return make_size(t.sizes());
          },
          "dim"_a = py::none())
      .def(
          "stride",
          [](const Tensor& t, std::optional<int64_t> d) -> py::object {
            if (d) return py::int_(t.stride(*d));
            return py::cast(t.strides());
          },
          "dim"_a = py::none())
      .def("storage_offset", [](const Tensor& t) { return t.offset(); })
      .def("numel", [](const Tensor& t) { return t.numel(); })
      .def("dim", [](const Tensor& t) { return t.dim(); })
      .def("element_size", [](const Tensor& t) { return ax::itemsize(t.dtype()); })
      .def_property_readonly(
          "nbytes",
          [](const Tensor& t) { return t.numel() * static_cast<int64_t>(ax::itemsize(t.dtype())); })
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.raw_data()); })
      .def("is_contiguous", [](const Tensor& t) { return t.is_contiguous(); })
      .def("is_floating_point", [](const Tensor& t) { return ax::is_floating(t.dtype()); })
      .def("item", &item)
      .def("__len__",
           [](const Tensor& t) {
             AXONITE_CHECK(t.dim() > 0, TypeError, "len() of a 0-d tensor");
             return t.sizes()[0];
           })
      .def(
          "numpy",
          [](py::handle self, bool force) { return to_numpy(self, self.cast<Tensor>(), force); },
          "force"_a = false, "A NumPy array sharing this tensor's memory.")
      .def("_to_dtype", [](const Tensor& t, DType d) { return ax::to_dtype(t, d); })
      .def("contiguous", [](const Tensor& t) { return ax::contiguous(t); })
      .def("clone", [](const Tensor& t) { return ax::clone(t); })
      .def(
          "copy_",
          [](const Tensor& t, py::handle src) { return ax::copy_(t, to_tensor_arg(src, "copy_")); },
          "src"_a)
      .def(
          "fill_",
          [](const Tensor& t, py::handle v) {
            Tensor s = to_tensor_arg(v, "fill_");
            return ax::copy_(t, s);
          },
          "value"_a)
      .def("zero_", [](const Tensor& t) { return ax::copy_(t, ax::scalar_tensor_int(0, true)); });
  cls.def_buffer([](ax::TensorImpl& impl) {
    Tensor t(std::shared_ptr<ax::TensorImpl>(std::shared_ptr<ax::TensorImpl>{}, &impl));
    std::vector<py::ssize_t> shape, strides;
    const auto es = static_cast<py::ssize_t>(ax::itemsize(impl.dtype));
    for (int i = 0; i < impl.sizes.size(); ++i) {
      shape.push_back(impl.sizes[i]);
      strides.push_back(impl.strides[i] * es);
    }
    std::string fmt = impl.dtype == DType::Float32   ? py::format_descriptor<float>::format()
                      : impl.dtype == DType::Float64 ? py::format_descriptor<double>::format()
                      : impl.dtype == DType::Int64   ? py::format_descriptor<int64_t>::format()
                                                     : py::format_descriptor<bool>::format();
    return py::buffer_info(t.raw_data(), es, fmt, impl.sizes.size(), shape, strides);
  });
}

}  // namespace axb
