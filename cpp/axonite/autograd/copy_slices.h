// View + in-place: when an in-place op writes through a view of a tensor that is in a graph, the
// base's history becomes a CopySlices node, and views regenerate their history from the base's.
// Called by the in-place ops (ops/elementwise.cpp rebase_history) and Tensor's accessors.
#pragma once

#include "axonite/autograd/node.h"

namespace ax::autograd {

// Note [View + in-place]
// A view shares its base's storage (TensorImpl::view_base is always a non-view tensor). An
// in-place op on view `v` is computed out of place as `result`, whose node `fn` has v's old
// value among its inputs; then the base adopts CopySlices(fn). Given the base's gradient g,
// CopySlices gathers g's v-region, runs fn on it, writes fn's gradient for v's old value back
// into that region of g (the rest of g passes through unchanged) for the base's old history,
// and hands fn's other input gradients to those inputs. From then on every view of the base must
// reach the graph through the base's new history: a view remembers the storage version at which
// its grad_fn was current (view_version), and any autograd accessor of a view whose storage has
// since been written calls refresh_view, which regenerates grad_fn as AsStridedBackward0 from the
// base (for views made in grad mode of a base that requires grad). Like PyTorch, a view of a
// leaf that requires grad, or one made under no_grad, refuses in-place ops under autograd.

// After an in-place op wrote result's values into `view` (view_base set), makes the base's
// history a CopySlices around result.grad_fn() and regenerates `view`'s own history.
void rebase_view_history(const Tensor& view, const Tensor& result);

}  // namespace ax::autograd
