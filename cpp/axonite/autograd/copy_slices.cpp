// CopySlices (the base's node after an in-place write through a view), the differentiable
// "replace a view's region" op it needs, and the regeneration of views' histories.
#include "axonite/autograd/copy_slices.h"

#include <algorithm>

#include "axonite/autograd/engine.h"
#include "axonite/autograd/record.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/views.h"

namespace ax::autograd {
namespace {

// The base's and the view's layouts inside a scratch buffer of `len` elements spanning both
// (views never have negative strides).
struct ViewLayout {
  int64_t len;
  StridedGeometry base, view;
  bool dense;  // the base fills the buffer contiguously from 0: the buffer is the base
};

int64_t extent_end(const TensorImpl& t) {
  int64_t hi = t.offset + 1;
  for (int i = 0; i < t.sizes.size(); ++i) {
    if (t.sizes[i] == 0) return t.offset;
    hi += (t.sizes[i] - 1) * t.strides[i];
  }
  return hi;
}

ViewLayout layout_of(const TensorImpl& base, const TensorImpl& view) {
  const int64_t lo = std::min(base.offset, view.offset);
  const int64_t len = std::max(extent_end(base), extent_end(view)) - lo;
  ViewLayout l{len,
               {base.sizes, base.strides, base.offset - lo},
               {view.sizes, view.strides, view.offset - lo},
               false};
  l.dense = l.base.offset == 0 && len == numel_of(base.sizes) &&
            l.base.strides == contiguous_strides(base.sizes);
  return l;
}

Tensor at(const Tensor& buf, const StridedGeometry& g) {
  return Tensor::from_storage(buf.storage(), g.sizes, g.strides, buf.offset() + g.offset,
                              buf.dtype());
}

// g (shaped like the base) with the view's region replaced by src (shaped like the view).
// Backward: g's gradient with the region zeroed, and the region for src.
Tensor region_put(const Tensor& g, const Tensor& src, const ViewLayout& l) {
  Tensor out = Tensor::empty(l.base.sizes, g.dtype());
  if (l.dense) {
    detail::cast_into(out, g.detach());
    detail::cast_into(at(out, l.view), src.detach());
  } else {
    Tensor buf = zeros(Dims{l.len}, g.dtype());
    detail::cast_into(at(buf, l.base), g.detach());
    detail::cast_into(at(buf, l.view), src.detach());
    detail::cast_into(out, at(buf, l.base));
  }
  if (any_needs_grad({g, src})) {
    record("AsStridedScatterBackward0", {g, src}, out,
           [l, src_dtype = src.dtype()](const Tensor& gg) {
             return TensorList{region_put(gg, zeros(l.view.sizes, gg.dtype()), l),
                               to_dtype(strided_gather(gg, l.len, l.base, l.view), src_dtype)};
           });
  }
  return out;
}

bool same_edge(const Edge& a, const Edge& b) {
  return a.fn != nullptr && a.fn == b.fn && a.input_nr == b.input_nr;
}

class CopySlices final : public Node {
 public:
  // fn: the in-place op's node; view_edge: where the view's old value came from (fn's inputs
  // reaching it get the region's gradient). next_edges: the base's old edge, then fn's others.
  CopySlices(std::shared_ptr<Node> fn, Edge view_edge, ViewLayout layout)
      : fn_(std::move(fn)), view_edge_(std::move(view_edge)), layout_(std::move(layout)) {}

  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    const ViewLayout& l = layout_;
    Tensor gv = strided_gather(g, l.len, l.base, l.view);
    TensorList res = apply_node(fn_.get(), TensorList{gv});
    TensorList out(next_edges.size());
    Tensor region;
    size_t k = 1;
    for (size_t i = 0; i < fn_->next_edges.size(); ++i) {
      Tensor r = i < res.size() ? res[i] : Tensor();
      if (same_edge(fn_->next_edges[i], view_edge_)) {
        if (r.defined()) region = region.defined() ? add(region, r) : r;
      } else {
        out[k++] = std::move(r);
      }
    }
    if (next_edges[0].fn)
      out[0] = region_put(g, region.defined() ? region : zeros(l.view.sizes, g.dtype()), l);
    return out;
  }
  const char* name() const override { return "CopySlices"; }
  void release_saved() override { fn_->release_saved(); }

 private:
  std::shared_ptr<Node> fn_;
  Edge view_edge_;
  ViewLayout layout_;
};

// The view's history as "a strided window on its base's current history".
void regenerate(TensorImpl* v) {
  const ViewLayout l = layout_of(*v->view_base, *v);
  auto node = std::make_shared<LambdaNode>("AsStridedBackward0", [l](const TensorList& g) {
    return TensorList{strided_scatter(g[0], l.len, l.base, l.view)};
  });
  node->next_edges.push_back(gradient_edge(Tensor(v->view_base)));
  node->outputs.push_back(OutputMeta{v->sizes, v->dtype});
  v->grad_fn = std::move(node);
  v->output_nr = 0;
  v->requires_grad = true;
}

}  // namespace

void refresh_view(TensorImpl* v) {
  v->view_version = v->storage->version();
  if (v->view_grad_mode && is_floating(v->dtype) && v->view_base->requires_grad) regenerate(v);
}

void rebase_view_history(const Tensor& view, const Tensor& result) {
  // Raw fields: the write already moved the version, so the accessors would regenerate first.
  TensorImpl* v = view.impl();
  TensorImpl* base = v->view_base.get();
  const Edge view_edge = v->grad_fn ? Edge{v->grad_fn, v->output_nr} : Edge{};
  const Edge base_edge = base->requires_grad ? gradient_edge(Tensor(v->view_base)) : Edge{};
  const std::shared_ptr<Node>& fn = result.impl()->grad_fn;
  AXONITE_ASSERT(fn != nullptr);
  auto node = std::make_shared<CopySlices>(fn, view_edge, layout_of(*base, *v));
  node->next_edges.reserve(fn->next_edges.size() + 1);
  node->next_edges.push_back(base_edge);
  for (const Edge& e : fn->next_edges)
    if (!same_edge(e, view_edge)) node->next_edges.push_back(e);
  node->outputs.push_back(OutputMeta{base->sizes, base->dtype});
  base->grad_fn = std::move(node);
  base->output_nr = 0;
  base->requires_grad = true;
  v->view_version = v->storage->version();
  regenerate(v);
}

}  // namespace ax::autograd
