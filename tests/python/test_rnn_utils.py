"""Sequence utilities of issue 6: PackedSequence tools (parity with torch.nn.utils.rnn), the
recurrent cells (parity with torch.nn.*Cell, gradcheck, create_graph), BucketBatchSampler,
ax.text (Vocab, tokenizer, LM batching) and the truncated-BPTT helpers."""

from __future__ import annotations

import numpy as np
import pytest

import axonite as ax
import axonite.nn.functional as F
from axonite.nn.utils import rnn as R
from axonite.nn.utils.tbptt import detach_state, tbptt_chunks
from axonite.text import Vocab, batchify, bptt_batches, char_vocab, tokenize_words
from axonite.utils.data import BucketBatchSampler, DataLoader, TensorDataset

# ---------------------------------------------------------------- packing and padding

PACK_CASES = [
    # (lengths, total steps T, enforce_sorted)
    ([4, 3, 3, 1], 4, True),
    ([5], 7, True),
    ([2, 2, 2], 2, True),
    ([2, 6, 1, 4, 6], 6, False),
    ([1, 1, 3], 5, False),
    ([3, 1, 2], 3, False),
]


def _pack_pair(torch, lengths, steps, enforce_sorted, batch_first, feat=(3,), dtype="float64"):
    rng = np.random.default_rng(len(lengths) * 10 + steps)
    shape = (len(lengths), steps, *feat) if batch_first else (steps, len(lengths), *feat)
    x = rng.standard_normal(shape).astype(dtype)
    ax_x = ax.tensor(x, requires_grad=True)
    th_x = torch.tensor(x, requires_grad=True)
    p = R.pack_padded_sequence(
        ax_x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted
    )
    tp = torch.nn.utils.rnn.pack_padded_sequence(
        th_x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce_sorted
    )
    return ax_x, th_x, p, tp


