// The autograd graph: a Node is the backward of one forward op. It maps the gradients of the
// op's outputs to gradients of its inputs and points at the inputs' own nodes through `Edge`s.
// Ops attach a LambdaNode (a closure written with differentiable ops, so create_graph=True
// yields higher-order gradients); leaves get an AccumulateGrad node that adds into `.grad`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "axonite/tensor/tensor.h"

namespace ax::autograd {

class Node;

struct Edge {
  std::shared_ptr<Node> fn;  // null: the input needs no gradient
  uint32_t input_nr = 0;     // which output of `fn` the gradient belongs to
};

struct OutputMeta {
  Dims sizes;
  DType dtype;
};

class Node : public std::enable_shared_from_this<Node> {
 public:
  Node();
  virtual ~Node();  // iterative: long chains (RNN unrolls) must not overflow the stack
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // grads[i] is the gradient of forward output i (never undefined: the engine fills zeros).
  // Returns one gradient per next_edges entry (undefined where there is none).
  virtual TensorList apply(TensorList&& grads) = 0;
  virtual const char* name() const = 0;
  // Drops saved tensors after a backward without retain_graph.
  virtual void release_saved() {}

  std::vector<Edge> next_edges;
  std::vector<OutputMeta> outputs;
  // Hooks on the gradient of output i (tensor.register_hook / retain_grad on non-leaves).
  std::vector<std::pair<uint32_t, TensorHook>> pre_hooks;
  uint64_t seq;  // creation order; later nodes run first among ready nodes

  // Engine scratch, valid only during one backward pass (see engine.cpp).
  uint64_t epoch_ = 0;
  int deps_ = 0;
  int8_t needed_ = 0;  // capture mode: 0 unknown, 1 on the DFS stack, 2 not needed, 3 needed
  bool sunk_ = false;  // AccumulateGrad: a producer summed its gradient into .grad (grad_sink)
  TensorList buffer_;
};

using BackwardFn = std::function<TensorList(const TensorList& grads)>;

class LambdaNode final : public Node {
 public:
  LambdaNode(const char* name, BackwardFn fn) : name_(name), fn_(std::move(fn)) {}
  TensorList apply(TensorList&& grads) override;
  const char* name() const override { return name_; }
  void release_saved() override { fn_ = nullptr; }

 private:
  const char* name_;
  BackwardFn fn_;
};

class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf) : leaf_(std::move(leaf)) {}
  TensorList apply(TensorList&& grads) override;
  const char* name() const override { return "AccumulateGrad"; }
  const std::shared_ptr<TensorImpl>& leaf() const { return leaf_; }

 private:
  std::shared_ptr<TensorImpl> leaf_;
};

// The edge a gradient for `t` must flow into: its grad_fn, or its (shared) AccumulateGrad.
Edge gradient_edge(const Tensor& t);

// True when nothing else references t (its TensorImpl or its storage) and it is contiguous from
// offset 0: a gradient buffer the engine may keep or write into without anyone else seeing it.
bool sole_owner(const Tensor& t);

// Note [Saved tensors]
// A backward closure keeps what it needs in SavedTensor objects. An op's own output is kept as
// a detached alias only (holding its node would be a cycle output -> node -> output); since an
// output is only ever unpacked by its own node's backward, unpack() re-attaches it to the node
// the engine is running, so double backward still sees the output's history.
// Each SavedTensor remembers the storage version; unpack() raises if it changed (in-place write).
class SavedTensor {
 public:
  SavedTensor() = default;
  // For outputs, `output_nr` is the index of t among the op's outputs.
  SavedTensor(const Tensor& t, bool is_output, uint32_t output_nr = 0);
  Tensor unpack() const;
  bool defined() const { return data_.defined(); }

 private:
  Tensor data_;
  uint32_t output_nr_ = 0;
  uint32_t version_ = 0;
  bool is_output_ = false;
};

}  // namespace ax::autograd
