"""Tests for ax.utils.data: datasets, samplers, collate, DataLoader (determinism, batching,
threaded prefetch, mid-epoch resume), random_split and KFold/StratifiedKFold against sklearn."""

from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import axonite as ax
from axonite.utils.data import (
    BatchSampler,
    BootstrapSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    KFold,
    RandomSampler,
    SequentialSampler,
    StratifiedKFold,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    get_worker_info,
    random_split,
)

N, D = 50, 3


def gen(seed: int) -> ax.Generator:
    g = ax.Generator()
    g.manual_seed(seed)
    return g


def make_ds(n: int = N) -> TensorDataset:
    x = ax.tensor(np.arange(n * D, dtype=np.float32).reshape(n, D))
    return TensorDataset(x, ax.arange(n))


class RowDataset(Dataset):
    """The same samples as make_ds() through plain __getitem__ (the generic, non-fast path)."""

    def __init__(self, n: int = N) -> None:
        self.x = np.arange(n * D, dtype=np.float32).reshape(n, D)

    def __getitem__(self, i: int) -> tuple[ax.Tensor, int]:
        return ax.tensor(self.x[i]), int(i)

    def __len__(self) -> int:
        return len(self.x)


class Stream(IterableDataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.n))

    def __len__(self) -> int:
        return self.n


def labels(loader: Any) -> list[list[int]]:
    return [b[1].tolist() for b in loader]


def take(loader: DataLoader, n_batches: int) -> list[list[int]]:
    """n_batches label batches, starting new epochs (new iter()) as needed."""
    out: list[list[int]] = []
    it = iter(loader)
    while len(out) < n_batches:
        try:
            out.append(next(it)[1].tolist())
        except StopIteration:
            it = iter(loader)
    return out


# -- datasets -----------------------------------------------------------------------------


def test_tensor_dataset_items_and_len():
    ds = make_ds()
    x, y = ds[4]
    assert len(ds) == N
    assert x.tolist() == [12.0, 13.0, 14.0]
    assert y.item() == 4


def test_tensor_dataset_errors():
    with pytest.raises(
        ValueError, match=r"TensorDataset: .*same size in dim 0, got sizes \[5, 4\]"
    ):
        TensorDataset(ax.zeros(5, 2), ax.zeros(4))
    with pytest.raises(TypeError, match=r"TensorDataset: tensors\[1\] must be an axonite Tensor"):
        TensorDataset(ax.zeros(5), np.zeros(5))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()


def test_dataset_is_abstract_and_add_concatenates():
    with pytest.raises(TypeError):
        Dataset()  # type: ignore[abstract]
    a, b = RowDataset(3), RowDataset(4)
    cat = a + b
    assert isinstance(cat, ConcatDataset)
    assert len(cat) == 7
    assert cat.cumulative_sizes == [3, 7]
    assert [cat[i][1] for i in range(7)] == [0, 1, 2, 0, 1, 2, 3]
    assert cat[-1][1] == 3
    with pytest.raises(IndexError, match="ConcatDataset: index 7"):
        cat[7]
    with pytest.raises(ValueError, match="ConcatDataset: datasets should not be an empty"):
        ConcatDataset([])


def test_iterable_dataset_chain_and_no_indexing():
    chained = Stream(2) + Stream(3)
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [0, 1, 0, 1, 2]
    with pytest.raises(TypeError, match="does not support indexing"):
        Stream(2)[0]


def test_subset_indexing():
    sub = Subset(make_ds(), [7, 3, -1])
    assert len(sub) == 3
    assert [sub[i][1].item() for i in range(3)] == [7, 3, N - 1]


# -- random_split ---------------------------------------------------------------------------


def test_random_split_sizes_disjoint_and_repeatable():
    ds = make_ds(100)
    parts = random_split(ds, [60, 30, 10], generator=gen(1))
    assert [len(p) for p in parts] == [60, 30, 10]
    seen = [int(i) for p in parts for i in p.indices]
    assert sorted(seen) == list(range(100))  # disjoint and covering
    again = random_split(ds, [60, 30, 10], generator=gen(1))
    assert [p.indices for p in parts] == [p.indices for p in again]
    other = random_split(ds, [60, 30, 10], generator=gen(2))
    assert parts[0].indices != other[0].indices


