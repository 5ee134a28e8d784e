"""Ensembles of trained networks: averaging and voting, bagging on bootstrap samples, and stacking
with a meta-model trained on the base models' out-of-fold predictions.

A *member* is anything that maps an input tensor to predictions: an ``ax.train.Model`` (its
``predict`` is used) or a plain ``nn.Module`` (run in eval mode under ``no_grad``, in batches).
Classification members return logits by default (``outputs="logits"``: softmax for (N, C)
scores, sigmoid for one binary column); pass ``outputs="probs"`` when they already return
probabilities. Builders (``build_fn``) are zero-argument callables returning a *compiled*
``ax.train.Model``, so each member gets fresh weights.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import _C
from .._C import Tensor
from .._tensor import tensor as _tensor
from ..autograd import no_grad
from ..utils.data import BootstrapSampler, KFold, StratifiedKFold

__all__ = ["AveragingEnsemble", "Bagging", "Stacking", "VotingEnsemble"]

_TASKS = ("classification", "regression")


def _as_tensor(x: Any, what: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    try:
        return _tensor(x)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what}: expected a Tensor or array-like, got {type(x).__name__}") from e


def _member_predict(member: Any, x: Tensor, batch_size: int) -> Tensor:
    """Raw outputs of one member on x, batched, without building a graph."""
    if hasattr(member, "predict"):
        return member.predict(x, batch_size=batch_size)
    if not callable(member):
        raise TypeError(f"ensemble: a member must be callable or have predict(), got {member!r}")
    was_training = getattr(member, "training", None)
    if was_training is not None:
        member.eval()
    try:
        with no_grad():
            parts = [member(x[i : i + batch_size]) for i in range(0, x.shape[0], batch_size)]
    finally:
        if was_training:
            member.train()
    return _C.cat(parts, 0) if len(parts) > 1 else parts[0]


def _to_probs(out: Tensor, outputs: str) -> Tensor:
    """(N, C) class probabilities from a classifier's raw outputs."""
    if out.dim() == 1:
        out = out.unsqueeze(1)
    if out.dim() != 2:
        raise ValueError(
            f"ensemble: classifier outputs must be (N,) or (N, C), got shape {tuple(out.shape)}"
        )
    if outputs == "logits":
        if out.shape[1] == 1:
            p = out.sigmoid()
            return _C.cat([1 - p, p], 1)
        return out.softmax(1)
    if out.shape[1] == 1:
        return _C.cat([1 - out, out], 1)
    return out


def _check_outputs(outputs: str, cls: str) -> None:
    if outputs not in ("logits", "probs"):
        raise ValueError(f"{cls}: outputs must be 'logits' or 'probs', got {outputs!r}")


def _weights(weights: Sequence[float] | None, n: int, cls: str) -> list[float]:
    if weights is None:
        return [1.0 / n] * n
    w = [float(v) for v in weights]
    if len(w) != n:
        raise ValueError(f"{cls}: got {len(w)} weights for {n} models")
    if any(v < 0 for v in w) or sum(w) <= 0:
        raise ValueError(f"{cls}: weights must be non-negative with a positive sum, got {w}")
    total = sum(w)
    return [v / total for v in w]


class VotingEnsemble:
    """Combines trained classifiers: ``voting="soft"`` averages their class probabilities
    (optionally weighted), ``voting="hard"`` takes the (weighted) majority of their labels, ties
    going to the lowest class index, like scikit-learn's ``VotingClassifier``."""

    def __init__(
        self,
        models: Sequence[Any],
        voting: str = "soft",
        weights: Sequence[float] | None = None,
        outputs: str = "logits",
    ) -> None:
        if len(models) == 0:
            raise ValueError("VotingEnsemble: models must not be empty")
        if voting not in ("soft", "hard"):
            raise ValueError(f"VotingEnsemble: voting must be 'soft' or 'hard', got {voting!r}")
        _check_outputs(outputs, "VotingEnsemble")
        self.models = list(models)
        self.voting = voting
        self.weights = _weights(weights, len(self.models), "VotingEnsemble")
        self.outputs = outputs

    def member_probs(self, x: Any, batch_size: int = 256) -> list[Tensor]:
        x = _as_tensor(x, "VotingEnsemble.predict")
        return [_to_probs(_member_predict(m, x, batch_size), self.outputs) for m in self.models]

    def predict_proba(self, x: Any, batch_size: int = 256) -> Tensor:
        """Soft voting: the weighted mean of the members' class probabilities, (N, C)."""
        probs = self.member_probs(x, batch_size)
        return sum(w * p for w, p in zip(self.weights, probs, strict=True))

    def predict(self, x: Any, batch_size: int = 256) -> Tensor:
        """Class labels (N,) int64."""
        probs = self.member_probs(x, batch_size)
        if self.voting == "soft":
            return sum(w * p for w, p in zip(self.weights, probs, strict=True)).argmax(1)
        n_classes = probs[0].shape[1]
        votes = sum(
            w * _C.one_hot(p.argmax(1), n_classes).double()
            for w, p in zip(self.weights, probs, strict=True)
        )
        return votes.argmax(1)


