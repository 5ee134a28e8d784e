"""K-fold cross-validation splitters with scikit-learn's names, arguments and fold layout:
``KFold`` and ``StratifiedKFold`` yield ``(train_idx, val_idx)`` int64 tensors, the same folds
sklearn produces for the same ``random_state`` (shuffling uses NumPy's RandomState exactly as
sklearn does). Feed the indices to ``Subset`` or ``Tensor.index_select``."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

import axonite as ax
from axonite import Tensor

__all__ = ["KFold", "StratifiedKFold"]


def _num_samples(owner: str, X: Any) -> int:
    """n from an int, or from the length of an array, tensor, list or dataset."""
    if isinstance(X, numbers.Integral) and not isinstance(X, bool):
        if X < 0:
            raise ValueError(f"{owner}.split: number of samples must be >= 0, got {X}")
        return int(X)
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    try:
        return len(X)
    except TypeError:
        raise TypeError(
            f"{owner}.split: X must be a number of samples or have a length, got {type(X).__name__}"
        ) from None


def _check_random_state(owner: str, random_state: Any) -> np.random.RandomState:
    """sklearn's check_random_state: None -> NumPy's global RandomState, int -> a new one."""
    if random_state is None:
        return np.random.mtrand._rand
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return np.random.RandomState(int(random_state))
    if isinstance(random_state, np.random.RandomState):
        return random_state
    raise ValueError(
        f"{owner}: random_state must be None, an int or a numpy RandomState, got {random_state!r}"
    )


def _to_tensor(idx: np.ndarray) -> Tensor:
    return ax.from_numpy(np.ascontiguousarray(idx, dtype=np.int64))


class _BaseKFold:
    """Argument checks and the mask-to-indices step shared by the splitters."""

    def __init__(self, n_splits: int, *, shuffle: bool, random_state: Any) -> None:
        name = type(self).__name__
        if isinstance(n_splits, bool) or not isinstance(n_splits, numbers.Integral):
            raise TypeError(
                f"{name}: n_splits must be an int, got {n_splits!r} of type "
                f"{type(n_splits).__name__}"
            )
        if n_splits <= 1:
            raise ValueError(
                f"{name}: k-fold cross-validation requires at least one train/test split by "
                f"setting n_splits=2 or more, got n_splits={n_splits}"
            )
        if not isinstance(shuffle, bool):
            raise TypeError(f"{name}: shuffle must be True or False, got {shuffle!r}")
        if not shuffle and random_state is not None:
            raise ValueError(
                f"{name}: setting a random_state has no effect since shuffle is False; leave "
                f"random_state to its default (None), or set shuffle=True (got "
                f"random_state={random_state!r})"
            )
        self.n_splits = int(n_splits)
        self.shuffle = shuffle
        self.random_state = random_state

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """The number of folds."""
        return self.n_splits

    def _check_n(self, n: int) -> None:
        if self.n_splits > n:
            raise ValueError(
                f"{type(self).__name__}.split: cannot have number of splits "
                f"n_splits={self.n_splits} greater than the number of samples: n_samples={n}"
            )

    def _split_from_folds(self, test_fold: np.ndarray) -> Iterator[tuple[Tensor, Tensor]]:
        """Yields (train, test) per fold from each sample's test-fold number, both sorted."""
        indices = np.arange(len(test_fold))
        for k in range(self.n_splits):
            mask = test_fold == k
            yield _to_tensor(indices[~mask]), _to_tensor(indices[mask])

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n_splits={self.n_splits}, random_state={self.random_state!r}, "
            f"shuffle={self.shuffle})"
        )


