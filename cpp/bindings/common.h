// Shared pybind11 glue: the Tensor caster (Python objects keep their identity because the
// bound class holds the TensorImpl's shared_ptr), shape/dtype conversion, scalar operands and
// GIL release for heavy calls. No math here.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "axonite/axonite.h"

namespace py = pybind11;
using namespace pybind11::literals;  // NOLINT

namespace pybind11::detail {

template <>
struct type_caster<ax::Tensor> {
 public:
  PYBIND11_TYPE_CASTER(ax::Tensor, const_name("Tensor"));
  bool load(handle src, bool convert) {
    if (src.is_none()) return false;  // the holder caster would accept None as a null tensor
    make_caster<std::shared_ptr<ax::TensorImpl>> c;
    if (!c.load(src, convert)) return false;
    value = ax::Tensor(cast_op<std::shared_ptr<ax::TensorImpl>>(c));
    return true;
  }
  static handle cast(const ax::Tensor& t, return_value_policy, handle) {
    if (!t.defined()) return none().release();
    return make_caster<std::shared_ptr<ax::TensorImpl>>::cast(
        t.impl_ptr(), return_value_policy::take_ownership, handle());
  }
};

// Shapes: any sequence of ints in, a tuple out.
template <>
struct type_caster<ax::Dims> {
 public:
  PYBIND11_TYPE_CASTER(ax::Dims, const_name("Sequence[int]"));
  bool load(handle src, bool) {
    if (!isinstance<sequence>(src) || isinstance<str>(src)) return false;
    auto seq = reinterpret_borrow<sequence>(src);
    if (seq.size() > static_cast<size_t>(ax::kMaxDims)) return false;
    value = ax::Dims();
    for (auto item : seq) {
      if (!PyIndex_Check(item.ptr()) || PyBool_Check(item.ptr())) return false;
      const Py_ssize_t v = PyNumber_AsSsize_t(item.ptr(), PyExc_OverflowError);
      if (v == -1 && PyErr_Occurred()) {
        PyErr_Clear();  // e.g. a float tensor's __index__ refused: not a shape
        return false;
      }
      value.push_back(v);
    }
    return true;
  }
  static handle cast(const ax::Dims& d, return_value_policy, handle) {
    tuple t(d.size());
    for (int i = 0; i < d.size(); ++i) t[i] = int_(d[i]);
    return t.release();
  }
};

}  // namespace pybind11::detail

namespace axb {

// An int from anything with __index__; raises the Python error (TypeError/OverflowError)
// instead of returning -1 with an exception pending.
inline int64_t index_value(py::handle o) {
  const Py_ssize_t v = PyNumber_AsSsize_t(o.ptr(), PyExc_OverflowError);
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  return v;
}

using ax::Dims;
using ax::DType;
using ax::Tensor;

// Garbage-collector support of the Tensor type: hook cycles (Note [Hook cycles], autograd.cpp).
void setup_tensor_type(PyHeapTypeObject* heap_type);
// The Python class object of axonite.Tensor (for isinstance checks).
py::handle tensor_type();
// axonite.Size (a tuple subclass, set from Python at import).
py::object make_size(const Dims& d);

// A Python number (bool/int/float/NumPy scalar) as a wrapped 0-d tensor, a Tensor as itself,
// or nullopt for anything else (callers then return NotImplemented).
std::optional<Tensor> as_operand(py::handle o);
// Like as_operand, but also converts lists/arrays through axonite.tensor; TypeError naming `op`.
Tensor to_tensor_arg(py::handle o, const char* op);

// Shape from *args: f(2, 3) or f((2, 3)) or f([2, 3]).
Dims dims_from_args(const py::args& args, const char* op);

// While one is alive, SIGINT also sets the core's interrupt flag (Note [Interrupts],
// core/parallel.h) before Python's own handler records it, as long as that handler is Python's
// default (KeyboardInterrupt). Nests and may live in several threads at once: the C handler is
// installed by the first and restored by the last. Construct and destroy with the GIL held.
// module.cpp.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

// Runs f with the GIL released and Ctrl-C able to stop it: Python's signal handler cannot run
// before the call returns, so the kernels' polls stop it instead. A call that ends with an
// interrupt pending throws ax::Interrupted (KeyboardInterrupt) rather than return its result.
template <class F>
auto release_gil(F&& f) -> decltype(f()) {
  InterruptScope scope;
  py::gil_scoped_release release;
  if constexpr (std::is_void_v<decltype(f())>) {
    f();
    ax::check_interrupt();
  } else {
    auto r = f();
    ax::check_interrupt();
    return r;
  }
}

// Runs f with the GIL released when `work` (elements touched) is large enough to pay for it.
// Calls touching 2^20+ elements (a millisecond or more) are also interruptible (release_gil);
// shorter ones skip its sigaction calls: Python's handler runs soon enough when they return.
template <class F>
auto maybe_release(int64_t work, F&& f) -> decltype(f()) {
  if (work >= (int64_t{1} << 20)) return release_gil(std::forward<F>(f));
  if (work >= (int64_t{1} << 15)) {
    py::gil_scoped_release release;
    return f();
  }
  return f();
}

using Class = py::class_<ax::TensorImpl, std::shared_ptr<ax::TensorImpl>>;

void register_tensor(py::module_& m, Class& cls);
void register_elementwise(py::module_& m, Class& cls);
void register_autograd(py::module_& m, Class& cls);
void register_reduce(py::module_& m, Class& cls);
void register_views(py::module_& m, Class& cls);
void register_indexing(py::module_& m, Class& cls);
void register_creation(py::module_& m, Class& cls);
void register_linalg(py::module_& m, Class& cls);
void register_interop(py::module_& m, Class& cls);
void register_runtime(py::module_& m, Class& cls);
// nn families: `nn` is the private submodule axonite._C._nn that axonite.nn.functional wraps.
void register_activation(py::module_& m, py::module_& nn, Class& cls);
void register_nn_layers(py::module_& m, py::module_& nn, Class& cls);
void register_loss(py::module_& m, py::module_& nn, Class& cls);
void register_optim(py::module_& m, py::module_& nn, Class& cls);
void register_pooling(py::module_& m, py::module_& nn, Class& cls);
void register_conv(py::module_& m, py::module_& nn, Class& cls);
void register_sampling(py::module_& m, py::module_& nn, Class& cls);
void register_rnn(py::module_& m, py::module_& nn, Class& cls);

}  // namespace axb
