// Backward engine. One pass: (1) iterative DFS from the roots counting, for every reachable
// node, how many edges point at it; (2) Kahn's algorithm over a max-heap on creation order,
// summing incoming gradients in each node's buffer until all its producers have run.
// Note: the per-node scratch (epoch_, deps_, buffer_) makes concurrent backward passes over the
// same graph from several threads unsupported; passes over disjoint graphs are fine.
#include "axonite/autograd/engine.h"

#include <atomic>
#include <queue>

#include "axonite/autograd/grad_mode.h"
#include "axonite/core/parallel.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/reduce.h"

namespace ax::autograd {
namespace {

std::atomic<uint64_t> g_epoch{0};
thread_local Node* t_current_node = nullptr;

// The backward pass running on this thread (nested passes save and restore it): what
// grad_sink needs to know about which leaves this pass accumulates into.
struct Pass {
  bool capture_mode;
  const TensorList* only_leaves;
};
thread_local const Pass* t_pass = nullptr;

bool accumulates_into(const Pass& pass, const AccumulateGrad& acc) {
  if (pass.capture_mode) return false;
  if (pass.only_leaves->empty()) return true;
  for (const Tensor& t : *pass.only_leaves)
    if (t.impl() == acc.leaf().get()) return true;
  return false;
}

struct Capture {
  Node* fn;
  uint32_t input_nr;
  size_t slot;
};

struct SeqLess {
  bool operator()(const Node* a, const Node* b) const { return a->seq < b->seq; }
};

void check_finite(const Node& node, const TensorList& grads) {
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined() || !is_floating(grads[i].dtype())) continue;
    if (!all_finite(grads[i]))
      fail(ErrorKind::RuntimeError, "Function '", node.name(),
           "' returned nan or inf values in its ", i, "th output.");
  }
}

// Post-order DFS marking the nodes from which some captured (node, input) is reachable.
void mark_needed(const std::vector<Node*>& nodes, const std::vector<Capture>& cap) {
  auto is_target = [&](Node* n) {
    for (const Capture& c : cap)
      if (c.fn == n) return true;
    return false;
  };
  for (Node* n : nodes) n->needed_ = 0;
  std::vector<std::pair<Node*, size_t>> st;
  for (Node* start : nodes) {
    if (start->needed_ != 0) continue;
    start->needed_ = 1;
    st.emplace_back(start, 0);
    while (!st.empty()) {
      auto& [n, i] = st.back();
      if (i < n->next_edges.size()) {
        Node* c = n->next_edges[i++].fn.get();
        if (c != nullptr && c->needed_ == 0) {
          c->needed_ = 1;
          st.emplace_back(c, 0);
        }
        continue;
      }
      bool need = is_target(n);
      for (const Edge& e : n->next_edges) need |= e.fn && e.fn->needed_ == 3;
      n->needed_ = need ? 3 : 2;
      st.pop_back();
    }
  }
}

// Sums a gradient into a node's input buffer. Without create_graph, a buffer that nothing else
// references (not a caller's tensor, not a gradient a node passed on to two inputs, not a
// view) is summed in place: a weight shared by T unrolled steps then costs one pass per step
// instead of a fresh temporary each time.
void add_into(Tensor& slot, Tensor g) {
  if (!slot.defined()) {
    slot = std::move(g);
    return;
  }
  if (!grad_enabled() && sole_owner(slot) && slot.sizes() == g.sizes() &&
      slot.dtype() == g.dtype()) {
    add_(slot, g);
  } else {
    slot = add(slot, g);
  }
}

