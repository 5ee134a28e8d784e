// Creating backward nodes and marking op outputs.
#include "axonite/autograd/record.h"

namespace ax::autograd {

bool any_needs_grad(const TensorList& ts) {
  if (!grad_enabled()) return false;
  for (const Tensor& t : ts)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void record(const char* name, const TensorList& inputs, const TensorList& outputs, BackwardFn fn) {
  auto node = std::make_shared<LambdaNode>(name, std::move(fn));
  node->next_edges.reserve(inputs.size());
  for (const Tensor& t : inputs)
    node->next_edges.push_back(t.defined() && t.requires_grad() ? gradient_edge(t) : Edge{});
  node->outputs.reserve(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& o = outputs[i];
    node->outputs.push_back(OutputMeta{o.sizes(), o.dtype()});
    if (!is_floating(o.dtype())) continue;  // integer outputs (indices) carry no gradient
    TensorImpl* impl = o.impl();
    impl->grad_fn = node;
    impl->output_nr = static_cast<uint32_t>(i);
    impl->requires_grad = true;
  }
}

}  // namespace ax::autograd
