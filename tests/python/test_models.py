"""Model zoo (``axonite.models``): parameter counts equal torchvision's, output shapes for
224x224 and small-input configurations, ``state_dict`` keys equal to a ``torch.nn`` reference
written here with torchvision's module names, and outputs equal to that reference after its
weights are carried over through a safetensors file."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import axonite as ax
from axonite import models, nn


def _count(model: Any) -> int:
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------- parameter counts


@pytest.mark.parametrize(
    ("builder", "kwargs", "expected"),
    [
        ("lenet5", {}, 61_706),
        ("alexnet", {}, 61_100_840),
        ("zfnet", {}, 61_100_840 - 3 * 64 * (11 * 11 - 7 * 7)),
        ("vgg11", {"init_weights": False}, 132_863_336),
        ("vgg11_bn", {"init_weights": False}, 132_868_840),
        ("vgg13", {"init_weights": False}, 133_047_848),
        ("vgg16", {"init_weights": False}, 138_357_544),
        ("vgg16_bn", {"init_weights": False}, 138_365_992),
        ("vgg19", {"init_weights": False}, 143_667_240),
        ("googlenet", {}, 6_624_904),
        ("googlenet", {"aux_logits": True}, 13_004_888),
        ("resnet18", {}, 11_689_512),
        ("resnet34", {}, 21_797_672),
        ("resnet50", {}, 25_557_032),
        ("resnet20", {}, 269_722),
        # small-input stems: only conv1 changes (3x3 taps instead of 7x7, one input plane)
        ("resnet18", {"small_input": True, "in_channels": 1}, 11_689_512 - 64 * (3 * 49 - 9)),
        ("vgg11", {"small_input": True, "init_weights": False}, 132_863_336),
        ("resnet20", {"in_channels": 1}, 269_722 - 2 * 16 * 9),
    ],
)
def test_parameter_counts_match_torchvision(
    builder: str, kwargs: dict[str, Any], expected: int
) -> None:
    assert _count(getattr(models, builder)(**kwargs)) == expected


# ---------------------------------------------------------------- output shapes


@pytest.mark.parametrize(
    "builder", ["alexnet", "zfnet", "vgg11", "googlenet", "resnet18", "resnet50"]
)
def test_imagenet_output_shape(builder: str) -> None:
    model = getattr(models, builder)(num_classes=7).eval()
    with ax.no_grad():
        out = model(ax.randn(1, 3, 224, 224))
    assert tuple(out.shape) == (1, 7)
    assert np.isfinite(out.numpy()).all()


@pytest.mark.parametrize(
    ("builder", "kwargs", "size"),
    [
        ("lenet5", {}, 28),
        ("lenet5", {"padding": 0, "activation": "relu", "pooling": "max"}, 32),
        ("resnet18", {"small_input": True, "in_channels": 1}, 28),
        ("resnet34", {"small_input": True}, 32),
        ("resnet50", {"small_input": True, "in_channels": 1}, 28),
        ("vgg11", {"small_input": True, "in_channels": 1}, 28),
        ("vgg11_bn", {"small_input": True}, 32),
        ("resnet20", {"in_channels": 1}, 28),
        ("resnet20", {"shortcut": "B"}, 32),
        ("googlenet", {"in_channels": 1}, 32),
    ],
)
def test_small_input_output_shape(builder: str, kwargs: dict[str, Any], size: int) -> None:
    model = getattr(models, builder)(num_classes=10, **kwargs).eval()
    channels = kwargs.get("in_channels", 1 if builder == "lenet5" else 3)
    with ax.no_grad():
        out = model(ax.randn(2, channels, size, size))
    assert tuple(out.shape) == (2, 10)
    assert np.isfinite(out.numpy()).all()


def test_googlenet_training_returns_aux_outputs() -> None:
    model = models.googlenet(num_classes=5, aux_logits=True)
    out = model(ax.randn(2, 3, 64, 64))
    assert isinstance(out, models.GoogLeNetOutputs)
    assert [tuple(t.shape) for t in out] == [(2, 5)] * 3
    model.eval()
    with ax.no_grad():
        assert tuple(model(ax.randn(2, 3, 64, 64)).shape) == (2, 5)


# ---------------------------------------------------------------- initialization


def test_initializations_follow_torchvision() -> None:
    resnet = models.resnet18()
    w = resnet.layer4[0].conv2.weight.detach().numpy()
    assert w.std() == pytest.approx(math.sqrt(2.0 / (512 * 9)), rel=0.02)
    assert float(resnet.layer1[0].bn2.weight.detach().numpy().min()) == 1.0
    vgg = models.vgg11(num_classes=10, small_input=True)
    assert vgg.classifier[3].weight.detach().numpy().std() == pytest.approx(0.01, rel=0.02)
    assert np.all(vgg.classifier[3].bias.detach().numpy() == 0.0)
    google = models.googlenet()
    w = google.inception5b.branch2[1].conv.weight.detach().numpy()
    assert w.std() == pytest.approx(0.01, rel=0.02)
    assert np.abs(w).max() <= 2.0


def test_zero_init_residual_makes_blocks_identities() -> None:
    model = models.resnet50(zero_init_residual=True, small_input=True)
    blocks = [b for layer in (model.layer1, model.layer2) for b in layer]
    assert all(np.all(b.bn3.weight.detach().numpy() == 0.0) for b in blocks)
    small = models.resnet18(zero_init_residual=True, small_input=True).eval()
    assert np.all(small.layer3[1].bn2.weight.detach().numpy() == 0.0)
    x = ax.randn(2, 128, 8, 8).relu()
    with ax.no_grad():
        out = small.layer2[1](x)  # no downsample: the block returns relu(x) = x
    np.testing.assert_allclose(out.numpy(), x.numpy(), rtol=0, atol=0)


# ---------------------------------------------------------------- argument checks


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: models.lenet5(activation="sigmoid"), ValueError, "LeNet5: activation"),
        (lambda: models.lenet5(pooling="min"), ValueError, "LeNet5: pooling"),
        (lambda: models.resnet18(num_classes=0), ValueError, "ResNet: num_classes"),
        (lambda: models.vgg11(in_channels="3"), TypeError, "VGG: in_channels"),
        (lambda: models.alexnet(dropout=1.5), ValueError, "AlexNet: dropout"),
        (lambda: models.googlenet(transform_input=True, in_channels=1), ValueError, "GoogLeNet"),
        (lambda: models.resnet20(shortcut="C"), ValueError, "CifarResNet: shortcut"),
        (lambda: models.ResNet(nn.Linear, [2, 2, 2, 2]), TypeError, "ResNet: block"),
        (lambda: models.ResNet(models.BasicBlock, [2, 2]), ValueError, "ResNet: layers"),
    ],
)
def test_bad_arguments_raise(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- torch references


def _torch_refs(torch: Any) -> dict[str, Any]:
    """``torch.nn`` re-implementations of the torchvision models (torchvision itself is not
    installable here), with torchvision's module names so the ``state_dict`` keys match."""
    tnn = torch.nn
    tf = torch.nn.functional

    class LeNet5(tnn.Module):
        def __init__(self, act: Any, pool: Any, padding: int, in_channels: int = 1) -> None:
            super().__init__()
            self.features = tnn.Sequential(
                tnn.Conv2d(in_channels, 6, 5, padding=padding), act(), pool(2, 2),
                tnn.Conv2d(6, 16, 5), act(), pool(2, 2),
            )  # fmt: skip
            self.classifier = tnn.Sequential(
                tnn.Flatten(), tnn.Linear(400, 120), act(), tnn.Linear(120, 84), act(),
                tnn.Linear(84, 10),
            )  # fmt: skip

        def forward(self, x: Any) -> Any:
            return self.classifier(self.features(x))

    class AlexNet(tnn.Module):
        def __init__(self, zf: bool = False) -> None:
            super().__init__()
            first = (
                tnn.Conv2d(3, 64, 7, stride=2, padding=1)
                if zf
                else tnn.Conv2d(3, 64, 11, stride=4, padding=2)
            )
            second = tnn.Conv2d(64, 192, 5, stride=2) if zf else tnn.Conv2d(64, 192, 5, padding=2)
            pad = 1 if zf else 0
            self.features = tnn.Sequential(
                first, tnn.ReLU(), tnn.MaxPool2d(3, 2, padding=pad),
                second, tnn.ReLU(), tnn.MaxPool2d(3, 2, padding=pad),
                tnn.Conv2d(192, 384, 3, padding=1), tnn.ReLU(),
                tnn.Conv2d(384, 256, 3, padding=1), tnn.ReLU(),
                tnn.Conv2d(256, 256, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(3, 2),
            )  # fmt: skip
            self.avgpool = tnn.AdaptiveAvgPool2d((6, 6))
            self.classifier = tnn.Sequential(
                tnn.Dropout(), tnn.Linear(9216, 4096), tnn.ReLU(), tnn.Dropout(),
                tnn.Linear(4096, 4096), tnn.ReLU(), tnn.Linear(4096, 1000),
            )  # fmt: skip

        def forward(self, x: Any) -> Any:
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    class VGG(tnn.Module):
        def __init__(self, cfg: list[Any], bn: bool, num_classes: int) -> None:
            super().__init__()
            layers: list[Any] = []
            c = 3
            for v in cfg:
                if v == "M":
                    layers.append(tnn.MaxPool2d(2, 2))
                else:
                    layers += [tnn.Conv2d(c, v, 3, padding=1)]
                    layers += [tnn.BatchNorm2d(v)] if bn else []
                    layers += [tnn.ReLU()]
                    c = v
            self.features = tnn.Sequential(*layers)
            self.avgpool = tnn.AdaptiveAvgPool2d((7, 7))
            self.classifier = tnn.Sequential(
                tnn.Linear(25088, 4096), tnn.ReLU(), tnn.Dropout(),
                tnn.Linear(4096, 4096), tnn.ReLU(), tnn.Dropout(), tnn.Linear(4096, num_classes),
            )  # fmt: skip

        def forward(self, x: Any) -> Any:
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    class BasicConv2d(tnn.Module):
        def __init__(self, cin: int, cout: int, **kw: Any) -> None:
            super().__init__()
            self.conv = tnn.Conv2d(cin, cout, bias=False, **kw)
            self.bn = tnn.BatchNorm2d(cout, eps=0.001)

        def forward(self, x: Any) -> Any:
            return tf.relu(self.bn(self.conv(x)))

    class Inception(tnn.Module):
        def __init__(self, cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, pp: int):
            super().__init__()
            self.branch1 = BasicConv2d(cin, c1, kernel_size=1)
            self.branch2 = tnn.Sequential(
                BasicConv2d(cin, c3r, kernel_size=1), BasicConv2d(c3r, c3, kernel_size=3, padding=1)
            )
            self.branch3 = tnn.Sequential(
                BasicConv2d(cin, c5r, kernel_size=1), BasicConv2d(c5r, c5, kernel_size=3, padding=1)
            )
            self.branch4 = tnn.Sequential(
                tnn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                BasicConv2d(cin, pp, kernel_size=1),
            )

        def forward(self, x: Any) -> Any:
            branches = (self.branch1, self.branch2, self.branch3, self.branch4)
            return torch.cat([b(x) for b in branches], 1)

    class InceptionAux(tnn.Module):
        def __init__(self, cin: int, num_classes: int) -> None:
            super().__init__()
            self.conv = BasicConv2d(cin, 128, kernel_size=1)
            self.fc1 = tnn.Linear(2048, 1024)
            self.fc2 = tnn.Linear(1024, num_classes)
            self.dropout = tnn.Dropout(p=0.7)

    class GoogLeNet(tnn.Module):
        def __init__(self, num_classes: int, aux_logits: bool, transform_input: bool) -> None:
            super().__init__()
            self.transform_input = transform_input
            self.conv1 = BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3)
            self.maxpool1 = tnn.MaxPool2d(3, stride=2, ceil_mode=True)
            self.conv2 = BasicConv2d(64, 64, kernel_size=1)
            self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
            self.maxpool2 = tnn.MaxPool2d(3, stride=2, ceil_mode=True)
            self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
            self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
            self.maxpool3 = tnn.MaxPool2d(3, stride=2, ceil_mode=True)
            self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
            self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
            self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
            self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
            self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
            self.maxpool4 = tnn.MaxPool2d(2, stride=2, ceil_mode=True)
            self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
            self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)
            if aux_logits:
                self.aux1 = InceptionAux(512, num_classes)
                self.aux2 = InceptionAux(528, num_classes)
            self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
            self.dropout = tnn.Dropout(p=0.2)
            self.fc = tnn.Linear(1024, num_classes)

        def forward(self, x: Any) -> Any:
            if self.transform_input:
                x = torch.cat(
                    [
                        x[:, 0:1] * (0.229 / 0.5) + (0.485 - 0.5) / 0.5,
                        x[:, 1:2] * (0.224 / 0.5) + (0.456 - 0.5) / 0.5,
                        x[:, 2:3] * (0.225 / 0.5) + (0.406 - 0.5) / 0.5,
                    ],
                    1,
                )
            x = self.maxpool2(self.conv3(self.conv2(self.maxpool1(self.conv1(x)))))
            x = self.maxpool3(self.inception3b(self.inception3a(x)))
            x = self.inception4d(self.inception4c(self.inception4b(self.inception4a(x))))
            x = self.inception5b(self.inception5a(self.maxpool4(self.inception4e(x))))
            return self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))

    def conv3x3(cin: int, cout: int, stride: int = 1) -> Any:
        return tnn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)

    class BasicBlock(tnn.Module):
        expansion = 1

        def __init__(self, cin: int, planes: int, stride: int = 1, downsample: Any = None):
            super().__init__()
            self.conv1 = conv3x3(cin, planes, stride)
            self.bn1 = tnn.BatchNorm2d(planes)
            self.relu = tnn.ReLU()
            self.conv2 = conv3x3(planes, planes)
            self.bn2 = tnn.BatchNorm2d(planes)
            self.downsample = downsample

        def forward(self, x: Any) -> Any:
            identity = x if self.downsample is None else self.downsample(x)
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(out + identity)

    class Bottleneck(tnn.Module):
        expansion = 4

        def __init__(self, cin: int, planes: int, stride: int = 1, downsample: Any = None):
            super().__init__()
            self.conv1 = tnn.Conv2d(cin, planes, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(planes)
            self.conv2 = conv3x3(planes, planes, stride)
            self.bn2 = tnn.BatchNorm2d(planes)
            self.conv3 = tnn.Conv2d(planes, planes * 4, 1, bias=False)
            self.bn3 = tnn.BatchNorm2d(planes * 4)
            self.relu = tnn.ReLU()
            self.downsample = downsample

        def forward(self, x: Any) -> Any:
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn3(self.conv3(self.relu(self.bn2(self.conv2(out)))))
            return self.relu(out + identity)

    class PadShortcut(tnn.Module):
        def __init__(self, pad: int, stride: int) -> None:
            super().__init__()
            self.pad, self.stride = pad, stride

        def forward(self, x: Any) -> Any:
            x = x[:, :, :: self.stride, :: self.stride]
            return tf.pad(x, (0, 0, 0, 0, self.pad, self.pad))

    class ResNet(tnn.Module):
        def __init__(
            self, block: Any, layers: list[int], num_classes: int, small: bool, cifar: bool
        ) -> None:
            super().__init__()
            width = 16 if cifar else 64
            self.inplanes = width
            kernel = 3 if (small or cifar) else 7
            stride = 1 if (small or cifar) else 2
            self.conv1 = tnn.Conv2d(3, width, kernel, stride, kernel // 2, bias=False)
            self.bn1 = tnn.BatchNorm2d(width)
            self.relu = tnn.ReLU()
            if not cifar:
                self.maxpool = tnn.Identity() if small else tnn.MaxPool2d(3, 2, 1)
            self.cifar = cifar
            stages = []
            for i, n in enumerate(layers):
                stages.append(self._make_layer(block, width * 2**i, n, 1 if i == 0 else 2))
            self.layer1, self.layer2, self.layer3 = stages[:3]
            if not cifar:
                self.layer4 = stages[3]
            self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
            self.fc = tnn.Linear(self.inplanes, num_classes)

        def _make_layer(self, block: Any, planes: int, n: int, stride: int) -> Any:
            downsample = None
            if stride != 1 or self.inplanes != planes * block.expansion:
                if self.cifar:
                    downsample = PadShortcut((planes - self.inplanes) // 2, stride)
                else:
                    downsample = tnn.Sequential(
                        tnn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                        tnn.BatchNorm2d(planes * block.expansion),
                    )
            blocks = [block(self.inplanes, planes, stride, downsample)]
            self.inplanes = planes * block.expansion
            blocks += [block(self.inplanes, planes) for _ in range(1, n)]
            return tnn.Sequential(*blocks)

        def forward(self, x: Any) -> Any:
            x = self.relu(self.bn1(self.conv1(x)))
            if not self.cifar:
                x = self.maxpool(x)
            x = self.layer3(self.layer2(self.layer1(x)))
            if not self.cifar:
                x = self.layer4(x)
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return {
        "LeNet5": LeNet5,
        "AlexNet": AlexNet,
        "VGG": VGG,
        "Inception": Inception,
        "GoogLeNet": GoogLeNet,
        "BasicBlock": BasicBlock,
        "Bottleneck": Bottleneck,
        "ResNet": ResNet,
    }


def _randomize_bn(torch: Any, model: Any) -> None:
    """Give every batch norm non-trivial affine parameters and running statistics so that
    eval-mode parity exercises them (fresh ones are the identity)."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(0.5 + torch.rand(n, generator=g))
                m.bias.copy_(0.2 * torch.randn(n, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(n, generator=g))
                m.running_var.copy_(0.5 + torch.rand(n, generator=g))
                m.num_batches_tracked.fill_(3)


def _kaiming_weights(torch: Any, model: Any) -> None:
    """Scale PyTorch's default conv / linear weights, U(+-1/sqrt(fan_in)), by sqrt(6) to He
    uniform so activations stay O(1) through deep stacks (otherwise the logits are so small
    that the absolute tolerance would hide real differences)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.Conv2d | torch.nn.Linear):
                m.weight.mul_(6.0**0.5)


def _carry_weights(torch: Any, ref: Any, model: Any, tmp_path: Path) -> None:
    """Export ``ref``'s state_dict with safetensors and load it into the axonite ``model``
    (strict: every key must match)."""
    from safetensors.torch import save_file

    path = tmp_path / "weights.safetensors"
    save_file({k: v.contiguous() for k, v in ref.state_dict().items()}, str(path))
    model.load_state_dict(ax.load(str(path)))


def _assert_same_output(torch: Any, ref: Any, model: Any, x: np.ndarray, atol: float) -> None:
    ref.eval()
    model.eval()
    with torch.no_grad():
        expected = ref(torch.from_numpy(x)).numpy()
    with ax.no_grad():
        got = model(ax.from_numpy(x)).numpy()
    assert got.shape == expected.shape
    assert np.abs(expected).max() > 0.1  # large enough for the tolerances to mean something
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=atol)


# ---------------------------------------------------------------- state_dict keys


def test_state_dict_keys_match_torch_reference(torch: Any) -> None:
    refs = _torch_refs(torch)
    cfg_a = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]
    pairs = [
        (refs["LeNet5"](torch.nn.Tanh, torch.nn.AvgPool2d, 2), models.lenet5()),
        (refs["AlexNet"](), models.alexnet()),
        (refs["AlexNet"](zf=True), models.zfnet()),
        (refs["VGG"](cfg_a, True, 10), models.vgg11_bn(num_classes=10, init_weights=False)),
        (refs["GoogLeNet"](1000, False, False), models.googlenet()),
        (refs["GoogLeNet"](1000, True, False), models.googlenet(aux_logits=True)),
        (refs["ResNet"](refs["BasicBlock"], [2, 2, 2, 2], 1000, False, False), models.resnet18()),
        (refs["ResNet"](refs["Bottleneck"], [3, 4, 6, 3], 1000, False, False), models.resnet50()),
        (refs["ResNet"](refs["BasicBlock"], [3, 3, 3], 10, False, True), models.resnet20()),
    ]
    for ref, model in pairs:
        ref_sd, sd = ref.state_dict(), model.state_dict()
        assert list(sd) == list(ref_sd), type(model).__name__
        assert {k: tuple(v.shape) for k, v in sd.items()} == {
            k: tuple(v.shape) for k, v in ref_sd.items()
        }


