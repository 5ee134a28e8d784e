"""Tests for ax.vision: batch augmentations, fixed edge filters, saliency and feature maps."""

from __future__ import annotations

import numpy as np
import pytest

import axonite as ax
from axonite import vision
from axonite.vision import transforms as T


def _gen(seed: int = 0) -> ax.Generator:
    return ax.Generator().manual_seed(seed)


def _img(*shape: int) -> ax.Tensor:
    return ax.from_numpy(np.random.default_rng(1).random(shape, dtype=np.float32))


# ----------------------------------------------------------------------------- transforms


def test_reexports_are_the_dataset_transforms() -> None:
    from axonite.datasets import transforms as dt

    assert T.Compose is dt.Compose and T.Normalize is dt.Normalize and T.ToTensor is dt.ToTensor


@pytest.mark.parametrize(
    ("cls", "axis"), [(T.RandomHorizontalFlip, -1), (T.RandomVerticalFlip, -2)]
)
def test_flip_p1_p0_match_torch(torch, cls, axis) -> None:
    x = _img(3, 2, 5, 6)
    ref = torch.flip(torch.from_numpy(x.numpy()), dims=(axis,)).numpy()
    np.testing.assert_array_equal(cls(p=1.0)(x).numpy(), ref)
    np.testing.assert_array_equal(cls(p=1.0)(x[1]).numpy(), ref[1])
    np.testing.assert_array_equal(cls(p=0.0)(x).numpy(), x.numpy())


def test_flip_per_sample_decisions_and_seed() -> None:
    x = _img(64, 1, 4, 5)
    out = T.RandomHorizontalFlip(0.5, generator=_gen(3))(x).numpy()
    xn = x.numpy()
    flipped = np.all(out == xn[..., ::-1], axis=(1, 2, 3))
    kept = np.all(out == xn, axis=(1, 2, 3))
    assert np.all(flipped | kept)
    assert 10 < flipped.sum() < 54  # a mix of both, decided per sample
    # Decisions are the uniform draws below p, from the same generator stream.
    expected = ax.rand(64, generator=_gen(3)).numpy() < 0.5
    np.testing.assert_array_equal(flipped, expected)
    again = T.RandomHorizontalFlip(0.5, generator=_gen(3))(x).numpy()
    np.testing.assert_array_equal(out, again)


@pytest.mark.parametrize(
    ("padding", "mode", "np_mode"),
    [(2, "constant", "constant"), ((1, 3), "reflect", "reflect"),
     ((1, 2, 3, 0), "edge", "edge"), (2, "symmetric", "symmetric")],
)  # fmt: skip
def test_random_crop_matches_numpy_windows(padding, mode, np_mode) -> None:
    x = _img(5, 2, 6, 7)
    crop = T.RandomCrop((4, 5), padding=padding, fill=0.25, padding_mode=mode, generator=_gen(7))
    out = crop(x).numpy()
    assert out.shape == (5, 2, 4, 5)
    l, t, r, b = crop.padding
    kwargs = {"constant_values": 0.25} if np_mode == "constant" else {}
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), (t, b), (l, r)), mode=np_mode, **kwargs)
    g = _gen(7)
    h, w = padded.shape[-2:]
    top = ax.randint(0, h - 4 + 1, (5,), generator=g).numpy()
    left = ax.randint(0, w - 5 + 1, (5,), generator=g).numpy()
    for i in range(5):  # per-sample reference windows
        np.testing.assert_array_equal(
            out[i], padded[i, :, top[i] : top[i] + 4, left[i] : left[i] + 5]
        )
    assert (
        len({(a, c) for a, c in zip(top, left, strict=True)}) > 1
    )  # offsets differ across the batch


def test_random_crop_pad_if_needed_single_image_and_errors() -> None:
    x = _img(1, 3, 4)
    out = T.RandomCrop(6, pad_if_needed=True, generator=_gen(0))(x)
    assert tuple(out.shape) == (1, 6, 6)
    np.testing.assert_allclose(out.numpy().sum(), x.numpy().sum(), rtol=1e-6)  # zeros added
    with pytest.raises(ValueError, match="RandomCrop: crop size"):
        T.RandomCrop(6)(x)
    with pytest.raises(ValueError, match="padding_mode"):
        T.RandomCrop(2, padding_mode="wrap")
    with pytest.raises(ValueError, match="RandomCrop: input must have shape"):
        T.RandomCrop(2)(_img(4, 4))


