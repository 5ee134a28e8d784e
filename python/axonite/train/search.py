"""Hyperparameter search over a model-building function: ``grid_search`` tries every combination
of a grid, ``random_search`` samples ``n_iter`` combinations; both return a ``SearchResult``
whose rows (one per trial, ranked) print as a table.

``build_fn(**params)`` returns a compiled ``ax.train.Model``. Parameters named like ``fit``
arguments (``epochs``, ``batch_size``, ``accumulation_steps``, ``shuffle``) go to ``fit`` instead,
so one grid can search architecture, optimizer settings and training length together. Each trial
is scored on held-out data (``validation_data``, ``validation_split``, or ``cv``-fold
cross-validation) by the best epoch value of ``monitor`` (``val_accuracy`` by default), and
every trial starts from the same seed so that differences come from the parameters.
"""

from __future__ import annotations

import csv
import itertools
import math
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._C import Tensor, manual_seed
from .._tensor import tensor as _tensor
from ..utils.data import KFold

__all__ = ["SearchResult", "grid_search", "loguniform", "randint", "random_search", "uniform"]

_FIT_PARAMS = ("epochs", "batch_size", "accumulation_steps", "shuffle")


# -- distributions for random_search -------------------------------------------------------------


@dataclass(frozen=True)
class uniform:
    """Uniform on [low, high)."""

    low: float
    high: float

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))