def test_random_split_fraction_remainder_rule_matches_torch(torch):
    for n, fracs in [(10, [0.33, 0.33, 0.34]), (17, [0.5, 0.5]), (101, [0.7, 0.2, 0.1])]:
        ours = [len(p) for p in random_split(RowDataset(n), fracs, generator=gen(0))]
        ref = [len(p) for p in torch.utils.data.random_split(range(n), fracs)]
        assert ours == ref, (n, fracs)
    assert [len(p) for p in random_split(RowDataset(10), [0.33, 0.33, 0.34])] == [4, 3, 3]


def test_random_split_global_generator_is_seeded():
    ax.manual_seed(5)
    a = random_split(RowDataset(20), [0.5, 0.5])
    ax.manual_seed(5)
    b = random_split(RowDataset(20), [0.5, 0.5])
    assert a[0].indices == b[0].indices


def test_random_split_errors():
    with pytest.raises(ValueError, match=r"random_split: sum of input lengths \[3, 3\] is 6"):
        random_split(RowDataset(10), [3, 3])
    with pytest.raises(
        ValueError, match=r"random_split: fraction at index 0 is not between 0 and 1, got 1\.5"
    ):
        random_split(RowDataset(10), [1.5, -0.5])
    with pytest.raises(ValueError, match="random_split: lengths must be non-negative"):
        random_split(RowDataset(10), [12, -2])
    with pytest.warns(UserWarning, match="split at index 1 is 0"):
        random_split(RowDataset(2), [0.9, 0.1])


# -- samplers -------------------------------------------------------------------------------


def test_sequential_and_random_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    perm = list(RandomSampler(range(20), generator=gen(0)))
    assert sorted(perm) == list(range(20))
    assert perm != list(range(20))
    assert perm == list(RandomSampler(range(20), generator=gen(0)))
    # num_samples beyond n: whole permutations, then part of one
    s = list(RandomSampler(range(5), num_samples=12, generator=gen(3)))
    assert len(s) == 12
    assert sorted(s[:5]) == sorted(s[5:10]) == list(range(5))
    assert len(set(s[10:])) == 2
    rep = list(RandomSampler(range(3), replacement=True, num_samples=300, generator=gen(0)))
    assert len(rep) == 300
    assert set(rep) == {0, 1, 2}
    with pytest.raises(ValueError, match="RandomSampler: num_samples should be a positive"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="RandomSampler: replacement should be a boolean"):
        RandomSampler(range(3), replacement=1)  # type: ignore[arg-type]


def test_subset_random_and_weighted_samplers():
    idx = [3, 9, 4, 17]
    out = list(SubsetRandomSampler(idx, generator=gen(0)))
    assert sorted(out) == sorted(idx)
    w = [0.0, 1.0, 3.0, 0.0]
    draws = np.array(list(WeightedRandomSampler(w, 20000, generator=gen(1))))
    counts = np.bincount(draws, minlength=4)
    assert counts[0] == counts[3] == 0
    assert abs(counts[2] / counts[1] - 3.0) < 0.25
    no_rep = list(WeightedRandomSampler([1.0, 2.0, 3.0, 4.0], 4, replacement=False))
    assert sorted(no_rep) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="WeightedRandomSampler: weights should be a 1d"):
        WeightedRandomSampler(ax.ones(2, 2), 3)
    with pytest.raises(ValueError, match="without replacement from 2 weights"):
        WeightedRandomSampler([1.0, 1.0], 3, replacement=False)


def test_batch_sampler():
    assert list(BatchSampler(SequentialSampler(range(5)), 2, drop_last=False)) == [
        [0, 1],
        [2, 3],
        [4],
    ]
    assert list(BatchSampler(range(5), 2, drop_last=True)) == [[0, 1], [2, 3]]
    assert len(BatchSampler(range(5), 2, drop_last=False)) == 3
    assert len(BatchSampler(range(5), 2, drop_last=True)) == 2
    with pytest.raises(ValueError, match="BatchSampler: batch_size must be a positive int"):
        BatchSampler(range(5), 0, drop_last=False)


def test_bootstrap_sampler_out_of_bag():
    s = BootstrapSampler(10_000, generator=gen(0))
    with pytest.raises(RuntimeError, match="BootstrapSampler: out_of_bag_indices"):
        s.out_of_bag_indices()
    drawn = np.array(list(s))
    assert len(drawn) == 10_000
    assert len(np.unique(drawn)) < 10_000  # with replacement
    oob = s.out_of_bag_indices().numpy()
    np.testing.assert_array_equal(oob, np.setdiff1d(np.arange(10_000), drawn))
    assert abs(len(oob) / 10_000 - np.exp(-1)) < 0.02  # (1 - 1/n)^n -> e^-1
    # through a DataLoader, on a dataset, with num_samples
    ds = make_ds()
    bs = BootstrapSampler(ds, num_samples=30, generator=gen(1))
    seen = np.concatenate([y.numpy() for _, y in DataLoader(ds, batch_size=8, sampler=bs)])
    assert len(seen) == 30
    np.testing.assert_array_equal(bs.out_of_bag_indices().numpy(), np.setdiff1d(np.arange(N), seen))


