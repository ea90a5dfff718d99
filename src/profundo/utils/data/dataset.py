"""Datasets with ``torch.utils.data``'s names and semantics.

A map-style dataset answers ``dataset[i]`` and ``len(dataset)``; an iterable
dataset is a stream (``iter(dataset)``).  ``TensorDataset`` also answers a whole
batch of indices at once (``_get_batch``), which lets the DataLoader build a
batch with one NumPy gather instead of ``batch_size`` Python calls.
"""
import bisect
import math
import numbers

import numpy as np

from ..._errors import error
from ...tensor import Tensor


class Dataset:
    """Base class of map-style datasets: define ``__getitem__`` (and ``__len__``)."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}: a Dataset must define __getitem__(self, index)")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of stream datasets: define ``__iter__``.

    With ``num_workers > 0`` every worker iterates its own copy; use
    ``profundo.utils.data.get_worker_info()`` inside ``__iter__`` to split the
    stream, exactly as in PyTorch.
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__}: an IterableDataset must define __iter__(self)")

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are tuples ``(t[i] for t in tensors)``; all tensors share their first dimension."""

    def __init__(self, *tensors):
        for t in tensors:
            if not isinstance(t, Tensor):
                raise error(TypeError, "TensorDataset", f"expected tensors, got {type(t).__name__}",
                            "convierte los datos con profundo.tensor(...) antes de crear el TensorDataset")
        sizes = [t.shape[0] if t.dim() else None for t in tensors]
        if tensors and (None in sizes or len(set(sizes)) != 1):
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise error(ValueError, "TensorDataset", f"Size mismatch between tensors: shapes {shapes}; "
                        "all tensors must have the same size in their first dimension",
                        "cada tensor debe tener una fila por ejemplo (misma longitud en la dimensión 0)")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0] if self.tensors else 0

    def _get_batch(self, indices):
        """The collated batch for an int64 index array: one gather per tensor."""
        return [Tensor._make(t._data[indices]) for t in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (in that order)."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems is not None:
            return getitems([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self):
        return len(self.indices)

    def _get_batch(self, indices):
        inner = getattr(self.dataset, "_get_batch", None)
        if inner is None:
            return None
        cached = self.__dict__.get("_index_cache")
        if cached is None or cached[0] is not self.indices or len(cached[1]) != len(self.indices):
            # converted once per epoch source, not once per batch
            cached = self._index_cache = (self.indices, np.asarray(self.indices, dtype=np.int64))
        return inner(cached[1][indices])


class ConcatDataset(Dataset):
    """Several map-style datasets one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise error(ValueError, "ConcatDataset", "datasets should not be an empty iterable",
                        "pasa una lista con al menos un dataset")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise error(TypeError, "ConcatDataset", "ConcatDataset does not support IterableDataset",
                            "para encadenar flujos usa ChainDataset")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise error(ValueError, "ConcatDataset", f"absolute value of index {idx} should not exceed "
                            f"dataset length {n}", "usa un índice entre -len y len-1")
            idx += n
        if idx >= n:
            raise error(IndexError, "ConcatDataset", f"index {idx} is out of range for a dataset of length {n}",
                        "usa un índice entre 0 y len(dataset)-1")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """Several iterable datasets one after the other."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise error(TypeError, "ChainDataset", "ChainDataset only supports IterableDataset",
                            "para unir datasets con índice usa ConcatDataset")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random ``Subset``s.

    ``lengths`` are sizes that add up to ``len(dataset)``, or fractions that add
    up to 1 (the remainder is given out round-robin, as in PyTorch).
    """
    from ...random import _rng

    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral) or x == 0
                       for x in lengths) and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise error(ValueError, "random_split", f"Fraction at index {i} is not between 0 and 1",
                            "las fracciones deben estar entre 0 y 1 y sumar 1")
        sizes = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if any(not isinstance(x, numbers.Integral) or x < 0 for x in lengths) or sum(lengths) != n:
        raise error(ValueError, "random_split",
                    f"Sum of input lengths ({sum(lengths)}) does not equal the length of the input dataset ({n}) "
                    f"(lengths={lengths})",
                    "pasa tamaños enteros que sumen len(dataset), o fracciones que sumen 1 (p. ej. [0.8, 0.2])")
    perm = _rng(generator).permutation(n).tolist()
    out, start = [], 0
    for size in lengths:
        out.append(Subset(dataset, perm[start:start + size]))
        start += size
    return out
