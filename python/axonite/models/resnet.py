"""ResNet (He et al., 2015) in torchvision's layout (ResNet-18/34 with ``BasicBlock``, ResNet-50
with ``Bottleneck``) and the CIFAR ResNet-20 of the paper's section 4.2.

Module names, ``state_dict`` keys and parameter counts match torchvision (resnet18: 11,689,512,
resnet34: 21,797,672, resnet50: 25,557,032), so its weights load unchanged. ``small_input=True``
swaps the ImageNet stem (7x7/2 conv and 3x3/2 max pool, a 4x reduction) for a CIFAR stem (3x3
stride-1 conv, no pool) so 28x28 / 32x32 images keep enough resolution for the four stages;
the keys stay the same (``maxpool`` becomes an ``Identity``), only ``conv1.weight`` shrinks.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import nn
from .._C import Tensor
from ..nn import functional as F
from ._checks import check_positive_int

__all__ = [
    "BasicBlock",
    "Bottleneck",
    "CifarResNet",
    "ResNet",
    "conv1x1",
    "conv3x3",
    "resnet18",
    "resnet20",
    "resnet34",
    "resnet50",
]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding 1 and no bias (a batch norm follows)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution without bias (projections and bottleneck reductions)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity (or ``downsample``) shortcut, then ReLU."""

    expansion: int = 1

    def __init__(
        self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce - 3x3 (strided, as in torchvision's "ResNet v1.5") - 1x1 expand by 4, each
    with BN, plus the shortcut, then ReLU."""

    expansion: int = 4

    def __init__(
        self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


def _init_resnet(model: nn.Module, zero_init_residual: bool) -> None:
    """torchvision's init: Kaiming normal (fan_out, ReLU) convs, unit / zero BN affine; with
    ``zero_init_residual`` the last BN of every block starts at zero so each block begins as
    the identity (Goyal et al., 2017)."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)
    if zero_init_residual:
        for m in model.modules():
            if isinstance(m, Bottleneck):
                nn.init.constant_(m.bn3.weight, 0)
            elif isinstance(m, BasicBlock):
                nn.init.constant_(m.bn2.weight, 0)


def _check_layers(owner: str, layers: Sequence[int], n: int) -> list[int]:
    if not isinstance(layers, Sequence) or len(layers) != n:
        raise ValueError(f"{owner}: layers must be a sequence of {n} block counts, got {layers!r}")
    return [check_positive_int(owner, "layers[i]", v) for v in layers]


class ResNet(nn.Module):
    """torchvision's ResNet: stem (``conv1``, ``bn1``, ``relu``, ``maxpool``), four stages
    ``layer1``..``layer4`` (64/128/256/512 planes, stride 2 from ``layer2`` on), ``avgpool``
    and ``fc``.

    Args:
        block: :class:`BasicBlock` or :class:`Bottleneck`.
        layers: blocks per stage, e.g. ``[2, 2, 2, 2]`` for ResNet-18.
        num_classes: output logits.
        zero_init_residual: zero the last BN weight of each block.
        in_channels: input planes (1 for MNIST; axonite extra).
        small_input: CIFAR stem (3x3 stride-1 conv, no max pool) for 28x28 / 32x32 inputs.
    """

    def __init__(
        self,
        block: type[BasicBlock | Bottleneck],
        layers: Sequence[int],
        num_classes: int = 1000,
        zero_init_residual: bool = False,
        in_channels: int = 3,
        small_input: bool = False,
    ) -> None:
        super().__init__()
        if block not in (BasicBlock, Bottleneck):
            raise TypeError(f"ResNet: block must be BasicBlock or Bottleneck, got {block!r}")
        layers = _check_layers("ResNet", layers, 4)
        check_positive_int("ResNet", "num_classes", num_classes)
        check_positive_int("ResNet", "in_channels", in_channels)
        self.inplanes = 64
        if small_input:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = (
            nn.Identity() if small_input else nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        )
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        _init_resnet(self, zero_init_residual)

    def _make_layer(
        self, block: type[BasicBlock | Bottleneck], planes: int, blocks: int, stride: int = 1
    ) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        stage = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        stage += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


class _PadShortcut(nn.Module):
    """The CIFAR paper's parameter-free shortcut (option A): subsample by ``stride`` and zero-pad
    the channels from ``inplanes`` to ``planes`` (half the new planes on each side)."""

    def __init__(self, inplanes: int, planes: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        self.pad_before = (planes - inplanes) // 2
        self.pad_after = planes - inplanes - self.pad_before

    def forward(self, x: Tensor) -> Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, self.pad_before, self.pad_after))

    def extra_repr(self) -> str:
        return f"stride={self.stride}, pad=({self.pad_before}, {self.pad_after})"


class CifarResNet(nn.Module):
    """The CIFAR ResNet of He et al. (section 4.2): 3x3 conv to 16 planes, three stages of
    ``layers[i]`` basic blocks at 16/32/64 planes (stride 2 entering stages 2 and 3), global
    average pool and ``fc``. Same module names as :class:`ResNet` (``conv1``, ``bn1``,
    ``layer1``..``layer3``, ``fc``).

    ``shortcut="A"`` (the paper's) zero-pads channels on the down-sampling shortcuts and adds no
    parameters (ResNet-20: 269,722 for 10 classes, "0.27M"); ``"B"`` uses 1x1 conv-BN
    projections as torchvision does.
    """

    def __init__(
        self,
        layers: Sequence[int] = (3, 3, 3),
        num_classes: int = 10,
        in_channels: int = 3,
        zero_init_residual: bool = False,
        shortcut: str = "A",
    ) -> None:
        super().__init__()
        layers = _check_layers("CifarResNet", layers, 3)
        check_positive_int("CifarResNet", "num_classes", num_classes)
        check_positive_int("CifarResNet", "in_channels", in_channels)
        if shortcut not in ("A", "B"):
            raise ValueError(f"CifarResNet: shortcut must be 'A' or 'B', got {shortcut!r}")
        self.shortcut = shortcut
        self.inplanes = 16
        self.conv1 = conv3x3(in_channels, 16)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(16, layers[0])
        self.layer2 = self._make_layer(32, layers[1], stride=2)
        self.layer3 = self._make_layer(64, layers[2], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, num_classes)
        _init_resnet(self, zero_init_residual)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample: nn.Module | None = None
        if stride != 1 or self.inplanes != planes:
            if self.shortcut == "A":
                downsample = _PadShortcut(self.inplanes, planes, stride)
            else:
                downsample = nn.Sequential(
                    conv1x1(self.inplanes, planes, stride), nn.BatchNorm2d(planes)
                )
        stage = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        stage += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))


