"""Utilities (PyTorch's torch.utils): ``data`` holds datasets, samplers and the DataLoader."""

from __future__ import annotations

from . import data