class AveragingEnsemble:
    """Averages trained regressors' outputs (optionally weighted)."""

    def __init__(self, models: Sequence[Any], weights: Sequence[float] | None = None) -> None:
        if len(models) == 0:
            raise ValueError("AveragingEnsemble: models must not be empty")
        self.models = list(models)
        self.weights = _weights(weights, len(self.models), "AveragingEnsemble")

    def predict(self, x: Any, batch_size: int = 256) -> Tensor:
        x = _as_tensor(x, "AveragingEnsemble.predict")
        outs = [_member_predict(m, x, batch_size) for m in self.models]
        return sum(w * o for w, o in zip(self.weights, outs, strict=True))


def _check_task(task: str, cls: str) -> None:
    if task not in _TASKS:
        raise ValueError(f"{cls}: task must be one of {_TASKS}, got {task!r}")


def _build(build_fn: Callable[[], Any], cls: str) -> Any:
    model = build_fn()
    if not (hasattr(model, "fit") and hasattr(model, "predict")):
        raise TypeError(
            f"{cls}: build_fn must return a compiled ax.train.Model (with fit and predict), "
            f"got {type(model).__name__}"
        )
    return model


class Bagging:
    """Bootstrap aggregating: ``n_estimators`` models from ``build_fn``, each trained on a
    bootstrap sample (drawn with replacement) of the training set, combined by soft voting
    (classification) or averaging (regression). After ``fit``, ``oob_score_`` is the accuracy
    (classification) or mean squared error (regression) of the out-of-bag predictions: each
    training example predicted only by the members that never saw it."""

    def __init__(
        self,
        build_fn: Callable[[], Any],
        n_estimators: int = 10,
        max_samples: float = 1.0,
        task: str = "classification",
        outputs: str = "logits",
        generator: Any = None,
    ) -> None:
        if not isinstance(n_estimators, int) or n_estimators < 1:
            raise ValueError(f"Bagging: n_estimators must be a positive int, got {n_estimators!r}")
        if not 0.0 < max_samples <= 1.0:
            raise ValueError(f"Bagging: max_samples must be in (0, 1], got {max_samples!r}")
        _check_task(task, "Bagging")
        _check_outputs(outputs, "Bagging")
        self.build_fn = build_fn
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.task = task
        self.outputs = outputs
        self.generator = generator
        self.models: list[Any] = []
        self.oob_score_: float | None = None

    def fit(self, x: Any, y: Any, **fit_kwargs: Any) -> Bagging:
        """Trains every member on its bootstrap sample; ``fit_kwargs`` go to each ``fit``."""
        x, y = _as_tensor(x, "Bagging.fit"), _as_tensor(y, "Bagging.fit")
        n = x.shape[0]
        if y.shape[0] != n:
            raise ValueError(f"Bagging.fit: x has {n} rows but y has {y.shape[0]}")
        sampler = BootstrapSampler(
            n, num_samples=max(1, round(self.max_samples * n)), generator=self.generator
        )
        fit_kwargs.setdefault("verbose", 0)
        self.models = []
        oob_sum: Tensor | None = None
        oob_count = _C.zeros([n], dtype=_C.float64)
        for _ in range(self.n_estimators):
            idx = _tensor(list(iter(sampler)))
            model = _build(self.build_fn, "Bagging")
            model.fit(x.index_select(0, idx), y.index_select(0, idx), **fit_kwargs)
            self.models.append(model)
            oob = sampler.out_of_bag_indices()
            if oob.numel() == 0:
                continue
            pred = self._transform(_member_predict(model, x.index_select(0, oob), 256)).double()
            if oob_sum is None:
                oob_sum = _C.zeros([n, *pred.shape[1:]], dtype=_C.float64)
            oob_sum.index_add_(0, oob, pred)
            oob_count.index_add_(0, oob, _C.ones([oob.numel()], dtype=_C.float64))
        self.oob_score_ = self._oob_score(oob_sum, oob_count, y)
        return self

    def _transform(self, out: Tensor) -> Tensor:
        return _to_probs(out, self.outputs) if self.task == "classification" else out

    def _oob_score(self, total: Tensor | None, count: Tensor, y: Tensor) -> float | None:
        seen = count > 0
        if total is None or not bool(seen.any()):
            return None
        mean = total[seen] / count[seen].reshape([-1] + [1] * (total.dim() - 1))
        if self.task == "classification":
            return float((mean.argmax(1) == y[seen]).double().mean())
        return float(((mean - y[seen].double().reshape(mean.shape)) ** 2).mean())

    def _combined(self, x: Any, batch_size: int) -> Tensor:
        if not self.models:
            raise RuntimeError("Bagging: call fit before predict")
        x = _as_tensor(x, "Bagging.predict")
        outs = [self._transform(_member_predict(m, x, batch_size)) for m in self.models]
        return sum(outs) / len(outs)

    def predict_proba(self, x: Any, batch_size: int = 256) -> Tensor:
        if self.task != "classification":
            raise RuntimeError("Bagging.predict_proba: only for task='classification'")
        return self._combined(x, batch_size)

    def predict(self, x: Any, batch_size: int = 256) -> Tensor:
        """Class labels (classification) or averaged outputs (regression)."""
        out = self._combined(x, batch_size)
        return out.argmax(1) if self.task == "classification" else out


