"""RNN, LSTM and GRU layers (nn/modules/rnn.py) and the fused op ``_C._nn.rnn_layer``:
parity with PyTorch (outputs, final states, gradients for input, initial states and every
parameter) over a grid of configurations, ``lengths=`` and PackedSequence inputs against
PyTorch's packed sequences, PyTorch-saved weights, finite-difference gradchecks, thread
bit-identity and error messages."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import axonite as ax
from axonite import nn

torch = pytest.importorskip("torch")
# torch warns that its oneDNN path lacks projections (it falls back to its own kernel).
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections:UserWarning")

T_STEPS, BATCH, IN, HID = 5, 3, 4, 6
KINDS = {  # name -> (class name, extra constructor args)
    "rnn_tanh": ("RNN", {}),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
    "lstm": ("LSTM", {}),
    "lstm_proj": ("LSTM", {"proj_size": 3}),
    "gru": ("GRU", {}),
}
TOL = {"float64": {"rtol": 1e-9, "atol": 1e-11}, "float32": {"rtol": 2e-4, "atol": 2e-5}}


def to_ax(t, requires_grad: bool = False):
    a = ax.from_numpy(t.detach().numpy().copy())
    return a.requires_grad_(True) if requires_grad else a


def to_np(a) -> np.ndarray:
    return a.detach().numpy()


def make_pair(kind: str, dtype: str, **kw):
    """The same layer in torch and axonite, with torch's random weights copied over."""
    cls, extra = KINDS[kind]
    tm = getattr(torch.nn, cls)(IN, HID, **extra, **kw).to(getattr(torch, dtype))
    am = getattr(nn, cls)(IN, HID, **extra, **kw, dtype=getattr(ax, dtype))
    am.load_state_dict({k: to_ax(v) for k, v in tm.state_dict().items()})
    return tm, am


def states(kind: str, tm, batch: int, dtype: str):
    """Random initial states shaped as the layer expects: torch and axonite copies."""
    nd = 2 if tm.bidirectional else 1
    real = tm.proj_size if getattr(tm, "proj_size", 0) else tm.hidden_size
    h = torch.randn(tm.num_layers * nd, batch, real, dtype=getattr(torch, dtype))
    h.requires_grad_(True)
    if KINDS[kind][0] != "LSTM":
        return h, to_ax(h, True)
    c = torch.randn(tm.num_layers * nd, batch, tm.hidden_size, dtype=getattr(torch, dtype))
    c.requires_grad_(True)
    return (h, c), (to_ax(h, True), to_ax(c, True))


def scalar_loss(out, st, weights):
    """A loss that reaches every output element and state with a distinct weight."""
    parts = [out, *(st if isinstance(st, tuple) else (st,))]
    return sum((p * w).sum() for p, w in zip(parts, weights, strict=True))


def loss_weights(out, st):
    parts = [out, *(st if isinstance(st, tuple) else (st,))]
    return [torch.randn(p.shape, dtype=p.dtype) for p in parts]


def check_close(a, t, tol, what: str) -> None:
    np.testing.assert_allclose(to_np(a), t.detach().numpy(), **tol, err_msg=what)


