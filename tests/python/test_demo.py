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
