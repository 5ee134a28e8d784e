"""Evaluation metrics: functional ones that mirror scikit-learn (``accuracy``, ``precision``,
``recall``, ``f1``, ``confusion_matrix``, ``mae``, ``mse``, ``rmse``, ``r2``) and Keras-style
stateful ones for training loops (``Accuracy``, ``Precision``, ..., ``Mean``).

Functional metrics take ``(y_true, y_pred)`` in scikit-learn's order, as axonite tensors, NumPy
arrays or lists, and return the same numbers scikit-learn does (in float64). Stateful metrics
accumulate sufficient statistics (per-class counts, per-output sums) so that feeding the data in
batches gives exactly the value of the functional metric on the whole data.

How ``y_pred`` is read for classification:

- class labels, shape ``(N,)`` or ``(N, 1)``, integer or bool;
- scores, shape ``(N, C)`` with ``C > 1``: the predicted class is the ``argmax`` over classes;
- binary scores, float shape ``(N,)`` or ``(N, 1)``, when ``y_true`` is binary (0/1): the
  prediction is ``y_pred > threshold`` (0.5 for probabilities; pass ``threshold=0.0`` for logits).

``y_true`` may be labels ``(N,)``/``(N, 1)`` or one-hot ``(N, C)`` (read with ``argmax``).
All work is done with tensor ops; the label space is the span ``[min, max]`` of the labels seen,
so labels may be any integers (e.g. -1/1) as long as that span stays reasonable.
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _C
from .._C import Tensor
from .._tensor import tensor as _tensor
from ..nn.modules.loss import BCELoss, BCEWithLogitsLoss

__all__ = [
    "Accuracy",
    "F1Score",
    "FunctionMetric",
    "Mean",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Metric",
    "Precision",
    "R2Score",
    "Recall",
    "RootMeanSquaredError",
    "UndefinedMetricWarning",
    "accuracy",
    "accuracy_score",
    "confusion_matrix",
    "f1",
    "f1_score",
    "fbeta_score",
    "get_metric",
    "mae",
    "mean_absolute_error",
    "mean_squared_error",
    "mse",
    "precision",
    "precision_score",
    "r2",
    "r2_score",
    "recall",
    "recall_score",
    "rmse",
    "root_mean_squared_error",
]

_F64 = _C.float64
_I64 = _C.int64
# Largest label span [min, max] handled: the per-label count vectors have this many entries.
_MAX_SPAN = 1 << 24
_AVERAGES = (None, "binary", "micro", "macro", "weighted")


class UndefinedMetricWarning(UserWarning):
    """A metric hit 0/0 (e.g. precision of a class never predicted) and was set by
    ``zero_division``; raised only with ``zero_division='warn'``, as in scikit-learn."""


# ---- input normalisation ----------------------------------------------------------------------


def _as_tensor(x: Any, fn: str, arg: str) -> Tensor:
    """``x`` as a detached axonite tensor (NumPy arrays, lists, scalars and array-likes such as
    PyTorch tensors are copied through NumPy; float64 data stays float64)."""
    if isinstance(x, Tensor):
        return x.detach()
    if x is None:
        raise TypeError(f"{fn}: {arg} must be a tensor, array or list, got None")
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{fn}: could not read {arg} as an array ({e})") from e
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{fn}: {arg} must hold numbers or booleans, got {type(x).__name__} of dtype "
            f"{arr.dtype}"
        )
    return _tensor(arr)


def _is_integral(t: Tensor) -> bool:
    """Whether every value of a float tensor is finite and whole."""
    return bool(((t == t.floor()) & ((t - t) == 0)).all().item())


def _first_bad(t: Tensor) -> float:
    """One offending (non-integral or non-finite) value, for error messages."""
    bad = ~((t == t.floor()) & ((t - t) == 0))
    return float(t.masked_select(bad)[0].item())


def _true_labels(t: Tensor, fn: str) -> Tensor:
    """``y_true`` as int64 labels of shape (N,): (N, 1) is squeezed, one-hot (N, C) is
    argmax-ed, bools become 0/1, whole floats become ints."""
    if t.ndim == 2:
        t = t.reshape(-1) if t.shape[1] == 1 else t.argmax(1)
    elif t.ndim != 1:
        raise ValueError(
            f"{fn}: y_true must have shape (N,), (N, 1) or one-hot (N, C), got {tuple(t.shape)}"
        )
    if t.is_floating_point() and t.numel() and not _is_integral(t):
        raise ValueError(
            f"{fn}: y_true must hold class labels, got the continuous value {_first_bad(t)}"
        )
    return t.long()


def _pred_labels(
    p: Tensor, fn: str, *, threshold: float, binary_true: bool, always_threshold: bool
) -> Tensor:
    """``y_pred`` as int64 labels of shape (N,): argmax of (N, C) scores, thresholded binary
    scores, or the labels themselves."""
    if p.ndim == 2:
        if p.shape[1] > 1:
            return p.argmax(1)
        p = p.reshape(-1)
    elif p.ndim != 1:
        raise ValueError(
            f"{fn}: y_pred must have shape (N,), (N, 1) or (N, C), got {tuple(p.shape)}"
        )
    if p.is_floating_point():
        if always_threshold or binary_true:
            return (p > threshold).long()
        if p.numel() and not _is_integral(p):
            raise ValueError(
                f"{fn}: y_pred holds continuous scores (e.g. {_first_bad(p)}) but y_true is not "
                "binary (0/1); pass class labels or (N, C) class scores"
            )
    return p.long()


def _weights(sample_weight: Any, n: int, fn: str) -> Tensor | None:
    """``sample_weight`` as a float64 (N,) tensor, or None."""
    if sample_weight is None:
        return None
    w = _as_tensor(sample_weight, fn, "sample_weight").double()
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(f"{fn}: sample_weight must have shape ({n},), got {tuple(w.shape)}")
    return w


def _class_targets(
    fn: str,
    y_true: Any,
    y_pred: Any,
    sample_weight: Any = None,
    *,
    threshold: float = 0.5,
    always_threshold: bool = False,
    allow_empty: bool = False,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Checked (labels_true, labels_pred, weights) for a classification metric."""
    t = _true_labels(_as_tensor(y_true, fn, "y_true"), fn)
    p = _as_tensor(y_pred, fn, "y_pred")
    binary_true = bool(((t == 0) | (t == 1)).all().item())
    p = _pred_labels(
        p, fn, threshold=threshold, binary_true=binary_true, always_threshold=always_threshold
    )
    if t.shape[0] != p.shape[0]:
        raise ValueError(
            f"{fn}: y_true and y_pred have different numbers of samples: {t.shape[0]} and "
            f"{p.shape[0]}"
        )
    if t.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{fn}: y_true and y_pred are empty")
    return t, p, _weights(sample_weight, t.shape[0], fn)


