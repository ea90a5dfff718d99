"""``DistributedSampler``: each process of a data-parallel group reads its own share of the dataset.

PyTorch's ``torch.utils.data.DistributedSampler``, index for index: every
process draws the *same* permutation (seeded by ``seed + epoch``), pads it by
repeating its start until it divides evenly (or, with ``drop_last``, cuts the
tail), and keeps every ``num_replicas``-th index from position ``rank``.  So
the processes see disjoint slices of one epoch, all of the same length, and
together (padding aside) the whole dataset once.

The permutation is torch's own, so a profundo run and a PyTorch run with the
same seed visit the same examples: ``torch.randperm(n, generator)`` with the
generator seeded by ``seed + epoch`` is a Fisher-Yates shuffle driven by a
Mersenne Twister (MT19937) seeded with the low 32 bits of the seed.  NumPy's
legacy ``RandomState`` is that same MT19937, so ``_torch_randperm`` below
reproduces it without torch (profundo's own generator is PCG64, another stream).
"""
import math
import numbers

import numpy as np

from ..._errors import error
from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _torch_randperm(n, seed):
    """``torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()`` without torch."""
    if n >= (2 ** 32 - 1) // 20:  # torch switches to another algorithm there
        raise error(ValueError, "DistributedSampler", f"shuffling {n} indices is not supported (at most "
                    f"{(2 ** 32 - 1) // 20 - 1})", "usa un conjunto de datos más pequeño o shuffle=False")
    # the n - 1 raw 32-bit draws of MT19937 seeded as torch seeds it (randint over the
    # whole uint32 range returns each raw draw unchanged)
    draws = np.random.RandomState(seed & 0xFFFF_FFFF).randint(0, 2 ** 32, size=max(n - 1, 0), dtype=np.uint32)
    # Fisher-Yates: step i swaps position i with i + draw % (n - i).  Each step reads the
    # result of the previous ones, so it is a loop (one pass over n Python ints: ~1 s per
    # 10 million indices, once per epoch); the offsets themselves are computed at once.
    offsets = (np.arange(max(n - 1, 0)) + draws.astype(np.int64) % np.arange(n, 1, -1)).tolist()
    perm = list(range(n))
    for i, z in enumerate(offsets):
        perm[i], perm[z] = perm[z], perm[i]
    return perm


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise error(ValueError, "DistributedSampler", f"{name} should be an integer >= {low}, but got {value!r}",
                    f"{name} debe ser un entero >= {low}")


def _check_seed(name, value):
    # torch fails later, at the first iteration, on a seed or epoch that is not an int
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise error(TypeError, "DistributedSampler", f"{name} must be an int, got {type(value).__name__} {value!r}",
                    f"{name} es un entero (p. ej. {name}=0)")


class DistributedSampler(Sampler):
    """The indices of one process's share of each epoch (``torch.utils.data.DistributedSampler``).

    ``DistributedSampler(dataset, num_replicas=None, rank=None, shuffle=True,
    seed=0, drop_last=False)``: ``num_replicas``/``rank`` default to the
    process group's world size and rank (``profundo.distributed``); pass them to
    use the sampler without a group (to look at the split, as in the notebook).
    Call ``set_epoch(epoch)`` before each epoch, or every epoch repeats the same
    order.  Use it as ``DataLoader(dataset, batch_size=..., sampler=sampler)``.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            if not dist.is_available():
                raise error(RuntimeError, "DistributedSampler", "Requires distributed package to be available",
                            "instala PyTorch (torch.distributed) o pasa num_replicas= y rank=")
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if not hasattr(type(dataset), "__len__"):
            raise error(TypeError, "DistributedSampler", f"the dataset must have a length (len(dataset)) to be split "
                        f"over the processes, got {type(dataset).__name__}",
                        "pasa un Dataset con __len__ (p. ej. TensorDataset), no un iterable")
        for flag, value in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(value, (bool, np.bool_)):
                raise error(TypeError, "DistributedSampler", f"{flag} must be True or False, got {value!r}",
                            f"{flag} es un bool")
        _check_seed("seed", seed)
        _check_int("num_replicas", num_replicas, 1)
        if isinstance(rank, bool) or not isinstance(rank, numbers.Integral) or rank >= num_replicas or rank < 0:
            raise error(ValueError, "DistributedSampler",
                        f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]",
                        "rank es el número de este proceso: 0, 1, ..., num_replicas - 1")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.drop_last = bool(drop_last)
        n = len(dataset)
        if drop_last and n % self.num_replicas != 0:
            # the tail that does not divide evenly is dropped
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = bool(shuffle)
        self.seed = int(seed)

    def _index_array(self):
        """This process's indices of the epoch, as one int64 array (the DataLoader slices it into batches)."""
        n = len(self.dataset)
        if self.shuffle:
            indices = np.asarray(_torch_randperm(n, int(self.seed) + int(self.epoch)), dtype=np.int64)
        else:
            indices = np.arange(n, dtype=np.int64)
        # pad by repeating the order from its start (cyclically, when the padding is longer than
        # the dataset), or cut the tail with drop_last: total_size indices either way
        indices = np.resize(indices, self.total_size) if self.total_size else indices[:0]
        return indices[self.rank:self.total_size:self.num_replicas]

    def __iter__(self):
        return iter(self._index_array().tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Use epoch ``epoch``'s order (``seed + epoch`` seeds the shuffle): call it before each epoch."""
        _check_seed("epoch", epoch)
        self.epoch = int(epoch)
