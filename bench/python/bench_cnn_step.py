"""CNN training-step benchmarks, axonite vs PyTorch in one process on the same data and weights:
(i) LeNet-5 (``ax.models.lenet5``: tanh, average pooling), batch 64 of 1x28x28, Adam;
(ii) ResNet-18 with the CIFAR stem (``ax.models.resnet18(small_input=True)``: 3x3 stride-1
conv, no max pool), batch 32 of 3x32x32, SGD with momentum, train mode (batch norm on batch
statistics). A step is zero_grad + forward + cross_entropy + backward + optimizer.step. The
PyTorch twins are defined here with the same module names, so the axonite models load their
state_dicts; parameter counts and the first loss are checked to agree before timing. Prints
median times and ratios (axonite / torch; below 1.0 means axonite is faster).

    python bench/python/bench_cnn_step.py [--repeats N] [--threads 1 2]
                                          [--cases lenet resnet18] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import axonite as ax
import axonite.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from _harness import Case, run_table, torch

tnn = torch.nn


class TorchLeNet5(tnn.Module):
    """ax.models.LeNet5 with its defaults (tanh, average pooling, padding 2), same names."""

    def __init__(self) -> None:
        super().__init__()
        self.features = tnn.Sequential(
            tnn.Conv2d(1, 6, 5, padding=2),
            tnn.Tanh(),
            tnn.AvgPool2d(2, 2),
            tnn.Conv2d(6, 16, 5),
            tnn.Tanh(),
            tnn.AvgPool2d(2, 2),
        )
        self.classifier = tnn.Sequential(
            tnn.Flatten(),
            tnn.Linear(400, 120),
            tnn.Tanh(),
            tnn.Linear(120, 84),
            tnn.Tanh(),
            tnn.Linear(84, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class TorchBasicBlock(tnn.Module):
    """torchvision's BasicBlock (ax.models.BasicBlock): conv3x3-BN-ReLU-conv3x3-BN + shortcut."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = tnn.Sequential(
                tnn.Conv2d(inplanes, planes, 1, stride, bias=False), tnn.BatchNorm2d(planes)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class TorchResNet18Cifar(tnn.Module):
    """ax.models.resnet18(num_classes=10, small_input=True): 3x3/1 stem, no max pool, four
    stages of two blocks at 64/128/256/512 planes, global average pool, fc."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = tnn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.Identity()
        widths = [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)]
        for i, (cin, cout, stride) in enumerate(widths, start=1):
            stage = tnn.Sequential(TorchBasicBlock(cin, cout, stride), TorchBasicBlock(cout, cout))
            setattr(self, f"layer{i}", stage)
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def copy_weights(name: str, tm: tnn.Module, am: ax.nn.Module) -> None:
    """Loads tm's state_dict into am after checking that keys and parameter counts agree."""
    tsd, asd = tm.state_dict(), am.state_dict()
    if list(tsd) != list(asd):
        missing, extra = set(asd) - set(tsd), set(tsd) - set(asd)
        raise ValueError(
            f"{name}: state_dict keys differ: only axonite {missing}, only torch {extra}"
        )
    tn = sum(p.numel() for p in tm.parameters())
    an = sum(p.numel() for p in am.parameters())
    if tn != an:
        raise ValueError(f"{name}: parameter counts differ: axonite {an}, torch {tn}")
    am.load_state_dict({k: ax.tensor(v.detach().numpy()) for k, v in tsd.items()})


def check_first_loss(
    name: str, am: ax.nn.Module, tm: tnn.Module, ax_in: tuple, t_in: tuple
) -> None:
    """Guards against a twin that does not compute the same function: the losses of one forward
    pass on the shared batch must agree (in train mode this also moves both models' batch-norm
    running statistics by the same amount)."""
    la = float(F.cross_entropy(am(ax_in[0]), ax_in[1]).item())
    lt = float(tnn.functional.cross_entropy(tm(t_in[0]), t_in[1]).item())
    if abs(la - lt) > 1e-3 * max(1.0, abs(lt)):
        raise RuntimeError(f"{name}: first losses differ: axonite {la:.6f}, torch {lt:.6f}")


def step_case(
    name: str,
    threads: int,
    am: ax.nn.Module,
    tm: tnn.Module,
    x: np.ndarray,
    y: np.ndarray,
    make_opts: tuple,
) -> Case:
    """One training-step case on the given twins, batch (x, y) and optimizer factories."""
    copy_weights(name, tm, am)
    am.train()
    tm.train()
    axx, axy = ax.tensor(x), ax.tensor(y)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    check_first_loss(name, am, tm, (axx, axy), (tx, ty))
    aopt, topt = make_opts[0](am.parameters()), make_opts[1](tm.parameters())

    def ax_step() -> None:
        aopt.zero_grad()
        F.cross_entropy(am(axx), axy).backward()
        aopt.step()

    def t_step() -> None:
        topt.zero_grad()
        tnn.functional.cross_entropy(tm(tx), ty).backward()
        topt.step()

    return (name, threads, ax_step, t_step)


def lenet_case(threads: int) -> Case:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    opts = (lambda p: ax.optim.Adam(p, lr=1e-3), lambda p: torch.optim.Adam(p, lr=1e-3))
    return step_case(
        "LeNet-5 step, b=64, Adam", threads, ax.models.lenet5(), TorchLeNet5(), x, y, opts
    )


def resnet_case(threads: int) -> Case:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    opts = (
        lambda p: ax.optim.SGD(p, lr=0.01, momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
    )
    am = ax.models.resnet18(num_classes=10, small_input=True)
    return step_case(
        "ResNet-18 CIFAR step, b=32, SGD-m", threads, am, TorchResNet18Cifar(), x, y, opts
    )


CASES = {"lenet": lenet_case, "resnet18": resnet_case}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    cases: list[Case] = []
    for th in args.threads:
        cases += [CASES[key](th) for key in args.cases]
    run_table(cases, args.repeats, args.markdown)


if __name__ == "__main__":
    main()