def _check_zero_division(zero_division: Any, fn: str) -> float:
    """The value that replaces 0/0 (``'warn'`` means 0.0 plus a warning)."""
    if isinstance(zero_division, str):
        if zero_division == "warn":
            return 0.0
    elif (
        isinstance(zero_division, int | float)
        and not isinstance(zero_division, bool)
        and (zero_division in (0, 1) or math.isnan(zero_division))
    ):
        return float(zero_division)
    raise ValueError(f"{fn}: zero_division must be 'warn', 0, 1 or nan, got {zero_division!r}")


def _check_average(average: Any, fn: str) -> None:
    if average not in _AVERAGES:
        raise ValueError(f"{fn}: average must be one of {list(_AVERAGES)}, got {average!r}")


def _label_tensor(labels: Any, fn: str) -> Tensor:
    lab = _as_tensor(labels, fn, "labels")
    if lab.ndim != 1 or lab.numel() == 0:
        raise ValueError(f"{fn}: labels must be a non-empty 1-D list, got shape {tuple(lab.shape)}")
    if lab.is_floating_point() and not _is_integral(lab):
        raise ValueError(f"{fn}: labels must be integers, got {_first_bad(lab)}")
    return lab.long()


# ---- per-label statistics ---------------------------------------------------------------------


def _label_stats(
    t: Tensor, p: Tensor, w: Tensor | None, span: int
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(true positives, predicted count, true count, occurrences) per label index in
    ``[0, span)``; the first three are weighted float64, occurrences are unweighted int64 (a
    label is *present* when it occurs in y_true or y_pred, whatever its weight)."""
    n = t.shape[0]
    ones = w if w is not None else _C.ones(n, dtype=_F64)
    z = _C.zeros(span, dtype=_F64)
    true_sum = z.index_add(0, t, ones)
    pred_sum = z.index_add(0, p, ones)
    tp = z.index_add(0, t, ones * (t == p).double())
    cnt = _C.ones(n, dtype=_I64)
    seen = _C.zeros(span, dtype=_I64).index_add(0, t, cnt).index_add(0, p, cnt)
    return tp, pred_sum, true_sum, seen


def _divide(num: Tensor, den: Tensor, zd: float) -> tuple[Tensor, bool]:
    """num / den with 0/0 replaced by ``zd``; also says whether any denominator was zero."""
    zero = den == 0
    out = _C.where(zero, zd, num / _C.where(zero, 1.0, den))
    return out, bool(zero.any().item())


def _nanaverage(v: Tensor, weights: Tensor | None = None) -> float:
    """scikit-learn's ``_nanaverage``: the (weighted) mean ignoring NaNs; NaN when empty or all
    NaN; unweighted when all the remaining weights are zero."""
    if v.numel() == 0:
        return math.nan
    ok = v.abs() >= 0  # False exactly for NaN
    n_ok = int(ok.sum().item())
    if n_ok == 0:
        return math.nan
    v0 = _C.where(ok, v, 0.0)
    if weights is not None:
        w0 = _C.where(ok, weights, 0.0)
        sw = float(w0.sum().item())
        if sw != 0.0:
            return float((v0 * w0).sum().item()) / sw
    return float(v0.sum().item()) / n_ok


def _present_values(seen: Tensor, offset: int) -> list[int]:
    return [int(v) + offset for v in (seen > 0).nonzero().reshape(-1).tolist()]


def _prf_from_stats(
    fn: str,
    stats: tuple[Tensor, Tensor, Tensor, Tensor],
    offset: int,
    *,
    average: str | None,
    pos_label: int,
    labels: Tensor | None,
    zero_division: Any,
    beta: float,
    metric: str,
) -> float | Tensor:
    """Precision, recall or F-beta (``metric``) from per-label statistics whose index 0 stands
    for label ``offset``, with scikit-learn's label selection, averaging and zero division."""
    tp, pred_sum, true_sum, seen = stats
    span = seen.shape[0]
    zd = _check_zero_division(zero_division, fn)
    present = (seen > 0).nonzero().reshape(-1)
    n_present = present.numel()
    if average == "binary":
        if n_present > 2:
            raise ValueError(
                f"{fn}: target is multiclass (labels {_present_values(seen, offset)}) but "
                "average='binary'; choose average='micro', 'macro', 'weighted' or None"
            )
        k = int(pos_label) - offset
        if 0 <= k < span and int(seen[k].item()) > 0:
            sel = _tensor([k], dtype=_I64)
        elif n_present >= 2:
            raise ValueError(
                f"{fn}: pos_label={pos_label} is not a valid label; it should be one of "
                f"{_present_values(seen, offset)}"
            )
        else:  # pos_label never occurs: all its counts are zero
            sel = None
    elif labels is not None:
        sel = labels - offset
    else:
        sel = present
    if sel is None:
        tp_s = pred_s = true_s = _C.zeros(1, dtype=_F64)
    else:
        tp_s, pred_s, true_s = (s.index_select(0, sel) for s in (tp, pred_sum, true_sum))
    if average == "micro":
        tp_s, pred_s, true_s = (s.sum().reshape(1) for s in (tp_s, pred_s, true_s))

    if metric == "precision":
        value, undefined = _divide(tp_s, pred_s, zd)
        what = "Precision is ill-defined and being set to 0.0 in labels with no predicted samples"
    elif metric == "recall" or math.isinf(beta):
        value, undefined = _divide(tp_s, true_s, zd)
        what = "Recall is ill-defined and being set to 0.0 in labels with no true samples"
    else:
        b2 = beta * beta
        value, undefined = _divide((1.0 + b2) * tp_s, b2 * true_s + pred_s, zd)
        what = (
            "F-score is ill-defined and being set to 0.0 in labels with no true nor predicted "
            "samples"
        )
    if undefined and zero_division == "warn":
        warnings.warn(
            f"{fn}: {what}. Use `zero_division` parameter to control this behavior.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
    if average is None:
        return value
    if average in ("binary", "micro"):
        return float(value[0].item())
    return _nanaverage(value, true_s if average == "weighted" else None)


def _prf(
    fn: str,
    y_true: Any,
    y_pred: Any,
    *,
    labels: Any,
    pos_label: int,
    average: str | None,
    sample_weight: Any,
    zero_division: Any,
    threshold: float,
    beta: float,
    metric: str,
) -> float | Tensor:
    """Functional precision / recall / F-beta: labels -> per-label stats over their span."""
    _check_average(average, fn)
    _check_zero_division(zero_division, fn)
    t, p, w = _class_targets(fn, y_true, y_pred, sample_weight, threshold=threshold)
    lab = _label_tensor(labels, fn) if labels is not None and average != "binary" else None
    lo = min(int(t.min().item()), int(p.min().item()))
    hi = max(int(t.max().item()), int(p.max().item()))
    if lab is not None:
        lo, hi = min(lo, int(lab.min().item())), max(hi, int(lab.max().item()))
    span = hi - lo + 1
    if span > _MAX_SPAN:
        raise ValueError(
            f"{fn}: labels span [{lo}, {hi}], more than {_MAX_SPAN} values; relabel the classes "
            "as 0..C-1"
        )
    stats = _label_stats(t - lo, p - lo, w, span)
    return _prf_from_stats(
        fn,
        stats,
        lo,
        average=average,
        pos_label=pos_label,
        labels=lab,
        zero_division=zero_division,
        beta=beta,
        metric=metric,
    )


# ---- functional classification metrics -------------------------------------------------------


def accuracy(
    y_true: Any,
    y_pred: Any,
    *,
    normalize: bool = True,
    sample_weight: Any = None,
    threshold: float = 0.5,
) -> float:
    """Fraction (or, with ``normalize=False``, weighted count) of correctly classified samples,
    as ``sklearn.metrics.accuracy_score``. ``y_pred`` may be labels, (N, C) scores or binary
    scores thresholded at ``threshold``."""
    t, p, w = _class_targets("accuracy", y_true, y_pred, sample_weight, threshold=threshold)
    correct = (t == p).double()
    if w is not None:
        hits = float((correct * w).sum().item())
        return hits / float(w.sum().item()) if normalize else hits
    hits = float(correct.sum().item())
    return hits / t.shape[0] if normalize else hits


def precision(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Any = None,
    pos_label: int = 1,
    average: str | None = "binary",
    sample_weight: Any = None,
    zero_division: Any = "warn",
    threshold: float = 0.5,
) -> float | Tensor:
    """tp / (tp + fp), as ``sklearn.metrics.precision_score``. ``average``: 'binary' (the
    ``pos_label`` class), 'micro' (global counts), 'macro' (unweighted mean over labels present
    in y_true or y_pred, or over ``labels``), 'weighted' (weighted by support) or None (a
    float64 tensor, one value per label)."""
    return _prf(
        "precision",
        y_true,
        y_pred,
        labels=labels,
        pos_label=pos_label,
        average=average,
        sample_weight=sample_weight,
        zero_division=zero_division,
        threshold=threshold,
        beta=1.0,
        metric="precision",
    )


def recall(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Any = None,
    pos_label: int = 1,
    average: str | None = "binary",
    sample_weight: Any = None,
    zero_division: Any = "warn",
    threshold: float = 0.5,
) -> float | Tensor:
    """tp / (tp + fn), as ``sklearn.metrics.recall_score`` (arguments as in :func:`precision`)."""
    return _prf(
        "recall",
        y_true,
        y_pred,
        labels=labels,
        pos_label=pos_label,
        average=average,
        sample_weight=sample_weight,
        zero_division=zero_division,
        threshold=threshold,
        beta=1.0,
        metric="recall",
    )


def fbeta_score(
    y_true: Any,
    y_pred: Any,
    *,
    beta: float,
    labels: Any = None,
    pos_label: int = 1,
    average: str | None = "binary",
    sample_weight: Any = None,
    zero_division: Any = "warn",
    threshold: float = 0.5,
) -> float | Tensor:
    """(1 + beta^2) tp / ((1 + beta^2) tp + beta^2 fn + fp), as ``sklearn.metrics.fbeta_score``
    (beta < 1 favours precision, beta > 1 recall)."""
    if isinstance(beta, bool) or not isinstance(beta, int | float) or not beta >= 0:
        raise ValueError(f"fbeta_score: beta must be a number >= 0, got {beta!r}")
    return _prf(
        "fbeta_score",
        y_true,
        y_pred,
        labels=labels,
        pos_label=pos_label,
        average=average,
        sample_weight=sample_weight,
        zero_division=zero_division,
        threshold=threshold,
        beta=float(beta),
        metric="fbeta",
    )


def f1(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Any = None,
    pos_label: int = 1,
    average: str | None = "binary",
    sample_weight: Any = None,
    zero_division: Any = "warn",
    threshold: float = 0.5,
) -> float | Tensor:
    """Harmonic mean of precision and recall, 2 tp / (2 tp + fp + fn), as
    ``sklearn.metrics.f1_score`` (arguments as in :func:`precision`)."""
    return _prf(
        "f1",
        y_true,
        y_pred,
        labels=labels,
        pos_label=pos_label,
        average=average,
        sample_weight=sample_weight,
        zero_division=zero_division,
        threshold=threshold,
        beta=1.0,
        metric="f1",
    )


def confusion_matrix(
    y_true: Any,
    y_pred: Any,
    num_classes: int | None = None,
    *,
    labels: Any = None,
    sample_weight: Any = None,
    normalize: str | None = None,
    threshold: float = 0.5,
) -> Tensor:
    """``C[i, j]`` = number of samples of true class i predicted as class j.

    Rows and columns are the classes ``0..num_classes-1`` when ``num_classes`` is given (labels
    outside are an error), the given ``labels`` in that order (samples with other labels are
    ignored, as in scikit-learn), or else the sorted labels present in y_true or y_pred (as
    ``sklearn.metrics.confusion_matrix``). int64 counts; float64 with ``sample_weight`` or
    ``normalize`` ('true': rows sum to 1, 'pred': columns, 'all': the whole matrix; empty rows
    or columns stay 0)."""
    fn = "confusion_matrix"
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(
            f"{fn}: normalize must be one of 'true', 'pred', 'all' or None, got {normalize!r}"
        )
    if num_classes is not None and labels is not None:
        raise ValueError(f"{fn}: pass num_classes or labels, not both")
    t, p, w = _class_targets(fn, y_true, y_pred, sample_weight, threshold=threshold)
    if num_classes is not None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"{fn}: num_classes must be a positive int, got {num_classes!r}")
        lo = min(int(t.min().item()), int(p.min().item()))
        hi = max(int(t.max().item()), int(p.max().item()))
        if lo < 0 or hi >= num_classes:
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"{fn}: labels must lie in [0, {num_classes}) for num_classes={num_classes}, "
                f"got {bad}"
            )
        k = num_classes
        ti, pi = t, p
    else:
        lab = _label_tensor(labels, fn) if labels is not None else None
        lo = min(int(t.min().item()), int(p.min().item()))
        hi = max(int(t.max().item()), int(p.max().item()))
        if lab is not None:
            lo, hi = min(lo, int(lab.min().item())), max(hi, int(lab.max().item()))
        span = hi - lo + 1
        if span > _MAX_SPAN:
            raise ValueError(f"{fn}: labels span [{lo}, {hi}], more than {_MAX_SPAN} values")
        # lookup table: label - lo -> row/column index, -1 for labels not in the matrix
        lut = _C.full((span,), -1, dtype=_I64)
        if lab is None:
            mark = _C.zeros(span, dtype=_I64).index_add(0, t - lo, _C.ones_like(t))
            mark = mark.index_add(0, p - lo, _C.ones_like(p))
            cls = (mark > 0).nonzero().reshape(-1)
        else:
            cls = lab - lo
        k = cls.numel()
        lut[cls] = _C.arange(k, dtype=_I64)
        ti, pi = lut[t - lo], lut[p - lo]
        if lab is not None:
            if not bool((ti >= 0).any().item()):
                raise ValueError(f"{fn}: at least one of labels must occur in y_true")
            keep = (ti >= 0) & (pi >= 0)
            ti, pi = ti.masked_select(keep), pi.masked_select(keep)
            if w is not None:
                w = w.masked_select(keep)
    if w is None and normalize is None:
        vals = _C.ones(ti.shape[0], dtype=_I64)
        return _C.zeros(k * k, dtype=_I64).index_add(0, ti * k + pi, vals).reshape(k, k)
    vals = w if w is not None else _C.ones(ti.shape[0], dtype=_F64)
    cm = _C.zeros(k * k, dtype=_F64).index_add(0, ti * k + pi, vals).reshape(k, k)
    if normalize == "true":
        den = cm.sum(1, keepdim=True)
    elif normalize == "pred":
        den = cm.sum(0, keepdim=True)
    elif normalize == "all":
        den = cm.sum().reshape(1, 1)
    else:
        return cm
    return _C.where(den == 0, 0.0, cm / _C.where(den == 0, 1.0, den))


