"""profundo.utils.data against torch.utils.data: collation, batching, samplers, splits, workers."""
import collections
import os
import time

import numpy as np
import pytest

import profundo
from profundo._errors import is_checked
from parity import assert_raises_like_torch
from profundo.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset,
                                 RandomSampler, SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
                                 WeightedRandomSampler, default_collate, default_convert, get_worker_info,
                                 random_split)

Point = collections.namedtuple("Point", "x y")


def same(ours, theirs):
    """Structure, type, dtype and values of a profundo batch equal a torch batch."""
    import torch
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, profundo.Tensor), (type(ours), theirs)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs)
        for k in theirs:
            same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours).__name__ == type(theirs).__name__ and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            same(a, b)
    else:
        assert ours == theirs


SAMPLES = {
    "tensors": lambda T: [T.tensor([1.0, 2.0]), T.tensor([3.0, 4.0])],
    "int tensors": lambda T: [T.tensor(3), T.tensor(4)],
    "ints": lambda T: [1, 2, 3],
    "floats": lambda T: [1.5, 2.5],
    "bools": lambda T: [True, False],
    "strings": lambda T: ["a", "bc"],
    "numpy arrays": lambda T: [np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)],
    "numpy scalars": lambda T: [np.float64(1.5), np.float64(2.0)],
    "numpy ints": lambda T: [np.int32(1), np.int32(7)],
    "tuples": lambda T: [(T.tensor([1.0]), 0), (T.tensor([2.0]), 1)],
    "lists": lambda T: [[1, 2.0], [3, 4.0]],
    "dicts": lambda T: [{"x": T.tensor([1, 2]), "name": "a"}, {"x": T.tensor([3, 4]), "name": "b"}],
    "namedtuples": lambda T: [Point(T.tensor(1.0), 2), Point(T.tensor(3.0), 4)],
    "nested": lambda T: [({"a": (1, 2.0)}, [np.array([1, 2])]), ({"a": (3, 4.0)}, [np.array([3, 4])])],
}


@pytest.mark.parametrize("kind", SAMPLES)
def test_default_collate_like_torch(kind):
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate
    same(default_collate(SAMPLES[kind](profundo)), torch_collate(SAMPLES[kind](torch)))


def test_default_convert_like_torch():
    pytest.importorskip("torch")
    from torch.utils.data import default_convert as torch_convert
    for data in [np.arange(3), {"a": np.ones(2)}, (np.ones(2), 1), [np.zeros(1), "s"], 5]:
        same(default_convert(data), torch_convert(data))


def test_collate_errors_like_torch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate
    cases = [lambda T: [T.ones(2), T.ones(3)], lambda T: [[1, 2], [1]], lambda T: [object(), object()]]
    for make in cases:
        assert_raises_like_torch(lambda m=make: torch_collate(m(torch)), lambda m=make: default_collate(m(profundo)))


def _loaders(n, **kw):
    torch = pytest.importorskip("torch")
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n) % 4
    ours = DataLoader(TensorDataset(profundo.tensor(X), profundo.tensor(y)), **kw)
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y)), **kw)
    return ours, theirs


@pytest.mark.parametrize("n,batch_size,drop_last", [(10, 4, False), (10, 4, True), (8, 4, True), (3, 5, False),
                                                    (3, 5, True), (1, 1, False), (0, 2, False), (7, None, False)])