# ---------------------------------------------------------------- output parity


@pytest.mark.parametrize(
    ("activation", "pooling", "padding", "size"),
    [("tanh", "avg", 2, 28), ("relu", "max", 0, 32)],
)
def test_lenet5_matches_torch(
    torch: Any, tmp_path: Path, activation: str, pooling: str, padding: int, size: int
) -> None:
    refs = _torch_refs(torch)
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[activation]
    pool = {"avg": torch.nn.AvgPool2d, "max": torch.nn.MaxPool2d}[pooling]
    ref = refs["LeNet5"](act, pool, padding)
    model = models.lenet5(activation=activation, pooling=pooling, padding=padding)
    _carry_weights(torch, ref, model, tmp_path)
    x = np.random.default_rng(0).standard_normal((4, 1, size, size)).astype(np.float32)
    _assert_same_output(torch, ref, model, x, atol=1e-5)


def test_resnet18_small_input_matches_torch(torch: Any, tmp_path: Path) -> None:
    refs = _torch_refs(torch)
    ref = refs["ResNet"](refs["BasicBlock"], [2, 2, 2, 2], 10, True, False)
    _randomize_bn(torch, ref)
    model = models.resnet18(num_classes=10, small_input=True)
    _carry_weights(torch, ref, model, tmp_path)
    x = np.random.default_rng(1).standard_normal((2, 3, 32, 32)).astype(np.float32)
    _assert_same_output(torch, ref, model, x, atol=1e-4)


