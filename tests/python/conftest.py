"""Shared pytest setup: deterministic seeds, and the optional PyTorch reference."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import axonite as ax


@pytest.fixture(autouse=True)
def _seed() -> None:
    np.random.seed(0)
    if hasattr(ax, "manual_seed"):
        ax.manual_seed(0)
    torch = sys.modules.get("torch")  # seeded too once a test has imported it
    if torch is not None:
        torch.manual_seed(0)


@pytest.fixture
def torch():
    """The PyTorch module, or a clean skip where it is not installed."""
    return pytest.importorskip("torch")
