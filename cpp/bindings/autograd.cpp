// Autograd surface: backward/grad, grad-mode switches, hooks, retain_grad, detach, grad_fn
// objects, anomaly mode, and the hooks that let ax.autograd.Function (Python) record nodes.
#include <pybind11/functional.h>

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

}  // namespace

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
            ax::TensorHook hook = [keep](const Tensor& g) {
              py::gil_scoped_acquire gil;
              py::object r = (*keep)(g);
              return r.is_none() ? Tensor() : r.cast<Tensor>();
            };
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
            py::gil_scoped_release release;
            ax::autograd::backward({t}, {g}, retain, create_graph, in);
          },
          "gradient"_a = py::none(), "retain_graph"_a = py::none(), "create_graph"_a = false,
          "inputs"_a = py::none());

  m.def("_backward", [](py::handle tensors, py::handle grads, bool retain, bool create,
                        py::handle inputs) {
    ax::TensorList ts = tensor_list(tensors), gs = tensor_list(grads), in = tensor_list(inputs);
    if (gs.empty()) gs.resize(ts.size());
    py::gil_scoped_release release;
    ax::autograd::backward(ts, gs, retain, create, in);
  });
  m.def("_grad", [](py::handle outputs, py::handle inputs, py::handle grad_outputs, bool retain,
                    bool create, bool allow_unused) {
    ax::TensorList os = tensor_list(outputs), is = tensor_list(inputs),
                   gs = tensor_list(grad_outputs);
    py::gil_scoped_release release;
    return ax::autograd::grad(os, is, gs, retain, create, allow_unused);
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
