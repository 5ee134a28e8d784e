// Factories (zeros/ones/full/empty, *_like, new_*, arange/linspace/logspace/eye), random ops
// and ax.Generator with the global-seed functions. PyTorch's argument parsing rules live here:
// sizes as varargs or one sequence, dtype inferred from Python numbers, `generator=` kwargs.
#include "bindings/common.h"

namespace axb {
namespace {

using ax::Generator;
using GenPtr = std::shared_ptr<Generator>;

// A Python number (or NumPy scalar, or one-element tensor) with its PyTorch kind.
struct Number {
  enum Kind { kBool, kInt, kFloat } kind = kFloat;
  int64_t i = 0;
  double d = 0;
};

std::optional<Number> to_number(py::handle o) {
  PyObject* p = o.ptr();
  if (PyBool_Check(p)) return Number{Number::kBool, p == Py_True, p == Py_True ? 1.0 : 0.0};
  if (PyLong_Check(p)) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(p, &overflow);
    AXONITE_CHECK(!overflow, ValueError, "value ", std::string(py::str(o)),
                  " cannot be converted to int64 without overflow");
    return Number{Number::kInt, v, static_cast<double>(v)};
  }
  if (PyFloat_Check(p)) return Number{Number::kFloat, 0, PyFloat_AS_DOUBLE(p)};
  if (py::isinstance(o, tensor_type())) {
    const Tensor t = o.cast<Tensor>();
    if (t.numel() != 1) return std::nullopt;
    if (t.dtype() == DType::Int64) {
      const int64_t v = *t.data<int64_t>();
      return Number{Number::kInt, v, static_cast<double>(v)};
    }
    const double v = t.item();
    return Number{t.dtype() == DType::Bool ? Number::kBool : Number::kFloat,
                  static_cast<int64_t>(v), v};
  }
  // NumPy scalars and 0-d arrays behave like the Python number they hold.
  if (py::hasattr(o, "dtype") && py::hasattr(o, "item") && py::hasattr(o, "ndim") &&
      o.attr("ndim").cast<int>() == 0)
    return to_number(o.attr("item")());
  if (PyIndex_Check(p)) {
    PyObject* idx = PyNumber_Index(p);  // may fail even when PyIndex_Check passes (ndarrays)
    if (idx) return to_number(py::reinterpret_steal<py::object>(idx));
    PyErr_Clear();
  }
  return std::nullopt;
}

Number number_arg(py::handle o, const char* op, const char* arg) {
  auto n = to_number(o);
  if (!n)
    ax::fail(ax::ErrorKind::TypeError, op, ": argument '", arg, "' must be a number, got ",
             std::string(py::str(py::type::of(o).attr("__name__"))));
  return *n;
}

int64_t int_arg(py::handle o, const char* op, const char* arg) {
  const Number n = number_arg(o, op, arg);
  AXONITE_CHECK(n.kind == Number::kInt, TypeError, op, ": argument '", arg,
                "' must be an int, got ", std::string(py::str(py::type::of(o).attr("__name__"))));
  return n.i;
}

// `device=` accepts None, 'cpu', 'cpu:0' or an ax.device; CUDA is refused in a CPU build.
void check_device(py::handle dev, const char* op) {
  if (dev.is_none()) return;
  std::string name;
  if (py::isinstance<py::str>(dev))
    name = dev.cast<std::string>();
  else if (py::hasattr(dev, "type"))
    name = py::str(dev.attr("type")).cast<std::string>();
  else
    ax::fail(ax::ErrorKind::TypeError, op, ": device must be a string or an axonite.device, got ",
             std::string(py::str(py::type::of(dev).attr("__name__"))));
  const std::string base = name.substr(0, name.find(':'));
  AXONITE_CHECK(base != "cuda", RuntimeError, op,
                ": this axonite build has no CUDA backend; use device='cpu'");
  AXONITE_CHECK(base == "cpu", ValueError, op, ": expected device 'cpu', got '", name, "'");
}

Tensor finish(Tensor t, bool requires_grad) {
  if (requires_grad) t.set_requires_grad(true);
  return t;
}

// The shape from f(2, 3), f((2, 3)) or f(size=(2, 3)).
Dims size_of(const py::args& args, const std::optional<Dims>& size, const char* op) {
  if (size) {
    AXONITE_CHECK(args.empty(), TypeError, op, ": size given both positionally and as a keyword");
    return *size;
  }
  return dims_from_args(args, op);
}

DType fill_dtype(const Number& n) {
  return n.kind == Number::kBool  ? DType::Bool
         : n.kind == Number::kInt ? DType::Int64
                                  : ax::kDefaultFloat;
}

Tensor full_of(const Dims& size, const Number& v, DType dtype) {
  return v.kind == Number::kFloat ? ax::full(size, v.d, dtype) : ax::full_int(size, v.i, dtype);
}

// randint's (low, high) from randint(high, size) / randint(low, high, size) and keywords.
std::pair<int64_t, int64_t> low_high(const std::vector<py::handle>& pos, py::handle low_kw,
                                     py::handle high_kw, const char* op) {
  std::optional<int64_t> low, high;
  if (!low_kw.is_none()) low = int_arg(low_kw, op, "low");
  if (!high_kw.is_none()) high = int_arg(high_kw, op, "high");
  if (pos.size() == 2) {
    AXONITE_CHECK(!low && !high, TypeError, op, ": low/high given twice");
    low = int_arg(pos[0], op, "low");
    high = int_arg(pos[1], op, "high");
  } else if (pos.size() == 1) {
    AXONITE_CHECK(!high, TypeError, op, ": high given twice");
    high = int_arg(pos[0], op, "high");
  } else {
    AXONITE_CHECK(pos.empty(), TypeError, op, ": expected (high, size) or (low, high, size)");
  }
  AXONITE_CHECK(high.has_value(), TypeError, op, ": missing required argument 'high'");
  return {low.value_or(0), *high};
}

Generator* gen_of(const std::optional<GenPtr>& g) { return g && *g ? g->get() : nullptr; }

// ---- generator state -----------------------------------------------------------------------

constexpr int64_t kStateTag = 0x41585048494C4F58;  // "AXPHILOX": marks our state tensors

uint64_t seed_arg(py::handle s) {
  py::object v;
  if (PyFloat_Check(s.ptr()))
    v = py::int_(py::reinterpret_borrow<py::object>(s));
  else if (PyIndex_Check(s.ptr()))
    v = py::reinterpret_steal<py::object>(PyNumber_Index(s.ptr()));
  if (!v) {
    PyErr_Clear();
    ax::fail(ax::ErrorKind::TypeError, "manual_seed: seed must be an int, got ",
             std::string(py::str(py::type::of(s).attr("__name__"))));
  }
  // Negative seeds wrap to uint64 as in PyTorch (-1 -> 2**64 - 1).
  int overflow = 0;
  const long long sv = PyLong_AsLongLongAndOverflow(v.ptr(), &overflow);
  if (!overflow) return static_cast<uint64_t>(sv);
  if (overflow > 0) {
    const unsigned long long uv = PyLong_AsUnsignedLongLong(v.ptr());
    if (!PyErr_Occurred()) return uv;
    PyErr_Clear();
  }
  ax::fail(ax::ErrorKind::ValueError, "manual_seed: seed must be in [-2**63, 2**64), got ",
           std::string(py::str(v)));
}

Tensor state_tensor(const Generator& g) {
  const ax::PhiloxStream s = g.get_state();
  Tensor t = ax::empty(Dims{3}, DType::Int64);
  int64_t* p = t.data<int64_t>();
  p[0] = kStateTag;
  p[1] = static_cast<int64_t>(s.seed);
  p[2] = static_cast<int64_t>(s.offset);
  return t;
}

void set_state(Generator& g, py::handle obj) {
  AXONITE_CHECK(py::isinstance(obj, tensor_type()), TypeError,
                "set_rng_state: expected an int64 Tensor from get_rng_state(), got ",
                std::string(py::str(py::type::of(obj).attr("__name__"))));
  const Tensor t = ax::contiguous(obj.cast<Tensor>().detach());
  AXONITE_CHECK(t.dtype() == DType::Int64, TypeError,
                "set_rng_state: RNG state must be an int64 tensor, got ",
                ax::dtype_name(t.dtype()));
  AXONITE_CHECK(t.numel() == 3 && t.data<int64_t>()[0] == kStateTag, RuntimeError,
                "set_rng_state: not an axonite RNG state (expected the 3-element tensor returned "
                "by get_rng_state(), got shape ",
                ax::shape_str(t.sizes()), ")");
  g.set_state(
      {static_cast<uint64_t>(t.data<int64_t>()[1]), static_cast<uint64_t>(t.data<int64_t>()[2])});
}

GenPtr default_gen() { return GenPtr(GenPtr{}, &ax::default_generator()); }  // non-owning

void register_generator(py::module_& m) {
  py::class_<Generator, GenPtr>(m, "Generator",
                                "A Philox4x32-10 random generator: pass it as `generator=` to "
                                "random ops for a stream independent of the global one.")
      .def(py::init([](py::handle device) {
             check_device(device, "Generator");
             return std::make_shared<Generator>();
           }),
           "device"_a = "cpu")
      .def(
          "manual_seed",
          [](GenPtr g, py::handle seed) {
            g->manual_seed(seed_arg(seed));
            return g;
          },
          "seed"_a, "Seeds the generator (and rewinds it); returns self.")
      .def("seed", &Generator::seed, "Seeds from a non-deterministic source; returns the seed.")
      .def("initial_seed", &Generator::initial_seed, "The seed last set.")
      .def("get_state", &state_tensor, "The state (seed, offset) as an int64 tensor.")
      .def(
          "set_state",
          [](GenPtr g, py::handle s) {
            set_state(*g, s);
            return g;
          },
          "new_state"_a, "Restores a state from get_state(); returns self.")
      .def_property_readonly("device", [](const Generator&) {
        return py::module_::import("axonite").attr("device")("cpu");
      });
  m.attr("default_generator") = default_gen();
  m.def(
      "manual_seed",
      [](py::handle seed) {
        ax::default_generator().manual_seed(seed_arg(seed));
        return default_gen();
      },
      "seed"_a, "Seeds the global generator; results then repeat bit-for-bit.");
  m.def(
      "seed", [] { return ax::default_generator().seed(); },
      "Seeds the global generator non-deterministically and returns the seed.");
  m.def("initial_seed", [] { return ax::default_generator().initial_seed(); });
  m.def(
      "get_rng_state", [] { return state_tensor(ax::default_generator()); },
      "The global generator's state as an int64 tensor (for checkpoints).");
  m.def(
      "set_rng_state", [](py::handle s) { set_state(ax::default_generator(), s); }, "new_state"_a,
      "Restores the global generator's state from get_rng_state().");
}

// ---- factories ---------------------------------------------------------------------------

using DimsFn = Tensor (*)(const Dims&, DType);

void bind_sized(py::module_& m, const char* name, DimsFn f, const char* doc) {
  m.def(
      name,
      [f, name](const py::args& args, std::optional<Dims> size, std::optional<DType> dtype,
                py::handle device, bool requires_grad) {
        check_device(device, name);
        const Dims s = size_of(args, size, name);
        return finish(f(s, dtype.value_or(ax::kDefaultFloat)), requires_grad);
      },
      "size"_a = py::none(), "dtype"_a = py::none(), "device"_a = py::none(),
      "requires_grad"_a = false, doc);
}

void bind_random_sized(py::module_& m, const char* name,
                       Tensor (*f)(const Dims&, DType, Generator*), const char* doc) {
  m.def(
      name,
      [f, name](const py::args& args, std::optional<Dims> size, std::optional<GenPtr> gen,
                std::optional<DType> dtype, py::handle device, bool requires_grad) {
        check_device(device, name);
        const Dims s = size_of(args, size, name);
        Tensor t = maybe_release(
            ax::numel_of(s), [&] { return f(s, dtype.value_or(ax::kDefaultFloat), gen_of(gen)); });
        return finish(t, requires_grad);
      },
      "size"_a = py::none(), "generator"_a = py::none(), "dtype"_a = py::none(),
      "device"_a = py::none(), "requires_grad"_a = false, doc);
}

// zeros_like & co: dtype defaults to the input's.
void bind_like(py::module_& m, const char* name, DimsFn f) {
  m.def(
      name,
      [f, name](const Tensor& input, std::optional<DType> dtype, py::handle device,
                bool requires_grad) {
        check_device(device, name);
        return finish(f(input.sizes(), dtype.value_or(input.dtype())), requires_grad);
      },
      "input"_a, py::kw_only(), "dtype"_a = py::none(), "device"_a = py::none(),
      "requires_grad"_a = false);
}

// new_zeros & co: dtype defaults to self's.
void bind_new(Class& cls, const char* name, DimsFn f) {
  cls.def(
      name,
      [f, name](const Tensor& self, const py::args& args, std::optional<Dims> size,
                std::optional<DType> dtype, py::handle device, bool requires_grad) {
        check_device(device, name);
        return finish(f(size_of(args, size, name), dtype.value_or(self.dtype())), requires_grad);
      },
      "size"_a = py::none(), "dtype"_a = py::none(), "device"_a = py::none(),
      "requires_grad"_a = false);
}

Tensor rand_dims(const Dims& s, DType d, Generator* g) { return ax::rand(s, d, g); }
Tensor randn_dims(const Dims& s, DType d, Generator* g) { return ax::randn(s, d, g); }

void register_factories(py::module_& m, Class& cls) {
  bind_sized(
      m, "zeros", [](const Dims& s, DType d) { return ax::zeros(s, d); },
      "A tensor of zeros: zeros(2, 3) or zeros((2, 3)).");
  bind_sized(
      m, "ones", [](const Dims& s, DType d) { return ax::ones(s, d); },
      "A tensor of ones: ones(2, 3) or ones((2, 3)).");
  bind_sized(
      m, "empty", [](const Dims& s, DType d) { return ax::empty(s, d); },
      "An uninitialized tensor: empty(2, 3) or empty((2, 3)).");
  m.def(
      "full",
      [](const Dims& size, py::handle fill_value, std::optional<DType> dtype, py::handle device,
         bool requires_grad) {
        check_device(device, "full");
        const Number v = number_arg(fill_value, "full", "fill_value");
        return finish(full_of(size, v, dtype.value_or(fill_dtype(v))), requires_grad);
      },
      "size"_a, "fill_value"_a, py::kw_only(), "dtype"_a = py::none(), "device"_a = py::none(),
      "requires_grad"_a = false,
      "A tensor filled with fill_value; the dtype follows it (bool, int64 or float32).");

  bind_like(m, "zeros_like", [](const Dims& s, DType d) { return ax::zeros(s, d); });
  bind_like(m, "ones_like", [](const Dims& s, DType d) { return ax::ones(s, d); });
  bind_like(m, "empty_like", [](const Dims& s, DType d) { return ax::empty(s, d); });
  m.def(
      "full_like",
      [](const Tensor& input, py::handle fill_value, std::optional<DType> dtype, py::handle device,
         bool requires_grad) {
        check_device(device, "full_like");
        const Number v = number_arg(fill_value, "full_like", "fill_value");
        return finish(full_of(input.sizes(), v, dtype.value_or(input.dtype())), requires_grad);
      },
      "input"_a, "fill_value"_a, py::kw_only(), "dtype"_a = py::none(), "device"_a = py::none(),
      "requires_grad"_a = false);

  bind_new(cls, "new_zeros", [](const Dims& s, DType d) { return ax::zeros(s, d); });
  bind_new(cls, "new_ones", [](const Dims& s, DType d) { return ax::ones(s, d); });
  bind_new(cls, "new_empty", [](const Dims& s, DType d) { return ax::empty(s, d); });
  cls.def(
      "new_full",
      [](const Tensor& self, const Dims& size, py::handle fill_value, std::optional<DType> dtype,
         py::handle device, bool requires_grad) {
        check_device(device, "new_full");
        const Number v = number_arg(fill_value, "new_full", "fill_value");
        return finish(full_of(size, v, dtype.value_or(self.dtype())), requires_grad);
      },
      "size"_a, "fill_value"_a, py::kw_only(), "dtype"_a = py::none(), "device"_a = py::none(),
      "requires_grad"_a = false);
  cls.def(
      "new_tensor",
      [](const Tensor& self, py::handle data, std::optional<DType> dtype, py::handle device,
         bool requires_grad) {
        check_device(device, "new_tensor");
        return py::module_::import("axonite").attr("tensor")(
            data, "dtype"_a = dtype.value_or(self.dtype()), "requires_grad"_a = requires_grad);
      },
      "data"_a, py::kw_only(), "dtype"_a = py::none(), "device"_a = py::none(),
      "requires_grad"_a = false, "A new tensor (a copy of data) with self's dtype by default.");

  m.def(
      "arange",
      [](py::handle start, py::handle end, py::handle step, std::optional<DType> dtype,
         py::handle device, bool requires_grad) {
        check_device(device, "arange");
        Number a = number_arg(start, "arange", "start"), b{Number::kInt}, s{Number::kInt, 1, 1};
        if (end.is_none())
          std::swap(a, b);  // arange(end)
        else
          b = number_arg(end, "arange", "end");
        if (!step.is_none()) s = number_arg(step, "arange", "step");
        const bool ints =
            a.kind != Number::kFloat && b.kind != Number::kFloat && s.kind != Number::kFloat;
        const DType dt = dtype.value_or(ints ? DType::Int64 : ax::kDefaultFloat);
        Tensor t = ints ? ax::arange_int(a.i, b.i, s.i, dt) : ax::arange(a.d, b.d, s.d, dt);
        return finish(t, requires_grad);
      },
      "start"_a, "end"_a = py::none(), "step"_a = py::none(), py::kw_only(), "dtype"_a = py::none(),
      "device"_a = py::none(), "requires_grad"_a = false,
      "Values in [start, end) spaced by step; int64 when every argument is an int.");
  m.def(
      "linspace",
      [](py::handle start, py::handle end, int64_t steps, std::optional<DType> dtype,
         py::handle device, bool requires_grad) {
        check_device(device, "linspace");
        const double a = number_arg(start, "linspace", "start").d;
        const double b = number_arg(end, "linspace", "end").d;
        return finish(ax::linspace(a, b, steps, dtype.value_or(ax::kDefaultFloat)), requires_grad);
      },
      "start"_a, "end"_a, "steps"_a, py::kw_only(), "dtype"_a = py::none(), "device"_a = py::none(),
      "requires_grad"_a = false, "`steps` evenly spaced values from start to end inclusive.");
  m.def(
      "logspace",
      [](py::handle start, py::handle end, int64_t steps, double base, std::optional<DType> dtype,
         py::handle device, bool requires_grad) {
        check_device(device, "logspace");
        const double a = number_arg(start, "logspace", "start").d;
        const double b = number_arg(end, "logspace", "end").d;
        return finish(ax::logspace(a, b, steps, base, dtype.value_or(ax::kDefaultFloat)),
                      requires_grad);
      },
      "start"_a, "end"_a, "steps"_a, "base"_a = 10.0, py::kw_only(), "dtype"_a = py::none(),
      "device"_a = py::none(), "requires_grad"_a = false, "base ** linspace(start, end, steps).");
  m.def(
      "eye",
      [](int64_t n, std::optional<int64_t> mm, std::optional<DType> dtype, py::handle device,
         bool requires_grad) {
        check_device(device, "eye");
        return finish(ax::eye(n, mm.value_or(n), dtype.value_or(ax::kDefaultFloat)), requires_grad);
      },
      "n"_a, "m"_a = py::none(), py::kw_only(), "dtype"_a = py::none(), "device"_a = py::none(),
      "requires_grad"_a = false, "An n x m identity matrix.");
}

// ---- random ops ------------------------------------------------------------------------------

Tensor randint_impl(const py::args& args, const py::kwargs& kw, const Dims* like_size,
                    DType default_dtype, const char* op) {
  std::vector<py::handle> pos(args.begin(), args.end());
  py::handle low = py::none(), high = py::none(), size = py::none(), gen = py::none(),
             dtype = py::none(), device = py::none();
  bool requires_grad = false;
  for (auto item : kw) {
    const std::string k = py::str(item.first);
    if (k == "low")
      low = item.second;
    else if (k == "high")
      high = item.second;
    else if (k == "size" && !like_size)
      size = item.second;
    else if (k == "generator")
      gen = item.second;
    else if (k == "dtype")
      dtype = item.second;
    else if (k == "device")
      device = item.second;
    else if (k == "requires_grad")
      requires_grad = item.second.cast<bool>();
    else
      ax::fail(ax::ErrorKind::TypeError, op, ": unexpected keyword argument '", k, "'");
  }
  check_device(device, op);
  Dims shape;
  if (like_size) {
    shape = *like_size;
  } else {
    if (size.is_none() && !pos.empty() && !to_number(pos.back())) {
      size = pos.back();
      pos.pop_back();
    }
    AXONITE_CHECK(!size.is_none(), TypeError, op, ": missing required argument 'size'");
    try {
      shape = size.cast<Dims>();
    } catch (py::cast_error&) {
      ax::fail(ax::ErrorKind::TypeError, op, ": size must be a tuple of ints, got ",
               std::string(py::str(py::type::of(size).attr("__name__"))));
    }
  }
  const std::pair<int64_t, int64_t> lh = low_high(pos, low, high, op);
  const DType dt = dtype.is_none() ? default_dtype : dtype.cast<DType>();
  Generator* g = gen.is_none() ? nullptr : gen.cast<Generator*>();
  Tensor t = maybe_release(ax::numel_of(shape),
                           [&] { return ax::randint(lh.first, lh.second, shape, dt, g); });
  return finish(t, requires_grad);
}

// mean/std as numbers or tensors (numbers become wrapped 0-d tensors).
Tensor normal_impl(py::handle mean, py::handle std, std::optional<Dims> size,
                   std::optional<GenPtr> gen, std::optional<DType> dtype) {
  auto mn = to_number(mean), sn = to_number(std);
  const bool mt = py::isinstance(mean, tensor_type()), st = py::isinstance(std, tensor_type());
  if (mn && sn && !mt && !st) {
    AXONITE_CHECK(size.has_value(), TypeError,
                  "normal: with a float mean and std the 'size' argument is required");
    return ax::normal(mn->d, sn->d, *size, dtype.value_or(ax::kDefaultFloat), gen_of(gen));
  }
  const Tensor m = mt ? mean.cast<Tensor>() : to_tensor_arg(mean, "normal");
  const Tensor s = st ? std.cast<Tensor>() : to_tensor_arg(std, "normal");
  return ax::normal(m, s, gen_of(gen));
}

void register_random(py::module_& m, Class& cls) {
  bind_random_sized(m, "rand", &rand_dims, "Uniform samples on [0, 1): rand(2, 3).");
  bind_random_sized(m, "randn", &randn_dims, "Standard normal samples: randn(2, 3).");
  m.def(
      "randint",
      [](const py::args& args, const py::kwargs& kw) {
        return randint_impl(args, kw, nullptr, DType::Int64, "randint");
      },
      "randint(high, size) or randint(low, high, size): integers uniform on [low, high).");
  m.def(
      "randint_like",
      [](const Tensor& input, const py::args& args, const py::kwargs& kw) {
        return randint_impl(args, kw, &input.sizes(), input.dtype(), "randint_like");
      },
      "input"_a, "randint_like(input, high) or randint_like(input, low, high).");
  m.def(
      "rand_like",
      [](const Tensor& input, std::optional<GenPtr> gen, std::optional<DType> dtype,
         py::handle device, bool requires_grad) {
        check_device(device, "rand_like");
        return finish(ax::rand(input.sizes(), dtype.value_or(input.dtype()), gen_of(gen)),
                      requires_grad);
      },
      "input"_a, py::kw_only(), "generator"_a = py::none(), "dtype"_a = py::none(),
      "device"_a = py::none(), "requires_grad"_a = false);
  m.def(
      "randn_like",
      [](const Tensor& input, std::optional<GenPtr> gen, std::optional<DType> dtype,
         py::handle device, bool requires_grad) {
        check_device(device, "randn_like");
        return finish(ax::randn(input.sizes(), dtype.value_or(input.dtype()), gen_of(gen)),
                      requires_grad);
      },
      "input"_a, py::kw_only(), "generator"_a = py::none(), "dtype"_a = py::none(),
      "device"_a = py::none(), "requires_grad"_a = false);
  m.def(
      "randperm",
      [](int64_t n, std::optional<GenPtr> gen, std::optional<DType> dtype, py::handle device,
         bool requires_grad) {
        check_device(device, "randperm");
        Tensor t = maybe_release(
            n, [&] { return ax::randperm(n, dtype.value_or(DType::Int64), gen_of(gen)); });
        return finish(t, requires_grad);
      },
      "n"_a, py::kw_only(), "generator"_a = py::none(), "dtype"_a = py::none(),
      "device"_a = py::none(), "requires_grad"_a = false,
      "A random permutation of 0..n-1 (int64).");

  // Python arguments are parsed before the GIL is released.
  auto bernoulli = [](const Tensor& input, py::handle p, std::optional<GenPtr> gen) {
    std::optional<double> pv;
    if (!p.is_none()) pv = number_arg(p, "bernoulli", "p").d;
    return maybe_release(input.numel(), [&] {
      return pv ? ax::bernoulli(input, *pv, gen_of(gen)) : ax::bernoulli(input, gen_of(gen));
    });
  };
  m.def("bernoulli", bernoulli, "input"_a, "p"_a = py::none(), py::kw_only(),
        "generator"_a = py::none(),
        "0/1 samples: each element is 1 with probability input[i] (or p when given).");
  cls.def("bernoulli", bernoulli, "p"_a = py::none(), py::kw_only(), "generator"_a = py::none());
  cls.def(
      "bernoulli_",
      [](const Tensor& self, py::handle p, std::optional<GenPtr> gen) {
        if (py::isinstance(p, tensor_type())) {
          const Tensor pt = p.cast<Tensor>();
          return maybe_release(self.numel(), [&] { return ax::bernoulli_(self, pt, gen_of(gen)); });
        }
        const double pv = number_arg(p, "bernoulli_", "p").d;
        return maybe_release(self.numel(), [&] { return ax::bernoulli_(self, pv, gen_of(gen)); });
      },
      "p"_a = 0.5, py::kw_only(), "generator"_a = py::none());
  cls.def(
      "uniform_",
      [](const Tensor& self, double from, double to, std::optional<GenPtr> gen) {
        return maybe_release(self.numel(),
                             [&] { return ax::uniform_(self, from, to, gen_of(gen)); });
      },
      "from"_a = 0.0, "to"_a = 1.0, py::kw_only(), "generator"_a = py::none(),
      "Fills self with uniform samples on [from, to).");
  cls.def(
      "normal_",
      [](const Tensor& self, double mean, double std, std::optional<GenPtr> gen) {
        return maybe_release(self.numel(),
                             [&] { return ax::normal_(self, mean, std, gen_of(gen)); });
      },
      "mean"_a = 0.0, "std"_a = 1.0, py::kw_only(), "generator"_a = py::none(),
      "Fills self with normal samples.");
  cls.def(
      "exponential_",
      [](const Tensor& self, double lambd, std::optional<GenPtr> gen) {
        return maybe_release(self.numel(),
                             [&] { return ax::exponential_(self, lambd, gen_of(gen)); });
      },
      "lambd"_a = 1.0, py::kw_only(), "generator"_a = py::none(),
      "Fills self with exponential samples of rate lambd.");
  // Private (not exported by `from ._C import *`): the kernel behind ax.nn.init.trunc_normal_.
  m.def(
      "_trunc_normal_",
      [](const Tensor& self, double mean, double std, double a, double b,
         std::optional<GenPtr> gen) {
        return maybe_release(self.numel(),
                             [&] { return ax::trunc_normal_(self, mean, std, a, b, gen_of(gen)); });
      },
      "tensor"_a, "mean"_a, "std"_a, "a"_a, "b"_a, py::kw_only(), "generator"_a = py::none(),
      "Fills tensor with Normal(mean, std) truncated to [a, b] (inverse-CDF sampling).");
  m.def(
      "normal",
      [](py::handle mean, py::handle std, std::optional<Dims> size, std::optional<GenPtr> gen,
         std::optional<DType> dtype, py::handle device, bool requires_grad) {
        check_device(device, "normal");
        return finish(normal_impl(mean, std, size, gen, dtype), requires_grad);
      },
      "mean"_a, "std"_a = 1.0, "size"_a = py::none(), py::kw_only(), "generator"_a = py::none(),
      "dtype"_a = py::none(), "device"_a = py::none(), "requires_grad"_a = false,
      "Normal samples: normal(mean, std, size) with floats, or tensors broadcast together.");
  auto multinomial = [](const Tensor& input, int64_t num_samples, bool replacement,
                        std::optional<GenPtr> gen) {
    return maybe_release(input.numel(), [&] {
      return ax::multinomial(input, num_samples, replacement, gen_of(gen));
    });
  };
  m.def("multinomial", multinomial, "input"_a, "num_samples"_a, "replacement"_a = false,
        py::kw_only(), "generator"_a = py::none(),
        "Category indices sampled from the rows of non-negative weights input: (C,) or (R, C).");
  cls.def("multinomial", multinomial, "num_samples"_a, "replacement"_a = false, py::kw_only(),
          "generator"_a = py::none());
}

}  // namespace

void register_creation(py::module_& m, Class& cls) {
  register_generator(m);
  register_factories(m, cls);
  register_random(m, cls);
}

}  // namespace axb
