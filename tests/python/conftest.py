"""Shared pytest setup: deterministic seeds, the optional PyTorch reference, and fixtures that
skip a test cleanly when the data package it trains on is not installed."""

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


# Lines for the "Reliability" section printed at the end of the run (README's Reliability
# table quotes them): each names what was measured with its seed, thread count and N.
_RELIABILITY_LINES: list[str] = []


@pytest.fixture
def reliability():
    """``reliability(line)`` records a measured figure for the end-of-run Reliability summary."""
    return _RELIABILITY_LINES.append


# The issue-7 suite's own files: their test time is reported so the 15-minute CI budget is a
# printed figure, not a guess (.ci/run adds the sanitizer job's time).
_SUITE_FILES = (
    "test_op_registry.py",
    "test_stability.py",
    "test_file_fuzz.py",
    "test_memory.py",
    "test_reliability_threads.py",
    "test_shape_fuzz.py",
    "test_corpus_ops.py",
)
_suite_time = {"tests": 0, "seconds": 0.0}


def pytest_runtest_logreport(report) -> None:
    if report.nodeid.split("::")[0].rsplit("/", 1)[-1] in _SUITE_FILES:
        _suite_time["seconds"] += report.duration  # setup + call + teardown
        _suite_time["tests"] += report.when == "call"


def pytest_terminal_summary(terminalreporter) -> None:
    if _RELIABILITY_LINES:
        terminalreporter.section("Reliability")
        for line in _RELIABILITY_LINES:
            terminalreporter.write_line(line)
        terminalreporter.write_line(
            f"reliability suite ({len(_SUITE_FILES)} files): {_suite_time['tests']} tests in "
            f"{_suite_time['seconds']:.0f} s of test time"
        )


@pytest.fixture
def torch():
    """The PyTorch module, or a clean skip where it is not installed."""
    return pytest.importorskip("torch")


def require_dataset(loader, **kwargs) -> None:
    """Skips the calling test when ``loader``'s data package is not installed."""
    try:
        loader(**kwargs)
    except ax.datasets.DatasetNotFoundError as e:
        pytest.skip(f"dataset not installed: {e}")


@pytest.fixture
def digits_data() -> None:
    pytest.importorskip("sklearn")
    require_dataset(ax.datasets.digits)


@pytest.fixture
def mnist_small_data() -> None:
    require_dataset(ax.datasets.mnist_small, as_numpy=True)


@pytest.fixture
def mnist_data() -> None:
    require_dataset(ax.datasets.mnist, as_numpy=True)


@pytest.fixture
def fashion_data() -> None:
    require_dataset(ax.datasets.fashion_mnist, as_numpy=True)


@pytest.fixture
def vowels_data() -> None:
    require_dataset(ax.datasets.japanese_vowels, as_numpy=True)


@pytest.fixture
def shakespeare_data() -> None:
    require_dataset(ax.datasets.shakespeare)


@pytest.fixture
def sunspots_data() -> None:
    require_dataset(ax.datasets.sunspots, as_numpy=True)