def _tv_gray(torch, x):
    return (0.2989 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]).unsqueeze(1)


def test_color_jitter_fixed_factors_match_torchvision_formulas(torch) -> None:
    x = _img(3, 3, 5, 5)
    xt = torch.from_numpy(x.numpy())
    out = T.ColorJitter(brightness=(1.4, 1.4))(x).numpy()
    np.testing.assert_allclose(out, (1.4 * xt).clamp(0, 1).numpy(), atol=1e-6)
    out = T.ColorJitter(contrast=(0.3, 0.3))(x).numpy()
    mean = _tv_gray(torch, xt).mean(dim=(-3, -2, -1), keepdim=True)
    np.testing.assert_allclose(out, (0.3 * xt + 0.7 * mean).clamp(0, 1).numpy(), atol=1e-6)
    grey = x[:, :1]
    out = T.ColorJitter(contrast=(1.7, 1.7))(grey).numpy()
    gt = xt[:, :1]
    ref = (1.7 * gt - 0.7 * gt.mean(dim=(-3, -2, -1), keepdim=True)).clamp(0, 1)
    np.testing.assert_allclose(out, ref.numpy(), atol=1e-6)
    out = T.ColorJitter(saturation=(0.5, 0.5))(x).numpy()
    ref = (0.5 * xt + 0.5 * _tv_gray(torch, xt)).clamp(0, 1)
    np.testing.assert_allclose(out, ref.numpy(), atol=1e-6)


def test_color_jitter_random_order_and_ranges(torch) -> None:
    x = _img(32, 3, 4, 4)
    xt = torch.from_numpy(x.numpy())

    def bright(t):
        return (1.5 * t).clamp(0, 1)

    def contr(t):
        m = _tv_gray(torch, t).mean(dim=(-3, -2, -1), keepdim=True)
        return (0.4 * t + 0.6 * m).clamp(0, 1)

    out = T.ColorJitter(brightness=(1.5, 1.5), contrast=(0.4, 0.4), generator=_gen(2))(x).numpy()
    bc, cb = contr(bright(xt)).numpy(), bright(contr(xt)).numpy()
    is_bc = np.all(np.abs(out - bc) < 1e-5, axis=(1, 2, 3))
    is_cb = np.all(np.abs(out - cb) < 1e-5, axis=(1, 2, 3))
    assert np.all(is_bc | is_cb) and is_bc.any() and is_cb.any()
    # brightness=0.5 -> factors in [0.5, 1.5], one per sample (images far from the clamp).
    half = x * 0.5
    y = T.ColorJitter(brightness=0.5, generator=_gen(4))(half).numpy()
    factors = (y / half.numpy()).reshape(32, -1)
    np.testing.assert_allclose(factors, factors[:, :1].repeat(factors.shape[1], 1), rtol=1e-5)
    assert factors.min() >= 0.5 - 1e-6 and factors.max() <= 1.5 + 1e-6
    assert factors[:, 0].std() > 0.1
    with pytest.raises(ValueError, match="brightness"):
        T.ColorJitter(brightness=-0.1)


def test_gaussian_noise_seeded_formula_and_stats() -> None:
    x = ax.zeros(2, 3, 40, 40)
    out = T.GaussianNoise(mean=0.5, std=0.2, generator=_gen(5))(x).numpy()
    ref = 0.5 + 0.2 * ax.randn(2, 3, 40, 40, generator=_gen(5)).numpy()
    np.testing.assert_allclose(out, ref, atol=1e-6)
    assert abs(out.mean() - 0.5) < 0.02 and abs(out.std() - 0.2) < 0.02
    clipped = T.GaussianNoise(std=1.0, clip=True, generator=_gen(5))(x).numpy()
    assert clipped.min() == 0.0 and clipped.max() <= 1.0