def _same_index(a, b) -> None:
    if b is None:
        assert a is None
    else:
        assert a.dtype == ax.int64
        assert a.tolist() == b.tolist()


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize(("lengths", "steps", "enforce_sorted"), PACK_CASES)
def test_pack_pad_roundtrip_matches_torch(torch, lengths, steps, enforce_sorted, batch_first):
    ax_x, th_x, p, tp = _pack_pair(torch, lengths, steps, enforce_sorted, batch_first)
    np.testing.assert_array_equal(p.data.detach().numpy(), tp.data.detach().numpy())
    assert p.batch_sizes.dtype == ax.int64
    assert p.batch_sizes.tolist() == tp.batch_sizes.tolist()
    _same_index(p.sorted_indices, tp.sorted_indices)
    _same_index(p.unsorted_indices, tp.unsorted_indices)
    for total_length in (None, steps + 2):
        out, lens = R.pad_packed_sequence(
            p, batch_first=batch_first, padding_value=-3.5, total_length=total_length
        )
        t_out, t_lens = torch.nn.utils.rnn.pad_packed_sequence(
            tp, batch_first=batch_first, padding_value=-3.5, total_length=total_length
        )
        np.testing.assert_array_equal(out.detach().numpy(), t_out.detach().numpy())
        assert lens.dtype == ax.int64
        assert lens.tolist() == t_lens.tolist()
    # Gradients through pack -> pad: weights make every position's gradient distinct.
    w = np.arange(out.numel(), dtype=np.float64).reshape(list(out.shape))
    (out * ax.tensor(w)).sum().backward()
    (t_out * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(ax_x.grad.numpy(), th_x.grad.numpy())


@pytest.mark.parametrize("seed", range(12))
def test_pack_pad_random_cases_match_torch(torch, seed) -> None:
    rng = np.random.default_rng(100 + seed)
    batch, steps = int(rng.integers(1, 7)), int(rng.integers(1, 9))
    lengths = rng.integers(1, steps + 1, batch).tolist()
    enforce_sorted = bool(seed % 2)
    if enforce_sorted:
        lengths.sort(reverse=True)
    batch_first = seed % 4 >= 2
    ax_x, th_x, p, tp = _pack_pair(torch, lengths, steps, enforce_sorted, batch_first)
    np.testing.assert_array_equal(p.data.detach().numpy(), tp.data.detach().numpy())
    out, lens = R.pad_packed_sequence(p, batch_first, 1.5, steps + 1)
    t_out, t_lens = torch.nn.utils.rnn.pad_packed_sequence(tp, batch_first, 1.5, steps + 1)
    np.testing.assert_array_equal(out.detach().numpy(), t_out.detach().numpy())
    assert lens.tolist() == t_lens.tolist()
    out.pow(2).sum().backward()
    t_out.pow(2).sum().backward()
    np.testing.assert_array_equal(ax_x.grad.numpy(), th_x.grad.numpy())


def test_pack_float32_and_extra_feature_dims(torch) -> None:
    _, _, p, tp = _pack_pair(torch, [3, 1, 2], 3, False, True, feat=(2, 2), dtype="float32")
    assert p.data.dtype == ax.float32
    assert list(p.data.shape) == [6, 2, 2]
    np.testing.assert_array_equal(p.data.detach().numpy(), tp.data.detach().numpy())


def test_pack_accepts_tensor_lengths() -> None:
    x = ax.randn(4, 2, 3)
    p1 = R.pack_padded_sequence(x, ax.tensor([4, 2]))
    p2 = R.pack_padded_sequence(x, [4, 2])
    assert p1.batch_sizes.tolist() == [2, 2, 1, 1]
    assert p1.data.tolist() == p2.data.tolist()


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(torch, batch_first, padding_side) -> None:
    rng = np.random.default_rng(1)
    seqs = [rng.standard_normal((n, 2, 3)) for n in (3, 5, 1, 5)]
    ax_seqs = [ax.tensor(s, requires_grad=True) for s in seqs]
    th_seqs = [torch.tensor(s, requires_grad=True) for s in seqs]
    out = R.pad_sequence(ax_seqs, batch_first, 7.0, padding_side)
    t_out = torch.nn.utils.rnn.pad_sequence(th_seqs, batch_first, 7.0, padding_side)
    np.testing.assert_array_equal(out.detach().numpy(), t_out.detach().numpy())
    w = rng.standard_normal(tuple(out.shape))
    (out * ax.tensor(w)).sum().backward()
    (t_out * torch.tensor(w)).sum().backward()
    for a, t in zip(ax_seqs, th_seqs, strict=True):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=0, atol=1e-12)


def test_pad_sequence_int_and_single() -> None:
    out = R.pad_sequence([ax.tensor([1, 2, 3]), ax.tensor([4])], batch_first=True, padding_value=-1)
    assert out.dtype == ax.int64
    assert out.tolist() == [[1, 2, 3], [4, -1, -1]]
    assert R.pad_sequence([ax.tensor([1.0, 2.0])]).tolist() == [[1.0], [2.0]]


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack_sequence(torch, enforce_sorted) -> None:
    rng = np.random.default_rng(2)
    lens = (5, 3, 3, 2) if enforce_sorted else (2, 5, 3, 1)
    seqs = [rng.standard_normal((n, 4)) for n in lens]
    p = R.pack_sequence([ax.tensor(s) for s in seqs], enforce_sorted=enforce_sorted)
    tp = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted)
    np.testing.assert_array_equal(p.data.numpy(), tp.data.numpy())
    assert p.batch_sizes.tolist() == tp.batch_sizes.tolist()
    back = R.unpack_sequence(p)
    assert [list(b.shape) for b in back] == [[n, 4] for n in lens]
    for b, s in zip(back, seqs, strict=True):
        np.testing.assert_array_equal(b.numpy(), s)


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence_matches_torch(torch, batch_first) -> None:
    x = np.random.default_rng(3).standard_normal((3, 4, 2) if batch_first else (4, 3, 2))
    lens = [4, 1, 3]
    ours = R.unpad_sequence(ax.tensor(x), ax.tensor(lens), batch_first)
    theirs = torch.nn.utils.rnn.unpad_sequence(torch.tensor(x), torch.tensor(lens), batch_first)
    for a, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a.numpy(), t.numpy())