// Runs the graph. With `captures`, gradients reaching those (node, input) pairs are returned
// and AccumulateGrad nodes are not run; `only_leaves` restricts accumulation to those leaves.
TensorList run(const TensorList& roots, const TensorList& grad_roots, bool retain_graph,
               bool create_graph, const std::vector<Edge>& captures,
               const TensorList& only_leaves) {
  AXONITE_CHECK(roots.size() == grad_roots.size(), ValueError, "backward: got ", roots.size(),
                " tensors but ", grad_roots.size(), " gradients");
  GradModeGuard mode(create_graph);
  const Pass pass{!captures.empty(), &only_leaves};
  struct PassGuard {
    const Pass* prev;
    ~PassGuard() { t_pass = prev; }
  } pass_guard{t_pass};
  t_pass = &pass;
  const uint64_t epoch = g_epoch.fetch_add(1) + 1;
  std::vector<Node*> visited;
  std::vector<Node*> stack;
  auto visit = [&](Node* n) {
    if (n->epoch_ == epoch) return false;
    n->epoch_ = epoch;
    n->deps_ = 0;
    n->sunk_ = false;
    n->buffer_.assign(n->outputs.size(), Tensor());
    visited.push_back(n);
    return true;
  };

  // Seed the root nodes' buffers.
  std::vector<Edge> root_edges;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& r = roots[i];
    AXONITE_CHECK(r.requires_grad(), RuntimeError, "backward: element ", i,
                  " of tensors does not require grad and does not have a grad_fn");
    Tensor g = grad_roots[i];
    if (!g.defined()) {
      AXONITE_CHECK(r.numel() == 1, RuntimeError,
                    "backward: grad can be implicitly created only for scalar outputs, but the "
                    "output has shape ",
                    shape_str(r.sizes()), "; pass gradient= with that shape");
      g = ones(r.sizes(), r.dtype());
    } else {
      AXONITE_CHECK(g.sizes() == r.sizes(), RuntimeError, "backward: gradient has shape ",
                    shape_str(g.sizes()), " but the output has shape ", shape_str(r.sizes()));
    }
    Edge e = gradient_edge(r);
    if (visit(e.fn.get())) stack.push_back(e.fn.get());
    add_into(e.fn->buffer_[e.input_nr], g);
    root_edges.push_back(std::move(e));
  }
  // Count dependencies with an explicit stack (graphs from long unrolls are deep).
  std::vector<Node*> dfs = stack;
  while (!dfs.empty()) {
    Node* n = dfs.back();
    dfs.pop_back();
    for (const Edge& e : n->next_edges) {
      if (!e.fn) continue;
      Node* c = e.fn.get();
      if (visit(c)) dfs.push_back(c);
      ++c->deps_;
    }
  }

  TensorList captured(captures.size());
  std::vector<Capture> cap;
  for (size_t i = 0; i < captures.size(); ++i)
    if (captures[i].fn) cap.push_back({captures[i].fn.get(), captures[i].input_nr, i});
  const bool capture_mode = !captures.empty();
  if (capture_mode) mark_needed(visited, cap);

  std::priority_queue<Node*, std::vector<Node*>, SeqLess> ready;
  for (const Edge& e : root_edges)
    if (e.fn->deps_ == 0 && e.fn->epoch_ == epoch) {
      e.fn->deps_ = -1;  // queued
      ready.push(e.fn.get());
    }

  struct Cleanup {
    std::vector<Node*>& nodes;
    bool retain;
    ~Cleanup() {
      for (Node* n : nodes) {
        n->buffer_.clear();
        if (!retain) n->release_saved();
      }
    }
  } cleanup{visited, retain_graph};

  while (!ready.empty()) {
    check_interrupt();  // Ctrl-C between nodes (Note [Interrupts], core/parallel.h)
    Node* n = ready.top();
    ready.pop();
    TensorList grads = std::move(n->buffer_);
    n->buffer_.clear();
    auto* acc = dynamic_cast<AccumulateGrad*>(n);
    // Everything for this leaf was summed into .grad by its producers (grad_sink).
    if (acc != nullptr && acc->sunk_ && !grads[0].defined()) continue;
    for (size_t i = 0; i < grads.size(); ++i)
      if (!grads[i].defined()) grads[i] = zeros(n->outputs[i].sizes, n->outputs[i].dtype);
    for (auto& [idx, hook] : n->pre_hooks) {
      Tensor r = hook(grads[idx]);
      if (r.defined()) grads[idx] = r;
    }
    for (const Capture& c : cap)
      if (c.fn == n) captured[c.slot] = grads[c.input_nr];

    if (acc != nullptr) {
      if (capture_mode) continue;
      if (!only_leaves.empty()) {
        bool wanted = false;
        for (const Tensor& t : only_leaves) wanted |= t.impl() == acc->leaf().get();
        if (!wanted) continue;
      }
    }
    TensorList out;
    if (capture_mode && n->needed_ != 3) {
      out.resize(n->next_edges.size());  // leads to no requested input: skip the work
    } else {
      // Python backward code may run a nested backward; apply_node restores the current node
      // even when apply throws (an error or an interrupt).
      out = apply_node(n, std::move(grads));
    }
    if (anomaly_enabled()) check_finite(*n, out);
    for (size_t i = 0; i < n->next_edges.size(); ++i) {
      const Edge& e = n->next_edges[i];
      if (!e.fn) continue;
      Node* c = e.fn.get();
      if (i < out.size() && out[i].defined()) add_into(c->buffer_[e.input_nr], std::move(out[i]));
      if (--c->deps_ == 0) {
        c->deps_ = -1;
        ready.push(c);
      }
    }
  }
  return captured;
}

}  // namespace