# -- collate --------------------------------------------------------------------------------


def test_default_collate_structures():
    Point = collections.namedtuple("Point", ["a", "b"])
    batch = [
        {"x": ax.ones(2), "y": 1, "w": 0.5, "name": "p", "arr": np.array([1.0, 2.0]), "t": (1, 2)},
        {"x": ax.zeros(2), "y": 2, "w": 1.5, "name": "q", "arr": np.array([3.0, 4.0]), "t": (3, 4)},
    ]
    out = default_collate(batch)
    assert out["x"].tolist() == [[1.0, 1.0], [0.0, 0.0]]
    assert out["y"].tolist() == [1, 2] and out["y"].dtype == ax.int64
    assert out["w"].dtype == ax.float64 and out["w"].tolist() == [0.5, 1.5]
    assert out["name"] == ["p", "q"]
    assert out["arr"].dtype == ax.float64 and out["arr"].tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert isinstance(out["t"], list) and [t.tolist() for t in out["t"]] == [[1, 3], [2, 4]]
    nt = default_collate([Point(1, ax.ones(1)), Point(2, ax.zeros(1))])
    assert isinstance(nt, Point) and nt.a.tolist() == [1, 2] and nt.b.tolist() == [[1.0], [0.0]]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([object(), object()])


def test_default_collate_matches_torch(torch):
    from torch.utils.data import default_collate as t_collate

    batch = [{"a": (i, float(i) / 3), "b": np.full((2, 2), i, dtype=np.float32)} for i in range(4)]
    ours, ref = default_collate(batch), t_collate(batch)
    assert isinstance(ours["a"], list) and isinstance(ref["a"], list)
    for o, r in zip(ours["a"] + [ours["b"]], ref["a"] + [ref["b"]], strict=True):
        np.testing.assert_array_equal(o.numpy(), r.numpy())
        assert str(o.dtype).split(".")[-1] == str(r.dtype).split(".")[-1]


# -- DataLoader: batching, samplers, errors -------------------------------------------------


def test_loader_sequential_batches_and_len():
    ds = make_ds()
    loader = DataLoader(ds, batch_size=7)
    batches = list(loader)
    assert len(loader) == len(batches) == 8
    assert [len(b[1]) for b in batches] == [7] * 7 + [1]
    assert isinstance(batches[0], list)  # tuples collate to lists, as in PyTorch
    np.testing.assert_array_equal(
        np.concatenate([b[0].numpy() for b in batches]), ds.tensors[0].numpy()
    )
    dropped = DataLoader(ds, batch_size=7, drop_last=True)
    assert len(dropped) == 7
    assert [len(b[1]) for b in dropped] == [7] * 7


def test_loader_fast_path_equals_generic_path():
    a = labels(DataLoader(make_ds(), batch_size=6, shuffle=True, generator=gen(4)))
    b = labels(DataLoader(RowDataset(), batch_size=6, shuffle=True, generator=gen(4)))
    assert a == b
    xs = [x.numpy() for x, _ in DataLoader(make_ds(), batch_size=6, shuffle=True, generator=gen(4))]
    xg = [
        x.numpy() for x, _ in DataLoader(RowDataset(), batch_size=6, shuffle=True, generator=gen(4))
    ]
    for p, q in zip(xs, xg, strict=True):
        np.testing.assert_array_equal(p, q)


def test_loader_subset_of_tensor_dataset():
    inner = Subset(make_ds(), list(range(N - 1, -1, -1)))  # reversed
    outer = Subset(inner, [0, 2, 4, 6, 8])
    got = labels(DataLoader(outer, batch_size=2))
    assert got == [[49, 47], [45, 43], [41]]
    x = next(iter(DataLoader(outer, batch_size=5)))[0]
    np.testing.assert_array_equal(x.numpy()[:, 0], [147.0, 141.0, 135.0, 129.0, 123.0])