# ---- functional regression metrics -----------------------------------------------------------


def _reg_targets(
    fn: str, y_true: Any, y_pred: Any, sample_weight: Any, *, allow_empty: bool = False
) -> tuple[Tensor, Tensor, Tensor | None]:
    """(y_true, y_pred) as float64 (N, k) and weights as (N, 1), checked like scikit-learn's
    ``_check_reg_targets`` ((N,) and (N, 1) are interchangeable)."""
    t = _as_tensor(y_true, fn, "y_true").double()
    p = _as_tensor(y_pred, fn, "y_pred").double()
    for name, v in (("y_true", t), ("y_pred", p)):
        if v.ndim not in (1, 2):
            raise ValueError(f"{fn}: {name} must have shape (N,) or (N, k), got {tuple(v.shape)}")
    t2 = t.reshape(-1, 1) if t.ndim == 1 else t
    p2 = p.reshape(-1, 1) if p.ndim == 1 else p
    if tuple(t2.shape) != tuple(p2.shape):
        raise ValueError(
            f"{fn}: y_true and y_pred have different shapes: {tuple(t.shape)} and {tuple(p.shape)}"
        )
    if t2.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{fn}: y_true and y_pred are empty")
    w = _weights(sample_weight, t2.shape[0], fn)
    return t2, p2, (w.reshape(-1, 1) if w is not None else None)


