"""LeNet-5 (LeCun et al., 1998): two conv/pool stages and three fully connected layers.

The classic layout for 28x28 digits: conv 6@5x5 (padding 2 keeps 28x28, the paper's 32x32
input), pool 2x2, conv 16@5x5 (10x10), pool 2x2 (5x5), then 400 -> 120 -> 84 -> classes:
61,706 parameters for one input channel and ten classes. Tanh and average ("subsampling")
pooling are the paper's defaults; ReLU and max pooling are the modern variant. This module
also holds the argument checks shared by the other model builders.
"""

from __future__ import annotations

from .. import nn
from .._C import Tensor
from ._checks import check_choice, check_positive_int

__all__ = ["LeNet5", "lenet5"]

_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}
_POOLINGS = {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}


class LeNet5(nn.Module):
    """LeNet-5: ``features`` (conv - act - pool - conv - act - pool) then ``classifier``
    (Flatten - 120 - act - 84 - act - num_classes).

    Args:
        num_classes: output logits.
        in_channels: input planes (1 for MNIST / Fashion-MNIST).
        activation: ``"tanh"`` (paper) or ``"relu"``.
        pooling: ``"avg"`` (paper's subsampling) or ``"max"``.
        padding: padding of the first conv; 2 for 28x28 inputs, 0 for the paper's 32x32.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 1,
        activation: str = "tanh",
        pooling: str = "avg",
        padding: int = 2,
    ) -> None:
        super().__init__()
        check_positive_int("LeNet5", "num_classes", num_classes)
        check_positive_int("LeNet5", "in_channels", in_channels)
        check_choice("LeNet5", "activation", activation, _ACTIVATIONS)
        check_choice("LeNet5", "pooling", pooling, _POOLINGS)
        if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
            raise ValueError(f"LeNet5: padding must be a non-negative int, got {padding!r}")
        act, pool = _ACTIVATIONS[activation], _POOLINGS[pooling]
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=padding),
            act(),
            pool(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5),
            act(),
            pool(kernel_size=2, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120),
            act(),
            nn.Linear(120, 84),
            act(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


def lenet5(
    num_classes: int = 10,
    in_channels: int = 1,
    activation: str = "tanh",
    pooling: str = "avg",
    padding: int = 2,
) -> LeNet5:
    """LeNet-5 for 28x28 inputs (``padding=2``) or 32x32 inputs (``padding=0``); see
    :class:`LeNet5`."""
    return LeNet5(num_classes, in_channels, activation, pooling, padding)
