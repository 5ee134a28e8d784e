"""``axonite.models``: the model zoo, torchvision's constructors, module names and ``state_dict``
keys (so weights exported from torchvision load with ``load_state_dict``), plus the classic
course models (LeNet-5, ZFNet, CIFAR ResNet-20) and small-input variants for 28x28 / 32x32
images (``small_input=True``, ``in_channels=1``).

Models are randomly initialized; no pretrained weights ship with the package.
"""

from __future__ import annotations

from .alexnet import AlexNet, ZFNet, alexnet, zfnet
from .googlenet import BasicConv2d, GoogLeNet, GoogLeNetOutputs, Inception, InceptionAux, googlenet
from .lenet import LeNet5, lenet5
from .resnet import (
    BasicBlock,
    Bottleneck,
    CifarResNet,
    ResNet,
    resnet18,
    resnet20,
    resnet34,
    resnet50,
)
from .vgg import (
    VGG,
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)

__all__ = [
    "VGG",
    "AlexNet",
    "BasicBlock",
    "BasicConv2d",
    "Bottleneck",
    "CifarResNet",
    "GoogLeNet",
    "GoogLeNetOutputs",
    "Inception",
    "InceptionAux",
    "LeNet5",
    "ResNet",
    "ZFNet",
    "alexnet",
    "googlenet",
    "lenet5",
    "resnet18",
    "resnet20",
    "resnet34",
    "resnet50",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
    "zfnet",
]
