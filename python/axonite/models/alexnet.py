"""AlexNet (Krizhevsky et al., 2012) in torchvision's single-tower layout, and ZFNet (Zeiler &
Fergus, 2013) as the same network with the smaller, denser first two convolutions.

torchvision's AlexNet (the "one weird trick" widths 64-192-384-256-256, no local response
normalization) has 61,100,840 parameters for 1000 classes; module names and ``state_dict``
keys match it, so its weights load unchanged. An adaptive 6x6 average pool before the
classifier lets any input of at least 63x63 (AlexNet) reach the fixed 9216-wide head.
"""

from __future__ import annotations

from .. import nn
from .._C import Tensor
from ._checks import check_positive_int, check_probability

__all__ = ["AlexNet", "ZFNet", "alexnet", "zfnet"]


def _classifier(num_classes: int, dropout: float) -> nn.Sequential:
    """torchvision's AlexNet head: Dropout - 9216->4096 - ReLU - Dropout - 4096->4096 - ReLU -
    4096->num_classes."""
    return nn.Sequential(
        nn.Dropout(p=dropout),
        nn.Linear(256 * 6 * 6, 4096),
        nn.ReLU(inplace=True),
        nn.Dropout(p=dropout),
        nn.Linear(4096, 4096),
        nn.ReLU(inplace=True),
        nn.Linear(4096, num_classes),
    )


class AlexNet(nn.Module):
    """torchvision's AlexNet: ``features`` (5 convs, 3 max pools), ``avgpool`` (adaptive 6x6),
    ``classifier`` (3 linear layers with dropout). ``in_channels`` (axonite extra) sets the
    input planes of the first conv."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5, in_channels: int = 3) -> None:
        super().__init__()
        check_positive_int("AlexNet", "num_classes", num_classes)
        check_probability("AlexNet", "dropout", dropout)
        check_positive_int("AlexNet", "in_channels", in_channels)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = _classifier(num_classes, dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


class ZFNet(AlexNet):
    """ZFNet: AlexNet with the first conv 7x7 stride 2 (padding 1) instead of 11x11 stride 4,
    and the second 5x5 stride 2 (no padding) instead of 5x5 stride 1.

    Zeiler & Fergus found the large, strided first filters of AlexNet left dead filters and
    aliasing; the smaller stride keeps more spatial detail. Channel widths, classifier and
    module names are AlexNet's (torchvision widths, not the paper's 96-256-384-384-256), so the
    model has AlexNet's parameters minus the 72 first-layer taps per filter: 61,087,016 for
    1000 classes and 3 input planes. The first two max pools use padding 1 so a 224x224 image
    follows the paper's maps: 110 -> 55 -> 26 -> 13 -> 13 -> 13 -> 6.
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5, in_channels: int = 3) -> None:
        super().__init__(num_classes, dropout, in_channels)
        self.features[0] = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=1)
        self.features[2] = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.features[3] = nn.Conv2d(64, 192, kernel_size=5, stride=2)
        self.features[5] = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)


def alexnet(num_classes: int = 1000, dropout: float = 0.5, in_channels: int = 3) -> AlexNet:
    """torchvision's AlexNet (61,100,840 parameters for 1000 classes); see :class:`AlexNet`."""
    return AlexNet(num_classes, dropout, in_channels)


def zfnet(num_classes: int = 1000, dropout: float = 0.5, in_channels: int = 3) -> ZFNet:
    """ZFNet: AlexNet with a 7x7/2 first conv and a 5x5/2 second conv; see :class:`ZFNet`."""
    return ZFNet(num_classes, dropout, in_channels)
