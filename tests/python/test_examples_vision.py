"""The vision examples (``conv_autoencoder``, ``augmentation``, ``saliency``, ``feature_maps``,
``transfer``) run in-process through their ``main(argv)``.

Smoke modes are fast and always run (skipping cleanly when a dataset package or matplotlib is
absent): they check the returned figures, that the PNGs are real PNG images, and the property
each example is about (reconstruction beats the mean image, saliency concentrates on ink, the
captured feature maps are the layer's true output, a frozen backbone does not move). The full
runs are marked slow and assert the headline figures of the docstrings.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import axonite as ax
from axonite.examples import augmentation, conv_autoencoder, feature_maps, saliency, transfer

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def mnist_small_data(mnist_small_data) -> None:
    """conftest's fixture, plus matplotlib for the PNGs these examples write."""
    pytest.importorskip("matplotlib")


def _assert_png(path: Path) -> None:
    """``path`` is a non-empty PNG that decodes to an image with pixels."""
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path.name} is not a PNG"
    import matplotlib.image

    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 50
    assert float(image[..., :3].std()) > 0.01, f"{path.name} is blank"


def _assert_finite(out: dict[str, float], keys: set[str]) -> None:
    assert keys <= set(out), f"missing keys: {keys - set(out)}"
    for k in keys:
        assert math.isfinite(out[k]), f"{k} = {out[k]}"


# ---------------------------------------------------------------- conv_autoencoder


def test_conv_autoencoder_model_shapes() -> None:
    net = conv_autoencoder.build_model(code=8)
    y = net(ax.randn(3, 1, 28, 28))
    assert tuple(y.shape) == (3, 1, 28, 28)
    assert float(y.min()) > 0.0 and float(y.max()) < 1.0  # sigmoid output, pixel range
    with pytest.raises(ValueError, match=r"build_model: code must be >= 1, got 0"):
        conv_autoencoder.build_model(code=0)


def test_conv_autoencoder_smoke(mnist_small_data, tmp_path: Path) -> None:
    out = conv_autoencoder.main(["--smoke", "--verbose", "0", "--out", str(tmp_path)])
    _assert_finite(out, {"test_mse", "baseline_mse", "mse_ratio", "train_seconds", "n_params"})
    assert out["epochs"] == 1
    # The mean MNIST image misses by about 0.067 per pixel; one epoch already beats it clearly.
    assert 0.05 < out["baseline_mse"] < 0.09
    assert out["test_mse"] < 0.75 * out["baseline_mse"]
    _assert_png(tmp_path / conv_autoencoder.PNG_NAME)