@dataclass(frozen=True)
class loguniform:
    """Log-uniform on [low, high) (both > 0): right for learning rates and penalties."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not 0 < self.low < self.high:
            raise ValueError(f"loguniform: need 0 < low < high, got {self.low}, {self.high}")

    def sample(self, rng: np.random.Generator) -> float:
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))


@dataclass(frozen=True)
class randint:
    """Integers uniform on [low, high)."""

    low: int
    high: int

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.low, self.high))


def _sample(spec: Any, rng: np.random.Generator, name: str) -> Any:
    if hasattr(spec, "sample"):
        return spec.sample(rng)
    if isinstance(spec, (list, tuple)) and len(spec) > 0:
        return spec[int(rng.integers(len(spec)))]
    raise TypeError(
        f"random_search: param_distributions[{name!r}] must be a non-empty list or a "
        f"distribution with sample(rng) (uniform, loguniform, randint), got {spec!r}"
    )


# -- results -------------------------------------------------------------------------------------


@dataclass
class SearchResult:
    """The trials of a search, best first. ``rows`` are dicts: the parameters, ``score`` (mean
    over folds), ``score_std``, ``fit_time`` (seconds) and ``rank``."""

    monitor: str
    mode: str
    params: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    best_model: Any = None

    @property
    def best_params(self) -> dict[str, Any]:
        return {k: self.rows[0][k] for k in self.params}

    @property
    def best_score(self) -> float:
        return float(self.rows[0]["score"])

    def __len__(self) -> int:
        return len(self.rows)

    def table(self) -> str:
        cols = ["rank", *self.params, "score", "score_std", "fit_time"]
        head = {"score": self.monitor, "fit_time": "fit_time_s"}

        def fmt(v: Any) -> str:
            return f"{v:.4g}" if isinstance(v, float) else str(v)

        cells = [[head.get(c, c) for c in cols]] + [[fmt(r[c]) for c in cols] for r in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
        lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    __str__ = table

    def to_csv(self, path: str) -> None:
        cols = ["rank", *self.params, "score", "score_std", "fit_time"]
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
            w.writeheader()
            w.writerows(self.rows)


# -- the search loop -----------------------------------------------------------------------------


def _resolve_mode(monitor: str, mode: str) -> str:
    if mode == "auto":
        low = ("loss", "error", "mae", "mse", "rmse")
        return "min" if any(k in monitor for k in low) else "max"
    if mode not in ("min", "max"):
        raise ValueError(f"search: mode must be 'auto', 'min' or 'max', got {mode!r}")
    return mode


def _score(history: Any, monitor: str, mode: str) -> float:
    values = history.history.get(monitor)
    if not values:
        raise ValueError(
            f"search: monitor {monitor!r} was not logged during fit; logged keys are "
            f"{sorted(history.history)} (compile with the metric and give validation data)"
        )
    return float(min(values) if mode == "min" else max(values))


def _run(
    build_fn: Callable[..., Any],
    candidates: Iterable[dict[str, Any]],
    names: list[str],
    x: Any,
    y: Any,
    validation_data: Any,
    validation_split: float,
    cv: int | None,
    monitor: str,
    mode: str,
    seed: int,
    verbose: int,
    fit_kwargs: dict[str, Any],
) -> SearchResult:
    mode = _resolve_mode(monitor, mode)
    if cv is not None and (not isinstance(cv, int) or cv < 2):
        raise ValueError(f"search: cv must be None or an int >= 2, got {cv!r}")
    if cv is not None and validation_data is not None:
        raise ValueError("search: give either cv or validation_data, not both")
    if cv is not None:
        x = x if isinstance(x, Tensor) else _tensor(x)
        y = y if isinstance(y, Tensor) else _tensor(y)
    result = SearchResult(monitor=monitor, mode=mode, params=names)
    best: tuple[float, Any] | None = None
    for trial, params in enumerate(candidates):
        build_args = {k: v for k, v in params.items() if k not in _FIT_PARAMS}
        fit_args = {"verbose": 0, **fit_kwargs}
        fit_args.update({k: v for k, v in params.items() if k in _FIT_PARAMS})
        t0 = time.perf_counter()
        scores, model = [], None
        if cv is None:
            manual_seed(seed)
            model = build_fn(**build_args)
            if validation_data is not None:
                fit_args["validation_data"] = validation_data
            else:
                fit_args["validation_split"] = validation_split
            scores.append(_score(model.fit(x, y, **fit_args), monitor, mode))
        else:
            for train_idx, val_idx in KFold(cv, shuffle=True, random_state=seed).split(x):
                manual_seed(seed)
                model = build_fn(**build_args)
                val = (x.index_select(0, val_idx), y.index_select(0, val_idx))
                h = model.fit(
                    x.index_select(0, train_idx),
                    y.index_select(0, train_idx),
                    validation_data=val,
                    **fit_args,
                )
                scores.append(_score(h, monitor, mode))
        row = dict(params)
        row["score"] = statistics.fmean(scores)
        row["score_std"] = statistics.pstdev(scores) if len(scores) > 1 else 0.0
        row["fit_time"] = time.perf_counter() - t0
        result.rows.append(row)
        better = best is None or (
            row["score"] < best[0] if mode == "min" else row["score"] > best[0]
        )
        if better:
            best = (row["score"], model)
        if verbose:
            shown = ", ".join(f"{k}={params[k]!r}" for k in names)
            print(f"trial {trial + 1}: {shown} -> {monitor} {row['score']:.4f}", flush=True)
    if not result.rows:
        raise ValueError("search: no candidates to try (empty grid or n_iter=0)")
    result.rows.sort(key=lambda r: r["score"], reverse=(mode == "max"))
    for rank, row in enumerate(result.rows, 1):
        row["rank"] = rank
    result.best_model = best[1] if best is not None and cv is None else None
    return result


def _check_space(space: Mapping[str, Any], what: str) -> list[str]:
    if not isinstance(space, Mapping) or not space:
        raise ValueError(f"{what}: expected a non-empty dict of parameter name -> values")
    return list(space)


def grid_search(
    build_fn: Callable[..., Any],
    param_grid: Mapping[str, Sequence[Any]],
    x: Any,
    y: Any = None,
    *,
    validation_data: Any = None,
    validation_split: float = 0.2,
    cv: int | None = None,
    monitor: str = "val_accuracy",
    mode: str = "auto",
    seed: int = 0,
    verbose: int = 1,
    **fit_kwargs: Any,
) -> SearchResult:
    """Trains one model per combination of ``param_grid`` (a dict of name -> list of values) and
    ranks them by ``monitor``.

        >>> res = ax.train.grid_search(build, {"hidden": [32, 64], "lr": [1e-3, 1e-2]},
        ...                            x, y, epochs=10, validation_split=0.2)
        >>> print(res); res.best_params
    """
    names = _check_space(param_grid, "grid_search")
    for k in names:
        v = param_grid[k]
        if isinstance(v, (str, bytes)) or not isinstance(v, Sequence) or len(v) == 0:
            raise ValueError(f"grid_search: param_grid[{k!r}] must be a non-empty list, got {v!r}")
    combos = (
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(param_grid[k] for k in names))
    )
    return _run(
        build_fn, combos, names, x, y, validation_data, validation_split, cv, monitor, mode,
        seed, verbose, fit_kwargs,
    )  # fmt: skip


def random_search(
    build_fn: Callable[..., Any],
    param_distributions: Mapping[str, Any],
    x: Any,
    y: Any = None,
    *,
    n_iter: int = 10,
    validation_data: Any = None,
    validation_split: float = 0.2,
    cv: int | None = None,
    monitor: str = "val_accuracy",
    mode: str = "auto",
    seed: int = 0,
    verbose: int = 1,
    **fit_kwargs: Any,
) -> SearchResult:
    """Trains ``n_iter`` models with parameters drawn from ``param_distributions`` (lists are
    sampled uniformly; ``uniform``, ``loguniform`` and ``randint`` give ranges), seeded by
    ``seed``, and ranks them by ``monitor``."""
    names = _check_space(param_distributions, "random_search")
    if not isinstance(n_iter, int) or n_iter < 1:
        raise ValueError(f"random_search: n_iter must be a positive int, got {n_iter!r}")
    rng = np.random.default_rng(seed)
    draws = [{k: _sample(param_distributions[k], rng, k) for k in names} for _ in range(n_iter)]
    return _run(
        build_fn, draws, names, x, y, validation_data, validation_split, cv, monitor, mode,
        seed, verbose, fit_kwargs,
    )  # fmt: skip