def test_sequential_batches_and_len_like_torch(n, batch_size, drop_last):
    ours, theirs = _loaders(n, batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    a, b = list(ours), list(theirs)
    assert len(a) == len(b) == len(ours)
    for x, y in zip(a, b):
        same(x, y)


def test_batch_sampler_and_sampler_arguments_like_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _loaders(10, batch_sampler=[[0, 5], [9], [1, 2, 3]])
    assert len(ours) == len(theirs) == 3
    for x, y in zip(ours, theirs):
        same(x, y)
    ours, theirs = _loaders(10, batch_size=3, sampler=[9, 8, 7, 0])
    for x, y in zip(ours, theirs):
        same(x, y)
    # a sampler object without _index_array (user-defined) goes through the generic path
    class Evens(torch.utils.data.Sampler):
        def __iter__(self):
            return iter(range(0, 10, 2))

        def __len__(self):
            return 5
    ours, theirs = _loaders(10, batch_size=2, sampler=Evens())
    assert len(ours) == len(theirs) == 3
    for x, y in zip(ours, theirs):
        same(x, y)


def test_fast_batch_path_equals_per_sample_collation():
    X, y = profundo.randn(50, 2, 3), profundo.randint(0, 5, (50,))
    ds = TensorDataset(X, y)
    fast = list(DataLoader(ds, batch_size=8, shuffle=True, generator=profundo.Generator().manual_seed(3)))
    slow = list(DataLoader(ds, batch_size=8, shuffle=True, generator=profundo.Generator().manual_seed(3),
                           collate_fn=lambda batch: default_collate(batch)))
    assert len(fast) == len(slow) == 7
    for (a, b), (c, d) in zip(fast, slow):
        assert a.dtype == c.dtype and b.dtype == d.dtype
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        np.testing.assert_array_equal(b.numpy(), d.numpy())
    # and through a Subset (random_split's output)
    train, _ = random_split(ds, [40, 10], generator=profundo.Generator().manual_seed(1))
    fast = list(DataLoader(train, batch_size=16))
    slow = list(DataLoader(train, batch_size=16, collate_fn=lambda b: default_collate(b)))
    for (a, b), (c, d) in zip(fast, slow):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        np.testing.assert_array_equal(b.numpy(), d.numpy())


def test_shuffle_is_a_permutation_reproducible_and_new_each_epoch():
    ds = TensorDataset(profundo.arange(100))
    loader = DataLoader(ds, batch_size=32, shuffle=True)
    epoch1 = np.concatenate([b[0].numpy() for b in loader])
    epoch2 = np.concatenate([b[0].numpy() for b in loader])
    assert sorted(epoch1) == list(range(100)) and sorted(epoch2) == list(range(100))
    assert not np.array_equal(epoch1, epoch2) and not np.array_equal(epoch1, np.arange(100))
    profundo.manual_seed(7)
    a = np.concatenate([b[0].numpy() for b in loader])
    profundo.manual_seed(7)
    b = np.concatenate([b[0].numpy() for b in loader])
    np.testing.assert_array_equal(a, b)
    g1, g2 = profundo.Generator().manual_seed(5), profundo.Generator().manual_seed(5)
    c = [x[0].tolist() for x in DataLoader(ds, batch_size=10, shuffle=True, generator=g1)]
    d = [x[0].tolist() for x in DataLoader(ds, batch_size=10, shuffle=True, generator=g2)]
    assert c == d


def test_samplers_like_torch():
    torch = pytest.importorskip("torch")
    data = list(range(10))
    assert list(SequentialSampler(data)) == list(torch.utils.data.SequentialSampler(data))
    for kw in [{}, {"replacement": True}, {"num_samples": 25}, {"replacement": True, "num_samples": 3}]:
        ours, theirs = RandomSampler(data, **kw), torch.utils.data.RandomSampler(data, **kw)
        drawn = list(ours)
        assert len(ours) == len(theirs) == len(drawn) == len(list(theirs))
        assert all(isinstance(i, int) and 0 <= i < 10 for i in drawn)
        if not kw.get("replacement"):
            counts = np.bincount(drawn, minlength=10)
            assert counts.max() - counts.min() <= 1  # whole permutations first, as in torch
    for bs, drop in [(3, False), (3, True), (5, True), (20, False)]:
        assert list(BatchSampler(SequentialSampler(data), bs, drop)) == \
            list(torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(data), bs, drop))
        assert len(BatchSampler(data, bs, drop)) == len(torch.utils.data.BatchSampler(data, bs, drop))
    sub = list(SubsetRandomSampler([3, 5, 7]))
    assert sorted(sub) == [3, 5, 7]


def test_weighted_random_sampler_follows_the_weights():
    w = [0.0, 1.0, 3.0, 0.0]
    drawn = list(WeightedRandomSampler(w, 4000, generator=profundo.Generator().manual_seed(0)))
    counts = np.bincount(drawn, minlength=4)
    assert counts[0] == counts[3] == 0
    assert abs(counts[2] / counts[1] - 3) < 0.3
    no_repl = list(WeightedRandomSampler(profundo.tensor([1.0, 1.0, 5.0]), 3, replacement=False))
    assert sorted(no_repl) == [0, 1, 2]