def test_bottleneck_stage_matches_torch(torch: Any, tmp_path: Path) -> None:
    refs = _torch_refs(torch)
    down = torch.nn.Sequential(
        torch.nn.Conv2d(64, 256, 1, 2, bias=False), torch.nn.BatchNorm2d(256)
    )
    ref = torch.nn.Sequential(refs["Bottleneck"](64, 64, 2, down), refs["Bottleneck"](256, 64))
    _randomize_bn(torch, ref)
    mine_down = nn.Sequential(models.resnet.conv1x1(64, 256, 2), nn.BatchNorm2d(256))
    model = nn.Sequential(models.Bottleneck(64, 64, 2, mine_down), models.Bottleneck(256, 64))
    _carry_weights(torch, ref, model, tmp_path)
    x = np.random.default_rng(2).standard_normal((2, 64, 9, 9)).astype(np.float32)
    _assert_same_output(torch, ref, model, x, atol=1e-4)


def test_resnet20_matches_torch(torch: Any, tmp_path: Path) -> None:
    refs = _torch_refs(torch)
    ref = refs["ResNet"](refs["BasicBlock"], [3, 3, 3], 10, False, True)
    _randomize_bn(torch, ref)
    model = models.resnet20()
    _carry_weights(torch, ref, model, tmp_path)
    x = np.random.default_rng(3).standard_normal((2, 3, 32, 32)).astype(np.float32)
    _assert_same_output(torch, ref, model, x, atol=1e-4)