def test_packed_sequence_is_a_tuple_and_converts() -> None:
    p = R.pack_sequence([ax.ones(2, 3), ax.ones(1, 3)])
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert batch_sizes.tolist() == [2, 1]
    assert sorted_indices is None
    assert unsorted_indices is None
    d = p.to(ax.float64)
    assert isinstance(d, R.PackedSequence)
    assert d.data.dtype == ax.float64
    assert d.batch_sizes.dtype == ax.int64
    assert p.double().data.dtype == ax.float64
    assert p.to(ax.float32) is p
    q = R.PackedSequence(data, batch_sizes, ax.tensor([1, 0]))
    assert q.unsorted_indices.tolist() == [1, 0]
    assert R.invert_permutation(ax.tensor([2, 0, 1])).tolist() == [1, 2, 0]


def test_pack_padded_sequence_gradcheck() -> None:
    x = ax.randn(4, 3, 2, dtype=ax.float64, requires_grad=True)

    def f(x):
        p = R.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
        out, _ = R.pad_packed_sequence(p, batch_first=True)
        return (out * out).sum(dim=2)

    assert ax.autograd.gradcheck(f, (x,))


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"lengths": [2, 3]}, ValueError, "sorted in decreasing order.*enforce_sorted=False"),
        ({"lengths": [5, 3]}, ValueError, "longer than the 4 time steps"),
        ({"lengths": [3, 0]}, ValueError, "at least 1"),
        ({"lengths": [3]}, ValueError, "expected 2 lengths"),
        ({"lengths": [3.0, 2.0]}, TypeError, "lengths must hold integers"),
        ({"lengths": [[3, 2]]}, ValueError, "lengths must be 1-D"),
    ],
)
def test_pack_padded_sequence_errors(kwargs, exc, match) -> None:
    with pytest.raises(exc, match=f"pack_padded_sequence: .*{match}"):
        R.pack_padded_sequence(ax.randn(4, 2, 3), **kwargs)


def test_length_and_shape_errors_are_also_runtime_errors_as_in_torch() -> None:
    # PyTorch raises RuntimeError for these; axonite's are ValueErrors that are both.
    with pytest.raises(RuntimeError, match="enforce_sorted"):
        R.pack_padded_sequence(ax.randn(3, 2, 1), [1, 3])
    with pytest.raises(RuntimeError, match="inconsistent input_size"):
        ax.nn.GRUCell(2, 3)(ax.randn(1, 4))
    with pytest.raises(RuntimeError, match="Expected hx of shape"):
        ax.nn.RNNCell(2, 3)(ax.randn(1, 2), ax.randn(2, 3))


def test_pad_and_pack_errors() -> None:
    p = R.pack_sequence([ax.ones(3, 2), ax.ones(2, 2)])
    with pytest.raises(ValueError, match=r"pad_packed_sequence: .*total_length.*\(3\).*=2"):
        R.pad_packed_sequence(p, total_length=2)
    with pytest.raises(TypeError, match="pad_packed_sequence: sequence must be a PackedSequence"):
        R.pad_packed_sequence(ax.ones(3, 2))
    with pytest.raises(ValueError, match=r"pad_sequence: .*sequences\[1\] is \[2, 3\]"):
        R.pad_sequence([ax.ones(2, 2), ax.ones(2, 3)])
    with pytest.raises(ValueError, match="pad_sequence: sequences must hold at least one"):
        R.pad_sequence([])
    with pytest.raises(ValueError, match="pad_sequence: padding_side must be"):
        R.pad_sequence([ax.ones(2)], padding_side="top")
    with pytest.raises(ValueError, match="pack_padded_sequence: lengths must be sorted"):
        R.pack_sequence([ax.ones(1, 2), ax.ones(2, 2)])
    with pytest.raises(ValueError, match=r"unpad_sequence: lengths .* do not fit"):
        R.unpad_sequence(ax.ones(3, 2), [4, 1])


