"""Collation: how a list of samples becomes one batch (PyTorch's ``default_collate``).

Tensors are stacked along a new first dimension, NumPy arrays become tensors
and are stacked, Python floats become a float64 tensor and ints an int64 one,
strings stay a list, and dicts, tuples and lists are collated field by field
(a tuple of fields gives a *list* of batches, as in PyTorch).
"""
import collections.abc
import numbers
from operator import attrgetter

import numpy as np

from ..._dtype import float64
from ..._errors import error
from ...tensor import Tensor

_REQUIRES_GRAD, _DATA, _DTYPE = attrgetter("_requires_grad"), attrgetter("_data"), attrgetter("dtype")


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def default_convert(data):
    """Turn NumPy arrays (also inside dicts/lists/tuples) into tensors; used with ``batch_size=None``."""
    from ...creation import as_tensor
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OSUV":
        return as_tensor(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "OSUV":
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data


def default_collate(batch):
    """Collate a list of samples into a batch, exactly like ``torch.utils.data.default_collate``."""
    from ...creation import as_tensor, tensor
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if isinstance(elem, (np.ndarray, np.generic)) and elem.dtype.kind not in "OSUV":
        if isinstance(elem, np.ndarray) and elem.ndim:
            return default_collate([as_tensor(b) for b in batch])
        return as_tensor(np.asarray(batch))
    if isinstance(elem, numbers.Integral):  # bools too: a bool tensor
        return tensor(batch)
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if len(set(map(len, batch))) > 1:
            raise error(RuntimeError, "default_collate", "each element in list of batch should be of equal size",
                        "todas las muestras deben tener el mismo número de campos; si no, pasa un collate_fn propio")
        return [default_collate(list(samples)) for samples in zip(*batch)]
    raise error(TypeError, "default_collate", "default_collate: batch must contain tensors, numpy arrays, "
                f"numbers, dicts or lists; found {type(elem)}",
                "devuelve tensores, arrays o números desde __getitem__, o pasa un collate_fn propio")


def _stack(batch):
    """``stack(batch)``; plain samples (same dtype, no autograd) go straight to ``np.stack``."""
    from ...ops import FUNCTIONS
    if set(map(type, batch)) == {Tensor} and not any(map(_REQUIRES_GRAD, batch)):
        arrays = list(map(_DATA, batch))
        if len(set(map(_DTYPE, arrays))) == 1:
            try:
                return Tensor._make(np.stack(arrays))
            except ValueError:
                pass  # different shapes: profundo.stack explains
    return FUNCTIONS["stack"](batch, 0)