class Stacking:
    """Stacked generalization: the base models' out-of-fold predictions on the training set (from
    ``cv``-fold cross-validation, so the meta-model never learns from predictions on data a base
    model was trained on) become the meta-model's inputs; then every base model is refit on the
    whole training set. For classification the features are class probabilities, for regression
    the raw outputs. ``passthrough=True`` appends the original features."""

    def __init__(
        self,
        base_builders: Sequence[Callable[[], Any]],
        meta_builder: Callable[[], Any],
        cv: int = 5,
        task: str = "classification",
        outputs: str = "logits",
        passthrough: bool = False,
        shuffle: bool = True,
        random_state: int | None = 0,
    ) -> None:
        if len(base_builders) == 0:
            raise ValueError("Stacking: base_builders must not be empty")
        if not isinstance(cv, int) or cv < 2:
            raise ValueError(f"Stacking: cv must be an int >= 2, got {cv!r}")
        _check_task(task, "Stacking")
        _check_outputs(outputs, "Stacking")
        self.base_builders = list(base_builders)
        self.meta_builder = meta_builder
        self.cv = cv
        self.task = task
        self.outputs = outputs
        self.passthrough = passthrough
        self.shuffle = shuffle
        self.random_state = random_state
        self.base_models: list[Any] = []
        self.meta_model: Any = None

    def _features(self, outs: list[Tensor], x: Tensor) -> Tensor:
        if self.task == "classification":
            outs = [_to_probs(o, self.outputs) for o in outs]
        else:
            outs = [o.reshape([o.shape[0], -1]) for o in outs]
        if self.passthrough:
            outs.append(x.reshape([x.shape[0], -1]))
        return _C.cat([o.float() for o in outs], 1)

    def fit(
        self,
        x: Any,
        y: Any,
        meta_fit_kwargs: dict[str, Any] | None = None,
        **fit_kwargs: Any,
    ) -> Stacking:
        """Cross-validated base predictions, meta-model fit, base refit on all data.
        ``fit_kwargs`` go to the base models' ``fit``, ``meta_fit_kwargs`` to the meta-model's."""
        x, y = _as_tensor(x, "Stacking.fit"), _as_tensor(y, "Stacking.fit")
        n = x.shape[0]
        if y.shape[0] != n:
            raise ValueError(f"Stacking.fit: x has {n} rows but y has {y.shape[0]}")
        fit_kwargs.setdefault("verbose", 0)
        rs = self.random_state if self.shuffle else None
        folds = (
            StratifiedKFold(self.cv, shuffle=self.shuffle, random_state=rs).split(x, y)
            if self.task == "classification"
            else KFold(self.cv, shuffle=self.shuffle, random_state=rs).split(x)
        )
        oof: list[Tensor | None] = [None] * len(self.base_builders)
        for train_idx, val_idx in folds:
            x_tr, y_tr = x.index_select(0, train_idx), y.index_select(0, train_idx)
            x_va = x.index_select(0, val_idx)
            for b, build in enumerate(self.base_builders):
                model = _build(build, "Stacking")
                model.fit(x_tr, y_tr, **fit_kwargs)
                pred = _member_predict(model, x_va, 256)
                if oof[b] is None:
                    oof[b] = _C.zeros([n, *pred.shape[1:]], dtype=pred.dtype)
                oof[b][val_idx] = pred
        meta_x = self._features([o for o in oof if o is not None], x)
        self.meta_model = _build(self.meta_builder, "Stacking")
        self.meta_model.fit(meta_x, y, **{"verbose": 0, **(meta_fit_kwargs or {})})
        self.base_models = []
        for build in self.base_builders:
            model = _build(build, "Stacking")
            model.fit(x, y, **fit_kwargs)
            self.base_models.append(model)
        return self

    def _meta_out(self, x: Any, batch_size: int) -> Tensor:
        if self.meta_model is None:
            raise RuntimeError("Stacking: call fit before predict")
        x = _as_tensor(x, "Stacking.predict")
        feats = self._features([_member_predict(m, x, batch_size) for m in self.base_models], x)
        return _member_predict(self.meta_model, feats, batch_size)

    def predict_proba(self, x: Any, batch_size: int = 256) -> Tensor:
        if self.task != "classification":
            raise RuntimeError("Stacking.predict_proba: only for task='classification'")
        return _to_probs(self._meta_out(x, batch_size), self.outputs)

    def predict(self, x: Any, batch_size: int = 256) -> Tensor:
        """Class labels (classification) or the meta-model's outputs (regression)."""
        out = self._meta_out(x, batch_size)
        return _to_probs(out, self.outputs).argmax(1) if self.task == "classification" else out