# ---------------------------------------------------------------- cells

CELLS = {
    "rnn_tanh": (ax.nn.RNNCell, "RNNCell", {}),
    "rnn_relu": (ax.nn.RNNCell, "RNNCell", {"nonlinearity": "relu"}),
    "lstm": (ax.nn.LSTMCell, "LSTMCell", {}),
    "gru": (ax.nn.GRUCell, "GRUCell", {}),
}


def _cell_pair(torch, name, bias, dtype):
    ax_cls, th_name, kwargs = CELLS[name]
    cell = ax_cls(5, 4, bias=bias, dtype=dtype, **kwargs)
    th_cell = getattr(torch.nn, th_name)(5, 4, bias=bias, **kwargs).to(
        torch.float64 if dtype == ax.float64 else torch.float32
    )
    with torch.no_grad():
        for pname, p in cell.named_parameters():
            getattr(th_cell, pname).copy_(torch.from_numpy(p.detach().numpy().copy()))
    return cell, th_cell


def _flat(out):
    return list(out) if isinstance(out, tuple) else [out]


@pytest.mark.parametrize("name", list(CELLS))
@pytest.mark.parametrize("dtype", [ax.float64, ax.float32])
@pytest.mark.parametrize("mode", ["batched", "unbatched", "no_hx", "no_bias"])
def test_cell_matches_torch(torch, name, dtype, mode) -> None:
    cell, th_cell = _cell_pair(torch, name, mode != "no_bias", dtype)
    np_dtype = np.float64 if dtype == ax.float64 else np.float32
    rng = np.random.default_rng(4)
    batch = () if mode == "unbatched" else (3,)
    x = rng.standard_normal((*batch, 5)).astype(np_dtype)
    states = [] if mode == "no_hx" else [rng.standard_normal((*batch, 4)).astype(np_dtype)]
    if name == "lstm" and states:
        states.append(rng.standard_normal((*batch, 4)).astype(np_dtype))
    ax_in = [ax.tensor(a, requires_grad=True) for a in [x, *states]]
    th_in = [torch.tensor(a, requires_grad=True) for a in [x, *states]]

    def call(c, inputs):
        if not states:
            return c(inputs[0])
        hx = tuple(inputs[1:]) if name == "lstm" else inputs[1]
        return c(inputs[0], hx)

    ours, theirs = _flat(call(cell, ax_in)), _flat(call(th_cell, th_in))
    tol = {"rtol": 1e-12, "atol": 1e-12} if dtype == ax.float64 else {"rtol": 1e-5, "atol": 1e-6}
    for a, t in zip(ours, theirs, strict=True):
        assert a.dtype == dtype
        assert list(a.shape) == list(t.shape)
        np.testing.assert_allclose(a.detach().numpy(), t.detach().numpy(), **tol)
    weights = [rng.standard_normal(tuple(t.shape)).astype(np_dtype) for t in theirs]
    sum(
        ((a * ax.tensor(w)).sum() for a, w in zip(ours, weights, strict=True)),
        ax.tensor(0.0, dtype=dtype),
    ).backward()
    sum((t * torch.tensor(w)).sum() for t, w in zip(theirs, weights, strict=True)).backward()
    for a, t in zip(ax_in, th_in, strict=True):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), **tol)
    for pname, p in cell.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), getattr(th_cell, pname).grad.numpy(), **tol)


def test_cell_parameters_shapes_and_init() -> None:
    for cls, gates in ((ax.nn.RNNCell, 1), (ax.nn.LSTMCell, 4), (ax.nn.GRUCell, 3)):
        cell = cls(7, 16)
        shapes = {k: list(v.shape) for k, v in cell.state_dict().items()}
        assert shapes == {
            "weight_ih": [gates * 16, 7],
            "weight_hh": [gates * 16, 16],
            "bias_ih": [gates * 16],
            "bias_hh": [gates * 16],
        }
        values = np.concatenate([p.detach().numpy().ravel() for p in cell.parameters()])
        assert np.abs(values).max() <= 0.25  # U(-1/sqrt(16), 1/sqrt(16))
        assert values.std() > 0.1  # actually drawn, not zeros
    assert "bias_ih" not in ax.nn.GRUCell(3, 2, bias=False).state_dict()
    assert repr(ax.nn.RNNCell(3, 2, bias=False, nonlinearity="relu")) == (
        "RNNCell(3, 2, bias=False, nonlinearity=relu)"
    )


