"""``ax.train.Checkpoint``: everything a training run needs to continue bit-for-bit after a stop.

A checkpoint directory holds one safetensors file per saved state and a small JSON manifest
(``manifest.json``) naming the current one::

    run/
      manifest.json                         {"format": "axonite.checkpoint", "file": ..., ...}
      ckpt-e0003-s000450.safetensors        model, optimizer, scheduler, RNG, loader position

The manifest is the commit point. ``save`` first writes the state file (atomically, through
``ax.save``), then atomically replaces the manifest, then deletes state files the manifest no
longer names. A crash or an exception at any moment leaves the previous manifest and the file
it names intact, so ``load`` always sees a complete checkpoint.

Bit-exact resumption needs every source of randomness and every piece of running state:
module parameters and buffers, optimizer state (moments, step counts) and param-group options,
scheduler counters, the global axonite generator (dropout, random init), NumPy's and Python's
global generators (augmentations written with them), and the data loader's position (its
shuffle generator and how many batches of the current epoch it has yielded).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import secrets
from typing import Any

import numpy as np

from .._C import get_rng_state, set_rng_state
from .._tensor import tensor as _tensor
from ..serialization import load as _load
from ..serialization import save as _save

__all__ = ["Checkpoint"]

MANIFEST = "manifest.json"
_FORMAT = "axonite.checkpoint"
_VERSION = 1


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_json_atomic(path: str, doc: dict[str, Any]) -> None:
    """Writes JSON to a temp file next to path, fsyncs it and renames it over path."""
    directory, base = os.path.split(os.path.abspath(path))
    tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _numpy_rng_state() -> dict[str, Any]:
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "name": name,
        "keys": _tensor(keys.astype(np.int64)),
        "pos": int(pos),
        "has_gauss": int(has_gauss),
        "cached_gaussian": float(cached),
    }


def _set_numpy_rng_state(s: dict[str, Any]) -> None:
    keys = s["keys"].numpy().astype(np.uint32)
    np.random.set_state((s["name"], keys, s["pos"], s["has_gauss"], s["cached_gaussian"]))


def _python_rng_state() -> dict[str, Any]:
    version, internal, gauss_next = random.getstate()
    return {"version": version, "internal": _tensor(list(internal)), "gauss_next": gauss_next}


def _set_python_rng_state(s: dict[str, Any]) -> None:
    internal = tuple(int(v) for v in s["internal"].tolist())
    random.setstate((s["version"], internal, s["gauss_next"]))


def _has_state(obj: object) -> bool:
    return callable(getattr(obj, "state_dict", None)) and callable(
        getattr(obj, "load_state_dict", None)
    )


class Checkpoint:
    """Saves and restores a training run: ``Checkpoint(directory, model=..., optimizer=...,
    scheduler=..., loader=..., **others)``; every object given needs ``state_dict`` and
    ``load_state_dict`` (modules, optimizers, schedulers, ``DataLoader``, your own).

        >>> ckpt = ax.train.Checkpoint("run", model=net, optimizer=opt, loader=loader)
        >>> start = ckpt.load()["epoch"] if ckpt.exists() else 0   # resume if there is one
        >>> for epoch in range(start, epochs):
        ...     for step, (x, y) in enumerate(loader):
        ...         ...
        ...         if step % 100 == 0:
        ...             ckpt.save(epoch=epoch, step=step)   # mid-epoch is fine
        ...     ckpt.save(epoch=epoch + 1)

    ``save`` also records the global RNG states (axonite, NumPy, Python ``random``); pass
    ``rng=False`` to leave them out. ``keep`` is how many state files to keep (older ones are
    deleted after the manifest moves on). ``load`` restores everything in place and returns
    the manifest's ``epoch``, ``step`` and the ``extra`` values given to ``save``.
    """

    def __init__(
        self, directory: str | os.PathLike[str], *, rng: bool = True, keep: int = 1, **objects: Any
    ) -> None:
        if not isinstance(keep, int) or keep < 1:
            raise ValueError(f"Checkpoint: keep must be a positive int, got {keep!r}")
        for name, obj in objects.items():
            if obj is not None and not _has_state(obj):
                raise TypeError(
                    f"Checkpoint: {name}= needs state_dict() and load_state_dict(), "
                    f"got {type(obj).__name__}"
                )
        self.directory = os.fspath(directory)
        self.objects = {k: v for k, v in objects.items() if v is not None}
        self.rng = rng
        self.keep = keep

    # -- paths -------------------------------------------------------------------------------

    @property
    def manifest_path(self) -> str:
        return os.path.join(self.directory, MANIFEST)

    def exists(self) -> bool:
        """Whether the directory holds a committed checkpoint."""
        return os.path.isfile(self.manifest_path)

    def manifest(self) -> dict[str, Any]:
        """The committed manifest (raises FileNotFoundError when there is none)."""
        try:
            with open(self.manifest_path, encoding="utf-8") as f:
                doc = json.load(f)
        except FileNotFoundError:
            raise FileNotFoundError(
                f"Checkpoint.load: no checkpoint in {self.directory!r} (no {MANIFEST})"
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(
                f"Checkpoint.load: {self.manifest_path!r} is not valid JSON: {e}"
            ) from None
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
            raise ValueError(f"Checkpoint.load: {self.manifest_path!r} is not an axonite manifest")
        if doc.get("version") != _VERSION:
            raise ValueError(
                f"Checkpoint.load: manifest version {doc.get('version')!r} is not supported "
                f"(this axonite reads version {_VERSION})"
            )
        return doc

    # -- save --------------------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        state: dict[str, Any] = {name: obj.state_dict() for name, obj in self.objects.items()}
        if self.rng:
            state["rng"] = {
                "axonite": get_rng_state(),
                "numpy": _numpy_rng_state(),
                "python": _python_rng_state(),
            }
        return state

    def save(self, epoch: int = 0, step: int = 0, **extra: Any) -> str:
        """Writes a new checkpoint and commits it; returns the state file's path. ``extra``
        values must be JSON-serializable (numbers, strings, lists, dicts)."""
        try:
            json.dumps(extra, allow_nan=True)
        except TypeError as e:
            raise TypeError(
                f"Checkpoint.save: extra values must be JSON-serializable: {e}"
            ) from None
        os.makedirs(self.directory, exist_ok=True)
        previous = self._committed_files()
        name = f"ckpt-e{int(epoch):04d}-s{int(step):06d}-{secrets.token_hex(3)}.safetensors"
        path = os.path.join(self.directory, name)
        _save(self._state(), path)
        try:
            doc = {
                "format": _FORMAT,
                "version": _VERSION,
                "file": name,
                "sha256": _sha256(path),
                "epoch": int(epoch),
                "step": int(step),
                "components": sorted(self.objects) + (["rng"] if self.rng else []),
                "extra": extra,
                "history": [*previous, name][-self.keep :],
            }
            _write_json_atomic(self.manifest_path, doc)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            raise
        for old in previous:
            if old not in doc["history"]:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(self.directory, old))
        return path

    def _committed_files(self) -> list[str]:
        if not self.exists():
            return []
        try:
            doc = self.manifest()
        except ValueError:
            return []
        return [str(f) for f in doc.get("history", [doc.get("file")]) if f]

    # -- load --------------------------------------------------------------------------------

    def load(self, strict: bool = True) -> dict[str, Any]:
        """Restores every object given to the constructor (and the RNG states, when saved) from
        the committed checkpoint; returns ``{"epoch", "step", "extra"}``. With ``strict``, an
        object given here but absent from the file (or the other way round) is an error."""
        doc = self.manifest()
        path = os.path.join(self.directory, os.path.basename(str(doc["file"])))
        if not os.path.isfile(path):
            raise FileNotFoundError(f"Checkpoint.load: {path!r} named by the manifest is missing")
        if _sha256(path) != doc.get("sha256"):
            raise ValueError(f"Checkpoint.load: {path!r} does not match the manifest's sha256")
        state = _load(path)
        if not isinstance(state, dict):
            raise TypeError(f"Checkpoint.load: {path!r} does not hold a checkpoint state")
        saved = set(state) - {"rng"}
        wanted = set(self.objects)
        if strict and saved != wanted:
            raise ValueError(
                f"Checkpoint.load: the file holds {sorted(saved)} but this Checkpoint was given "
                f"{sorted(wanted)} (pass strict=False to restore only the common ones)"
            )
        for name in sorted(saved & wanted):
            self.objects[name].load_state_dict(state[name])
        if self.rng and "rng" in state:
            rng = state["rng"]
            set_rng_state(rng["axonite"])
            _set_numpy_rng_state(rng["numpy"])
            _set_python_rng_state(rng["python"])
        return {"epoch": doc["epoch"], "step": doc["step"], "extra": doc.get("extra", {})}