def resnet18(
    num_classes: int = 1000,
    zero_init_residual: bool = False,
    in_channels: int = 3,
    small_input: bool = False,
) -> ResNet:
    """ResNet-18: BasicBlock x [2, 2, 2, 2] (11,689,512 parameters for 1000 classes)."""
    return ResNet(
        BasicBlock, [2, 2, 2, 2], num_classes, zero_init_residual, in_channels, small_input
    )


def resnet34(
    num_classes: int = 1000,
    zero_init_residual: bool = False,
    in_channels: int = 3,
    small_input: bool = False,
) -> ResNet:
    """ResNet-34: BasicBlock x [3, 4, 6, 3] (21,797,672 parameters for 1000 classes)."""
    return ResNet(
        BasicBlock, [3, 4, 6, 3], num_classes, zero_init_residual, in_channels, small_input
    )


def resnet50(
    num_classes: int = 1000,
    zero_init_residual: bool = False,
    in_channels: int = 3,
    small_input: bool = False,
) -> ResNet:
    """ResNet-50: Bottleneck x [3, 4, 6, 3] (25,557,032 parameters for 1000 classes)."""
    return ResNet(
        Bottleneck, [3, 4, 6, 3], num_classes, zero_init_residual, in_channels, small_input
    )


def resnet20(
    num_classes: int = 10,
    in_channels: int = 3,
    zero_init_residual: bool = False,
    shortcut: str = "A",
) -> CifarResNet:
    """CIFAR ResNet-20: three stages of three basic blocks at 16/32/64 planes (269,722
    parameters for 10 classes with the paper's zero-padding shortcuts); see
    :class:`CifarResNet`. Made for 28x28 (Fashion-MNIST, ``in_channels=1``) and 32x32 inputs."""
    return CifarResNet((3, 3, 3), num_classes, in_channels, zero_init_residual, shortcut)