def test_compose_pipeline_same_seed_same_output() -> None:
    def pipeline(seed: int) -> T.Compose:
        g = _gen(seed)
        return T.Compose(
            [
                T.RandomCrop(6, padding=1, generator=g),
                T.RandomHorizontalFlip(generator=g),
                T.RandomVerticalFlip(generator=g),
                T.ColorJitter(0.3, 0.3, generator=g),
                T.GaussianNoise(std=0.05, generator=g),
                T.Normalize((0.5,), (0.25,)),
            ]
        )

    x = _img(8, 3, 6, 6)
    a, b, c = pipeline(11)(x).numpy(), pipeline(11)(x).numpy(), pipeline(12)(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


# ----------------------------------------------------------------------------- filters


def test_edge_kernels_values() -> None:
    k = vision.edge_kernels()
    np.testing.assert_array_equal(k["sobel_x"].numpy(), [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(k["scharr_y"].numpy(), [[-3, -10, -3], [0, 0, 0], [3, 10, 3]])
    np.testing.assert_array_equal(k["prewitt_x"].numpy(), [[-1, 0, 1]] * 3)
    np.testing.assert_array_equal(k["laplacian"].numpy(), [[0, 1, 0], [1, -4, 1], [0, 1, 0]])


@pytest.mark.parametrize(
    ("mode", "sp_mode"),
    [("reflect", "mirror"), ("zeros", "constant"), ("replicate", "nearest"), ("circular", "wrap")],
)
def test_gradient_filters_match_scipy(mode, sp_mode) -> None:
    nd = pytest.importorskip("scipy.ndimage")
    x = _img(2, 3, 9, 11).double()
    xn = x.numpy()

    def per_image(fn, **kw):  # scipy smooths along every other axis: apply it per 2-D image
        return np.stack([fn(im, mode=sp_mode, **kw) for im in xn.reshape(-1, 9, 11)]).reshape(
            xn.shape
        )

    gx, gy, mag = vision.sobel(x, output="all", padding_mode=mode)
    np.testing.assert_allclose(gx.numpy(), per_image(nd.sobel, axis=-1), atol=1e-10)
    np.testing.assert_allclose(gy.numpy(), per_image(nd.sobel, axis=-2), atol=1e-10)
    np.testing.assert_allclose(mag.numpy(), np.hypot(gx.numpy(), gy.numpy()), atol=1e-10)
    px, py = vision.prewitt(x, output="xy", padding_mode=mode)
    np.testing.assert_allclose(px.numpy(), per_image(nd.prewitt, axis=-1), atol=1e-10)
    np.testing.assert_allclose(py.numpy(), per_image(nd.prewitt, axis=-2), atol=1e-10)
    k = np.array([[-3.0, 0, 3], [-10, 0, 10], [-3, 0, 3]])
    sx, sy = vision.scharr(x, output="xy", padding_mode=mode)
    np.testing.assert_allclose(sx.numpy(), per_image(nd.correlate, weights=k), atol=1e-10)
    np.testing.assert_allclose(sy.numpy(), per_image(nd.correlate, weights=k.T), atol=1e-10)
    lap = vision.laplacian(x, padding_mode=mode)
    np.testing.assert_allclose(lap.numpy(), per_image(nd.laplace), atol=1e-10)


def test_filters_shapes_and_normalized_ramp() -> None:
    ramp = ax.arange(8).double().view(1, 8).expand(6, 8).contiguous()  # (H, W), +1 per column
    for fn in (vision.sobel, vision.scharr, vision.prewitt):
        gx, gy = fn(ramp, output="xy", normalized=True, padding_mode="replicate")
        assert tuple(gx.shape) == (6, 8)
        np.testing.assert_allclose(gx.numpy()[:, 1:-1], 1.0, atol=1e-12)
        np.testing.assert_allclose(gy.numpy(), 0.0, atol=1e-12)
    assert tuple(vision.sobel(_img(3, 5, 5)).shape) == (3, 5, 5)
    with pytest.raises(ValueError, match="sobel: output"):
        vision.sobel(ramp, output="angle")
    with pytest.raises(TypeError, match="laplacian: input must be a float tensor"):
        vision.laplacian(ax.zeros(4, 4, dtype=ax.int64))


def test_fixed_conv2d_matches_torch_depthwise(torch) -> None:
    k = vision.edge_kernels()
    kern = ax.stack([k["sobel_x"], k["laplacian"]])
    m = vision.FixedConv2d(kern)
    assert m.weight.requires_grad is False and tuple(m.weight.shape) == (2, 1, 3, 3)
    assert list(m.state_dict()) == ["weight"]
    assert [p for p in m.parameters() if p.requires_grad] == []
    x = _img(2, 3, 7, 6)
    wt = torch.from_numpy(kern.numpy()).view(2, 1, 3, 3).repeat(3, 1, 1, 1)
    ref = torch.nn.functional.conv2d(torch.from_numpy(x.numpy()), wt, padding="same", groups=3)
    np.testing.assert_allclose(m(x).numpy(), ref.numpy(), atol=1e-5)
    np.testing.assert_allclose(m(x[0]).numpy(), ref[0].numpy(), atol=1e-5)
    valid = vision.FixedConv2d(k["sobel_y"], padding="valid")(x)
    assert tuple(valid.shape) == (2, 3, 5, 4)
    # Gradients reach the input but not the fixed weight.
    xi = x.detach().clone().requires_grad_(True)
    m(xi).sum().backward()
    assert xi.grad is not None and m.weight.grad is None
    with pytest.raises(ValueError, match="FixedConv2d: kernel"):
        vision.FixedConv2d(np.ones(3))


# ----------------------------------------------------------------------------- inspection


def _tiny_cnn_pair(torch):
    ax.manual_seed(3)
    am = ax.nn.Sequential(
        ax.nn.Conv2d(3, 4, 3, padding=1),
        ax.nn.BatchNorm2d(4),
        ax.nn.ReLU(),
        ax.nn.MaxPool2d(2),
        ax.nn.Dropout(0.5),
        ax.nn.Flatten(),
        ax.nn.Linear(4 * 4 * 4, 5),
    )
    am[1].running_mean.copy_(ax.tensor([0.1, -0.2, 0.3, 0.0]))
    am[1].running_var.copy_(ax.tensor([0.5, 2.0, 1.0, 1.5]))
    tm = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Dropout(0.5),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 4 * 4, 5),
    )
    state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in am.state_dict().items()}
    tm.load_state_dict(state)
    return am, tm