Node* current_node() { return t_current_node; }

Tensor grad_sink(size_t input, std::initializer_list<Tensor> reads) {
  const Node* n = t_current_node;
  if (n == nullptr || t_pass == nullptr || grad_enabled() || anomaly_enabled() ||
      input >= n->next_edges.size())
    return {};
  auto* acc = dynamic_cast<AccumulateGrad*>(n->next_edges[input].fn.get());
  if (acc == nullptr || !accumulates_into(*t_pass, *acc) || !acc->leaf()->hooks.empty()) return {};
  const Tensor g = acc->leaf()->grad;
  if (!g.defined() || g.requires_grad() || !g.is_contiguous() ||
      g.sizes() != acc->outputs[0].sizes || g.dtype() != acc->outputs[0].dtype)
    return {};
  for (const Tensor& r : reads)
    if (r.defined() && r.storage() == g.storage()) return {};
  acc->sunk_ = true;
  g.bump_version();  // written in place, as AccumulateGrad's add_ would
  return g;
}

GradOut grad_out(bool wanted, size_t input, const Dims& shape, DType dtype,
                 std::initializer_list<Tensor> reads) {
  if (!wanted) return {};
  if (Tensor g = grad_sink(input, reads); g.defined()) return {g, true};
  return {Tensor::empty(shape, dtype), false};
}

TensorList apply_node(Node* n, TensorList&& grads) {
  struct Restore {
    Node* prev;
    ~Restore() { t_current_node = prev; }
  } restore{t_current_node};
  t_current_node = n;
  return n->apply(std::move(grads));
}

void backward(const TensorList& roots, const TensorList& grad_roots, bool retain_graph,
              bool create_graph, const TensorList& inputs) {
  for (const Tensor& t : inputs)
    AXONITE_CHECK(t.is_leaf() && t.requires_grad(), RuntimeError,
                  "backward: every tensor in inputs= must be a leaf that requires grad");
  run(roots, grad_roots, retain_graph, create_graph, {}, inputs);
}

TensorList grad(const TensorList& outputs, const TensorList& inputs, const TensorList& grad_outputs,
                bool retain_graph, bool create_graph, bool allow_unused) {
  std::vector<Edge> edges;
  for (size_t i = 0; i < inputs.size(); ++i) {
    AXONITE_CHECK(inputs[i].requires_grad(), RuntimeError, "grad: input ", i,
                  " does not require grad");
    edges.push_back(gradient_edge(inputs[i]));
  }
  TensorList go = grad_outputs;
  if (go.empty()) go.resize(outputs.size());
  TensorList res = run(outputs, go, retain_graph, create_graph, edges, {});
  for (size_t i = 0; i < res.size(); ++i) {
    AXONITE_CHECK(res[i].defined() || allow_unused, RuntimeError, "grad: input ", i,
                  " was not used in the graph; pass allow_unused=True if this is intended");
    if (res[i].defined() && !create_graph) res[i] = res[i].detach();
  }
  return res;
}

}  // namespace ax::autograd
