"""Looking inside a vision model: input-gradient saliency maps and intermediate feature maps.

Both helpers run the model in eval mode (Dropout off, BatchNorm on running statistics, as at
inference) and put every submodule back into the train/eval mode it had before, also when the
forward pass raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from .._C import Tensor
from .._tensor import tensor as _tensor
from ..autograd import enable_grad, grad, no_grad
from ..nn.modules.module import Module

__all__ = ["feature_maps", "saliency"]


@contextmanager
def _eval_mode(model: Module) -> Iterator[None]:
    """Switch ``model`` to eval mode and restore each submodule's own ``training`` flag."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for m, was_training in modes:
            m.training = was_training


def _check_model(who: str, model: Any) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"{who}: model must be an ax.nn.Module, got {type(model).__name__}")


def saliency(model: Module, x: Tensor, target: Any = None, reduce: bool = True) -> Tensor:
    """Vanilla gradient saliency (Simonyan et al., 2014): how much each input pixel moves the
    class score.

    ``x`` is a (N, C, H, W) batch (or one (C, H, W) image) and ``model(x)`` must return
    (N, num_classes) scores (logits). The score of ``target`` (an int for every sample, or one
    class per sample as a sequence/tensor of shape (N,); default: each sample's arg-max class)
    is differentiated w.r.t. the input in eval mode. Returns ``|grad|`` maxed over channels,
    shape (N, H, W) (or (H, W) for one image); with ``reduce=False`` the raw signed gradient,
    shaped like ``x``. The model's parameters' ``.grad`` are left untouched and its
    train/eval mode is restored.
    """
    _check_model("saliency", model)
    if not isinstance(x, Tensor):
        raise TypeError(f"saliency: x must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (3, 4):
        raise ValueError(
            f"saliency: x must have shape (C, H, W) or (N, C, H, W), got {tuple(x.shape)}"
        )
    if not x.is_floating_point():
        raise TypeError(f"saliency: x must be a float tensor, got {x.dtype}")
    single = x.ndim == 3
    inp = (x.unsqueeze(0) if single else x).detach().clone().requires_grad_(True)
    n = inp.shape[0]
    with _eval_mode(model), enable_grad():
        scores = model(inp)
        if not isinstance(scores, Tensor) or scores.ndim != 2 or scores.shape[0] != n:
            shape = tuple(scores.shape) if isinstance(scores, Tensor) else type(scores).__name__
            raise ValueError(
                f"saliency: model output must have shape (N, num_classes) with N={n}, got {shape}"
            )
        num_classes = scores.shape[1]
        if target is None:
            idx = scores.detach().argmax(dim=1)
        else:
            idx = target.detach().long() if isinstance(target, Tensor) else _tensor(target).long()
            if idx.ndim == 0:
                idx = idx.reshape(1).expand(n).contiguous()
            if tuple(idx.shape) != (n,):
                raise ValueError(
                    f"saliency: target must be an int or have shape ({n},), got {tuple(idx.shape)}"
                )
            lo, hi = int(idx.min().item()), int(idx.max().item())
            if lo < 0 or hi >= num_classes:
                bad = lo if lo < 0 else hi
                raise IndexError(
                    f"saliency: target {bad} is out of range for {num_classes} classes"
                )
        score = scores.gather(1, idx.view(n, 1)).sum()
        (g,) = grad(score, [inp])
    out = g.abs().amax(dim=1) if reduce else g
    return out[0] if single else out


def feature_maps(
    model: Module, x: Any, layers: str | Iterable[str], detach: bool = True
) -> dict[str, Any]:
    """Outputs of the named submodules for input ``x``, captured with forward hooks.

    ``layers`` is a name or a list of names as in ``model.named_modules()`` (e.g.
    ``"features.0"``); the result maps each name to that module's output, in the order
    given. A module called several times in one forward keeps its last output. The model
    runs in eval mode; with ``detach=True`` (default) under ``no_grad`` so the maps hold no
    graph, with ``detach=False`` the maps stay attached for gradient-based analysis. The hooks
    are removed and the train/eval mode restored afterwards, also when the forward raises.
    """
    _check_model("feature_maps", model)
    names = [layers] if isinstance(layers, str) else list(layers)
    if not names:
        raise ValueError("feature_maps: layers must name at least one module, got []")
    modules = dict(model.named_modules())
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"feature_maps: layer names must be str, got {name!r}")
        if name not in modules:
            available = [k for k in modules if k]
            raise ValueError(
                f"feature_maps: model has no submodule named {name!r}; available: {available}"
            )
    captured: dict[str, Any] = {}

    def make_hook(name: str) -> Any:
        def hook(module: Module, inputs: Any, output: Any) -> None:
            captured[name] = output

        return hook

    handles = []
    try:
        for name in dict.fromkeys(names):
            handles.append(modules[name].register_forward_hook(make_hook(name)))
        with _eval_mode(model):
            if detach:
                with no_grad():
                    model(x)
            else:
                model(x)
    finally:
        for h in handles:
            h.remove()
    missing = [name for name in names if name not in captured]
    if missing:
        raise RuntimeError(
            f"feature_maps: layers {missing} were not called during the forward pass"
        )
    return {name: captured[name] for name in names}