def run_parity(kind, dtype, num_layers, bidirectional, batch_first, with_state, batch=BATCH):
    tm, am = make_pair(
        kind, dtype, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first
    )
    shape = (batch, T_STEPS, IN) if batch_first else (T_STEPS, batch, IN)
    x = torch.randn(*shape, dtype=getattr(torch, dtype), requires_grad=True)
    xa = to_ax(x, True)
    hx_t, hx_a = states(kind, tm, batch, dtype) if with_state else (None, None)
    out_t, st_t = tm(x, hx_t)
    out_a, st_a = am(xa, hx_a)
    tol = TOL[dtype]
    check_close(out_a, out_t, tol, "output")
    for i, (sa, st) in enumerate(
        zip(*[s if isinstance(s, tuple) else (s,) for s in (st_a, st_t)], strict=False)
    ):
        check_close(sa, st, tol, f"state {i}")
    w = loss_weights(out_t, st_t)
    scalar_loss(out_t, st_t, w).backward()
    scalar_loss(out_a, st_a, [to_ax(v) for v in w]).backward()
    check_close(xa.grad, x.grad, tol, "grad input")
    if with_state:
        pairs = zip(hx_a, hx_t, strict=False) if isinstance(hx_t, tuple) else [(hx_a, hx_t)]
        for i, (ha, ht) in enumerate(pairs):
            check_close(ha.grad, ht.grad, tol, f"grad initial state {i}")
    params = dict(am.named_parameters())
    assert list(params) == [n for n, _ in tm.named_parameters()]
    for name, p in tm.named_parameters():
        check_close(params[name].grad, p.grad, tol, f"grad {name}")


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(
    ("num_layers", "bidirectional", "batch_first", "with_state"),
    list(itertools.product([1, 2, 3], [False, True], [False, True], [False, True])),
)
def test_parity_float64(kind, num_layers, bidirectional, batch_first, with_state):
    run_parity(kind, "float64", num_layers, bidirectional, batch_first, with_state)


@pytest.mark.parametrize("kind", list(KINDS))
def test_parity_weight_gradients_by_chunk(kind):
    """Backward sums the weight and bias gradients by chunks of 256 rows (Note [Weight gradients
    by chunk], kernels/cpu/rnn.cpp): at batch 96 a chunk is 2 steps, so the 5 steps make chunks
    of 2, 2 and 1, in both directions."""
    run_parity(kind, "float64", 2, True, False, True, batch=96)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_parity_float32(kind, bidirectional):
    run_parity(kind, "float32", 2, bidirectional, True, True)


@pytest.mark.parametrize("kind", list(KINDS))
def test_unbatched_input_matches_torch(kind):
    tm, am = make_pair(kind, "float64", num_layers=2, bidirectional=True)
    x = torch.randn(T_STEPS, IN, dtype=torch.float64)
    hx_t, hx_a = states(kind, tm, 1, "float64")
    squeeze = (
        (lambda s: tuple(v[:, 0] for v in s)) if isinstance(hx_t, tuple) else (lambda s: s[:, 0])
    )
    out_t, st_t = tm(x, squeeze(hx_t))
    out_a, st_a = am(to_ax(x), squeeze(hx_a))
    assert tuple(out_a.shape) == tuple(out_t.shape)
    check_close(out_a, out_t, TOL["float64"], "output")
    for sa, st in zip(*[s if isinstance(s, tuple) else (s,) for s in (st_a, st_t)], strict=False):
        assert tuple(sa.shape) == tuple(st.shape)
        check_close(sa, st, TOL["float64"], "state")


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_lengths_match_torch_packed(kind, bidirectional, batch_first):
    """lengths= (unsorted) against torch's packed path: outputs per sequence, zero past each
    length, final states at each sequence's last step, and all gradients."""
    tm, am = make_pair(
        kind, "float64", num_layers=2, bidirectional=bidirectional, batch_first=batch_first
    )
    lengths = [3, 6, 1, 4]
    batch, steps = len(lengths), 6
    shape = (batch, steps, IN) if batch_first else (steps, batch, IN)
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    xa = to_ax(x, True)
    hx_t, hx_a = states(kind, tm, batch, "float64")
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False
    )
    out_p, st_t = tm(packed, hx_t)
    out_t, _ = torch.nn.utils.rnn.pad_packed_sequence(
        out_p, batch_first=batch_first, total_length=steps
    )
    out_a, st_a = am(xa, hx_a, lengths=ax.tensor(lengths, dtype=ax.int64))
    tol = TOL["float64"]
    for b, n in enumerate(lengths):  # per sequence: valid part equal, padding zero
        sel = (
            (slice(b, b + 1), slice(0, steps))
            if batch_first
            else (slice(0, steps), slice(b, b + 1))
        )
        ya, yt = to_np(out_a)[sel], out_t.detach().numpy()[sel]
        np.testing.assert_allclose(ya, yt, **tol)
        tail = ya[0, n:] if batch_first else ya[n:, 0]
        assert np.all(tail == 0.0)
    for sa, st in zip(*[s if isinstance(s, tuple) else (s,) for s in (st_a, st_t)], strict=False):
        check_close(sa, st, tol, "final state")
    w = loss_weights(out_t, st_t)
    scalar_loss(out_t, st_t, w).backward()
    scalar_loss(out_a, st_a, [to_ax(v) for v in w]).backward()
    check_close(xa.grad, x.grad, tol, "grad input")
    pairs = zip(hx_a, hx_t, strict=False) if isinstance(hx_t, tuple) else [(hx_a, hx_t)]
    for ha, ht in pairs:
        check_close(ha.grad, ht.grad, tol, "grad initial state")
    params = dict(am.named_parameters())
    for name, p in tm.named_parameters():
        check_close(params[name].grad, p.grad, tol, f"grad {name}")