def _output_average(fn: str, per_output: Tensor, multioutput: Any) -> float | Tensor:
    """Combines per-output scores: 'raw_values' (a tensor), 'uniform_average' or an array of
    output weights."""
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return per_output
        if multioutput == "uniform_average":
            return float(per_output.mean().item())
        raise ValueError(
            f"{fn}: multioutput must be 'raw_values', 'uniform_average' or an array of weights, "
            f"got {multioutput!r}"
        )
    if per_output.shape[0] == 1:
        raise ValueError(
            f"{fn}: custom multioutput weights are only useful with several outputs, got 1"
        )
    mw = _as_tensor(multioutput, fn, "multioutput").double().reshape(-1)
    if mw.shape[0] != per_output.shape[0]:
        raise ValueError(
            f"{fn}: multioutput has {mw.shape[0]} weights for {per_output.shape[0]} outputs"
        )
    return float((per_output * mw).sum().item()) / float(mw.sum().item())


def _mean_over_samples(v: Tensor, w: Tensor | None) -> Tensor:
    """Per-output (weighted) mean over the sample axis of an (N, k) tensor."""
    if w is None:
        return v.mean(0)
    return (v * w).sum(0) / w.sum()


def mae(
    y_true: Any, y_pred: Any, *, sample_weight: Any = None, multioutput: Any = "uniform_average"
) -> float | Tensor:
    """Mean absolute error, as ``sklearn.metrics.mean_absolute_error``."""
    t, p, w = _reg_targets("mae", y_true, y_pred, sample_weight)
    return _output_average("mae", _mean_over_samples((t - p).abs(), w), multioutput)


