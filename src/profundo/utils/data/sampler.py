"""Samplers: which indices an epoch visits, and in which order (``torch.utils.data`` names).

Every sampler iterates Python ints, as in PyTorch.  The built-in ones also
answer ``_index_array()``: the whole epoch as one int64 array drawn in one
vectorized call, which the DataLoader slices into batches.
"""
import numbers

import numpy as np

from ..._errors import error
from ...random import _rng
from ...tensor import Tensor


def _check_bool(op, name, value, exc_type=ValueError):
    if not isinstance(value, bool):
        raise error(exc_type, op, f"{name} should be a boolean value, but got {name}={value!r}",
                    f"{name} debe ser True o False")


def _check_positive_int(op, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise error(ValueError, op, f"{name} should be a positive integer value, but got {name}={value!r}",
                    f"{name} debe ser un entero positivo")


class Sampler:
    """Base class: iterate the indices of one epoch."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__}: a Sampler must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def _index_array(self):
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation each epoch (or ``num_samples`` draws with ``replacement=True``).

    The draws come from ``generator`` or, if it is None, from profundo's default
    generator, so ``profundo.manual_seed`` makes the shuffling repeat.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _check_bool("RandomSampler", "replacement", replacement, TypeError)  # torch: TypeError here
        _check_positive_int("RandomSampler", "num_samples", self.num_samples)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _index_array(self):
        n, k, rng = len(self.data_source), self.num_samples, _rng(self.generator)
        if self.replacement:
            return rng.integers(0, n, size=k, dtype=np.int64)
        # without replacement: whole permutations, then part of one more (as PyTorch)
        perms = [rng.permutation(n) for _ in range(k // n)]
        if k % n:
            perms.append(rng.permutation(n)[:k % n])
        return np.concatenate(perms).astype(np.int64) if perms else np.zeros(0, np.int64)

    def __iter__(self):
        return iter(self._index_array().tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order each epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def _index_array(self):
        idx = np.asarray(self.indices, dtype=np.int64)
        return idx[_rng(self.generator).permutation(len(idx))]

    def __iter__(self):
        return iter(self._index_array().tolist())

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_positive_int("WeightedRandomSampler", "num_samples", num_samples)
        _check_bool("WeightedRandomSampler", "replacement", replacement)
        w = np.asarray(weights._data if isinstance(weights, Tensor) else weights, dtype=np.float64)
        if w.ndim != 1:
            raise error(ValueError, "WeightedRandomSampler",
                        f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}",
                        "pasa un peso por ejemplo, en un vector")
        if w.size == 0 or np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
            raise error(RuntimeError, "WeightedRandomSampler",
                        "weights must be finite, non-negative and have a positive sum",
                        "revisa los pesos: ninguno negativo, NaN o infinito, y alguno mayor que 0")
        if not replacement and num_samples > np.count_nonzero(w):
            raise error(RuntimeError, "WeightedRandomSampler",
                        f"cannot draw {num_samples} samples without replacement from {np.count_nonzero(w)} "
                        "indices with non-zero weight", "usa replacement=True o pide menos muestras")
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def _index_array(self):
        p = self.weights / self.weights.sum()
        return _rng(self.generator).choice(len(p), size=self.num_samples, replace=self.replacement,
                                           p=p).astype(np.int64)

    def __iter__(self):
        return iter(self._index_array().tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``."""

    def __init__(self, sampler, batch_size, drop_last):
        _check_positive_int("BatchSampler", "batch_size", batch_size)
        _check_bool("BatchSampler", "drop_last", drop_last)
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def _batch_arrays(self):
        """The batches as int64 arrays: slices of one epoch array when the sampler has one."""
        make = getattr(self.sampler, "_index_array", None)
        if make is None:
            for batch in self:
                yield np.asarray(batch, dtype=np.int64)
            return
        idx = make()
        stop = len(idx) - len(idx) % self.batch_size if self.drop_last else len(idx)
        for start in range(0, stop, self.batch_size):
            yield idx[start:start + self.batch_size]

    def __iter__(self):
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
