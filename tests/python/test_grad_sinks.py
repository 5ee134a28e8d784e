"""Gradient sinks (Note [Gradient sinks], autograd/engine.h): when a weight's `.grad` already
exists, linear, LSTMCell and GRUCell add their weight-gradient GEMM straight into it instead of
returning dW for AccumulateGrad to add. Every case here checks that the result is what separate
backward passes summed in float64 give, and that the cases the engine must not fuse (hooks,
inputs=, autograd.grad, create_graph, odd .grad layouts, a .grad the kernel reads) still see
exactly PyTorch's semantics."""

from __future__ import annotations

import numpy as np
import pytest

import axonite as ax
import axonite.nn.functional as F

RNG = np.random.default_rng(0)


def arr(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def t(a: np.ndarray, grad: bool = False) -> ax.Tensor:
    return ax.tensor(a, dtype=ax.float64, requires_grad=grad)


def run_linear(x: np.ndarray, w: ax.Tensor, b: ax.Tensor) -> None:
    (F.linear(t(x), w, b) ** 2).sum().backward()


def run_lstm_cell(x: np.ndarray, cell: ax.nn.LSTMCell, hc: tuple[np.ndarray, np.ndarray]) -> None:
    h, c = cell(t(x), (t(hc[0]), t(hc[1])))
    (h * h + c).sum().backward()


def run_gru_cell(x: np.ndarray, cell: ax.nn.GRUCell, h: np.ndarray) -> None:
    (cell(t(x), t(h)) ** 2).sum().backward()


def fresh_grads(params: list[ax.Tensor], run) -> list[np.ndarray]:
    """The gradients of one backward pass alone (no .grad defined, so nothing is fused)."""
    for p in params:
        p.grad = None
    run()
    return [p.grad.numpy().copy() for p in params]


def check_accumulates(params: list[ax.Tensor], runs: list) -> None:
    want = [sum(g) for g in zip(*(fresh_grads(params, r) for r in runs), strict=True)]
    for p in params:
        p.grad = None
    for r in runs:
        r()
    for p, w in zip(params, want, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), w, rtol=1e-12, atol=1e-12)


def test_linear_weight_grad_accumulates_across_passes() -> None:
    w, b = t(arr(5, 4), True), t(arr(5), True)
    xs = [arr(3, 4), arr(7, 4), arr(2, 4)]
    check_accumulates([w, b], [lambda x=x: run_linear(x, w, b) for x in xs])


def test_cells_accumulate_across_passes_and_shared_steps() -> None:
    lstm = ax.nn.LSTMCell(3, 4).double()
    gru = ax.nn.GRUCell(3, 4).double()
    xs = [(arr(2, 3), arr(2, 4), arr(2, 4)), (arr(5, 3), arr(5, 4), arr(5, 4))]
    check_accumulates(
        list(lstm.parameters()), [lambda v=v: run_lstm_cell(v[0], lstm, v[1:]) for v in xs]
    )
    check_accumulates(
        list(gru.parameters()), [lambda v=v: run_gru_cell(v[0], gru, v[1]) for v in xs]
    )

    # The same cell over several steps of one graph: each step's node adds into the same .grad.
    def unrolled() -> None:
        h = t(arr(2, 4))
        for _ in range(4):
            h = gru(t(arr(2, 3)), h)
        (h**2).sum().backward()

    state = RNG.bit_generator.state
    first = fresh_grads(list(gru.parameters()), unrolled)
    RNG.bit_generator.state = state
    gru.zero_grad(set_to_none=False)  # zeros: fused from the first pass on
    unrolled()
    for p, w in zip(gru.parameters(), first, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_recurrent_layers_accumulate_across_passes(kind: str) -> None:
    """The fused layer's whole-sequence weight-gradient GEMMs (and the projection's) sum into
    the existing .grad; a bidirectional layer has a node per direction."""
    kw = {"proj_size": 3} if kind == "LSTM" else {}
    layer = getattr(ax.nn, kind)(3, 5, bidirectional=True, **kw).double()
    xs = [arr(4, 2, 3), arr(6, 2, 3)]

    def run(x: np.ndarray) -> None:
        (layer(t(x))[0] ** 2).sum().backward()

    check_accumulates(list(layer.parameters()), [lambda x=x: run(x) for x in xs])


def test_fused_accumulation_matches_torch_float32(torch) -> None:
    """An LSTMCell step at batch 1, three backward passes into the same .grad, against torch."""
    tc, ac = torch.nn.LSTMCell(16, 32), ax.nn.LSTMCell(16, 32)
    ac.load_state_dict({k: ax.tensor(v.detach().numpy()) for k, v in tc.state_dict().items()})
    for _ in range(3):
        x, h, c = (RNG.standard_normal(s).astype(np.float32) for s in ((1, 16), (1, 32), (1, 32)))
        ta = tc(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))[0].sum()
        aa = ac(ax.tensor(x), (ax.tensor(h), ax.tensor(c)))[0].sum()
        ta.backward()
        aa.backward()
    for (name, tp), ap in zip(tc.named_parameters(), ac.parameters(), strict=True):
        np.testing.assert_allclose(
            ap.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name
        )