def test_lengths_as_list_equals_full_length_run():
    _, am = make_pair("gru", "float64", bidirectional=True)
    x = ax.randn(5, 2, IN, dtype=ax.float64)
    out_full, h_full = am(x)
    out_len, h_len = am(x, lengths=[5, 5])
    np.testing.assert_array_equal(to_np(out_len), to_np(out_full))
    np.testing.assert_array_equal(to_np(h_len), to_np(h_full))


@pytest.mark.parametrize("kind", ["lstm", "gru", "lstm_proj"])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_packed_sequence_input_matches_torch(kind, enforce_sorted):
    from axonite.nn.utils.rnn import PackedSequence, pack_padded_sequence

    tm, am = make_pair(kind, "float64", num_layers=2, bidirectional=True)
    lengths = [5, 4, 2] if enforce_sorted else [2, 5, 4]
    x = torch.randn(5, 3, IN, dtype=torch.float64)
    hx_t, hx_a = states(kind, tm, 3, "float64")
    pt = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
    pa = pack_padded_sequence(to_ax(x), lengths, enforce_sorted=enforce_sorted)
    out_t, st_t = tm(pt, hx_t)
    out_a, st_a = am(pa, hx_a)
    assert isinstance(out_a, PackedSequence)
    check_close(out_a.data, out_t.data, TOL["float64"], "packed data")
    np.testing.assert_array_equal(out_a.batch_sizes.numpy(), out_t.batch_sizes.numpy())
    if enforce_sorted:
        assert out_a.sorted_indices is None
    else:
        np.testing.assert_array_equal(out_a.sorted_indices.numpy(), out_t.sorted_indices.numpy())
    for sa, st in zip(*[s if isinstance(s, tuple) else (s,) for s in (st_a, st_t)], strict=False):
        check_close(sa, st, TOL["float64"], "final state")


@pytest.mark.parametrize("kind", list(KINDS))
def test_dropout_eval_matches_torch_and_train_differs(kind):
    tm, am = make_pair(kind, "float64", num_layers=3, dropout=0.5)
    tm.eval()
    am.eval()
    x = torch.randn(T_STEPS, BATCH, IN, dtype=torch.float64)
    check_close(am(to_ax(x))[0], tm(x)[0], TOL["float64"], "eval output")
    am.train()
    ax.manual_seed(1)
    y1 = to_np(am(to_ax(x))[0])
    ax.manual_seed(1)
    y2 = to_np(am(to_ax(x))[0])
    np.testing.assert_array_equal(y1, y2)  # seeded dropout repeats
    assert not np.allclose(y1, tm(x)[0].detach().numpy())


