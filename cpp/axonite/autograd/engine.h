// The backward engine: iterative topological traversal of the graph from the roots, summing
// gradients per (node, output), running tensor hooks, accumulating into leaves' `.grad`, and
// releasing saved tensors unless retain_graph. Also the functional `grad` API.
#pragma once

#include "axonite/autograd/node.h"

namespace ax::autograd {

// roots[i].backward(grad_roots[i]); undefined grad_roots[i] means ones for a scalar root.
void backward(const TensorList& roots, const TensorList& grad_roots, bool retain_graph,
              bool create_graph, const TensorList& inputs = {});

// Gradients of `outputs` w.r.t. `inputs` without touching `.grad`.
TensorList grad(const TensorList& outputs, const TensorList& inputs, const TensorList& grad_outputs,
                bool retain_graph, bool create_graph, bool allow_unused);

// The node whose apply() the engine is running on this thread, or nullptr. Saved outputs are
// re-attached to it on unpack (see Note [Saved tensors]).
Node* current_node();

// Note [Gradient sinks]
// A backward pass sums a weight's gradient into the existing `.grad` in place: a node returns
// dW, then AccumulateGrad reads dW and .grad and writes .grad. A kernel that produces dW with a
// GEMM can instead add its product straight into .grad (beta = 1), which saves writing and
// re-reading dW: for an LSTMCell step at batch 1, 3 of the step's 9 MB of memory traffic.
// grad_sink(i) returns that `.grad` when the gradient for input i of the node being run flows
// only into it: the input is a leaf whose AccumulateGrad this pass runs (backward(), not
// grad(); within inputs= if given), with a defined, contiguous .grad of its shape and dtype
// that has no history, no tensor hooks on the leaf, no create_graph and no anomaly mode, and
// .grad shares no storage with `reads` (the tensors the kernel still reads while writing it).
// A caller that gets a tensor must add its whole gradient into it and return an undefined
// gradient for that input; the leaf's AccumulateGrad then only sums what other paths send.
Tensor grad_sink(size_t input, std::initializer_list<Tensor> reads);

// Where a GEMM writes the gradient of input i: nothing unless `wanted`; the leaf's .grad when
// grad_sink allows (add into it, beta = 1), else a new tensor of `shape` (overwrite, beta = 0).
// result() is what the node returns for that input: nothing when the gradient went into .grad.
struct GradOut {
  Tensor buf;  // undefined when built by default: the input needs no gradient
  bool sunk = false;
  Tensor result() const { return sunk ? Tensor() : buf; }
  template <class T>
  T beta() const {
    return sunk ? T(1) : T(0);
  }
};
GradOut grad_out(bool wanted, size_t input, const Dims& shape, DType dtype,
                 std::initializer_list<Tensor> reads);

// n->apply(grads) with n as the current node, as the engine runs it; for nodes that delegate
// part of their work to another node (CopySlices).
TensorList apply_node(Node* n, TensorList&& grads);

}  // namespace ax::autograd
