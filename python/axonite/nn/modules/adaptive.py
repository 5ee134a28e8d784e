"""Softmax layers for many classes: ``AdaptiveLogSoftmaxWithLoss`` (PyTorch's, same submodules
and state_dict keys: a head over the shortlist + one entry per cluster, and a low-rank tail per
cluster) and ``HierarchicalSoftmax`` (axonite extra: a balanced binary tree of logistic units,
O(log C) work per example in training). Both are composites of differentiable ops."""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import _C
from ..._C import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss", "HierarchicalSoftmax"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


def _log_softmax(x: Tensor) -> Tensor:
    return F.log_softmax(x, dim=1)


def _check_batch(input: Tensor, target: Tensor, who: str, in_features: int) -> bool:
    """PyTorch's shape rules for (input, target); returns whether the call is batched. ``who``
    (the module's name) leads each message."""
    if input.dim() == 0 or input.size(-1) != in_features:
        raise RuntimeError(
            f"{who}: input should have in_features = {in_features} features in its last dim, "
            f"got shape {list(input.shape)}"
        )
    if target.dim() == 1:
        if input.size(0) != target.size(0):
            raise RuntimeError(
                f"{who}: Input and target should have the same size in the batch dimension."
            )
        if input.dim() != 2:
            raise RuntimeError(
                f"{who}: 1D target tensor expects 2D input tensors, but found inputs with size "
                f"{tuple(input.shape)}"
            )
        return True
    if target.dim() == 0:
        if input.dim() != 1:
            raise RuntimeError(
                f"{who}: 0D target tensor expects 1D input tensors, but found inputs with size "
                f"{tuple(input.shape)}"
            )
        return False
    raise RuntimeError(f"{who}: 0D or 1D target tensor expected, multi-target not supported")


def _check_range(target: Tensor, n_classes: int, who: str) -> None:
    if target.numel() and (int(target.min()) < 0 or int(target.max()) >= n_classes):
        raise RuntimeError(
            f"{who}: Target values should be in [0, {n_classes - 1}], but values in range "
            f"[{int(target.min())}, {int(target.max())}] were found. "
        )