@pytest.mark.parametrize("name", list(CELLS))
def test_cell_gradcheck_and_double_backward(name) -> None:
    ax_cls, _, kwargs = CELLS[name]
    cell = ax_cls(3, 2, dtype=ax.float64, **kwargs)
    x = ax.randn(2, 3, dtype=ax.float64, requires_grad=True)
    h = ax.randn(2, 2, dtype=ax.float64, requires_grad=True)
    c = ax.randn(2, 2, dtype=ax.float64, requires_grad=True)

    def f(x, h, c):
        out = cell(x, (h, c)) if name == "lstm" else cell(x, h)
        return ax.cat(_flat(out), 1)

    # relu's kink at 0 is almost surely not hit by these random inputs.
    assert ax.autograd.gradcheck(f, (x, h, c) if name == "lstm" else (x, h, c.detach()))
    # create_graph: the composite cells build differentiable backward graphs.
    (gx,) = ax.autograd.grad(f(x, h, c).sum(), [x], create_graph=True)
    assert gx.requires_grad
    if name != "rnn_relu":  # relu's second derivative is zero: nothing to check
        assert ax.autograd.gradgradcheck(lambda x: f(x, h, c), (x,))


def test_cell_errors() -> None:
    lstm = ax.nn.LSTMCell(4, 3)
    with pytest.raises(ValueError, match="LSTMCell: input has inconsistent input_size: got 5"):
        lstm(ax.randn(2, 5))
    with pytest.raises(ValueError, match="LSTMCell: Expected input to be 1D or 2D, got 3D"):
        lstm(ax.randn(1, 2, 4))
    with pytest.raises(ValueError, match=r"LSTMCell: Expected c_0 of shape \[2, 3\].*got \[2, 4\]"):
        lstm(ax.randn(2, 4), (ax.zeros(2, 3), ax.zeros(2, 4)))
    with pytest.raises(TypeError, match="LSTMCell: hx must be a tuple"):
        lstm(ax.randn(2, 4), ax.zeros(2, 3))
    with pytest.raises(ValueError, match=r"GRUCell: Expected hx of shape \[3\]"):
        ax.nn.GRUCell(4, 3)(ax.randn(4), ax.zeros(1, 3))
    with pytest.raises(ValueError, match="RNNCell: nonlinearity must be 'tanh' or 'relu'"):
        ax.nn.RNNCell(2, 2, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="GRUCell: hidden_size must be a positive int"):
        ax.nn.GRUCell(2, 0)


def test_cell_unrolled_with_packed_lengths_gives_last_valid_state() -> None:
    # A small end-to-end use: unroll an LSTMCell over a padded batch and pick each sequence's
    # state at its last valid step via pad_packed_sequence's lengths.
    cell = ax.nn.LSTMCell(2, 3, dtype=ax.float64)
    seqs = [ax.randn(n, 2, dtype=ax.float64) for n in (4, 2, 3)]
    padded = R.pad_sequence(seqs)
    h = c = ax.zeros(3, 3, dtype=ax.float64)
    hs = []
    for t in range(padded.shape[0]):
        h, c = cell(padded[t], (h, c))
        hs.append(h)
    stacked = ax.stack(hs)  # (T, B, H)
    lengths = ax.tensor([4, 2, 3])
    last = stacked.gather(0, (lengths - 1).view(1, 3, 1).expand(1, 3, 3)).squeeze(0)
    for b, s in enumerate(seqs):
        hb = cb = ax.zeros(1, 3, dtype=ax.float64)
        for t in range(s.shape[0]):
            hb, cb = cell(s[t : t + 1], (hb, cb))
        np.testing.assert_allclose(last[b].detach().numpy(), hb[0].detach().numpy(), atol=1e-14)