def test_loader_determinism_explicit_and_global_generator():
    ds = make_ds()
    a = take(DataLoader(ds, batch_size=8, shuffle=True, generator=gen(7)), 14)
    b = take(DataLoader(ds, batch_size=8, shuffle=True, generator=gen(7)), 14)
    c = take(DataLoader(ds, batch_size=8, shuffle=True, generator=gen(8)), 14)
    assert a == b and a != c
    assert a[:7] != a[7:]  # epochs reshuffle
    ax.manual_seed(11)
    d = take(DataLoader(ds, batch_size=8, shuffle=True), 14)
    ax.manual_seed(11)
    e = take(DataLoader(ds, batch_size=8, shuffle=True), 14)
    assert d == e


def test_loader_custom_sampler_and_batch_sampler():
    ds = make_ds()
    got = labels(DataLoader(ds, batch_size=4, sampler=list(range(9, -1, -1))))
    assert got == [[9, 8, 7, 6], [5, 4, 3, 2], [1, 0]]
    got = labels(DataLoader(ds, batch_sampler=[[3, 1], [0], [5, 5, 2]]))
    assert got == [[3, 1], [0], [5, 5, 2]]
    loader = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 20, drop_last=True))
    assert len(loader) == 2 and labels(loader)[1] == list(range(20, 40))
    generic = labels(DataLoader(RowDataset(), batch_sampler=[[3, 1], [0]]))
    assert generic == [[3, 1], [0]]


def test_loader_dict_samples_and_no_batching():
    class DictDs(Dataset):
        def __getitem__(self, i: int) -> dict[str, Any]:
            return {"id": i, "feat": np.full(2, i, dtype=np.float32)}

        def __len__(self) -> int:
            return 5

    out = list(DataLoader(DictDs(), batch_size=2))
    assert [b["id"].tolist() for b in out] == [[0, 1], [2, 3], [4]]
    assert out[1]["feat"].tolist() == [[2.0, 2.0], [3.0, 3.0]]
    single = list(DataLoader(DictDs(), batch_size=None))
    assert len(single) == 5 and single[2]["id"] == 2 and single[2]["feat"].tolist() == [2.0, 2.0]


def test_loader_matches_torch_sequential(torch):
    x = np.random.default_rng(0).standard_normal((23, 4)).astype(np.float32)
    y = np.arange(23)
    ours = list(DataLoader(TensorDataset(ax.tensor(x), ax.tensor(y)), batch_size=5))
    ref = list(
        torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=5
        )
    )
    assert len(ours) == len(ref)
    for (ox, oy), (rx, ry) in zip(ours, ref, strict=True):
        np.testing.assert_array_equal(ox.numpy(), rx.numpy())
        np.testing.assert_array_equal(oy.numpy(), ry.numpy())


def test_iterable_dataset_loader():
    assert labels_of_stream(DataLoader(Stream(10), batch_size=4)) == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
    ]
    loader = DataLoader(Stream(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and labels_of_stream(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(Stream(10), batch_size=4)) == 3
    with pytest.raises(ValueError, match="IterableDataset, expected unspecified shuffle"):
        DataLoader(Stream(3), shuffle=True)


def labels_of_stream(loader: DataLoader) -> list[list[int]]:
    return [b.tolist() for b in loader]


def test_loader_argument_errors():
    ds = make_ds()
    with pytest.raises(ValueError, match=r"DataLoader: batch_size must be a positive int.*got 0"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(
        ValueError, match="DataLoader: sampler option is mutually exclusive with shuffle"
    ):
        DataLoader(ds, shuffle=True, sampler=SequentialSampler(ds))
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=4, batch_sampler=[[0, 1]])
    with pytest.raises(ValueError, match="batch_size=None option disables auto-batching"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="num_workers option should be a non-negative int, got -1"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        DataLoader(ds, prefetch_factor=2)
    with pytest.raises(TypeError, match="DataLoader: generator must be an axonite Generator"):
        DataLoader(ds, generator=np.random.default_rng(0))  # type: ignore[arg-type]
    loader = DataLoader(ds)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3


# -- DataLoader: workers --------------------------------------------------------------------


def test_workers_equal_no_workers():
    ds = make_ds()
    for n_workers in (1, 3):
        ref = take(DataLoader(ds, batch_size=6, shuffle=True, generator=gen(2)), 20)
        got = take(
            DataLoader(ds, batch_size=6, shuffle=True, generator=gen(2), num_workers=n_workers),
            20,
        )
        assert got == ref
    slow = DataLoader(RowDataset(), batch_size=5, shuffle=True, generator=gen(3), num_workers=2)
    assert labels(slow) == labels(
        DataLoader(RowDataset(), batch_size=5, shuffle=True, generator=gen(3))
    )
    stream = DataLoader(Stream(11), batch_size=3, num_workers=2)
    assert labels_of_stream(stream) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10]]
    persistent = DataLoader(ds, batch_size=9, num_workers=2, persistent_workers=True)
    assert labels(persistent) == labels(persistent) == labels(DataLoader(ds, batch_size=9))


def test_workers_run_in_threads_with_worker_info():
    seen: list[tuple[int, int]] = []
    init_ids: list[int] = []
    lock = threading.Lock()

    class InfoDs(Dataset):
        def __getitem__(self, i: int) -> int:
            info = get_worker_info()
            assert info is not None and info.num_workers == 2
            with lock:
                seen.append((info.id, threading.get_ident()))
            return i

        def __len__(self) -> int:
            return 12

    def init(wid: int) -> None:
        with lock:
            init_ids.append(wid)

    out = [
        b.tolist() for b in DataLoader(InfoDs(), batch_size=3, num_workers=2, worker_init_fn=init)
    ]
    assert out == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]
    assert get_worker_info() is None
    assert {wid for wid, _ in seen} <= {0, 1} and set(init_ids) <= {0, 1}
    assert threading.get_ident() not in {tid for _, tid in seen}


