"""ax.train.summary: parameter counts and output shapes against PyTorch for the same
architecture, frozen layers, shared modules, several inputs and outputs, and the guarantees
that hooks are removed and train/eval modes restored, also on error."""

from __future__ import annotations

import numpy as np
import pytest

import axonite as ax
from axonite import nn
from axonite.train.summary import LayerSummary, ModelSummary, summary


def _mlp(lib):
    """The same architecture in axonite or PyTorch."""
    m = lib.nn
    return m.Sequential(
        m.Linear(20, 64),
        m.BatchNorm1d(64),
        m.ReLU(),
        m.Sequential(m.Linear(64, 32), m.LayerNorm(32), m.Dropout(0.2)),
        m.Linear(32, 10, bias=False),
    )


def _torch_rows(torch, model, x):
    """(qualified name, class name, output shape with -1 batch, own param count) for each leaf
    module of a PyTorch model, in call order."""
    rows = []
    names = {mod: name for name, mod in model.named_modules()}
    hooks = []
    for mod in model.modules():
        if next(mod.children(), None) is None:

            def hook(mod, args, out):
                shape = (-1, *out.shape[1:])
                n = sum(p.numel() for p in mod.parameters(recurse=False))
                rows.append((names[mod], type(mod).__name__, shape, n))

            hooks.append(mod.register_forward_hook(hook))
    model.eval()
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return rows


def test_counts_and_shapes_match_torch(torch) -> None:
    ours = _mlp(ax)
    theirs = _mlp(torch)
    s = summary(ours, (20,), print_fn=None)
    want = _torch_rows(torch, theirs, torch.zeros(2, 20))
    got = [(r.name, r.class_name, r.output_shape, r.num_params) for r in s.rows]
    assert got == want
    total = sum(p.numel() for p in theirs.parameters())
    assert s.total_params == total == 20 * 64 + 64 + 2 * 64 + 64 * 32 + 32 + 2 * 32 + 320
    assert s.trainable_params == total and s.non_trainable_params == 0


def test_frozen_parameters_are_non_trainable(torch) -> None:
    ours, theirs = _mlp(ax), _mlp(torch)
    ours[0].requires_grad_(False)
    ours[3][1].weight.requires_grad_(False)
    theirs[0].requires_grad_(False)
    theirs[3][1].weight.requires_grad_(False)
    s = summary(ours, (20,), print_fn=None)
    assert s.trainable_params == sum(p.numel() for p in theirs.parameters() if p.requires_grad)
    assert s.non_trainable_params == 20 * 64 + 64 + 32
    assert s.total_params == s.trainable_params + s.non_trainable_params
    assert [r.trainable for r in s.rows][:2] == [False, True]
    text = str(s)
    assert f"Non-trainable params: {s.non_trainable_params:,}" in text
    assert f"Trainable params: {s.trainable_params:,}" in text


def test_table_text_and_memory_estimate(capsys) -> None:
    model = _mlp(ax)
    s = summary(model, (20,))
    printed = capsys.readouterr().out
    assert printed.strip() == str(s).strip()
    lines = str(s).splitlines()
    assert lines[0] == 'Model: "Sequential"'
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    row = next(line for line in lines if line.startswith("0 (Linear)"))
    assert row.split() == ["0", "(Linear)", "[-1,", "64]", "1,344"]
    assert "3.1 (LayerNorm)" in str(s)
    assert f"Total params: {s.total_params:,}" in str(s)
    # float32 bytes in MB: params; leaf outputs for one sample; the input
    mb = 1024.0**2
    assert s.params_mb == pytest.approx(s.total_params * 4 / mb)
    assert s.forward_mb == pytest.approx((64 * 3 + 32 * 3 + 10) * 4 / mb)
    assert s.input_mb == pytest.approx(20 * 4 / mb)
    assert s.total_mb == pytest.approx(s.params_mb + s.forward_mb + s.input_mb)
    assert "Estimated Total Size (MB)" in str(s)
    # a batch size shows in the shapes and scales the activation estimate
    s32 = summary(model, (20,), batch_size=32, print_fn=None)
    assert s32.rows[0].output_shape == (32, 64)
    assert s32.forward_mb == pytest.approx(32 * s.forward_mb)
    assert s32.params_mb == s.params_mb
    summary(model, (20,), print_fn=None)
    assert capsys.readouterr().out == ""


def test_containers_listed_before_their_children() -> None:
    s = summary(_mlp(ax), (20,), show_containers=True, print_fn=None)
    names = [r.name for r in s.rows]
    assert names == ["0", "1", "2", "3", "3.0", "3.1", "3.2", "4"]
    inner = s.rows[3]
    assert inner.is_container and inner.class_name == "Sequential"
    assert inner.num_params == 64 * 32 + 32 + 2 * 32  # everything below it
    assert [r.depth for r in s.rows] == [0, 0, 0, 0, 1, 1, 1, 0]
    assert s.total_params == summary(_mlp(ax), (20,), print_fn=None).total_params


