// Arithmetic operators, comparisons, unary math (methods, top-level functions and in-place
// forms), where and clamp. Python numbers become wrapped 0-d tensors (see as_operand).
#include "bindings/common.h"

namespace axb {
namespace {

using BinFn = Tensor (*)(const Tensor&, const Tensor&);

py::object not_implemented() { return py::reinterpret_borrow<py::object>(Py_NotImplemented); }

int64_t work(const Tensor& a, const Tensor& b) { return a.numel() + b.numel(); }

// Binds `name` (self op other), `__r<name>__` (other op self) when rname is given, and the
// top-level function.
void bind_binary(py::module_& m, Class& cls, const char* fn_name, const char* dunder,
                 const char* rdunder, BinFn f) {
  if (dunder) {
    cls.def(dunder, [f](const Tensor& a, py::handle o) -> py::object {
      auto b = as_operand(o);
      if (!b) return not_implemented();
      return py::cast(maybe_release(work(a, *b), [&] { return f(a, *b); }));
    });
  }
  if (rdunder) {
    cls.def(rdunder, [f](const Tensor& a, py::handle o) -> py::object {
      auto b = as_operand(o);
      if (!b) return not_implemented();
      return py::cast(maybe_release(work(a, *b), [&] { return f(*b, a); }));
    });
  }
  if (fn_name) {
    m.def(
        fn_name,
        [f, fn_name](py::handle a, py::handle b) {
          Tensor ta = to_tensor_arg(a, fn_name), tb = to_tensor_arg(b, fn_name);
          return maybe_release(work(ta, tb), [&] { return f(ta, tb); });
        },
        "input"_a, "other"_a);
    cls.def(
        fn_name,
        [f, fn_name](const Tensor& a, py::handle b) {
          Tensor tb = to_tensor_arg(b, fn_name);
          return maybe_release(work(a, tb), [&] { return f(a, tb); });
        },
        "other"_a);
  }
}

void bind_inplace(Class& cls, const char* name, const char* dunder, BinFn f) {
  auto fn = [f, name](const Tensor& a, py::handle o) {
    Tensor b = to_tensor_arg(o, name);
    return maybe_release(work(a, b), [&] { return f(a, b); });
  };
  cls.def(name, fn, "other"_a);
  if (dunder) cls.def(dunder, fn);
}

// f(a, alpha * b): alpha is converted with the GIL held, the math may run without it.
Tensor with_alpha(BinFn f, const Tensor& a, const Tensor& b, py::handle alpha) {
  const std::optional<Tensor> s =
      alpha.is_none() ? std::nullopt : std::optional<Tensor>(to_tensor_arg(alpha, "alpha"));
  return maybe_release(work(a, b), [&] { return f(a, s ? ax::mul(b, *s) : b); });
}

}  // namespace

void register_elementwise(py::module_& m, Class& cls) {
  bind_binary(m, cls, nullptr, "__add__", "__radd__", ax::add);
  bind_binary(m, cls, nullptr, "__sub__", "__rsub__", ax::sub);
  bind_binary(m, cls, "mul", "__mul__", "__rmul__", ax::mul);
  bind_binary(m, cls, "div", "__truediv__", "__rtruediv__", ax::div);
  bind_binary(m, cls, "floor_divide", "__floordiv__", "__rfloordiv__", ax::floor_divide);
  bind_binary(m, cls, "remainder", "__mod__", "__rmod__", ax::remainder);
  bind_binary(m, cls, "pow", "__pow__", "__rpow__", ax::pow);
  bind_binary(m, cls, "maximum", nullptr, nullptr, ax::maximum);
  bind_binary(m, cls, "minimum", nullptr, nullptr, ax::minimum);
  bind_binary(m, cls, "eq", "__eq__", nullptr, ax::eq);
  bind_binary(m, cls, "ne", "__ne__", nullptr, ax::ne);
  bind_binary(m, cls, "lt", "__lt__", nullptr, ax::lt);
  bind_binary(m, cls, "le", "__le__", nullptr, ax::le);
  bind_binary(m, cls, "gt", "__gt__", nullptr, ax::gt);
  bind_binary(m, cls, "ge", "__ge__", nullptr, ax::ge);
  bind_binary(m, cls, "bitwise_and", "__and__", "__rand__", ax::bitwise_and);
  bind_binary(m, cls, "bitwise_or", "__or__", "__ror__", ax::bitwise_or);
  bind_binary(m, cls, "bitwise_xor", "__xor__", "__rxor__", ax::bitwise_xor);
  // Tensors compare elementwise, so they hash by identity like PyTorch's.
  cls.attr("__hash__") = py::module_::import("builtins").attr("object").attr("__hash__");

  // add/sub take alpha: out = input + alpha * other.
  m.def(
      "add",
      [](py::handle a, py::handle b, py::handle alpha) {
        return with_alpha(ax::add, to_tensor_arg(a, "add"), to_tensor_arg(b, "add"), alpha);
      },
      "input"_a, "other"_a, py::kw_only(), "alpha"_a = py::none());
  m.def(
      "sub",
      [](py::handle a, py::handle b, py::handle alpha) {
        return with_alpha(ax::sub, to_tensor_arg(a, "sub"), to_tensor_arg(b, "sub"), alpha);
      },
      "input"_a, "other"_a, py::kw_only(), "alpha"_a = py::none());
  cls.def(
      "add",
      [](const Tensor& a, py::handle b, py::handle alpha) {
        return with_alpha(ax::add, a, to_tensor_arg(b, "add"), alpha);
      },
      "other"_a, py::kw_only(), "alpha"_a = py::none());
  cls.def(
      "sub",
      [](const Tensor& a, py::handle b, py::handle alpha) {
        return with_alpha(ax::sub, a, to_tensor_arg(b, "sub"), alpha);
      },
      "other"_a, py::kw_only(), "alpha"_a = py::none());
  cls.def(
      "add_",
      [](const Tensor& a, py::handle b, py::handle alpha) {
        return with_alpha(ax::add_, a, to_tensor_arg(b, "add_"), alpha);
      },
      "other"_a, py::kw_only(), "alpha"_a = py::none());
  cls.def(
      "sub_",
      [](const Tensor& a, py::handle b, py::handle alpha) {
        return with_alpha(ax::sub_, a, to_tensor_arg(b, "sub_"), alpha);
      },
      "other"_a, py::kw_only(), "alpha"_a = py::none());
  bind_inplace(cls, "_iadd", "__iadd__", ax::add_);
  bind_inplace(cls, "_isub", "__isub__", ax::sub_);
  bind_inplace(cls, "mul_", "__imul__", ax::mul_);
  bind_inplace(cls, "div_", "__itruediv__", ax::div_);
  bind_inplace(cls, "floor_divide_", "__ifloordiv__", ax::floor_divide_);
  bind_inplace(cls, "remainder_", "__imod__", ax::remainder_);
  bind_inplace(cls, "pow_", "__ipow__", ax::pow_);
  cls.attr("true_divide") = cls.attr("div");
  cls.attr("multiply") = cls.attr("mul");
  cls.attr("divide") = cls.attr("div");
  m.attr("true_divide") = m.attr("div");
  m.attr("multiply") = m.attr("mul");
  m.attr("divide") = m.attr("div");
  m.attr("subtract") = m.attr("sub");

  cls.def("__neg__",
          [](const Tensor& a) { return maybe_release(a.numel(), [&] { return ax::neg(a); }); });
  cls.def("__pos__", [](const Tensor& a) { return a; });
  cls.def("__abs__",
          [](const Tensor& a) { return maybe_release(a.numel(), [&] { return ax::abs(a); }); });
  cls.def("__invert__", [](const Tensor& a) {
    AXONITE_CHECK(a.dtype() == DType::Bool, TypeError,
                  "__invert__: ~ is only supported on bool tensors here, got ",
                  ax::dtype_name(a.dtype()));
    return maybe_release(a.numel(), [&] { return ax::logical_not(a); });
  });
  auto logical_not = [](const Tensor& a) {
    return maybe_release(a.numel(), [&] { return ax::logical_not(a); });
  };
  m.def("logical_not", logical_not, "input"_a);
  cls.def("logical_not", logical_not);

  struct U {
    const char* name;
    ax::UnaryFn fn;
  };
  static const U unary[] = {
      {"neg", ax::UnaryFn::Neg},         {"exp", ax::UnaryFn::Exp},
      {"log", ax::UnaryFn::Log},         {"log1p", ax::UnaryFn::Log1p},
      {"expm1", ax::UnaryFn::Expm1},     {"sqrt", ax::UnaryFn::Sqrt},
      {"rsqrt", ax::UnaryFn::Rsqrt},     {"abs", ax::UnaryFn::Abs},
      {"sign", ax::UnaryFn::Sign},       {"sin", ax::UnaryFn::Sin},
      {"cos", ax::UnaryFn::Cos},         {"tanh", ax::UnaryFn::Tanh},
      {"sigmoid", ax::UnaryFn::Sigmoid}, {"relu", ax::UnaryFn::Relu},
      {"floor", ax::UnaryFn::Floor},     {"ceil", ax::UnaryFn::Ceil},
      {"round", ax::UnaryFn::Round},     {"reciprocal", ax::UnaryFn::Reciprocal},
  };
  for (const U& u : unary) {
    const ax::UnaryFn fn = u.fn;
    auto f = [fn](const Tensor& x) {
      return maybe_release(x.numel(), [&] {
        return fn == ax::UnaryFn::Neg ? ax::neg(x) : ax::unary(fn, x);  // neg: the bool check
      });
    };
    m.def(u.name, f, "input"_a);
    cls.def(u.name, f);
    cls.def((std::string(u.name) + "_").c_str(), [fn](const Tensor& x) {
      return maybe_release(x.numel(), [&] { return ax::unary_(fn, x); });
    });
  }
  cls.attr("negative") = cls.attr("neg");
  m.attr("negative") = m.attr("neg");
  cls.attr("absolute") = cls.attr("abs");
  m.attr("absolute") = m.attr("abs");

  auto bound = [](py::handle v, const char* op) -> std::optional<Tensor> {
    if (v.is_none()) return std::nullopt;
    return to_tensor_arg(v, op);
  };
  auto clamp = [bound](const Tensor& x, py::handle lo, py::handle hi) {
    const auto l = bound(lo, "clamp"), h = bound(hi, "clamp");
    return maybe_release(x.numel(), [&] { return ax::clamp(x, l, h); });
  };
  m.def("clamp", clamp, "input"_a, "min"_a = py::none(), "max"_a = py::none());
  cls.def("clamp", clamp, "min"_a = py::none(), "max"_a = py::none());
  m.attr("clip") = m.attr("clamp");
  cls.attr("clip") = cls.attr("clamp");
  cls.def(
      "clamp_",
      [bound](const Tensor& x, py::handle lo, py::handle hi) {
        const auto l = bound(lo, "clamp_"), h = bound(hi, "clamp_");
        return maybe_release(x.numel(), [&] { return ax::clamp_(x, l, h); });
      },
      "min"_a = py::none(), "max"_a = py::none());

  auto where = [](const Tensor& c, py::handle a, py::handle b) {
    const Tensor ta = to_tensor_arg(a, "where"), tb = to_tensor_arg(b, "where");
    return maybe_release(c.numel() + work(ta, tb), [&] { return ax::where(c, ta, tb); });
  };
  m.def("where", where, "condition"_a, "input"_a, "other"_a);
  cls.def(
      "where",
      [](const Tensor& self, const Tensor& c, py::handle other) {
        const Tensor o = to_tensor_arg(other, "where");
        return maybe_release(c.numel() + work(self, o), [&] { return ax::where(c, self, o); });
      },
      "condition"_a, "other"_a);
}

}  // namespace axb