def mse(
    y_true: Any, y_pred: Any, *, sample_weight: Any = None, multioutput: Any = "uniform_average"
) -> float | Tensor:
    """Mean squared error, as ``sklearn.metrics.mean_squared_error``."""
    t, p, w = _reg_targets("mse", y_true, y_pred, sample_weight)
    d = t - p
    return _output_average("mse", _mean_over_samples(d * d, w), multioutput)


def rmse(
    y_true: Any, y_pred: Any, *, sample_weight: Any = None, multioutput: Any = "uniform_average"
) -> float | Tensor:
    """Root mean squared error, per output then averaged, as
    ``sklearn.metrics.root_mean_squared_error``."""
    t, p, w = _reg_targets("rmse", y_true, y_pred, sample_weight)
    d = t - p
    return _output_average("rmse", _mean_over_samples(d * d, w).sqrt(), multioutput)


def _r2_from_parts(num: Tensor, den: Tensor, force_finite: bool) -> Tensor:
    """Per-output R^2 = 1 - num/den; with ``force_finite`` a perfect fit scores 1.0 and an
    imperfect fit of constant targets 0.0 instead of NaN/-inf (scikit-learn's rule)."""
    if not force_finite:
        return 1.0 - num / den
    nz_num, nz_den = num != 0, den != 0
    score = 1.0 - num / _C.where(nz_den, den, 1.0)
    score = _C.where(nz_num & nz_den, score, 1.0)
    return _C.where(nz_num & ~nz_den, 0.0, score)


def _r2_average(fn: str, scores: Tensor, den: Tensor, multioutput: Any) -> float | Tensor:
    if isinstance(multioutput, str) and multioutput == "variance_weighted":
        if not bool((den != 0).any().item()):
            return float(scores.mean().item())
        return float((scores * den).sum().item()) / float(den.sum().item())
    return _output_average(fn, scores, multioutput)