def test_conv_autoencoder_rejects_bad_args(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        conv_autoencoder.main(["--epochs", "0", "--out", str(tmp_path)])


@pytest.mark.slow
def test_conv_autoencoder_full(mnist_small_data, tmp_path: Path) -> None:
    out = conv_autoencoder.main(["--verbose", "0", "--out", str(tmp_path)])
    assert out["mse_ratio"] < 0.2  # measured 0.11


# ---------------------------------------------------------------- augmentation


def test_augment_module_is_identity_in_eval_mode() -> None:
    g = ax.Generator()
    g.manual_seed(0)
    layer = augmentation.Augment(augmentation.build_augmentation("all", g))
    x = ax.zeros(4, 1, 28, 28)
    x[:, :, 10:18, 12:16] = 1.0
    layer.eval()
    assert layer(x) is x
    layer.train()
    y = layer(x)
    assert tuple(y.shape) == tuple(x.shape)
    assert not np.array_equal(y.numpy(), x.numpy())
    with pytest.raises(TypeError, match="Augment: transform must be callable"):
        augmentation.Augment(3)


def test_shift_policy_moves_but_keeps_the_digit() -> None:
    """A 2-pixel shift of an image whose ink is 4 pixels from the border loses no ink, and the
    same seeded generator repeats the same shifts."""
    x = ax.zeros(16, 1, 28, 28)
    x[:, :, 4:24, 6:20] = 0.5
    outs = []
    for _ in range(2):
        g = ax.Generator()
        g.manual_seed(7)
        outs.append(augmentation.build_augmentation("shift", g)(x).numpy())
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_allclose(outs[0].sum(axis=(1, 2, 3)), x.numpy().sum(axis=(1, 2, 3)))
    moved = [not np.array_equal(outs[0][i], x.numpy()[i]) for i in range(16)]
    assert sum(moved) >= 8  # 24 of the 25 offsets move the image
    with pytest.raises(ValueError, match="policy must be one of"):
        augmentation.build_augmentation("flip", g)


def test_augmentation_smoke(mnist_small_data, tmp_path: Path) -> None:
    out = augmentation.main(["--smoke", "--out", str(tmp_path)])
    keys = {"plain_accuracy", "shift_accuracy", "all_accuracy", "gain", "min_gain", "all_gain"}
    _assert_finite(out, keys)
    for k in ("plain_accuracy", "shift_accuracy", "all_accuracy"):
        assert 0.0 <= out[k] <= 1.0
    assert out["gain"] == pytest.approx(out["shift_accuracy"] - out["plain_accuracy"])
    assert out["train_size"] == 200 and out["epochs"] == 1
    _assert_png(tmp_path / augmentation.PNG_NAME)


@pytest.mark.slow
def test_augmentation_full(mnist_small_data, tmp_path: Path) -> None:
    out = augmentation.main(["--out", str(tmp_path)])
    assert out["gain"] > 0.02  # measured +3.8 points
    assert out["min_gain"] > 0.0  # and on every seed


# ---------------------------------------------------------------- saliency


def test_ink_statistics() -> None:
    images = ax.zeros(2, 1, 4, 4)
    images[:, :, 1:3, 1:3] = 1.0  # 4 of 16 pixels are ink
    ink = images[:, 0]
    on_ink, fraction = saliency.ink_statistics(images, ink * 3.0)  # all mass on ink
    assert on_ink == pytest.approx(1.0) and fraction == pytest.approx(0.25)
    on_ink, _ = saliency.ink_statistics(images, ax.ones(2, 4, 4))  # a map blind to the image
    assert on_ink == pytest.approx(0.25)


def test_saliency_smoke(mnist_small_data, tmp_path: Path) -> None:
    out = saliency.main(["--smoke", "--verbose", "0", "--out", str(tmp_path)])
    _assert_finite(out, {"test_accuracy", "saliency_on_ink", "ink_fraction", "ink_concentration"})
    assert out["test_accuracy"] > 0.3  # one epoch on 1,000 images: well above chance (0.1)
    assert 0.05 < out["ink_fraction"] < 0.3
    assert out["saliency_on_ink"] > 1.5 * out["ink_fraction"]
    _assert_png(tmp_path / saliency.PNG_NAME)


@pytest.mark.slow
def test_saliency_full(mnist_small_data, tmp_path: Path) -> None:
    out = saliency.main(["--verbose", "0", "--out", str(tmp_path)])
    assert out["test_accuracy"] >= 0.95  # measured 0.967
    assert out["ink_concentration"] > 1.8  # measured 2.2


# ---------------------------------------------------------------- feature_maps


def test_feature_maps_smoke(mnist_small_data, tmp_path: Path) -> None:
    out = feature_maps.main(["--smoke", "--verbose", "0", "--index", "5", "--out", str(tmp_path)])
    _assert_finite(out, {"test_accuracy", "active_conv1", "active_conv2", "conv1_max_error"})
    assert out["conv1_max_error"] < 1e-5  # the hooks caught the layer's true output
    assert 0.0 < out["active_conv1"] < 1.0 and 0.0 < out["active_conv2"] < 1.0
    _assert_png(tmp_path / feature_maps.FILTERS_PNG)
    _assert_png(tmp_path / feature_maps.MAPS_PNG)


def test_feature_maps_rejects_bad_index(mnist_small_data, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        feature_maps.main(["--smoke", "--verbose", "0", "--index", "300", "--out", str(tmp_path)])


@pytest.mark.slow
def test_feature_maps_full(mnist_small_data, tmp_path: Path) -> None:
    out = feature_maps.main(["--verbose", "0", "--out", str(tmp_path)])
    assert out["test_accuracy"] >= 0.95  # measured 0.971
    assert out["conv1_max_error"] < 1e-5


# ---------------------------------------------------------------- transfer


def test_transfer_select_classes_and_few_shot() -> None:
    x = ax.arange(12).float().view(12, 1)
    y = ax.tensor([5, 0, 9, 6, 5, 7, 8, 1, 9, 6, 7, 8])
    xs, ys = transfer.select_classes(x, y, transfer.NEW_CLASSES)
    assert ys.tolist() == [0, 4, 1, 0, 2, 3, 4, 1, 2, 3]  # 5..9 -> 0..4
    assert xs[:, 0].tolist() == [0, 2, 3, 4, 5, 6, 8, 9, 10, 11]
    fx, fy = transfer.few_shot(xs, ys, 2, seed=0)
    assert sorted(fy.tolist()) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    label_of = dict(zip(xs[:, 0].tolist(), ys.tolist(), strict=True))
    assert [label_of[v] for v in fx[:, 0].tolist()] == fy.tolist()  # pairs stay together
    with pytest.raises(ValueError, match="class 0 has 2 samples, fewer than per_class=3"):
        transfer.few_shot(xs, ys, 3, seed=0)


def test_transfer_freezing_and_param_groups() -> None:
    """Frozen mode trains the head only and leaves every backbone weight bit-identical; the
    partial mode adds block3 with a 10x smaller lr; summary counts agree."""
    ax.manual_seed(0)
    net = transfer.build_model()
    opt = transfer.transfer_optimizer(net, "frozen", 1e-2)
    before = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
    x, y = ax.rand(20, 1, 28, 28), ax.randint(0, 5, (20,))
    transfer.fit(net, opt, x, y, epochs=2, batch_size=10, seed=0, verbose=0)
    after = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    for k, value in before.items():
        if k.startswith("backbone."):
            assert np.array_equal(value, after[k]), k
    assert not np.array_equal(before["head.weight"], after["head.weight"])
    info = ax.train.summary(net, (1, 28, 28), print_fn=None)
    head = sum(p.numel() for p in net.head.parameters())
    assert info.trainable_params == head == transfer.FEATURES * 5 + 5

    opt = transfer.transfer_optimizer(net, "partial", 1e-2)
    lrs = [group["lr"] for group in opt.param_groups]
    assert lrs == pytest.approx([1e-2, 1e-3])
    block3 = sum(p.numel() for p in net.backbone.block3.parameters())
    assert ax.train.summary(net, (1, 28, 28), print_fn=None).trainable_params == head + block3
    assert not any(p.requires_grad for p in net.backbone.block1.parameters())

    transfer.transfer_optimizer(net, "scratch", 1e-2)
    assert all(p.requires_grad for p in net.parameters())
    with pytest.raises(ValueError, match="mode must be 'frozen', 'partial' or 'scratch'"):
        transfer.transfer_optimizer(net, "thaw", 1e-2)


def test_transfer_smoke(mnist_small_data, tmp_path: Path) -> None:
    out = transfer.main(["--smoke", "--verbose", "0", "--out", str(tmp_path)])
    keys = {"pretrain_accuracy", "frozen_accuracy", "partial_accuracy", "scratch_accuracy"}
    _assert_finite(out, keys | {"backbone_max_change", "block3_max_change"})
    assert out["pretrain_accuracy"] > 0.6  # one epoch on 2,000 images of 5 classes
    assert out["backbone_max_change"] == 0.0
    assert out["partial_frozen_max_change"] == 0.0
    assert out["block3_max_change"] > 0.0
    assert out["trainable_frozen"] == out["head_params"] == 2885
    assert out["trainable_partial"] == 2885 + (32 * 9 * 64 + 64)
    assert out["total_params"] == 160 + 4640 + 18496 + 2885
    _assert_png(tmp_path / transfer.PNG_NAME)


@pytest.mark.slow
def test_transfer_full(mnist_data, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = transfer.main(["--verbose", "0", "--out", str(tmp_path)])
    assert out["pretrain_accuracy"] >= 0.98  # measured 0.989; scratch 0.932, frozen 0.956
    assert out["frozen_accuracy"] > out["scratch_accuracy"]
    assert out["partial_accuracy"] > out["scratch_accuracy"]
    assert out["backbone_max_change"] == 0.0