def test_vgg11_small_input_matches_torch(torch: Any, tmp_path: Path) -> None:
    refs = _torch_refs(torch)
    cfg = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512]  # small_input: no last pool
    ref = refs["VGG"](cfg, False, 10)
    _kaiming_weights(torch, ref)
    model = models.vgg11(num_classes=10, small_input=True, init_weights=False)
    _carry_weights(torch, ref, model, tmp_path)
    x = np.random.default_rng(4).standard_normal((2, 3, 32, 32)).astype(np.float32)
    _assert_same_output(torch, ref, model, x, atol=1e-5)


def test_inception_block_matches_torch(torch: Any, tmp_path: Path) -> None:
    ref = _torch_refs(torch)["Inception"](192, 64, 96, 128, 16, 32, 32)
    _randomize_bn(torch, ref)
    _kaiming_weights(torch, ref)
    model = models.Inception(192, 64, 96, 128, 16, 32, 32)
    _carry_weights(torch, ref, model, tmp_path)
    x = np.random.default_rng(5).standard_normal((2, 192, 7, 7)).astype(np.float32)
    _assert_same_output(torch, ref, model, x, atol=1e-4)


@pytest.mark.parametrize("transform_input", [False, True])
def test_googlenet_matches_torch(torch: Any, tmp_path: Path, transform_input: bool) -> None:
    ref = _torch_refs(torch)["GoogLeNet"](10, False, transform_input)
    _randomize_bn(torch, ref)
    _kaiming_weights(torch, ref)
    model = models.googlenet(num_classes=10, transform_input=transform_input)
    _carry_weights(torch, ref, model, tmp_path)
    x = np.random.default_rng(6).standard_normal((2, 3, 64, 64)).astype(np.float32)
    _assert_same_output(torch, ref, model, x, atol=1e-4)


