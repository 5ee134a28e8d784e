"""The README demo trains on real bundled data (scikit-learn's digits) to a stated accuracy."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("sklearn")


def test_digits_mlp_demo_reaches_95_percent() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "axonite.examples.digits_mlp", "--epochs", "15"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    assert "epoch  15/15" in out
    acc = float(out.strip().splitlines()[-1].split()[-1])
    assert acc >= 0.95, out


def _mnist_or_skip(small: bool = False) -> None:
    import axonite as ax

    try:
        (ax.datasets.mnist_small if small else ax.datasets.mnist)()
    except ax.datasets.DatasetNotFoundError as e:
        pytest.skip(str(e))


def test_mnist_mlp_smoke() -> None:
    """The README demo's code path end to end on the 5k sample, in a subprocess like a user."""
    _mnist_or_skip(small=True)
    out = subprocess.run(
        [sys.executable, "-m", "axonite.examples.mnist_mlp", "--smoke", "--verbose", "2"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    assert "Epoch 2/2" in out and "val_accuracy" in out, out
    acc = float(out.split("test accuracy")[1].split()[0])
    assert acc >= 0.85, out


@pytest.mark.slow
def test_mnist_mlp_reaches_98_percent() -> None:
    """The headline: full MNIST, 8 epochs, >= 0.98 test accuracy."""
    _mnist_or_skip()
    from axonite.examples import mnist_mlp

    result = mnist_mlp.main(["--verbose", "0"])
    assert result["test_accuracy"] >= 0.98, result
