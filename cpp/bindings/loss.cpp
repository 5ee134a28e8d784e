// Loss kernels on axonite._C._nn (wrapped by axonite.nn.functional, which normalizes arguments)
// with PyTorch's argument names; cosine_similarity is also top level, as torch.cosine_similarity.
// `reduction` arrives as the string ('none' | 'mean' | 'sum'; kl_div also 'batchmean').
#include <string>

#include "bindings/common.h"

namespace axb {
namespace {

using ax::Reduction;

Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }

int64_t work(const Tensor& a) { return a.numel(); }

}  // namespace

void register_loss(py::module_& m, py::module_& nn, Class& cls) {
  (void)cls;
  nn.def(
      "cross_entropy",
      [](const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight,
         int64_t ignore_index, const std::string& reduction, double label_smoothing) {
        const Reduction r = ax::parse_reduction(reduction);
        return maybe_release(work(input), [&] {
          return ax::cross_entropy(input, target, opt(weight), ignore_index, r, label_smoothing);
        });
      },
      "input"_a, "target"_a, "weight"_a = py::none(), "ignore_index"_a = -100,
      "reduction"_a = "mean", "label_smoothing"_a = 0.0,
      "Fused log-softmax + negative log-likelihood (class indices or probabilities).");
  nn.def(
      "nll_loss",
      [](const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight,
         int64_t ignore_index, const std::string& reduction) {
        const Reduction r = ax::parse_reduction(reduction);
        return maybe_release(
            work(input), [&] { return ax::nll_loss(input, target, opt(weight), ignore_index, r); });
      },
      "input"_a, "target"_a, "weight"_a = py::none(), "ignore_index"_a = -100,
      "reduction"_a = "mean", "Negative log-likelihood of class indices.");
  using RegFn = Tensor (*)(const Tensor&, const Tensor&, Reduction);
  auto regression = [&nn](const char* name, RegFn f, const char* doc) {
    nn.def(
        name,
        [f](const Tensor& input, const Tensor& target, const std::string& reduction) {
          const Reduction r = ax::parse_reduction(reduction);
          return maybe_release(work(input), [&] { return f(input, target, r); });
        },
        "input"_a, "target"_a, "reduction"_a = "mean", doc);
  };
  regression("mse_loss", &ax::mse_loss, "Mean squared error (fused forward and backward).");
  regression("l1_loss", &ax::l1_loss, "Mean absolute error (fused forward and backward).");
  using ParamFn = Tensor (*)(const Tensor&, const Tensor&, Reduction, double);
  auto with_param = [&nn](const char* name, const char* param, double def, ParamFn f,
                          const char* doc) {
    nn.def(
        name,
        [f](const Tensor& input, const Tensor& target, const std::string& reduction, double p) {
          const Reduction r = ax::parse_reduction(reduction);
          return maybe_release(work(input), [&] { return f(input, target, r, p); });
        },
        "input"_a, "target"_a, "reduction"_a = "mean", py::arg(param) = def, doc);
  };
  with_param("huber_loss", "delta", 1.0, &ax::huber_loss, "Huber loss (quadratic within delta).");
  with_param("smooth_l1_loss", "beta", 1.0, &ax::smooth_l1_loss,
             "Smooth L1 loss (quadratic within beta, divided by beta).");
  nn.def(
      "binary_cross_entropy",
      [](const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight,
         const std::string& reduction) {
        const Reduction r = ax::parse_reduction(reduction);
        return maybe_release(
            work(input), [&] { return ax::binary_cross_entropy(input, target, opt(weight), r); });
      },
      "input"_a, "target"_a, "weight"_a = py::none(), "reduction"_a = "mean",
      "Binary cross-entropy of probabilities (logs clamped at -100).");
  nn.def(
      "binary_cross_entropy_with_logits",
      [](const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight,
         const std::optional<Tensor>& pos_weight, const std::string& reduction) {
        const Reduction r = ax::parse_reduction(reduction);
        return maybe_release(work(input), [&] {
          return ax::binary_cross_entropy_with_logits(input, target, opt(weight), opt(pos_weight),
                                                      r);
        });
      },
      "input"_a, "target"_a, "weight"_a = py::none(), "pos_weight"_a = py::none(),
      "reduction"_a = "mean", "Numerically stable sigmoid + binary cross-entropy.");
  nn.def(
      "kl_div",
      [](const Tensor& input, const Tensor& target, const std::string& reduction, bool log_target) {
        const bool batchmean = reduction == "batchmean";
        const Reduction r = batchmean ? Reduction::Sum : ax::parse_reduction(reduction);
        return ax::kl_div(input, target, r, log_target, batchmean);
      },
      "input"_a, "target"_a, "reduction"_a = "mean", "log_target"_a = false,
      "Kullback-Leibler divergence of log-probabilities `input` from `target`.");
  nn.def(
      "multi_margin_loss",
      [](const Tensor& input, const Tensor& target, int64_t p, double margin,
         const std::optional<Tensor>& weight, const std::string& reduction) {
        return ax::multi_margin_loss(input, target, p, margin, opt(weight),
                                     ax::parse_reduction(reduction));
      },
      "input"_a, "target"_a, "p"_a = 1, "margin"_a = 1.0, "weight"_a = py::none(),
      "reduction"_a = "mean", "Weston-Watkins multi-class hinge loss (p = 1 or 2).");
  nn.def(
      "cosine_embedding_loss",
      [](const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
         const std::string& reduction) {
        return ax::cosine_embedding_loss(input1, input2, target, margin,
                                         ax::parse_reduction(reduction));
      },
      "input1"_a, "input2"_a, "target"_a, "margin"_a = 0.0, "reduction"_a = "mean",
      "1 - cos for target 1, max(0, cos - margin) for target -1.");
  auto cos_sim = [](const Tensor& x1, const Tensor& x2, int64_t dim, double eps) {
    return ax::cosine_similarity(x1, x2, dim, eps);
  };
  nn.def("cosine_similarity", cos_sim, "x1"_a, "x2"_a, "dim"_a = 1, "eps"_a = 1e-8,
         "Cosine similarity along dim, each norm clamped at eps.");
  m.def("cosine_similarity", cos_sim, "x1"_a, "x2"_a, "dim"_a = 1, "eps"_a = 1e-8,
        "Cosine similarity along dim, each norm clamped at eps.");
  nn.def(
      "normalize",
      [](const Tensor& input, double p, int64_t dim, double eps) {
        return ax::normalize(input, p, dim, eps);
      },
      "input"_a, "p"_a = 2.0, "dim"_a = 1, "eps"_a = 1e-12, "input / max(||input||_p, eps).");
}

}  // namespace axb