def test_saliency_matches_torch_and_restores_mode(torch) -> None:
    am, tm = _tiny_cnn_pair(torch)
    am.train()
    x = _img(3, 3, 8, 8)
    tm.eval()
    xt = torch.from_numpy(x.numpy()).requires_grad_(True)
    logits = tm(xt)
    target = logits.argmax(dim=1)
    logits.gather(1, target[:, None]).sum().backward()
    ref_raw = xt.grad.numpy()
    sal = vision.saliency(am, x)
    assert tuple(sal.shape) == (3, 8, 8)
    np.testing.assert_allclose(sal.numpy(), np.abs(ref_raw).max(axis=1), atol=1e-5)
    raw = vision.saliency(am, x, reduce=False)
    np.testing.assert_allclose(raw.numpy(), ref_raw, atol=1e-5)
    assert am.training and all(m.training for m in am.modules())
    assert all(p.grad is None for p in am.parameters())
    # Explicit target, and a single image.
    xt2 = torch.from_numpy(x.numpy()[1]).unsqueeze(0).requires_grad_(True)
    tm(xt2)[0, 2].backward()
    one = vision.saliency(am, x[1], target=2)
    np.testing.assert_allclose(one.numpy(), xt2.grad.abs().amax(dim=1)[0].numpy(), atol=1e-5)
    with pytest.raises(IndexError, match="saliency: target 7"):
        vision.saliency(am, x, target=7)
    with pytest.raises(ValueError, match="saliency: target must"):
        vision.saliency(am, x, target=[1, 2])


def test_feature_maps_captures_outputs_and_removes_hooks() -> None:
    ax.manual_seed(0)
    model = ax.nn.Sequential(
        ax.nn.Conv2d(1, 2, 3), ax.nn.ReLU(), ax.nn.Flatten(), ax.nn.Linear(2 * 4 * 4, 3)
    )
    model.train()
    x = _img(2, 1, 6, 6)
    maps = vision.feature_maps(model, x, ["1", "0"])
    assert list(maps) == ["1", "0"]
    conv = model[0](x)
    np.testing.assert_allclose(maps["0"].numpy(), conv.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(maps["1"].numpy(), conv.relu().detach().numpy(), atol=1e-6)
    assert not maps["0"].requires_grad
    assert all(len(m._forward_hooks) == 0 for m in model.modules())
    assert model.training
    attached = vision.feature_maps(model, x, "0", detach=False)
    assert attached["0"].requires_grad
    # On error the hooks are removed and the mode restored.
    with pytest.raises(RuntimeError, match="conv2d"):
        vision.feature_maps(model, _img(2, 3, 6, 6), ["0"])
    assert all(len(m._forward_hooks) == 0 for m in model.modules())
    assert model.training and model[0].training
    with pytest.raises(ValueError, match="feature_maps: model has no submodule named 'conv9'"):
        vision.feature_maps(model, x, ["conv9"])