def test_torch_saved_lstm_state_dict_loads(tmp_path):
    """An LSTM trained layout saved by torch (safetensors) loads through ax.load unchanged."""
    from safetensors.torch import save_file

    tm = torch.nn.LSTM(IN, HID, num_layers=2, bidirectional=True, proj_size=2, batch_first=True)
    path = tmp_path / "lstm.safetensors"
    save_file({k: v.contiguous() for k, v in tm.state_dict().items()}, str(path))
    am = nn.LSTM(IN, HID, num_layers=2, bidirectional=True, proj_size=2, batch_first=True)
    am.load_state_dict(ax.load(str(path)))
    assert list(am.state_dict()) == list(tm.state_dict())
    x = torch.randn(3, 7, IN)
    out_t, (h_t, c_t) = tm(x)
    out_a, (h_a, c_a) = am(to_ax(x))
    for a, t in ((out_a, out_t), (h_a, h_t), (c_a, c_t)):
        check_close(a, t, {"rtol": 1e-5, "atol": 1e-6}, "loaded lstm")


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("with_lengths", [False, True])
def test_fused_op_gradcheck(kind, reverse, with_lengths):
    """Finite differences in float64 on tiny sizes, for every input of the fused op."""
    mode = "lstm" if kind.startswith("lstm") else kind
    g = {"lstm": 4, "gru": 3}.get(mode, 1)
    steps, batch, i, h = 3, 2, 2, 3
    p = 2 if kind == "lstm_proj" else 0
    r = p or h

    def t(*shape):
        return ax.randn(*shape, dtype=ax.float64).requires_grad_(True)

    x, h0 = t(steps, batch, i), t(batch, r)
    c0 = t(batch, h) if mode == "lstm" else None
    w_ih, w_hh, b_ih, b_hh = t(g * h, i), t(g * h, r), t(g * h), t(g * h)
    w_hr = t(p, h) if p else None
    lengths = ax.tensor([2, 3], dtype=ax.int64) if with_lengths else None

    def fn(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
        return ax._C._nn.rnn_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, lengths, reverse)

    assert ax.autograd.gradcheck(fn, (x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr))


