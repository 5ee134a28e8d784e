"""ax.vision.transforms: RandomAffine / affine against a port of torchvision's tensor affine
(inverse matrix, pixel grid, ones-channel fill mask), rotation direction, whole-pixel shifts,
seeding, and ColorJitter's hue (RGB <-> HSV against colorsys and torchvision's formulas)."""

from __future__ import annotations

import colorsys
import math

import numpy as np
import pytest

import axonite as ax
from axonite.vision import color as C
from axonite.vision import transforms as T


def _gen(seed: int) -> ax.Generator:
    g = ax.Generator()
    g.manual_seed(seed)
    return g


# ---- torchvision reference (transforms/functional.py and _functional_tensor.py, ported) -------


def _tv_inverse_matrix(angle, translate, scale, shear):
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [v / scale for v in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * -tx + m[1] * -ty
    m[5] += m[3] * -tx + m[4] * -ty
    return m


def _tv_affine(torch, img, angle, translate, scale, shear, interpolation, fill):
    """torchvision's tensor ``F.affine`` on one (C, H, W) image (center = image centre)."""
    theta = torch.tensor(_tv_inverse_matrix(angle, translate, scale, shear), dtype=img.dtype)
    theta = theta.reshape(1, 2, 3)
    c, h, w = img.shape
    base = torch.empty(1, h, w, 3, dtype=img.dtype)
    base[..., 0].copy_(torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, steps=w))
    base[..., 1].copy_(torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, steps=h).unsqueeze_(-1))
    base[..., 2].fill_(1)
    rescaled = theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h], dtype=img.dtype)
    grid = base.view(1, h * w, 3).bmm(rescaled).view(1, h, w, 2)
    x = torch.cat((img.unsqueeze(0), torch.ones(1, 1, h, w, dtype=img.dtype)), dim=1)
    x = torch.nn.functional.grid_sample(
        x, grid, mode=interpolation, padding_mode="zeros", align_corners=False
    )
    mask, x = x[:, -1:].expand(1, c, h, w), x[:, :-1]
    fills = [float(f) for f in fill] if isinstance(fill, list | tuple) else [float(fill)] * c
    fill_img = torch.tensor(fills, dtype=img.dtype).view(1, c, 1, 1).expand_as(x)
    if interpolation == "nearest":
        x = torch.where(mask < 0.5, fill_img, x)
    else:
        x = x * mask + (1.0 - mask) * fill_img
    return x[0]


