"""GoogLeNet / Inception v1 (Szegedy et al., 2014) in torchvision's layout: batch-normalized
``BasicConv2d`` units and nine Inception modules, each concatenating four parallel branches
(1x1 | 1x1 -> 3x3 | 1x1 -> "5x5" | 3x3 max pool -> 1x1) along the channels.

Module names, ``state_dict`` keys and parameter counts match torchvision (6,624,904 without the
auxiliary heads, 13,004,888 with them), so its weights load unchanged. Like torchvision, the
"5x5" branch uses a 3x3 kernel (a known discrepancy with the paper kept for weight
compatibility).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .. import _C, nn
from .._C import Tensor
from ..nn import functional as F
from ._checks import check_positive_int, check_probability

__all__ = ["BasicConv2d", "GoogLeNet", "GoogLeNetOutputs", "Inception", "InceptionAux", "googlenet"]


class GoogLeNetOutputs(NamedTuple):
    """Training-mode output with auxiliary heads: main logits and both auxiliary logits."""

    logits: Tensor
    aux_logits2: Tensor | None
    aux_logits1: Tensor | None


class BasicConv2d(nn.Module):
    """Conv (no bias) - BatchNorm (eps 1e-3) - ReLU; ``kwargs`` go to ``nn.Conv2d``."""

    def __init__(self, in_channels: int, out_channels: int, **kwargs: Any) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)


class Inception(nn.Module):
    """Four parallel branches concatenated along channels; output planes are
    ``ch1x1 + ch3x3 + ch5x5 + pool_proj`` at the input's spatial size."""

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int,
        ch3x3: int,
        ch5x5red: int,
        ch5x5: int,
        pool_proj: int,
    ) -> None:
        super().__init__()
        for name, value in (
            ("in_channels", in_channels),
            ("ch1x1", ch1x1),
            ("ch3x3red", ch3x3red),
            ("ch3x3", ch3x3),
            ("ch5x5red", ch5x5red),
            ("ch5x5", ch5x5),
            ("pool_proj", pool_proj),
        ):
            check_positive_int("Inception", name, value)
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, ch3x3red, kernel_size=1),
            BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1),
        )
        self.branch3 = nn.Sequential(
            BasicConv2d(in_channels, ch5x5red, kernel_size=1),
            # 3x3, not the paper's 5x5: torchvision's layout, kept so its weights load.
            BasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            BasicConv2d(in_channels, pool_proj, kernel_size=1),
        )

    def forward(self, x: Tensor) -> Tensor:
        branches = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
        return _C.cat(branches, 1)


class InceptionAux(nn.Module):
    """Auxiliary classifier on an intermediate map: adaptive 4x4 average pool - 1x1 conv to 128 -
    fc 2048 -> 1024 - ReLU - dropout - fc -> num_classes."""

    def __init__(self, in_channels: int, num_classes: int, dropout: float = 0.7) -> None:
        super().__init__()
        self.conv = BasicConv2d(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(F.adaptive_avg_pool2d(x, (4, 4)))
        x = F.relu(self.fc1(x.flatten(1)), inplace=True)
        return self.fc2(self.dropout(x))


class GoogLeNet(nn.Module):
    """torchvision's GoogLeNet. In training mode with ``aux_logits=True`` the forward returns
    :class:`GoogLeNetOutputs`; otherwise the logits alone.

    Args:
        num_classes: output logits.
        aux_logits: build the two auxiliary classifiers (after inception4a and 4d).
        transform_input: re-normalize ImageNet-normalized input to the [-1, 1] scaling the
            original Google weights expect (3 input planes only).
        init_weights: torchvision's init: truncated normal (std 0.01, cut at +-2) for conv and
            linear weights, unit / zero batch-norm affine. ``None`` means ``True``.
        dropout: dropout before the final fc; ``dropout_aux`` in the auxiliary heads.
        in_channels: input planes of the first conv (axonite extra).
    """

    def __init__(
        self,
        num_classes: int = 1000,
        aux_logits: bool = False,
        transform_input: bool = False,
        init_weights: bool | None = None,
        dropout: float = 0.2,
        dropout_aux: float = 0.7,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        check_positive_int("GoogLeNet", "num_classes", num_classes)
        check_positive_int("GoogLeNet", "in_channels", in_channels)
        check_probability("GoogLeNet", "dropout", dropout)
        check_probability("GoogLeNet", "dropout_aux", dropout_aux)
        if transform_input and in_channels != 3:
            raise ValueError(
                f"GoogLeNet: transform_input needs in_channels=3, got in_channels={in_channels}"
            )
        self.aux_logits = aux_logits
        self.transform_input = transform_input

        self.conv1 = BasicConv2d(in_channels, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)

        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)

        self.aux1: InceptionAux | None = None
        self.aux2: InceptionAux | None = None
        if aux_logits:
            self.aux1 = InceptionAux(512, num_classes, dropout=dropout_aux)
            self.aux2 = InceptionAux(528, num_classes, dropout=dropout_aux)

        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)

        if init_weights is None or init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d | nn.Linear):
                    nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

    def _transform_input(self, x: Tensor) -> Tensor:
        if not self.transform_input:
            return x
        x_ch0 = x[:, 0:1] * (0.229 / 0.5) + (0.485 - 0.5) / 0.5
        x_ch1 = x[:, 1:2] * (0.224 / 0.5) + (0.456 - 0.5) / 0.5
        x_ch2 = x[:, 2:3] * (0.225 / 0.5) + (0.406 - 0.5) / 0.5
        return _C.cat([x_ch0, x_ch1, x_ch2], 1)

    def forward(self, x: Tensor) -> Tensor | GoogLeNetOutputs:
        x = self._transform_input(x)
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if (self.aux1 is not None and self.training) else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if (self.aux2 is not None and self.training) else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        x = self.fc(self.dropout(self.avgpool(x).flatten(1)))
        if self.training and self.aux_logits:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


def googlenet(
    num_classes: int = 1000,
    aux_logits: bool = False,
    transform_input: bool = False,
    init_weights: bool | None = None,
    dropout: float = 0.2,
    dropout_aux: float = 0.7,
    in_channels: int = 3,
) -> GoogLeNet:
    """torchvision's GoogLeNet (6,624,904 parameters for 1000 classes without the auxiliary
    heads); see :class:`GoogLeNet`."""
    return GoogLeNet(
        num_classes, aux_logits, transform_input, init_weights, dropout, dropout_aux, in_channels
    )
