"""VGG (Simonyan & Zisserman, 2014): stacks of 3x3 convolutions between 2x2 max pools, in
torchvision's layout (configurations A/B/D/E = VGG-11/13/16/19, optional batch norm).

Module names, ``state_dict`` keys and parameter counts match torchvision (vgg16: 138,357,544),
so its weights load unchanged. ``small_input=True`` drops the fifth (last) max pool so 28x28 and
32x32 images keep a 1x1 / 2x2 map instead of vanishing; the adaptive 7x7 average pool then
replicates it to the fixed 25088-wide head, so keys and parameter counts stay those of the
ImageNet model (the dropped pool has no parameters and is the last feature layer, so no index
shifts).
"""

from __future__ import annotations

from .. import nn
from .._C import Tensor
from ._checks import check_positive_int, check_probability

__all__ = [
    "VGG",
    "cfgs",
    "make_layers",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
]

# Layer plans per configuration: an int is a 3x3 conv to that many planes, "M" a 2x2 max pool.
cfgs: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M"] + [256] * 4 + ["M"] + ([512] * 4 + ["M"]) * 2,
}


def make_layers(
    cfg: list[int | str], batch_norm: bool = False, in_channels: int = 3, small_input: bool = False
) -> nn.Sequential:
    """torchvision's ``make_layers``: ``"M"`` is a 2x2/2 max pool, an int ``v`` a 3x3 conv to
    ``v`` planes (then BatchNorm2d when ``batch_norm``) and ReLU. ``small_input`` drops the
    trailing max pool."""
    if small_input and cfg and cfg[-1] == "M":
        cfg = cfg[:-1]
    layers: list[nn.Module] = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ValueError(f"make_layers: cfg entries must be positive ints or 'M', got {v!r}")
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """torchvision's VGG: ``features`` (from :func:`make_layers`), ``avgpool`` (adaptive 7x7)
    and ``classifier`` (25088 -> 4096 -> 4096 -> num_classes with ReLU and dropout).

    ``init_weights`` applies torchvision's initialization: Kaiming normal (fan_out, ReLU) for
    convs, N(0, 0.01) for linear weights, zero biases, unit / zero batch-norm affine.
    """

    def __init__(
        self,
        features: nn.Module,
        num_classes: int = 1000,
        init_weights: bool = True,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        check_positive_int("VGG", "num_classes", num_classes)
        check_probability("VGG", "dropout", dropout)
        if not isinstance(features, nn.Module):
            raise TypeError(f"VGG: features must be an nn.Module, got {type(features).__name__}")
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def _vgg(
    cfg: str,
    batch_norm: bool,
    num_classes: int,
    in_channels: int,
    small_input: bool,
    init_weights: bool,
    dropout: float,
) -> VGG:
    check_positive_int("VGG", "in_channels", in_channels)
    features = make_layers(cfgs[cfg], batch_norm, in_channels, small_input)
    return VGG(features, num_classes=num_classes, init_weights=init_weights, dropout=dropout)


def vgg11(
    num_classes: int = 1000,
    in_channels: int = 3,
    small_input: bool = False,
    init_weights: bool = True,
    dropout: float = 0.5,
) -> VGG:
    """VGG-11 (configuration A, 132,863,336 parameters for 1000 classes)."""
    return _vgg("A", False, num_classes, in_channels, small_input, init_weights, dropout)


def vgg11_bn(
    num_classes: int = 1000,
    in_channels: int = 3,
    small_input: bool = False,
    init_weights: bool = True,
    dropout: float = 0.5,
) -> VGG:
    """VGG-11 with batch normalization after every conv."""
    return _vgg("A", True, num_classes, in_channels, small_input, init_weights, dropout)


def vgg13(
    num_classes: int = 1000,
    in_channels: int = 3,
    small_input: bool = False,
    init_weights: bool = True,
    dropout: float = 0.5,
) -> VGG:
    """VGG-13 (configuration B, 133,047,848 parameters for 1000 classes)."""
    return _vgg("B", False, num_classes, in_channels, small_input, init_weights, dropout)


def vgg13_bn(
    num_classes: int = 1000,
    in_channels: int = 3,
    small_input: bool = False,
    init_weights: bool = True,
    dropout: float = 0.5,
) -> VGG:
    """VGG-13 with batch normalization after every conv."""
    return _vgg("B", True, num_classes, in_channels, small_input, init_weights, dropout)


def vgg16(
    num_classes: int = 1000,
    in_channels: int = 3,
    small_input: bool = False,
    init_weights: bool = True,
    dropout: float = 0.5,
) -> VGG:
    """VGG-16 (configuration D, 138,357,544 parameters for 1000 classes)."""
    return _vgg("D", False, num_classes, in_channels, small_input, init_weights, dropout)


def vgg16_bn(
    num_classes: int = 1000,
    in_channels: int = 3,
    small_input: bool = False,
    init_weights: bool = True,
    dropout: float = 0.5,
) -> VGG:
    """VGG-16 with batch normalization after every conv."""
    return _vgg("D", True, num_classes, in_channels, small_input, init_weights, dropout)


def vgg19(
    num_classes: int = 1000,
    in_channels: int = 3,
    small_input: bool = False,
    init_weights: bool = True,
    dropout: float = 0.5,
) -> VGG:
    """VGG-19 (configuration E, 143,667,240 parameters for 1000 classes)."""
    return _vgg("E", False, num_classes, in_channels, small_input, init_weights, dropout)


def vgg19_bn(
    num_classes: int = 1000,
    in_channels: int = 3,
    small_input: bool = False,
    init_weights: bool = True,
    dropout: float = 0.5,
) -> VGG:
    """VGG-19 with batch normalization after every conv."""
    return _vgg("E", True, num_classes, in_channels, small_input, init_weights, dropout)