def _tv_rgb2hsv(torch, img):
    r, g, b = img.unbind(dim=-3)
    maxc, minc = torch.max(img, dim=-3).values, torch.min(img, dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    cr_divisor = torch.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = torch.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return torch.stack((h, s, maxc), dim=-3)


def _tv_hsv2rgb(torch, img):
    h, s, v = img.unbind(dim=-3)
    i = torch.floor(h * 6.0)
    f = (h * 6.0) - i
    i = i.to(dtype=torch.int32)
    p = torch.clamp((v * (1.0 - s)), 0.0, 1.0)
    q = torch.clamp((v * (1.0 - s * f)), 0.0, 1.0)
    t = torch.clamp((v * (1.0 - s * (1.0 - f))), 0.0, 1.0)
    i = i % 6
    mask = i.unsqueeze(dim=-3) == torch.arange(6).view(-1, 1, 1)
    a1 = torch.stack((v, q, p, p, t, v), dim=-3)
    a2 = torch.stack((t, v, v, q, p, p), dim=-3)
    a3 = torch.stack((p, p, t, v, v, q), dim=-3)
    a4 = torch.stack((a1, a2, a3), dim=-4)
    return torch.einsum("...ijk, ...xijk -> ...xjk", mask.to(dtype=img.dtype), a4)


def _tv_adjust_hue(torch, img, hue_factor):
    h, s, v = _tv_rgb2hsv(torch, img).unbind(dim=-3)
    h = (h + hue_factor) % 1.0
    return _tv_hsv2rgb(torch, torch.stack((h, s, v), dim=-3))


# ---- affine / RandomAffine ---------------------------------------------------------------------


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_affine_matches_torchvision_per_sample(torch, interpolation, dtype) -> None:
    """One batched call with per-sample parameters equals torchvision image by image."""
    params = [
        (30.0, (1.0, -2.0), 1.1, (0.0, 0.0)),
        (-75.5, (0.0, 3.0), 0.8, (12.0, 0.0)),
        (140.0, (-2.0, 0.0), 1.3, (-8.0, 5.0)),
    ]
    x = np.random.default_rng(0).random((3, 2, 9, 7)).astype(dtype)
    angle = ax.tensor([p[0] for p in params], dtype=ax.float64)
    translate = ax.tensor([p[1] for p in params], dtype=ax.float64)
    scale = ax.tensor([p[2] for p in params], dtype=ax.float64)
    shear = ax.tensor([p[3] for p in params], dtype=ax.float64)
    out = T.affine(ax.tensor(x), angle, translate, scale, shear, interpolation, fill=0.25)
    ref = np.stack(
        [
            _tv_affine(torch, torch.tensor(x[i]), *params[i], interpolation, 0.25).numpy()
            for i in range(3)
        ]
    )
    assert out.dtype == (ax.float32 if dtype == "float32" else ax.float64)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(out.numpy(), ref, atol=tol)
    # The fill really shows: every warped image has pixels that came from outside.
    assert (np.abs(out.numpy() - 0.25) < 1e-12).any(axis=(1, 2, 3)).all()


def test_identity_parameters_return_the_input_exactly() -> None:
    x = ax.rand(4, 3, 11, 8)
    for aug in (
        T.RandomAffine(0),
        T.RandomAffine((0, 0), translate=(0, 0), scale=(1, 1), generator=_gen(1)),
    ):
        out = aug(x)
        assert out.shape == x.shape
        assert np.array_equal(out.numpy(), x.numpy())
    single = ax.rand(3, 5, 5)
    assert np.array_equal(T.RandomAffine(0)(single).numpy(), single.numpy())


@pytest.mark.parametrize("size", [6, 7])
def test_rotation_by_90_degrees_matches_rot90_in_torchvision_direction(torch, size) -> None:
    """torchvision's affine (used by RandomAffine) turns a positive angle clockwise as
    displayed: degrees=(90, 90) equals torch.rot90(k=-1) on the (H, W) dims, -90 equals k=1."""
    x = ax.rand(2, 3, size, size)
    xt = torch.tensor(x.numpy())
    cw = T.RandomAffine((90, 90))(x).numpy()
    ccw = T.RandomAffine((-90, -90))(x).numpy()
    np.testing.assert_array_equal(cw, torch.rot90(xt, -1, dims=(2, 3)).numpy())
    np.testing.assert_array_equal(ccw, torch.rot90(xt, 1, dims=(2, 3)).numpy())


def test_translation_shifts_content_by_whole_pixels() -> None:
    x = ax.rand(1, 1, 6, 8) + 1.0  # strictly positive, so zero fill is visible
    out = T.affine(x, 0.0, (3.0, -2.0), 1.0, 0.0).numpy()[0, 0]
    ref = np.zeros((6, 8), dtype=np.float32)
    ref[0:4, 3:8] = x.numpy()[0, 0, 2:6, 0:5]  # content moves right by 3 and up by 2
    np.testing.assert_array_equal(out, ref)
    # RandomAffine's drawn shifts are whole pixels: every sample is an exact shifted copy.
    xb = ax.rand(16, 1, 6, 8) + 1.0
    aug = T.RandomAffine(0, translate=(0.25, 0.34), generator=_gen(5))
    got = aug(xb).numpy()
    _, shifts, _, _ = T.RandomAffine(0, translate=(0.25, 0.34), generator=_gen(5)).get_params(
        16, 6, 8
    )
    shifts = shifts.numpy()
    assert np.array_equal(shifts, np.round(shifts))
    assert np.abs(shifts[:, 0]).max() <= 2 and np.abs(shifts[:, 1]).max() <= 2
    assert len({tuple(s) for s in shifts.tolist()}) > 1
    for i, (dx, dy) in enumerate(shifts.astype(int)):
        ref = np.zeros((6, 8), dtype=np.float32)
        src = xb.numpy()[i, 0]
        ref[max(dy, 0) : 6 + min(dy, 0), max(dx, 0) : 8 + min(dx, 0)] = src[
            max(-dy, 0) : 6 - max(dy, 0), max(-dx, 0) : 8 - max(dx, 0)
        ]
        np.testing.assert_array_equal(got[i, 0], ref)


def test_seeded_reproducibility_and_per_sample_parameters(torch) -> None:
    x = ax.rand(8, 3, 10, 10)

    def make(seed):
        return T.RandomAffine(
            25,
            translate=(0.1, 0.1),
            scale=(0.9, 1.1),
            shear=(-5, 5, -3, 3),
            interpolation="bilinear",
            fill=(0.1, 0.2, 0.3),
            generator=_gen(seed),
        )

    a, b = make(7)(x).numpy(), make(7)(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, make(8)(x).numpy())
    angle, translate, scale, shear = make(7).get_params(8, 10, 10)
    assert len(set(angle.tolist())) == 8 and len(set(scale.tolist())) == 8
    assert angle.abs().max().item() <= 25 and 0.9 <= scale.min().item() <= scale.max().item() <= 1.1
    assert shear[:, 0].abs().max().item() <= 5 and shear[:, 1].abs().max().item() <= 3
    # The batch result is exactly the per-sample torchvision warps with these parameters
    # (float32 grid arithmetic differs from torchvision's by rounding only).
    xt = torch.tensor(x.numpy())
    for i in range(8):
        ref = _tv_affine(
            torch,
            xt[i].double(),
            angle[i].item(),
            translate[i].tolist(),
            scale[i].item(),
            shear[i].tolist(),
            "bilinear",
            [0.1, 0.2, 0.3],
        )
        np.testing.assert_allclose(a[i], ref.numpy(), atol=2e-5)


def test_random_affine_argument_errors() -> None:
    with pytest.raises(ValueError, match="RandomAffine: if degrees is a single number"):
        T.RandomAffine(-10)
    with pytest.raises(
        TypeError, match="RandomAffine: degrees must be a number or a sequence of 2"
    ):
        T.RandomAffine((1, 2, 3))
    with pytest.raises(ValueError, match=r"RandomAffine: degrees ranges must be \(min, max\)"):
        T.RandomAffine((10, -10))
    with pytest.raises(ValueError, match=r"RandomAffine: translate values must be in \[0, 1\]"):
        T.RandomAffine(0, translate=(1.5, 0))
    with pytest.raises(TypeError, match="RandomAffine: translate must be a sequence of 2"):
        T.RandomAffine(0, translate=0.1)
    with pytest.raises(ValueError, match="RandomAffine: scale values must be positive"):
        T.RandomAffine(0, scale=(0, 1))
    with pytest.raises(ValueError, match="RandomAffine: scale must be"):
        T.RandomAffine(0, scale=(1.2, 0.8))
    with pytest.raises(
        TypeError, match="RandomAffine: shear must be a number or a sequence of 2 or 4"
    ):
        T.RandomAffine(0, shear=(1, 2, 3))
    with pytest.raises(ValueError, match="RandomAffine: interpolation must be 'nearest' or"):
        T.RandomAffine(0, interpolation="bicubic")
    with pytest.raises(TypeError, match=r"RandomAffine: generator must be an ax\.Generator"):
        T.RandomAffine(0, generator=3)
    with pytest.raises(ValueError, match=r"RandomAffine: input must have shape \(C, H, W\)"):
        T.RandomAffine(0)(ax.rand(4, 4))
    with pytest.raises(TypeError, match="affine: input must be a float tensor"):
        T.RandomAffine(0)(ax.zeros(1, 4, 4, dtype=ax.int64))
    with pytest.raises(ValueError, match="affine: fill must be a number or a sequence of 1 or 3"):
        T.RandomAffine(0, fill=(1, 2))(ax.rand(3, 4, 4))
    with pytest.raises(ValueError, match=r"affine: angle must be .* shape \(2, 1\)"):
        T.affine(ax.rand(2, 1, 4, 4), ax.zeros(3), (0, 0), 1.0, 0.0)


# ---- hue ---------------------------------------------------------------------------------------


def _rgb_batch(n=4, h=5, w=6, seed=0):
    x = np.random.default_rng(seed).random((n, 3, h, w))
    x[0, :, 0, :3] = 0.5  # grey pixels: no hue
    x[0, :, 1, 0] = (1.0, 0.0, 0.0)  # pure primaries on the sextant borders
    x[0, :, 1, 1] = (0.0, 1.0, 0.0)
    x[0, :, 1, 2] = (0.0, 0.0, 1.0)
    return x


def test_rgb_hsv_matches_colorsys_and_round_trips() -> None:
    x = _rgb_batch()
    hsv = C.rgb_to_hsv(ax.tensor(x)).numpy()
    ref = np.stack(np.vectorize(colorsys.rgb_to_hsv)(x[:, 0], x[:, 1], x[:, 2]), axis=1)
    np.testing.assert_allclose(hsv, ref, atol=1e-12)
    back = C.hsv_to_rgb(ax.tensor(hsv)).numpy()
    np.testing.assert_allclose(back, x, atol=1e-12)
    x32 = ax.tensor(x.astype(np.float32))
    np.testing.assert_allclose(C.hsv_to_rgb(C.rgb_to_hsv(x32)).numpy(), x, atol=1e-6)


def test_adjust_hue_matches_torchvision(torch) -> None:
    x = _rgb_batch(seed=1)
    for factor in (-0.5, -0.23, 0.0, 0.1, 0.37, 0.5):
        ours = C.adjust_hue(ax.tensor(x), factor).numpy()
        ref = _tv_adjust_hue(torch, torch.tensor(x), factor).numpy()
        np.testing.assert_allclose(ours, ref, atol=1e-12)


def test_hue_zero_is_identity_and_half_turn_twice_is_identity() -> None:
    x = ax.tensor(_rgb_batch(seed=2).astype(np.float32))
    np.testing.assert_allclose(C.adjust_hue(x, 0.0).numpy(), x.numpy(), atol=1e-6)
    twice = C.adjust_hue(C.adjust_hue(x, 0.5), 0.5)
    np.testing.assert_allclose(twice.numpy(), x.numpy(), atol=1e-5)
    once = C.adjust_hue(x, 0.5).numpy()
    assert np.abs(once - x.numpy()).max() > 0.1  # a half turn really changes colours


def test_color_jitter_hue_shifts_each_sample_by_its_own_factor() -> None:
    x = ax.tensor(_rgb_batch(n=16, seed=3))
    out = T.ColorJitter(hue=0.2, generator=_gen(11))(x)
    h_in = C.rgb_to_hsv(x).numpy()
    h_out = C.rgb_to_hsv(out).numpy()
    colourful = h_in[:, 1] > 0.05  # hue is only defined where saturation is not ~0
    shifts = []
    for i in range(16):
        d = ((h_out[i, 0] - h_in[i, 0] + 0.5) % 1.0 - 0.5)[colourful[i]]
        assert np.ptp(d) < 1e-9  # one shift for the whole image
        shifts.append(d[0])
        np.testing.assert_allclose(h_out[i, 1:], h_in[i, 1:], atol=1e-12)  # s and v kept
    assert max(abs(s) for s in shifts) <= 0.2 + 1e-12
    assert len({round(s, 9) for s in shifts}) == 16
    same = T.ColorJitter(hue=0.2, generator=_gen(11))(x)
    np.testing.assert_array_equal(same.numpy(), out.numpy())
    # Alongside the other jitters (random order per sample) the output stays a valid image.
    mixed = T.ColorJitter(0.4, 0.4, 0.4, (-0.1, 0.3), generator=_gen(12))(x).numpy()
    assert mixed.shape == (16, 3, 5, 6) and mixed.min() >= 0.0 and mixed.max() <= 1.0


def test_color_jitter_hue_errors() -> None:
    with pytest.raises(ValueError, match=r"ColorJitter: hue must be in \[0, 0.5\]"):
        T.ColorJitter(hue=0.6)
    with pytest.raises(ValueError, match=r"ColorJitter: hue range must satisfy -0.5 <= min"):
        T.ColorJitter(hue=(-0.7, 0.1))
    with pytest.raises(TypeError, match="ColorJitter: hue must be a number or a"):
        T.ColorJitter(hue="red")
    with pytest.raises(ValueError, match=r"ColorJitter: hue jitter needs 3-channel \(RGB\) input"):
        T.ColorJitter(hue=0.1)(ax.rand(2, 1, 4, 4))
    with pytest.raises(ValueError, match=r"adjust_hue: input must be RGB \(N, 3, H, W\)"):
        C.adjust_hue(ax.rand(2, 1, 4, 4), 0.1)
    with pytest.raises(ValueError, match=r"adjust_hue: factor must be in \[-0.5, 0.5\]"):
        C.adjust_hue(ax.rand(2, 3, 4, 4), 0.7)