def test_worker_timeout():
    class SlowDs(Dataset):
        def __getitem__(self, i: int) -> int:
            time.sleep(0.3)
            return i

        def __len__(self) -> int:
            return 2

    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0\.05 seconds"):
        list(DataLoader(SlowDs(), batch_size=1, num_workers=1, timeout=0.05))


# -- DataLoader: resume ---------------------------------------------------------------------


def interrupted(make_loader: Any, n_first: int, n_total: int, *, global_rng: bool) -> list[Any]:
    """Batches n_first..n_total of a fresh loader restored from a state saved after n_first."""
    loader = make_loader()
    out = take(loader, n_first)
    sd = json.loads(json.dumps(loader.state_dict()))  # must survive JSON
    rng = ax.get_rng_state() if global_rng else None
    if global_rng:
        ax.manual_seed(12345)  # scramble: the checkpoint must restore it
        ax.set_rng_state(rng)
    fresh = make_loader()
    fresh.load_state_dict(sd)
    rest = [b[1].tolist() for b in fresh]
    out += rest + take(fresh, n_total - n_first - len(rest))
    return out


@pytest.mark.parametrize("workers", [0, 2])
def test_resume_mid_epoch_explicit_generator(workers):
    ds = make_ds()  # 8 batches per epoch: stop after 1.5 epochs, compare 2.5 epochs
    g_full = gen(21)
    full = take(DataLoader(ds, batch_size=7, shuffle=True, generator=g_full), 20)
    g_new = gen(0)  # the restored loader's generator starts elsewhere: load must fix it

    def make() -> DataLoader:
        return DataLoader(
            ds, batch_size=7, shuffle=True, generator=gens.pop(0), num_workers=workers
        )

    gens = [gen(21), g_new]
    got = interrupted(make, 12, 20, global_rng=False)
    assert got == full
    assert g_new.get_state().tolist() == g_full.get_state().tolist()


def test_resume_mid_epoch_global_generator_and_generic_dataset():
    ax.manual_seed(3)
    full = take(DataLoader(RowDataset(), batch_size=6, shuffle=True, drop_last=True), 20)
    after_full = ax.get_rng_state().tolist()
    ax.manual_seed(3)
    got = interrupted(
        lambda: DataLoader(RowDataset(), batch_size=6, shuffle=True, drop_last=True),
        12,
        20,
        global_rng=True,
    )
    assert got == full
    assert ax.get_rng_state().tolist() == after_full


def test_resume_state_dict_contents():
    ds = make_ds()
    g = gen(5)
    loader = DataLoader(ds, batch_size=10, shuffle=True, generator=g)
    start = g.get_state().tolist()
    assert loader.state_dict() == {"generator_state": start, "batches_yielded": 0}
    it = iter(loader)
    next(it)
    next(it)
    sd = loader.state_dict()
    assert sd == {"generator_state": start, "batches_yielded": 2}
    list(it)  # end of the epoch: the next state is the start of the next epoch
    assert loader.state_dict() == {"generator_state": g.get_state().tolist(), "batches_yielded": 0}
    seq = DataLoader(ds, batch_size=10)
    it = iter(seq)
    next(it)
    assert seq.state_dict() == {"generator_state": None, "batches_yielded": 1}
    seq2 = DataLoader(ds, batch_size=10)
    seq2.load_state_dict(seq.state_dict())
    assert labels(seq2) == [list(range(s, s + 10)) for s in range(10, 50, 10)]
    with pytest.raises(ValueError, match="batches_yielded=9 exceeds the 5 batches"):
        seq2.load_state_dict({"generator_state": None, "batches_yielded": 9})
    with pytest.raises(ValueError, match="no random sampler"):
        seq2.load_state_dict({"generator_state": start, "batches_yielded": 1})


