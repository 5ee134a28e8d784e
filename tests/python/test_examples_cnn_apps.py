"""The CNN application examples: ``resnet_fashion`` (ResNet-20 on Fashion-MNIST),
``localization`` (digit class + bounding box on a 64x64 canvas) and ``image_retrieval``
(nearest neighbours in a CNN's feature space vs raw pixels).

Their helpers are checked against hand-computed values and brute-force NumPy; the smoke modes
run in-process through ``main(argv)`` (skipping cleanly when a dataset package is absent), and
the full runs, marked slow, assert the headline figures.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

import axonite as ax
from axonite import nn
from axonite.examples import image_retrieval, localization, resnet_fashion

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _assert_png(path: Path) -> None:
    assert path.is_file()
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert path.stat().st_size > 2000  # an image was drawn, not an empty figure


def _assert_finite(result: dict[str, float], keys: list[str]) -> None:
    for key in keys:
        assert key in result, key
        assert math.isfinite(result[key]), (key, result[key])


# ---------------------------------------------------------------- localization helpers


def _ink_box(canvas: np.ndarray) -> list[int]:
    """Brute-force (x0, y0, x1, y1) of the nonzero pixels, x1/y1 exclusive."""
    ys, xs = np.nonzero(canvas)
    return [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


def test_make_canvases_box_is_exactly_around_the_ink() -> None:
    digits = np.zeros((4, 28, 28), dtype=np.uint8)
    digits[0, 5:9, 10:12] = 200  # a 2x4 bar
    digits[1, 0, 0] = 1  # one corner pixel, faintest ink
    digits[2, 27, 27] = 255  # the other corner
    digits[3, 3:25, 6:20] = np.arange(1, 15, dtype=np.uint8)  # a gradient block
    digits[3, 12, 2] = 9  # an isolated pixel left of it widens the box
    canvases, boxes = localization.make_canvases(digits, rng=np.random.default_rng(3))
    assert canvases.shape == (4, 64, 64) and canvases.dtype == np.uint8
    assert boxes.shape == (4, 4) and boxes.dtype == np.float32
    for canvas, box in zip(canvases, boxes, strict=True):
        assert (box * 64).round().astype(int).tolist() == _ink_box(canvas)
    # The ink is moved, not altered: the same pixel values, the same total.
    np.testing.assert_array_equal(canvases.reshape(4, -1).sum(1), digits.reshape(4, -1).sum(1))
    assert (boxes[1, 2] - boxes[1, 0]) * 64 == pytest.approx(1.0)  # a one-pixel box
    assert (boxes[3] * 64).round().tolist()[2] - (boxes[3] * 64).round().tolist()[0] == 18


def test_make_canvases_on_real_digits_and_offsets(mnist_small_data) -> None:
    (x, _), _ = ax.datasets.mnist_small(as_numpy=True)
    canvases, boxes = localization.make_canvases(x[:64], rng=np.random.default_rng(0))
    want = np.array([_ink_box(c) for c in canvases])
    np.testing.assert_array_equal((boxes * 64).round().astype(int), want)
    # Offsets are spread over the canvas (not all in one corner) and the boxes stay inside.
    assert boxes.min() >= 0.0 and boxes.max() <= 1.0
    assert np.ptp(boxes[:, 0]) > 0.3 and np.ptp(boxes[:, 1]) > 0.3
    # Same seed, same canvases.
    again, _ = localization.make_canvases(x[:64], rng=np.random.default_rng(0))
    np.testing.assert_array_equal(again, canvases)


def test_make_canvases_rejects_bad_input() -> None:
    digits = np.zeros((3, 28, 28), dtype=np.uint8)
    digits[0, 4, 4] = 7
    with pytest.raises(ValueError, match=r"make_canvases: digits \[1, 2\] have no ink"):
        localization.make_canvases(digits)
    with pytest.raises(ValueError, match=r"make_canvases: digits must .* \(28, 28\)"):
        localization.make_canvases(digits[0])
    with pytest.raises(ValueError, match=r"make_canvases: size 20 is smaller"):
        localization.make_canvases(digits[:1], size=20)


def test_box_iou_hand_computed() -> None:
    pred = ax.tensor(
        [
            [0.0, 0.0, 2.0, 2.0],  # vs a box shifted by (1, 1): overlap 1, union 4 + 4 - 1
            [1.0, 1.0, 3.0, 3.0],  # identical
            [0.0, 0.0, 1.0, 1.0],  # disjoint
            [0.0, 0.0, 4.0, 4.0],  # contains a 2x2 box: 4 / 16
            [3.0, 3.0, 1.0, 1.0],  # inverted: empty
            [0.0, 0.0, 2.0, 1.0],  # touching edges only: no area in common
            [0.1, 0.2, 0.5, 0.6],  # normalized coordinates: 0.4x0.4 vs 0.2x0.4 inside it
        ]
    )
    target = ax.tensor(
        [
            [1.0, 1.0, 3.0, 3.0],
            [1.0, 1.0, 3.0, 3.0],
            [2.0, 2.0, 3.0, 3.0],
            [1.0, 1.0, 3.0, 3.0],
            [1.0, 1.0, 3.0, 3.0],
            [2.0, 0.0, 3.0, 1.0],
            [0.3, 0.2, 0.5, 0.6],
        ]
    )
    got = localization.box_iou(pred, target).numpy()
    np.testing.assert_allclose(got, [1 / 7, 1.0, 0.0, 0.25, 0.0, 0.0, 0.5], rtol=1e-6, atol=1e-7)
    # Symmetric in its arguments.
    np.testing.assert_allclose(localization.box_iou(target, pred).numpy(), got, rtol=1e-6)


def test_box_iou_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match=r"box_iou: pred must have shape \(N, 4\), got \(2, 3\)"):
        localization.box_iou(ax.zeros(2, 3), ax.zeros(2, 4))
    with pytest.raises(ValueError, match=r"box_iou: pred and target .* \(2, 4\) and \(3, 4\)"):
        localization.box_iou(ax.zeros(2, 4), ax.zeros(3, 4))
    with pytest.raises(TypeError, match="box_iou: target must be a Tensor"):
        localization.box_iou(ax.zeros(2, 4), np.zeros((2, 4)))


def test_localizer_shapes() -> None:
    net = localization.Localizer()
    logits, boxes = net(ax.rand(3, 1, 64, 64))
    assert tuple(logits.shape) == (3, 10)
    assert tuple(boxes.shape) == (3, 4)
    b = boxes.detach().numpy()
    assert (b > 0).all() and (b < 1).all()  # the sigmoid keeps boxes on the canvas


# ---------------------------------------------------------------- retrieval helpers


def _brute_topk(x: np.ndarray, k: int) -> np.ndarray:
    """NumPy reference: cosine similarities, self excluded, stable descending sort."""
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    sim = u @ u.T
    np.fill_diagonal(sim, -np.inf)
    return np.argsort(-sim, axis=1, kind="stable")[:, :k]


@pytest.mark.parametrize("block", [1000, 7, 1])
def test_cosine_topk_matches_numpy(block: int) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((53, 8)).astype(np.float32)
    got = image_retrieval.cosine_topk(ax.from_numpy(x), 6, block=block).numpy()
    np.testing.assert_array_equal(got, _brute_topk(x.astype(np.float64), 6))
    assert (got != np.arange(53)[:, None]).all()  # never its own neighbour


def test_cosine_topk_is_scale_invariant_and_excludes_duplicates_of_self() -> None:
    # Rows 0 and 1 point the same way (cosine 1): each is the other's first neighbour.
    x = ax.tensor([[1.0, 0.0], [5.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    got = image_retrieval.cosine_topk(x, 2).numpy()
    assert got[0].tolist() == [1, 3]
    assert got[1].tolist() == [0, 3]
    assert got[2].tolist() == [3, 0]  # ties (rows 0 and 1 both at cosine 0) go to the lower


def test_precision_at_k_matches_brute_force() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 5)).astype(np.float32)
    labels = rng.integers(0, 3, 40)
    nb = image_retrieval.cosine_topk(ax.from_numpy(x), 10)
    got = image_retrieval.precision_at_k(nb, ax.from_numpy(labels)).numpy()
    ref = _brute_topk(x.astype(np.float64), 10)
    want = np.array([np.mean(labels[ref[i]] == labels[i]) for i in range(40)])
    np.testing.assert_allclose(got, want, rtol=1e-6)
    # Hand case: 2 of 4 and 4 of 4 neighbours share the query's label.
    hand = image_retrieval.precision_at_k(
        ax.tensor([[1, 2, 3, 4], [0, 0, 0, 0]]), ax.tensor([0, 0, 1, 0, 1])
    )
    np.testing.assert_allclose(hand.numpy(), [0.5, 1.0])


def test_retrieval_helpers_reject_bad_input() -> None:
    with pytest.raises(ValueError, match=r"cosine_topk: k must be .* \[1, 3\], got 4"):
        image_retrieval.cosine_topk(ax.randn(4, 2), 4)
    with pytest.raises(ValueError, match=r"cosine_topk: features must be a 2-d Tensor"):
        image_retrieval.cosine_topk(ax.randn(4), 1)
    with pytest.raises(ValueError, match=r"cosine_topk: block must be a positive int"):
        image_retrieval.cosine_topk(ax.randn(4, 2), 1, block=0)
    with pytest.raises(ValueError, match=r"precision_at_k: 3 queries but only 2 labels"):
        image_retrieval.precision_at_k(ax.zeros(3, 1).long(), ax.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"precision_at_k: labels must be a 1-d Tensor"):
        image_retrieval.precision_at_k(ax.zeros(2, 1).long(), ax.zeros(2, 1).long())


def test_show_queries_prefers_queries_where_pixels_lose() -> None:
    cnn = ax.tensor([1.0, 1.0, 0.5, 1.0, 0.7])
    pixels = ax.tensor([1.0, 0.5, 0.5, 0.9, 0.8])
    assert image_retrieval._show_queries(cnn, pixels, 2) == [1, 3]
    assert image_retrieval._show_queries(cnn, pixels, 4) == [1, 3, 0, 2]  # topped up in order


def test_retrieval_net_embedding_shape() -> None:
    net = image_retrieval.RetrievalNet()
    x = ax.randn(2, 1, 28, 28)
    assert tuple(net.embed(x).shape) == (2, 128)
    assert tuple(net(x).shape) == (2, 10)


# ---------------------------------------------------------------- resnet_fashion helpers


class _Record(nn.Module):
    def forward(self, x: ax.Tensor) -> ax.Tensor:
        return x


def test_augmented_flips_in_training_only() -> None:
    net = resnet_fashion.Augmented(_Record(), padding=0)
    x = ax.randn(64, 1, 28, 28)
    net.eval()
    np.testing.assert_array_equal(net(x).numpy(), x.numpy())  # evaluation: untouched
    net.train()
    y, xn = net(x).numpy(), x.numpy()
    same = (y == xn).all(axis=(1, 2, 3))
    flipped = (y == xn[..., ::-1]).all(axis=(1, 2, 3))
    assert (same | flipped).all()  # each image is itself or its mirror image
    assert 10 < flipped.sum() < 54  # about half of them are mirrored


def test_augmented_crops_shift_within_padding() -> None:
    net = resnet_fashion.Augmented(_Record(), padding=2, fill=-1.0)
    x = ax.zeros(32, 1, 28, 28)
    y = net(x).numpy()  # a fresh module is in training mode
    assert y.shape == (32, 1, 28, 28)
    # The border filled in by a shift carries the fill value, and at most 2 rows/cols of it.
    filled = y == -1.0
    assert filled.any()
    assert not filled[:, :, 2:-2, 2:-2].any()


def test_step_per_batch_steps_the_scheduler() -> None:
    p = nn.Parameter(ax.zeros(1))
    opt = ax.optim.SGD([p], lr=0.1, momentum=0.9)
    sched = ax.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    cb = resnet_fashion.StepPerBatch(sched)
    lrs = []
    for i in range(9):
        opt.step()  # no gradients: a no-op, but the scheduler expects it before its step
        cb.on_train_batch_end(i)
        lrs.append(opt.param_groups[0]["lr"])
    assert max(lrs) == pytest.approx(0.1)  # the peak is reached ...
    assert lrs[-1] < 0.01  # ... and annealed away within the 10 steps


# ---------------------------------------------------------------- smoke runs


def test_resnet_fashion_smoke(fashion_data, capsys: pytest.CaptureFixture[str]) -> None:
    r = resnet_fashion.main(["--smoke", "--verbose", "2"])
    _assert_finite(
        r,
        ["test_accuracy", "test_loss", "train_accuracy", "images_per_second", "train_seconds"],
    )
    assert r["epochs"] == 1 and r["n_train"] == 512
    assert r["n_params"] == 269_434  # ResNet-20 with a one-channel stem
    assert r["images_per_second"] > 0 and r["images_per_second_epoch1"] == r["images_per_second"]
    assert 0.0 <= r["test_accuracy"] <= 1.0
    out = capsys.readouterr().out
    assert "epoch 1:" in out and "images/s" in out


def test_localization_smoke(mnist_small_data, tmp_path: Path) -> None:
    r = localization.main(["--smoke", "--verbose", "0", "--out", str(tmp_path)])
    keys = ["test_accuracy", "test_mean_iou", "test_iou_above_0.5", "train_mean_iou"]
    _assert_finite(r, [*keys, "train_seconds"])
    for key in keys:
        assert 0.0 <= r[key] <= 1.0
    assert r["test_mean_iou"] > 0.01  # some overlap after two short epochs
    _assert_png(tmp_path / "localization.png")


def test_image_retrieval_smoke(mnist_small_data, tmp_path: Path) -> None:
    r = image_retrieval.main(["--smoke", "--verbose", "0", "--out", str(tmp_path)])
    _assert_finite(r, ["cnn_precision_at_k", "pixel_precision_at_k", "test_accuracy"])
    assert r["queries"] == 500 and r["k"] == 10
    assert 0.5 < r["pixel_precision_at_k"] <= 1.0  # raw pixels are far above chance (0.1)
    assert 0.1 < r["cnn_precision_at_k"] <= 1.0
    _assert_png(tmp_path / "image_retrieval.png")


def test_examples_reject_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        resnet_fashion.main(["--epochs", "0", "--verbose", "0"])
    with pytest.raises(SystemExit):
        resnet_fashion.main(["--limit", "0", "--verbose", "0"])
    with pytest.raises(SystemExit):
        localization.main(["--out", str(tmp_path / "missing"), "--verbose", "0"])
    with pytest.raises(SystemExit):
        image_retrieval.main(["--k", "0", "--verbose", "0"])


# ---------------------------------------------------------------- reduced runs (in CI)
# Smaller versions of the headline runs that fit CI's budget (20-50 s each on 2 cores) and
# still assert real learning; the figures in the comments are seed 0's.


@pytest.mark.slow
def test_resnet_fashion_one_epoch(fashion_data) -> None:
    r = resnet_fashion.main(
        ["--verbose", "0", "--epochs", "1", "--limit", "6000", "--test-limit", "2000"]
    )
    assert r["test_accuracy"] >= 0.60  # 0.682; chance is 0.10


@pytest.mark.slow
def test_localization_reduced(mnist_data, tmp_path: Path) -> None:
    r = localization.main(
        [
            "--verbose",
            "0",
            "--n-train",
            "6000",
            "--n-test",
            "2000",
            "--epochs",
            "4",
            "--out",
            str(tmp_path),
        ]
    )
    assert r["test_accuracy"] >= 0.85  # 0.9025
    assert r["test_mean_iou"] >= 0.70  # 0.773
    assert r["test_iou_above_0.5"] >= 0.93  # 0.981


@pytest.mark.slow
def test_image_retrieval_reduced(mnist_data, tmp_path: Path) -> None:
    r = image_retrieval.main(
        [
            "--verbose",
            "0",
            "--limit",
            "10000",
            "--epochs",
            "1",
            "--queries",
            "2000",
            "--out",
            str(tmp_path),
        ]
    )
    assert r["cnn_precision_at_k"] >= 0.92  # 0.945
    assert r["cnn_precision_at_k"] > r["pixel_precision_at_k"] + 0.05  # pixels 0.810


# ---------------------------------------------------------------- full runs (headline numbers)
# The headline figures take 5-20 minutes each on 2 cores, beyond CI's budget:
# AXONITE_FULL_EXAMPLES=1 python -m pytest -m slow tests/python/test_examples_cnn_apps.py

full_run = pytest.mark.skipif(
    os.environ.get("AXONITE_FULL_EXAMPLES") != "1",
    reason="full-size example run; set AXONITE_FULL_EXAMPLES=1 to run it",
)


@pytest.mark.slow
@full_run
def test_resnet_fashion_full(fashion_data) -> None:
    r = resnet_fashion.main(["--verbose", "0"])  # about 36 min on 2 busy cores
    assert r["test_accuracy"] >= 0.92  # 0.9256 with seed 0


@pytest.mark.slow
@full_run
def test_localization_full(mnist_data, tmp_path: Path) -> None:
    r = localization.main(["--verbose", "0", "--out", str(tmp_path)])
    # Seed 0 measured 0.974, 0.858 and 0.998.
    assert r["test_accuracy"] >= 0.95
    assert r["test_mean_iou"] >= 0.80
    assert r["test_iou_above_0.5"] >= 0.97


@pytest.mark.slow
@full_run
def test_image_retrieval_full(mnist_data, tmp_path: Path) -> None:
    r = image_retrieval.main(["--verbose", "0", "--out", str(tmp_path)])
    # Seed 0 measured 0.987 (CNN) against 0.924 (pixels).
    assert r["cnn_precision_at_k"] > r["pixel_precision_at_k"] + 0.03
    assert r["cnn_precision_at_k"] >= 0.97