class _TwoHeads(nn.Module):
    """Two inputs, a tuple output, an own parameter next to children, and a shared layer."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 8)
        self.proj = nn.Linear(8, 8)
        self.head = nn.Linear(6, 8)
        self.scale = nn.Parameter(ax.ones(8))

    def forward(self, tokens, feats):
        a = self.proj(self.proj(self.embed(tokens)))  # proj is called twice
        b = self.head(feats)
        return a * self.scale, (b, b.sum(dim=1))


def test_multiple_inputs_tuple_outputs_shared_layer(torch) -> None:
    model = _TwoHeads()
    s = summary(model, [(5,), (3, 6)], dtype=[ax.int64, ax.float32], print_fn=None)
    rows = [(r.name, r.class_name, r.output_shape, r.num_params) for r in s.rows]
    assert rows == [
        ("", "_TwoHeads", [(-1, 5, 8), (-1, 3, 8), (-1, 8)], 8),
        ("embed", "Embedding", (-1, 5, 8), 400),
        ("proj", "Linear", (-1, 5, 8), 72),
        ("proj", "Linear", (-1, 5, 8), 72),
        ("head", "Linear", (-1, 3, 8), 56),
    ]
    # each parameter counted once although proj is listed twice
    ref = torch.nn.ModuleDict(
        {"e": torch.nn.Embedding(50, 8), "p": torch.nn.Linear(8, 8), "h": torch.nn.Linear(6, 8)}
    )
    assert s.total_params == sum(p.numel() for p in ref.parameters()) + 8
    assert "[-1, 5, 8], [-1, 3, 8], [-1, 8]" in str(s)


class _Probe(nn.Module):
    """Records the grad mode and training flag seen during forward."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.bn = nn.BatchNorm1d(4)
        self.seen: list[tuple[bool, bool]] = []

    def forward(self, x):
        self.seen.append((ax.is_grad_enabled(), self.training))
        return self.bn(self.lin(x))


def test_runs_in_eval_without_grad_and_restores_modes() -> None:
    model = _Probe()
    model.train()
    model.lin.eval()  # mixed modes must come back exactly
    before = model.bn.running_mean.numpy().copy()
    summary(model, (4,), print_fn=None)
    assert model.seen == [(False, False)]
    assert model.training and not model.lin.training and model.bn.training
    np.testing.assert_array_equal(model.bn.running_mean.numpy(), before)  # stats untouched
    for m in model.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks


def test_hooks_removed_and_modes_restored_on_error() -> None:
    model = _mlp(ax)
    model.train()
    with pytest.raises((RuntimeError, ValueError)):
        summary(model, (7,), print_fn=None)  # Linear(20, 64) cannot take 7 features
    assert all(m.training for m in model.modules())
    for m in model.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks
    # and the model still works afterwards
    assert summary(model, (20,), print_fn=None).rows[-1].output_shape == (-1, 10)


def test_single_layer_model_and_structured_result() -> None:
    s = summary(nn.Linear(3, 4), 3, print_fn=None)
    assert isinstance(s, ModelSummary)
    assert s.rows == [
        LayerSummary(
            name="",
            class_name="Linear",
            output_shape=(-1, 4),
            num_params=16,
            trainable=True,
            output_numel=4,
        )
    ]
    assert s.input_size == [(3,)]
    # positional order: model, input_size, dtype, batch_size
    emb = summary(nn.Embedding(10, 4), (3,), ax.int64, 8, print_fn=None)
    assert emb.rows[0].output_shape == (8, 3, 4) and emb.total_params == 40
    assert repr(s) == ("ModelSummary(model='Linear', rows=1, total_params=16, trainable_params=16)")


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match=r"summary: model must be an axonite\.nn\.Module, got int"):
        summary(3, (2,))
    with pytest.raises(ValueError, match="summary: batch_size must be -1 or a positive int, got 0"):
        summary(nn.Linear(2, 2), (2,), batch_size=0)
    with pytest.raises(TypeError, match="summary: input_size must be a tuple of ints"):
        summary(nn.Linear(2, 2), "2")
    with pytest.raises(ValueError, match=r"summary: input_size dimensions must be ints >= 0"):
        summary(nn.Linear(2, 2), (2.5,))
    with pytest.raises(TypeError, match="summary: dtype must be an axonite dtype or a list of 1"):
        summary(nn.Linear(2, 2), (2,), dtype="float32")