@pytest.mark.parametrize("make", [
    lambda T: T.utils.data.RandomSampler(range(3), replacement=1),
    lambda T: T.utils.data.RandomSampler(range(3), num_samples=0),
    lambda T: T.utils.data.RandomSampler([], num_samples=None),
    lambda T: T.utils.data.BatchSampler(range(3), 0, False),
    lambda T: T.utils.data.BatchSampler(range(3), 2, "no"),
    lambda T: T.utils.data.WeightedRandomSampler([1.0, 2.0], -1),
    lambda T: T.utils.data.WeightedRandomSampler([[1.0, 2.0]], 2),
    lambda T: T.utils.data.DataLoader(range(3), num_workers=-1),
    lambda T: T.utils.data.DataLoader(range(3), shuffle=True, sampler=[0, 1]),
    lambda T: T.utils.data.DataLoader(range(3), batch_sampler=[[0]], batch_size=2),
    lambda T: T.utils.data.DataLoader(range(3), batch_size=None, drop_last=True),
    lambda T: T.utils.data.DataLoader(range(3), batch_size=0),
    lambda T: T.utils.data.DataLoader(range(3), timeout=-1),
    lambda T: T.utils.data.DataLoader(range(3), prefetch_factor=2),
    lambda T: T.utils.data.DataLoader(range(3), persistent_workers=True),
    lambda T: T.utils.data.TensorDataset(T.ones(3), T.ones(4)),
    lambda T: T.utils.data.ConcatDataset([]),
    lambda T: T.utils.data.random_split(range(10), [3, 3]),
    lambda T: T.utils.data.random_split(range(10), [0.5, 0.6]),
])
def test_errors_like_torch(make):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as theirs:
        make(torch)
    # torch checks these two with `assert`; a ValueError says more and survives `python -O`
    expected = ValueError if type(theirs.value) is AssertionError else type(theirs.value)
    with pytest.raises(expected) as ours:
        make(profundo)
    assert is_checked(ours.value) and "Pista" in str(ours.value)


def test_iterable_dataset_rules_like_torch():
    torch = pytest.importorskip("torch")

    class Stream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(5))

    class OurStream(IterableDataset):
        def __iter__(self):
            return iter(range(5))

    for kw in [{"shuffle": True}, {"sampler": [0]}, {"batch_sampler": [[0]]}]:
        with pytest.raises(ValueError):
            torch.utils.data.DataLoader(Stream(), **kw)
        with pytest.raises(ValueError):
            DataLoader(OurStream(), **kw)
    for kw in [{"batch_size": 2}, {"batch_size": 2, "drop_last": True}, {"batch_size": None}]:
        for x, y in zip(DataLoader(OurStream(), **kw), torch.utils.data.DataLoader(Stream(), **kw), strict=True):
            same(x, y)
    with pytest.raises(TypeError):
        len(DataLoader(OurStream()))


@pytest.mark.filterwarnings("ignore:Length of split")
def test_subset_concat_random_split_like_torch():
    torch = pytest.importorskip("torch")
    data = list(range(10))
    for idx in [0, 3, 9, -1, -10]:
        assert ConcatDataset([data[:4], data[4:]])[idx] == torch.utils.data.ConcatDataset([data[:4], data[4:]])[idx]
    assert len(ConcatDataset([data, data])) == 20
    with pytest.raises(IndexError):
        ConcatDataset([data[:4], data[4:]])[10]
    assert [Subset(data, [5, 1])[i] for i in range(2)] == [5, 1]
    assert list(ChainDataset([_Count(2), _Count(3)])) == [0, 1, 0, 1, 2]
    for lengths in [[3, 7], [0.3, 0.7], [0.33, 0.33, 0.34], [1 / 3] * 3, [0.5, 0.5, 0.0]]:
        ours = random_split(range(10), lengths, generator=profundo.Generator().manual_seed(0))
        theirs = torch.utils.data.random_split(range(10), lengths)
        assert [len(s) for s in ours] == [len(s) for s in theirs]
        assert sorted(i for s in ours for i in s) == list(range(10))
    a = [list(s) for s in random_split(range(10), [5, 5], generator=profundo.Generator().manual_seed(2))]
    b = [list(s) for s in random_split(range(10), [5, 5], generator=profundo.Generator().manual_seed(2))]
    assert a == b