class KFold(_BaseKFold):
    """K consecutive folds (shuffled first when ``shuffle``); each fold is the validation set
    once. The first ``n % n_splits`` folds hold ``n // n_splits + 1`` samples, the rest
    ``n // n_splits``, exactly as sklearn.model_selection.KFold.

    Example::

        for train_idx, val_idx in KFold(5, shuffle=True, random_state=0).split(len(ds)):
            train, val = Subset(ds, train_idx), Subset(ds, val_idx)
    """

    def __init__(
        self, n_splits: int = 5, *, shuffle: bool = False, random_state: Any = None
    ) -> None:
        super().__init__(n_splits, shuffle=shuffle, random_state=random_state)

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[tuple[Tensor, Tensor]]:
        """Yields ``(train_idx, val_idx)`` int64 tensors; X is n or anything with a length."""
        n = _num_samples("KFold", X)
        self._check_n(n)
        order = np.arange(n)
        if self.shuffle:
            _check_random_state("KFold", self.random_state).shuffle(order)
        sizes = np.full(self.n_splits, n // self.n_splits, dtype=np.int64)
        sizes[: n % self.n_splits] += 1
        test_fold = np.empty(n, dtype=np.int64)
        test_fold[order] = np.repeat(np.arange(self.n_splits), sizes)
        return self._split_from_folds(test_fold)


class StratifiedKFold(_BaseKFold):
    """K folds that keep each class's proportion (sklearn.model_selection.StratifiedKFold, same
    folds): per class, samples are dealt to folds in blocks, following the round-robin
    allocation of the sorted labels; ``shuffle`` permutes each class's fold assignment.

    Example::

        for tr, va in StratifiedKFold(5).split(X, y): ...
    """

    def __init__(
        self, n_splits: int = 5, *, shuffle: bool = False, random_state: Any = None
    ) -> None:
        super().__init__(n_splits, shuffle=shuffle, random_state=random_state)

    def split(self, X: Any, y: Any, groups: Any = None) -> Iterator[tuple[Tensor, Tensor]]:
        """Yields ``(train_idx, val_idx)`` int64 tensors; ``y`` holds the class labels, X is n,
        None or anything with a length (only its length is used)."""
        labels = y.numpy() if isinstance(y, Tensor) else np.asarray(y)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels.ravel()
        if labels.ndim != 1:
            raise ValueError(
                f"StratifiedKFold.split: y must be 1-d class labels, got shape {list(labels.shape)}"
            )
        if labels.dtype.kind == "f" and not np.all(np.isfinite(labels) & (labels % 1 == 0)):
            raise ValueError(
                "StratifiedKFold.split: supported target types are binary and multiclass, got "
                "continuous float labels"
            )
        n = len(labels) if X is None else _num_samples("StratifiedKFold", X)
        if n != len(labels):
            raise ValueError(
                f"StratifiedKFold.split: X has {n} samples but y has {len(labels)} labels"
            )
        self._check_n(n)
        return self._split_from_folds(self._make_test_folds(labels))

    def _make_test_folds(self, labels: np.ndarray) -> np.ndarray:
        rng = _check_random_state("StratifiedKFold", self.random_state)
        _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
        # Encode classes by order of first appearance, as sklearn does.
        _, class_perm = np.unique(first, return_inverse=True)
        encoded = class_perm[inverse.reshape(-1)]
        n_classes = len(first)
        counts = np.bincount(encoded)
        if np.all(self.n_splits > counts):
            raise ValueError(
                f"StratifiedKFold.split: n_splits={self.n_splits} cannot be greater than the "
                f"number of members in each class (class counts {counts.tolist()})"
            )
        if self.n_splits > counts.min():
            warnings.warn(
                f"StratifiedKFold: the least populated class in y has only {counts.min()} "
                f"members, which is less than n_splits={self.n_splits}.",
                UserWarning,
                stacklevel=3,
            )
        # Per-fold class counts: deal the sorted labels round robin over the folds.
        ordered = np.sort(encoded)
        allocation = np.asarray(
            [
                np.bincount(ordered[i :: self.n_splits], minlength=n_classes)
                for i in range(self.n_splits)
            ]
        )
        test_fold = np.empty(len(labels), dtype=np.int64)
        for k in range(n_classes):
            folds_for_class = np.arange(self.n_splits).repeat(allocation[:, k])
            if self.shuffle:
                rng.shuffle(folds_for_class)
            test_fold[encoded == k] = folds_for_class
        return test_fold