@pytest.mark.parametrize("kind", ["lstm", "lstm_proj", "gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("hidden", [64, 100])
@pytest.mark.parametrize("batch", [96, 40, 24])
def test_thread_count_bit_identical(kind, hidden, batch):
    """At 2 threads, with at least 16 rows per thread (batch 96: 48, 4 tiles of 12; batch 40:
    20, tiles of 10) forward and backward split the batch, each thread running the recurrence
    on its own rows, the backward's weight gradients meeting once per chunk of steps;
    otherwise (batch 24) each thread owns a slice of the hidden units in the time loop (100
    units: slices of 48 and 52, so a unit's activations land in a vector tail). Results must
    not change with the thread count. With a projection one thread runs the time loop but the
    rows of its gate passes split across threads."""
    cls, extra = KINDS[kind]
    am = getattr(nn, cls)(IN, hidden, **extra, num_layers=2, bidirectional=True)
    x = ax.randn(7, batch, IN)
    lengths = (np.arange(batch) % 7 + 1).tolist()
    before = ax.get_num_threads()
    results = []
    try:
        for n in (1, 2):
            ax.set_num_threads(n)
            xa = x.detach().requires_grad_(True)
            am.zero_grad()
            out, st = am(xa, lengths=lengths)
            hn = st[0] if isinstance(st, tuple) else st
            ((out * out).sum() + hn.sum()).backward()
            results.append(
                [to_np(out), to_np(hn), to_np(xa.grad)] + [to_np(q.grad) for q in am.parameters()]
            )
    finally:
        ax.set_num_threads(before)
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


def test_parameters_shapes_init_and_repr():
    m = nn.LSTM(10, 20, num_layers=2, bidirectional=True, proj_size=5, batch_first=True)
    tm = torch.nn.LSTM(10, 20, num_layers=2, bidirectional=True, proj_size=5, batch_first=True)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in tm.named_parameters()
    ]
    bound = 1 / np.sqrt(20)
    for p in m.parameters():
        v = to_np(p)
        assert v.min() >= -bound and v.max() <= bound and v.std() > bound / 4
    assert repr(m) == repr(tm)
    assert repr(nn.RNN(3, 4, 2, "relu", bias=False, dropout=0.5)) == repr(
        torch.nn.RNN(3, 4, 2, "relu", bias=False, dropout=0.5)
    )
    assert repr(nn.GRU(3, 4)) == "GRU(3, 4)"
    assert len(m.all_weights) == 4 and len(m.all_weights[0]) == 5
    no_bias = nn.GRU(3, 4, bias=False)
    assert [n for n, _ in no_bias.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]


def test_double_backward_raises_clear_error():
    m = nn.LSTM(IN, HID)
    x = ax.randn(3, 2, IN).requires_grad_(True)
    out, _ = m(x)
    with pytest.raises(RuntimeError, match="double backward through the fused LSTM/GRU"):
        ax.autograd.grad(out.sum(), [x], create_graph=True)
    (g,) = ax.autograd.grad(m(x)[0].sum(), [x])  # first-order gradients still work
    assert tuple(g.shape) == (3, 2, IN)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (
            lambda m: m(ax.randn(5, 2, 3)),
            ValueError,
            r"input.size\(-1\) must be equal to input_size. Expected 4, got 3",
        ),
        (lambda m: m(ax.randn(5, 2, 3, 4)), ValueError, "Expected input to be 2D or 3D, got 4D"),
        (lambda m: m(ax.randn(0, 2, 4)), ValueError, "sequence length to be larger than 0"),
        (
            lambda m: m(ax.randn(5, 2, 4, dtype=ax.float64)),
            TypeError,
            "does not match weight dtype",
        ),
        (
            lambda m: m(ax.randn(5, 2, 4), (ax.zeros(1, 3, 6), ax.zeros(1, 2, 6))),
            ValueError,
            r"Expected hx\[0\] size \(1, 2, 6\), got \[1, 3, 6\]",
        ),
        (
            lambda m: m(ax.randn(5, 2, 4), (ax.zeros(1, 2, 6), ax.zeros(2, 2, 6))),
            ValueError,
            r"Expected hx\[1\] size",
        ),
        (lambda m: m(ax.randn(5, 2, 4), ax.zeros(1, 2, 6)), TypeError, "hx must be a tuple"),
        (
            lambda m: m(ax.randn(5, 2, 4), lengths=[6, 2]),
            ValueError,
            r"every length must lie in \[1, 5\]",
        ),
        (
            lambda m: m(ax.randn(5, 2, 4), lengths=[0, 2]),
            ValueError,
            r"every length must lie in \[1, 5\]",
        ),
        (
            lambda m: m(ax.randn(5, 2, 4), lengths=[3]),
            ValueError,
            r"one length per sequence, shape \(2,\)",
        ),
        (lambda m: m(ax.randn(5, 2, 4), lengths=[1.5, 2.0]), TypeError, "lengths must be"),
        (lambda m: m(ax.randn(5, 4), lengths=[3]), ValueError, "needs a batched"),
    ],
)
def test_layer_errors(call, exc, match):
    m = nn.LSTM(4, 6)
    with pytest.raises(exc, match=match) as info:
        call(m)
    assert "LSTM" in str(info.value)


def test_shape_errors_are_also_runtime_errors_like_torch():
    with pytest.raises(RuntimeError, match="GRU: Expected hx size"):
        nn.GRU(4, 6)(ax.randn(5, 2, 4), ax.zeros(1, 3, 6))


@pytest.mark.parametrize(
    ("ctor", "exc", "match"),
    [
        (lambda: nn.GRU(4, 6, proj_size=2), ValueError, "only supported for LSTM"),
        (lambda: nn.LSTM(4, 6, proj_size=6), ValueError, "has to be smaller than hidden_size"),
        (lambda: nn.LSTM(4, 6, dropout=1.5), ValueError, "dropout should be a number in range"),
        (lambda: nn.RNN(4, 6, nonlinearity="gelu"), ValueError, "Unknown nonlinearity"),
        (lambda: nn.LSTM(4, 0), ValueError, "hidden_size must be at least 1"),
        (lambda: nn.LSTM(4, 6.0), TypeError, "hidden_size should be of type int"),
    ],
)
def test_constructor_errors(ctor, exc, match):
    with pytest.raises(exc, match=match):
        ctor()


