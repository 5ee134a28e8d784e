"""The C++ autograd engine as seen from Python: accumulation, graph lifetime, grad modes,
hooks, version counters, higher-order gradients, custom Functions and anomaly detection."""

from __future__ import annotations

import gc
import resource

import numpy as np
import pytest

import axonite as ax


def leaf(values, dtype=ax.float64) -> ax.Tensor:
    return ax.tensor(values, dtype=dtype, requires_grad=True)


def test_gradients_accumulate_into_leaves() -> None:
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 + 3, 4 + 3])


def test_shared_subexpression_sums_gradients() -> None:
    x = leaf([1.5])
    y = x * 2
    z = y * y + y  # y used three times
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 * (2 * 3.0) + 2])


def test_gradient_sums_never_write_into_shared_tensors() -> None:
    # The engine sums gradients in place only into buffers nothing else holds: the caller's
    # gradient, a gradient that AddBackward hands to both inputs, and tensors a hook kept must
    # all keep their values.
    x = ax.tensor([1.0, 2.0, 3.0], requires_grad=True)
    g = ax.ones(3)
    y = x * 2
    z = y + y  # the same gradient object reaches y twice
    seen = []
    z.register_hook(lambda t: seen.append(t))
    (z * 3 + y).backward(g)  # y's buffer starts as g itself
    np.testing.assert_array_equal(g.numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(seen[0].numpy(), [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [14.0, 14.0, 14.0])  # 2 * (1 + 3 + 3)
    # A weight shared by many unrolled steps sums every step's gradient.
    w = ax.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    h = ax.tensor([[1.0, 1.0]])
    for _ in range(5):
        h = h @ w
    h.sum().backward()
    wn = w.detach().numpy()
    expected = np.zeros((2, 2))
    for t in range(5):  # d sum(h0 W^5) / dW = sum_t (h0 W^t)^T (1 W^(4-t))^T
        left = np.ones((1, 2)) @ np.linalg.matrix_power(wn, t)
        right = np.linalg.matrix_power(wn, 4 - t) @ np.ones((2, 1))
        expected += left.T @ right.T
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-6)


def test_non_leaf_grad_needs_retain_grad() -> None:
    x = leaf([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    z = x * 3
    (y * z).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), z.detach().numpy())
    assert z.grad is None
    assert not y.is_leaf and x.is_leaf


def test_backward_twice_raises_without_retain_graph() -> None:
    x = leaf([1.0])
    y = (x * x).exp()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 2 * np.e)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_backward_on_non_scalar_needs_gradient() -> None:
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(ax.tensor([1.0, 10.0], dtype=ax.float64))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])


def test_backward_on_tensor_without_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        ax.tensor([1.0]).backward()


def test_requires_grad_only_for_floats() -> None:
    with pytest.raises(RuntimeError, match="floating-point"):
        ax.tensor([1, 2]).requires_grad_()


def test_version_counter_detects_inplace_modification() -> None:
    x = leaf([1.0, 2.0])
    y = x * 1
    z = y.exp()  # saves its output
    z.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_version_counter_shared_by_views_and_detach() -> None:
    x = leaf([1.0, 2.0])
    y = x * 1
    w = y * y  # saves y
    y.detach().mul_(2)  # same storage
    with pytest.raises(RuntimeError, match=r"ExpBackward0|MulBackward0"):
        w.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises() -> None:
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with ax.no_grad():
        x.add_(1)  # allowed: this is how optimizers update parameters
    np.testing.assert_allclose(x.numpy() if not x.requires_grad else x.detach().numpy(), [2.0])


def test_inplace_on_non_leaf_rebases_history() -> None:
    x = leaf([1.0, 2.0])
    y = x * 2
    y.add_(1)
    y.mul_(3)  # y = 3 * (2x + 1)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])
    assert y.grad_fn.name() == "MulBackward0"


def test_no_grad_and_friends() -> None:
    x = leaf([1.0])
    with ax.no_grad():
        y = x * 2
        with ax.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad
    with ax.inference_mode():
        assert not (x * 2).requires_grad
    with ax.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ax.is_grad_enabled()

    @ax.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad


def test_grad_mode_is_thread_local() -> None:
    import threading

    seen = []
    with ax.no_grad():
        t = threading.Thread(target=lambda: seen.append(ax.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_detach_shares_memory_and_drops_history() -> None:
    x = leaf([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert d.grad_fn is None and not d.requires_grad
    assert d.data_ptr() == y.data_ptr()


def test_hooks_on_leaf_and_non_leaf() -> None:
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: g * 10)
    y = x * 2
    y.register_hook(lambda g: seen.append(g.detach().numpy().copy()))
    y.sum().backward()
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 20.0])


def test_autograd_grad_and_higher_order() -> None:
    x = leaf([2.0])
    y = x**3
    (g,) = ax.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [12.0])  # 3x^2
    (g2,) = ax.autograd.grad(g, x, create_graph=True)
    np.testing.assert_allclose(g2.detach().numpy(), [12.0])  # 6x
    (g3,) = ax.autograd.grad(g2, x)
    np.testing.assert_allclose(g3.numpy(), [6.0])
    assert x.grad is None  # grad() does not accumulate


def test_grad_wrt_non_leaf_and_unused() -> None:
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    u = leaf([5.0])
    with pytest.raises(RuntimeError, match="allow_unused"):
        ax.autograd.grad(y, [h, u], retain_graph=True)
    gh, gu = ax.autograd.grad(y, [h, u], allow_unused=True)
    np.testing.assert_allclose(gh.numpy(), 2 * h.detach().numpy())
    assert gu is None


def test_input_gradient_for_saliency() -> None:
    w = ax.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=ax.float64)
    x = leaf([[0.3, -0.1]])
    score = ((x @ w).tanh() if hasattr(ax.Tensor, "__matmul__") else (x * w).tanh()).sum()
    (gx,) = ax.autograd.grad(score, x)
    assert gx.shape == (1, 2)
    assert np.all(np.isfinite(gx.numpy()))


def test_backward_create_graph_gives_second_derivative_into_grad() -> None:
    x = leaf([3.0])
    y = x * x * x
    y.backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.backward()
    np.testing.assert_allclose(x.grad.numpy(), [18.0])


class Cube(ax.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * 3 * x * x


class ExpFn(ax.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        y = (x * scale).exp()
        ctx.save_for_backward(y)
        ctx.scale = scale
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        return gy * y * ctx.scale, None


def test_custom_function() -> None:
    x = leaf([1.0, -2.0])
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])
    assert ax.autograd.gradcheck(Cube.apply, (leaf([0.5, -1.5]),))
    assert ax.autograd.gradcheck(lambda t: ExpFn.apply(t, 0.7), (leaf([0.5, -1.5]),))
    assert ax.autograd.gradgradcheck(Cube.apply, (leaf([0.5, -1.5]),))


def test_anomaly_mode_names_the_op() -> None:
    x = leaf([0.0, 1.0])
    y = x.sqrt().sum()
    with ax.autograd.detect_anomaly(), pytest.raises(RuntimeError, match="SqrtBackward0"):
        y.backward()
    ax.autograd.set_detect_anomaly(False)
    assert not ax.autograd.is_anomaly_enabled()


def test_gradcheck_catches_a_wrong_gradient() -> None:
    class Wrong(ax.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, gy):
            return gy  # wrong on purpose

    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        ax.autograd.gradcheck(Wrong.apply, (leaf([1.0, 2.0]),))


def test_very_deep_graph_runs_and_frees_iteratively() -> None:
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0])
    z = x
    for _ in range(100_000):
        z = z + 0.0
    del z  # destruction of a 100k-node chain must not overflow the stack
    gc.collect()


def test_graph_memory_released_after_backward() -> None:
    w = ax.tensor(np.random.default_rng(0).standard_normal((64, 64)), requires_grad=True)

    def step() -> None:
        h = (w * 2).tanh()
        loss = (h * h).sum()
        loss.backward()
        w.grad = None

    for _ in range(20):
        step()
    base = ax.memory_stats()["allocated_bytes"]
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(1000):
        step()
    gc.collect()
    assert ax.memory_stats()["allocated_bytes"] <= base
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert rss1 - rss0 < 20_000  # KiB: the 1,000-step loop does not grow the process