# ---------------------------------------------------------------- BucketBatchSampler


def _lengths(n=237, seed=5):
    return np.random.default_rng(seed).integers(1, 60, n).tolist()


def test_bucket_sampler_covers_every_index_once_and_groups_lengths() -> None:
    lengths = _lengths()
    s = BucketBatchSampler(lengths, 16, generator=ax.Generator().manual_seed(0))
    batches = list(s)
    assert len(batches) == len(s) == 15
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(lengths)))
    assert sum(len(b) < 16 for b in batches) == 1
    for b in batches:  # longest first inside a batch (ready for enforce_sorted=True)
        lb = [lengths[i] for i in b]
        assert lb == sorted(lb, reverse=True)
    # Padding is far below that of random batches of the same size.
    pad = sum(16 * max(lengths[i] for i in b) - sum(lengths[i] for i in b) for b in batches)
    perm = np.random.default_rng(0).permutation(len(lengths))
    rand = [perm[i : i + 16] for i in range(0, len(perm), 16)]
    rand_pad = sum(16 * max(lengths[i] for i in b) - sum(lengths[i] for i in b) for b in rand)
    assert pad < 0.2 * rand_pad


def test_bucket_sampler_seeded_and_shuffled_per_epoch() -> None:
    lengths = _lengths()
    a = BucketBatchSampler(lengths, 8, generator=ax.Generator().manual_seed(3))
    b = BucketBatchSampler(lengths, 8, generator=ax.Generator().manual_seed(3))
    e1, e2 = list(a), list(a)
    assert e1 == list(b)
    assert e2 == list(b)
    assert e1 != e2
    ax.manual_seed(1)
    c1 = list(BucketBatchSampler(lengths, 8))
    ax.manual_seed(1)
    assert list(BucketBatchSampler(lengths, 8)) == c1


def test_bucket_sampler_small_pools_still_shuffle() -> None:
    lengths = list(range(40))
    s = BucketBatchSampler(
        lengths, 4, generator=ax.Generator().manual_seed(0), bucket_size_multiplier=1
    )
    firsts = [b[0] for b in s]
    assert sorted(i for b in s for i in b) == list(range(40))
    assert firsts != sorted(firsts, reverse=True)


def test_bucket_sampler_no_shuffle_and_drop_last() -> None:
    s = BucketBatchSampler([3, 1, 2, 5, 3], 2, shuffle=False)
    assert list(s) == [[3, 0], [4, 2], [1]]
    d = BucketBatchSampler([3, 1, 2, 5, 3], 2, shuffle=False, drop_last=True)
    assert list(d) == [[3, 0], [4, 2]]
    assert len(d) == 2
    r = BucketBatchSampler(_lengths(), 16, drop_last=True, generator=ax.Generator().manual_seed(0))
    batches = list(r)
    assert len(batches) == len(r) == 14
    assert all(len(b) == 16 for b in batches)
    assert len({i for b in batches for i in b}) == 14 * 16


def test_bucket_sampler_in_dataloader() -> None:
    lengths = _lengths(50)
    ds = TensorDataset(ax.arange(50), ax.tensor(lengths))
    loader = DataLoader(
        ds, batch_sampler=BucketBatchSampler(lengths, 8, generator=ax.Generator().manual_seed(0))
    )
    seen = []
    for idx, lens in loader:
        assert lens.tolist() == [lengths[i] for i in idx.tolist()]
        seen += idx.tolist()
    assert sorted(seen) == list(range(50))