def test_held_grad_reference_sees_in_place_accumulation_as_in_torch(torch) -> None:
    """torch adds into an existing .grad in place, so a reference taken earlier sees the sum."""
    x = arr(3, 4)
    tw = torch.tensor(arr(5, 4), requires_grad=True)
    aw = t(tw.detach().numpy(), True)
    for w, lib in ((tw, torch), (aw, ax)):
        lib.nn.functional.linear(lib.tensor(x, dtype=w.dtype), w).sum().backward()
    held_t, held_a = tw.grad, aw.grad
    for w, lib in ((tw, torch), (aw, ax)):
        lib.nn.functional.linear(lib.tensor(x, dtype=w.dtype), w).sum().backward()
    assert (held_t is tw.grad) and (held_a is aw.grad)
    np.testing.assert_allclose(held_a.numpy(), held_t.numpy(), rtol=1e-12)


def test_leaf_hook_sees_each_pass_gradient_alone() -> None:
    w = t(arr(5, 4), True)
    x = arr(3, 4)
    seen = []
    w.register_hook(lambda g: seen.append(g.numpy().copy()))
    run_linear(x, w, None)
    run_linear(x, w, None)
    assert len(seen) == 2
    np.testing.assert_allclose(seen[1], seen[0], rtol=1e-12)  # not the running sum
    np.testing.assert_allclose(w.grad.numpy(), 2 * seen[0], rtol=1e-12)


def test_backward_inputs_and_autograd_grad_leave_other_grads_alone() -> None:
    w, b = t(arr(5, 4), True), t(arr(5), True)
    x = arr(3, 4)
    run_linear(x, w, b)
    w0, b0 = w.grad.numpy().copy(), b.grad.numpy().copy()
    (F.linear(t(x), w, b) ** 2).sum().backward(inputs=[b])
    np.testing.assert_array_equal(w.grad.numpy(), w0)  # w was not in inputs=
    np.testing.assert_allclose(b.grad.numpy(), 2 * b0, rtol=1e-12)
    (gw,) = ax.autograd.grad((F.linear(t(x), w, b) ** 2).sum(), [w])
    np.testing.assert_array_equal(w.grad.numpy(), w0)  # grad() never touches .grad
    np.testing.assert_allclose(gw.numpy(), w0, rtol=1e-12)


def test_create_graph_accumulation_keeps_history() -> None:
    w = t(arr(3, 2), True)
    x = t(arr(4, 2))
    (F.linear(x, w) ** 2).sum().backward()
    g1 = w.grad.numpy().copy()
    (F.linear(x, w) ** 2).sum().backward(create_graph=True)
    assert w.grad.requires_grad  # the second pass's part is differentiable
    np.testing.assert_allclose(w.grad.detach().numpy(), 2 * g1, rtol=1e-12)


@pytest.mark.parametrize("layout", ["transposed", "aliases_input", "offset_view"])
def test_unusual_grads_accumulate_correctly(layout: str) -> None:
    """A .grad the GEMM cannot write in place (non-contiguous, or the storage of a tensor the
    backward still reads) goes through AccumulateGrad; a contiguous view with an offset into a
    larger buffer is written in place. Either way the sum is right."""
    w = t(arr(4, 4), True)
    g0 = arr(4, 4)
    x = t(arr(3, 4))
    if layout == "transposed":
        w.grad = t(g0.T.copy()).t()
    elif layout == "aliases_input":
        w.grad = t(g0)
        x = w.grad[:3]  # the backward reads x while the weight gradient is summed
    else:
        buf = t(np.concatenate([np.zeros(5), g0.ravel()]))
        w.grad = buf[5:].view(4, 4)
    x_np = x.numpy().copy()
    dw = fresh_grads([w], lambda: (F.linear(t(x_np), w) ** 2).sum().backward())[0]
    if layout == "transposed":
        w.grad = t(g0.T.copy()).t()
    elif layout == "aliases_input":
        w.grad = t(g0)
        x = w.grad[:3]
    else:
        buf = t(np.concatenate([np.zeros(5), g0.ravel()]))
        w.grad = buf[5:].view(4, 4)
    held = w.grad
    (F.linear(x, w) ** 2).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), g0 + dw, rtol=1e-12, atol=1e-12)
    if layout == "offset_view":  # summed in place, as AccumulateGrad's add_ would
        assert w.grad is held
        np.testing.assert_array_equal(buf[:5].numpy(), np.zeros(5))