class _Count(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


# ---------------------------------------------------------------- workers
class Squares(Dataset):
    def __len__(self):
        return 23

    def __getitem__(self, i):
        return profundo.tensor([float(i * i)]), i


class Sharded(IterableDataset):
    """Splits its range among the workers, the PyTorch way."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


class Fails(Squares):
    def __getitem__(self, i):
        if i == 13:
            raise ValueError("sample 13 is broken")
        return super().__getitem__(i)


class Dies(Squares):
    def __getitem__(self, i):
        if i == 5:
            os._exit(3)
        return super().__getitem__(i)


class Slow(Squares):
    def __getitem__(self, i):
        time.sleep(3)
        return super().__getitem__(i)


class SeedReport(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = get_worker_info()
        return info.id, info.seed, float(profundo.rand(1))


def _alive(loader_iter):
    return [w for w in loader_iter._workers if w.is_alive()]


@pytest.mark.parametrize("workers", [1, 3])
def test_workers_give_the_same_batches_in_order(workers):
    serial = list(DataLoader(Squares(), batch_size=4))
    it = iter(DataLoader(Squares(), batch_size=4, num_workers=workers))
    parallel = list(it)
    assert len(parallel) == len(serial) == 6
    for (a, b), (c, d) in zip(serial, parallel):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        np.testing.assert_array_equal(b.numpy(), d.numpy())
    assert not _alive(it)  # the epoch ended: the workers are gone


def test_workers_tensor_dataset_shuffled_and_unbatched():
    ds = TensorDataset(profundo.arange(50))
    got = np.concatenate([b[0].numpy() for b in DataLoader(ds, batch_size=7, shuffle=True, num_workers=2)])
    assert sorted(got) == list(range(50))
    single = [x for x in DataLoader(Squares(), batch_size=None, num_workers=2)]
    assert [x[1] for x in single] == list(range(23))


def test_workers_iterable_dataset_sharded_like_torch():
    torch = pytest.importorskip("torch")

    class TorchSharded(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            start, step = (0, 1) if info is None else (info.id, info.num_workers)
            return iter(range(start, 11, step))

    for kw in [{"batch_size": 2}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}]:
        ours = list(DataLoader(Sharded(11), num_workers=2, **kw))
        theirs = list(torch.utils.data.DataLoader(TorchSharded(), num_workers=2, **kw))
        assert len(ours) == len(theirs)
        for x, y in zip(ours, theirs):
            same(x, y)


def test_worker_error_is_raised_in_main_process_and_workers_stop():
    it = iter(DataLoader(Fails(), batch_size=2, num_workers=2))
    with pytest.raises(ValueError, match="sample 13 is broken") as exc:
        list(it)
    assert "DataLoader worker process" in str(exc.value)
    time.sleep(0.2)
    assert not _alive(it)


def test_dead_worker_raises_instead_of_hanging():
    it = iter(DataLoader(Dies(), batch_size=2, num_workers=2))
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(it)
    assert time.monotonic() - start < 30
    assert not _alive(it)


def test_timeout_and_early_break_stop_the_workers():
    it = iter(DataLoader(Slow(), batch_size=1, num_workers=1, timeout=0.5))
    with pytest.raises(RuntimeError, match="timed out after 0.5 seconds"):
        next(it)
    assert not _alive(it)
    it = iter(DataLoader(Squares(), batch_size=1, num_workers=2))
    next(it)
    workers = list(it._workers)
    del it  # breaking out of a for loop drops the iterator like this
    for w in workers:
        w.join(timeout=5)
        assert not w.is_alive()


def test_worker_seeds_init_fn_and_persistent_workers():
    loader = DataLoader(SeedReport(), batch_size=None, num_workers=2)
    rows = list(loader)
    ids = [r[0] for r in rows]
    seeds = {r[0]: r[1] for r in rows}
    assert sorted(set(ids)) == [0, 1] and seeds[1] == seeds[0] + 1
    assert len({r[2] for r in rows}) == 4  # each worker draws its own random numbers
    calls = []
    loader = DataLoader(Squares(), batch_size=5, num_workers=2, persistent_workers=True,
                        worker_init_fn=lambda wid: calls.append(wid))
    first = [b[1].tolist() for b in loader]
    it = loader._iterator
    second = [b[1].tolist() for b in loader]
    assert first == second and loader._iterator is it and len(_alive(it)) == 2
    partial = iter(loader)
    next(partial)  # cut an epoch short, then start a new one: stale batches are dropped
    third = [b[1].tolist() for b in loader]
    assert third == first
    it._shutdown()
    assert not _alive(it)


def test_persistent_workers_with_an_iterable_dataset():
    loader = DataLoader(Sharded(9), batch_size=2, num_workers=2, persistent_workers=True)
    one = sorted(x for b in loader for x in b.tolist())
    two = sorted(x for b in loader for x in b.tolist())
    assert one == two == list(range(9))
    loader._iterator._shutdown()


# ---------------------------------------------------------------- DataFrames
def test_dataset_from_dataframe_after_pandas_preprocessing():
    pd = pytest.importorskip("pandas")
    from profundo.utils.data import dataset_from_dataframe
    raw = pd.DataFrame({"rooms": [3, None, 4, 2], "alley": ["Pave", None, "Grvl", "Pave"],
                        "new": [True, False, True, False], "label": [1, 0, 1, 0]})
    with pytest.raises(TypeError) as e:  # categories: name the column, suggest get_dummies
        dataset_from_dataframe(raw, "label")
    assert "['alley']" in str(e.value) and "get_dummies" in str(e.value) and is_checked(e.value)
    with pytest.raises(ValueError) as e:  # missing values: name the column, suggest fillna
        dataset_from_dataframe(pd.get_dummies(raw, columns=["alley"], dummy_na=True), "label")
    assert "['rooms']" in str(e.value) and "fillna" in str(e.value) and is_checked(e.value)
    raw["rooms"] = raw["rooms"].fillna(raw["rooms"].mean())
    ready = pd.get_dummies(raw, columns=["alley"], dummy_na=True)
    ds = dataset_from_dataframe(ready, "label")
    X, y = ds.tensors
    assert X.dtype == profundo.float32 and y.dtype == profundo.int64 and tuple(X.shape) == (4, 5)
    np.testing.assert_allclose(X.numpy()[:, 0], [3, 3, 4, 2])
    np.testing.assert_array_equal(X.numpy()[:, 1], [1, 0, 1, 0])  # bool column -> 0/1
    X2, y2 = dataset_from_dataframe(ready, "rooms", features=["new"], dtype=profundo.float64).tensors
    assert X2.dtype == y2.dtype == profundo.float64 and tuple(X2.shape) == (4, 1)
    with pytest.raises(KeyError):
        dataset_from_dataframe(ready, "nope")
    with pytest.raises(ValueError):  # NaN in the target
        dataset_from_dataframe(ready.assign(label=[1.0, None, 0.0, 1.0]), "label")
    with pytest.raises(TypeError):
        dataset_from_dataframe(ready.to_numpy(), "label")
    batch = next(iter(DataLoader(ds, batch_size=2)))
    assert tuple(batch[0].shape) == (2, 5)


def test_tensor_of_bool_frame_takes_the_requested_dtype():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [True, False], "b": [False, False]})
    assert profundo.tensor(df).dtype == profundo.bool
    t = profundo.tensor(df, dtype=profundo.float32)
    assert t.dtype == profundo.float32 and t.tolist() == [[1.0, 0.0], [0.0, 0.0]]
    assert profundo.tensor(df.to_numpy(), dtype=profundo.int64).tolist() == [[1, 0], [0, 0]]


@pytest.mark.parametrize("context", ["spawn", "forkserver"])
def test_workers_with_spawn_and_forkserver_contexts(context):
    """macOS and Windows start workers with spawn (Python 3.14 on Linux: forkserver): the dataset is pickled."""
    ds = TensorDataset(profundo.arange(20.0), profundo.arange(20))
    got = list(DataLoader(ds, batch_size=6, num_workers=2, multiprocessing_context=context))
    assert [b[1].tolist() for b in got] == [list(range(i, min(i + 6, 20))) for i in range(0, 20, 6)]


def test_workers_out_of_order_delivery_gives_every_batch_once():
    got = [b[1].tolist() for b in DataLoader(Squares(), batch_size=3, num_workers=3, in_order=False)]
    assert sorted(i for b in got for i in b) == list(range(23)) and len(got) == 8