def test_bucket_sampler_resumes_mid_epoch_in_dataloader() -> None:
    lengths = list(range(1, 41))

    def make():
        s = BucketBatchSampler(
            lengths, 4, generator=ax.Generator().manual_seed(0), bucket_size_multiplier=2
        )
        return DataLoader(TensorDataset(ax.arange(40)), batch_sampler=s)

    a = make()
    it = iter(a)
    for _ in range(3):
        next(it)
    state = a.state_dict()
    rest = [b[0].tolist() for b in it]
    b = make()
    b.load_state_dict(state)
    assert [x[0].tolist() for x in b] == rest
    assert len(rest) == 7


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        (([1, 2], 0), {}, ValueError, "batch_size must be a positive int"),
        (([1, 2], 2), {"bucket_size_multiplier": 0}, ValueError, "bucket_size_multiplier"),
        (([1.5, 2.0], 2), {}, TypeError, "lengths must hold integers"),
        (([], 2), {}, ValueError, "non-empty 1-D"),
        (([1, -2], 2), {}, ValueError, "non-negative"),
        (([1, 2], 2), {"shuffle": 1}, TypeError, "shuffle"),
        (([1, 2], 2), {"generator": 3}, TypeError, "generator"),
    ],
)
def test_bucket_sampler_errors(args, kwargs, exc, match) -> None:
    with pytest.raises(exc, match=f"BucketBatchSampler: .*{match}"):
        BucketBatchSampler(*args, **kwargs)


# ---------------------------------------------------------------- ax.text


def test_tokenize_words() -> None:
    assert tokenize_words("Hello, world! Don't panic.") == [
        "Hello",
        ",",
        "world",
        "!",
        "Don't",
        "panic",
        ".",
    ]
    assert tokenize_words("A  b\nC", lower=True) == ["a", "b", "c"]
    with pytest.raises(TypeError, match="tokenize_words: text must be a str"):
        tokenize_words(["a"])


def test_word_vocab_order_specials_and_min_freq() -> None:
    words = tokenize_words("the cat sat on the mat the cat")
    v = Vocab(words, min_freq=2, specials=["<pad>", "<unk>", "<bos>", "<eos>"])
    assert v.itos == ["<pad>", "<unk>", "<bos>", "<eos>", "the", "cat"]
    assert len(v) == 6
    assert v["cat"] == 5
    assert v.stoi["the"] == 4
    assert v["dog"] == 1  # unknown -> <unk>
    assert "mat" not in v
    ids = v.encode(["<bos>", "the", "dog", "<eos>"])
    assert ids.dtype == ax.int64
    assert ids.tolist() == [2, 4, 1, 3]
    assert v.decode(ids) == "<bos> the <unk> <eos>"
    assert v.lookup_tokens(ax.tensor([5, 4])) == ["cat", "the"]
    assert Vocab(words, max_size=2).itos == ["the", "cat"]
    assert Vocab("bca", order="sorted").itos == ["a", "b", "c"]


def test_char_vocab_roundtrip_and_unknown() -> None:
    text = "To be, or not to be: that is the question.\n"
    v = char_vocab(text)
    assert v.itos == sorted(set(text))
    ids = v.encode(text)
    assert ids.tolist() == [v.stoi[c] for c in text]
    assert v.decode(ids) == text
    with pytest.raises(KeyError, match=r"Vocab\.encode: token 'Z' is not in the vocabulary"):
        v.encode("ToZ")
    with pytest.raises(KeyError, match="Vocab: token 'Z' is not in the vocabulary"):
        v["Z"]
    u = char_vocab(text, specials=["<unk>"])
    assert u.encode("aZ\u00e9").tolist() == [u["a"], 0, 0]
    with pytest.raises(IndexError, match=r"Vocab\.decode: id 99 at position 1 is out of range"):
        v.decode([0, 99])
    # The one-hot helper is shared with ax.nn.functional.
    oh = ax.text.one_hot(ids[:3], len(v))
    assert oh.tolist() == F.one_hot(ids[:3], len(v)).tolist()
    assert oh.sum(dim=1).tolist() == [1, 1, 1]


def test_vocab_errors() -> None:
    with pytest.raises(ValueError, match="Vocab: min_freq must be an int >= 1"):
        Vocab(["a"], min_freq=0)
    with pytest.raises(ValueError, match="Vocab: specials must be distinct"):
        Vocab(["a"], specials=["<unk>", "<unk>"])
    with pytest.raises(TypeError, match="Vocab: tokens must be str, got 3"):
        Vocab(["a", 3])
    with pytest.raises(ValueError, match="Vocab: order must be"):
        Vocab(["a"], order="random")
    with pytest.raises(TypeError, match="char_vocab: text must be a str"):
        char_vocab(["ab"])