# ---------------------------------------------------------------- backward


def test_small_input_resnet_backward_matches_torch(torch: Any, tmp_path: Path) -> None:
    """Training mode (batch statistics), cross-entropy, backward: gradients of the first conv
    and the classifier equal PyTorch's, and every parameter receives a gradient."""
    # Seeded and in float64: through 20 train-mode batch norms a float32 gradient of the first
    # conv can differ between libraries by percent (near-constant channels amplify rounding),
    # which would hide nothing but fail at random; float64 keeps only real differences.
    torch.manual_seed(0)
    refs = _torch_refs(torch)
    ref = refs["ResNet"](refs["BasicBlock"], [3, 3, 3], 10, False, True)
    model = models.resnet20()
    _carry_weights(torch, ref, model, tmp_path)
    ref.double()
    model.double()
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 3, 32, 32))
    y = rng.integers(0, 10, size=4)
    ref.train()
    model.train()
    torch.nn.functional.cross_entropy(ref(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    loss = nn.functional.cross_entropy(model(ax.from_numpy(x)), ax.from_numpy(y))
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    for name in ("conv1.weight", "layer2.0.conv1.weight", "fc.weight", "fc.bias"):
        mine = dict(model.named_parameters())[name].grad.numpy()
        theirs = dict(ref.named_parameters())[name].grad.numpy()
        np.testing.assert_allclose(mine, theirs, rtol=1e-7, atol=1e-10, err_msg=name)
    # running statistics were updated like PyTorch's
    np.testing.assert_allclose(
        model.bn1.running_mean.numpy(), ref.bn1.running_mean.numpy(), rtol=1e-4, atol=1e-6
    )
