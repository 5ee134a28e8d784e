// How ops attach their backward: `needs_grad` decides whether to record, `record` creates the
// LambdaNode, wires edges to the inputs' nodes and marks the outputs as its results.
#pragma once

#include <initializer_list>

#include "axonite/autograd/grad_mode.h"
#include "axonite/autograd/node.h"

namespace ax::autograd {

inline bool needs_grad(const Tensor& t) {
  return t.defined() && t.requires_grad() && grad_enabled();
}
inline bool any_needs_grad(std::initializer_list<Tensor> ts) {
  if (!grad_enabled()) return false;
  for (const Tensor& t : ts)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}
bool any_needs_grad(const TensorList& ts);

// fn receives one gradient per output and returns one per input (undefined = none).
void record(const char* name, const TensorList& inputs, const TensorList& outputs, BackwardFn fn);

// Single-output form: fn(grad_of_output) -> gradients per input.
template <class F>
void record(const char* name, const TensorList& inputs, const Tensor& output, F&& fn) {
  record(name, inputs, TensorList{output},
         [f = std::forward<F>(fn)](const TensorList& g) { return f(g[0]); });
}

}  // namespace ax::autograd
