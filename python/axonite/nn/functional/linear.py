"""Linear layers in functional form (``F.linear``, ``F.bilinear``, ``F.identity``-free):
``linear`` is one fused C++ op (GEMM with the weight read transposed in place, bias fused);
``bilinear`` composes differentiable ops."""

from __future__ import annotations

from ..._C import Tensor, _nn

__all__ = ["bilinear", "linear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``. input: (*, in_features), weight: (out_features,
    in_features), bias: (out_features,) or None -> (*, out_features).

    >>> F.linear(ax.ones(2, 3), ax.ones(4, 3)).shape
    axonite.Size([2, 4])
    """
    return _nn.linear(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y[..., o] = sum_ij input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]``.
    input1: (*, in1), input2: (*, in2), weight: (out, in1, in2), bias: (out,) or None."""
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D, got {weight.dim()}-D")
    out, in1, in2 = weight.shape
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            "bilinear(): input batch dimensions do not match: got "
            f"{tuple(input1.shape[:-1])} and {tuple(input2.shape[:-1])}"
        )
    if input1.shape[-1] != in1 or input2.shape[-1] != in2:
        raise RuntimeError(
            f"bilinear(): input sizes {input1.shape[-1]} and {input2.shape[-1]} do not match "
            f"weight of shape {tuple(weight.shape)}"
        )
    if bias is not None and tuple(bias.shape) != (out,):
        raise RuntimeError(
            f"bilinear(): bias of shape {tuple(bias.shape)} does not match out_features = {out} "
            f"of weight of shape {tuple(weight.shape)}"
        )
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    # (N, in1) @ (in1, out * in2) -> (N, out, in2), then contract in2 against input2.
    t = (x1 @ weight.permute(1, 0, 2).reshape(in1, out * in2)).reshape(-1, out, in2)
    y = (t * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, out)