def test_fused_op_errors():
    x, h0 = ax.randn(3, 2, 4), ax.zeros(2, 5)
    w_ih, w_hh = ax.randn(20, 4), ax.randn(20, 5)
    op = ax._C._nn.rnn_layer
    with pytest.raises(ValueError, match="rnn_layer: mode must be"):
        op("lstmx", x, h0, ax.zeros(2, 5), w_ih, w_hh)
    with pytest.raises(ValueError, match=r"rnn_layer: c0 is required"):
        op("lstm", x, h0, None, w_ih, w_hh)
    with pytest.raises(
        ValueError, match=r"rnn_layer: expected w_ih of shape \[20, 4\], got \[20, 3\]"
    ):
        op("lstm", x, h0, ax.zeros(2, 5), ax.randn(20, 3), w_hh)
    with pytest.raises(ValueError, match=r"lengths\[1\] = 4 is outside \[1, 3\]"):
        op("lstm", x, h0, ax.zeros(2, 5), w_ih, w_hh, lengths=ax.tensor([1, 4], dtype=ax.int64))
    with pytest.raises(TypeError, match="rnn_layer: h0 has dtype float64"):
        op("gru", x, ax.zeros(2, 5, dtype=ax.float64), None, ax.randn(15, 4), ax.randn(15, 5))


@pytest.mark.parametrize("kind", ["lstm", "gru", "lstm_proj"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_parity_large_hidden(kind, dtype):
    """Sizes past the packed-weight GEMM's blocking: several K blocks (G*H = 640 > kc), many
    row tiles with a remainder (B = 20) and column panels with a partial last one."""
    cls, extra = KINDS[kind]
    tm = getattr(torch.nn, cls)(IN, 160, **extra).to(getattr(torch, dtype))
    am = getattr(nn, cls)(IN, 160, **extra, dtype=getattr(ax, dtype))
    am.load_state_dict({k: to_ax(v) for k, v in tm.state_dict().items()})
    x = torch.randn(4, 20, IN, dtype=getattr(torch, dtype), requires_grad=True)
    xa = to_ax(x, True)
    out_t, st_t = tm(x)
    out_a, st_a = am(xa)
    tol = TOL[dtype] if dtype == "float64" else {"rtol": 1e-3, "atol": 1e-4}
    check_close(out_a, out_t, tol, "output")
    w = loss_weights(out_t, st_t)
    scalar_loss(out_t, st_t, w).backward()
    scalar_loss(out_a, st_a, [to_ax(v) for v in w]).backward()
    check_close(xa.grad, x.grad, tol, "grad input")
    params = dict(am.named_parameters())
    for name, p in tm.named_parameters():
        check_close(params[name].grad, p.grad, tol, f"grad {name}")


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_bias_and_input_without_grad(kind):
    """bias=False layers, and an input that needs no gradient (only the weights get one)."""
    tm, am = make_pair(kind, "float64", num_layers=2, bias=False, bidirectional=True)
    x = torch.randn(T_STEPS, BATCH, IN, dtype=torch.float64)
    out_t, _ = tm(x)
    out_a, _ = am(to_ax(x))
    check_close(out_a, out_t, TOL["float64"], "output")
    w = torch.randn(out_t.shape, dtype=torch.float64)
    (out_t * w).sum().backward()
    (out_a * to_ax(w)).sum().backward()
    params = dict(am.named_parameters())
    assert len(params) == (12 if kind == "lstm_proj" else 8)
    for name, p in tm.named_parameters():
        check_close(params[name].grad, p.grad, TOL["float64"], f"grad {name}")
