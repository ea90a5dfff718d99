"""How one batch is made from its indices: the same code in the main process and in workers."""
import numpy as np

from .collate import default_collate


class _MapFetcher:
    """Map-style dataset: ``collate_fn([dataset[i] for i in indices])``.

    With the default collation, a dataset that can gather a whole batch at once
    (``TensorDataset``, or a ``Subset`` of one) is asked for it directly: one
    NumPy gather per tensor instead of ``batch_size`` calls and a stack.  The
    result is the same as the slow path (tested).
    """

    def __init__(self, dataset, auto_collation, collate_fn):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.get_batch = getattr(dataset, "_get_batch", None) if collate_fn is default_collate else None
        self.getitems = getattr(dataset, "__getitems__", None)

    def __call__(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.get_batch is not None:
            batch = self.get_batch(np.asarray(index, dtype=np.int64))
            if batch is not None:
                return batch
        index = index.tolist() if isinstance(index, np.ndarray) else index
        data = self.getitems(index) if self.getitems else [self.dataset[i] for i in index]
        return self.collate_fn(data)


class _IterableFetcher:
    """Iterable dataset: take the next ``batch_size`` items of the stream."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last, batch_size=None):
        self.iterator = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.batch_size = batch_size
        self.ended = False

    def __call__(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.iterator))
        data = []
        for _ in range(self.batch_size):
            try:
                data.append(next(self.iterator))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < self.batch_size):
            raise StopIteration
        return self.collate_fn(data)
