// Reductions as tensor methods and top-level functions, with PyTorch's argument names: dim
// (None, int or tuple), keepdim, dtype, correction/unbiased, p. max/min along a dim return a
// named tuple (values, indices); max/min with a tensor argument are maximum/minimum.
#include <cmath>
#include <string>
#include <utility>

#include "bindings/common.h"

namespace axb {
namespace {

std::string type_name(py::handle o) { return py::str(py::type::of(o).attr("__name__")); }

bool is_int(py::handle o) { return PyIndex_Check(o.ptr()) && !PyBool_Check(o.ptr()); }

// dim=None -> {} (every dim), an int, or a tuple/list of ints.
Dims parse_dims(py::handle dim, const char* op) {
  if (dim.is_none()) return {};
  if (is_int(dim)) return Dims{PyNumber_AsSsize_t(dim.ptr(), nullptr)};
  AXONITE_CHECK(py::isinstance<py::tuple>(dim) || py::isinstance<py::list>(dim), TypeError, op,
                ": dim must be None, an int or a tuple of ints, got ", type_name(dim));
  Dims d;
  for (auto item : dim) {
    AXONITE_CHECK(is_int(item), TypeError, op, ": dim must contain ints, got ", type_name(item));
    d.push_back(PyNumber_AsSsize_t(item.ptr(), nullptr));
  }
  return d;
}

int64_t parse_int_dim(py::handle dim, const char* op) {
  AXONITE_CHECK(is_int(dim), TypeError, op, ": dim must be an int, got ", type_name(dim));
  return PyNumber_AsSsize_t(dim.ptr(), nullptr);
}

bool parse_bool(py::handle v, const char* op, const char* arg) {
  AXONITE_CHECK(
      PyBool_Check(v.ptr()) || py::isinstance(v, py::module_::import("numpy").attr("bool_")),
      TypeError, op, "(): argument '", arg, "' must be bool, not ", type_name(v));
  return py::cast<bool>(v);
}

// var/std: correction=c, or the legacy unbiased=bool (also x.var(False)); not both.
double parse_correction(py::handle unbiased, py::handle correction, const char* op) {
  if (!correction.is_none()) {
    AXONITE_CHECK(unbiased.is_none(), TypeError, op,
                  ": pass either 'unbiased' or 'correction', not both");
    return py::cast<double>(correction);
  }
  if (unbiased.is_none()) return 1.0;
  return parse_bool(unbiased, op, "unbiased") ? 1.0 : 0.0;
}

// norm's p: None/'fro' -> 2, a number -> itself.
double parse_p(py::handle p) {
  if (p.is_none()) return 2.0;
  if (py::isinstance<py::str>(p)) {
    const std::string v = py::cast<std::string>(p);
    AXONITE_CHECK(v == "fro", ValueError, "norm: p='", v,
                  "' is not supported; use 'fro' or a number (vector norms)");
    return 2.0;
  }
  AXONITE_CHECK(PyNumber_Check(p.ptr()) && !PyBool_Check(p.ptr()), TypeError,
                "norm: p must be a number or 'fro', got ", type_name(p));
  return py::cast<double>(p);
}

// Named tuples (values, indices). Plain handles, leaked on purpose: module state that must not
// be released by a static destructor after the interpreter is gone.
py::handle g_max_type, g_min_type;

py::object named_pair(bool is_max, const std::pair<Tensor, Tensor>& r) {
  return (is_max ? g_max_type : g_min_type)(py::cast(r.first), py::cast(r.second));
}

// max(input), max(input, dim, keepdim=False), max(input, other).
py::object extreme(bool is_max, const Tensor& x, py::handle dim, py::handle keepdim,
                   py::handle other) {
  const char* op = is_max ? "max" : "min";
  if (other.is_none() && py::isinstance(dim, tensor_type())) std::swap(dim, other);
  if (!other.is_none()) {
    AXONITE_CHECK(dim.is_none() && keepdim.is_none(), TypeError, op,
                  "(): 'other' cannot be combined with 'dim' or 'keepdim'");
    const Tensor o = to_tensor_arg(other, op);
    return py::cast(
        maybe_release(x.numel(), [&] { return is_max ? ax::maximum(x, o) : ax::minimum(x, o); }));
  }
  if (dim.is_none()) {
    AXONITE_CHECK(keepdim.is_none(), TypeError, op, "(): 'keepdim' needs a 'dim'");
    return py::cast(maybe_release(x.numel(), [&] { return is_max ? ax::max(x) : ax::min(x); }));
  }
  const int64_t d = parse_int_dim(dim, op);
  const bool kd = keepdim.is_none() ? false : parse_bool(keepdim, op, "keepdim");
  auto r = maybe_release(x.numel(), [&] { return is_max ? ax::max(x, d, kd) : ax::min(x, d, kd); });
  return named_pair(is_max, r);
}

using DimsFn = Tensor (*)(const Tensor&, const Dims&, bool, std::optional<DType>);
using PlainFn = Tensor (*)(const Tensor&, const Dims&, bool);
using MomentFn = Tensor (*)(const Tensor&, const Dims&, double, bool);
using MomentPairFn = std::pair<Tensor, Tensor> (*)(const Tensor&, const Dims&, double, bool);

}  // namespace

void register_reduce(py::module_& m, Class& cls) {
  // axonite.return_types.max / .min, like torch.return_types (registered in sys.modules so
  // that the named tuples pickle).
  py::module_ rt = m.def_submodule("return_types", "Named tuples returned by max/min with a dim.");
  py::module_::import("sys").attr("modules")["axonite.return_types"] = rt;
  py::object namedtuple = py::module_::import("collections").attr("namedtuple");
  for (const char* name : {"max", "min"}) {
    py::object t =
        namedtuple(name, py::make_tuple("values", "indices"), "module"_a = "axonite.return_types");
    rt.attr(name) = t;
    (std::string(name) == "max" ? g_max_type : g_min_type) = t.release();
  }

  // sum / mean / prod: (dim=None, keepdim=False, *, dtype=None).
  struct D {
    const char* name;
    DimsFn fn;
    const char* doc;
  };
  static const D with_dtype[] = {
      {"sum", &ax::sum, "Sum over dim (None: all dims). Bool/int inputs sum to int64."},
      {"mean", &ax::mean, "Mean over dim (None: all dims). Floating inputs or dtype only."},
      {"prod", &ax::prod, "Product over dim (None: all dims). Bool/int inputs give int64."},
  };
  for (const D& e : with_dtype) {
    const DimsFn fn = e.fn;
    const char* name = e.name;
    const bool int_dim_only = std::string(name) == "prod";
    auto f = [fn, name, int_dim_only](const Tensor& x, py::handle dim, bool keepdim,
                                      std::optional<DType> dtype) {
      if (int_dim_only && !dim.is_none()) parse_int_dim(dim, name);
      const Dims d = parse_dims(dim, name);
      return maybe_release(x.numel(), [&] { return fn(x, d, keepdim, dtype); });
    };
    m.def(name, f, "input"_a, "dim"_a = py::none(), "keepdim"_a = false, py::kw_only(),
          "dtype"_a = py::none(), e.doc);
    cls.def(name, f, "dim"_a = py::none(), "keepdim"_a = false, py::kw_only(),
            "dtype"_a = py::none(), e.doc);
  }

  // amax / amin / all / any: (dim=None, keepdim=False).
  struct P {
    const char* name;
    PlainFn fn;
    const char* doc;
  };
  static const P plain[] = {
      {"amax", &ax::amax, "Maximum over dim (None or (): all dims); ties share the gradient."},
      {"amin", &ax::amin, "Minimum over dim (None or (): all dims); ties share the gradient."},
      {"all", &ax::all, "True where every element over dim is non-zero (bool result)."},
      {"any", &ax::any, "True where some element over dim is non-zero (bool result)."},
  };
  for (const P& e : plain) {
    const PlainFn fn = e.fn;
    const char* name = e.name;
    auto f = [fn, name](const Tensor& x, py::handle dim, bool keepdim) {
      const Dims d = parse_dims(dim, name);
      return maybe_release(x.numel(), [&] { return fn(x, d, keepdim); });
    };
    m.def(name, f, "input"_a, "dim"_a = py::none(), "keepdim"_a = false, e.doc);
    cls.def(name, f, "dim"_a = py::none(), "keepdim"_a = false, e.doc);
  }

  for (const bool is_max : {true, false}) {
    const char* name = is_max ? "max" : "min";
    auto f = [is_max](const Tensor& x, py::handle dim, py::handle keepdim, py::handle other) {
      return extreme(is_max, x, dim, keepdim, other);
    };
    const char* doc = is_max ? "max(input) -> max value; max(input, dim, keepdim=False) -> "
                               "(values, indices); max(input, other) -> maximum(input, other)."
                             : "min(input) -> min value; min(input, dim, keepdim=False) -> "
                               "(values, indices); min(input, other) -> minimum(input, other).";
    m.def(name, f, "input"_a, "dim"_a = py::none(), "keepdim"_a = py::none(), py::kw_only(),
          "other"_a = py::none(), doc);
    cls.def(name, f, "dim"_a = py::none(), "keepdim"_a = py::none(), py::kw_only(),
            "other"_a = py::none(), doc);

    const char* aname = is_max ? "argmax" : "argmin";
    auto a = [is_max, aname](const Tensor& x, py::handle dim, bool keepdim) {
      std::optional<int64_t> d;
      if (!dim.is_none()) d = parse_int_dim(dim, aname);
      return maybe_release(x.numel(), [&] {
        return is_max ? ax::argmax(x, d, keepdim) : ax::argmin(x, d, keepdim);
      });
    };
    const char* adoc = is_max ? "Index of the first maximum (dim=None: of the flattened input)."
                              : "Index of the first minimum (dim=None: of the flattened input).";
    m.def(aname, a, "input"_a, "dim"_a = py::none(), "keepdim"_a = false, adoc);
    cls.def(aname, a, "dim"_a = py::none(), "keepdim"_a = false, adoc);
  }

  // var / std: (dim=None, unbiased=None, keepdim=False, *, correction=None); x.var(False) is
  // the legacy unbiased=False.
  struct M {
    const char* name;
    MomentFn fn;
    const char* doc;
  };
  static const M moments[] = {
      {"var", &ax::var, "Variance over dim, dividing by N - correction (default 1)."},
      {"std", &ax::std, "Standard deviation over dim, dividing by N - correction (default 1)."},
  };
  for (const M& e : moments) {
    const MomentFn fn = e.fn;
    const char* name = e.name;
    auto f = [fn, name](const Tensor& x, py::handle dim, py::handle unbiased, bool keepdim,
                        py::handle correction) {
      if (PyBool_Check(dim.ptr())) std::swap(dim, unbiased);
      const Dims d = parse_dims(dim, name);
      const double c = parse_correction(unbiased, correction, name);
      return maybe_release(x.numel(), [&] { return fn(x, d, c, keepdim); });
    };
    m.def(name, f, "input"_a, "dim"_a = py::none(), "unbiased"_a = py::none(), "keepdim"_a = false,
          py::kw_only(), "correction"_a = py::none(), e.doc);
    cls.def(name, f, "dim"_a = py::none(), "unbiased"_a = py::none(), "keepdim"_a = false,
            py::kw_only(), "correction"_a = py::none(), e.doc);
  }
  struct MP {
    const char* name;
    MomentPairFn fn;
    const char* doc;
  };
  static const MP pairs[] = {
      {"var_mean", &ax::var_mean, "(var, mean) over dim in one call."},
      {"std_mean", &ax::std_mean, "(std, mean) over dim in one call."},
  };
  for (const MP& e : pairs) {
    const MomentPairFn fn = e.fn;
    const char* name = e.name;
    m.def(
        name,
        [fn, name](const Tensor& x, py::handle dim, py::handle unbiased, bool keepdim,
                   py::handle correction) {
          if (PyBool_Check(dim.ptr())) std::swap(dim, unbiased);
          const Dims d = parse_dims(dim, name);
          const double c = parse_correction(unbiased, correction, name);
          auto r = maybe_release(x.numel(), [&] { return fn(x, d, c, keepdim); });
          return py::make_tuple(r.first, r.second);
        },
        "input"_a, "dim"_a = py::none(), "unbiased"_a = py::none(), "keepdim"_a = false,
        py::kw_only(), "correction"_a = py::none(), e.doc);
  }

  auto lse = [](const Tensor& x, py::handle dim, bool keepdim) {
    const Dims d = parse_dims(dim, "logsumexp");
    return maybe_release(x.numel(), [&] { return ax::logsumexp(x, d, keepdim); });
  };
  const char* lse_doc = "log(sum(exp(input))) over dim, computed stably (max-shifted).";
  m.def("logsumexp", lse, "input"_a, "dim"_a, "keepdim"_a = false, lse_doc);
  cls.def("logsumexp", lse, "dim"_a, "keepdim"_a = false, lse_doc);

  auto nrm = [](const Tensor& x, py::handle p, py::handle dim, bool keepdim,
                std::optional<DType> dtype) {
    const double pv = parse_p(p);
    const Dims d = parse_dims(dim, "norm");
    return maybe_release(x.numel(), [&] { return ax::norm(x, pv, d, keepdim, dtype); });
  };
  const char* nrm_doc = "Vector p-norm over dim (None: all): p='fro'/2, 1, inf, -inf, 0 or real.";
  m.def("norm", nrm, "input"_a, "p"_a = "fro", "dim"_a = py::none(), "keepdim"_a = false,
        "dtype"_a = py::none(), nrm_doc);
  cls.def("norm", nrm, "p"_a = "fro", "dim"_a = py::none(), "keepdim"_a = false,
          "dtype"_a = py::none(), nrm_doc);

  auto cnz = [](const Tensor& x, py::handle dim) {
    const Dims d = parse_dims(dim, "count_nonzero");
    return maybe_release(x.numel(), [&] { return ax::count_nonzero(x, d); });
  };
  const char* cnz_doc = "int64 count of non-zero elements over dim (None: all).";
  m.def("count_nonzero", cnz, "input"_a, "dim"_a = py::none(), cnz_doc);
  cls.def("count_nonzero", cnz, "dim"_a = py::none(), cnz_doc);
}

}  // namespace axb