def test_batchify_and_bptt_batches() -> None:
    data = batchify(ax.arange(23), 4)
    assert data.tolist() == np.arange(20).reshape(4, 5).T.tolist()
    pairs = list(bptt_batches(list(range(23)), 4, 2))
    assert [list(x.shape) for x, _ in pairs] == [[2, 4], [2, 4]]
    xs = ax.cat([x for x, _ in pairs])
    ys = ax.cat([y for _, y in pairs])
    assert xs.tolist() == data[:4].tolist()
    assert ys.tolist() == data[1:].tolist()
    last = list(bptt_batches(ax.arange(24), 4, 4))
    assert [x.shape[0] for x, _ in last] == [4, 1]
    with pytest.raises(ValueError, match="batchify: 3 ids are fewer than batch_size=4"):
        batchify([1, 2, 3], 4)
    with pytest.raises(TypeError, match="batchify: ids must hold integers"):
        batchify(ax.ones(8), 2)
    with pytest.raises(ValueError, match="bptt_batches: seq_len must be a positive int"):
        bptt_batches(ax.arange(8), 2, 0)
    with pytest.raises(ValueError, match="bptt_batches: need at least 2 time steps"):
        bptt_batches(ax.arange(5), 4, 3)


# ---------------------------------------------------------------- truncated BPTT


def test_detach_state_variants() -> None:
    h = ax.randn(2, 3, requires_grad=True) * 2
    c = ax.randn(2, 3, requires_grad=True) * 2
    assert detach_state(None) is None
    d = detach_state(h)
    assert not d.requires_grad
    assert d.tolist() == h.tolist()
    dh, dc = detach_state((h, c))
    assert not dh.requires_grad
    assert not dc.requires_grad
    nested = detach_state([h, (c, None)])
    assert isinstance(nested, list)
    assert not nested[1][0].requires_grad
    with pytest.raises(TypeError, match="detach_state: h must be a Tensor"):
        detach_state(3.0)


def test_tbptt_chunks_and_training_pattern() -> None:
    x = ax.randn(10, 2, 3)
    chunks = list(tbptt_chunks(x, 4))
    assert [c.shape[0] for c in chunks] == [4, 4, 2]
    assert ax.cat(chunks).tolist() == x.tolist()
    bf = list(tbptt_chunks((ax.randn(2, 7, 3), ax.randn(2, 7)), 3, dim=1))
    assert [(a.shape[1], b.shape[1]) for a, b in bf] == [(3, 3), (3, 3), (1, 1)]
    with pytest.raises(ValueError, match="tbptt_chunks: chunk must be a positive int"):
        tbptt_chunks(x, 0)
    with pytest.raises(ValueError, match="tbptt_chunks: tensors differ in length"):
        tbptt_chunks((x, ax.randn(9)), 2)
    with pytest.raises(ValueError, match="tbptt_chunks: dim=3 is out of range"):
        tbptt_chunks(x, 2, dim=3)

    # The documented pattern: gradients reach back one chunk only, and the loop runs without
    # touching a freed graph.
    cell = ax.nn.GRUCell(3, 4, dtype=ax.float64)
    seq = ax.randn(9, 2, 3, dtype=ax.float64)
    state = None
    for chunk in tbptt_chunks(seq, 3):
        state = detach_state(state)
        h0 = state
        for t in range(chunk.shape[0]):
            state = cell(chunk[t], state)
        cell.zero_grad()
        state.sum().backward()
        assert cell.weight_ih.grad is not None
        assert h0 is None or h0.grad is None
    # Without detaching, a second backward into the first chunk's freed graph fails.
    s = cell(seq[0])
    s.sum().backward()
    with pytest.raises(RuntimeError):
        cell(seq[1], s).sum().backward()