def test_resume_iterable_and_bootstrap():
    loader = DataLoader(Stream(10), batch_size=3)
    it = iter(loader)
    next(it)
    fresh = DataLoader(Stream(10), batch_size=3)
    fresh.load_state_dict(loader.state_dict())
    assert labels_of_stream(fresh) == [[3, 4, 5], [6, 7, 8], [9]]
    ds = make_ds()
    full_s = BootstrapSampler(ds, generator=gen(9))
    full = labels(DataLoader(ds, batch_size=8, sampler=full_s))
    s1 = BootstrapSampler(ds, generator=gen(9))
    part = DataLoader(ds, batch_size=8, sampler=s1)
    it = iter(part)
    head = [next(it)[1].tolist() for _ in range(3)]
    s2 = BootstrapSampler(ds, generator=gen(1))
    rest_loader = DataLoader(ds, batch_size=8, sampler=s2)
    rest_loader.load_state_dict(part.state_dict())
    assert head + labels(rest_loader) == full
    np.testing.assert_array_equal(
        s2.out_of_bag_indices().numpy(), full_s.out_of_bag_indices().numpy()
    )


# -- KFold / StratifiedKFold vs sklearn -----------------------------------------------------


@pytest.mark.parametrize(("n", "k"), [(10, 5), (11, 3), (7, 7), (103, 4)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_kfold_matches_sklearn(n, k, shuffle):
    skm = pytest.importorskip("sklearn.model_selection")
    rs = 42 if shuffle else None
    ours = list(KFold(k, shuffle=shuffle, random_state=rs).split(n))
    ref = list(skm.KFold(k, shuffle=shuffle, random_state=rs).split(np.zeros((n, 1))))
    assert len(ours) == len(ref) == k
    for (tr, va), (rtr, rva) in zip(ours, ref, strict=True):
        assert tr.dtype == ax.int64 and va.dtype == ax.int64
        np.testing.assert_array_equal(tr.numpy(), rtr)
        np.testing.assert_array_equal(va.numpy(), rva)


@pytest.mark.parametrize("shuffle", [False, True])
def test_stratified_kfold_matches_sklearn(shuffle):
    skm = pytest.importorskip("sklearn.model_selection")
    rng = np.random.default_rng(0)
    y = rng.choice([2, 0, 7], size=61, p=[0.5, 0.3, 0.2])
    rs = 3 if shuffle else None
    ours = list(StratifiedKFold(4, shuffle=shuffle, random_state=rs).split(len(y), ax.tensor(y)))
    ref = list(skm.StratifiedKFold(4, shuffle=shuffle, random_state=rs).split(np.zeros(61), y))
    for (tr, va), (rtr, rva) in zip(ours, ref, strict=True):
        np.testing.assert_array_equal(tr.numpy(), rtr)
        np.testing.assert_array_equal(va.numpy(), rva)
    # each validation fold keeps the class proportions within one sample
    for _, va in ours:
        fold_counts = np.bincount(y[va.numpy()], minlength=8)[[2, 0, 7]]
        expected = np.bincount(y, minlength=8)[[2, 0, 7]] / 4
        assert np.all(np.abs(fold_counts - expected) <= 1)


def test_kfold_errors():
    with pytest.raises(ValueError, match="KFold: k-fold cross-validation requires at least one"):
        KFold(1)
    with pytest.raises(ValueError, match="KFold: setting a random_state has no effect"):
        KFold(3, random_state=0)
    with pytest.raises(
        ValueError, match="n_splits=5 greater than the number of samples: n_samples=3"
    ):
        list(KFold(5).split(3))
    with pytest.raises(ValueError, match=r"StratifiedKFold.split: n_splits=3 cannot be greater"):
        list(StratifiedKFold(3).split(None, [0, 1, 0, 1]))
    with pytest.warns(UserWarning, match="least populated class in y has only 2 members"):
        list(StratifiedKFold(3).split(None, [0, 1, 0, 1, 0, 0]))