class AdaptiveLogSoftmaxWithLoss(Module):
    """Efficient softmax approximation (Grave et al., 2016). Classes below ``cutoffs[0]`` form
    the shortlist scored by ``head`` (which also scores one entry per cluster); cluster i
    (classes ``cutoffs[i]..cutoffs[i+1]``) is scored by ``tail[i]``, a projection to
    ``in_features // div_value**(i+1)`` dims followed by a linear layer.

    ``forward(input, target)`` returns ``_ASMoutput(output, loss)``: the target log-probabilities
    (N,) and their negated mean. ``log_prob`` gives all (N, n_classes) log-probabilities."""

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        cutoffs: Sequence[int],
        div_value: float = 4.0,
        head_bias: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError(
                "AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of length larger than 0"
            )
        if (
            cutoffs != sorted(cutoffs)
            or min(cutoffs) <= 0
            or max(cutoffs) > n_classes - 1
            or len(set(cutoffs)) != len(cutoffs)
            or any(int(c) != c for c in cutoffs)
        ):
            raise ValueError(
                "AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of unique, positive "
                "integers sorted in an "
                "increasing order, where each value is between 1 and n_classes-1"
            )
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = [int(c) for c in cutoffs] + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        kw = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(
                Sequential(
                    Linear(in_features, hsz, bias=False, **kw),
                    Linear(hsz, osz, bias=False, **kw),
                )
            )

    def reset_parameters(self) -> None:
        """Re-draws every Linear from PyTorch's default distributions."""
        self.head.reset_parameters()
        for proj in self.tail:
            for lin in proj:
                lin.reset_parameters()

    def forward(self, input_: Tensor, target_: Tensor) -> _ASMoutput:
        batched = _check_batch(input_, target_, type(self).__name__, self.in_features)
        input = input_ if batched else input_.unsqueeze(0)
        target = target_ if batched else target_.unsqueeze(0)
        _check_range(target, self.n_classes, type(self).__name__)
        head_lp = _log_softmax(self.head(input))
        # Head column per row: the class itself in the shortlist, else its cluster's entry.
        cluster = _C.zeros(target.shape, dtype=target.dtype)
        for c in self.cutoffs[:-1]:
            cluster = cluster + (target >= c).long()
        col = _C.where(cluster == 0, target, cluster + (self.shortlist_size - 1))
        output = head_lp.gather(1, col.unsqueeze(1)).squeeze(1)
        for i in range(self.n_clusters):
            rows = (cluster == i + 1).nonzero().reshape(-1)
            if rows.numel() == 0:
                continue
            cluster_lp = _log_softmax(self.tail[i](input.index_select(0, rows)))
            local = target.index_select(0, rows) - self.cutoffs[i]
            output = output.index_add(0, rows, cluster_lp.gather(1, local.unsqueeze(1)).squeeze(1))
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        head_lp = _log_softmax(head_output)
        parts = [head_lp[:, : self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_lp = _log_softmax(self.tail[i](input))
            parts.append(cluster_lp + head_lp[:, self.shortlist_size + i].unsqueeze(1))
        return _C.cat(parts, 1)

    def log_prob(self, input: Tensor) -> Tensor:
        """Log-probabilities of all classes: (N, in_features) -> (N, n_classes)."""
        return self._full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:
        """The most probable class per row: (N, in_features) -> (N,) int64 (equal to
        ``log_prob(input).argmax(1)``)."""
        return self.log_prob(input).argmax(1)


class HierarchicalSoftmax(Module):
    """Softmax over ``n_classes`` factored along a balanced binary tree (axonite extra).

    The classes are the leaves of a heap-ordered complete binary tree (leaf of class c at heap
    position n_classes + c, depths differ by at most one); each of the ``n_classes - 1`` inner
    nodes is a logistic unit ``sigmoid(w_k . x + b_k)`` giving the probability of going left.
    A class's log-probability is the sum of the log-sigmoids along its root-to-leaf path:
    training costs O(log C) per example (the path's units are gathered in a batch), and the
    class probabilities sum to one by construction.

    Parameters: ``weight`` (n_classes - 1, in_features) drawn from U(-1/sqrt(in_features),
    1/sqrt(in_features)), ``bias`` (n_classes - 1,) zeros.
    ``forward(input, target)`` returns ``_ASMoutput(output, loss)`` like
    AdaptiveLogSoftmaxWithLoss; ``log_prob`` (O(C log C) per row, for evaluation) and
    ``predict`` score every class."""

    def __init__(
        self, in_features: int, n_classes: int, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__()
        if n_classes < 2:
            raise ValueError(f"HierarchicalSoftmax: n_classes must be at least 2, got {n_classes}")
        if in_features < 1:
            raise ValueError(
                f"HierarchicalSoftmax: in_features must be positive, got {in_features}"
            )
        self.in_features = in_features
        self.n_classes = n_classes
        self.weight = Parameter(_C.empty((n_classes - 1, in_features), dtype=dtype))
        self.bias = Parameter(_C.empty(n_classes - 1, dtype=dtype))
        # Paths, leaf upwards: heap position v of class c is C + c; its ancestors are v >> k.
        leaf = np.arange(n_classes, dtype=np.int64) + n_classes
        depth = int(2 * n_classes - 1).bit_length() - 1
        k = np.arange(depth, dtype=np.int64)
        parent = leaf[:, None] >> (k + 1)
        child = leaf[:, None] >> k
        valid = parent >= 1
        self.depth = depth
        self.register_buffer("path_nodes", _C.from_numpy(np.where(valid, parent - 1, 0)), False)
        # BCE-with-logits target per step: 1 = left child (log sigmoid(z)), 0 = right.
        left = ((child & 1) == 0).astype(np.float64)
        self.register_buffer("path_left", _C.from_numpy(left).to(self.weight.dtype), False)
        self.register_buffer(
            "path_mask", _C.from_numpy(valid.astype(np.float64)).to(self.weight.dtype), False
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """U(-1/sqrt(in_features), 1/sqrt(in_features)) weights, zero biases."""
        bound = 1.0 / math.sqrt(self.in_features)
        init.uniform_(self.weight, -bound, bound)
        init.zeros_(self.bias)

    def _path_log_prob(self, z: Tensor, left: Tensor, mask: Tensor) -> Tensor:
        # log sigmoid(+-z) as a (fused, stable) BCE-with-logits against 1 (left) / 0 (right).
        return -(F.binary_cross_entropy_with_logits(z, left, reduction="none") * mask).sum(-1)

    def forward(self, input_: Tensor, target_: Tensor) -> _ASMoutput:
        batched = _check_batch(input_, target_, type(self).__name__, self.in_features)
        input = input_ if batched else input_.unsqueeze(0)
        target = target_ if batched else target_.unsqueeze(0)
        _check_range(target, self.n_classes, type(self).__name__)
        n, depth = target.size(0), self.depth
        nodes = self.path_nodes.index_select(0, target).reshape(-1)  # (N * depth,)
        w = self.weight.index_select(0, nodes).reshape(n, depth, self.in_features)
        z = (w @ input.unsqueeze(2)).squeeze(2) + self.bias.index_select(0, nodes).reshape(n, depth)
        output = self._path_log_prob(
            z, self.path_left.index_select(0, target), self.path_mask.index_select(0, target)
        )
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def log_prob(self, input: Tensor) -> Tensor:
        """Log-probabilities of all classes: (N, in_features) -> (N, n_classes)."""
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        n, c, depth = x.size(0), self.n_classes, self.depth
        z = F.linear(x, self.weight, self.bias)  # (N, C - 1): every unit once
        z_path = z.index_select(1, self.path_nodes.reshape(-1)).reshape(n, c, depth)
        out = self._path_log_prob(z_path, self.path_left.expand(n, c, depth), self.path_mask)
        return out if batched else out.squeeze(0)

    def predict(self, input: Tensor) -> Tensor:
        """The most probable class per row: (N, in_features) -> (N,) int64."""
        return self.log_prob(input).argmax(-1)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, n_classes={self.n_classes}"
