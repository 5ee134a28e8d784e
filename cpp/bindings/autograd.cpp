// Autograd surface: backward/grad, grad-mode switches, hooks, retain_grad, detach, grad_fn
// objects, anomaly mode, and the hooks that let ax.autograd.Function (Python) record nodes.
#include <pybind11/functional.h>

#include <type_traits>

#include "bindings/common.h"

namespace axb {
namespace {

using ax::autograd::Node;

// A node whose backward is a Python callable: grads (list) -> list of input grads.
class PyNode final : public Node {
 public:
  PyNode(std::string name, py::function fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  ~PyNode() override {
    py::gil_scoped_acquire gil;
    fn_ = py::function();
  }
  ax::TensorList apply(ax::TensorList&& grads) override {
    py::gil_scoped_acquire gil;
    AXONITE_CHECK(fn_, RuntimeError, name_,
                  ": trying to backward through the graph a second time; specify "
                  "retain_graph=True on the first backward");
    py::list gl;
    for (const Tensor& g : grads) gl.append(py::cast(g));
    py::object res = fn_(gl);
    ax::TensorList out;
    for (auto r : res) out.push_back(r.is_none() ? Tensor() : r.cast<Tensor>());
    AXONITE_CHECK(out.size() == next_edges.size(), RuntimeError, name_, ".backward returned ",
                  out.size(), " gradients, but ", next_edges.size(),
                  " were expected (one per tensor input of forward)");
    for (size_t i = 0; i < out.size(); ++i) {
      if (!out[i].defined() || !next_edges[i].fn) continue;
      const auto& want = next_edges[i].fn->outputs[next_edges[i].input_nr];
      AXONITE_CHECK(out[i].sizes() == want.sizes, RuntimeError, name_,
                    ".backward returned a gradient of shape ", ax::shape_str(out[i].sizes()),
                    " for input ", i, " of shape ", ax::shape_str(want.sizes));
    }
    return out;
  }
  const char* name() const override { return name_.c_str(); }
  // The Python backward (null once released), for the collector (Note [Hook cycles]).
  PyObject* callable() const { return fn_.ptr(); }
  void release_saved() override {
    py::gil_scoped_acquire gil;
    fn_ = py::function();
  }

 private:
  std::string name_;
  py::function fn_;
};

ax::TensorList tensor_list(py::handle seq) {
  ax::TensorList out;
  if (seq.is_none()) return out;
  if (py::isinstance(seq, tensor_type())) return {seq.cast<Tensor>()};
  for (auto item : seq) out.push_back(item.is_none() ? Tensor() : item.cast<Tensor>());
  return out;
}

py::object node_obj(const std::shared_ptr<Node>& n) {
  if (!n) return py::none();
  return py::cast(n);
}

// A Python tensor hook. A named type rather than a lambda so that the garbage-collector support
// below can find the Python callable inside a type-erased TensorHook.
struct PyHook {
  std::shared_ptr<py::function> fn;
  Tensor operator()(const Tensor& g) const {
    py::gil_scoped_acquire gil;
    py::object r = (*fn)(g);
    return r.is_none() ? Tensor() : r.cast<Tensor>();
  }
};

// Note [Hook cycles]
// A hook that refers to its own tensor (`x.register_hook(lambda g: g + x)`), or an
// autograd.Function whose ctx keeps its output, closes a cycle Python wrapper -> TensorImpl ->
// (grad_fn ->) Python callable -> wrapper that runs through C++, where Python's collector cannot
// see it, so the tensor and its graph leaked. As in PyTorch, the Tensor type's tp_traverse
// reports the callables that the wrapper alone keeps alive: when the wrapper is the only owner
// of its TensorImpl, the hooks of that TensorImpl, and when the TensorImpl is also the only
// owner of its grad_fn, the node's hooks and a PyNode's backward. Reporting a reference that
// something else also owns would let the collector free live objects, so shared paths are
// skipped: such a cycle (e.g. through a node with several outputs) is not collected.
struct Owned {
  ax::TensorImpl* impl = nullptr;  // owned by the wrapper alone, else null
  Node* node = nullptr;            // impl's grad_fn, owned by impl alone, else null
};

Owned owned_by(PyObject* self) {
  auto* inst = reinterpret_cast<py::detail::instance*>(self);
  py::detail::value_and_holder vh = inst->get_value_and_holder(nullptr, false);
  if (!vh || !vh.holder_constructed()) return {};
  const auto& impl = vh.holder<std::shared_ptr<ax::TensorImpl>>();
  if (!impl || impl.use_count() != 1) return {};
  const std::shared_ptr<Node>& node = impl->grad_fn;
  return {impl.get(), node && node.use_count() == 1 ? node.get() : nullptr};
}

// The hook in an element of TensorImpl::hooks (a hook) or of Node::pre_hooks (output nr, hook).
template <class H>
auto& hook_of(H& h) {
  if constexpr (std::is_same_v<std::remove_const_t<H>, ax::TensorHook>)
    return h;
  else
    return h.second;
}

// The Python callable of a hook that alone holds it, else null.
template <class H>
PyObject* owned_callable(const H& h) {
  const PyHook* p = hook_of(h).template target<PyHook>();
  return p != nullptr && p->fn.use_count() == 1 ? p->fn->ptr() : nullptr;
}

// Moves the hooks whose callables tensor_traverse reports out of `hooks`, into `out`.
template <class Hooks>
void take_owned_hooks(Hooks& hooks, std::vector<ax::TensorHook>& out) {
  auto keep = hooks.begin();
  for (auto it = hooks.begin(); it != hooks.end(); ++it) {
    if (owned_callable(*it) != nullptr) {
      out.push_back(std::move(hook_of(*it)));
    } else {
      if (keep != it) *keep = std::move(*it);
      ++keep;
    }
  }
  hooks.erase(keep, hooks.end());
}

traverseproc g_base_traverse = nullptr;
inquiry g_base_clear = nullptr;

int tensor_traverse(PyObject* self, visitproc visit, void* arg) {
  const Owned o = owned_by(self);
  if (o.impl != nullptr)
    for (const auto& h : o.impl->hooks) Py_VISIT(owned_callable(h));
  if (o.node != nullptr) {
    for (const auto& h : o.node->pre_hooks) Py_VISIT(owned_callable(h));
    if (auto* pn = dynamic_cast<PyNode*>(o.node)) Py_VISIT(pn->callable());
  }
  return g_base_traverse(self, visit, arg);
}

// Breaks a garbage cycle by dropping what tensor_traverse reported.
int tensor_clear(PyObject* self) {
  const Owned o = owned_by(self);
  std::vector<ax::TensorHook> dropped;  // destroyed last: that may run arbitrary Python code
  if (o.impl != nullptr) take_owned_hooks(o.impl->hooks, dropped);
  if (o.node != nullptr) {
    take_owned_hooks(o.node->pre_hooks, dropped);
    if (auto* pn = dynamic_cast<PyNode*>(o.node)) pn->release_saved();
  }
  return g_base_clear(self);
}

}  // namespace

void setup_tensor_type(PyHeapTypeObject* heap_type) {
  PyTypeObject* type = &heap_type->ht_type;
  // py::dynamic_attr() already made the type collectable; keep its __dict__ handling.
  type->tp_flags |= Py_TPFLAGS_HAVE_GC;
  g_base_traverse = type->tp_traverse;
  g_base_clear = type->tp_clear;
  type->tp_traverse = &tensor_traverse;
  type->tp_clear = &tensor_clear;
}

void register_autograd(py::module_& m, Class& cls) {
  py::class_<Node, std::shared_ptr<Node>>(m, "Node", "A backward function in the autograd graph.")
      .def("name", [](const Node& n) { return std::string(n.name()); })
      .def_property_readonly("next_functions",
                             [](const Node& n) {
                               py::list out;
                               for (const auto& e : n.next_edges)
                                 out.append(py::make_tuple(node_obj(e.fn), e.input_nr));
                               return py::tuple(out);
                             })
      .def("__repr__", [](const Node& n) {
        return "<" + std::string(n.name()) + " object at " +
               std::to_string(reinterpret_cast<uintptr_t>(&n)) + ">";
      });

  cls.def_property_readonly("grad_fn", [](const Tensor& t) { return node_obj(t.grad_fn()); })
      .def("detach", [](const Tensor& t) { return t.detach(); })
      .def("detach_",
           [](Tensor t) {
             t.impl()->grad_fn.reset();
             t.impl()->requires_grad = false;
             return t;
           })
      .def(
          "requires_grad_",
          [](Tensor t, bool r) {
            t.set_requires_grad(r);
            return t;
          },
          "requires_grad"_a = true)
      .def("retain_grad",
           [](Tensor t) {
             AXONITE_CHECK(
                 t.requires_grad(), RuntimeError,
                 "retain_grad: can't retain_grad on a Tensor that has requires_grad=False");
             if (t.is_leaf() || t.impl()->retains_grad) return;
             t.impl()->retains_grad = true;
             std::weak_ptr<ax::TensorImpl> weak = t.impl_ptr();
             t.grad_fn()->pre_hooks.emplace_back(t.output_nr(), [weak](const Tensor& g) {
               if (auto impl = weak.lock()) {
                 Tensor cur = impl->grad;
                 impl->grad = cur.defined() ? ax::add(cur, g) : ax::clone(g.detach());
               }
               return Tensor();
             });
           })
      .def_property_readonly("retains_grad", [](const Tensor& t) { return t.impl()->retains_grad; })
      .def(
          "register_hook",
          [](Tensor t, py::function fn) {
            AXONITE_CHECK(t.requires_grad(), RuntimeError,
                          "register_hook: cannot register a hook on a tensor that doesn't require "
                          "gradient");
            // The callable may be dropped while the GIL is released (graph teardown in backward).
            std::shared_ptr<py::function> keep(new py::function(std::move(fn)),
                                               [](py::function* f) {
                                                 py::gil_scoped_acquire gil;
                                                 delete f;
                                               });
            ax::TensorHook hook = PyHook{std::move(keep)};
            if (t.is_leaf()) {
              t.impl()->hooks.push_back(std::move(hook));
            } else {
              t.grad_fn()->pre_hooks.emplace_back(t.output_nr(), std::move(hook));
            }
          },
          "hook"_a)
      .def(
          "backward",
          [](const Tensor& t, py::handle gradient, py::handle retain_graph, bool create_graph,
             py::handle inputs) {
            const Tensor g = gradient.is_none() ? Tensor() : to_tensor_arg(gradient, "backward");
            const bool retain = retain_graph.is_none() ? create_graph : retain_graph.cast<bool>();
            ax::TensorList in = tensor_list(inputs);
            release_gil([&] { ax::autograd::backward({t}, {g}, retain, create_graph, in); });
          },
          "gradient"_a = py::none(), "retain_graph"_a = py::none(), "create_graph"_a = false,
          "inputs"_a = py::none());

  m.def("_backward", [](py::handle tensors, py::handle grads, bool retain, bool create,
                        py::handle inputs) {
    ax::TensorList ts = tensor_list(tensors), gs = tensor_list(grads), in = tensor_list(inputs);
    if (gs.empty()) gs.resize(ts.size());
    release_gil([&] { ax::autograd::backward(ts, gs, retain, create, in); });
  });
  m.def("_grad", [](py::handle outputs, py::handle inputs, py::handle grad_outputs, bool retain,
                    bool create, bool allow_unused) {
    ax::TensorList os = tensor_list(outputs), is = tensor_list(inputs),
                   gs = tensor_list(grad_outputs);
    return release_gil(
        [&] { return ax::autograd::grad(os, is, gs, retain, create, allow_unused); });
  });
  m.def("is_grad_enabled", &ax::autograd::grad_enabled);
  m.def("_set_grad_enabled", &ax::autograd::set_grad_enabled, "mode"_a);
  m.def("is_anomaly_enabled", &ax::autograd::anomaly_enabled);
  m.def("_set_anomaly_enabled", &ax::autograd::set_anomaly_enabled, "mode"_a);

  // ax.autograd.Function support.
  m.def("_record_function", [](const std::string& name, py::function backward,
                               const ax::TensorList& inputs, const ax::TensorList& outputs) {
    auto node = std::make_shared<PyNode>(name, std::move(backward));
    for (const Tensor& t : inputs)
      node->next_edges.push_back(t.requires_grad() ? ax::autograd::gradient_edge(t)
                                                   : ax::autograd::Edge{});
    for (size_t i = 0; i < outputs.size(); ++i) {
      const Tensor& o = outputs[i];
      node->outputs.push_back({o.sizes(), o.dtype()});
      if (!ax::is_floating(o.dtype())) continue;
      o.impl()->grad_fn = node;
      o.impl()->output_nr = static_cast<uint32_t>(i);
      o.impl()->requires_grad = true;
    }
  });
  py::class_<ax::autograd::SavedTensor>(m, "_SavedTensor")
      .def(py::init<const Tensor&, bool>(), "tensor"_a, "is_output"_a)
      .def("unpack", &ax::autograd::SavedTensor::unpack);
}

}  // namespace axb