def r2(
    y_true: Any,
    y_pred: Any,
    *,
    sample_weight: Any = None,
    multioutput: Any = "uniform_average",
    force_finite: bool = True,
) -> float | Tensor:
    """Coefficient of determination 1 - SS_res / SS_tot, as ``sklearn.metrics.r2_score``
    (``multioutput`` also accepts 'variance_weighted'); NaN with a warning for fewer than two
    samples."""
    t, p, w = _reg_targets("r2", y_true, y_pred, sample_weight)
    if t.shape[0] < 2:
        warnings.warn(
            "r2: R^2 score is not well-defined with less than two samples.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        return math.nan
    ww = w if w is not None else _C.ones((t.shape[0], 1), dtype=_F64)
    d = t - p
    num = (ww * d * d).sum(0)
    mean = (ww * t).sum(0) / ww.sum()
    c = t - mean
    den = (ww * c * c).sum(0)
    return _r2_average("r2", _r2_from_parts(num, den, force_finite), den, multioutput)


accuracy_score = accuracy
precision_score = precision
recall_score = recall
f1_score = f1
mean_absolute_error = mae
mean_squared_error = mse
root_mean_squared_error = rmse
r2_score = r2


# ---- stateful metrics -------------------------------------------------------------------------


class Metric(ABC):
    """A streaming metric, Keras-style: ``update_state`` with each batch, ``result()`` for the
    value over everything seen since the last ``reset_state()``. Subclasses accumulate
    sufficient statistics, so batched updates give exactly the whole-data value."""

    default_name = "metric"

    def __init__(self, name: str | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a str, got {name!r}")
        self.name = name if name is not None else self.default_name
        self.reset_state()

    @abstractmethod
    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds one batch to the accumulated statistics."""

    @abstractmethod
    def result(self) -> float:
        """The metric over all batches since the last reset (0.0 before any data)."""

    @abstractmethod
    def reset_state(self) -> None:
        """Forgets all accumulated statistics (e.g. at the start of an epoch)."""

    def reset_states(self) -> None:
        """Alias of :meth:`reset_state` (the Keras 2 name)."""
        self.reset_state()

    def __call__(self, *args: Any, **kwargs: Any) -> float:
        """Updates with one batch and returns the running result."""
        self.update_state(*args, **kwargs)
        return self.result()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class Mean(Metric):
    """Running (weighted) mean of scalar values, e.g. the loss:
    ``update_state(values, sample_weight=None)`` with a number, tensor or array."""

    default_name = "mean"

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        """Adds ``values`` (all their elements) with weight ``sample_weight`` (a number or an
        array broadcastable to ``values``; 1 each by default)."""
        if isinstance(values, Tensor) and values.numel() == 1:
            values = float(values.detach().item())
        if isinstance(values, int | float) and not isinstance(values, bool):
            w = 1.0 if sample_weight is None else sample_weight
            if isinstance(w, Tensor) and w.numel() == 1:
                w = float(w.item())
            if isinstance(w, int | float):
                self.total += float(values) * float(w)
                self.count += float(w)
                return
        v = _as_tensor(values, "Mean.update_state", "values").double()
        if sample_weight is None:
            self.total += float(v.sum().item())
            self.count += float(v.numel())
            return
        w = _as_tensor(sample_weight, "Mean.update_state", "sample_weight").double()
        try:
            vw, wb = v * w, w * _C.ones_like(v)
        except (RuntimeError, ValueError) as e:
            raise ValueError(
                f"Mean.update_state: sample_weight of shape {tuple(w.shape)} does not broadcast "
                f"to values of shape {tuple(v.shape)}"
            ) from e
        self.total += float(vw.sum().item())
        self.count += float(wb.sum().item())

    def result(self) -> float:
        return self.total / self.count if self.count != 0 else 0.0


class FunctionMetric(Metric):
    """Wraps ``fn(y_true, y_pred) -> float`` as a metric: the mean of the per-batch values
    weighted by batch size (or by the sum of ``sample_weight``), which equals the whole-data
    value for per-sample means such as accuracy or MAE."""

    def __init__(self, fn: Callable[[Any, Any], Any], name: str | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"FunctionMetric: fn must be callable, got {type(fn).__name__}")
        self.fn = fn
        if name is None:
            base = getattr(fn, "func", fn)  # functools.partial
            name = getattr(base, "__name__", type(base).__name__)
        super().__init__(name)

    def reset_state(self) -> None:
        self._mean = Mean()

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        value = self.fn(y_true, y_pred)
        if isinstance(value, Tensor):
            value = value.detach().item()
        if sample_weight is not None:
            weight = float(_as_tensor(sample_weight, self.name, "sample_weight").sum().item())
        else:
            shape = getattr(y_true, "shape", None)
            if shape is not None and len(shape) > 0:
                weight = float(shape[0])
            elif hasattr(y_true, "__len__"):
                weight = float(len(y_true))
            else:
                weight = 1.0
        self._mean.update_state(float(value), weight)

    def result(self) -> float:
        return self._mean.result()


class Accuracy(Metric):
    """Running classification accuracy. (N, C) scores with C > 1 are read with argmax; float
    (N,) or (N, 1) scores are thresholded (``y_pred > 0`` with ``from_logits=True``, else
    ``y_pred > threshold``); integer predictions are labels. ``y_true`` may be labels or
    one-hot."""

    default_name = "accuracy"

    def __init__(
        self, name: str | None = None, *, from_logits: bool = False, threshold: float = 0.5
    ) -> None:
        self.from_logits = bool(from_logits)
        self.threshold = 0.0 if from_logits else float(threshold)
        super().__init__(name)

    def reset_state(self) -> None:
        self.correct = 0.0
        self.total = 0.0

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        t, p, w = _class_targets(
            "Accuracy.update_state",
            y_true,
            y_pred,
            sample_weight,
            threshold=self.threshold,
            always_threshold=True,
            allow_empty=True,
        )
        hit = (t == p).double()
        if w is None:
            self.correct += float(hit.sum().item())
            self.total += float(t.shape[0])
        else:
            self.correct += float((hit * w).sum().item())
            self.total += float(w.sum().item())

    def result(self) -> float:
        return self.correct / self.total if self.total != 0 else 0.0


class _LabelCountMetric(Metric):
    """Shared state of Precision/Recall/F1Score: per-class true positives, predicted and true
    counts and occurrences over class indices 0..K-1, K growing with the labels seen (or fixed
    by ``num_classes``)."""

    _metric = "precision"

    def __init__(
        self,
        name: str | None = None,
        *,
        average: str = "binary",
        pos_label: int = 1,
        labels: Sequence[int] | None = None,
        num_classes: int | None = None,
        threshold: float = 0.5,
        from_logits: bool = False,
        zero_division: Any = 0.0,
    ) -> None:
        cls = type(self).__name__
        if average not in ("binary", "micro", "macro", "weighted"):
            raise ValueError(
                f"{cls}: average must be 'binary', 'micro', 'macro' or 'weighted', got {average!r}"
            )
        _check_zero_division(zero_division, cls)
        if num_classes is not None and (
            isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1
        ):
            raise ValueError(f"{cls}: num_classes must be a positive int, got {num_classes!r}")
        self.average = average
        self.pos_label = int(pos_label)
        self.labels = None
        if labels is not None and average != "binary":
            lab = _label_tensor(labels, cls)
            if int(lab.min().item()) < 0:
                raise ValueError(f"{cls}: labels must be class indices >= 0, got {lab.tolist()}")
            self.labels = lab
        self.num_classes = num_classes
        self.from_logits = bool(from_logits)
        self.threshold = 0.0 if from_logits else float(threshold)
        self.zero_division = zero_division
        super().__init__(name)

    def reset_state(self) -> None:
        k = self.num_classes or 0
        if self.labels is not None:
            k = max(k, int(self.labels.max().item()) + 1)
        self._stats = (
            _C.zeros(k, dtype=_F64),
            _C.zeros(k, dtype=_F64),
            _C.zeros(k, dtype=_F64),
            _C.zeros(k, dtype=_I64),
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        cls = type(self).__name__
        t, p, w = _class_targets(
            f"{cls}.update_state",
            y_true,
            y_pred,
            sample_weight,
            threshold=self.threshold,
            allow_empty=True,
        )
        if t.shape[0] == 0:
            return
        lo = min(int(t.min().item()), int(p.min().item()))
        hi = max(int(t.max().item()), int(p.max().item()))
        if lo < 0:
            raise ValueError(f"{cls}.update_state: labels must be class indices >= 0, got {lo}")
        k = self._stats[3].shape[0]
        if self.num_classes is not None and hi >= self.num_classes:
            raise ValueError(
                f"{cls}.update_state: label {hi} is out of range for num_classes={self.num_classes}"
            )
        if hi >= k:
            if hi + 1 > _MAX_SPAN:
                raise ValueError(f"{cls}.update_state: label {hi} is too large a class index")
            pad = hi + 1 - k
            self._stats = tuple(_C.cat([s, _C.zeros(pad, dtype=s.dtype)]) for s in self._stats)  # type: ignore[assignment]
            k = hi + 1
        batch = _label_stats(t, p, w, k)
        self._stats = tuple(a + b for a, b in zip(self._stats, batch, strict=True))  # type: ignore[assignment]

    def result(self) -> float:
        if int(self._stats[3].sum().item()) == 0:
            return 0.0
        return float(
            _prf_from_stats(
                type(self).__name__,
                self._stats,
                0,
                average=self.average,
                pos_label=self.pos_label,
                labels=self.labels,
                zero_division=self.zero_division,
                beta=1.0,
                metric=self._metric,
            )
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, average={self.average!r})"


class Precision(_LabelCountMetric):
    """Running precision, tp / (tp + fp), with ``average`` 'binary' (class ``pos_label``),
    'micro', 'macro' or 'weighted' as in :func:`precision`; ``zero_division`` defaults to 0.0
    (no warnings in training loops). Labels must be class indices >= 0."""

    default_name = "precision"
    _metric = "precision"


class Recall(_LabelCountMetric):
    """Running recall, tp / (tp + fn) (arguments as in :class:`Precision`)."""

    default_name = "recall"
    _metric = "recall"


class F1Score(_LabelCountMetric):
    """Running F1 score, 2 tp / (2 tp + fp + fn) (arguments as in :class:`Precision`)."""

    default_name = "f1_score"
    _metric = "f1"


class _RegressionMetric(Metric):
    """Per-output weighted sums of |error| or error^2 over the sample axis; the result
    averages the per-output values uniformly, as scikit-learn's default multioutput."""

    _kind = "mse"

    def reset_state(self) -> None:
        self._sum: Tensor | None = None
        self._weight = 0.0

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        cls = type(self).__name__
        t = _as_tensor(y_true, f"{cls}.update_state", "y_true")
        p = _as_tensor(y_pred, f"{cls}.update_state", "y_pred")
        if t.ndim > 2 and tuple(t.shape) == tuple(p.shape):  # images etc.: one output per value
            t, p = t.reshape(t.shape[0], -1), p.reshape(p.shape[0], -1)
        t, p, w = _reg_targets(f"{cls}.update_state", t, p, sample_weight, allow_empty=True)
        if t.shape[0] == 0:
            return
        d = t - p
        err = d.abs() if self._kind == "mae" else d * d
        if w is None:
            s, sw = err.sum(0), float(t.shape[0])
        else:
            s, sw = (err * w).sum(0), float(w.sum().item())
        if self._sum is None:
            self._sum = s
        elif self._sum.shape[0] != s.shape[0]:
            raise ValueError(
                f"{cls}.update_state: got {s.shape[0]} outputs, earlier batches had "
                f"{self._sum.shape[0]}"
            )
        else:
            self._sum = self._sum + s
        self._weight += sw

    def result(self) -> float:
        if self._sum is None or self._weight == 0.0:
            return 0.0
        per = self._sum / self._weight
        if self._kind == "rmse":
            per = per.sqrt()
        return float(per.mean().item())


class MeanAbsoluteError(_RegressionMetric):
    """Running mean absolute error (equals :func:`mae` on the concatenated batches)."""

    default_name = "mean_absolute_error"
    _kind = "mae"


class MeanSquaredError(_RegressionMetric):
    """Running mean squared error (equals :func:`mse` on the concatenated batches)."""

    default_name = "mean_squared_error"
    _kind = "mse"


class RootMeanSquaredError(_RegressionMetric):
    """Running root mean squared error (equals :func:`rmse` on the concatenated batches: the
    square root is taken of the accumulated mean, per output)."""

    default_name = "root_mean_squared_error"
    _kind = "rmse"


class R2Score(Metric):
    """Running coefficient of determination (equals :func:`r2` on the concatenated batches, up
    to rounding): per-output weighted counts, means and centred sums of squares merged across
    batches with Chan's parallel formula, plus the residual sum of squares."""

    default_name = "r2_score"

    def __init__(self, name: str | None = None, *, force_finite: bool = True) -> None:
        self.force_finite = bool(force_finite)
        super().__init__(name)

    def reset_state(self) -> None:
        self._n = 0
        self._w = 0.0
        self._mean: Tensor | None = None
        self._m2: Tensor | None = None
        self._sse: Tensor | None = None

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        t, p, w = _reg_targets(
            "R2Score.update_state", y_true, y_pred, sample_weight, allow_empty=True
        )
        if t.shape[0] == 0:
            return
        ww = w if w is not None else _C.ones((t.shape[0], 1), dtype=_F64)
        wb = float(ww.sum().item())
        d = t - p
        sse = (ww * d * d).sum(0)
        mean_b = (ww * t).sum(0) / wb
        c = t - mean_b
        m2_b = (ww * c * c).sum(0)
        if self._mean is None or self._m2 is None or self._sse is None:
            self._mean, self._m2, self._sse, self._w = mean_b, m2_b, sse, wb
        else:
            if self._mean.shape[0] != mean_b.shape[0]:
                raise ValueError(
                    f"R2Score.update_state: got {mean_b.shape[0]} outputs, earlier batches had "
                    f"{self._mean.shape[0]}"
                )
            tot = self._w + wb
            delta = mean_b - self._mean
            self._m2 = self._m2 + m2_b + delta * delta * (self._w * wb / tot)
            self._mean = self._mean + delta * (wb / tot)
            self._sse = self._sse + sse
            self._w = tot
        self._n += t.shape[0]

    def result(self) -> float:
        if self._n == 0 or self._sse is None or self._m2 is None:
            return 0.0
        if self._n < 2:
            return math.nan
        return float(_r2_from_parts(self._sse, self._m2, self.force_finite).mean().item())


# ---- lookup by name ---------------------------------------------------------------------------

_LOGIT_LOSSES = {
    "bcewithlogitsloss",
    "binary_crossentropy_with_logits",
    "binary_cross_entropy_with_logits",
    "bce_with_logits",
}
_PROB_LOSSES = {"bceloss", "binary_crossentropy", "binary_cross_entropy", "bce"}

_METRIC_NAMES = {
    "accuracy": "accuracy",
    "acc": "accuracy",
    "precision": "precision",
    "recall": "recall",
    "f1": "f1",
    "f1_score": "f1",
    "mae": "mae",
    "mean_absolute_error": "mae",
    "mse": "mse",
    "mean_squared_error": "mse",
    "rmse": "rmse",
    "root_mean_squared_error": "rmse",
    "r2": "r2",
    "r2_score": "r2",
}


def _loss_kind(loss: Any) -> str:
    """'logits' for BCE-with-logits losses, 'probs' for BCE on probabilities, else 'other'."""
    if loss is None:
        return "other"
    cls = loss if isinstance(loss, type) else type(loss)
    if issubclass(cls, BCEWithLogitsLoss):
        return "logits"
    if issubclass(cls, BCELoss):
        return "probs"
    if isinstance(loss, str):
        key = loss
    elif isinstance(loss, type):
        key = loss.__name__
    elif hasattr(loss, "forward"):  # another loss module
        key = type(loss).__name__
    else:
        key = getattr(getattr(loss, "func", loss), "__name__", type(loss).__name__)
    key = key.lower()
    if key in _LOGIT_LOSSES:
        return "logits"
    if key in _PROB_LOSSES:
        return "probs"
    return "other"


def get_metric(spec: Any, loss: Any = None) -> Metric:
    """A :class:`Metric` from ``spec``: a Metric instance (returned as is), a Metric subclass
    (instantiated), a callable ``fn(y_true, y_pred) -> float`` (wrapped in
    :class:`FunctionMetric`), or a name: 'accuracy'/'acc', 'precision', 'recall', 'f1',
    'mae', 'mse', 'rmse', 'r2' (and their long scikit-learn names). The metric is named after
    the spec string.

    As in Keras, ``loss`` (a loss module, class, function or name) picks the flavour of the
    classification metrics: with ``BCEWithLogitsLoss`` (or 'bce_with_logits',
    'binary_crossentropy_with_logits') predictions are logits thresholded at 0 and
    precision/recall/f1 are binary; with ``BCELoss`` ('bce', 'binary_crossentropy') they are
    probabilities thresholded at 0.5, binary; otherwise predictions are class scores (argmax)
    or labels and precision/recall/f1 are macro-averaged."""
    if isinstance(spec, Metric):
        return spec
    if isinstance(spec, type) and issubclass(spec, Metric):
        return spec()
    if isinstance(spec, str):
        key = _METRIC_NAMES.get(spec.lower())
        if key is None:
            known = ", ".join(repr(k) for k in _METRIC_NAMES)
            raise ValueError(f"get_metric: unknown metric {spec!r}; known names are {known}")
        kind = _loss_kind(loss)
        if key == "accuracy":
            if kind == "logits":
                return Accuracy(spec, from_logits=True)
            return Accuracy(spec, threshold=0.5)
        if key in ("precision", "recall", "f1"):
            cls = {"precision": Precision, "recall": Recall, "f1": F1Score}[key]
            if kind == "logits":
                return cls(spec, average="binary", from_logits=True)
            if kind == "probs":
                return cls(spec, average="binary", threshold=0.5)
            return cls(spec, average="macro")
        reg = {
            "mae": MeanAbsoluteError,
            "mse": MeanSquaredError,
            "rmse": RootMeanSquaredError,
            "r2": R2Score,
        }
        return reg[key](spec)
    if callable(spec):
        return FunctionMetric(spec)
    raise TypeError(
        f"get_metric: spec must be a Metric, a callable or a metric name, got {type(spec).__name__}"
    )
