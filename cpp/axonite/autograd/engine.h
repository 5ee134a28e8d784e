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

// n->apply(grads) with n as the current node, as the engine runs it; for nodes that delegate
// part of their work to another node (CopySlices).
TensorList apply_node(Node* n, TensorList&& grads);

}  // namespace ax::autograd
