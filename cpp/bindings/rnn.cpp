// Bindings for the fused recurrent ops on the private submodule axonite._C._nn: rnn_layer and
// rnn_layer_directions (axonite.nn.RNN, LSTM and GRU in python/axonite/nn/modules/rnn.py call
// one of them per layer) and lstm_cell / gru_cell (LSTMCell and GRUCell, rnn_cell.py); no math
// here.
#include "axonite/ops/rnn.h"

#include <string>
#include <tuple>
#include <vector>

#include "axonite/ops/rnn_cell.h"
#include "bindings/common.h"

namespace axb {
namespace {

using OptTensor = std::optional<Tensor>;
Tensor opt(const OptTensor& t) { return t ? *t : Tensor(); }
// One direction's arguments of rnn_layer_directions, as Python passes them.
using Direction =
    std::tuple<Tensor, OptTensor, Tensor, Tensor, OptTensor, OptTensor, OptTensor, bool>;

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
  nn.def(
      "rnn_layer_directions",
      [](const std::string& mode, const Tensor& x, const std::vector<Direction>& dirs,
         const OptTensor& lengths) {
        std::vector<ax::RnnDirection> ds;
        int64_t work = 0;
        for (const auto& [h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse] : dirs) {
          ds.push_back({h0, opt(c0), w_ih, w_hh, opt(b_ih), opt(b_hh), opt(w_hr), reverse});
          work += x.numel() + w_hh.numel() * (x.dim() == 3 ? x.size(0) : 1);
        }
        const ax::TensorList out = maybe_release(
            work, [&] { return ax::rnn_layer_directions(mode, x, ds, opt(lengths)); });
        return py::tuple(py::cast(out));
      },
      "mode"_a, "x"_a, "directions"_a, "lengths"_a = py::none(),
      "rnn_layer for each direction of a bidirectional layer over the same x: directions is a "
      "list of (h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse) -> the outputs of each in turn.");
  nn.def(
      "lstm_cell",
      [](const Tensor& x, const Tensor& h, const Tensor& c, const Tensor& w_ih, const Tensor& w_hh,
         const OptTensor& b_ih, const OptTensor& b_hh) {
        const int64_t work = (x.numel() + h.numel()) * (w_hh.dim() == 2 ? w_hh.size(0) : 1);
        const ax::TensorList out = maybe_release(
            work, [&] { return ax::lstm_cell(x, h, c, w_ih, w_hh, opt(b_ih), opt(b_hh)); });
        return py::make_tuple(out[0], out[1]);
      },
      "x"_a, "h"_a, "c"_a, "w_ih"_a, "w_hh"_a, "b_ih"_a = py::none(), "b_hh"_a = py::none(),
      "One LSTM cell step: x (N, I), h and c (N, H), w_ih (4H, I), w_hh (4H, H) -> (h', c').");
  nn.def(
      "gru_cell",
      [](const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh,
         const OptTensor& b_ih, const OptTensor& b_hh) {
        const int64_t work = (x.numel() + h.numel()) * (w_hh.dim() == 2 ? w_hh.size(0) : 1);
        return maybe_release(work,
                             [&] { return ax::gru_cell(x, h, w_ih, w_hh, opt(b_ih), opt(b_hh)); });
      },
      "x"_a, "h"_a, "w_ih"_a, "w_hh"_a, "b_ih"_a = py::none(), "b_hh"_a = py::none(),
      "One GRU cell step: x (N, I), h (N, H), w_ih (3H, I), w_hh (3H, H) -> h'.");
}

}  // namespace axb
