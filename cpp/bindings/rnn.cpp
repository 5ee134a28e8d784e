// Binding for the fused recurrent layer op on the private submodule axonite._C._nn:
// rnn_layer. axonite.nn.RNN, LSTM and GRU (python/axonite/nn/modules/rnn.py) call it once per
// layer and direction; no math here.
#include "axonite/ops/rnn.h"

#include <string>

#include "bindings/common.h"

namespace axb {
namespace {

using OptTensor = std::optional<Tensor>;
Tensor opt(const OptTensor& t) { return t ? *t : Tensor(); }

}  // namespace

void register_rnn(py::module_& m, py::module_& nn, Class& cls) {
  (void)m;
  (void)cls;
  nn.def(
      "rnn_layer",
      [](const std::string& mode, const Tensor& x, const Tensor& h0, const OptTensor& c0,
         const Tensor& w_ih, const Tensor& w_hh, const OptTensor& b_ih, const OptTensor& b_hh,
         const OptTensor& w_hr, const OptTensor& lengths, bool reverse) {
        // Work: every step touches all gate values of the batch (GEMMs over I and H).
        const int64_t work = x.numel() + w_hh.numel() * (x.dim() == 3 ? x.size(0) : 1);
        const ax::TensorList out = maybe_release(work, [&] {
          return ax::rnn_layer(mode, x, h0, opt(c0), w_ih, w_hh, opt(b_ih), opt(b_hh), opt(w_hr),
                               opt(lengths), reverse);
        });
        return py::tuple(py::cast(out));
      },
      "mode"_a, "x"_a, "h0"_a, "c0"_a = py::none(), "w_ih"_a, "w_hh"_a, "b_ih"_a = py::none(),
      "b_hh"_a = py::none(), "w_hr"_a = py::none(), "lengths"_a = py::none(), "reverse"_a = false,
      "One recurrent layer, one direction, whole sequence: mode rnn_tanh|rnn_relu|lstm|gru, "
      "x (T, B, I), h0 (B, R), c0 (B, H) for lstm -> (y (T, B, R), h_n (B, R)[, c_n (B, H)]); "
      "lengths (B,) int64 freezes each row after its last valid step; reverse walks T-1..0.");
}

}  // namespace axb
