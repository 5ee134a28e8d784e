// Node lifetime (iterative teardown), LambdaNode/AccumulateGrad, gradient edges, saved tensors.
#include "axonite/autograd/node.h"

#include <atomic>

#include "axonite/autograd/engine.h"
#include "axonite/autograd/grad_mode.h"
#include "axonite/core/allocator.h"
#include "axonite/ops/elementwise.h"

namespace ax::autograd {
namespace {
std::atomic<uint64_t> g_seq{0};
}

// Every Node is counted (ax.memory_stats()["live_nodes"]), so tests can prove graphs are freed.
Node::Node() : seq(g_seq.fetch_add(1, std::memory_order_relaxed)) {
  live::nodes.fetch_add(1, std::memory_order_relaxed);
}

// A chain of N nodes owned only by each other would otherwise be freed by N nested destructor
// calls. Children that this node owns alone are moved onto a thread-local stack instead, and
// only the outermost destructor drains it.
Node::~Node() {
  live::nodes.fetch_sub(1, std::memory_order_relaxed);
  thread_local std::vector<std::shared_ptr<Node>> pending;
  thread_local bool draining = false;
  for (Edge& e : next_edges)
    if (e.fn && e.fn.use_count() == 1) pending.push_back(std::move(e.fn));
  if (draining) return;
  draining = true;
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    n.reset();
  }
  draining = false;
}

TensorList LambdaNode::apply(TensorList&& grads) {
  AXONITE_CHECK(fn_ != nullptr, RuntimeError, name_,
                ": trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time.");
  return fn_(grads);
}

TensorList AccumulateGrad::apply(TensorList&& grads) {
  Tensor g = std::move(grads[0]);
  for (const TensorHook& h : leaf_->hooks) {
    Tensor r = h(g);
    if (r.defined()) g = r;
  }
  Tensor leaf(leaf_);
  Tensor cur = leaf_->grad;
  if (!cur.defined()) {
    // Keep the incoming buffer when nobody else can see it; otherwise copy, so that a later
    // in-place accumulation cannot write through a shared or broadcast (stride-0) view.
    if (grad_enabled()) {
      leaf_->grad = g;
    } else {
      leaf_->grad = sole_owner(g) ? g.detach() : clone(g);
    }
  } else if (grad_enabled()) {
    leaf_->grad = add(cur, g);
  } else {
    add_(cur, g);
  }
  return {};
}

bool sole_owner(const Tensor& t) {
  return t.impl_ptr().use_count() == 1 && t.storage().use_count() == 1 && t.is_contiguous() &&
         t.offset() == 0;
}

Edge gradient_edge(const Tensor& t) {
  TensorImpl* impl = t.impl();
  if (t.grad_fn()) return Edge{impl->grad_fn, impl->output_nr};  // (accessor: syncs a view)
  if (!impl->requires_grad) return Edge{};
  std::shared_ptr<Node> acc = impl->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t.impl_ptr());
    acc->outputs.push_back(OutputMeta{impl->sizes, impl->dtype});
    impl->grad_accumulator = acc;
  }
  return Edge{acc, 0};
}

SavedTensor::SavedTensor(const Tensor& t, bool is_output, uint32_t output_nr)
    : output_nr_(output_nr), is_output_(is_output) {
  if (!t.defined()) return;
  version_ = t.version();
  if (is_output) {
    data_ = t.detach();
  } else if (t.impl()->view_base != nullptr && t.grad_fn() != nullptr) {
    // A saved view must not own its base: after an in-place write through the view, the base's
    // history (CopySlices) holds this node, a cycle. Keep an alias with the same storage and
    // the same history instead (a later in-place write fails the version check anyway).
    data_ = t.detach();
    TensorImpl* a = data_.impl();
    a->grad_fn = t.impl()->grad_fn;
    a->output_nr = t.impl()->output_nr;
    a->requires_grad = true;
    a->is_wrapped_number = t.impl()->is_wrapped_number;
  } else {
    data_ = t;
  }
}

Tensor SavedTensor::unpack() const {
  if (!data_.defined()) return data_;
  Node* node = current_node();
  if (data_.version() != version_) {
    fail(ErrorKind::RuntimeError,
         "one of the variables needed for gradient computation has been modified by an "
         "inplace operation: [",
         dtype_name(data_.dtype()), " ", shape_str(data_.sizes()), "], used by ",
         node ? node->name() : "a backward function", ", is at version ", data_.version(),
         "; expected version ", version_, " instead.");
  }
  if (!is_output_ || node == nullptr || !is_floating(data_.dtype())) return data_;
  Tensor t = data_.detach();
  t.impl()->grad_fn = node->shared_from_this();
  t.impl()->output_nr = output_nr_;
  t.impl()->requires_grad = true;
  return t;
}

}  // namespace ax::autograd
